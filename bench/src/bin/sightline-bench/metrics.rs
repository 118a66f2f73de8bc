//! The metrics benchmark, against the real `sightline` binary in its own process:
//!
//! 1. ingest: build `--series` series of a cumulative `http.server.request.duration` histogram
//!    (unit `s`, 10 buckets) and as many `http.server.requests` counters, spread over 50 services
//!    and up to 200 routes each, with a point every 30 s over the last `--hours` hours; encode them
//!    as OTLP metrics export requests and send them over several gRPC connections as fast as the
//!    server acknowledges them (durable ingest, data points per second);
//! 2. span metrics: send the load generator's spans at a steady rate for `--span-seconds`, so the
//!    server's metrics generator (left on, its default) derives `traces_spanmetrics_*` series;
//! 3. storage: stop the server (heads are written to blocks) and measure the metrics blocks;
//! 4. queries: restart the server on the same data and time PromQL range and instant queries,
//!    label values and series over HTTP ([`crate::metrics_queries`]).
//!
//! With `--data-dir` pointing at a directory that already holds metrics blocks, steps 1-2 are
//! skipped; the time ranges are taken from the stored blocks (and the span phase's range from
//! [`STATE_FILE`]), so re-runs over the same data time the same queries.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::AtomicU64;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use crate::export::{METRICS_EXPORT, TRACES_EXPORT, send_all, send_one};
use anyhow::bail;
use bytes::Bytes;
use clap::Args;
use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;
use opentelemetry_proto::tonic::common::v1::{AnyValue, InstrumentationScope, KeyValue, any_value};
use opentelemetry_proto::tonic::metrics::v1::{
    AggregationTemporality, Histogram, HistogramDataPoint, Metric, NumberDataPoint,
    ResourceMetrics, ScopeMetrics, Sum, metric::Data, number_data_point,
};
use opentelemetry_proto::tonic::resource::v1::Resource;
use prost::Message;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use sightline_bench::{TrafficGenerator, spans_in};

use crate::ingest::ServerProcess;
use crate::machine::{describe, process_memory};
use crate::metrics_queries::{self, QueryPlan};
use crate::stats::stored_blocks;

const SECOND: u64 = 1_000_000_000;
/// Seconds between two points of a series.
const INTERVAL_SECS: u64 = 30;
/// Upper bounds of the histogram's buckets (seconds): 9 bounds, 10 buckets with `+Inf`.
const BOUNDS: [f64; 9] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5];
/// Most services; series are spread over them first, then over routes.
const MAX_SERVICES: usize = 50;
/// Written into the data directory after ingest: the span phase's time range.
pub const STATE_FILE: &str = "sightline-bench-metrics.json";

/// Options of `sightline-bench metrics`.
#[derive(Debug, Args)]
pub struct MetricsArgs {
    /// The sightline binary to benchmark (build it with --release).
    #[arg(long, default_value = "target/release/sightline")]
    sightline_bin: PathBuf,
    /// Histogram series (each with a counter series beside it), over up to 50 services.
    #[arg(long, default_value_t = 10_000)]
    series: usize,
    /// Hours of data before now, one point per series every 30 s.
    #[arg(long, default_value_t = 24)]
    hours: u64,
    /// Data points per export request (whole services per request, at least one).
    #[arg(long, default_value_t = 4_000)]
    batch_points: usize,
    /// gRPC connections.
    #[arg(long, default_value_t = 8)]
    connections: usize,
    /// Requests in flight per connection.
    #[arg(long, default_value_t = 4)]
    in_flight: usize,
    /// Seconds of span traffic sent after the metrics, for span metrics.
    #[arg(long, default_value_t = 60)]
    span_seconds: u64,
    /// Spans per second of that traffic.
    #[arg(long, default_value_t = 5_000)]
    span_rate: usize,
    /// Server memory budget, MiB.
    #[arg(long, default_value_t = 4096)]
    memory_limit_mib: usize,
    /// Data directory (default: a fresh temporary directory, removed afterwards). When it
    /// already holds metrics blocks, ingest is skipped and the stored data is measured and queried.
    #[arg(long)]
    data_dir: Option<PathBuf>,
    /// Timed runs per query.
    #[arg(long, default_value_t = 5)]
    runs: usize,
    /// Seconds after which a query is not run again (slow queries get fewer runs).
    #[arg(long, default_value_t = 120)]
    query_budget_secs: u64,
    /// Random seed.
    #[arg(long, default_value_t = 7)]
    seed: u64,
}

