//! Sightline's read side: the HTTP query APIs over the store (heads and blocks).
//!
//! - [`tempo`]: Grafana Tempo's API (`/api/traces/{id}`, `/api/v2/traces/{id}`, `/api/echo`,
//!   `/api/status/buildinfo`).
//! - [`params`]: parsing of ids and time ranges shared by the APIs.
//! - [`error`]: API errors and their HTTP replies.

pub mod error;
pub mod params;
pub mod search;
pub mod tags;
pub mod tempo;
pub mod traceql_metrics;

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
    tempo::routes().with_state(state)
}
