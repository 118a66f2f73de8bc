//! OTLP/JSON encoding of requests, `Resource*` groups and attributes.
//!
//! Output is strict OTLP/JSON: lowerCamelCase keys, 64-bit integers as decimal strings, fields at
//! their default value omitted, except oneof members (`AnyValue`, `asDouble` / `asInt`) and
//! proto3 `optional` fields (histogram `sum`, `min`, `max`), which are written whenever set.

use base64::Engine as _;
pub(super) use base64::engine::general_purpose::STANDARD as BASE64;
use serde_json::{Map, Number, Value};

use super::{EnumEncoding, IdEncoding, JsonStyle};
use crate::otlp::collector::logs::v1::ExportLogsServiceRequest;
use crate::otlp::collector::metrics::v1::ExportMetricsServiceRequest;
use crate::otlp::collector::trace::v1::ExportTraceServiceRequest;
use crate::otlp::common::v1::{AnyValue, EntityRef, InstrumentationScope, KeyValue, any_value};
use crate::otlp::logs::v1::{LogRecord, ResourceLogs, SeverityNumber};
use crate::otlp::metrics::v1::{
    AggregationTemporality, Exemplar, ExponentialHistogramDataPoint, HistogramDataPoint, Metric,
    NumberDataPoint, ResourceMetrics, SummaryDataPoint, exemplar,
    exponential_histogram_data_point::Buckets, metric, number_data_point,
};
use crate::otlp::resource::v1::Resource;
use crate::otlp::trace::v1::{ResourceSpans, Span, span, status};

/// A JSON object under construction; the setters skip default values.
pub(super) struct Obj {
    map: Map<String, Value>,
    style: JsonStyle,
}

impl Obj {
    pub(super) fn new(style: JsonStyle) -> Self {
        Self {
            map: Map::new(),
            style,
        }
    }

    pub(super) fn put(&mut self, key: &str, value: Value) {
        self.map.insert(key.to_string(), value);
    }

    pub(super) fn string(&mut self, key: &str, s: &str) {
        if !s.is_empty() {
            self.put(key, Value::String(s.to_string()));
        }
    }

    fn u32(&mut self, key: &str, n: u32) {
        if n != 0 {
            self.put(key, n.into());
        }
    }

    pub(super) fn i32(&mut self, key: &str, n: i32) {
        if n != 0 {
            self.put(key, n.into());
        }
    }

    fn u64(&mut self, key: &str, n: u64) {
        if n != 0 {
            self.put(key, Value::String(n.to_string()));
        }
    }

    fn f64(&mut self, key: &str, f: f64) {
        if f != 0.0 {
            self.put(key, double(f));
        }
    }

    fn opt_f64(&mut self, key: &str, f: Option<f64>) {
        if let Some(f) = f {
            self.put(key, double(f));
        }
    }

    fn bool(&mut self, key: &str, b: bool) {
        if b {
            self.put(key, Value::Bool(true));
        }
    }

    fn id(&mut self, key: &str, bytes: &[u8]) {
        if !bytes.is_empty() {
            let text = match self.style.ids {
                IdEncoding::Hex => hex::encode(bytes),
                IdEncoding::Base64 => BASE64.encode(bytes),
            };
            self.put(key, Value::String(text));
        }
    }

    /// An enum, as its integer or (by style) its proto name from `name_of`.
    fn enumeration(&mut self, key: &str, v: i32, name_of: fn(i32) -> Option<&'static str>) {
        if v == 0 {
            return;
        }
        let value = match (self.style.enums, name_of(v)) {
            (EnumEncoding::Name, Some(name)) => Value::String(name.to_string()),
            _ => v.into(),
        };
        self.put(key, value);
    }

    /// A repeated field, omitted when empty.
    pub(super) fn list<T>(
        &mut self,
        key: &str,
        items: &[T],
        mut f: impl FnMut(&T, JsonStyle) -> Value,
    ) {
        if !items.is_empty() {
            let style = self.style;
            self.put(
                key,
                Value::Array(items.iter().map(|item| f(item, style)).collect()),
            );
        }
    }

