//! OTLP spans → a Jaeger [`Trace`].
//!
//! The mapping is the OpenTelemetry Collector's `pkg/translator/jaeger` (`ProtoFromTraces`, the
//! converter Jaeger v2 itself runs on every read) followed by Jaeger's
//! `uimodel/converter/v1/json` (`FromDomain`):
//! - **Process** per resource: `serviceName` is the resource's `service.name`, the other resource
//!   attributes (in order) are its tags. A missing, non-string or empty `service.name` becomes
//!   [`MISSING_SERVICE_NAME`], [`SERVICE_NAME_WRONG_TYPE`] or [`EMPTY_SERVICE_NAME`], the
//!   placeholders Jaeger v2's ingest sanitizer (`jptrace/sanitizer/emptyservicename.go`) writes,
//!   which is therefore what a Jaeger v2 user sees. Equal processes share one id; ids are `p1`,
//!   `p2`, … in order of first use by the (sorted) spans, as Jaeger's `processHashtable` does.
//! - **Span tags**, in the collector's order: `otel.scope.name`, `otel.scope.version` (when
//!   non-empty), the span attributes, `span.kind` (`server`, `client`, `producer`, `consumer`,
//!   `internal`; none for UNSPECIFIED), `otel.status_code` (`OK`/`ERROR`; none for UNSET),
//!   `error=true` (bool) for ERROR, `otel.status_description` (when the message is non-empty,
//!   whatever the code), `w3c.tracestate` (when set). Dropped counts, the scope's attributes, link
//!   attributes and `schemaUrl`s are not carried: the collector drops them too.
//! - **References**: a non-zero parent span id gives a `CHILD_OF` reference first (same trace
//!   id); each link gives a reference of type `FOLLOWS_FROM`, or `CHILD_OF` when the link has the
//!   attribute `opentracing.ref_type = "child_of"`. A link to the parent itself only sets the
//!   parent reference's type.
//! - **Logs** from events: timestamp in µs; fields are `event` = the event name (when non-empty
//!   and no attribute is already called `event`) followed by the event attributes.
//! - **Times**: `startTime` = start ns / 1000; `duration` = (end − start) ns / 1000, 0 when the
//!   end precedes the start (Jaeger clamps negative durations to 0).
//! - **Flags**: 1 (sampled) when bit 0 of the W3C trace flags in `Span.flags` is set, else 0.
//! - **Values**: string → `string`, bool → `bool`, int → `int64`, double → `float64`, bytes →
//!   `binary`, an empty value → `string` `""`; arrays and key-value lists → `string` holding Go's
//!   `json.Marshal` of the raw value (pdata's `AsString()`: plain JSON such as `{"k":"v"}`, not
//!   OTLP/JSON), see `gojson.rs`.
//!
//! Spans are ordered by start time (stable, so equal starts keep their input order); the trace id
//! of the trace is that of the first span.

use super::gojson::any_value_as_go_json;
use super::ids::{jaeger_span_id, jaeger_trace_id, span_id_value};
use super::model::{KeyValue, Log, Process, RefType, Reference, Span, TagValue, Trace};
use crate::otlp::common::v1::{AnyValue, InstrumentationScope, any_value};
use crate::otlp::resource::v1::Resource;
use crate::otlp::trace::v1::{ResourceSpans, span, status};

/// Service name of a resource without a `service.name` attribute (Jaeger v2 sanitizer).
pub const MISSING_SERVICE_NAME: &str = "missing-service-name";
/// Service name of a resource whose `service.name` is not a string (Jaeger v2 sanitizer).
pub const SERVICE_NAME_WRONG_TYPE: &str = "service-name-wrong-type";
/// Service name of a resource whose `service.name` is the empty string (Jaeger v2 sanitizer).
pub const EMPTY_SERVICE_NAME: &str = "empty-service-name";

const SERVICE_NAME_KEY: &str = "service.name";
/// Bit 0 of `Span.flags`: the W3C "sampled" trace flag.
const SAMPLED_FLAG: u32 = 0x1;

