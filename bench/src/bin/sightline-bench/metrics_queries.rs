//! The query half of `sightline-bench metrics`: PromQL range and instant queries, label values
//! and series over the Prometheus HTTP API of a server holding the benchmark's metrics, each run
//! several times, with latency percentiles and what each answer held.

use std::time::Duration;

use anyhow::Context;
use serde_json::Value as Json;

use crate::ingest::ServerProcess;
use crate::stats::time_runs;

const SECOND: u64 = 1_000_000_000;
const HOUR: u64 = 3600 * SECOND;
/// The span metrics counter the server's metrics generator derives from spans.
const SPANMETRICS_CALLS: &str = "traces_spanmetrics_calls_total";

/// What to query: the stored time range.
pub struct QueryPlan {
    /// Oldest stored data point, unix nanoseconds (rounded down to the second).
    pub start: u64,
    /// Newest stored data point, unix nanoseconds (rounded up to the second).
    pub end: u64,
    /// When spans were sent (so span metrics exist), unix nanoseconds, if known.
    pub spans: Option<(u64, u64)>,
    /// Time of the newest generated histogram and counter points, unix nanoseconds, if known
    /// (span metrics come later, so the stored range ends after it).
    pub metrics_end: Option<u64>,
    /// Timed runs per query.
    pub runs: usize,
    /// A query is not run again once its runs took this long in total.
    pub budget: Duration,
}

/// A description of a Prometheus API answer: series and points, or values.
fn describe(body: &Json) -> String {
    let data = &body["data"];
    if let Some(values) = data.as_array() {
        // Label values, or the label sets of `/api/v1/series` (one per series).
        let what = if values.first().is_some_and(Json::is_object) {
            "series"
        } else {
            "values"
        };
        return format!("{} {what}", values.len());
    }
    let result = data["result"].as_array().map_or(&[][..], Vec::as_slice);
    let points: usize = result
        .iter()
        .map(|s| s["values"].as_array().map_or(1, Vec::len))
        .sum();
    format!(
        "{} series, {points} points ({})",
        result.len(),
        data["resultType"].as_str().unwrap_or("?")
    )
}

/// Times `url` `plan.runs` times (fewer when the runs exceed `plan.budget`) and prints one line:
/// percentiles, the first (cold) run and what the last answer held.
async fn measure(
    client: &reqwest::Client,
    label: &str,
    url: reqwest::Url,
    plan: &QueryPlan,
) -> anyhow::Result<Json> {
    let (timing, last) = time_runs(client, &url, plan.runs, plan.budget).await?;
    println!("{label}: {timing}; {}", describe(&last));
    Ok(last)
}

/// Seconds (with fraction) for the Prometheus API's time parameters.
fn seconds(unix_nano: u64) -> String {
    format!("{:.3}", unix_nano as f64 / 1e9)
}

/// Runs every query of `plan` against `server` and prints one line per query.
pub async fn run(server: &ServerProcess, plan: &QueryPlan) -> anyhow::Result<()> {
    let client = reqwest::Client::new();
    let http = &server.http;
    let url = |path: &str, params: &[(&str, String)]| {
        reqwest::Url::parse_with_params(&format!("{http}{path}"), params)
    };
    let (start, end) = (seconds(plan.start), seconds(plan.end));
    let hours = (plan.end - plan.start) as f64 / HOUR as f64;
    println!(
        "stored range: {hours:.2} h ({start} .. {end} unix s); {} runs each, budget {}s per query",
        plan.runs,
        plan.budget.as_secs()
    );
    if let Some((from, to)) = plan.spans {
        println!(
            "span metrics cover only the span traffic: {:.0}s ({} .. {} unix s)",
            (to - from) as f64 / 1e9,
            seconds(from),
            seconds(to)
        );
    }

    let names = measure(
        &client,
        "metric names, /api/v1/label/__name__/values, whole range",
        url(
            "/api/v1/label/__name__/values",
            &[("start", start.clone()), ("end", end.clone())],
        )?,
        plan,
    )
    .await?;
    let names: Vec<&str> = names["data"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Json::as_str)
        .collect();
    let bucket = names
        .iter()
        .find(|n| n.starts_with("http_server_request_duration") && n.ends_with("_bucket"))
        .map(|n| n.to_string())
        .or_else(|| {
            names
                .iter()
                .find(|n| n.starts_with("http_server_request_duration"))
                .map(|n| format!("{n}_bucket"))
        })
        .with_context(|| format!("no http_server_request_duration metric in {names:?}"))?;
    println!(
        "{} metric names; histogram: {bucket}; {SPANMETRICS_CALLS} {}",
        names.len(),
        if names.contains(&SPANMETRICS_CALLS) {
            "present"
        } else {
            "MISSING"
        }
    );

    measure(
        &client,
        &format!("series, /api/v1/series?match[]={bucket}, whole range (once)"),
        url(
            "/api/v1/series",
            &[
                ("match[]", bucket.clone()),
                ("start", start.clone()),
                ("end", end.clone()),
            ],
        )?,
        &QueryPlan { runs: 1, ..*plan },
    )
    .await?;

    measure(
        &client,
        "routes, /api/v1/label/http_route/values, whole range",
        url(
            "/api/v1/label/http_route/values",
            &[("start", start.clone()), ("end", end.clone())],
        )?,
        plan,
    )
    .await?;

    let calls = format!("sum by (service) (rate({SPANMETRICS_CALLS}[5m]))");
    measure(
        &client,
        &format!("query_range `{calls}`, whole stored range ({hours:.2} h), step 30s"),
        url(
            "/api/v1/query_range",
            &[
                ("query", calls.clone()),
                ("start", start.clone()),
                ("end", end.clone()),
                ("step", "30s".into()),
            ],
        )?,
        plan,
    )
    .await?;
    if let Some((_, to)) = plan.spans {
        measure(
            &client,
            &format!("instant query `{calls}` at the end of the span traffic"),
            url(
                "/api/v1/query",
                &[("query", calls.clone()), ("time", seconds(to))],
            )?,
            plan,
        )
        .await?;
    }

    // The same shape over the benchmark's own counters, which span the whole range.
    let data_end_ns = plan.metrics_end.unwrap_or(plan.end).div_ceil(SECOND) * SECOND;
    let data_end = seconds(data_end_ns);
    let requests = "sum by (service) (rate(http_server_requests_total[5m]))";
    let data_hours = (data_end_ns - plan.start) as f64 / HOUR as f64;
    measure(
        &client,
        &format!("query_range `{requests}`, all generated data ({data_hours:.2} h), step 30s"),
        url(
            "/api/v1/query_range",
            &[
                ("query", requests.into()),
                ("start", start.clone()),
                ("end", data_end.clone()),
                ("step", "30s".into()),
            ],
        )?,
        plan,
    )
    .await?;

    let quantile = format!("histogram_quantile(0.99, sum by (le, service) (rate({bucket}[5m])))");
    let hour_start = seconds(data_end_ns.saturating_sub(HOUR).max(plan.start));
    measure(
        &client,
        &format!("query_range `{quantile}`, last hour of the data, step 30s"),
        url(
            "/api/v1/query_range",
            &[
                ("query", quantile.clone()),
                ("start", hour_start),
                ("end", data_end.clone()),
                ("step", "30s".into()),
            ],
        )?,
        plan,
    )
    .await?;
    measure(
        &client,
        &format!("instant query `{quantile}` at the newest histogram points"),
        url(
            "/api/v1/query",
            &[("query", quantile.clone()), ("time", data_end.clone())],
        )?,
        plan,
    )
    .await?;
    Ok(())
}
