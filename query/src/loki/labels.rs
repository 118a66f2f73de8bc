//! `GET|POST /loki/api/v1/labels`, `/loki/api/v1/label/{name}/values` and
//! `/loki/api/v1/series`: label discovery over a time range (default the last hour), optionally
//! restricted to the lines of a stream selector (`query=` for labels, `match[]` for series).

use std::collections::BTreeSet;

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use http::HeaderMap;
use serde_json::Value as Json;
use sightline_logql::{Labels, LogExpr};
use sightline_storage::{TelemetryStore, TenantId};

use super::encode::{labels_json, success};
use super::params::time_range;
use super::request::LokiParams;
use crate::QueryState;
use crate::error::ApiError;
use crate::logs::labels::{label_names, label_values};
use crate::logs::select::CompiledLogExpr;
use crate::logs::{LogLine, LogScan, pushdown, scan_logs};
use crate::params::blocking;

/// Most values one label-values call returns unless `limit` says otherwise.
const DEFAULT_VALUES_LIMIT: usize = 1000;

/// Parses a stream selector parameter (a log query; its pipeline, if any, is applied too).
pub fn parse_selector(name: &str, text: &str) -> Result<LogExpr, ApiError> {
    let expr = sightline_logql::parse(text).map_err(|e| ApiError::BadRequest(e.to_string()))?;
    expr.as_log().cloned().ok_or_else(|| {
        ApiError::BadRequest(format!(
            "{name} must be a stream selector such as {{service_name=\"api\"}}, not a metric query"
        ))
    })
}

/// Visits the stream and final labels of every line of `expr` in `range`.
fn visit_selected(
    store: &TelemetryStore,
    tenant: &TenantId,
    expr: &LogExpr,
    (start, end): (u64, u64),
    runtime: &tokio::runtime::Handle,
    visit: &mut dyn FnMut(&Labels, &Labels),
) -> Result<(), ApiError> {
    let compiled = CompiledLogExpr::new(expr)?;
    let scan = LogScan {
        conditions: pushdown(expr, start, end),
        ..LogScan::default()
    };
    scan_logs(
        store,
        tenant,
        &scan,
        runtime,
        &mut |_, _| false,
        &mut |line: LogLine| {
            if let Some(entry) = compiled.entry(&line) {
                visit(&entry.stream, &entry.labels);
            }
        },
    )?;
    Ok(())
}

/// `/loki/api/v1/labels`: stream label names, sorted.
pub async fn labels_handler(
    State(state): State<QueryState>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
    body: Bytes,
) -> Result<axum::Json<Json>, ApiError> {
    let tenant = state.tenant(&headers)?;
    let params = LokiParams::new(query.as_deref(), &headers, &body)?;
    let range = time_range(params.get("start"), params.get("end"), params.get("since"))?;
    let selector = params
        .get("query")
        .map(|q| parse_selector("query", q))
        .transpose()?;
    let store = state.store.clone();
    let names = blocking(move |runtime| match selector {
        None => Ok(label_names(&store, &tenant, range, runtime)?),
        Some(expr) => {
            let mut names = BTreeSet::new();
            visit_selected(&store, &tenant, &expr, range, runtime, &mut |stream, _| {
                for (name, _) in stream.iter() {
                    if !names.contains(name) {
                        names.insert(name.to_string());
                    }
                }
            })?;
            Ok(names.into_iter().collect())
        }
    })
    .await?;
    Ok(axum::Json(success(Json::from(names))))
}

/// `/loki/api/v1/label/{name}/values`: the values of a label, sorted.
pub async fn values_handler(
    State(state): State<QueryState>,
    Path(name): Path<String>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
    body: Bytes,
) -> Result<axum::Json<Json>, ApiError> {
    let tenant = state.tenant(&headers)?;
    let params = LokiParams::new(query.as_deref(), &headers, &body)?;
    let range = time_range(params.get("start"), params.get("end"), params.get("since"))?;
    let limit = params.usize("limit", DEFAULT_VALUES_LIMIT)?;
    let selector = params
        .get("query")
        .map(|q| parse_selector("query", q))
        .transpose()?;
    let store = state.store.clone();
    let values = blocking(move |runtime| match selector {
        None => Ok(label_values(&store, &tenant, &name, range, limit, runtime)?),
        Some(expr) => {
            let mut values = BTreeSet::new();
            visit_selected(&store, &tenant, &expr, range, runtime, &mut |_, labels| {
                if let Some(value) = labels.get(&name)
                    && !values.contains(value)
                {
                    values.insert(value.to_string());
                }
            })?;
            Ok(values.into_iter().take(limit).collect())
        }
    })
    .await?;
    Ok(axum::Json(success(Json::from(values))))
}

/// `/loki/api/v1/series`: the distinct stream label sets of the lines `match[]` selects.
pub async fn series_handler(
    State(state): State<QueryState>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
    body: Bytes,
) -> Result<axum::Json<Json>, ApiError> {
    let tenant = state.tenant(&headers)?;
    let params = LokiParams::new(query.as_deref(), &headers, &body)?;
    let range = time_range(params.get("start"), params.get("end"), params.get("since"))?;
    let selectors = params
        .all("match[]")
        .into_iter()
        .chain(params.all("match"))
        .map(|m| parse_selector("match[]", m))
        .collect::<Result<Vec<_>, _>>()?;
    if selectors.is_empty() {
        return Err(ApiError::BadRequest(
            "at least one match[] stream selector is required".into(),
        ));
    }
    let store = state.store.clone();
    let series = blocking(move |runtime| {
        let mut series = BTreeSet::new();
        for expr in &selectors {
            visit_selected(&store, &tenant, expr, range, runtime, &mut |stream, _| {
                if !series.contains(stream) {
                    series.insert(stream.clone());
                }
            })?;
        }
        Ok(series)
    })
    .await?;
    Ok(axum::Json(success(Json::Array(
        series.iter().map(labels_json).collect(),
    ))))
}