/// Converts the OTLP spans of one trace to a Jaeger [`Trace`]; `None` when there are no spans.
///
/// All spans are expected to share one trace id (the trace's `traceID` is the first span's); the
/// caller groups by trace. Span `warnings` and the trace's `warnings` are left `None` for the
/// caller to fill (e.g. from its own adjusters).
pub fn trace_from_otlp(resource_spans: &[ResourceSpans]) -> Option<Trace> {
    // (start ns, resource index, span) in input order.
    let mut spans: Vec<(u64, usize, Span)> = Vec::new();
    for (resource_index, rs) in resource_spans.iter().enumerate() {
        for ss in &rs.scope_spans {
            for otlp_span in &ss.spans {
                let converted = span_from_otlp(otlp_span, ss.scope.as_ref());
                spans.push((otlp_span.start_time_unix_nano, resource_index, converted));
            }
        }
    }
    if spans.is_empty() {
        return None;
    }
    spans.sort_by_key(|(start, _, _)| *start);

    // Process ids in order of first use by the sorted spans; equal processes share an id.
    let mut processes: Vec<(String, Process)> = Vec::new();
    let mut id_of_resource: Vec<Option<usize>> = vec![None; resource_spans.len()];
    let mut out = Vec::with_capacity(spans.len());
    for (_, resource_index, mut span) in spans {
        let slot = match id_of_resource[resource_index] {
            Some(slot) => slot,
            None => {
                let process =
                    process_from_resource(resource_spans[resource_index].resource.as_ref());
                let slot = match processes.iter().position(|(_, p)| *p == process) {
                    Some(slot) => slot,
                    None => {
                        processes.push((format!("p{}", processes.len() + 1), process));
                        processes.len() - 1
                    }
                };
                id_of_resource[resource_index] = Some(slot);
                slot
            }
        };
        span.process_id = processes[slot].0.clone();
        out.push(span);
    }

    Some(Trace {
        trace_id: out[0].trace_id.clone(),
        spans: out,
        processes: processes.into_iter().collect(),
        warnings: None,
    })
}

/// The Jaeger service name of a resource: its first `service.name` attribute when that is a
/// non-empty string, else one of the Jaeger v2 placeholders ([`MISSING_SERVICE_NAME`],
/// [`SERVICE_NAME_WRONG_TYPE`], [`EMPTY_SERVICE_NAME`]). Listing services with this function
/// keeps `/api/services` consistent with the processes of converted traces.
pub fn service_name(resource: Option<&Resource>) -> &str {
    let attribute = resource
        .into_iter()
        .flat_map(|r| r.attributes.iter())
        .find(|kv| kv.key == SERVICE_NAME_KEY);
    match attribute {
        None => MISSING_SERVICE_NAME,
        Some(kv) => match kv.value.as_ref().and_then(|v| v.value.as_ref()) {
            Some(any_value::Value::StringValue(s)) if s.is_empty() => EMPTY_SERVICE_NAME,
            Some(any_value::Value::StringValue(s)) => s,
            _ => SERVICE_NAME_WRONG_TYPE,
        },
    }
}

/// The Jaeger process of a resource: [`service_name`] and every other resource attribute as a
/// tag, in order (every `service.name` entry is left out).
pub fn process_from_resource(resource: Option<&Resource>) -> Process {
    let tags = resource
        .into_iter()
        .flat_map(|r| r.attributes.iter())
        .filter(|kv| kv.key != SERVICE_NAME_KEY)
        .map(|kv| tag_from_any_value(&kv.key, kv.value.as_ref()))
        .collect();
    Process {
        service_name: service_name(resource).to_string(),
        tags,
    }
}

/// Converts one OTLP span (with its instrumentation scope) to a Jaeger span. `process_id` is left
/// empty and `warnings` `None`.
pub fn span_from_otlp(
    s: &crate::otlp::trace::v1::Span,
    scope: Option<&InstrumentationScope>,
) -> Span {
    let trace_id = jaeger_trace_id(&s.trace_id);
    Span {
        references: references(s, &trace_id),
        trace_id,
        span_id: jaeger_span_id(&s.span_id),
        flags: u32::from(s.flags & SAMPLED_FLAG != 0),
        operation_name: s.name.clone(),
        start_time: s.start_time_unix_nano / 1000,
        duration: s.end_time_unix_nano.saturating_sub(s.start_time_unix_nano) / 1000,
        tags: span_tags(s, scope),
        logs: s.events.iter().map(log_from_event).collect(),
        process_id: String::new(),
        warnings: None,
    }
}

/// Converts one OTLP attribute value to a Jaeger tag (see the module documentation for the
/// mapping). A missing value is the empty string.
pub fn tag_from_any_value(key: &str, value: Option<&AnyValue>) -> KeyValue {
    use any_value::Value as V;
    let value = match value.and_then(|any| any.value.as_ref().map(|inner| (any, inner))) {
        None | Some((_, V::StringValueStrindex(_))) => TagValue::String(String::new()),
        Some((_, V::StringValue(s))) => TagValue::String(s.clone()),
        Some((_, V::BoolValue(b))) => TagValue::Bool(*b),
        Some((_, V::IntValue(i))) => TagValue::Int64(*i),
        Some((_, V::DoubleValue(d))) => TagValue::Float64(*d),
        Some((_, V::BytesValue(b))) => TagValue::Binary(b.clone()),
        Some((any, V::ArrayValue(_) | V::KvlistValue(_))) => {
            TagValue::String(any_value_as_go_json(any))
        }
    };
    KeyValue::new(key, value)
}

