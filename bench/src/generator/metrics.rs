//! Metric generation: per service, request counters and duration histograms per operation,
//! a request-size exponential histogram, process gauges and CPU-time sums, connection-pool
//! up-down counters and (for Go services) a GC summary. Cumulative state lives in
//! [`MetricsState`], so values only grow between calls and all share the generator's start time.

use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;
use opentelemetry_proto::tonic::common::v1::KeyValue;
use opentelemetry_proto::tonic::metrics::v1::exponential_histogram_data_point::Buckets;
use opentelemetry_proto::tonic::metrics::v1::summary_data_point::ValueAtQuantile;
use opentelemetry_proto::tonic::metrics::v1::{
    AggregationTemporality, Exemplar, ExponentialHistogram, ExponentialHistogramDataPoint, Gauge,
    Histogram, HistogramDataPoint, Metric, NumberDataPoint, ResourceMetrics, ScopeMetrics, Sum,
    Summary, SummaryDataPoint, exemplar, metric::Data, number_data_point,
};
use rand::Rng;
use rand::rngs::StdRng;

use super::resources::ScopeKind;
use super::traces::SCHEMA_URL;
use super::values::{kv_int, kv_str};
use super::{RecentSpan, TrafficGenerator};
use crate::topology::{Entry, Language, OperationId, Protocol, Topology, lat};

/// Default bucket bounds of `http.server.request.duration` (seconds).
pub const HTTP_DURATION_BOUNDS: [f64; 14] = [
    0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0,
];
/// Default bucket bounds of `rpc.server.duration` (milliseconds).
pub const RPC_DURATION_BOUNDS: [f64; 15] = [
    0.0, 5.0, 10.0, 25.0, 50.0, 75.0, 100.0, 250.0, 500.0, 750.0, 1000.0, 2500.0, 5000.0, 7500.0,
    10000.0,
];

/// Scale of the request-size exponential histograms.
const EXPONENTIAL_SCALE: i32 = 2;
/// At most this many values are sampled per series and call; counts are spread over them.
const MAX_SAMPLES: u64 = 48;
const CUMULATIVE: i32 = AggregationTemporality::Cumulative as i32;

/// Cumulative explicit-bucket histogram.
#[derive(Clone, Debug, Default)]
struct HistogramState {
    buckets: Vec<u64>,
    count: u64,
    sum: f64,
    min: f64,
    max: f64,
}

impl HistogramState {
    fn record(&mut self, bounds: &[f64], value: f64, weight: u64) {
        if self.buckets.is_empty() {
            self.buckets = vec![0; bounds.len() + 1];
            self.min = f64::MAX;
        }
        let bucket = bounds.partition_point(|&bound| bound < value);
        self.buckets[bucket] += weight;
        self.count += weight;
        self.sum += value * weight as f64;
        self.min = self.min.min(value);
        self.max = self.max.max(value);
    }
}

/// Cumulative base-2 exponential histogram with a fixed scale and offset 0.
#[derive(Clone, Debug, Default)]
struct ExponentialState {
    positive: Vec<u64>,
    count: u64,
    sum: f64,
    min: f64,
    max: f64,
}

impl ExponentialState {
    fn record(&mut self, value: f64, weight: u64) {
        let value = value.max(2.0);
        let index = ((value.log2() * f64::from(1 << EXPONENTIAL_SCALE)).ceil() - 1.0) as usize;
        if self.positive.len() <= index {
            self.positive.resize(index + 1, 0);
        }
        if self.count == 0 {
            self.min = f64::MAX;
        }
        self.positive[index] += weight;
        self.count += weight;
        self.sum += value * weight as f64;
        self.min = self.min.min(value);
        self.max = self.max.max(value);
    }
}

/// Counters and latency histogram of one operation.
#[derive(Clone, Debug)]
struct OperationMetrics {
    operation: OperationId,
    requests_per_second: f64,
    ok: u64,
    errors: u64,
    duration: HistogramState,
}

