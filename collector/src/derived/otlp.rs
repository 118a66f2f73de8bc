//! A tenant's series as one OTLP `ExportMetricsServiceRequest`: cumulative monotonic sums and
//! cumulative explicit-bucket histograms, every label a string attribute, metrics and points in
//! a fixed order so the same state always renders to the same bytes.
//!
//! Labels with an empty value are left out, as Prometheus treats an empty label as absent.
//! A series first seen since the previous collection also gets a zero point at its start (as
//! Prometheus' created-timestamp zero ingestion does), so `rate()` and `increase()` count its
//! first observations instead of taking them as the counter's starting value.
//! Units are left empty where an OTLP-to-Prometheus name translation would append a suffix and
//! so change Tempo's metric name (`traces_spanmetrics_latency`, `..._size_total`).

use sightline_proto::otlp::collector::metrics::v1::ExportMetricsServiceRequest;
use sightline_proto::otlp::common::v1::any_value::Value;
use sightline_proto::otlp::common::v1::{AnyValue, InstrumentationScope, KeyValue};
use sightline_proto::otlp::metrics::v1::{
    AggregationTemporality, Exemplar, Histogram, HistogramDataPoint, Metric, NumberDataPoint,
    ResourceMetrics, ScopeMetrics, Sum, exemplar, metric, number_data_point,
};
use sightline_proto::otlp::resource::v1::Resource;
use sightline_proto::otlp::trace::v1::span::SpanKind;
use sightline_proto::otlp::trace::v1::status::StatusCode;

use super::DerivedMetricsConfig;
use super::pairing::Side;
use super::series::{self, EdgeKey, SideKey, Snapshot, SpanKey};

/// `service.name` of the resource every derived metric is emitted under.
pub const GENERATOR_SERVICE_NAME: &str = "sightline-metrics-generator";
/// Instrumentation scope name of every derived metric.
pub const SCOPE_NAME: &str = "sightline.derived";

/// Span-metrics request counter.
pub const SPANMETRICS_CALLS: &str = "traces_spanmetrics_calls_total";
/// Span-metrics duration histogram, seconds.
pub const SPANMETRICS_LATENCY: &str = "traces_spanmetrics_latency";
/// Span-metrics encoded span size counter, bytes.
pub const SPANMETRICS_SIZE: &str = "traces_spanmetrics_size_total";
/// Requests between two nodes.
pub const GRAPH_REQUESTS: &str = "traces_service_graph_request_total";
/// Failed requests between two nodes.
pub const GRAPH_FAILED: &str = "traces_service_graph_request_failed_total";
/// Request duration seen by the server, seconds.
pub const GRAPH_SERVER_SECONDS: &str = "traces_service_graph_request_server_seconds";
/// Request duration seen by the client, seconds.
pub const GRAPH_CLIENT_SECONDS: &str = "traces_service_graph_request_client_seconds";
/// Time between producer end and consumer start, seconds.
pub const GRAPH_MESSAGING_SECONDS: &str = "traces_service_graph_request_messaging_system_seconds";
/// Halves that expired without a partner.
pub const GRAPH_UNPAIRED: &str = "traces_service_graph_unpaired_spans_total";
/// Halves refused because the pairing store was full.
pub const GRAPH_DROPPED: &str = "traces_service_graph_dropped_spans_total";

const CUMULATIVE: i32 = AggregationTemporality::Cumulative as i32;

