//! The JSON model of Jaeger's internal HTTP API (Jaeger's `internal/uimodel/model.go`) and the
//! v1 response envelope (`structuredResponse` in `jaegerquery/internal/http_handler.go`).
//!
//! Field names, field order and the `null`-versus-`[]` choices match what Jaeger's Go encoder
//! writes, so a serialized [`Trace`] is what the Jaeger UI and Grafana's Jaeger data source expect:
//! - `warnings` is `null` when there are none, for a trace and for a span;
//! - `references`, `tags`, `logs` and a process's `tags` are always arrays, possibly empty;
//! - a span's `flags` is omitted when 0 (Go `omitempty`), as is an empty `processID`;
//! - a [`KeyValue`] is `{"key":…,"type":"string"|"bool"|"int64"|"float64"|"binary","value":…}`;
//!   `int64` values outside ±(2^53 − 1) are written as decimal strings (Jaeger's
//!   `jsMaxSafeInteger` rule) and `binary` values as standard base64, as Go writes `[]byte`.
//!
//! Every type also deserializes (leniently: `null` or a missing array is empty, a missing `type`
//! is inferred from the JSON value), so tests and clients can read the API's answers back.

use std::collections::BTreeMap;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde::de::Error as _;
use serde::ser::SerializeStruct as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Largest integer a JavaScript number holds exactly (2^53 − 1); `int64` tag values beyond
/// ±`JS_MAX_SAFE_INTEGER` are sent as strings.
pub const JS_MAX_SAFE_INTEGER: i64 = (1 << 53) - 1;

/// One trace as the Jaeger UI shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Trace {
    /// The trace id in Jaeger's hex spelling (see [`super::ids::jaeger_trace_id`]).
    #[serde(rename = "traceID")]
    pub trace_id: String,
    /// The spans, each naming its process by `processID`.
    #[serde(default, deserialize_with = "null_as_default")]
    pub spans: Vec<Span>,
    /// Process id (`"p1"`, `"p2"`, …) → process. A `BTreeMap`, so keys are written sorted, as Go
    /// writes maps.
    #[serde(default, deserialize_with = "null_as_default")]
    pub processes: BTreeMap<String, Process>,
    /// Trace-level warnings; `null` when there are none.
    #[serde(default)]
    pub warnings: Option<Vec<String>>,
}

/// One span of a [`Trace`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Span {
    /// The span's trace id in Jaeger's hex spelling.
    #[serde(rename = "traceID")]
    pub trace_id: String,
    /// The span id: 16 lower-case hex digits.
    #[serde(rename = "spanID")]
    pub span_id: String,
    /// Jaeger span flags: bit 1 is "sampled". Omitted from the JSON when 0.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub flags: u32,
    /// The span name.
    #[serde(rename = "operationName", default)]
    pub operation_name: String,
    /// Parent (`CHILD_OF`, first) and links (`FOLLOWS_FROM` unless marked otherwise).
    #[serde(default, deserialize_with = "null_as_default")]
    pub references: Vec<Reference>,
    /// Start time, microseconds since the Unix epoch.
    #[serde(rename = "startTime", default)]
    pub start_time: u64,
    /// Duration in microseconds.
    #[serde(default)]
    pub duration: u64,
    /// Span tags: attributes plus the synthesized `span.kind`, `otel.status_code`, … tags.
    #[serde(default, deserialize_with = "null_as_default")]
    pub tags: Vec<KeyValue>,
    /// Span logs (OTLP events).
    #[serde(default, deserialize_with = "null_as_default")]
    pub logs: Vec<Log>,
    /// Key of this span's process in [`Trace::processes`]. Omitted when empty.
    #[serde(
        rename = "processID",
        default,
        skip_serializing_if = "String::is_empty"
    )]
    pub process_id: String,
    /// Span-level warnings; `null` when there are none.
    #[serde(default)]
    pub warnings: Option<Vec<String>>,
}

/// Kind of a span [`Reference`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum RefType {
    /// The referenced span is the parent (`"CHILD_OF"`).
    #[serde(rename = "CHILD_OF")]
    ChildOf,
    /// The referenced span caused this one without being its parent (`"FOLLOWS_FROM"`).
    #[serde(rename = "FOLLOWS_FROM")]
    FollowsFrom,
}

/// A reference from one span to another, possibly in another trace.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Reference {
    /// `CHILD_OF` or `FOLLOWS_FROM`.
    #[serde(rename = "refType")]
    pub ref_type: RefType,
    /// Trace id of the referenced span, in Jaeger's hex spelling.
    #[serde(rename = "traceID")]
    pub trace_id: String,
    /// Span id of the referenced span.
    #[serde(rename = "spanID")]
    pub span_id: String,
}

/// The process (OTLP resource) that emitted spans.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Process {
    /// The `service.name` of the resource.
    #[serde(rename = "serviceName", default)]
    pub service_name: String,
    /// The other resource attributes.
    #[serde(default, deserialize_with = "null_as_default")]
    pub tags: Vec<KeyValue>,
}