/// Cumulative state of one service.
#[derive(Clone, Debug)]
struct ServiceMetrics {
    operations: Vec<OperationMetrics>,
    request_size: ExponentialState,
    cpu_user_seconds: f64,
    cpu_system_seconds: f64,
    memory_bytes: i64,
    threads: i64,
    uses_database: bool,
    gc: Option<(u64, f64)>,
}

/// Cumulative metric state of a generator.
#[derive(Clone, Debug)]
pub(crate) struct MetricsState {
    start_unix_nano: u64,
    last_unix_nano: Option<u64>,
    services: Vec<ServiceMetrics>,
}

impl MetricsState {
    /// Fresh state; cumulative series start at `start_unix_nano`.
    pub(crate) fn new(topology: &Topology, rng: &mut StdRng, start_unix_nano: u64) -> Self {
        let services = (0..topology.services.len())
            .map(|service| ServiceMetrics {
                operations: topology
                    .operations
                    .iter()
                    .enumerate()
                    .filter(|(_, op)| op.service == service)
                    .map(|(operation, _)| OperationMetrics {
                        operation,
                        requests_per_second: rng.random_range(2.0..60.0),
                        ok: 0,
                        errors: 0,
                        duration: HistogramState::default(),
                    })
                    .collect(),
                request_size: ExponentialState::default(),
                cpu_user_seconds: 0.0,
                cpu_system_seconds: 0.0,
                memory_bytes: rng.random_range(60_000_000..600_000_000),
                threads: rng.random_range(8..64),
                uses_database: topology.uses_database(service),
                gc: (topology.services[service].language == Language::Go).then_some((0, 0.0)),
            })
            .collect();
        Self {
            start_unix_nano,
            last_unix_nano: None,
            services,
        }
    }
}

fn number(
    value: number_data_point::Value,
    attributes: Vec<KeyValue>,
    start: u64,
    time: u64,
) -> NumberDataPoint {
    NumberDataPoint {
        attributes,
        start_time_unix_nano: start,
        time_unix_nano: time,
        value: Some(value),
        ..Default::default()
    }
}

fn metric(name: &str, description: &str, unit: &str, data: Data) -> Metric {
    Metric {
        name: name.to_owned(),
        description: description.to_owned(),
        unit: unit.to_owned(),
        metadata: Vec::new(),
        data: Some(data),
    }
}

fn sum(points: Vec<NumberDataPoint>, monotonic: bool) -> Data {
    Data::Sum(Sum {
        data_points: points,
        aggregation_temporality: CUMULATIVE,
        is_monotonic: monotonic,
    })
}

/// Randomised rounding of `expected` to an integer.
fn draw_count(rng: &mut StdRng, expected: f64) -> u64 {
    (expected + rng.random::<f64>()) as u64
}

/// Records `count` values drawn by `sample` into `record`, sampling at most [`MAX_SAMPLES`].
fn record_weighted(
    rng: &mut StdRng,
    count: u64,
    mut sample: impl FnMut(&mut StdRng) -> f64,
    mut record: impl FnMut(f64, u64),
) {
    let samples = count.min(MAX_SAMPLES);
    for i in 0..samples {
        let weight = count / samples + u64::from(i < count % samples);
        record(sample(rng), weight);
    }
}

impl TrafficGenerator {
    /// Generates one cumulative snapshot of every service's metrics at `now_unix_nano`; values
    /// advance by the time passed since the previous call.
    pub fn metrics(&mut self, now_unix_nano: u64) -> ExportMetricsServiceRequest {
        let state = &mut self.metrics;
        let since = state.last_unix_nano.unwrap_or(state.start_unix_nano);
        let elapsed = (now_unix_nano.saturating_sub(since) as f64 / 1e9).clamp(1.0, 600.0);
        state.last_unix_nano = Some(now_unix_nano);
        let start = state.start_unix_nano;
        let mut resource_metrics = Vec::with_capacity(state.services.len());
        for service in 0..state.services.len() {
            let scope_metrics = self.service_metrics(service, elapsed, start, now_unix_nano);
            resource_metrics.push(ResourceMetrics {
                resource: Some(self.pod(service)),
                scope_metrics,
                schema_url: SCHEMA_URL.to_owned(),
            });
        }
        ExportMetricsServiceRequest { resource_metrics }
    }

