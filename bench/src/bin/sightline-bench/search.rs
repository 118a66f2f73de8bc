//! The search benchmark: starts the binary on an existing data directory (e.g. one filled by
//! `sightline-bench ingest --data-dir`) and times Tempo-API searches through HTTP: a service and
//! status search over the last hour and over the whole store, a high-cardinality attribute
//! search, and a structural query.

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
    let traces = body["traces"].as_array().map_or(0, Vec::len);
    Ok((elapsed, traces, body))
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
    let queries = [
        (
            "service and status, last hour",
            r#"{ resource.service.name = "checkout" && status = error }"#.to_string(),
            last_hour.clone(),
        ),
        (
            "service and status, whole store",
            r#"{ resource.service.name = "checkout" && status = error }"#.to_string(),
            String::new(),
        ),
        (
            "high-cardinality attribute",
            format!(r#"{{ span.app.user.id = "{user}" }}"#),
            String::new(),
        ),
        (
            "structural",
            r#"{ resource.service.name = "frontend" } >> { span.db.system = "postgresql" }"#
                .to_string(),
            String::new(),
        ),
        (
            "slow spans",
            r#"{ duration > 500ms }"#.to_string(),
            String::new(),
        ),
    ];
    println!("query | p50 | p99 | traces returned");
    for (label, query, range) in queries {
        let url = format!("{base}?q={}{range}&limit=20", encode(&query));
        let mut samples = Vec::with_capacity(args.runs);
        let mut found = 0;
        for _ in 0..args.runs {
            let (elapsed, traces, _) = timed(&client, &url).await?;
            samples.push(elapsed);
            found = traces;
        }
        let p = Percentiles::of(&mut samples);
        println!(
            "{label}: `{query}` | {:.1} ms | {:.1} ms | {found}",
            p.p50.as_secs_f64() * 1e3,
            p.p99.as_secs_f64() * 1e3
        );
    }
    server.terminate()?;
    Ok(())
}