    /// A singular message field, written (possibly as `{}`) whenever present.
    fn message<T>(&mut self, key: &str, m: Option<&T>, f: impl FnOnce(&T, JsonStyle) -> Value) {
        if let Some(m) = m {
            let value = f(m, self.style);
            self.put(key, value);
        }
    }

    fn attributes(&mut self, key: &str, kvs: &[KeyValue]) {
        self.list(key, kvs, key_value);
    }

    pub(super) fn done(self) -> Value {
        Value::Object(self.map)
    }
}

/// A double as a JSON number, or `"NaN"` / `"Infinity"` / `"-Infinity"`.
fn double(f: f64) -> Value {
    match Number::from_f64(f) {
        Some(n) => Value::Number(n),
        None if f.is_nan() => Value::String("NaN".to_string()),
        None if f > 0.0 => Value::String("Infinity".to_string()),
        None => Value::String("-Infinity".to_string()),
    }
}

/// A 64-bit integer as a decimal string.
pub(super) fn int64(n: impl ToString) -> Value {
    Value::String(n.to_string())
}

/// Encodes an `AnyValue`. Its oneof member is written even at its default (`"intValue":"0"`,
/// `"boolValue":false`, `"stringValue":""`); an `AnyValue` without a value is `{}`.
pub fn encode_any_value(v: &AnyValue, style: JsonStyle) -> Value {
    use any_value::Value as V;
    let mut o = Obj::new(style);
    match &v.value {
        None => {}
        Some(V::StringValue(s)) => o.put("stringValue", Value::String(s.clone())),
        Some(V::BoolValue(b)) => o.put("boolValue", Value::Bool(*b)),
        Some(V::IntValue(i)) => o.put("intValue", int64(i)),
        Some(V::DoubleValue(d)) => o.put("doubleValue", double(*d)),
        Some(V::BytesValue(b)) => o.put("bytesValue", Value::String(BASE64.encode(b))),
        Some(V::ArrayValue(a)) => {
            let mut inner = Obj::new(style);
            inner.list("values", &a.values, encode_any_value);
            o.put("arrayValue", inner.done());
        }
        Some(V::KvlistValue(kvs)) => {
            let mut inner = Obj::new(style);
            inner.attributes("values", &kvs.values);
            o.put("kvlistValue", inner.done());
        }
        Some(V::StringValueStrindex(i)) => o.put("stringValueStrindex", (*i).into()),
    }
    o.done()
}

fn key_value(kv: &KeyValue, style: JsonStyle) -> Value {
    let mut o = Obj::new(style);
    o.string("key", &kv.key);
    o.message("value", kv.value.as_ref(), encode_any_value);
    o.i32("keyStrindex", kv.key_strindex);
    o.done()
}

/// Encodes a list of attributes as a JSON array of `{"key":...,"value":{...}}` objects.
pub fn encode_key_values(kvs: &[KeyValue], style: JsonStyle) -> Value {
    Value::Array(kvs.iter().map(|kv| key_value(kv, style)).collect())
}

fn resource(r: &Resource, style: JsonStyle) -> Value {
    let mut o = Obj::new(style);
    o.attributes("attributes", &r.attributes);
    o.u32("droppedAttributesCount", r.dropped_attributes_count);
    o.list("entityRefs", &r.entity_refs, entity_ref);
    o.done()
}

fn entity_ref(e: &EntityRef, style: JsonStyle) -> Value {
    let mut o = Obj::new(style);
    o.string("schemaUrl", &e.schema_url);
    o.string("type", &e.r#type);
    o.list("idKeys", &e.id_keys, |s, _| Value::String(s.clone()));
    o.list("descriptionKeys", &e.description_keys, |s, _| {
        Value::String(s.clone())
    });
    o.done()
}

fn scope(s: &InstrumentationScope, style: JsonStyle) -> Value {
    let mut o = Obj::new(style);
    o.string("name", &s.name);
    o.string("version", &s.version);
    o.attributes("attributes", &s.attributes);
    o.u32("droppedAttributesCount", s.dropped_attributes_count);
    o.done()
}

// ---------------------------------------------------------------------------------------------
// Traces

fn span_kind_name(v: i32) -> Option<&'static str> {
    span::SpanKind::try_from(v).ok().map(|k| k.as_str_name())
}