    /// Advances and renders the metrics of `service`, grouped by scope.
    fn service_metrics(
        &mut self,
        service: usize,
        elapsed: f64,
        start: u64,
        now: u64,
    ) -> Vec<ScopeMetrics> {
        let Self {
            rng,
            topology,
            metrics,
            recent,
            last_span,
            scopes,
            ..
        } = self;
        let state = &mut metrics.services[service];
        let protocol = topology.services[service].protocol;
        let service_scopes = &scopes[service];
        let mut by_scope: Vec<(usize, Vec<Metric>)> = Vec::new();
        let mut push = |kind: ScopeKind, metric: Metric| {
            let slot = service_scopes.slot[kind as usize];
            match by_scope.iter_mut().find(|(s, _)| *s == slot) {
                Some((_, metrics)) => metrics.push(metric),
                None => by_scope.push((slot, vec![metric])),
            }
        };

        let mut total_requests = 0;
        for kind in [ScopeKind::HttpServer, ScopeKind::Grpc, ScopeKind::Messaging] {
            let mut counts = Vec::new();
            let mut durations = Vec::new();
            for op_state in state.operations.iter_mut() {
                let op = &topology.operations[op_state.operation];
                let (attributes, bounds, scale): (Vec<KeyValue>, &[f64], f64) =
                    match (op.entry, kind) {
                        (Entry::Http { method, route }, ScopeKind::HttpServer) => (
                            vec![
                                kv_str("http.request.method", method),
                                kv_str("http.route", route),
                            ],
                            &HTTP_DURATION_BOUNDS,
                            1e-9,
                        ),
                        (Entry::Grpc { method }, ScopeKind::Grpc) => (
                            vec![
                                kv_str("rpc.system", "grpc"),
                                kv_str("rpc.service", topology.services[service].rpc_service),
                                kv_str("rpc.method", method),
                            ],
                            &RPC_DURATION_BOUNDS,
                            1e-6,
                        ),
                        (Entry::Consumer { topic }, ScopeKind::Messaging) => (
                            vec![
                                kv_str("messaging.system", "kafka"),
                                kv_str("messaging.destination.name", topic),
                            ],
                            &HTTP_DURATION_BOUNDS,
                            1e-9,
                        ),
                        _ => continue,
                    };
                let noise = rng.random_range(0.8..1.2);
                let requests = draw_count(rng, op_state.requests_per_second * elapsed * noise);
                let error_rate = 0.004 + op.failures.iter().map(|f| f.probability).sum::<f64>();
                let errors = draw_count(rng, requests as f64 * error_rate).min(requests);
                op_state.ok += requests - errors;
                op_state.errors += errors;
                total_requests += requests;
                let fan_out = 1.0 + 0.8 * op.calls.len() as f64;
                let latency = op.self_latency;
                let duration = &mut op_state.duration;
                record_weighted(
                    rng,
                    requests,
                    |rng| latency.sample_ns(rng) as f64 * fan_out * scale,
                    |value, weight| duration.record(bounds, value, weight),
                );
                let status_key = match kind {
                    ScopeKind::HttpServer => Some(("http.response.status_code", 200, 500)),
                    ScopeKind::Grpc => Some(("rpc.grpc.status_code", 0, 2)),
                    _ => None,
                };
                for (value, status) in [(op_state.ok, 0), (op_state.errors, 1)] {
                    if status == 1 && value == 0 {
                        continue;
                    }
                    let mut point_attributes = attributes.clone();
                    if let Some((key, ok, error)) = status_key {
                        point_attributes.push(kv_int(key, if status == 0 { ok } else { error }));
                    } else if status == 1 {
                        point_attributes.push(kv_str("error.type", "_OTHER"));
                    }
                    counts.push(number(
                        number_data_point::Value::AsInt(value as i64),
                        point_attributes,
                        start,
                        now,
                    ));
                }
                if duration.count > 0 {
                    let exemplars = exemplar_for(
                        recent
                            .iter()
                            .rev()
                            .take(256)
                            .chain(last_span[service].iter()),
                        op_state.operation,
                        scale,
                        rng,
                    );
                    durations.push(HistogramDataPoint {
                        attributes,
                        start_time_unix_nano: start,
                        time_unix_nano: now,
                        count: duration.count,
                        sum: Some(duration.sum),
                        bucket_counts: duration.buckets.clone(),
                        explicit_bounds: bounds.to_vec(),
                        exemplars,
                        flags: 0,
                        min: Some(duration.min),
                        max: Some(duration.max),
                    });
                }
            }
            if counts.is_empty() {
                continue;
            }
            let (count_name, duration_name, unit) = match kind {
                ScopeKind::HttpServer => (
                    "http.server.request.count",
                    "http.server.request.duration",
                    "s",
                ),
                ScopeKind::Grpc => ("rpc.server.request.count", "rpc.server.duration", "ms"),
                _ => (
                    "messaging.client.consumed.messages",
                    "messaging.process.duration",
                    "s",
                ),
            };
            push(
                kind,
                metric(
                    count_name,
                    "Number of requests served.",
                    "{request}",
                    sum(counts, true),
                ),
            );
            let histogram = Histogram {
                data_points: durations,
                aggregation_temporality: CUMULATIVE,
            };
            push(
                kind,
                metric(
                    duration_name,
                    "Duration of requests served.",
                    unit,
                    Data::Histogram(histogram),
                ),
            );
        }

        let sizes = &mut state.request_size;
        let size = lat(800, 1.0);
        record_weighted(
            rng,
            total_requests,
            |rng| size.sample_ns(rng) as f64 / 1_000.0,
            |value, weight| sizes.record(value, weight),
        );
        if sizes.count > 0 {
            let (name, scope) = match protocol {
                Protocol::Http => ("http.server.request.body.size", ScopeKind::HttpServer),
                Protocol::Grpc => ("rpc.server.request.size", ScopeKind::Grpc),
            };
            let point = ExponentialHistogramDataPoint {
                start_time_unix_nano: start,
                time_unix_nano: now,
                count: sizes.count,
                sum: Some(sizes.sum),
                scale: EXPONENTIAL_SCALE,
                positive: Some(Buckets {
                    offset: 0,
                    bucket_counts: sizes.positive.clone(),
                }),
                min: Some(sizes.min),
                max: Some(sizes.max),
                ..Default::default()
            };
            let data = Data::ExponentialHistogram(ExponentialHistogram {
                data_points: vec![point],
                aggregation_temporality: CUMULATIVE,
            });
            push(scope, metric(name, "Size of request bodies.", "By", data));
        }

        for metric in runtime_metrics(state, rng, elapsed, start, now) {
            push(ScopeKind::Runtime, metric);
        }
        by_scope
            .into_iter()
            .map(|(slot, metrics)| ScopeMetrics {
                scope: Some(service_scopes.unique[slot].clone()),
                metrics,
                schema_url: String::new(),
            })
            .collect()
    }
}