/// A timestamped log of a span (an OTLP span event).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Log {
    /// Microseconds since the Unix epoch.
    #[serde(default)]
    pub timestamp: u64,
    /// `event` (the event name) first, then the event attributes.
    #[serde(default, deserialize_with = "null_as_default")]
    pub fields: Vec<KeyValue>,
}

/// A typed tag: `{"key":…,"type":…,"value":…}`.
#[derive(Debug, Clone, PartialEq)]
pub struct KeyValue {
    /// Tag name.
    pub key: String,
    /// Tag value, which also decides the `type` member.
    pub value: TagValue,
}

/// The value of a [`KeyValue`]; the variant is the JSON `type`.
#[derive(Debug, Clone, PartialEq)]
pub enum TagValue {
    /// `"string"`.
    String(String),
    /// `"bool"`.
    Bool(bool),
    /// `"int64"`: a JSON number within ±(2^53 − 1), else a decimal string.
    Int64(i64),
    /// `"float64"`: a JSON number; NaN and ±infinity (which Go cannot encode at all) are written
    /// as the strings `"NaN"`, `"Infinity"`, `"-Infinity"`.
    Float64(f64),
    /// `"binary"`: standard base64 with padding.
    Binary(Vec<u8>),
}

impl TagValue {
    /// The JSON `type` member: `string`, `bool`, `int64`, `float64` or `binary`.
    pub fn type_name(&self) -> &'static str {
        match self {
            TagValue::String(_) => "string",
            TagValue::Bool(_) => "bool",
            TagValue::Int64(_) => "int64",
            TagValue::Float64(_) => "float64",
            TagValue::Binary(_) => "binary",
        }
    }
}

impl KeyValue {
    /// A `string` tag.
    pub fn string(key: impl Into<String>, value: impl Into<String>) -> Self {
        Self::new(key, TagValue::String(value.into()))
    }

    /// A `bool` tag.
    pub fn bool(key: impl Into<String>, value: bool) -> Self {
        Self::new(key, TagValue::Bool(value))
    }

    /// An `int64` tag.
    pub fn int64(key: impl Into<String>, value: i64) -> Self {
        Self::new(key, TagValue::Int64(value))
    }

    /// A `float64` tag.
    pub fn float64(key: impl Into<String>, value: f64) -> Self {
        Self::new(key, TagValue::Float64(value))
    }

    /// A `binary` tag.
    pub fn binary(key: impl Into<String>, value: impl Into<Vec<u8>>) -> Self {
        Self::new(key, TagValue::Binary(value.into()))
    }

    /// A tag with any value.
    pub fn new(key: impl Into<String>, value: TagValue) -> Self {
        Self {
            key: key.into(),
            value,
        }
    }
}

impl Serialize for KeyValue {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut s = serializer.serialize_struct("KeyValue", 3)?;
        s.serialize_field("key", &self.key)?;
        s.serialize_field("type", self.value.type_name())?;
        match &self.value {
            TagValue::String(v) => s.serialize_field("value", v)?,
            TagValue::Bool(v) => s.serialize_field("value", v)?,
            TagValue::Int64(v) if (-JS_MAX_SAFE_INTEGER..=JS_MAX_SAFE_INTEGER).contains(v) => {
                s.serialize_field("value", v)?
            }
            TagValue::Int64(v) => s.serialize_field("value", &v.to_string())?,
            TagValue::Float64(v) if v.is_finite() => s.serialize_field("value", v)?,
            TagValue::Float64(v) => s.serialize_field("value", non_finite_name(*v))?,
            TagValue::Binary(v) => s.serialize_field("value", &BASE64.encode(v))?,
        }
        s.end()
    }
}

fn non_finite_name(v: f64) -> &'static str {
    if v.is_nan() {
        "NaN"
    } else if v > 0.0 {
        "Infinity"
    } else {
        "-Infinity"
    }
}

impl<'de> Deserialize<'de> for KeyValue {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        struct Raw {
            key: String,
            #[serde(rename = "type", default)]
            ty: Option<String>,
            #[serde(default)]
            value: serde_json::Value,
        }
        use serde_json::Value as J;
        let raw = Raw::deserialize(deserializer)?;
        let ty = match raw.ty.as_deref() {
            Some(t) if !t.is_empty() => t.to_string(),
            // Go omits an empty type; infer it from the value.
            _ => match &raw.value {
                J::Bool(_) => "bool",
                J::Number(n) if n.is_i64() || n.is_u64() => "int64",
                J::Number(_) => "float64",
                _ => "string",
            }
            .to_string(),
        };
        let bad = |what: &str| D::Error::custom(format!("tag {:?}: {what}", raw.key));
        let value = match (ty.as_str(), &raw.value) {
            ("string", J::String(s)) => TagValue::String(s.clone()),
            ("string", J::Null) => TagValue::String(String::new()),
            ("bool", J::Bool(b)) => TagValue::Bool(*b),
            ("int64", J::Number(n)) => {
                TagValue::Int64(n.as_i64().ok_or_else(|| bad("int64 out of range"))?)
            }
            ("int64", J::String(s)) => {
                TagValue::Int64(s.parse().map_err(|_| bad("int64 is not an integer"))?)
            }
            ("float64", J::Number(n)) => {
                TagValue::Float64(n.as_f64().ok_or_else(|| bad("bad float64"))?)
            }
            ("float64", J::String(s)) => TagValue::Float64(match s.as_str() {
                "NaN" => f64::NAN,
                "Infinity" => f64::INFINITY,
                "-Infinity" => f64::NEG_INFINITY,
                other => other.parse().map_err(|_| bad("float64 is not a number"))?,
            }),
            ("binary", J::String(s)) => {
                TagValue::Binary(BASE64.decode(s).map_err(|_| bad("binary is not base64"))?)
            }
            (t, _) => return Err(bad(&format!("value does not fit type {t:?}"))),
        };
        Ok(KeyValue {
            key: raw.key,
            value,
        })
    }
}

