//! One span's details for the trace view: `GET /api/ui/traces/{id}/spans/{spanId}`.
//!
//! The waterfall carries only structure; when a user opens a span, this answers with everything
//! else: its resource and scope (with their attributes), attributes, events, links and status.
//! Only the span's own row is decoded, so a span of a 100k-span trace opens as fast as one of a
//! small trace. Attribute values are given both as display text and with their OTLP type.

use axum::extract::{Path, State};
use http::HeaderMap;
use serde_json::{Value as Json, json};
use sightline_proto::otlp::common::v1::{AnyValue, KeyValue, any_value};
use sightline_proto::otlp::trace::v1::ResourceSpans;

use crate::QueryState;
use crate::error::ApiError;
use crate::params::{parse_span_id, parse_trace_id};
use crate::prometheus::naming::attribute_value_string;
use crate::search::value::{kind_name, status_name};

/// The OTLP type of an attribute value (`string`, `int`, `double`, `bool`, `bytes`, `array`,
/// `kvlist`, or `empty`).
fn value_type(value: Option<&AnyValue>) -> &'static str {
    use any_value::Value;
    match value.and_then(|v| v.value.as_ref()) {
        Some(Value::StringValue(_)) | Some(Value::StringValueStrindex(_)) => "string",
        Some(Value::IntValue(_)) => "int",
        Some(Value::DoubleValue(_)) => "double",
        Some(Value::BoolValue(_)) => "bool",
        Some(Value::BytesValue(_)) => "bytes",
        Some(Value::ArrayValue(_)) => "array",
        Some(Value::KvlistValue(_)) => "kvlist",
        None => "empty",
    }
}

/// Attributes as `[{key, value, type}]`, sorted by key.
pub fn attributes_json(attributes: &[KeyValue]) -> Json {
    let mut list: Vec<&KeyValue> = attributes.iter().collect();
    list.sort_by(|a, b| a.key.cmp(&b.key));
    Json::Array(
        list.into_iter()
            .map(|kv| {
                json!({
                    "key": kv.key,
                    "value": attribute_value_string(kv.value.as_ref()),
                    "type": value_type(kv.value.as_ref()),
                })
            })
            .collect(),
    )
}

/// The details answer for the single span in `found` (one resource, one scope, one span).
pub fn span_details_json(found: &ResourceSpans) -> Option<Json> {
    let scope_spans = found.scope_spans.first()?;
    let span = scope_spans.spans.first()?;
    let empty = Vec::new();
    let resource_attributes = found.resource.as_ref().map_or(&empty, |r| &r.attributes);
    let scope = scope_spans.scope.as_ref();
    let status = span.status.as_ref();
    let start = span.start_time_unix_nano;
    let events: Vec<Json> = span
        .events
        .iter()
        .map(|e| {
            json!({
                "timeUnixNano": e.time_unix_nano.to_string(),
                "offsetNanos": e.time_unix_nano.saturating_sub(start).to_string(),
                "name": e.name,
                "attributes": attributes_json(&e.attributes),
                "droppedAttributesCount": e.dropped_attributes_count,
            })
        })
        .collect();
    let links: Vec<Json> = span
        .links
        .iter()
        .map(|l| {
            json!({
                "traceID": hex::encode(&l.trace_id),
                "spanID": hex::encode(&l.span_id),
                "traceState": l.trace_state,
                "attributes": attributes_json(&l.attributes),
            })
        })
        .collect();
    Some(json!({
        "traceID": hex::encode(&span.trace_id),
        "spanID": hex::encode(&span.span_id),
        "parentSpanID": (!span.parent_span_id.is_empty()).then(|| hex::encode(&span.parent_span_id)),
        "name": span.name,
        "kind": kind_name(span.kind),
        "startTimeUnixNano": start.to_string(),
        "endTimeUnixNano": span.end_time_unix_nano.to_string(),
        "durationNanos": span.end_time_unix_nano.saturating_sub(start).to_string(),
        "traceState": span.trace_state,
        "status": {
            "code": status_name(status.map_or(0, |s| s.code)),
            "message": status.map_or("", |s| s.message.as_str()),
        },
        "resource": {
            "attributes": attributes_json(resource_attributes),
            "schemaUrl": found.schema_url,
        },
        "scope": {
            "name": scope.map_or("", |s| s.name.as_str()),
            "version": scope.map_or("", |s| s.version.as_str()),
            "attributes": attributes_json(scope.map_or(&empty, |s| &s.attributes)),
        },
        "attributes": attributes_json(&span.attributes),
        "droppedAttributesCount": span.dropped_attributes_count,
        "events": events,
        "droppedEventsCount": span.dropped_events_count,
        "links": links,
        "droppedLinksCount": span.dropped_links_count,
    }))
}

/// Handles `GET /api/ui/traces/{id}/spans/{spanId}`: 404 when the trace has no such span.
pub async fn span_handler(
    State(state): State<QueryState>,
    Path((id, span)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<axum::Json<Json>, ApiError> {
    let tenant = state.tenant(&headers)?;
    let trace_id = *parse_trace_id(&id)?.as_bytes();
    let span_id = parse_span_id(&span)?;
    let found = state
        .store
        .find_span(&tenant, &trace_id, &span_id)
        .await?
        .ok_or_else(|| ApiError::NotFound("span not found".into()))?;
    span_details_json(&found)
        .map(axum::Json)
        .ok_or_else(|| ApiError::NotFound("span not found".into()))
}
