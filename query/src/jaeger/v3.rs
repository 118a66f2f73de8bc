//! Jaeger's API v3 over HTTP (`/api/v3/*`): services, operations, traces by id, trace search and
//! trace summaries,
//! answering with OTLP JSON (hex ids, `{"result":{"resourceSpans":[…]}}`). Errors are
//! `{"error":{"httpCode":…,"message":…}}`, as Jaeger's HTTP gateway writes them.
//!
//! Search parameters take Jaeger's spelling (`query.service_name`, `query.operation_name`,
//! `query.attributes` as a JSON object, `query.start_time_min`/`max` as RFC 3339,
//! `query.duration_min`/`max` as Go durations, `query.search_depth` or `query.num_traces`); the
//! camelCase forms are accepted too.

use axum::Router;
use axum::extract::{Path, RawQuery, State};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use http::HeaderMap;
use serde_json::{Value as Json, json};
use sightline_proto::jaeger::parse_jaeger_trace_id;
use sightline_proto::json::{JsonStyle, encode_resource_spans};
use sightline_proto::otlp::trace::v1::ResourceSpans;

use super::find::{
    SpanQuery, fetch_traces, find_trace_ids, find_trace_matches, kind_name, operations, parse_kind,
};
use super::{json_tags, last_value, query_pairs};
use crate::QueryState;
use crate::error::ApiError;
use crate::params::{parse_go_duration, parse_timestamp};

const DEFAULT_SEARCH_DEPTH: usize = 100;

/// The v3 routes.
pub fn routes() -> Router<QueryState> {
    Router::new()
        .route("/api/v3/services", get(services))
        .route("/api/v3/operations", get(operations_handler))
        .route("/api/v3/traces", get(find_traces))
        .route("/api/v3/traces/{id}", get(trace_by_id))
        .route("/api/v3/trace-summaries", get(trace_summaries))
}

/// A v3 error: `{"error":{"httpCode":…,"message":…}}` with that status.
#[derive(Debug)]
pub struct V3Error(pub ApiError);

impl From<ApiError> for V3Error {
    fn from(error: ApiError) -> Self {
        V3Error(error)
    }
}

impl IntoResponse for V3Error {
    fn into_response(self) -> Response {
        let status = self.0.status();
        if status.is_server_error() {
            tracing::error!(error = %self.0, "jaeger v3 query failed");
        }
        let body = json!({
            "error": { "httpCode": status.as_u16(), "message": self.0.to_string() }
        });
        (status, axum::Json(body)).into_response()
    }
}

async fn services(
    State(state): State<QueryState>,
    headers: HeaderMap,
) -> Result<axum::Json<Json>, V3Error> {
    let tenant = state.tenant(&headers)?;
    let names = super::find::services(&state.store, &tenant).await?;
    Ok(axum::Json(json!({ "services": names })))
}

async fn operations_handler(
    State(state): State<QueryState>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
) -> Result<axum::Json<Json>, V3Error> {
    let pairs = query_pairs(raw.as_deref());
    let tenant = state.tenant(&headers)?;
    let service = last_value(&pairs, &["service"])
        .ok_or_else(|| ApiError::BadRequest("parameter 'service' is required".into()))?;
    let kind = last_value(&pairs, &["span_kind", "spanKind"])
        .map(|k| {
            parse_kind(k)
                .ok_or_else(|| ApiError::BadRequest(format!("unsupported span_kind {k:?}")))
        })
        .transpose()?;
    let found: Vec<Json> = operations(&state.store, &tenant, service, kind)
        .await?
        .into_iter()
        .map(|(name, kind)| json!({ "name": name, "spanKind": kind_name(kind) }))
        .collect();
    Ok(axum::Json(json!({ "operations": found })))
}

fn result(traces: &[([u8; 16], Vec<ResourceSpans>)]) -> Json {
    let resource_spans: Vec<Json> = traces
        .iter()
        .flat_map(|(_, rs)| rs.iter())
        .map(|rs| encode_resource_spans(rs, JsonStyle::OTLP))
        .collect();
    json!({ "result": { "resourceSpans": resource_spans } })
}