/// The v1 envelope of every `/api/*` answer except `/api/metrics/*`:
/// `{"data":…,"total":0,"limit":0,"offset":0,"errors":null}`.
///
/// `total` is set only by `/api/services` and the operations endpoints ([`Response::ok_counted`]);
/// `limit` and `offset` are always 0 in Jaeger.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Response<T> {
    /// The payload; `null` in an error answer.
    pub data: T,
    /// Number of items, for services and operations only.
    #[serde(default)]
    pub total: usize,
    /// Always 0.
    #[serde(default)]
    pub limit: usize,
    /// Always 0.
    #[serde(default)]
    pub offset: usize,
    /// `null` when there are no errors.
    #[serde(default)]
    pub errors: Option<Vec<ResponseError>>,
}

impl<T> Response<T> {
    /// A successful answer with `total` 0 (traces, dependencies).
    pub fn ok(data: T) -> Self {
        Self::ok_counted(data, 0)
    }

    /// A successful answer that reports `total` (services and operations set it to the number of
    /// items).
    pub fn ok_counted(data: T, total: usize) -> Self {
        Self {
            data,
            total,
            limit: 0,
            offset: 0,
            errors: None,
        }
    }

    /// Adds per-item errors to a successful answer (e.g. `/api/traces?traceID=a&traceID=b` where
    /// one trace is missing: `{"msg":"trace not found","traceID":"…"}`). An empty list leaves
    /// `errors` `null`.
    pub fn with_errors(mut self, errors: Vec<ResponseError>) -> Self {
        self.errors = if errors.is_empty() {
            None
        } else {
            Some(errors)
        };
        self
    }
}

impl Response<()> {
    /// An error answer: `{"data":null,"total":0,"limit":0,"offset":0,"errors":[{"code":…,"msg":…}]}`.
    /// Send it with the same HTTP status as `code`.
    pub fn error(code: u16, msg: impl Into<String>) -> Self {
        Response::ok(()).with_errors(vec![ResponseError::new(code, msg)])
    }
}

/// One entry of [`Response::errors`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResponseError {
    /// HTTP status code; omitted when 0, as Go's `omitempty` does (per-trace errors of a
    /// multi-get carry no code).
    #[serde(default, skip_serializing_if = "is_zero_u16")]
    pub code: u16,
    /// Human-readable message, e.g. `"trace not found"`.
    pub msg: String,
    /// The trace the error is about, when there is one.
    #[serde(rename = "traceID", default, skip_serializing_if = "Option::is_none")]
    pub trace_id: Option<String>,
}

impl ResponseError {
    /// An error with a status code and message.
    pub fn new(code: u16, msg: impl Into<String>) -> Self {
        Self {
            code,
            msg: msg.into(),
            trace_id: None,
        }
    }

    /// Names the trace this error is about.
    pub fn with_trace_id(mut self, trace_id: impl Into<String>) -> Self {
        self.trace_id = Some(trace_id.into());
        self
    }
}

/// One operation of a service, for `/api/operations`: `{"name":"HTTP GET","spanKind":"server"}`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Operation {
    /// The span name.
    pub name: String,
    /// `server`, `client`, `producer`, `consumer`, `internal`, or empty when unspecified.
    #[serde(rename = "spanKind", default)]
    pub span_kind: String,
}

/// One edge of the service dependency graph, for `/api/dependencies`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Dependency {
    /// The calling service.
    pub parent: String,
    /// The called service.
    pub child: String,
    /// Number of calls in the window.
    #[serde(rename = "callCount")]
    pub call_count: u64,
}

fn is_zero(v: &u32) -> bool {
    *v == 0
}

fn is_zero_u16(v: &u16) -> bool {
    *v == 0
}

/// `null` (as Go writes a nil slice or map) reads as the empty value.
fn null_as_default<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Default + Deserialize<'de>,
{
    Ok(Option::<T>::deserialize(deserializer)?.unwrap_or_default())
}

#[cfg(test)]
#[path = "model_tests.rs"]
mod tests;
