//! The query half of `sightline-bench logs`: Loki and native log queries over HTTP against a
//! server holding the benchmark's logs, each run several times, with latency percentiles, what
//! each answer held and how many stored rows the server read for it.

use std::time::Duration;

use serde_json::Value as Json;

use crate::ingest::ServerProcess;
use crate::stats::time_runs;

const HOUR: u64 = 3600 * 1_000_000_000;

/// What to query: the data's time range and terms taken from the stored lines.
pub struct QueryPlan {
    /// Oldest stored line, unix nanoseconds (rounded down to the second).
    pub start: u64,
    /// Newest stored line, unix nanoseconds (rounded up to the second).
    pub end: u64,
    /// A term in very few lines (a transaction id).
    pub rare_term: String,
    /// The word in the most lines.
    pub common_word: String,
    /// Share of sampled lines holding `common_word`.
    pub common_share: f64,
    /// The service with the most lines.
    pub service: String,
    /// Timed runs per query.
    pub runs: usize,
    /// A query is not run again once its runs took this long in total.
    pub budget: Duration,
}

/// How to read what an answer holds.
#[derive(Clone, Copy)]
enum Answer {
    /// Loki streams: lines returned.
    Streams,
    /// Loki matrix: series, and the sum of every point.
    Matrix,
    /// Loki label names or values.
    Labels,
    /// Native search: lines returned.
    NativeLines,
    /// Native histogram: buckets and lines counted.
    Histogram,
    /// Native facets: values per facet.
    Facets,
}

impl Answer {
    /// A description of `body`'s contents, with the rows the server read when it says.
    fn describe(self, body: &Json) -> String {
        let result = body["data"]["result"].as_array();
        let read = body["data"]["stats"]["summary"]["totalLinesProcessed"]
            .as_u64()
            .or_else(|| body["stats"]["rowsRead"].as_u64())
            .map_or(String::new(), |rows| format!(", {rows} rows read"));
        match self {
            Answer::Streams => {
                let lines: usize = result
                    .into_iter()
                    .flatten()
                    .map(|stream| stream["values"].as_array().map_or(0, Vec::len))
                    .sum();
                format!("{lines} lines{read}")
            }
            Answer::Matrix => {
                let series = result.map_or(0, Vec::len);
                let total: f64 = result
                    .into_iter()
                    .flatten()
                    .flat_map(|s| s["values"].as_array().into_iter().flatten())
                    .filter_map(|point| point[1].as_str()?.parse::<f64>().ok())
                    .sum();
                format!("{series} series, sum of points {total:.0}{read}")
            }
            Answer::Labels => {
                let values = body["data"].as_array().map_or(0, Vec::len);
                format!("{values} values")
            }
            Answer::NativeLines => {
                let lines = body["lines"].as_array().map_or(0, Vec::len);
                let blocks = body["stats"]["blocksRead"]
                    .as_u64()
                    .map_or(String::new(), |b| format!(", {b} blocks read"));
                format!("{lines} lines{read}{blocks}")
            }
            Answer::Histogram => {
                let buckets = body["buckets"].as_array();
                let lines: u64 = buckets
                    .into_iter()
                    .flatten()
                    .filter_map(|b| b["count"].as_u64())
                    .sum();
                let count = buckets.map_or(0, Vec::len);
                format!("{count} buckets, {lines} lines counted{read}")
            }
            Answer::Facets => {
                let facets = body["facets"].as_object();
                let values: Vec<String> = facets
                    .into_iter()
                    .flatten()
                    .map(|(name, facet)| {
                        let n = facet["values"].as_array().map_or(0, Vec::len);
                        format!("{name}: {n}")
                    })
                    .collect();
                format!("{}{read}", values.join(", "))
            }
        }
    }
}

/// Times `url` `plan.runs` times (fewer when the runs exceed `plan.budget`) and prints one line:
/// percentiles, the first (cold) run and what the last answer held.
async fn measure(
    client: &reqwest::Client,
    label: &str,
    url: reqwest::Url,
    answer: Answer,
    plan: &QueryPlan,
) -> anyhow::Result<()> {
    let (timing, last) = time_runs(client, &url, plan.runs, plan.budget).await?;
    println!("{label}: {timing}; {}", answer.describe(&last));
    Ok(())
}

