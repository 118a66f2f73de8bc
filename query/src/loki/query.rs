//! `GET|POST /loki/api/v1/query_range` and `/loki/api/v1/query`: LogQL log queries answer
//! streams, metric queries a matrix (range) or a vector or scalar (instant).

use std::time::Instant;

use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use http::HeaderMap;
use serde_json::{Value as Json, json};
use sightline_logql::Expr;

use super::encode::{CATEGORIZE_LABELS, ENCODING_FLAGS_HEADER, stats_json, streams_json, success};
use super::params::{
    DEFAULT_LIMIT, default_step, direction, parse_loki_duration, parse_loki_time, time_range,
};
use super::request::LokiParams;
use crate::QueryState;
use crate::error::ApiError;
use crate::logs::metric::{MetricQuery, metric_json, run_metric_query};
use crate::logs::{LogQuery, run_log_query};
use crate::params::{blocking, now_nanos};

/// Loki's default cap on `limit` (`max_entries_limit_per_query`).
pub const MAX_ENTRIES_LIMIT: usize = 5000;

fn parse_query(params: &LokiParams) -> Result<Expr, ApiError> {
    let text = params
        .get("query")
        .ok_or_else(|| ApiError::BadRequest("query parameter is required".into()))?;
    sightline_logql::parse(text).map_err(|e| ApiError::BadRequest(e.to_string()))
}

fn limit(params: &LokiParams) -> Result<usize, ApiError> {
    let limit = params.usize("limit", DEFAULT_LIMIT)?;
    if limit > MAX_ENTRIES_LIMIT {
        return Err(ApiError::BadRequest(format!(
            "max entries limit per query exceeded, limit > max_entries_limit_per_query \
             ({limit} > {MAX_ENTRIES_LIMIT})"
        )));
    }
    Ok(limit)
}

fn categorize(headers: &HeaderMap) -> bool {
    headers
        .get_all(ENCODING_FLAGS_HEADER)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|v| v.split(',').any(|flag| flag.trim() == CATEGORIZE_LABELS))
}

/// `/loki/api/v1/query_range`.
pub async fn query_range_handler(
    State(state): State<QueryState>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
    body: Bytes,
) -> Result<axum::Json<Json>, ApiError> {
    let started = Instant::now();
    let tenant = state.tenant(&headers)?;
    let params = LokiParams::new(query.as_deref(), &headers, &body)?;
    let expr = parse_query(&params)?;
    let (start, end) = time_range(params.get("start"), params.get("end"), params.get("since"))?;
    let limit = limit(&params)?;
    let direction = direction(params.get("direction"))?;
    let store = state.store.clone();
    match expr {
        Expr::Log(log) => {
            let categorize = categorize(&headers);
            let (entries, stats) = blocking(move |runtime| {
                let query = LogQuery {
                    expr: &log,
                    start,
                    end,
                    limit,
                    direction,
                };
                run_log_query(&store, &tenant, &query, runtime)
            })
            .await?;
            let mut data = json!({
                "resultType": "streams",
                "result": streams_json(&entries, categorize),
                "stats": stats_json(&stats, entries.len(), started.elapsed().as_secs_f64()),
            });
            if categorize {
                data["encodingFlags"] = json!([CATEGORIZE_LABELS]);
            }
            Ok(axum::Json(success(data)))
        }
        Expr::Metric(metric) => {
            let step = match params.get("step") {
                Some(step) => parse_loki_duration("step", step)?,
                None => default_step(start, end),
            };
            let (value, stats) = blocking(move |runtime| {
                let query = MetricQuery {
                    expr: &metric,
                    start,
                    end,
                    step,
                    instant: false,
                };
                run_metric_query(&store, &tenant, &query, runtime)
            })
            .await?;
            let mut data = metric_json(&value);
            data["stats"] = stats_json(&stats, 0, started.elapsed().as_secs_f64());
            Ok(axum::Json(success(data)))
        }
    }
}

/// `/loki/api/v1/query`: a metric query at one instant (`time`, default now).
pub async fn instant_handler(
    State(state): State<QueryState>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
    body: Bytes,
) -> Result<axum::Json<Json>, ApiError> {
    let started = Instant::now();
    let tenant = state.tenant(&headers)?;
    let params = LokiParams::new(query.as_deref(), &headers, &body)?;
    let expr = parse_query(&params)?;
    limit(&params)?;
    direction(params.get("direction"))?;
    let time = match params.get("time") {
        Some(time) => parse_loki_time("time", time)?,
        None => now_nanos(),
    };
    let Expr::Metric(metric) = expr else {
        return Err(ApiError::BadRequest(
            "log queries are not supported as an instant query type, please change your query \
             to a range query type"
                .into(),
        ));
    };
    let store = state.store.clone();
    let (value, stats) = blocking(move |runtime| {
        let query = MetricQuery {
            expr: &metric,
            start: time,
            end: time,
            step: 0,
            instant: true,
        };
        run_metric_query(&store, &tenant, &query, runtime)
    })
    .await?;
    let mut data = metric_json(&value);
    data["stats"] = stats_json(&stats, 0, started.elapsed().as_secs_f64());
    Ok(axum::Json(success(data)))
}