/// Maybe one exemplar from a recent span of `operation`.
fn exemplar_for<'a>(
    mut candidates: impl Iterator<Item = &'a RecentSpan>,
    operation: OperationId,
    scale: f64,
    rng: &mut StdRng,
) -> Vec<Exemplar> {
    if !rng.random_bool(0.5) {
        return Vec::new();
    }
    match candidates.find(|span| span.operation == operation) {
        Some(span) => vec![Exemplar {
            filtered_attributes: Vec::new(),
            time_unix_nano: span.end,
            span_id: span.span_id.to_vec(),
            trace_id: span.trace_id.to_vec(),
            value: Some(exemplar::Value::AsDouble(
                (span.end - span.start) as f64 * scale,
            )),
        }],
        None => Vec::new(),
    }
}

/// Process gauges and sums, connection-pool counts and the Go GC summary.
fn runtime_metrics(
    state: &mut ServiceMetrics,
    rng: &mut StdRng,
    elapsed: f64,
    start: u64,
    now: u64,
) -> Vec<Metric> {
    use number_data_point::Value::{AsDouble, AsInt};
    let utilization: f64 = rng.random_range(0.02..0.85);
    state.cpu_user_seconds += elapsed * utilization * 0.8;
    state.cpu_system_seconds += elapsed * utilization * 0.2;
    state.memory_bytes = (state.memory_bytes as f64 * rng.random_range(0.96..1.045)) as i64;
    state.threads = (state.threads + rng.random_range(-2..=2)).max(4);
    let mut out = vec![
        metric(
            "process.cpu.time",
            "Total CPU seconds broken down by different CPU modes.",
            "s",
            sum(
                vec![
                    number(
                        AsDouble(state.cpu_user_seconds),
                        vec![kv_str("cpu.mode", "user")],
                        start,
                        now,
                    ),
                    number(
                        AsDouble(state.cpu_system_seconds),
                        vec![kv_str("cpu.mode", "system")],
                        start,
                        now,
                    ),
                ],
                true,
            ),
        ),
        metric(
            "process.cpu.utilization",
            "Difference in process.cpu.time since the last measurement, divided by the elapsed time and number of CPUs.",
            "1",
            Data::Gauge(Gauge {
                data_points: vec![number(AsDouble(utilization), Vec::new(), 0, now)],
            }),
        ),
        metric(
            "process.memory.usage",
            "The amount of physical memory in use.",
            "By",
            Data::Gauge(Gauge {
                data_points: vec![number(AsInt(state.memory_bytes), Vec::new(), 0, now)],
            }),
        ),
        metric(
            "process.thread.count",
            "Process threads count.",
            "{thread}",
            Data::Gauge(Gauge {
                data_points: vec![number(AsInt(state.threads), Vec::new(), 0, now)],
            }),
        ),
    ];
    if state.uses_database {
        let used = rng.random_range(0..=10);
        let pool = |state: &'static str, value: i64| {
            let attributes = vec![
                kv_str("db.client.connection.pool.name", "shop"),
                kv_str("db.client.connection.state", state),
            ];
            number(AsInt(value), attributes, start, now)
        };
        out.push(metric(
            "db.client.connection.count",
            "The number of connections that are currently in state described by the state attribute.",
            "{connection}",
            sum(vec![pool("idle", 10 - used), pool("used", used)], false),
        ));
    }
    if let Some((count, total)) = &mut state.gc {
        let per_second = rng.random_range(0.2..2.0);
        let collections = draw_count(rng, elapsed * per_second);
        *count += collections;
        *total += collections as f64 * rng.random_range(0.0001..0.0008);
        let mut quantiles =
            [0.00004, 0.00009, 0.00015, 0.00028, 0.0012].map(|v| v * rng.random_range(0.8..1.25));
        quantiles.sort_by(f64::total_cmp);
        let quantile_values = [0.0, 0.25, 0.5, 0.75, 1.0]
            .into_iter()
            .zip(quantiles)
            .map(|(quantile, value)| ValueAtQuantile { quantile, value })
            .collect();
        let point = SummaryDataPoint {
            start_time_unix_nano: start,
            time_unix_nano: now,
            count: *count,
            sum: *total,
            quantile_values,
            ..Default::default()
        };
        out.push(metric(
            "go_gc_duration_seconds",
            "A summary of the wall-time pause (stop-the-world) duration in garbage collection cycles.",
            "s",
            Data::Summary(Summary { data_points: vec![point] }),
        ));
    }
    out
}

#[cfg(test)]
mod tests;
