//! `GET /api/search`: TraceQL (`q=`) or legacy tag search (`tags=`, logfmt), in Tempo's response
//! shape. Extension: `order=slowest` (or the hint `with (most_recent=false)`) orders by trace
//! duration instead of start time.

use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use http::HeaderMap;
use serde::Deserialize;
use serde_json::{Map, Value as Json, json};
use sightline_proto::json::{JsonStyle, encode_any_value};
use sightline_traceql::{Literal, parse};

use crate::QueryState;
use crate::error::ApiError;
use crate::params::{parse_go_duration, seconds_range};
use crate::search::{Order, Plan, SearchOutcome, SearchRequest, TraceBounds, TraceMatch, search};

/// What Tempo shows for a trace whose root span has not arrived.
pub const ROOT_NOT_RECEIVED: &str = "<root span not yet received>";

/// Query parameters of `/api/search`.
#[derive(Debug, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct SearchParams {
    /// TraceQL.
    pub q: Option<String>,
    /// Legacy logfmt tags.
    pub tags: Option<String>,
    /// Unix seconds.
    pub start: Option<String>,
    /// Unix seconds.
    pub end: Option<String>,
    /// Go duration.
    pub min_duration: Option<String>,
    /// Go duration.
    pub max_duration: Option<String>,
    /// Maximum traces (default 20).
    pub limit: Option<usize>,
    /// Spans per spanset (default 3).
    pub spss: Option<usize>,
    /// `recent` (default) or `slowest`.
    pub order: Option<String>,
}

/// Builds the TraceQL of a legacy `tags=` search: every `key=value` must hold on one span, as a
/// case-insensitive substring of the span or resource attribute (`name` is the span name).
pub fn legacy_tags_query(tags: &str) -> Result<String, ApiError> {
    let pairs = parse_logfmt(tags)?;
    if pairs.is_empty() {
        return Ok("{}".into());
    }
    let conditions: Vec<String> = pairs
        .iter()
        .map(|(key, value)| {
            let pattern = format!("(?i).*{}.*", regex::escape(value));
            let field = if key == "name" {
                "name".to_string()
            } else {
                format!(".{}", quote_key(key))
            };
            format!("{field} =~ {}", quote_string(&pattern))
        })
        .collect();
    Ok(format!("{{ {} }}", conditions.join(" && ")))
}

fn quote_key(key: &str) -> String {
    if key
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '/'))
    {
        key.to_string()
    } else {
        quote_string(key)
    }
}

fn quote_string(text: &str) -> String {
    format!("\"{}\"", text.replace('\\', "\\\\").replace('"', "\\\""))
}

/// Parses `key=value key2="quoted value"`.
fn parse_logfmt(text: &str) -> Result<Vec<(String, String)>, ApiError> {
    let mut out = Vec::new();
    let mut chars = text.chars().peekable();
    loop {
        while chars.peek().is_some_and(|c| c.is_whitespace()) {
            chars.next();
        }
        let Some(_) = chars.peek() else { break };
        let key: String =
            std::iter::from_fn(|| chars.next_if(|c| *c != '=' && !c.is_whitespace())).collect();
        if chars.next() != Some('=') {
            return Err(ApiError::BadRequest(format!(
                "invalid tags: expected key=value at {key:?}"
            )));
        }
        let value = if chars.peek() == Some(&'"') {
            chars.next();
            let mut value = String::new();
            loop {
                match chars.next() {
                    Some('\\') => value.extend(chars.next()),
                    Some('"') => break,
                    Some(c) => value.push(c),
                    None => {
                        return Err(ApiError::BadRequest(
                            "invalid tags: unterminated quote".into(),
                        ));
                    }
                }
            }
            value
        } else {
            std::iter::from_fn(|| chars.next_if(|c| !c.is_whitespace())).collect()
        };
        out.push((key, value));
    }
    Ok(out)
}

/// Handles `GET /api/search`.
pub async fn search_handler(
    State(state): State<QueryState>,
    Query(params): Query<SearchParams>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let tenant = state.tenant(&headers)?;
    let text = match (&params.q, &params.tags) {
        (Some(q), _) if !q.trim().is_empty() => q.clone(),
        (_, Some(tags)) => legacy_tags_query(tags)?,
        _ => "{}".to_string(),
    };
    let query =
        parse(&text).map_err(|e| ApiError::BadRequest(format!("invalid TraceQL query: {e}")))?;
    if query.is_metrics() {
        return Err(ApiError::BadRequest(
            "metrics queries go to /api/metrics/query_range".into(),
        ));
    }
    let most_recent_hint = query
        .hint("most_recent")
        .map(|l| matches!(l, Literal::Bool(true)));
    let order = match (params.order.as_deref(), most_recent_hint) {
        (Some("slowest" | "duration"), _) | (None, Some(false)) => Order::Slowest,
        (Some("recent") | None, _) => Order::MostRecent,
        (Some(other), _) => {
            return Err(ApiError::BadRequest(format!(
                "unknown order {other:?}: use recent or slowest"
            )));
        }
    };
    let bounds = TraceBounds {
        time_range: seconds_range(params.start.as_deref(), params.end.as_deref())?,
        min_duration: params
            .min_duration
            .as_deref()
            .map(parse_go_duration)
            .transpose()?,
        max_duration: params
            .max_duration
            .as_deref()
            .map(parse_go_duration)
            .transpose()?,
    };
    let request = SearchRequest {
        plan: Plan::new(query)?,
        bounds,
        limit: params.limit.filter(|l| *l > 0).unwrap_or(20),
        spans_per_spanset: params.spss.filter(|s| *s > 0).unwrap_or(3),
        order,
    };
    let outcome = search(&state.store, &tenant, request).await?;
    Ok(axum::Json(search_response(&outcome)).into_response())
}

