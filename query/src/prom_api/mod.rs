//! The Prometheus HTTP API under `/api/v1`, in Prometheus' documented
//! shapes (envelope, error types, parameter formats), over OTLP metrics seen as Prometheus
//! series ([`crate::prometheus`]). Every endpoint takes `GET` with a query string or `POST`
//! with a form body; tenants come from `X-Scope-OrgID` when multi-tenancy is on.
//!
//! - [`metadata`]: `series`, `labels`, `label/{name}/values`, `metadata`, `query_exemplars`,
//!   `status/buildinfo`.
//! - [`select`]: series selection by PromQL label matchers.
//! - [`params`]: times, durations, `match[]` selectors, query string and form body.
//! - [`envelope`]: the success and error envelopes.
//!
//! - [`query`]: `query` and `query_range`, PromQL through `sightline_promql`.

pub mod envelope;
pub mod metadata;
pub mod params;
pub mod query;
#[cfg(test)]
mod query_tests;
pub mod select;
#[cfg(test)]
mod tests;

use axum::Router;
use axum::routing::get;

use crate::QueryState;

/// The Prometheus API routes (state added by the caller).
pub fn routes() -> Router<QueryState> {
    Router::new()
        .route(
            "/api/v1/query",
            get(query::query_handler).post(query::query_handler),
        )
        .route(
            "/api/v1/query_range",
            get(query::query_range_handler).post(query::query_range_handler),
        )
        .route(
            "/api/v1/series",
            get(metadata::series_handler).post(metadata::series_handler),
        )
        .route(
            "/api/v1/labels",
            get(metadata::labels_handler).post(metadata::labels_handler),
        )
        .route(
            "/api/v1/label/{name}/values",
            get(metadata::values_handler).post(metadata::values_handler),
        )
        .route(
            "/api/v1/metadata",
            get(metadata::metadata_handler).post(metadata::metadata_handler),
        )
        .route(
            "/api/v1/query_exemplars",
            get(metadata::exemplars_handler).post(metadata::exemplars_handler),
        )
        .route("/api/v1/status/buildinfo", get(metadata::buildinfo_handler))
}
