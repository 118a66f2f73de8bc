//! Jaeger's v1 JSON API (`jaeger-query`'s `http_handler.go`), every answer in the envelope
//! `{"data":…,"total":…,"limit":0,"offset":0,"errors":…}`; errors carry the HTTP status in the
//! envelope too. `?prettyPrint=true` indents the JSON.
//!
//! Times follow Jaeger: trace search `start`/`end` in microseconds (default: the last 2 days),
//! `minDuration`/`maxDuration` as Go durations, `limit` defaulting to 100;
//! `/api/dependencies` takes `endTs` and `lookback` in milliseconds (default: the 24 hours up to
//! now).

use axum::Router;
use axum::extract::{Path, RawQuery, State};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use http::header::CONTENT_TYPE;
use http::{HeaderMap, StatusCode};
use serde::Serialize;
use sightline_proto::jaeger::{
    self, Dependency, Operation, ResponseError, jaeger_trace_id, parse_jaeger_trace_id,
};

use super::find::{SpanQuery, fetch_traces, find_trace_ids, kind_name, operations, parse_kind};
use super::{all_values, integer_param, json_tags, last_value, query_pairs};
use crate::QueryState;
use crate::error::ApiError;
use crate::params::{now_nanos, parse_go_duration};

const MICROSECOND: u64 = 1_000;
const MILLISECOND: u64 = 1_000_000;
const DAY: u64 = 24 * 3600 * 1_000_000_000;
const DEFAULT_LIMIT: usize = 100;

/// The v1 routes.
pub fn routes() -> Router<QueryState> {
    Router::new()
        .route("/api/services", get(services))
        .route(
            "/api/services/{service}/operations",
            get(service_operations),
        )
        .route("/api/operations", get(operations_handler))
        .route("/api/traces", get(traces))
        .route("/api/traces/{id}", get(trace_by_id))
        .route("/api/dependencies", get(dependencies))
}

/// A v1 error: the envelope with `errors:[{code,msg}]`, sent with that status.
#[derive(Debug)]
pub struct V1Error(pub ApiError);

impl From<ApiError> for V1Error {
    fn from(error: ApiError) -> Self {
        V1Error(error)
    }
}

impl IntoResponse for V1Error {
    fn into_response(self) -> Response {
        let status = self.0.status();
        if status.is_server_error() {
            tracing::error!(error = %self.0, "jaeger query failed");
        }
        let body = jaeger::Response::error(status.as_u16(), self.0.to_string());
        json_response(status, &body, false)
    }
}

fn json_response<T: Serialize>(status: StatusCode, body: &T, pretty: bool) -> Response {
    let text = if pretty {
        serde_json::to_string_pretty(body)
    } else {
        serde_json::to_string(body)
    };
    match text {
        Ok(text) => (status, [(CONTENT_TYPE, "application/json")], text).into_response(),
        Err(e) => (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()).into_response(),
    }
}

fn reply<T: Serialize>(pairs: &[(String, String)], body: jaeger::Response<T>) -> Response {
    let pretty = last_value(pairs, &["prettyPrint"]).is_some_and(|v| v == "true");
    json_response(StatusCode::OK, &body, pretty)
}

async fn services(
    State(state): State<QueryState>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
) -> Result<Response, V1Error> {
    let pairs = query_pairs(raw.as_deref());
    let tenant = state.tenant(&headers)?;
    let names = super::find::services(&state.store, &tenant).await?;
    let total = names.len();
    Ok(reply(&pairs, jaeger::Response::ok_counted(names, total)))
}

async fn service_operations(
    State(state): State<QueryState>,
    Path(service): Path<String>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
) -> Result<Response, V1Error> {
    let pairs = query_pairs(raw.as_deref());
    let tenant = state.tenant(&headers)?;
    let mut names: Vec<String> = operations(&state.store, &tenant, &service, None)
        .await?
        .into_iter()
        .map(|(name, _)| name)
        .collect();
    names.dedup();
    let total = names.len();
    Ok(reply(&pairs, jaeger::Response::ok_counted(names, total)))
}