async fn trace_by_id(
    State(state): State<QueryState>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<axum::Json<Json>, V3Error> {
    let tenant = state.tenant(&headers)?;
    let id = parse_jaeger_trace_id(id.trim())
        .ok_or_else(|| ApiError::BadRequest(format!("malformed trace_id {id:?}")))?;
    let found = fetch_traces(&state.store, &tenant, vec![id]).await?;
    if found.is_empty() {
        return Err(ApiError::NotFound("trace not found".into()).into());
    }
    Ok(axum::Json(result(&found)))
}

/// Reads a v3 trace search from the query string.
pub fn parse_search(pairs: &[(String, String)]) -> Result<SpanQuery, ApiError> {
    let get = |snake: &str, camel: &str| last_value(pairs, &[snake, camel]);
    let time = |snake: &str, camel: &str| -> Result<u64, ApiError> {
        let text = get(snake, camel)
            .ok_or_else(|| ApiError::BadRequest(format!("parameter '{snake}' is required")))?;
        parse_timestamp(snake, text)
    };
    let start = time("query.start_time_min", "query.startTimeMin")?;
    let end = time("query.start_time_max", "query.startTimeMax")?;
    if end < start {
        return Err(ApiError::BadRequest(
            "query.start_time_max must not be before query.start_time_min".into(),
        ));
    }
    let duration = |snake: &str, camel: &str| get(snake, camel).map(parse_go_duration).transpose();
    let min_duration = duration("query.duration_min", "query.durationMin")?;
    let max_duration = duration("query.duration_max", "query.durationMax")?;
    if let (Some(min), Some(max)) = (min_duration, max_duration)
        && max < min
    {
        return Err(ApiError::BadRequest(
            "query.duration_max must not be below query.duration_min".into(),
        ));
    }
    let mut tags = Vec::new();
    if let Some(text) = get("query.attributes", "query.attributes") {
        json_tags("query.attributes", text, &mut tags)?;
    }
    let depth = match get("query.search_depth", "query.searchDepth")
        .or_else(|| get("query.num_traces", "query.numTraces"))
    {
        Some(text) => text
            .trim()
            .parse::<usize>()
            .map_err(|_| ApiError::BadRequest(format!("invalid query.search_depth {text:?}")))?,
        None => 0,
    };
    Ok(SpanQuery {
        service: get("query.service_name", "query.serviceName").map(str::to_string),
        operation: get("query.operation_name", "query.operationName").map(str::to_string),
        span_kind: None,
        tags,
        min_duration,
        max_duration,
        time_range: Some((start, end)),
        limit: if depth == 0 {
            DEFAULT_SEARCH_DEPTH
        } else {
            depth
        },
    })
}

async fn find_traces(
    State(state): State<QueryState>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
) -> Result<axum::Json<Json>, V3Error> {
    let pairs = query_pairs(raw.as_deref());
    let tenant = state.tenant(&headers)?;
    let query = parse_search(&pairs)?;
    let ids = find_trace_ids(&state.store, &tenant, &query).await?;
    let found = fetch_traces(&state.store, &tenant, ids).await?;
    if found.is_empty() {
        return Err(ApiError::NotFound("no traces found".into()).into());
    }
    Ok(axum::Json(result(&found)))
}

/// `/api/v3/trace-summaries`: the traces a search finds, summarized (same parameters as
/// `/api/v3/traces`), without fetching them whole.
async fn trace_summaries(
    State(state): State<QueryState>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
) -> Result<axum::Json<Json>, V3Error> {
    let pairs = query_pairs(raw.as_deref());
    let tenant = state.tenant(&headers)?;
    let query = parse_search(&pairs)?;
    let found = find_trace_matches(&state.store, &tenant, &query).await?;
    let summaries: Vec<Json> = found
        .iter()
        .map(|t| {
            let services: Vec<Json> = t
                .service_stats
                .iter()
                .map(|(name, (spans, errors))| {
                    json!({ "name": name, "spanCount": spans, "errorSpanCount": errors })
                })
                .collect();
            json!({
                "traceId": hex::encode(t.trace_id),
                "rootServiceName": t.root_service.clone().unwrap_or_default(),
                "rootOperationName": t.root_name.clone().unwrap_or_default(),
                "minStartTimeUnixNano": t.start.to_string(),
                "maxEndTimeUnixNano": t.end.to_string(),
                "spanCount": t.service_stats.values().map(|(s, _)| s).sum::<u32>(),
                "errorSpanCount": t.service_stats.values().map(|(_, e)| e).sum::<u32>(),
                "services": services,
            })
        })
        .collect();
    Ok(axum::Json(json!({ "summaries": summaries })))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn search_parameters_follow_jaeger_v3() {
        let pairs = query_pairs(Some(
            "query.service_name=cart&query.operation_name=GET&query.start_time_min=2023-11-14T22:13:20Z&query.start_time_max=2023-11-14T22:14:20.5Z&query.duration_min=1ms&query.attributes=%7B%22http.status_code%22%3A500%7D&query.search_depth=7",
        ));
        let q = parse_search(&pairs).unwrap();
        assert_eq!(q.service.as_deref(), Some("cart"));
        assert_eq!(q.operation.as_deref(), Some("GET"));
        assert_eq!(
            q.time_range,
            Some((1_700_000_000_000_000_000, 1_700_000_060_500_000_000))
        );
        assert_eq!(q.min_duration, Some(1_000_000));
        assert_eq!(
            q.tags,
            vec![("http.status_code".to_string(), "500".to_string())]
        );
        assert_eq!(q.limit, 7);
        let camel = query_pairs(Some(
            "query.serviceName=cart&query.startTimeMin=1700000000&query.startTimeMax=1700000060",
        ));
        assert_eq!(parse_search(&camel).unwrap().limit, DEFAULT_SEARCH_DEPTH);
        for bad in [
            "query.service_name=cart",
            "query.start_time_min=2023-11-14T22:13:20Z&query.start_time_max=yesterday",
            "query.start_time_min=1700000060&query.start_time_max=1700000000",
            "query.start_time_min=1&query.start_time_max=2&query.attributes=x",
        ] {
            assert!(parse_search(&query_pairs(Some(bad))).is_err(), "{bad}");
        }
    }
}
