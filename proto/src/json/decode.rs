//! OTLP/JSON decoding of the common messages (`AnyValue`, `KeyValue`, `Resource`,
//! `InstrumentationScope`), of traces and of logs. Metrics live in `decode_metrics`.

use serde_json::Value;

use super::MAX_ANY_VALUE_DEPTH;
use super::scalar::{
    Res, base64_bytes, boolean, double, enumeration, fail, id, int, list, message, parse_root,
    set_oneof, string,
};
use crate::otlp::collector::logs::v1::ExportLogsServiceRequest;
use crate::otlp::collector::trace::v1::ExportTraceServiceRequest;
use crate::otlp::common::v1::{
    AnyValue, ArrayValue, EntityRef, InstrumentationScope, KeyValue, KeyValueList, any_value,
};
use crate::otlp::logs::v1::{LogRecord, ResourceLogs, ScopeLogs, SeverityNumber};
use crate::otlp::resource::v1::Resource;
use crate::otlp::trace::v1::{ResourceSpans, ScopeSpans, Span, Status, span, status};

/// Decodes the body of `POST /v1/traces`.
pub(super) fn trace_request(body: &[u8]) -> Res<ExportTraceServiceRequest> {
    message(
        Value::Object(parse_root(body)?),
        |req: &mut ExportTraceServiceRequest, key, v| {
            if key == "resourceSpans" {
                req.resource_spans = list(v, resource_spans)?;
            }
            Ok(())
        },
    )
}

/// Decodes the body of `POST /v1/logs`.
pub(super) fn logs_request(body: &[u8]) -> Res<ExportLogsServiceRequest> {
    message(
        Value::Object(parse_root(body)?),
        |req: &mut ExportLogsServiceRequest, key, v| {
            if key == "resourceLogs" {
                req.resource_logs = list(v, resource_logs)?;
            }
            Ok(())
        },
    )
}

// ---------------------------------------------------------------------------------------------
// Common messages

/// Decodes an `AnyValue`. `depth` counts the array / kvlist containers around it.
pub(super) fn any_value(v: Value, depth: usize) -> Res<AnyValue> {
    message(v, |out: &mut AnyValue, key, v| {
        use any_value::Value as V;
        let value = match key {
            "stringValue" => V::StringValue(string(v)?),
            "boolValue" => V::BoolValue(boolean(v)?),
            "intValue" => V::IntValue(int(v)?),
            "doubleValue" => V::DoubleValue(double(v)?),
            "bytesValue" => V::BytesValue(base64_bytes(v)?),
            "arrayValue" => V::ArrayValue(array_value(v, nested(depth)?)?),
            "kvlistValue" => V::KvlistValue(kvlist_value(v, nested(depth)?)?),
            "stringValueStrindex" => V::StringValueStrindex(int(v)?),
            _ => return Ok(()),
        };
        set_oneof(&mut out.value, value, ANY_VALUE_MEMBERS)
    })
}

/// Members of the `AnyValue` oneof, for the error when more than one is set.
const ANY_VALUE_MEMBERS: &str =
    "stringValue, boolValue, intValue, doubleValue, bytesValue, arrayValue, kvlistValue";

/// The depth of a container opened at `depth`, or an error past [`MAX_ANY_VALUE_DEPTH`].
fn nested(depth: usize) -> Res<usize> {
    if depth >= MAX_ANY_VALUE_DEPTH {
        return fail(format!(
            "AnyValue nested deeper than {MAX_ANY_VALUE_DEPTH} arrayValue/kvlistValue levels"
        ));
    }
    Ok(depth + 1)
}

fn array_value(v: Value, depth: usize) -> Res<ArrayValue> {
    message(v, |out: &mut ArrayValue, key, v| {
        if key == "values" {
            out.values = list(v, |v| any_value(v, depth))?;
        }
        Ok(())
    })
}

fn kvlist_value(v: Value, depth: usize) -> Res<KeyValueList> {
    message(v, |out: &mut KeyValueList, key, v| {
        if key == "values" {
            out.values = key_values_at(v, depth)?;
        }
        Ok(())
    })
}

/// Decodes a list of attributes (`KeyValue`s) that is not inside an `AnyValue`.
pub(super) fn key_values(v: Value) -> Res<Vec<KeyValue>> {
    key_values_at(v, 0)
}

fn key_values_at(v: Value, depth: usize) -> Res<Vec<KeyValue>> {
    list(v, |v| {
        message(v, |kv: &mut KeyValue, key, v| {
            match key {
                "key" => kv.key = string(v)?,
                "value" => kv.value = Some(any_value(v, depth)?),
                "keyStrindex" => kv.key_strindex = int(v)?,
                _ => {}
            }
            Ok(())
        })
    })
}

fn strings(v: Value) -> Res<Vec<String>> {
    list(v, string)
}

pub(super) fn resource(v: Value) -> Res<Resource> {
    message(v, |r: &mut Resource, key, v| {
        match key {
            "attributes" => r.attributes = key_values(v)?,
            "droppedAttributesCount" => r.dropped_attributes_count = int(v)?,
            "entityRefs" => r.entity_refs = list(v, entity_ref)?,
            _ => {}
        }
        Ok(())
    })
}

fn entity_ref(v: Value) -> Res<EntityRef> {
    message(v, |e: &mut EntityRef, key, v| {
        match key {
            "schemaUrl" => e.schema_url = string(v)?,
            "type" => e.r#type = string(v)?,
            "idKeys" => e.id_keys = strings(v)?,
            "descriptionKeys" => e.description_keys = strings(v)?,
            _ => {}
        }
        Ok(())
    })
}

