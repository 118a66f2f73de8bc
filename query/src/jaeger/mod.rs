//! Jaeger's query APIs, served under `/jaeger` so Jaeger UI and Grafana's Jaeger data source
//! work against Sightline unchanged:
//!
//! - [`v1`]: the JSON API of `jaeger-query` (`/api/services`, `/api/operations`,
//!   `/api/traces`, `/api/traces/{id}`, `/api/dependencies`) in its `{data,total,limit,offset,
//!   errors}` envelope, with the standard OTLP -> Jaeger mapping;
//! - [`v3`]: `/api/v3/*`, answering with OTLP JSON (hex ids);
//! - [`find`]: service and operation lists and trace search in Jaeger's terms.

pub mod find;
pub mod v1;
pub mod v3;

use axum::Router;

use crate::QueryState;
use crate::error::ApiError;

/// Where the Jaeger APIs are mounted.
pub const PREFIX: &str = "/jaeger";

/// The Jaeger routes (state added by the caller).
pub fn routes() -> Router<QueryState> {
    Router::new().nest(PREFIX, v1::routes().merge(v3::routes()))
}

/// The query string's `key=value` pairs in order, repeated keys kept (Jaeger repeats `tag`,
/// `tags`, `traceID` and `service`).
pub fn query_pairs(raw: Option<&str>) -> Vec<(String, String)> {
    form_urlencoded::parse(raw.unwrap_or("").as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

/// The last value of `key` (the first of `aliases` found), ignoring empty values.
pub fn last_value<'a>(pairs: &'a [(String, String)], aliases: &[&str]) -> Option<&'a str> {
    aliases.iter().find_map(|key| {
        pairs
            .iter()
            .rev()
            .find(|(k, v)| k == key && !v.trim().is_empty())
            .map(|(_, v)| v.as_str())
    })
}

/// Every value of `key`.
pub fn all_values<'a>(pairs: &'a [(String, String)], key: &str) -> Vec<&'a str> {
    pairs
        .iter()
        .filter(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
        .collect()
}

/// Parses `key` as a number of `unit`-nanoseconds (Jaeger's µs or ms timestamps).
pub fn integer_param(
    pairs: &[(String, String)],
    key: &str,
    unit_nanos: u64,
) -> Result<Option<u64>, ApiError> {
    last_value(pairs, &[key])
        .map(|v| {
            v.trim()
                .parse::<u64>()
                .map(|n| n.saturating_mul(unit_nanos))
                .map_err(|_| ApiError::BadRequest(format!("unable to parse param '{key}': {v:?}")))
        })
        .transpose()
}

/// Appends the tags of a JSON object parameter (`{"error":"true","http.status_code":500}`) to
/// `tags`, values as text.
pub fn json_tags(name: &str, text: &str, tags: &mut Vec<(String, String)>) -> Result<(), ApiError> {
    let object: serde_json::Map<String, serde_json::Value> = serde_json::from_str(text)
        .map_err(|e| ApiError::BadRequest(format!("malformed '{name}' parameter {text:?}: {e}")))?;
    for (key, value) in object {
        let value = match value {
            serde_json::Value::String(s) => s,
            other => other.to_string(),
        };
        tags.push((key, value));
    }
    Ok(())
}
