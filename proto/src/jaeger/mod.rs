//! Jaeger's query API wire types and the OTLP → Jaeger trace conversion.
//!
//! This module owns everything Jaeger-shaped that the query API answers with:
//! - [`model`]: the JSON model of Jaeger's internal HTTP API (`/api/traces`, `/api/services`,
//!   `/api/operations`, `/api/dependencies`), i.e. Jaeger's `internal/uimodel`, and the v1
//!   envelope `{"data":…,"total":0,"limit":0,"offset":0,"errors":null}`;
//! - [`convert`]: OTLP spans → a Jaeger [`Trace`], following the OpenTelemetry Collector's
//!   `pkg/translator/jaeger` (`ProtoFromTraces`, which Jaeger v2 itself uses) and Jaeger's
//!   `uimodel/converter/v1/json` (`FromDomain`);
//! - [`ids`]: Jaeger's hex spelling of trace and span ids, and its lenient parsing.
//!
//! The `/api/v3` endpoints answer with OTLP/JSON and use [`crate::json`] instead.

pub mod convert;
pub mod ids;
pub mod model;

mod gojson;

pub use convert::{
    EMPTY_SERVICE_NAME, MISSING_SERVICE_NAME, SERVICE_NAME_WRONG_TYPE, process_from_resource,
    service_name, span_from_otlp, tag_from_any_value, trace_from_otlp,
};
pub use ids::{jaeger_span_id, jaeger_trace_id, parse_jaeger_span_id, parse_jaeger_trace_id};
pub use model::{
    Dependency, KeyValue, Log, Operation, Process, RefType, Reference, Response, ResponseError,
    Span, TagValue, Trace,
};
