//! `GET /api/metrics/query_range` and `GET /api/metrics/query`: TraceQL metrics in Tempo's
//! `QueryRangeResponse` shape.
//!
//! Parameters: `q` (a TraceQL metrics query), `start`/`end` (unix seconds, unix nanoseconds or
//! RFC 3339; default the last `since`, which defaults to 1h), `step` (Go duration or seconds;
//! default about 100 points per range, at least 1s) and `exemplars` (maximum exemplars per series,
//! default 10, `0` for none).

use axum::extract::{Query, State};
use http::HeaderMap;
use serde::Deserialize;
use serde_json::{Value as Json, json};
use sightline_proto::json::{JsonStyle, encode_any_value};
use sightline_traceql::parse;

use crate::QueryState;
use crate::error::ApiError;
use crate::params::{now_nanos, parse_go_duration, parse_timestamp};
use crate::search::Plan;
use crate::search::value::Value;
use crate::traceql_metrics::{MetricsRequest, Series, query_range};

/// Query parameters of the metrics endpoints.
#[derive(Debug, Deserialize, Default)]
pub struct MetricsParams {
    /// The TraceQL metrics query.
    pub q: Option<String>,
    /// Range start.
    pub start: Option<String>,
    /// Range end.
    pub end: Option<String>,
    /// Range length back from now when `start` is absent (Go duration).
    pub since: Option<String>,
    /// Step (Go duration, or seconds).
    pub step: Option<String>,
    /// Maximum exemplars per series.
    pub exemplars: Option<usize>,
}

const DEFAULT_EXEMPLARS: usize = 10;
const SECOND: u64 = 1_000_000_000;

/// A step: a Go duration, or a bare number of seconds (as Prometheus takes it).
fn parse_step(text: &str) -> Result<u64, ApiError> {
    match text.trim().parse::<f64>() {
        Ok(seconds) if seconds.is_finite() && seconds > 0.0 => Ok((seconds * 1e9) as u64),
        Ok(_) => Err(ApiError::BadRequest(format!(
            "invalid step {text:?}: must be positive"
        ))),
        Err(_) => parse_go_duration(text),
    }
}

/// The request's time range in unix nanoseconds.
fn time_range(params: &MetricsParams) -> Result<(u64, u64), ApiError> {
    let end = match params.end.as_deref().filter(|e| !e.trim().is_empty()) {
        Some(end) => parse_timestamp("end", end)?,
        None => now_nanos(),
    };
    let start = match params.start.as_deref().filter(|s| !s.trim().is_empty()) {
        Some(start) => parse_timestamp("start", start)?,
        None => {
            let since = params
                .since
                .as_deref()
                .map(parse_go_duration)
                .transpose()?
                .unwrap_or(3600 * SECOND);
            end.saturating_sub(since)
        }
    };
    if end <= start {
        return Err(ApiError::BadRequest("end must be after start".into()));
    }
    Ok((start, end))
}

fn parse_plan(params: &MetricsParams) -> Result<Plan, ApiError> {
    let text = params
        .q
        .as_deref()
        .filter(|q| !q.trim().is_empty())
        .ok_or_else(|| ApiError::BadRequest("missing q: a TraceQL metrics query".into()))?;
    let query =
        parse(text).map_err(|e| ApiError::BadRequest(format!("invalid TraceQL query: {e}")))?;
    if !query.is_metrics() {
        return Err(ApiError::BadRequest(
            "not a metrics query: add a metrics function, e.g. { } | rate()".into(),
        ));
    }
    Plan::new(query)
}

/// Handles `GET /api/metrics/query_range`.
pub async fn query_range_handler(
    State(state): State<QueryState>,
    Query(params): Query<MetricsParams>,
    headers: HeaderMap,
) -> Result<axum::Json<Json>, ApiError> {
    let tenant = state.tenant(&headers)?;
    let plan = parse_plan(&params)?;
    let (start, end) = time_range(&params)?;
    let step = match params.step.as_deref().filter(|s| !s.trim().is_empty()) {
        Some(step) => parse_step(step)?,
        None => default_step(start, end),
    };
    // Steps are aligned to multiples of the step, as Tempo aligns them.
    let aligned_start = start - start % step;
    let aligned_end = end.div_ceil(step).saturating_mul(step);
    if (aligned_end - aligned_start) / step > 11_000 {
        return Err(ApiError::BadRequest(
            "too many steps (more than 11000): raise step or shorten the range".into(),
        ));
    }
    let request = MetricsRequest {
        plan,
        start: aligned_start,
        end: aligned_end,
        step,
    };
    let series = query_range(&state.store, &tenant, request).await?;
    let exemplars = params.exemplars.unwrap_or(DEFAULT_EXEMPLARS);
    Ok(axum::Json(range_response(&series, exemplars)))
}