/// The request for one tenant's snapshot, or `None` when it holds no series.
pub(super) fn render(
    mut snapshot: Snapshot,
    config: &DerivedMetricsConfig,
    now_unix_nano: u64,
    previous_unix_nano: Option<u64>,
) -> Option<ExportMetricsServiceRequest> {
    if snapshot.is_empty() {
        return None;
    }
    snapshot.sort();
    let time = |start: u64| Times {
        start: start.min(now_unix_nano),
        now: now_unix_nano,
    };
    let span_bounds = &config.span_metrics_buckets;
    let graph_bounds = &config.service_graph_buckets;
    let mut metrics = Vec::new();

    let spans = &snapshot.spans;
    let span_labels: Vec<Vec<KeyValue>> = spans.iter().map(|(k, _, _)| span_labels(k)).collect();
    let points = spans.iter().zip(&span_labels);
    push_sum(
        &mut metrics,
        SPANMETRICS_CALLS,
        "Total count of the spans",
        "",
        points
            .clone()
            .map(|((_, s, v), l)| int_point(l, time(*s), v.calls)),
    );
    push_histogram(
        &mut metrics,
        SPANMETRICS_LATENCY,
        "Latency of the spans, seconds",
        "",
        points
            .clone()
            .map(|((_, s, v), l)| hist_point(l, time(*s), span_bounds, &v.latency)),
    );
    push_sum(
        &mut metrics,
        SPANMETRICS_SIZE,
        "Total size of the spans, bytes of their OTLP encoding",
        "",
        points.map(|((_, s, v), l)| int_point(l, time(*s), v.size_bytes)),
    );

    let edges = &snapshot.edges;
    let edge_labels: Vec<Vec<KeyValue>> = edges.iter().map(|(k, _, _)| edge_labels(k)).collect();
    let points = edges.iter().zip(&edge_labels);
    push_sum(
        &mut metrics,
        GRAPH_REQUESTS,
        "Total count of requests between two nodes",
        "",
        points
            .clone()
            .map(|((_, s, v), l)| int_point(l, time(*s), v.requests)),
    );
    push_sum(
        &mut metrics,
        GRAPH_FAILED,
        "Total count of failed requests between two nodes",
        "",
        points
            .clone()
            .filter(|((_, _, v), _)| v.failed > 0)
            .map(|((_, s, v), l)| int_point(l, time(*s), v.failed)),
    );
    push_histogram(
        &mut metrics,
        GRAPH_SERVER_SECONDS,
        "Time for a request between two nodes as seen from the server",
        "s",
        points
            .clone()
            .map(|((_, s, v), l)| hist_point(l, time(*s), graph_bounds, &v.server)),
    );
    push_histogram(
        &mut metrics,
        GRAPH_CLIENT_SECONDS,
        "Time for a request between two nodes as seen from the client",
        "s",
        points
            .clone()
            .map(|((_, s, v), l)| hist_point(l, time(*s), graph_bounds, &v.client)),
    );
    push_histogram(
        &mut metrics,
        GRAPH_MESSAGING_SECONDS,
        "Time between the producer span's end and the consumer span's start",
        "s",
        points
            .filter(|((_, _, v), _)| v.messaging.count > 0)
            .map(|((_, s, v), l)| hist_point(l, time(*s), graph_bounds, &v.messaging)),
    );
    for (name, help, list) in [
        (
            GRAPH_UNPAIRED,
            "Total count of unpaired spans",
            &snapshot.unpaired,
        ),
        (
            GRAPH_DROPPED,
            "Total count of dropped spans",
            &snapshot.dropped,
        ),
    ] {
        let points = list.iter().map(|(k, s, count)| {
            let labels = side_labels(k);
            int_point(&labels, time(*s), *count)
        });
        push_sum(&mut metrics, name, help, "", points);
    }

    inject_zero_points(&mut metrics, previous_unix_nano);
    Some(ExportMetricsServiceRequest {
        resource_metrics: vec![ResourceMetrics {
            resource: Some(Resource {
                attributes: vec![string_attribute("service.name", GENERATOR_SERVICE_NAME)],
                ..Default::default()
            }),
            scope_metrics: vec![ScopeMetrics {
                scope: Some(InstrumentationScope {
                    name: SCOPE_NAME.to_string(),
                    version: env!("CARGO_PKG_VERSION").to_string(),
                    ..Default::default()
                }),
                metrics,
                schema_url: String::new(),
            }],
            schema_url: String::new(),
        }],
    })
}

#[derive(Clone, Copy)]
struct Times {
    start: u64,
    now: u64,
}

/// `SPAN_KIND_SERVER`, ... (the enum's number for values OTLP does not define).
pub(super) fn span_kind_name(kind: i32) -> String {
    SpanKind::try_from(kind).map_or_else(|_| kind.to_string(), |k| k.as_str_name().to_string())
}

/// `STATUS_CODE_UNSET`, `STATUS_CODE_OK`, `STATUS_CODE_ERROR`.
pub(super) fn status_code_name(code: i32) -> String {
    StatusCode::try_from(code).map_or_else(|_| code.to_string(), |c| c.as_str_name().to_string())
}

fn span_labels(key: &SpanKey) -> Vec<KeyValue> {
    labels(&[
        ("service", &key.service),
        ("span_name", &key.span_name),
        ("span_kind", &span_kind_name(key.kind)),
        ("status_code", &status_code_name(key.status)),
    ])
}

fn edge_labels(key: &EdgeKey) -> Vec<KeyValue> {
    labels(&[
        ("client", &key.client),
        ("server", &key.server),
        ("connection_type", key.connection.as_str()),
    ])
}

fn side_labels(key: &SideKey) -> Vec<KeyValue> {
    let name = match key.side {
        Side::Client => "client",
        Side::Server => "server",
    };
    labels(&[(name, &key.service)])
}

