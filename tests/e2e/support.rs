//! Helpers shared by the end-to-end tests: building OTLP requests, reading traces back through
//! the Tempo API, and reading logs and metrics back from the blocks a stopped server wrote.

use std::path::Path;

use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::{AnyValue, InstrumentationScope, KeyValue, any_value};
use opentelemetry_proto::tonic::logs::v1::ResourceLogs;
use opentelemetry_proto::tonic::metrics::v1::ResourceMetrics;
use opentelemetry_proto::tonic::resource::v1::Resource;
use opentelemetry_proto::tonic::trace::v1::{ResourceSpans, ScopeSpans, Span};
use prost::Message;
use sightline_collector::derived::GENERATOR_SERVICE_NAME;
use sightline_storage::backend::BlockStorage;
use sightline_storage::blocklist::BlockList;
use sightline_storage::rows::{logs, metrics};
use sightline_storage::{Signal, TenantId};

/// A string key/value.
pub fn kv(key: &str, value: &str) -> KeyValue {
    KeyValue {
        key: key.into(),
        value: Some(AnyValue {
            value: Some(any_value::Value::StringValue(value.into())),
        }),
        key_strindex: 0,
    }
}

/// A span of `trace_id` with a given span id byte pattern.
pub fn span(trace_id: [u8; 16], span_byte: u8, name: &str) -> Span {
    Span {
        trace_id: trace_id.to_vec(),
        span_id: vec![span_byte; 8],
        name: name.into(),
        kind: 2,
        start_time_unix_nano: 1_700_000_000_000_000_000 + span_byte as u64,
        end_time_unix_nano: 1_700_000_001_000_000_000,
        attributes: vec![kv("http.route", "/cart")],
        ..Default::default()
    }
}

/// A trace request with `spans` from service `service`.
pub fn trace_request(service: &str, spans: Vec<Span>) -> ExportTraceServiceRequest {
    ExportTraceServiceRequest {
        resource_spans: vec![ResourceSpans {
            resource: Some(Resource {
                attributes: vec![kv("service.name", service)],
                ..Default::default()
            }),
            scope_spans: vec![ScopeSpans {
                scope: Some(InstrumentationScope {
                    name: "e2e".into(),
                    ..Default::default()
                }),
                spans,
                schema_url: String::new(),
            }],
            schema_url: String::new(),
        }],
    }
}

/// A random trace id.
pub fn random_trace_id() -> [u8; 16] {
    let mut id: [u8; 16] = rand::random();
    id[0] |= 1;
    id
}

/// Fetches a trace as `tempopb.TraceByIDResponse` protobuf; `None` on 404.
pub async fn fetch_trace(
    query_base: &str,
    trace_id: &[u8; 16],
    tenant: Option<&str>,
) -> Option<Vec<ResourceSpans>> {
    let url = format!("{query_base}/api/v2/traces/{}", hex::encode(trace_id));
    let mut request = reqwest::Client::new()
        .get(url)
        .header("Accept", "application/protobuf");
    if let Some(tenant) = tenant {
        request = request.header("X-Scope-OrgID", tenant);
    }
    let response = request.send().await.unwrap();
    if response.status() == 404 {
        return None;
    }
    assert_eq!(response.status(), 200, "{}", response.text().await.unwrap());
    assert_eq!(response.headers()["content-type"], "application/protobuf");
    let body = response.bytes().await.unwrap();
    let decoded = sightline_proto::tempopb::TraceByIdResponse::decode(body).unwrap();
    Some(decoded.trace.map(|t| t.resource_spans).unwrap_or_default())
}

/// Every span of a request, keyed for comparison: (resource, scope, span with attributes sorted).
pub fn flatten_spans(
    resource_spans: &[ResourceSpans],
) -> Vec<(Option<Resource>, Option<InstrumentationScope>, Span)> {
    let mut out = Vec::new();
    for rs in resource_spans {
        for ss in &rs.scope_spans {
            for span in &ss.spans {
                let mut span = span.clone();
                span.attributes.sort_by(|a, b| a.key.cmp(&b.key));
                out.push((rs.resource.clone(), ss.scope.clone(), span));
            }
        }
    }
    out.sort_by(|a, b| a.2.span_id.cmp(&b.2.span_id));
    out
}

/// Reads every block of `tenant` and `signal` that a stopped server left in `data_dir`.
async fn read_blocks(
    data_dir: &Path,
    tenant: &str,
    signal: Signal,
) -> Vec<arrow::record_batch::RecordBatch> {
    let storage = BlockStorage::local(data_dir.join("blocks")).unwrap();
    let (list, _) = BlockList::load(&storage, false).await.unwrap();
    let mut batches = Vec::new();
    for block in list.blocks(&TenantId::new(tenant).unwrap(), signal) {
        batches.extend(block.reader().read_all().await.unwrap());
    }
    batches
}