async fn operations_handler(
    State(state): State<QueryState>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
) -> Result<Response, V1Error> {
    let pairs = query_pairs(raw.as_deref());
    let tenant = state.tenant(&headers)?;
    let service = last_value(&pairs, &["service"])
        .ok_or_else(|| ApiError::BadRequest("parameter 'service' is required".into()))?;
    let kind = last_value(&pairs, &["spanKind"])
        .map(|k| {
            parse_kind(k).ok_or_else(|| {
                ApiError::BadRequest(format!(
                    "unsupported spanKind {k:?}: use server, client, producer, consumer or internal"
                ))
            })
        })
        .transpose()?;
    let found: Vec<Operation> = operations(&state.store, &tenant, service, kind)
        .await?
        .into_iter()
        .map(|(name, kind)| Operation {
            name,
            span_kind: kind_name(kind).to_string(),
        })
        .collect();
    let total = found.len();
    Ok(reply(&pairs, jaeger::Response::ok_counted(found, total)))
}

/// Reads a v1 trace search from the query string.
pub fn parse_search(pairs: &[(String, String)], now: u64) -> Result<SpanQuery, ApiError> {
    let mut tags = Vec::new();
    for text in all_values(pairs, "tags") {
        json_tags("tags", text, &mut tags)?;
    }
    for text in all_values(pairs, "tag") {
        let (key, value) = text.split_once(':').ok_or_else(|| {
            ApiError::BadRequest(format!(
                "malformed 'tag' parameter {text:?}: expected key:value"
            ))
        })?;
        tags.push((key.to_string(), value.to_string()));
    }
    let end = integer_param(pairs, "end", MICROSECOND)?.unwrap_or(now);
    let start = integer_param(pairs, "start", MICROSECOND)?.unwrap_or(end.saturating_sub(2 * DAY));
    let duration = |key: &str| {
        last_value(pairs, &[key])
            .map(|v| {
                parse_go_duration(v).map_err(|_| {
                    ApiError::BadRequest(format!("unable to parse param '{key}': {v:?}"))
                })
            })
            .transpose()
    };
    let min_duration = duration("minDuration")?;
    let max_duration = duration("maxDuration")?;
    if let (Some(min), Some(max)) = (min_duration, max_duration)
        && max < min
    {
        return Err(ApiError::BadRequest(
            "'maxDuration' should be greater than 'minDuration'".into(),
        ));
    }
    let limit = match last_value(pairs, &["limit"]) {
        Some(v) => v
            .trim()
            .parse::<usize>()
            .map_err(|_| ApiError::BadRequest(format!("unable to parse param 'limit': {v:?}")))?,
        None => 0,
    };
    Ok(SpanQuery {
        service: last_value(pairs, &["service"]).map(str::to_string),
        operation: last_value(pairs, &["operation"]).map(str::to_string),
        span_kind: None,
        tags,
        min_duration,
        max_duration,
        time_range: Some((start, end)),
        limit: if limit == 0 { DEFAULT_LIMIT } else { limit },
    })
}

fn parse_ids(texts: &[&str]) -> Result<Vec<[u8; 16]>, ApiError> {
    texts
        .iter()
        .map(|text| {
            parse_jaeger_trace_id(text.trim())
                .ok_or_else(|| ApiError::BadRequest(format!("malformed trace id {text:?}")))
        })
        .collect()
}

fn jaeger_traces(
    found: Vec<(
        [u8; 16],
        Vec<sightline_proto::otlp::trace::v1::ResourceSpans>,
    )>,
) -> Vec<jaeger::Trace> {
    found
        .iter()
        .filter_map(|(_, resource_spans)| jaeger::trace_from_otlp(resource_spans))
        .collect()
}

