//! The search benchmark: starts the binary on an existing data directory (e.g. one filled by
//! `sightline-bench ingest --data-dir`) and times reads through HTTP: Tempo searches (a service
//! and status search over the last hour and over the whole store, a high-cardinality attribute
//! search, a structural query), tag and value discovery, a TraceQL metrics query, a Jaeger
//! search, and the 24-hour service map.

use std::path::PathBuf;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::{Context, bail};
use clap::Args;

use crate::ingest::ServerProcess;
use crate::machine::describe;
use crate::stats::Percentiles;

/// Options of `sightline-bench search`.
#[derive(Debug, Args)]
pub struct SearchArgs {
    /// The sightline binary (build it with --release).
    #[arg(long, default_value = "target/release/sightline")]
    sightline_bin: PathBuf,
    /// A data directory with stored traces (from `sightline-bench ingest --data-dir`).
    #[arg(long)]
    data_dir: PathBuf,
    /// Timed runs per query.
    #[arg(long, default_value_t = 10)]
    runs: usize,
}

async fn timed(
    client: &reqwest::Client,
    url: &str,
) -> anyhow::Result<(Duration, usize, serde_json::Value)> {
    let started = Instant::now();
    let response = client.get(url).send().await?;
    let status = response.status();
    let body: serde_json::Value = response.json().await?;
    let elapsed = started.elapsed();
    if !status.is_success() {
        bail!("{url}: {status}: {body}");
    }
    // What the answer holds: traces, tags, values, series, Jaeger traces or map edges.
    let count = [
        &body["traces"],
        &body["scopes"],
        &body["tagValues"],
        &body["series"],
        &body["data"],
        &body["edges"],
    ]
    .iter()
    .find_map(|v| v.as_array().map(Vec::len))
    .unwrap_or(0);
    Ok((elapsed, count, body))
}

/// Runs the benchmark and prints one line per query.
pub async fn run(args: SearchArgs) -> anyhow::Result<()> {
    println!("machine: {}", describe());
    let server = ServerProcess::start_on(&args.sightline_bin, &args.data_dir, 4096).await?;
    let client = reqwest::Client::new();
    let base = format!("{}/api/search", server.http);
    let encode = |q: &str| {
        q.replace('%', "%25")
            .replace(' ', "%20")
            .replace('"', "%22")
            .replace('{', "%7B")
            .replace('}', "%7D")
            .replace('&', "%26")
            .replace('=', "%3D")
            .replace('>', "%3E")
            .replace('|', "%7C")
            .replace('(', "%28")
            .replace(')', "%29")
            .replace(':', "%3A")
            .replace(',', "%2C")
    };

    // A real user id from the data, for the high-cardinality search.
    let (_, _, sample) = timed(
        &client,
        &format!(
            "{base}?q={}&limit=1&spss=1",
            encode("{ span.app.user.id != nil }")
        ),
    )
    .await?;
    let user = sample["traces"][0]["spanSets"][0]["spans"][0]["attributes"]
        .as_array()
        .and_then(|a| a.iter().find(|kv| kv["key"] == "app.user.id"))
        .and_then(|kv| kv["value"]["stringValue"].as_str())
        .context("no span with app.user.id in the data")?
        .to_string();

    let now = SystemTime::now().duration_since(UNIX_EPOCH)?.as_secs();
    let last_hour = format!("&start={}&end={now}", now - 3600);
    let day_ago = now - 24 * 3600;
    let http = &server.http;
    let search = |q: &str, range: &str| format!("{base}?q={}{range}&limit=20", encode(q));
    let checkout_errors = r#"{ resource.service.name = "checkout" && status = error }"#;
    let cases: Vec<(String, String)> = vec![
        (
            format!("search, last hour: `{checkout_errors}`"),
            search(checkout_errors, &last_hour),
        ),
        (
            format!("search, whole store: `{checkout_errors}`"),
            search(checkout_errors, ""),
        ),
        (
            format!("high-cardinality attribute: `{{ span.app.user.id = \"{user}\" }}`"),
            search(&format!(r#"{{ span.app.user.id = "{user}" }}"#), ""),
        ),
        (
            "structural: `{ resource.service.name = \"frontend\" } >> { span.db.system = \"postgresql\" }`".into(),
            search(
                r#"{ resource.service.name = "frontend" } >> { span.db.system = "postgresql" }"#,
                "",
            ),
        ),
        (
            "slow spans: `{ duration > 500ms }`".into(),
            search("{ duration > 500ms }", ""),
        ),
        (
            "tag names, all scopes, last hour (`/api/v2/search/tags`)".into(),
            format!("{http}/api/v2/search/tags?{}", &last_hour[1..]),
        ),
        (
            "tag names, whole store".into(),
            format!("{http}/api/v2/search/tags"),
        ),
        (
            "values of resource.service.name, whole store".into(),
            format!("{http}/api/v2/search/tag/resource.service.name/values"),
        ),
        (
            "values of span.http.route for frontend, whole store".into(),
            format!(
                "{http}/api/v2/search/tag/span.http.route/values?q={}",
                encode(r#"{ resource.service.name = "frontend" }"#)
            ),
        ),
        (
            "TraceQL metrics, last hour: `{ status = error } | rate() by (resource.service.name)`"
                .into(),
            format!(
                "{http}/api/metrics/query_range?q={}&since=1h&step=60s",
                encode("{ status = error } | rate() by (resource.service.name)")
            ),
        ),
        (
            "Jaeger search, last hour: service=checkout tags={\"error\":\"true\"} limit=20".into(),
            format!(
                "{http}/jaeger/api/traces?service=checkout&tags={}&limit=20&start={}&end={}",
                encode(r#"{"error":"true"}"#),
                (now - 3600) * 1_000_000,
                now * 1_000_000
            ),
        ),
        (
            "service map, last 24 h (`/api/ui/service-map`)".into(),
            format!("{http}/api/ui/service-map?start={day_ago}&end={now}"),
        ),
    ];
    println!("what | p50 | p99 | items returned");
    for (label, url) in cases {
        let mut samples = Vec::with_capacity(args.runs);
        let mut found = 0;
        for _ in 0..args.runs {
            let (elapsed, count, _) = timed(&client, &url).await?;
            samples.push(elapsed);
            found = count;
        }
        let p = Percentiles::of(&mut samples);
        println!(
            "{label} | {:.1} ms | {:.1} ms | {found}",
            p.p50.as_secs_f64() * 1e3,
            p.p99.as_secs_f64() * 1e3
        );
    }
    server.terminate()?;
    Ok(())
}
