//! `GET|POST /api/v1/query` and `/api/v1/query_range`: PromQL evaluated by `sightline_promql`
//! over the stored metrics (as Prometheus series, see [`crate::prometheus`]), answered in
//! Prometheus's shapes (`vector`, `matrix`, `scalar`, `string`; values as strings, times as
//! float seconds) and error types (`bad_data` 400, `execution` 422, `timeout` 503).

use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use http::HeaderMap;
use serde_json::{Map, Value as Json, json};
use sightline_promql::{EvalError, MatchOp, Matcher, QueryParams, Series, SeriesSource, Value};
use sightline_storage::{TelemetryStore, TenantId};

use super::envelope::{PromError, PromJson, format_value, unix_seconds};
use super::params::{PromParams, parse_duration, parse_time};
use super::select::{LabelMatcher, MatchKind, select_series};
use crate::QueryState;
use crate::error::ApiError;
use crate::prometheus::series::Temporality;

/// Default and longest evaluation time (Prometheus's `-query.timeout` default).
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(120);
/// Most series one selection or result may hold.
pub const MAX_SERIES: usize = 100_000;
/// Most points one query may load (Prometheus's `-query.max-samples` default).
pub const MAX_SAMPLES: usize = 50_000_000;

/// Stored series for the evaluator: each selection lists the tenant's series in its range.
struct StoreSeries<'a> {
    store: &'a TelemetryStore,
    tenant: &'a TenantId,
    runtime: &'a tokio::runtime::Handle,
}

impl SeriesSource for StoreSeries<'_> {
    type Error = ApiError;

    fn select(
        &mut self,
        matchers: &[Matcher],
        start_ms: i64,
        end_ms: i64,
    ) -> Result<Vec<Series>, ApiError> {
        let matchers: Vec<LabelMatcher> = matchers
            .iter()
            .map(|m| LabelMatcher {
                name: m.name.clone(),
                op: match m.op {
                    MatchOp::Eq => MatchKind::Equal,
                    MatchOp::Neq => MatchKind::NotEqual,
                    MatchOp::Re => MatchKind::Regex,
                    MatchOp::Nre => MatchKind::NotRegex,
                },
                value: m.value.clone(),
            })
            .collect();
        let nanos = |ms: i64| {
            u64::try_from(ms.max(0))
                .unwrap_or(0)
                .saturating_mul(1_000_000)
        };
        let found = self.runtime.block_on(select_series(
            self.store,
            self.tenant,
            &matchers,
            nanos(start_ms),
            nanos(end_ms),
        ))?;
        Ok(found
            .into_iter()
            .map(|s| {
                let mut labels = Vec::with_capacity(s.series.labels.len() + 1);
                labels.push(("__name__".to_string(), s.series.name.clone()));
                labels.extend(s.series.labels.iter().cloned());
                labels.sort();
                Series {
                    labels,
                    delta: s.series.temporality == Temporality::Delta,
                    // By value: the collect reuses the points' allocation.
                    points: s
                        .points
                        .into_iter()
                        .map(|p| ((p.time_ns / 1_000_000) as i64, p.value))
                        .collect(),
                }
            })
            .collect())
    }
}

fn labels_json(labels: &[(String, String)]) -> Json {
    Json::Object(
        labels
            .iter()
            .map(|(n, v)| (n.clone(), Json::String(v.clone())))
            .collect::<Map<String, Json>>(),
    )
}

fn time_json(ms: i64) -> Json {
    unix_seconds(u64::try_from(ms).unwrap_or(0).saturating_mul(1_000_000))
}

/// A result in Prometheus's shape.
pub fn result_json(value: &Value) -> Json {
    match value {
        Value::Vector(samples) => json!({
            "resultType": "vector",
            "result": samples.iter().map(|s| json!({
                "metric": labels_json(&s.labels),
                "value": [time_json(s.timestamp_ms), format_value(s.value)],
            })).collect::<Vec<_>>(),
        }),
        Value::Matrix(series) => json!({
            "resultType": "matrix",
            "result": series.iter().map(|s| json!({
                "metric": labels_json(&s.labels),
                "values": s.points.iter().map(|(t, v)| json!([time_json(*t), format_value(*v)])).collect::<Vec<_>>(),
            })).collect::<Vec<_>>(),
        }),
        Value::Scalar(t, v) => {
            json!({"resultType": "scalar", "result": [time_json(*t), format_value(*v)]})
        }
        Value::String(t, s) => json!({"resultType": "string", "result": [time_json(*t), s]}),
    }
}