fn status_code_name(v: i32) -> Option<&'static str> {
    status::StatusCode::try_from(v)
        .ok()
        .map(|c| c.as_str_name())
}

/// Encodes one `ResourceSpans` (resource, scope groups and spans).
pub fn encode_resource_spans(rs: &ResourceSpans, style: JsonStyle) -> Value {
    let mut o = Obj::new(style);
    o.message("resource", rs.resource.as_ref(), resource);
    o.list("scopeSpans", &rs.scope_spans, |ss, style| {
        let mut o = Obj::new(style);
        o.message("scope", ss.scope.as_ref(), scope);
        o.list("spans", &ss.spans, encode_span);
        o.string("schemaUrl", &ss.schema_url);
        o.done()
    });
    o.string("schemaUrl", &rs.schema_url);
    o.done()
}

fn encode_span(s: &Span, style: JsonStyle) -> Value {
    let mut o = Obj::new(style);
    o.id("traceId", &s.trace_id);
    o.id("spanId", &s.span_id);
    o.string("traceState", &s.trace_state);
    o.id("parentSpanId", &s.parent_span_id);
    o.u32("flags", s.flags);
    o.string("name", &s.name);
    o.enumeration("kind", s.kind, span_kind_name);
    o.u64("startTimeUnixNano", s.start_time_unix_nano);
    o.u64("endTimeUnixNano", s.end_time_unix_nano);
    o.attributes("attributes", &s.attributes);
    o.u32("droppedAttributesCount", s.dropped_attributes_count);
    o.list("events", &s.events, |e, style| {
        let mut o = Obj::new(style);
        o.u64("timeUnixNano", e.time_unix_nano);
        o.string("name", &e.name);
        o.attributes("attributes", &e.attributes);
        o.u32("droppedAttributesCount", e.dropped_attributes_count);
        o.done()
    });
    o.u32("droppedEventsCount", s.dropped_events_count);
    o.list("links", &s.links, |l, style| {
        let mut o = Obj::new(style);
        o.id("traceId", &l.trace_id);
        o.id("spanId", &l.span_id);
        o.string("traceState", &l.trace_state);
        o.attributes("attributes", &l.attributes);
        o.u32("droppedAttributesCount", l.dropped_attributes_count);
        o.u32("flags", l.flags);
        o.done()
    });
    o.u32("droppedLinksCount", s.dropped_links_count);
    o.message("status", s.status.as_ref(), |st, style| {
        let mut o = Obj::new(style);
        o.string("message", &st.message);
        o.enumeration("code", st.code, status_code_name);
        o.done()
    });
    o.done()
}

/// Encodes an `ExportTraceServiceRequest` as `{"resourceSpans":[...]}`.
pub fn encode_trace_request(req: &ExportTraceServiceRequest, style: JsonStyle) -> Value {
    let mut o = Obj::new(style);
    o.list("resourceSpans", &req.resource_spans, encode_resource_spans);
    o.done()
}

// ---------------------------------------------------------------------------------------------
// Logs

fn severity_name(v: i32) -> Option<&'static str> {
    SeverityNumber::try_from(v).ok().map(|s| s.as_str_name())
}

/// Encodes one `ResourceLogs` (resource, scope groups and log records).
pub fn encode_resource_logs(rl: &ResourceLogs, style: JsonStyle) -> Value {
    let mut o = Obj::new(style);
    o.message("resource", rl.resource.as_ref(), resource);
    o.list("scopeLogs", &rl.scope_logs, |sl, style| {
        let mut o = Obj::new(style);
        o.message("scope", sl.scope.as_ref(), scope);
        o.list("logRecords", &sl.log_records, log_record);
        o.string("schemaUrl", &sl.schema_url);
        o.done()
    });
    o.string("schemaUrl", &rl.schema_url);
    o.done()
}

