//! Grafana Tempo's HTTP API, exact to Tempo's documented shapes.
//!
//! - `GET /api/traces/{id}`: Tempo's legacy JSON `{"batches":[ResourceSpans...]}` (base64 ids,
//!   enum names, as Tempo's jsonpb writes them), or protobuf `tempopb.Trace` with
//!   `Accept: application/protobuf`.
//! - `GET /api/v2/traces/{id}`: `{"trace":{"resourceSpans":[...]},"status":"COMPLETE"}`, or
//!   protobuf `tempopb.TraceByIDResponse`.
//! - Both take optional `start`/`end` (unix seconds) limiting which blocks are searched; 404 when
//!   the trace is unknown, 400 for an invalid id.
//! - `GET /api/search` ([`search`]), tag discovery ([`tags`]) and TraceQL metrics ([`metrics`]).
//! - `GET /api/echo` and `GET /api/status/buildinfo`.

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use http::header::{ACCEPT, CONTENT_TYPE};
use http::{HeaderMap, StatusCode};
use prost::Message;
use serde::Deserialize;
use serde_json::{Value, json};
use sightline_proto::json::{JsonStyle, encode_resource_spans};
use sightline_proto::otlp::trace::v1::ResourceSpans;
use sightline_proto::tempopb;

pub mod metrics;
pub mod search;
pub mod tags;

use crate::QueryState;
use crate::error::ApiError;
use crate::params::{parse_trace_id, seconds_range};

/// Media type Tempo uses for protobuf replies.
pub const PROTOBUF: &str = "application/protobuf";

/// The Tempo routes (state added by the caller).
pub fn routes() -> Router<QueryState> {
    Router::new()
        .route("/api/echo", get(|| async { "echo" }))
        .route("/api/status/buildinfo", get(buildinfo))
        .route("/api/traces/{id}", get(trace_v1))
        .route("/api/v2/traces/{id}", get(trace_v2))
        .route("/api/search", get(search::search_handler))
        .route("/api/search/tags", get(tags::tags_v1))
        .route("/api/v2/search/tags", get(tags::tags_v2))
        .route("/api/search/tag/{tag}/values", get(tags::values_v1))
        .route("/api/v2/search/tag/{tag}/values", get(tags::values_v2))
        .route(
            "/api/metrics/query_range",
            get(metrics::query_range_handler),
        )
        .route("/api/metrics/query", get(metrics::instant_handler))
}

/// `start`/`end` of trace-by-id requests.
#[derive(Debug, Deserialize, Default)]
pub struct TimeRangeParams {
    /// Unix seconds.
    pub start: Option<String>,
    /// Unix seconds.
    pub end: Option<String>,
}

async fn buildinfo() -> axum::Json<Value> {
    axum::Json(json!({
        "version": env!("CARGO_PKG_VERSION"),
        "revision": "",
        "branch": "",
        "buildUser": "",
        "buildDate": "",
        "goVersion": "",
    }))
}

fn wants_protobuf(headers: &HeaderMap) -> bool {
    headers
        .get(ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|accept| {
            accept
                .split(',')
                .any(|part| part.trim().starts_with(PROTOBUF))
        })
}

/// Looks a trace up; `NotFound` when no span is known.
async fn lookup(
    state: &QueryState,
    headers: &HeaderMap,
    id: &str,
    params: &TimeRangeParams,
) -> Result<Vec<ResourceSpans>, ApiError> {
    let tenant = state.tenant(headers)?;
    let trace_id = parse_trace_id(id)?;
    let range = seconds_range(params.start.as_deref(), params.end.as_deref())?;
    let found = state
        .store
        .find_trace(&tenant, trace_id.as_bytes(), range)
        .await?;
    tracing::debug!(
        trace_id = %trace_id,
        spans = found.spans,
        blocks_considered = found.blocks_considered,
        blocks_inspected = found.blocks_inspected,
        "trace lookup"
    );
    if found.resource_spans.is_empty() {
        return Err(ApiError::NotFound("trace not found".into()));
    }
    Ok(found.resource_spans)
}

fn protobuf_response(bytes: Vec<u8>) -> Response {
    (StatusCode::OK, [(CONTENT_TYPE, PROTOBUF)], bytes).into_response()
}

fn tempo_json(resource_spans: &[ResourceSpans]) -> Value {
    Value::Array(
        resource_spans
            .iter()
            .map(|rs| encode_resource_spans(rs, JsonStyle::TEMPO))
            .collect(),
    )
}

async fn trace_v1(
    State(state): State<QueryState>,
    Path(id): Path<String>,
    Query(params): Query<TimeRangeParams>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let resource_spans = lookup(&state, &headers, &id, &params).await?;
    if wants_protobuf(&headers) {
        return Ok(protobuf_response(
            tempopb::Trace { resource_spans }.encode_to_vec(),
        ));
    }
    Ok(axum::Json(json!({ "batches": tempo_json(&resource_spans) })).into_response())
}

async fn trace_v2(
    State(state): State<QueryState>,
    Path(id): Path<String>,
    Query(params): Query<TimeRangeParams>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let resource_spans = lookup(&state, &headers, &id, &params).await?;
    if wants_protobuf(&headers) {
        let response = tempopb::TraceByIdResponse {
            trace: Some(tempopb::Trace { resource_spans }),
            status: 0,
            message: String::new(),
        };
        return Ok(protobuf_response(response.encode_to_vec()));
    }
    Ok(axum::Json(json!({
        "trace": { "resourceSpans": tempo_json(&resource_spans) },
        "status": "COMPLETE",
    }))
    .into_response())
}