async fn traces(
    State(state): State<QueryState>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
) -> Result<Response, V1Error> {
    let pairs = query_pairs(raw.as_deref());
    let tenant = state.tenant(&headers)?;
    let ids = parse_ids(&all_values(&pairs, "traceID"))?;
    if !ids.is_empty() {
        let found = fetch_traces(&state.store, &tenant, ids.clone()).await?;
        let errors: Vec<ResponseError> = ids
            .iter()
            .filter(|id| !found.iter().any(|(f, _)| f == *id))
            .map(|id| ResponseError::new(0, "trace not found").with_trace_id(jaeger_trace_id(id)))
            .collect();
        let body = jaeger::Response::ok(jaeger_traces(found)).with_errors(errors);
        return Ok(reply(&pairs, body));
    }
    let query = parse_search(&pairs, now_nanos())?;
    if query.service.is_none() {
        return Err(ApiError::BadRequest("parameter 'service' is required".into()).into());
    }
    let ids = find_trace_ids(&state.store, &tenant, &query).await?;
    let found = fetch_traces(&state.store, &tenant, ids).await?;
    Ok(reply(&pairs, jaeger::Response::ok(jaeger_traces(found))))
}

async fn trace_by_id(
    State(state): State<QueryState>,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
) -> Result<Response, V1Error> {
    let pairs = query_pairs(raw.as_deref());
    let tenant = state.tenant(&headers)?;
    let ids = parse_ids(&[id.as_str()])?;
    let found = fetch_traces(&state.store, &tenant, ids).await?;
    if found.is_empty() {
        return Err(ApiError::NotFound("trace not found".into()).into());
    }
    Ok(reply(&pairs, jaeger::Response::ok(jaeger_traces(found))))
}

async fn dependencies(
    State(state): State<QueryState>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
) -> Result<Response, V1Error> {
    let pairs = query_pairs(raw.as_deref());
    let tenant = state.tenant(&headers)?;
    let end = integer_param(&pairs, "endTs", MILLISECOND)?.unwrap_or_else(now_nanos);
    let lookback = integer_param(&pairs, "lookback", MILLISECOND)?.unwrap_or(DAY);
    let service = last_value(&pairs, &["service"]);
    let map = crate::service_map::read_service_map(
        &state.store,
        &tenant,
        (end.saturating_sub(lookback), end),
    )
    .await?;
    let edges: Vec<Dependency> = map
        .edges
        .iter()
        .filter(|e| service.is_none_or(|s| e.client == s || e.server == s))
        .map(|e| Dependency {
            parent: e.client.clone(),
            child: e.server.clone(),
            call_count: e.requests,
        })
        .collect();
    Ok(reply(&pairs, jaeger::Response::ok(edges)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(text: &str) -> Vec<(String, String)> {
        query_pairs(Some(text))
    }

    #[test]
    fn search_parameters_follow_jaeger() {
        let now = 1_700_000_000_000_000_000;
        let q = parse_search(
            &pairs("service=cart&operation=GET&tags=%7B%22error%22%3A%22true%22%7D&tag=http.status_code:500&start=1699999000000000&end=1700000000000000&minDuration=10ms&limit=5"),
            now,
        )
        .unwrap();
        assert_eq!(q.service.as_deref(), Some("cart"));
        assert_eq!(q.operation.as_deref(), Some("GET"));
        assert_eq!(
            q.tags,
            vec![
                ("error".to_string(), "true".to_string()),
                ("http.status_code".to_string(), "500".to_string())
            ]
        );
        assert_eq!(q.time_range, Some((1_699_999_000_000_000_000, now)));
        assert_eq!(q.min_duration, Some(10_000_000));
        assert_eq!(q.limit, 5);
        let defaults = parse_search(&pairs("service=cart"), now).unwrap();
        assert_eq!(defaults.time_range, Some((now - 2 * DAY, now)));
        assert_eq!(defaults.limit, DEFAULT_LIMIT);
        for bad in [
            "service=a&minDuration=2s&maxDuration=1s",
            "service=a&minDuration=fast",
            "service=a&tags=notjson",
            "service=a&tag=nocolon",
            "service=a&start=yesterday",
            "service=a&limit=-1",
        ] {
            assert!(parse_search(&pairs(bad), now).is_err(), "{bad}");
        }
    }
}
