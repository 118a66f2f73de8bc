//! The Tempo protobuf messages the query API answers with when a client asks for
//! `Accept: application/protobuf`.
//!
//! Tempo's `tempopb.Trace` is `{ repeated ResourceSpans resource_spans = 1; }` (the OTLP
//! `ResourceSpans`), and `tempopb.TraceByIDResponse` is `{ Trace trace = 1; ... }`.

use crate::otlp::trace::v1::ResourceSpans;

/// `tempopb.Trace`: the spans of one trace, grouped by resource.
#[derive(Clone, PartialEq, prost::Message)]
pub struct Trace {
    /// Field 1 in Tempo's schema (named `batches` in its legacy JSON).
    #[prost(message, repeated, tag = "1")]
    pub resource_spans: Vec<ResourceSpans>,
}

/// `tempopb.TraceByIDResponse`, returned by `/api/v2/traces/{id}` in protobuf form.
#[derive(Clone, PartialEq, prost::Message)]
pub struct TraceByIdResponse {
    /// The trace, absent when not found.
    #[prost(message, optional, tag = "1")]
    pub trace: Option<Trace>,
    /// Tempo's `TraceByIDResponse.Status`: 0 = COMPLETE, 1 = PARTIAL.
    #[prost(int32, tag = "3")]
    pub status: i32,
    /// Human-readable note accompanying a PARTIAL status.
    #[prost(string, tag = "4")]
    pub message: String,
}