fn labels(pairs: &[(&str, &str)]) -> Vec<KeyValue> {
    pairs
        .iter()
        .filter(|(_, value)| !value.is_empty())
        .map(|(key, value)| string_attribute(key, value))
        .collect()
}

fn string_attribute(key: &str, value: &str) -> KeyValue {
    KeyValue {
        key: key.to_string(),
        value: Some(AnyValue {
            value: Some(Value::StringValue(value.to_string())),
        }),
        ..Default::default()
    }
}

/// Puts a zero point at the start of every series that started after `previous` (every series
/// at the first collection), before its current point.
fn inject_zero_points(metrics: &mut [Metric], previous: Option<u64>) {
    let fresh = |start: u64, time: u64| start < time && previous.is_none_or(|p| start > p);
    for metric in metrics {
        match &mut metric.data {
            Some(metric::Data::Sum(sum)) => {
                let points = std::mem::take(&mut sum.data_points);
                for point in points {
                    if fresh(point.start_time_unix_nano, point.time_unix_nano) {
                        sum.data_points.push(NumberDataPoint {
                            time_unix_nano: point.start_time_unix_nano,
                            value: Some(number_data_point::Value::AsInt(0)),
                            exemplars: Vec::new(),
                            ..point.clone()
                        });
                    }
                    sum.data_points.push(point);
                }
            }
            Some(metric::Data::Histogram(histogram)) => {
                let points = std::mem::take(&mut histogram.data_points);
                for point in points {
                    if fresh(point.start_time_unix_nano, point.time_unix_nano) {
                        histogram.data_points.push(HistogramDataPoint {
                            time_unix_nano: point.start_time_unix_nano,
                            count: 0,
                            sum: Some(0.0),
                            bucket_counts: vec![0; point.bucket_counts.len()],
                            exemplars: Vec::new(),
                            min: None,
                            max: None,
                            ..point.clone()
                        });
                    }
                    histogram.data_points.push(point);
                }
            }
            _ => {}
        }
    }
}

fn int_point(labels: &[KeyValue], time: Times, value: u64) -> NumberDataPoint {
    NumberDataPoint {
        attributes: labels.to_vec(),
        start_time_unix_nano: time.start,
        time_unix_nano: time.now,
        value: Some(number_data_point::Value::AsInt(
            i64::try_from(value).unwrap_or(i64::MAX),
        )),
        ..Default::default()
    }
}

fn hist_point(
    labels: &[KeyValue],
    time: Times,
    bounds: &[f64],
    histogram: &series::Histogram,
) -> HistogramDataPoint {
    HistogramDataPoint {
        attributes: labels.to_vec(),
        start_time_unix_nano: time.start,
        time_unix_nano: time.now,
        count: histogram.count,
        sum: Some(histogram.sum),
        bucket_counts: histogram.buckets.clone(),
        explicit_bounds: bounds.to_vec(),
        exemplars: histogram
            .exemplar
            .iter()
            .map(|e| Exemplar {
                time_unix_nano: e.time_unix_nano,
                span_id: e.span_id.to_vec(),
                trace_id: e.trace_id.to_vec(),
                value: Some(exemplar::Value::AsDouble(e.value)),
                ..Default::default()
            })
            .collect(),
        ..Default::default()
    }
}

fn push_sum(
    metrics: &mut Vec<Metric>,
    name: &str,
    description: &str,
    unit: &str,
    points: impl Iterator<Item = NumberDataPoint>,
) {
    let data_points: Vec<NumberDataPoint> = points.collect();
    if data_points.is_empty() {
        return;
    }
    metrics.push(Metric {
        name: name.to_string(),
        description: description.to_string(),
        unit: unit.to_string(),
        data: Some(metric::Data::Sum(Sum {
            data_points,
            aggregation_temporality: CUMULATIVE,
            is_monotonic: true,
        })),
        ..Default::default()
    });
}

fn push_histogram(
    metrics: &mut Vec<Metric>,
    name: &str,
    description: &str,
    unit: &str,
    points: impl Iterator<Item = HistogramDataPoint>,
) {
    let data_points: Vec<HistogramDataPoint> = points.collect();
    if data_points.is_empty() {
        return;
    }
    metrics.push(Metric {
        name: name.to_string(),
        description: description.to_string(),
        unit: unit.to_string(),
        data: Some(metric::Data::Histogram(Histogram {
            data_points,
            aggregation_temporality: CUMULATIVE,
        })),
        ..Default::default()
    });
}