/// Runs every query of `plan` against `server` and prints one line per query.
pub async fn run(server: &ServerProcess, plan: &QueryPlan) -> anyhow::Result<()> {
    let client = reqwest::Client::new();
    let http = &server.http;
    let url = |path: &str, params: &[(&str, String)]| {
        reqwest::Url::parse_with_params(&format!("{http}{path}"), params)
    };
    let (start, end) = (plan.start.to_string(), plan.end.to_string());
    let hours = (plan.end - plan.start) as f64 / HOUR as f64;
    println!(
        "queries over the stored range ({hours:.1} h), {} runs each; rare term {:?}, common word {:?} (in {:.0}% of sampled lines), service {:?}",
        plan.runs,
        plan.rare_term,
        plan.common_word,
        plan.common_share * 100.0,
        plan.service
    );
    let range = |query: String, extra: &[(&str, &str)]| {
        let mut params = vec![
            ("query", query),
            ("start", start.clone()),
            ("end", end.clone()),
        ];
        params.extend(extra.iter().map(|(k, v)| (*k, v.to_string())));
        url("/loki/api/v1/query_range", &params)
    };

    let rare = format!(r#"{{service_name=~".+"}} |= "{}""#, plan.rare_term);
    let common = format!(
        r#"sum(count_over_time({{service_name=~".+"}} |= "{}" [1h]))"#,
        plan.common_word
    );
    let selector = format!(r#"{{service_name="{}"}}"#, plan.service);
    let by_level = format!("sum by (level) (count_over_time({selector}[5m]))");
    let last_hour_start = plan.end.saturating_sub(HOUR).to_string();
    let cases = vec![
        (
            format!("rare term, Loki query_range `{rare}`, whole range, limit 100"),
            range(rare.clone(), &[("limit", "100")])?,
            Answer::Streams,
        ),
        (
            format!(
                "rare term, native /api/ui/logs/search q=\"{}\", whole range, limit 100",
                plan.rare_term
            ),
            url(
                "/api/ui/logs/search",
                &[
                    ("q", format!("\"{}\"", plan.rare_term)),
                    ("start", start.clone()),
                    ("end", end.clone()),
                    ("limit", "100".into()),
                ],
            )?,
            Answer::NativeLines,
        ),
        (
            format!("common term, Loki query_range `{common}`, whole range, step 1h"),
            range(common, &[("step", "1h")])?,
            Answer::Matrix,
        ),
        (
            format!("label only, Loki query_range `{selector}`, whole range, limit 100"),
            range(selector.clone(), &[("limit", "100")])?,
            Answer::Streams,
        ),
        (
            format!("label only, Loki query_range `{by_level}`, last hour, step 60s"),
            url(
                "/loki/api/v1/query_range",
                &[
                    ("query", by_level.clone()),
                    ("start", last_hour_start),
                    ("end", end.clone()),
                    ("step", "60s".into()),
                ],
            )?,
            Answer::Matrix,
        ),
        // What the web UI's Logs page asks when opened with an empty query.
        (
            "Logs page, empty query: newest 200 lines, last hour".to_string(),
            url(
                "/api/ui/logs/search",
                &[
                    ("start", plan.end.saturating_sub(HOUR).to_string()),
                    ("end", end.clone()),
                    ("limit", "200".into()),
                ],
            )?,
            Answer::NativeLines,
        ),
        (
            "Logs page, empty query: volume histogram (60 buckets), last hour".to_string(),
            url(
                "/api/ui/logs/histogram",
                &[
                    ("start", plan.end.saturating_sub(HOUR).to_string()),
                    ("end", end.clone()),
                    ("buckets", "60".into()),
                ],
            )?,
            Answer::Histogram,
        ),
        (
            "Logs page, empty query: service and level facets, last hour".to_string(),
            url(
                "/api/ui/logs/facets",
                &[
                    ("start", plan.end.saturating_sub(HOUR).to_string()),
                    ("end", end.clone()),
                ],
            )?,
            Answer::Facets,
        ),
        (
            "Logs page, empty query: volume histogram (60 buckets), whole range".to_string(),
            url(
                "/api/ui/logs/histogram",
                &[
                    ("start", start.clone()),
                    ("end", end.clone()),
                    ("buckets", "60".into()),
                ],
            )?,
            Answer::Histogram,
        ),
        (
            "Logs page, empty query: service and level facets, whole range".to_string(),
            url(
                "/api/ui/logs/facets",
                &[("start", start.clone()), ("end", end.clone())],
            )?,
            Answer::Facets,
        ),
        (
            "label names, /loki/api/v1/labels, whole range".to_string(),
            url(
                "/loki/api/v1/labels",
                &[("start", start.clone()), ("end", end.clone())],
            )?,
            Answer::Labels,
        ),
        (
            "service names, /loki/api/v1/label/service_name/values, whole range".to_string(),
            url(
                "/loki/api/v1/label/service_name/values",
                &[("start", start.clone()), ("end", end.clone())],
            )?,
            Answer::Labels,
        ),
    ];
    for (label, url, answer) in cases {
        measure(&client, &label, url, answer, plan).await?;
    }
    Ok(())
}
