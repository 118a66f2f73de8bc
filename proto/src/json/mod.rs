//! The OTLP/JSON codec: request decoding, request/response encoding and the JSON form of
//! `google.rpc.Status`.
//!
//! This module owns every conversion between the OTLP prost types ([`crate::otlp`]) and JSON.
//!
//! **Decoding** ([`decode_trace_request`], [`decode_logs_request`], [`decode_metrics_request`]) is
//! lenient in the way the OpenTelemetry Collector's pdata is:
//! - keys are lowerCamelCase, and the snake_case spelling of every key is accepted too; unknown
//!   keys are ignored at every level; `null` means "absent";
//! - trace and span ids are case-insensitive hex (never base64). Even-length hex of the wrong
//!   byte length is kept as those bytes, so the receiver's validator can reject the span through a
//!   partial success; other `bytes` fields are base64 (standard or URL-safe, padding optional);
//! - integers accept JSON numbers and decimal strings, doubles also accept numeric strings and
//!   `"NaN"`, `"Infinity"`, `"-Infinity"`; enums accept integers and their proto names;
//! - `AnyValue` nesting (arrays and key-value lists) is limited to [`MAX_ANY_VALUE_DEPTH`] and the
//!   JSON document to [`MAX_JSON_NESTING`] levels, so hostile input cannot overflow the stack;
//! - a value set for more than one member of a oneof (`AnyValue`, `Metric` data, `asDouble` /
//!   `asInt`) is an error, since JSON object order is not kept.
//!
//! **Encoding** is strict OTLP/JSON: lowerCamelCase keys, 64-bit integers as decimal strings,
//! doubles as numbers (non-finite ones as `"NaN"`, `"Infinity"`, `"-Infinity"`), fields at their
//! default value omitted except oneof members and proto3 `optional` fields. [`JsonStyle`] chooses
//! how ids and enums are written, so the same encoder also produces Tempo's JSON.

mod decode;
mod decode_metrics;
mod encode;
mod encode_reply;
mod scalar;

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_decode;
#[cfg(test)]
mod tests_errors;

pub use encode::{
    encode_any_value, encode_key_values, encode_logs_request, encode_metrics_request,
    encode_resource_logs, encode_resource_metrics, encode_resource_spans, encode_trace_request,
};
pub use encode_reply::{
    encode_logs_response, encode_metrics_response, encode_status, encode_trace_response,
};

use crate::otlp::collector::logs::v1::ExportLogsServiceRequest;
use crate::otlp::collector::metrics::v1::ExportMetricsServiceRequest;
use crate::otlp::collector::trace::v1::ExportTraceServiceRequest;

/// Deepest nesting of `arrayValue` / `kvlistValue` containers accepted inside one `AnyValue`.
pub const MAX_ANY_VALUE_DEPTH: usize = 64;

/// Deepest nesting of JSON arrays and objects accepted in a request body. It leaves room for the
/// OTLP envelope, [`MAX_ANY_VALUE_DEPTH`] levels of `kvlistValue` (four JSON levels each) and some
/// unknown fields.
pub const MAX_JSON_NESTING: usize = 320;

/// Where a JSON document failed: a path like `resourceSpans[0].scopeSpans[1].spans[3].traceId` and a reason.
///
/// The path uses the lowerCamelCase field names even when the input spelled a key in snake_case;
/// it is `$` when the document as a whole is at fault (invalid JSON, not an object, too deep).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{path}: {message}")]
pub struct OtlpJsonError {
    /// Location of the offending value, e.g. `resourceSpans[0].scopeSpans[0].spans[3].traceId`.
    pub path: String,
    /// Human-readable reason, suitable for a `400 Bad Request` message.
    pub message: String,
}

impl OtlpJsonError {
    /// An error about the value being decoded; callers prepend the path on the way out.
    pub(crate) fn new(message: impl Into<String>) -> Self {
        Self {
            path: String::new(),
            message: message.into(),
        }
    }

    /// An error about the whole document.
    pub(crate) fn root(message: impl Into<String>) -> Self {
        Self {
            path: "$".to_string(),
            message: message.into(),
        }
    }

    /// Prepends a field name to the path (`spans` + `[3].traceId` -> `spans[3].traceId`).
    pub(crate) fn under(mut self, field: &str) -> Self {
        if self.path.is_empty() {
            self.path = field.to_string();
        } else if self.path.starts_with('[') {
            self.path.insert_str(0, field);
        } else {
            self.path.insert(0, '.');
            self.path.insert_str(0, field);
        }
        self
    }

    /// Prepends a list index to the path (`[3]` + `traceId` -> `[3].traceId`).
    pub(crate) fn at_index(mut self, index: usize) -> Self {
        let prefix = format!("[{index}]");
        if !self.path.is_empty() && !self.path.starts_with('[') {
            self.path.insert(0, '.');
        }
        self.path.insert_str(0, &prefix);
        self
    }
}

/// How ids and enums are written. OTLP/JSON (and Jaeger's v3 API): hex ids, integer enums.
/// Tempo's JSON (gogo jsonpb): base64 ids, enum names such as "SPAN_KIND_SERVER", "STATUS_CODE_ERROR".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JsonStyle {
    /// Encoding of trace and span ids.
    pub ids: IdEncoding,
    /// Encoding of enum fields (span kind, status code, severity, temporality).
    pub enums: EnumEncoding,
}

/// How trace and span ids are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdEncoding {
    /// Lower-case hex, as OTLP/JSON requires.
    Hex,
    /// Standard base64 with padding, as proto3 JSON writes `bytes` (Tempo).
    Base64,
}

/// How enum fields are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EnumEncoding {
    /// The enum's integer value, as OTLP/JSON requires.
    Integer,
    /// The proto name (`SPAN_KIND_SERVER`); values without a name are written as integers.
    Name,
}

impl JsonStyle {
    /// OTLP/JSON as the specification defines it: hex ids and integer enums.
    pub const OTLP: JsonStyle = JsonStyle {
        ids: IdEncoding::Hex,
        enums: EnumEncoding::Integer,
    };
    /// Tempo's JSON (gogo jsonpb): base64 ids and enum names.
    pub const TEMPO: JsonStyle = JsonStyle {
        ids: IdEncoding::Base64,
        enums: EnumEncoding::Name,
    };
}

/// Decodes an OTLP/JSON `ExportTraceServiceRequest` (the body of `POST /v1/traces`).
pub fn decode_trace_request(body: &[u8]) -> Result<ExportTraceServiceRequest, OtlpJsonError> {
    decode::trace_request(body)
}

/// Decodes an OTLP/JSON `ExportLogsServiceRequest` (the body of `POST /v1/logs`).
pub fn decode_logs_request(body: &[u8]) -> Result<ExportLogsServiceRequest, OtlpJsonError> {
    decode::logs_request(body)
}

/// Decodes an OTLP/JSON `ExportMetricsServiceRequest` (the body of `POST /v1/metrics`).
pub fn decode_metrics_request(body: &[u8]) -> Result<ExportMetricsServiceRequest, OtlpJsonError> {
    decode_metrics::metrics_request(body)
}