/// Pre-encoded metrics export requests and what they hold.
struct Workload {
    requests: Vec<Bytes>,
    protobuf_bytes: u64,
    points: u64,
    /// Time of the newest points, unix nanoseconds.
    last_time: u64,
}

/// Cumulative state of one histogram series and its counter.
struct Series {
    service: usize,
    route: usize,
    requests_per_second: f64,
    /// Share of requests per bucket.
    shares: [f64; BOUNDS.len() + 1],
    buckets: [u64; BOUNDS.len() + 1],
    count: u64,
    sum: f64,
}

impl Series {
    fn new(index: usize, services: usize, rng: &mut StdRng) -> Self {
        // Latency: normal in log space around a per-series median, over bucket midpoints.
        let median: f64 = rng.random_range(0.01f64..0.4).ln();
        let spread: f64 = rng.random_range(0.6..1.4);
        let mut shares = [0.0; BOUNDS.len() + 1];
        for (bucket, share) in shares.iter_mut().enumerate() {
            let middle = bucket_middle(bucket).ln();
            *share = (-((middle - median) / spread).powi(2) / 2.0).exp();
        }
        let total: f64 = shares.iter().sum();
        shares.iter_mut().for_each(|s| *s /= total);
        Self {
            service: index % services,
            route: index / services,
            requests_per_second: rng.random_range(0.5..20.0),
            shares,
            buckets: [0; BOUNDS.len() + 1],
            count: 0,
            sum: 0.0,
        }
    }

    /// Advances the cumulative values by one interval.
    fn advance(&mut self, rng: &mut StdRng) {
        let expected = self.requests_per_second * INTERVAL_SECS as f64 * rng.random_range(0.8..1.2);
        for bucket in 0..self.buckets.len() {
            let added = (expected * self.shares[bucket] + rng.random::<f64>()) as u64;
            self.buckets[bucket] += added;
            self.count += added;
            self.sum += added as f64 * bucket_middle(bucket);
        }
    }
}

/// A representative value of `bucket` (seconds).
fn bucket_middle(bucket: usize) -> f64 {
    match bucket {
        0 => BOUNDS[0] / 2.0,
        b if b == BOUNDS.len() => BOUNDS[BOUNDS.len() - 1] * 2.0,
        b => (BOUNDS[b - 1] + BOUNDS[b]) / 2.0,
    }
}

fn string(key: &str, value: String) -> KeyValue {
    KeyValue {
        key: key.to_owned(),
        value: Some(AnyValue {
            value: Some(any_value::Value::StringValue(value)),
        }),
        ..Default::default()
    }
}

fn service_name(service: usize) -> String {
    format!("svc-{service:02}")
}

fn route_name(route: usize) -> String {
    format!("/api/v1/resource-{route:03}/{{id}}")
}

fn now_unix_nano() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64
}

/// Builds every request: per point in time, whole services per request, oldest time first.
fn generate(args: &MetricsArgs) -> Workload {
    let services = args.series.clamp(1, MAX_SERVICES);
    let mut rng = StdRng::seed_from_u64(args.seed);
    let mut series: Vec<Series> = (0..args.series.max(1))
        .map(|i| Series::new(i, services, &mut rng))
        .collect();
    // Group series by service, so a request holds whole services.
    series.sort_by_key(|s| (s.service, s.route));
    let per_service = series.len().div_ceil(services);
    let services_per_request = (args.batch_points / (2 * per_service).max(1)).max(1);
    let steps = args.hours * 3600 / INTERVAL_SECS;
    // Leave a minute at the end so the newest points are not in the future while sent.
    let last = now_unix_nano() - 60 * SECOND;
    let first = last - steps.saturating_sub(1) * INTERVAL_SECS * SECOND;
    let start = first - INTERVAL_SECS * SECOND;
    let mut workload = Workload {
        requests: Vec::new(),
        protobuf_bytes: 0,
        points: 0,
        last_time: last,
    };
    for step in 0..steps {
        let time = first + step * INTERVAL_SECS * SECOND;
        let mut resource_metrics = Vec::new();
        for chunk in series.chunk_by_mut(|a, b| a.service == b.service) {
            resource_metrics.push(service_metrics(chunk, &mut rng, start, time));
            if resource_metrics.len() == services_per_request {
                push_request(&mut workload, std::mem::take(&mut resource_metrics));
            }
        }
        if !resource_metrics.is_empty() {
            push_request(&mut workload, resource_metrics);
        }
    }
    workload
}