fn log_record(r: &LogRecord, style: JsonStyle) -> Value {
    let mut o = Obj::new(style);
    o.u64("timeUnixNano", r.time_unix_nano);
    o.u64("observedTimeUnixNano", r.observed_time_unix_nano);
    o.enumeration("severityNumber", r.severity_number, severity_name);
    o.string("severityText", &r.severity_text);
    o.message("body", r.body.as_ref(), encode_any_value);
    o.attributes("attributes", &r.attributes);
    o.u32("droppedAttributesCount", r.dropped_attributes_count);
    o.u32("flags", r.flags);
    o.id("traceId", &r.trace_id);
    o.id("spanId", &r.span_id);
    o.string("eventName", &r.event_name);
    o.done()
}

/// Encodes an `ExportLogsServiceRequest` as `{"resourceLogs":[...]}`.
pub fn encode_logs_request(req: &ExportLogsServiceRequest, style: JsonStyle) -> Value {
    let mut o = Obj::new(style);
    o.list("resourceLogs", &req.resource_logs, encode_resource_logs);
    o.done()
}

// ---------------------------------------------------------------------------------------------
// Metrics

fn temporality_name(v: i32) -> Option<&'static str> {
    AggregationTemporality::try_from(v)
        .ok()
        .map(|t| t.as_str_name())
}

/// Encodes one `ResourceMetrics` (resource, scope groups and metrics).
pub fn encode_resource_metrics(rm: &ResourceMetrics, style: JsonStyle) -> Value {
    let mut o = Obj::new(style);
    o.message("resource", rm.resource.as_ref(), resource);
    o.list("scopeMetrics", &rm.scope_metrics, |sm, style| {
        let mut o = Obj::new(style);
        o.message("scope", sm.scope.as_ref(), scope);
        o.list("metrics", &sm.metrics, encode_metric);
        o.string("schemaUrl", &sm.schema_url);
        o.done()
    });
    o.string("schemaUrl", &rm.schema_url);
    o.done()
}

fn encode_metric(m: &Metric, style: JsonStyle) -> Value {
    let mut o = Obj::new(style);
    o.string("name", &m.name);
    o.string("description", &m.description);
    o.string("unit", &m.unit);
    o.attributes("metadata", &m.metadata);
    let mut data = Obj::new(style);
    let key = match &m.data {
        None => return o.done(),
        Some(metric::Data::Gauge(g)) => {
            data.list("dataPoints", &g.data_points, number_point);
            "gauge"
        }
        Some(metric::Data::Sum(s)) => {
            data.list("dataPoints", &s.data_points, number_point);
            data.enumeration(
                "aggregationTemporality",
                s.aggregation_temporality,
                temporality_name,
            );
            data.bool("isMonotonic", s.is_monotonic);
            "sum"
        }
        Some(metric::Data::Histogram(h)) => {
            data.list("dataPoints", &h.data_points, histogram_point);
            data.enumeration(
                "aggregationTemporality",
                h.aggregation_temporality,
                temporality_name,
            );
            "histogram"
        }
        Some(metric::Data::ExponentialHistogram(h)) => {
            data.list("dataPoints", &h.data_points, exp_histogram_point);
            data.enumeration(
                "aggregationTemporality",
                h.aggregation_temporality,
                temporality_name,
            );
            "exponentialHistogram"
        }
        Some(metric::Data::Summary(s)) => {
            data.list("dataPoints", &s.data_points, summary_point);
            "summary"
        }
    };
    o.put(key, data.done());
    o.done()
}

