//! Tempo's tag discovery endpoints: `/api/search/tags`, `/api/v2/search/tags`,
//! `/api/search/tag/{tag}/values` and `/api/v2/search/tag/{tag}/values`.

use axum::Json;
use axum::extract::{Path, Query, State};
use http::HeaderMap;
use serde::Deserialize;
use serde_json::{Value as Json_, json};
use sightline_traceql::{
    Attribute, AttributeScope, BinaryOperator, FieldExpression, SpansetExpression, parse,
    parse_spanset_filter_loose,
};

use crate::QueryState;
use crate::error::ApiError;
use crate::params::seconds_range;
use crate::search::value::Value;
use crate::tags::{TagFilter, TagScope, intrinsic_names, tag_names, tag_values};

/// Query parameters of the tag endpoints.
#[derive(Debug, Deserialize, Default)]
pub struct TagParams {
    /// `resource`, `span`, `intrinsic`, `event`, `link` or `instrumentation`.
    pub scope: Option<String>,
    /// A TraceQL filter narrowing to matching spans (v2).
    pub q: Option<String>,
    /// Unix seconds.
    pub start: Option<String>,
    /// Unix seconds.
    pub end: Option<String>,
    /// Maximum names or values (default 5000).
    pub limit: Option<usize>,
}

impl TagParams {
    fn time_range(&self) -> Result<Option<(u64, u64)>, ApiError> {
        seconds_range(self.start.as_deref(), self.end.as_deref())
    }

    fn limit(&self) -> usize {
        self.limit.filter(|l| *l > 0).unwrap_or(5000)
    }

    fn scopes(&self) -> Result<Vec<TagScope>, ApiError> {
        match self
            .scope
            .as_deref()
            .filter(|s| !s.is_empty() && *s != "all")
        {
            None => Ok(TagScope::ALL.to_vec()),
            Some(name) => TagScope::parse(name)
                .map(|s| vec![s])
                .ok_or_else(|| ApiError::BadRequest(format!("unknown scope {name:?}"))),
        }
    }

    /// The `q=` filter, tolerating incomplete queries as Tempo does.
    fn filter(&self) -> Result<Option<TagFilter>, ApiError> {
        match self.q.as_deref().map(str::trim).filter(|q| !q.is_empty()) {
            None => Ok(None),
            Some(q) => match parse_spanset_filter_loose(q) {
                Some(expression) => TagFilter::new(expression),
                None => Ok(None),
            },
        }
    }
}

fn metrics_block() -> Json_ {
    json!({ "inspectedBytes": "0" })
}

/// `GET /api/search/tags`: attribute keys (span and resource, or one scope).
pub async fn tags_v1(
    State(state): State<QueryState>,
    Query(params): Query<TagParams>,
    headers: HeaderMap,
) -> Result<Json<Json_>, ApiError> {
    let tenant = state.tenant(&headers)?;
    let scopes = match params.scope.as_deref() {
        None | Some("") | Some("all") => vec![TagScope::Resource, TagScope::Span],
        Some(_) => params.scopes()?,
    };
    let mut names: Vec<String> = if scopes == [TagScope::Intrinsic] {
        intrinsic_names()
    } else {
        let found = tag_names(
            &state.store,
            &tenant,
            params.time_range()?,
            &scopes,
            params.filter()?,
        )
        .await?;
        let mut all: std::collections::BTreeSet<String> = found.resource;
        all.extend(found.span);
        all.extend(found.event);
        all.extend(found.link);
        all.extend(found.instrumentation);
        all.into_iter().collect()
    };
    names.truncate(params.limit());
    Ok(Json(
        json!({ "tagNames": names, "metrics": metrics_block() }),
    ))
}

/// `GET /api/v2/search/tags`: keys per scope.
pub async fn tags_v2(
    State(state): State<QueryState>,
    Query(params): Query<TagParams>,
    headers: HeaderMap,
) -> Result<Json<Json_>, ApiError> {
    let tenant = state.tenant(&headers)?;
    let scopes = params.scopes()?;
    let attribute_scopes: Vec<TagScope> = scopes
        .iter()
        .copied()
        .filter(|s| *s != TagScope::Intrinsic)
        .collect();
    let mut found = if attribute_scopes.is_empty() {
        Default::default()
    } else {
        tag_names(
            &state.store,
            &tenant,
            params.time_range()?,
            &attribute_scopes,
            params.filter()?,
        )
        .await?
    };
    let limit = params.limit();
    let mut out = Vec::new();
    for scope in scopes {
        let tags: Vec<String> = match found.scope_mut(scope) {
            Some(names) => std::mem::take(names).into_iter().take(limit).collect(),
            None => intrinsic_names(),
        };
        if !tags.is_empty() || scope == TagScope::Intrinsic {
            out.push(json!({ "name": scope.name(), "tags": tags }));
        }
    }
    Ok(Json(json!({ "scopes": out, "metrics": metrics_block() })))
}