fn push_request(workload: &mut Workload, resource_metrics: Vec<ResourceMetrics>) {
    let request = ExportMetricsServiceRequest { resource_metrics };
    workload.points += sightline_bench::data_points_in(&request) as u64;
    let bytes = Bytes::from(request.encode_to_vec());
    workload.protobuf_bytes += bytes.len() as u64;
    workload.requests.push(bytes);
}

/// One service's histogram and counter points at `time`, after advancing its series.
fn service_metrics(
    series: &mut [Series],
    rng: &mut StdRng,
    start: u64,
    time: u64,
) -> ResourceMetrics {
    let service = service_name(series[0].service);
    let mut histograms = Vec::with_capacity(series.len());
    let mut counters = Vec::with_capacity(series.len());
    for s in series.iter_mut() {
        s.advance(rng);
        let attributes = vec![
            string("service", service.clone()),
            string("http.route", route_name(s.route)),
            string("http.request.method", "GET".into()),
        ];
        counters.push(NumberDataPoint {
            attributes: attributes.clone(),
            start_time_unix_nano: start,
            time_unix_nano: time,
            value: Some(number_data_point::Value::AsInt(s.count as i64)),
            ..Default::default()
        });
        histograms.push(HistogramDataPoint {
            attributes,
            start_time_unix_nano: start,
            time_unix_nano: time,
            count: s.count,
            sum: Some(s.sum),
            bucket_counts: s.buckets.to_vec(),
            explicit_bounds: BOUNDS.to_vec(),
            ..Default::default()
        });
    }
    let cumulative = AggregationTemporality::Cumulative as i32;
    let metric = |name: &str, unit: &str, data: Data| Metric {
        name: name.to_owned(),
        description: String::new(),
        unit: unit.to_owned(),
        metadata: Vec::new(),
        data: Some(data),
    };
    ResourceMetrics {
        resource: Some(Resource {
            attributes: vec![
                string("service.name", service.clone()),
                string("service.instance.id", format!("{service}-0")),
            ],
            ..Default::default()
        }),
        scope_metrics: vec![ScopeMetrics {
            scope: Some(InstrumentationScope {
                name: "sightline-bench".into(),
                ..Default::default()
            }),
            metrics: vec![
                metric(
                    "http.server.request.duration",
                    "s",
                    Data::Histogram(Histogram {
                        data_points: histograms,
                        aggregation_temporality: cumulative,
                    }),
                ),
                metric(
                    "http.server.requests",
                    "{request}",
                    Data::Sum(Sum {
                        data_points: counters,
                        aggregation_temporality: cumulative,
                        is_monotonic: true,
                    }),
                ),
            ],
            schema_url: String::new(),
        }],
        schema_url: String::new(),
    }
}

/// Sends the load generator's spans (timestamped now) at `--span-rate` for `--span-seconds`;
/// returns the phase's (start, end) in unix nanoseconds and the spans sent.
async fn send_spans(
    server: &ServerProcess,
    args: &MetricsArgs,
) -> anyhow::Result<(u64, u64, usize)> {
    let channel = tonic::transport::Endpoint::from_shared(server.grpc().to_string())?
        .connect()
        .await?;
    let mut client = tonic::client::Grpc::new(channel);
    let path = http::uri::PathAndQuery::from_static(TRACES_EXPORT);
    let refused = AtomicU64::new(0);
    let begin = now_unix_nano();
    let mut generator = TrafficGenerator::with_start_time(args.seed, begin - 3600 * SECOND);
    let batch = 512;
    let period = Duration::from_secs_f64(batch as f64 / args.span_rate.max(1) as f64);
    let mut ticker = tokio::time::interval(period);
    let deadline = Instant::now() + Duration::from_secs(args.span_seconds);
    let mut spans = 0;
    while Instant::now() < deadline {
        ticker.tick().await;
        let request = generator.traces(batch, now_unix_nano());
        spans += spans_in(&request);
        send_one(
            &mut client,
            &Bytes::from(request.encode_to_vec()),
            &path,
            &refused,
        )
        .await?;
    }
    Ok((begin, now_unix_nano(), spans))
}