pub(super) fn scope(v: Value) -> Res<InstrumentationScope> {
    message(v, |s: &mut InstrumentationScope, key, v| {
        match key {
            "name" => s.name = string(v)?,
            "version" => s.version = string(v)?,
            "attributes" => s.attributes = key_values(v)?,
            "droppedAttributesCount" => s.dropped_attributes_count = int(v)?,
            _ => {}
        }
        Ok(())
    })
}

// ---------------------------------------------------------------------------------------------
// Traces

fn resource_spans(v: Value) -> Res<ResourceSpans> {
    message(v, |rs: &mut ResourceSpans, key, v| {
        match key {
            "resource" => rs.resource = Some(resource(v)?),
            "scopeSpans" => rs.scope_spans = list(v, scope_spans)?,
            "schemaUrl" => rs.schema_url = string(v)?,
            _ => {}
        }
        Ok(())
    })
}

fn scope_spans(v: Value) -> Res<ScopeSpans> {
    message(v, |ss: &mut ScopeSpans, key, v| {
        match key {
            "scope" => ss.scope = Some(scope(v)?),
            "spans" => ss.spans = list(v, one_span)?,
            "schemaUrl" => ss.schema_url = string(v)?,
            _ => {}
        }
        Ok(())
    })
}

fn span_kind(name: &str) -> Option<i32> {
    span::SpanKind::from_str_name(name).map(|k| k as i32)
}

fn status_code(name: &str) -> Option<i32> {
    status::StatusCode::from_str_name(name).map(|c| c as i32)
}

fn one_span(v: Value) -> Res<Span> {
    message(v, |s: &mut Span, key, v| {
        match key {
            "traceId" => s.trace_id = id(v)?,
            "spanId" => s.span_id = id(v)?,
            "traceState" => s.trace_state = string(v)?,
            "parentSpanId" => s.parent_span_id = id(v)?,
            "flags" => s.flags = int(v)?,
            "name" => s.name = string(v)?,
            "kind" => s.kind = enumeration(v, span_kind)?,
            "startTimeUnixNano" => s.start_time_unix_nano = int(v)?,
            "endTimeUnixNano" => s.end_time_unix_nano = int(v)?,
            "attributes" => s.attributes = key_values(v)?,
            "droppedAttributesCount" => s.dropped_attributes_count = int(v)?,
            "events" => s.events = list(v, event)?,
            "droppedEventsCount" => s.dropped_events_count = int(v)?,
            "links" => s.links = list(v, link)?,
            "droppedLinksCount" => s.dropped_links_count = int(v)?,
            "status" => s.status = Some(span_status(v)?),
            _ => {}
        }
        Ok(())
    })
}

fn event(v: Value) -> Res<span::Event> {
    message(v, |e: &mut span::Event, key, v| {
        match key {
            "timeUnixNano" => e.time_unix_nano = int(v)?,
            "name" => e.name = string(v)?,
            "attributes" => e.attributes = key_values(v)?,
            "droppedAttributesCount" => e.dropped_attributes_count = int(v)?,
            _ => {}
        }
        Ok(())
    })
}

fn link(v: Value) -> Res<span::Link> {
    message(v, |l: &mut span::Link, key, v| {
        match key {
            "traceId" => l.trace_id = id(v)?,
            "spanId" => l.span_id = id(v)?,
            "traceState" => l.trace_state = string(v)?,
            "attributes" => l.attributes = key_values(v)?,
            "droppedAttributesCount" => l.dropped_attributes_count = int(v)?,
            "flags" => l.flags = int(v)?,
            _ => {}
        }
        Ok(())
    })
}

fn span_status(v: Value) -> Res<Status> {
    message(v, |s: &mut Status, key, v| {
        match key {
            "message" => s.message = string(v)?,
            "code" => s.code = enumeration(v, status_code)?,
            _ => {}
        }
        Ok(())
    })
}

// ---------------------------------------------------------------------------------------------
// Logs

fn resource_logs(v: Value) -> Res<ResourceLogs> {
    message(v, |rl: &mut ResourceLogs, key, v| {
        match key {
            "resource" => rl.resource = Some(resource(v)?),
            "scopeLogs" => rl.scope_logs = list(v, scope_logs)?,
            "schemaUrl" => rl.schema_url = string(v)?,
            _ => {}
        }
        Ok(())
    })
}

fn scope_logs(v: Value) -> Res<ScopeLogs> {
    message(v, |sl: &mut ScopeLogs, key, v| {
        match key {
            "scope" => sl.scope = Some(scope(v)?),
            "logRecords" => sl.log_records = list(v, log_record)?,
            "schemaUrl" => sl.schema_url = string(v)?,
            _ => {}
        }
        Ok(())
    })
}

fn severity_number(name: &str) -> Option<i32> {
    SeverityNumber::from_str_name(name).map(|s| s as i32)
}

fn log_record(v: Value) -> Res<LogRecord> {
    message(v, |r: &mut LogRecord, key, v| {
        match key {
            "timeUnixNano" => r.time_unix_nano = int(v)?,
            "observedTimeUnixNano" => r.observed_time_unix_nano = int(v)?,
            "severityNumber" => r.severity_number = enumeration(v, severity_number)?,
            "severityText" => r.severity_text = string(v)?,
            "body" => r.body = Some(any_value(v, 0)?),
            "attributes" => r.attributes = key_values(v)?,
            "droppedAttributesCount" => r.dropped_attributes_count = int(v)?,
            "flags" => r.flags = int(v)?,
            "traceId" => r.trace_id = id(v)?,
            "spanId" => r.span_id = id(v)?,
            "eventName" => r.event_name = string(v)?,
            _ => {}
        }
        Ok(())
    })
}
