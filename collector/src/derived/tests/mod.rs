//! Tests of the derived-metrics processor: builders for hand-made exports and readers for the
//! OTLP metrics that `collect` returns.

mod limits;
mod output;
mod speed;
mod topology;

use std::collections::BTreeMap;

use sightline_proto::otlp::collector::metrics::v1::ExportMetricsServiceRequest;
use sightline_proto::otlp::collector::trace::v1::ExportTraceServiceRequest;
use sightline_proto::otlp::common::v1::any_value::Value;
use sightline_proto::otlp::common::v1::{AnyValue, KeyValue};
use sightline_proto::otlp::metrics::v1::{HistogramDataPoint, Metric, metric, number_data_point};
use sightline_proto::otlp::resource::v1::Resource;
use sightline_proto::otlp::trace::v1::span::SpanKind;
use sightline_proto::otlp::trace::v1::{ResourceSpans, ScopeSpans, Span, Status};
use sightline_storage::TenantId;

/// Unix time of the test traces' t = 0.
const T0: u64 = 1_700_000_000_000_000_000;
const MS: u64 = 1_000_000;

/// A span of trace `trace` with id `id` (both non-zero), starting `start_ms` after [`T0`].
fn span(
    trace: u64,
    id: u64,
    parent: Option<u64>,
    kind: SpanKind,
    name: &str,
    start_ms: u64,
    duration_ms: u64,
) -> Span {
    let mut trace_id = vec![0xAB; 8];
    trace_id.extend_from_slice(&trace.to_be_bytes());
    Span {
        trace_id,
        span_id: id.to_be_bytes().to_vec(),
        parent_span_id: parent.map_or_else(Vec::new, |p| p.to_be_bytes().to_vec()),
        name: name.to_string(),
        kind: kind as i32,
        start_time_unix_nano: T0 + start_ms * MS,
        end_time_unix_nano: T0 + (start_ms + duration_ms) * MS,
        ..Default::default()
    }
}

fn string_kv(key: &str, value: &str) -> KeyValue {
    KeyValue {
        key: key.to_string(),
        value: Some(AnyValue {
            value: Some(Value::StringValue(value.to_string())),
        }),
        ..Default::default()
    }
}

/// `span` with string attributes added.
fn with(mut span: Span, attributes: &[(&str, &str)]) -> Span {
    span.attributes
        .extend(attributes.iter().map(|(k, v)| string_kv(k, v)));
    span
}

/// `span` with status ERROR.
fn failed(mut span: Span) -> Span {
    span.status = Some(Status {
        code: 2,
        message: "boom".to_string(),
    });
    span
}

/// One export with one resource per `(service, spans)`.
fn export(parts: Vec<(&str, Vec<Span>)>) -> ExportTraceServiceRequest {
    ExportTraceServiceRequest {
        resource_spans: parts
            .into_iter()
            .map(|(service, spans)| ResourceSpans {
                resource: Some(Resource {
                    attributes: if service.is_empty() {
                        Vec::new()
                    } else {
                        vec![string_kv("service.name", service)]
                    },
                    ..Default::default()
                }),
                scope_spans: vec![ScopeSpans {
                    spans,
                    ..Default::default()
                }],
                ..Default::default()
            })
            .collect(),
    }
}

fn tenant(id: &str) -> TenantId {
    TenantId::new(id).expect("valid tenant")
}

type Labels = BTreeMap<String, String>;

fn labels(pairs: &[(&str, &str)]) -> Labels {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// Labels of an edge series.
fn edge(client: &str, server: &str, connection_type: &str) -> Labels {
    labels(&[
        ("client", client),
        ("server", server),
        ("connection_type", connection_type),
    ])
}

/// Labels of a span-metrics series.
fn span_key(service: &str, span_name: &str, kind: &str, status: &str) -> Labels {
    labels(&[
        ("service", service),
        ("span_name", span_name),
        ("span_kind", kind),
        ("status_code", status),
    ])
}

fn attributes_of(attributes: &[KeyValue]) -> Labels {
    attributes
        .iter()
        .map(|kv| {
            let value = match kv.value.as_ref().and_then(|v| v.value.as_ref()) {
                Some(Value::StringValue(s)) => s.clone(),
                other => panic!("label {} is not a string: {other:?}", kv.key),
            };
            (kv.key.clone(), value)
        })
        .collect()
}

fn metrics(request: &ExportMetricsServiceRequest) -> &[Metric] {
    assert_eq!(request.resource_metrics.len(), 1);
    let resource = &request.resource_metrics[0];
    assert_eq!(resource.scope_metrics.len(), 1);
    &resource.scope_metrics[0].metrics
}

fn metric<'a>(request: &'a ExportMetricsServiceRequest, name: &str) -> Option<&'a Metric> {
    metrics(request).iter().find(|m| m.name == name)
}

/// Points of a sum metric as (labels, time, value), in order (empty when the metric is absent).
fn sum_points(request: &ExportMetricsServiceRequest, name: &str) -> Vec<(Labels, u64, i64)> {
    let Some(found) = metric(request, name) else {
        return Vec::new();
    };
    let Some(metric::Data::Sum(sum)) = &found.data else {
        panic!("{name} is not a sum");
    };
    sum.data_points
        .iter()
        .map(|p| {
            let Some(number_data_point::Value::AsInt(v)) = p.value else {
                panic!("{name} is not an int sum");
            };
            (attributes_of(&p.attributes), p.time_unix_nano, v)
        })
        .collect()
}

/// Values of a sum metric by labels, the latest point of each (empty when the metric is absent).
fn sums(request: &ExportMetricsServiceRequest, name: &str) -> BTreeMap<Labels, i64> {
    sum_points(request, name)
        .into_iter()
        .map(|(labels, _, value)| (labels, value))
        .collect()
}

/// Points of a histogram metric by labels (empty when the metric is absent).
fn histograms(
    request: &ExportMetricsServiceRequest,
    name: &str,
) -> BTreeMap<Labels, HistogramDataPoint> {
    let Some(found) = metric(request, name) else {
        return BTreeMap::new();
    };
    let Some(metric::Data::Histogram(histogram)) = &found.data else {
        panic!("{name} is not a histogram");
    };
    histogram
        .data_points
        .iter()
        .map(|p| (attributes_of(&p.attributes), p.clone()))
        .collect()
}

/// The request of `tenant` in a collect result.
fn request_of<'a>(
    collected: &'a [(TenantId, ExportMetricsServiceRequest)],
    tenant: &TenantId,
) -> &'a ExportMetricsServiceRequest {
    &collected
        .iter()
        .find(|(t, _)| t == tenant)
        .unwrap_or_else(|| panic!("no request for {tenant:?}"))
        .1
}

fn assert_close(actual: f64, expected: f64) {
    assert!(
        (actual - expected).abs() < 1e-9,
        "expected {expected}, got {actual}"
    );
}
