//! Grafana Loki's query API under `/loki/api/v1`, in Loki's documented shapes, so Grafana's Loki
//! data source works unchanged. Every endpoint takes `GET` with a query string or `POST` with a
//! form body; tenants come from `X-Scope-OrgID` when multi-tenancy is on.
//!
//! - [`query`]: `query_range` and `query` (LogQL log and metric queries).
//! - [`labels`]: `labels`, `label/{name}/values`, `series`.
//! - [`params`]: Loki's time, duration, direction and step parameters.
//! - [`request`]: query string and form body parameters.
//! - [`encode`]: the response envelope, streams and statistics.

pub mod encode;
pub mod labels;
pub mod params;
pub mod query;
pub mod request;

use axum::Router;
use axum::routing::get;

use crate::QueryState;

/// The Loki routes (state added by the caller).
pub fn routes() -> Router<QueryState> {
    Router::new()
        .route(
            "/loki/api/v1/query_range",
            get(query::query_range_handler).post(query::query_range_handler),
        )
        .route(
            "/loki/api/v1/query",
            get(query::instant_handler).post(query::instant_handler),
        )
        .route(
            "/loki/api/v1/labels",
            get(labels::labels_handler).post(labels::labels_handler),
        )
        .route(
            "/loki/api/v1/label/{name}/values",
            get(labels::values_handler).post(labels::values_handler),
        )
        .route(
            "/loki/api/v1/series",
            get(labels::series_handler).post(labels::series_handler),
        )
}