fn span_tags(
    s: &crate::otlp::trace::v1::Span,
    scope: Option<&InstrumentationScope>,
) -> Vec<KeyValue> {
    let mut tags = Vec::with_capacity(s.attributes.len() + 6);
    if let Some(scope) = scope {
        if !scope.name.is_empty() {
            tags.push(KeyValue::string("otel.scope.name", scope.name.as_str()));
        }
        if !scope.version.is_empty() {
            tags.push(KeyValue::string(
                "otel.scope.version",
                scope.version.as_str(),
            ));
        }
    }
    tags.extend(
        s.attributes
            .iter()
            .map(|kv| tag_from_any_value(&kv.key, kv.value.as_ref())),
    );
    let kind = match span::SpanKind::try_from(s.kind) {
        Ok(span::SpanKind::Server) => Some("server"),
        Ok(span::SpanKind::Client) => Some("client"),
        Ok(span::SpanKind::Producer) => Some("producer"),
        Ok(span::SpanKind::Consumer) => Some("consumer"),
        Ok(span::SpanKind::Internal) => Some("internal"),
        Ok(span::SpanKind::Unspecified) | Err(_) => None,
    };
    if let Some(kind) = kind {
        tags.push(KeyValue::string("span.kind", kind));
    }
    if let Some(st) = &s.status {
        match status::StatusCode::try_from(st.code) {
            Ok(status::StatusCode::Ok) => tags.push(KeyValue::string("otel.status_code", "OK")),
            Ok(status::StatusCode::Error) => {
                tags.push(KeyValue::string("otel.status_code", "ERROR"));
                tags.push(KeyValue::bool("error", true));
            }
            Ok(status::StatusCode::Unset) | Err(_) => {}
        }
        if !st.message.is_empty() {
            tags.push(KeyValue::string(
                "otel.status_description",
                st.message.as_str(),
            ));
        }
    }
    if !s.trace_state.is_empty() {
        tags.push(KeyValue::string("w3c.tracestate", s.trace_state.as_str()));
    }
    tags
}

fn references(s: &crate::otlp::trace::v1::Span, trace_id: &str) -> Vec<Reference> {
    let parent = span_id_value(&s.parent_span_id);
    let mut refs = Vec::with_capacity(s.links.len() + 1);
    if parent != 0 {
        refs.push(Reference {
            ref_type: RefType::ChildOf,
            trace_id: trace_id.to_string(),
            span_id: jaeger_span_id(&s.parent_span_id),
        });
    }
    for link in &s.links {
        let ref_type = link_ref_type(link);
        let link_trace_id = jaeger_trace_id(&link.trace_id);
        if parent != 0 && link_trace_id == trace_id && span_id_value(&link.span_id) == parent {
            // A link to the parent: keep one reference, with the link's type.
            refs[0].ref_type = ref_type;
            continue;
        }
        refs.push(Reference {
            ref_type,
            trace_id: link_trace_id,
            span_id: jaeger_span_id(&link.span_id),
        });
    }
    refs
}

/// `CHILD_OF` when the link carries `opentracing.ref_type = "child_of"` (as the Jaeger → OTLP
/// translator writes it), else `FOLLOWS_FROM`.
fn link_ref_type(link: &span::Link) -> RefType {
    let attribute = link
        .attributes
        .iter()
        .find(|kv| kv.key == "opentracing.ref_type");
    match attribute
        .and_then(|kv| kv.value.as_ref())
        .and_then(|v| v.value.as_ref())
    {
        Some(any_value::Value::StringValue(s)) if s == "child_of" => RefType::ChildOf,
        _ => RefType::FollowsFrom,
    }
}

fn log_from_event(event: &span::Event) -> Log {
    let mut fields = Vec::with_capacity(event.attributes.len() + 1);
    let has_event_attribute = event.attributes.iter().any(|kv| kv.key == "event");
    if !event.name.is_empty() && !has_event_attribute {
        fields.push(KeyValue::string("event", event.name.as_str()));
    }
    fields.extend(
        event
            .attributes
            .iter()
            .map(|kv| tag_from_any_value(&kv.key, kv.value.as_ref())),
    );
    Log {
        timestamp: event.time_unix_nano / 1000,
        fields,
    }
}

#[cfg(test)]
#[path = "convert_tests.rs"]
mod tests;
