//! Sightline's native API for its web UI, under `/api/ui` (described in `docs/openapi.yaml`):
//!
//! - `GET /api/ui/service-map`: nodes and edges with their stats for a time range, optionally
//!   around one service;
//! - `GET /api/ui/traces/{id}/waterfall`: a window of a (possibly huge) trace in display order
//!   ([`waterfall`]);
//! - `GET /api/ui/traces/{id}/spans/{spanId}`: one span's attributes, events, links ([`span`]);
//! - log search, histogram, facets and the logs of a trace ([`logs`]).

pub mod logs;
pub mod span;
pub mod waterfall;

use axum::Router;
use axum::extract::{Query, State};
use axum::routing::get;
use http::HeaderMap;
use serde::Deserialize;
use serde_json::{Value as Json, json};

use crate::QueryState;
use crate::error::ApiError;
use crate::params::{now_nanos, parse_timestamp};
use crate::service_map::{Latency, ServiceMap, read_service_map};

/// The native UI routes.
pub fn routes() -> Router<QueryState> {
    Router::new()
        .route("/api/ui/service-map", get(service_map))
        .route("/api/ui/logs/search", get(logs::search_handler))
        .route("/api/ui/logs/histogram", get(logs::histogram_handler))
        .route("/api/ui/logs/facets", get(logs::facets_handler))
        .route("/api/ui/traces/{id}/logs", get(logs::trace_logs_handler))
        .route("/api/ui/traces/{id}/spans/{span}", get(span::span_handler))
        .route(
            "/api/ui/traces/{id}/waterfall",
            get(waterfall::waterfall_handler).post(waterfall::waterfall_handler),
        )
}

const HOUR: u64 = 3600 * 1_000_000_000;

/// Parameters of `/api/ui/service-map`.
#[derive(Debug, Deserialize, Default)]
pub struct ServiceMapParams {
    /// Range start (unix seconds, nanoseconds or RFC 3339); default `end` - 1h.
    pub start: Option<String>,
    /// Range end; default now.
    pub end: Option<String>,
    /// Only the neighbourhood of this service.
    pub service: Option<String>,
    /// Hops around `service` (default 1).
    pub depth: Option<usize>,
}

fn latency_json(latency: &Latency) -> Json {
    json!({ "p50": latency.p50, "p95": latency.p95, "p99": latency.p99 })
}

fn ratio(part: u64, whole: u64) -> f64 {
    if whole == 0 {
        0.0
    } else {
        part as f64 / whole as f64
    }
}

/// The service map as the UI reads it.
pub fn service_map_json(map: &ServiceMap) -> Json {
    let seconds = map.seconds();
    let nodes: Vec<Json> = map
        .nodes
        .iter()
        .map(|n| {
            json!({
                "id": n.name,
                "name": n.name,
                "kind": n.kind.as_str(),
                "requests": n.requests,
                "requestRate": n.requests as f64 / seconds,
                "errors": n.errors,
                "errorRate": ratio(n.errors, n.requests),
                "latencySeconds": latency_json(&n.latency),
            })
        })
        .collect();
    let edges: Vec<Json> = map
        .edges
        .iter()
        .map(|e| {
            json!({
                "source": e.client,
                "target": e.server,
                "connectionType": if e.connection_type.is_empty() { "unset" } else { &e.connection_type },
                "requests": e.requests,
                "requestRate": e.requests as f64 / seconds,
                "failed": e.failed,
                "errorRate": ratio(e.failed, e.requests),
                "latencySeconds": latency_json(&e.latency),
            })
        })
        .collect();
    json!({
        "start": map.start.to_string(),
        "end": map.end.to_string(),
        "nodes": nodes,
        "edges": edges,
    })
}

async fn service_map(
    State(state): State<QueryState>,
    Query(params): Query<ServiceMapParams>,
    headers: HeaderMap,
) -> Result<axum::Json<Json>, ApiError> {
    let tenant = state.tenant(&headers)?;
    let end = match params.end.as_deref().filter(|v| !v.trim().is_empty()) {
        Some(end) => parse_timestamp("end", end)?,
        None => now_nanos(),
    };
    let start = match params.start.as_deref().filter(|v| !v.trim().is_empty()) {
        Some(start) => parse_timestamp("start", start)?,
        None => end.saturating_sub(HOUR),
    };
    let mut map = read_service_map(&state.store, &tenant, (start, end)).await?;
    if let Some(service) = params.service.as_deref().filter(|s| !s.is_empty()) {
        map = map.around(service, params.depth.unwrap_or(1));
    }
    Ok(axum::Json(service_map_json(&map)))
}