fn number_point(p: &NumberDataPoint, style: JsonStyle) -> Value {
    let mut o = Obj::new(style);
    o.attributes("attributes", &p.attributes);
    o.u64("startTimeUnixNano", p.start_time_unix_nano);
    o.u64("timeUnixNano", p.time_unix_nano);
    match p.value {
        Some(number_data_point::Value::AsDouble(d)) => o.put("asDouble", double(d)),
        Some(number_data_point::Value::AsInt(i)) => o.put("asInt", int64(i)),
        None => {}
    }
    o.list("exemplars", &p.exemplars, encode_exemplar);
    o.u32("flags", p.flags);
    o.done()
}

fn encode_exemplar(e: &Exemplar, style: JsonStyle) -> Value {
    let mut o = Obj::new(style);
    o.attributes("filteredAttributes", &e.filtered_attributes);
    o.u64("timeUnixNano", e.time_unix_nano);
    match e.value {
        Some(exemplar::Value::AsDouble(d)) => o.put("asDouble", double(d)),
        Some(exemplar::Value::AsInt(i)) => o.put("asInt", int64(i)),
        None => {}
    }
    o.id("spanId", &e.span_id);
    o.id("traceId", &e.trace_id);
    o.done()
}

fn u64_list(o: &mut Obj, key: &str, values: &[u64]) {
    o.list(key, values, |n, _| int64(n));
}

fn histogram_point(p: &HistogramDataPoint, style: JsonStyle) -> Value {
    let mut o = Obj::new(style);
    o.attributes("attributes", &p.attributes);
    o.u64("startTimeUnixNano", p.start_time_unix_nano);
    o.u64("timeUnixNano", p.time_unix_nano);
    o.u64("count", p.count);
    o.opt_f64("sum", p.sum);
    u64_list(&mut o, "bucketCounts", &p.bucket_counts);
    o.list("explicitBounds", &p.explicit_bounds, |f, _| double(*f));
    o.list("exemplars", &p.exemplars, encode_exemplar);
    o.u32("flags", p.flags);
    o.opt_f64("min", p.min);
    o.opt_f64("max", p.max);
    o.done()
}

fn buckets(b: &Buckets, style: JsonStyle) -> Value {
    let mut o = Obj::new(style);
    o.i32("offset", b.offset);
    u64_list(&mut o, "bucketCounts", &b.bucket_counts);
    o.done()
}

fn exp_histogram_point(p: &ExponentialHistogramDataPoint, style: JsonStyle) -> Value {
    let mut o = Obj::new(style);
    o.attributes("attributes", &p.attributes);
    o.u64("startTimeUnixNano", p.start_time_unix_nano);
    o.u64("timeUnixNano", p.time_unix_nano);
    o.u64("count", p.count);
    o.opt_f64("sum", p.sum);
    o.i32("scale", p.scale);
    o.u64("zeroCount", p.zero_count);
    o.message("positive", p.positive.as_ref(), buckets);
    o.message("negative", p.negative.as_ref(), buckets);
    o.u32("flags", p.flags);
    o.list("exemplars", &p.exemplars, encode_exemplar);
    o.opt_f64("min", p.min);
    o.opt_f64("max", p.max);
    o.f64("zeroThreshold", p.zero_threshold);
    o.done()
}

fn summary_point(p: &SummaryDataPoint, style: JsonStyle) -> Value {
    let mut o = Obj::new(style);
    o.attributes("attributes", &p.attributes);
    o.u64("startTimeUnixNano", p.start_time_unix_nano);
    o.u64("timeUnixNano", p.time_unix_nano);
    o.u64("count", p.count);
    o.f64("sum", p.sum);
    o.list("quantileValues", &p.quantile_values, |q, style| {
        let mut o = Obj::new(style);
        o.f64("quantile", q.quantile);
        o.f64("value", q.value);
        o.done()
    });
    o.u32("flags", p.flags);
    o.done()
}

/// Encodes an `ExportMetricsServiceRequest` as `{"resourceMetrics":[...]}`.
pub fn encode_metrics_request(req: &ExportMetricsServiceRequest, style: JsonStyle) -> Value {
    let mut o = Obj::new(style);
    o.list(
        "resourceMetrics",
        &req.resource_metrics,
        encode_resource_metrics,
    );
    o.done()
}