/// Tempo's trace id form in search results: lower-case hex without leading zeros.
pub fn tempo_trace_id(id: &[u8; 16]) -> String {
    let hex = hex::encode(id);
    let trimmed = hex.trim_start_matches('0');
    if trimmed.is_empty() {
        "0".into()
    } else {
        trimmed.to_string()
    }
}

fn attribute_list(values: &[(String, crate::search::value::Value)]) -> Json {
    Json::Array(
        values
            .iter()
            .filter_map(|(key, value)| {
                let any = value.to_any()?;
                Some(json!({ "key": key, "value": encode_any_value(&any, JsonStyle::TEMPO) }))
            })
            .collect(),
    )
}

fn trace_json(found: &TraceMatch) -> Json {
    let spansets: Vec<Json> = found
        .spansets
        .iter()
        .map(|set| {
            let spans: Vec<Json> = set
                .spans
                .iter()
                .map(|span| {
                    json!({
                        "spanID": hex::encode(&span.span_id),
                        "name": span.name,
                        "startTimeUnixNano": span.start.to_string(),
                        "durationNanos": span.duration.to_string(),
                        "attributes": attribute_list(&span.attributes),
                    })
                })
                .collect();
            let mut object = json!({ "spans": spans, "matched": set.matched });
            if !set.labels.is_empty() {
                object["attributes"] = attribute_list(&set.labels);
            }
            object
        })
        .collect();
    let mut stats = Map::new();
    for (service, (spans, errors)) in &found.service_stats {
        let mut entry = json!({ "spanCount": spans });
        if *errors > 0 {
            entry["errorCount"] = json!(errors);
        }
        stats.insert(service.clone(), entry);
    }
    let mut trace = json!({
        "traceID": tempo_trace_id(&found.trace_id),
        "rootServiceName": found.root_service.clone().unwrap_or_else(|| ROOT_NOT_RECEIVED.into()),
        "rootTraceName": found.root_name.clone().unwrap_or_else(|| ROOT_NOT_RECEIVED.into()),
        "startTimeUnixNano": found.start.to_string(),
        "durationMs": (found.end.saturating_sub(found.start)) / 1_000_000,
        "serviceStats": stats,
    });
    if let Some(first) = spansets.first() {
        trace["spanSet"] = first.clone();
    }
    trace["spanSets"] = Json::Array(spansets);
    trace
}

/// The `/api/search` response body.
pub fn search_response(outcome: &SearchOutcome) -> Json {
    json!({
        "traces": outcome.traces.iter().map(trace_json).collect::<Vec<_>>(),
        "metrics": {
            "inspectedTraces": outcome.inspected.traces,
            "inspectedSpans": outcome.inspected.spans.to_string(),
            "inspectedBytes": outcome.block_bytes.to_string(),
            "totalBlocks": outcome.blocks,
            "totalBlockBytes": outcome.block_bytes.to_string(),
            "completedJobs": outcome.blocks + 1,
            "totalJobs": outcome.blocks + 1,
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn legacy_tags_become_traceql() {
        assert_eq!(legacy_tags_query("").unwrap(), "{}");
        let q = legacy_tags_query(r#"service.name=cart http.url="/a b" name=GET"#).unwrap();
        assert_eq!(
            q,
            r#"{ .service.name =~ "(?i).*cart.*" && .http.url =~ "(?i).*/a b.*" && name =~ "(?i).*GET.*" }"#
        );
        assert!(parse(&q).is_ok());
        assert!(legacy_tags_query("novalue").is_err());
        assert!(legacy_tags_query("k=\"open").is_err());
    }

    #[test]
    fn trace_ids_drop_leading_zeros_like_tempo() {
        let mut id = [0u8; 16];
        id[15] = 0xab;
        assert_eq!(tempo_trace_id(&id), "ab");
        assert_eq!(
            tempo_trace_id(&[0x12; 16]),
            "12121212121212121212121212121212"
        );
    }
}
