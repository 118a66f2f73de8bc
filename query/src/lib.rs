//! Sightline's read side: the HTTP query APIs over the store (heads and blocks).
//!
//! - [`tempo`]: Grafana Tempo's API (trace by id, search, tags, TraceQL metrics, echo, buildinfo).
//! - [`jaeger`]: Jaeger's v1 and v3 query APIs under `/jaeger`.
//! - [`prom_api`]: the Prometheus HTTP API (PromQL via `sightline_promql`) under `/api/v1`.
//! - [`loki`]: Grafana Loki's query API (LogQL) under `/loki/api/v1`.
//! - [`logs`]: scanning log lines from heads and blocks through the full-text index.
//! - [`search`]: the TraceQL search engine; [`traceql_metrics`]: TraceQL metrics over it.
//! - [`tags`]: tag name and value discovery.
//! - [`service_map`]: the service map, read from the metrics derived at ingest.
//! - [`ui`]: the native API of the web UI (`/api/ui/...`: service map, trace waterfalls).
//! - [`prometheus`]: OTLP metrics as Prometheus series (naming, samples, staleness); the base
//!   of PromQL and the Prometheus API.
//! - [`params`]: parsing of ids and time ranges shared by the APIs.
//! - [`error`]: API errors and their HTTP replies.

#[cfg(test)]
mod contract_tests;
pub mod error;
pub mod jaeger;
pub mod logs;
pub mod loki;
pub mod params;
pub mod prom_api;
pub mod prometheus;
pub mod rules;
pub mod search;
pub mod service_map;
pub mod tags;
pub mod tempo;
pub mod traceql_metrics;
pub mod ui;

use axum::Router;
use sightline_storage::{TelemetryStore, TenantId, tenant_from_header};

pub use error::ApiError;

/// What every query handler needs.
#[derive(Clone)]
pub struct QueryState {
    /// The store to read from.
    pub store: TelemetryStore,
    /// Take the tenant from `X-Scope-OrgID`.
    pub multitenancy_enabled: bool,
}

impl QueryState {
    /// The tenant of a query request.
    pub fn tenant(&self, headers: &http::HeaderMap) -> Result<TenantId, ApiError> {
        let header = headers
            .get(sightline_storage::TENANT_HEADER)
            .map(|v| v.as_bytes());
        tenant_from_header(self.multitenancy_enabled, header).map_err(ApiError::from)
    }
}

/// Every query API route.
pub fn router(state: QueryState) -> Router {
    tempo::routes()
        .merge(jaeger::routes())
        .merge(loki::routes())
        .merge(prom_api::routes())
        .merge(ui::routes())
        .with_state(state)
}