/// Every log record stored for `tenant` (the server must be stopped, heads written).
pub async fn stored_logs(data_dir: &Path, tenant: &str) -> Vec<ResourceLogs> {
    let mut items = Vec::new();
    for batch in read_blocks(data_dir, tenant, Signal::Logs).await {
        items.extend(logs::records_at(&batch, &(0..batch.num_rows()).collect::<Vec<_>>()).unwrap());
    }
    logs::assemble_resource_logs(items).unwrap()
}

/// Every metric point clients stored for `tenant` (the server must be stopped, heads written);
/// the metrics Sightline derives from spans are left out (see [`derived_metrics`]).
pub async fn stored_metrics(data_dir: &Path, tenant: &str) -> Vec<ResourceMetrics> {
    let (_, sent) = split_metrics(data_dir, tenant).await;
    sent
}

/// The span metrics and service-graph metrics Sightline derived and stored for `tenant`.
pub async fn derived_metrics(data_dir: &Path, tenant: &str) -> Vec<ResourceMetrics> {
    let (derived, _) = split_metrics(data_dir, tenant).await;
    derived
}

async fn split_metrics(
    data_dir: &Path,
    tenant: &str,
) -> (Vec<ResourceMetrics>, Vec<ResourceMetrics>) {
    let mut items = Vec::new();
    for batch in read_blocks(data_dir, tenant, Signal::Metrics).await {
        items.extend(
            metrics::points_at(&batch, &(0..batch.num_rows()).collect::<Vec<_>>()).unwrap(),
        );
    }
    let generator = kv("service.name", GENERATOR_SERVICE_NAME);
    metrics::assemble_resource_metrics(items)
        .unwrap()
        .into_iter()
        .partition(|rm| {
            rm.resource
                .as_ref()
                .is_some_and(|r| r.attributes.contains(&generator))
        })
}

/// Log records with their resource and scope, attributes sorted, in a canonical order.
pub fn flatten_logs(resource_logs: &[ResourceLogs]) -> Vec<String> {
    let mut out = Vec::new();
    for rl in resource_logs {
        for sl in &rl.scope_logs {
            for record in &sl.log_records {
                let mut record = record.clone();
                record.attributes.sort_by(|a, b| a.key.cmp(&b.key));
                out.push(format!(
                    "{:?}|{:?}|{:?}|{record:?}",
                    rl.resource, rl.schema_url, sl.scope
                ));
            }
        }
    }
    out.sort();
    out
}

/// Metric points with their metric, resource and scope, attributes sorted, canonical order.
pub fn flatten_metrics(resource_metrics: &[ResourceMetrics]) -> Vec<String> {
    use opentelemetry_proto::tonic::metrics::v1::metric::Data;
    let mut out = Vec::new();
    for rm in resource_metrics {
        for sm in &rm.scope_metrics {
            for metric in &sm.metrics {
                let header = format!(
                    "{:?}|{:?}|{}|{}|{}|{:?}",
                    rm.resource,
                    sm.scope,
                    metric.name,
                    metric.description,
                    metric.unit,
                    metric.metadata
                );
                let points: Vec<String> = match &metric.data {
                    Some(Data::Gauge(g)) => g
                        .data_points
                        .iter()
                        .map(|p| sorted_debug(p.clone(), |p| &mut p.attributes))
                        .collect(),
                    Some(Data::Sum(s)) => s
                        .data_points
                        .iter()
                        .map(|p| {
                            format!(
                                "sum {} {} {}",
                                s.aggregation_temporality,
                                s.is_monotonic,
                                sorted_debug(p.clone(), |p| &mut p.attributes)
                            )
                        })
                        .collect(),
                    Some(Data::Histogram(h)) => h
                        .data_points
                        .iter()
                        .map(|p| {
                            format!(
                                "hist {} {}",
                                h.aggregation_temporality,
                                sorted_debug(p.clone(), |p| &mut p.attributes)
                            )
                        })
                        .collect(),
                    Some(Data::ExponentialHistogram(e)) => e
                        .data_points
                        .iter()
                        .map(|p| {
                            format!(
                                "exp {} {}",
                                e.aggregation_temporality,
                                sorted_debug(p.clone(), |p| &mut p.attributes)
                            )
                        })
                        .collect(),
                    Some(Data::Summary(s)) => s
                        .data_points
                        .iter()
                        .map(|p| sorted_debug(p.clone(), |p| &mut p.attributes))
                        .collect(),
                    None => Vec::new(),
                };
                out.extend(points.into_iter().map(|p| format!("{header}|{p}")));
            }
        }
    }
    out.sort();
    out
}

fn sorted_debug<T: std::fmt::Debug>(
    mut point: T,
    attributes: impl Fn(&mut T) -> &mut Vec<KeyValue>,
) -> String {
    attributes(&mut point).sort_by(|a, b| a.key.cmp(&b.key));
    format!("{point:?}")
}

/// Decodes a hex-encoded protobuf request.
pub fn decode_hex<M: Message + Default>(hex_text: &str) -> M {
    M::decode(hex::decode(hex_text).unwrap().as_slice()).unwrap()
}