/// Runs the benchmark and prints its results.
pub async fn run(args: MetricsArgs) -> anyhow::Result<()> {
    let temp = tempfile::tempdir()?;
    let data_dir = args
        .data_dir
        .clone()
        .unwrap_or_else(|| temp.path().join("data"));
    println!("machine: {}", describe());
    let ingest = stored_blocks(&data_dir, "metrics")?.is_empty();
    if ingest {
        println!(
            "command: sightline-bench metrics --series {} --hours {} --batch-points {} --connections {} --in-flight {} --span-seconds {} --span-rate {} --memory-limit-mib {} --runs {} --query-budget-secs {} --seed {}",
            args.series,
            args.hours,
            args.batch_points,
            args.connections,
            args.in_flight,
            args.span_seconds,
            args.span_rate,
            args.memory_limit_mib,
            args.runs,
            args.query_budget_secs,
            args.seed
        );
        ingest_and_stop(&args, &data_dir).await?;
    } else {
        println!(
            "command: sightline-bench metrics --data-dir {} --runs {} --query-budget-secs {} (stored data: ingest skipped)",
            data_dir.display(),
            args.runs,
            args.query_budget_secs
        );
    }

    let blocks = stored_blocks(&data_dir, "metrics")?;
    if blocks.is_empty() {
        bail!("no metrics blocks under {}", data_dir.display());
    }
    let rows: u64 = blocks.iter().map(|b| b.rows).sum();
    let bytes: u64 = blocks.iter().map(|b| b.bytes).sum();
    println!(
        "storage: {rows} data points in {} metrics blocks, {:.1} MB = {:.2} bytes/data point",
        blocks.len(),
        bytes as f64 / 1e6,
        bytes as f64 / rows.max(1) as f64
    );
    let state: serde_json::Value = std::fs::read(data_dir.join(STATE_FILE))
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .unwrap_or_default();
    let start = blocks.iter().map(|b| b.min_time).min().unwrap_or(0) / SECOND * SECOND;
    let end = blocks.iter().map(|b| b.max_time).max().unwrap_or(0) / SECOND * SECOND + SECOND;
    let plan = QueryPlan {
        start,
        end,
        spans: state["span_start"].as_u64().zip(state["span_end"].as_u64()),
        metrics_end: state["metrics_end"].as_u64(),
        runs: args.runs,
        budget: Duration::from_secs(args.query_budget_secs),
    };
    let server =
        ServerProcess::start_on(&args.sightline_bin, &data_dir, args.memory_limit_mib).await?;
    let outcome = metrics_queries::run(&server, &plan).await;
    server.terminate()?;
    outcome
}

/// Generates the workload, sends it and the spans, stops the server and prints the numbers.
async fn ingest_and_stop(args: &MetricsArgs, data_dir: &Path) -> anyhow::Result<()> {
    let started = Instant::now();
    let workload = tokio::task::block_in_place(|| generate(args));
    println!(
        "workload: {} data points ({} histogram + {} counter series, {} h at {INTERVAL_SECS} s) in {} requests, {:.1} MB OTLP protobuf ({:.0} bytes/point), generated in {:.1}s",
        workload.points,
        args.series,
        args.series,
        args.hours,
        workload.requests.len(),
        workload.protobuf_bytes as f64 / 1e6,
        workload.protobuf_bytes as f64 / workload.points.max(1) as f64,
        started.elapsed().as_secs_f64()
    );
    std::fs::create_dir_all(data_dir)?;
    let server =
        ServerProcess::start_on(&args.sightline_bin, data_dir, args.memory_limit_mib).await?;
    let pid = server.pid();
    let requests = Arc::new(workload.requests.clone());
    let (elapsed, refusals) = send_all(
        server.grpc(),
        METRICS_EXPORT,
        requests,
        args.connections,
        args.in_flight,
    )
    .await?;
    let peak_rss = process_memory(pid).map_or(0, |(hwm, _)| hwm);
    let seconds = elapsed.as_secs_f64();
    println!(
        "durable ingest: {:.0} data points/s, {:.1} MB/s of OTLP protobuf ({} points in {seconds:.1}s, WAL fsync on, {refusals} retryable refusals); peak server RSS {:.0} MiB",
        workload.points as f64 / seconds,
        workload.protobuf_bytes as f64 / 1e6 / seconds,
        workload.points,
        peak_rss as f64 / (1 << 20) as f64
    );
    let metrics_end = workload.last_time;
    drop(workload);
    let (span_start, span_end, spans) = send_spans(&server, args).await?;
    println!(
        "span traffic for span metrics: {spans} spans over {:.0}s (metrics generator on)",
        (span_end - span_start) as f64 / 1e9
    );
    std::fs::write(
        data_dir.join(STATE_FILE),
        serde_json::json!({
            "span_start": span_start,
            "span_end": span_end,
            "metrics_end": metrics_end,
        })
        .to_string(),
    )?;
    let stopping = Instant::now();
    server.terminate()?;
    println!(
        "shutdown (write heads to blocks): {:.1}s",
        stopping.elapsed().as_secs_f64()
    );
    Ok(())
}