/// Handles `GET /api/metrics/query`: one value per series over the whole range.
pub async fn instant_handler(
    State(state): State<QueryState>,
    Query(params): Query<MetricsParams>,
    headers: HeaderMap,
) -> Result<axum::Json<Json>, ApiError> {
    let tenant = state.tenant(&headers)?;
    let plan = parse_plan(&params)?;
    let (start, end) = time_range(&params)?;
    let request = MetricsRequest {
        plan,
        start,
        end,
        step: end - start,
    };
    let series = query_range(&state.store, &tenant, request).await?;
    Ok(axum::Json(instant_response(&series)))
}

/// About 100 points per range, in whole seconds, at least one second.
pub fn default_step(start: u64, end: u64) -> u64 {
    ((end - start) / 100 / SECOND).max(1) * SECOND
}

fn label_json(labels: &[(String, Value)]) -> Json {
    Json::Array(
        labels
            .iter()
            .filter_map(|(key, value)| {
                let any = value.to_any()?;
                Some(json!({ "key": key, "value": encode_any_value(&any, JsonStyle::TEMPO) }))
            })
            .collect(),
    )
}

/// Prometheus-style text of the labels (`{a="x", b="y"}`).
fn prom_labels(labels: &[(String, Value)]) -> String {
    let inner: Vec<String> = labels
        .iter()
        .map(|(key, value)| format!("{key}={:?}", value.label()))
        .collect();
    format!("{{{}}}", inner.join(", "))
}

/// The `query_range` body.
pub fn range_response(series: &[Series], max_exemplars: usize) -> Json {
    let series: Vec<Json> = series
        .iter()
        .map(|s| {
            let samples: Vec<Json> = s
                .samples
                .iter()
                .map(|(t, v)| json!({ "timestampMs": t.to_string(), "value": v }))
                .collect();
            let exemplars: Vec<Json> = s
                .exemplars
                .iter()
                .take(max_exemplars)
                .map(|(trace_id, value, t)| {
                    json!({
                        "labels": [{ "key": "trace:id", "value": { "stringValue": hex::encode(trace_id) } }],
                        "value": value,
                        "timestampMs": t.to_string(),
                    })
                })
                .collect();
            json!({
                "labels": label_json(&s.labels),
                "samples": samples,
                "promLabels": prom_labels(&s.labels),
                "exemplars": exemplars,
            })
        })
        .collect();
    json!({ "series": series, "metrics": {}, "status": "COMPLETE", "message": "" })
}

/// The instant `query` body.
pub fn instant_response(series: &[Series]) -> Json {
    let series: Vec<Json> = series
        .iter()
        .map(|s| {
            json!({
                "labels": label_json(&s.labels),
                "value": s.samples.first().map_or(0.0, |(_, v)| *v),
                "promLabels": prom_labels(&s.labels),
            })
        })
        .collect();
    json!({ "series": series, "metrics": {} })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_take_durations_and_seconds() {
        assert_eq!(parse_step("30s").unwrap(), 30 * SECOND);
        assert_eq!(parse_step("15").unwrap(), 15 * SECOND);
        assert_eq!(parse_step("0.5").unwrap(), SECOND / 2);
        assert!(parse_step("0").is_err());
        assert!(parse_step("soon").is_err());
        assert_eq!(default_step(0, 3600 * SECOND), 36 * SECOND);
        assert_eq!(default_step(0, 10 * SECOND), SECOND);
    }

    #[test]
    fn time_range_defaults_to_the_last_hour() {
        let params = MetricsParams {
            end: Some("1700000000".into()),
            ..Default::default()
        };
        assert_eq!(
            time_range(&params).unwrap(),
            (1_699_996_400 * SECOND, 1_700_000_000 * SECOND)
        );
        let params = MetricsParams {
            start: Some("2023-11-14T22:13:20Z".into()),
            end: Some("1700000060000000000".into()),
            ..Default::default()
        };
        assert_eq!(
            time_range(&params).unwrap(),
            (1_700_000_000 * SECOND, 1_700_000_060 * SECOND)
        );
        let backwards = MetricsParams {
            start: Some("1700000001".into()),
            end: Some("1700000000".into()),
            ..Default::default()
        };
        assert!(time_range(&backwards).is_err());
    }
}