fn eval_error(error: EvalError<ApiError>) -> PromError {
    match error {
        EvalError::Source(e) => PromError::internal(e.to_string()),
        EvalError::BadData(message) => PromError::bad_data(message),
        EvalError::Timeout => PromError::timeout("query timed out in expression evaluation"),
        other => PromError::execution(other.to_string()),
    }
}

fn parse_query(params: &PromParams) -> Result<sightline_promql::Expr, PromError> {
    let text = params
        .get("query")
        .ok_or_else(|| PromError::bad_data("invalid parameter \"query\": query is required"))?;
    sightline_promql::parse(text)
        .map_err(|e| PromError::bad_data(format!("invalid parameter \"query\": {}", e.message)))
}

fn deadline(params: &PromParams) -> Result<Instant, PromError> {
    let timeout = match params.get("timeout") {
        Some(text) => parse_duration("timeout", text)?.min(DEFAULT_TIMEOUT),
        None => DEFAULT_TIMEOUT,
    };
    Ok(Instant::now() + timeout)
}

async fn run(
    state: QueryState,
    tenant: TenantId,
    expr: sightline_promql::Expr,
    mut query: QueryParams,
    deadline: Instant,
) -> Result<PromJson, PromError> {
    query.max_series = MAX_SERIES;
    query.max_samples = MAX_SAMPLES;
    query.deadline = Some(deadline);
    let runtime = tokio::runtime::Handle::current();
    let value = tokio::task::spawn_blocking(move || {
        let mut source = StoreSeries {
            store: &state.store,
            tenant: &tenant,
            runtime: &runtime,
        };
        sightline_promql::evaluate(&expr, &query, &mut source)
    })
    .await
    .map_err(|e| PromError::internal(format!("query failed: {e}")))?
    .map_err(eval_error)?;
    Ok(PromJson::new(result_json(&value)))
}

/// Evaluates `expr` as an instant query at `time_ms` over `tenant`'s stored series, with the
/// API's series and sample limits and `timeout` (for alerting rules).
pub async fn instant_value(
    store: TelemetryStore,
    tenant: TenantId,
    expr: sightline_promql::Expr,
    time_ms: i64,
    timeout: Duration,
) -> Result<Value, String> {
    let mut query = QueryParams::instant(time_ms);
    query.max_series = MAX_SERIES;
    query.max_samples = MAX_SAMPLES;
    query.deadline = Some(Instant::now() + timeout);
    let runtime = tokio::runtime::Handle::current();
    tokio::task::spawn_blocking(move || {
        let mut source = StoreSeries {
            store: &store,
            tenant: &tenant,
            runtime: &runtime,
        };
        sightline_promql::evaluate(&expr, &query, &mut source)
    })
    .await
    .map_err(|e| format!("query failed: {e}"))?
    .map_err(|e| eval_error(e).message)
}

/// `/api/v1/query`: `query`, `time` (default now), `timeout`.
pub async fn query_handler(
    State(state): State<QueryState>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
    body: Bytes,
) -> Result<PromJson, PromError> {
    let tenant = state.tenant(&headers).map_err(PromError::from)?;
    let params = PromParams::new(query.as_deref(), &headers, &body)?;
    let expr = parse_query(&params)?;
    let time_ms = match params.get("time") {
        Some(text) => (parse_time("time", text)? / 1_000_000) as i64,
        None => (crate::params::now_nanos() / 1_000_000) as i64,
    };
    let deadline = deadline(&params)?;
    run(state, tenant, expr, QueryParams::instant(time_ms), deadline).await
}

/// `/api/v1/query_range`: `query`, `start`, `end`, `step` (all required), `timeout`.
pub async fn query_range_handler(
    State(state): State<QueryState>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
    body: Bytes,
) -> Result<PromJson, PromError> {
    let tenant = state.tenant(&headers).map_err(PromError::from)?;
    let params = PromParams::new(query.as_deref(), &headers, &body)?;
    let expr = parse_query(&params)?;
    let required = |name: &str| {
        params
            .get(name)
            .ok_or_else(|| PromError::bad_data(format!("invalid parameter \"{name}\": missing")))
    };
    let start_ms = (parse_time("start", required("start")?)? / 1_000_000) as i64;
    let end_ms = (parse_time("end", required("end")?)? / 1_000_000) as i64;
    if end_ms < start_ms {
        return Err(PromError::bad_data(
            "invalid parameter \"end\": end timestamp must not be before start time",
        ));
    }
    let step = parse_duration("step", required("step")?)?;
    if step.is_zero() {
        return Err(PromError::bad_data(
            "invalid parameter \"step\": zero or negative query resolution step widths are not accepted. Try a positive integer",
        ));
    }
    let deadline = deadline(&params)?;
    let query = QueryParams::range(start_ms, end_ms, step.as_millis() as i64);
    run(state, tenant, expr, query, deadline).await
}