/// A TraceQL identifier (`.a`, `span.a`, `resource.a`, `name`, `span:status`) as a field.
fn identifier(tag: &str) -> Result<FieldExpression, ApiError> {
    let query = parse(&format!("{{ {tag} != nil }}"))
        .map_err(|e| ApiError::BadRequest(format!("invalid tag {tag:?}: {e}")))?;
    match query.expression {
        SpansetExpression::Filter(FieldExpression::Binary {
            op: BinaryOperator::Comparison(_),
            left,
            ..
        }) if matches!(
            *left,
            FieldExpression::Attribute(_) | FieldExpression::Intrinsic(_)
        ) =>
        {
            Ok(*left)
        }
        _ => Err(ApiError::BadRequest(format!(
            "invalid tag {tag:?}: expected an attribute or intrinsic"
        ))),
    }
}

fn value_text(value: &Value) -> (&'static str, String) {
    match value {
        Value::Str(s) => ("string", s.clone()),
        Value::Int(i) => ("int", i.to_string()),
        Value::Float(f) => ("float", f.to_string()),
        Value::Bool(b) => ("bool", b.to_string()),
        // A duration literal that TraceQL parses back (`58ms`, `1s800ms`), not raw nanoseconds.
        Value::Duration(nanos) => ("duration", sightline_traceql::format_duration(*nanos)),
        Value::Status(_) | Value::Kind(_) => ("keyword", value.label()),
        Value::Nil | Value::Array(_) => ("string", value.label()),
    }
}

/// `GET /api/search/tag/{tag}/values`: values of a span or resource attribute.
pub async fn values_v1(
    State(state): State<QueryState>,
    Path(tag): Path<String>,
    Query(params): Query<TagParams>,
    headers: HeaderMap,
) -> Result<Json<Json_>, ApiError> {
    let tenant = state.tenant(&headers)?;
    let field = FieldExpression::Attribute(Attribute {
        scope: AttributeScope::Unscoped,
        name: tag,
    });
    let values = tag_values(
        &state.store,
        &tenant,
        params.time_range()?,
        field,
        params.filter()?,
        params.limit(),
    )
    .await?;
    let values: Vec<String> = values.iter().map(|v| value_text(v).1).collect();
    Ok(Json(
        json!({ "tagValues": values, "metrics": metrics_block() }),
    ))
}

/// `GET /api/v2/search/tag/{tag}/values`: typed values of a TraceQL identifier.
pub async fn values_v2(
    State(state): State<QueryState>,
    Path(tag): Path<String>,
    Query(params): Query<TagParams>,
    headers: HeaderMap,
) -> Result<Json<Json_>, ApiError> {
    let tenant = state.tenant(&headers)?;
    let field = identifier(&tag)?;
    let values = tag_values(
        &state.store,
        &tenant,
        params.time_range()?,
        field,
        params.filter()?,
        params.limit(),
    )
    .await?;
    let values: Vec<Json_> = values
        .iter()
        .map(|v| {
            let (kind, text) = value_text(v);
            json!({ "type": kind, "value": text })
        })
        .collect();
    Ok(Json(
        json!({ "tagValues": values, "metrics": metrics_block() }),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers() {
        assert!(matches!(
            identifier(".service.name").unwrap(),
            FieldExpression::Attribute(Attribute {
                scope: AttributeScope::Unscoped,
                ..
            })
        ));
        assert!(matches!(
            identifier("resource.service.name").unwrap(),
            FieldExpression::Attribute(Attribute {
                scope: AttributeScope::Resource,
                ..
            })
        ));
        assert!(matches!(
            identifier("status").unwrap(),
            FieldExpression::Intrinsic(_)
        ));
        assert!(identifier("{").is_err());
    }
}
