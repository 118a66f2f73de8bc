//! What the Jaeger APIs ask of the store, in Jaeger's terms: service and operation lists, and
//! trace search by service, operation, tags and span duration, run through the TraceQL search
//! engine.
//!
//! Jaeger matches service, operation, tags and duration on one span, and a tag on the span's own
//! tags, its process (resource) tags or its log fields (event attributes); [`SpanQuery::filter`] builds that as one TraceQL spanset
//! filter. The tags Jaeger synthesizes from OTLP fields (`error`, `span.kind`,
//! `otel.status_code`, `otel.status_description`, `otel.scope.name`) match those fields.

use futures::StreamExt;
use sightline_proto::otlp::trace::v1::ResourceSpans;
use sightline_storage::{TelemetryStore, TenantId};
use sightline_traceql::{
    Attribute, AttributeScope, BinaryOperator, ComparisonOp, FieldExpression, Intrinsic, Kind,
    Literal, LogicalOp, Query, SpansetExpression, Status,
};

use crate::error::ApiError;
use crate::search::value::Value;
use crate::search::{Order, Plan, SearchRequest, TraceBounds, TraceMatch, search};
use crate::tags::{TagFilter, tag_values};

/// Most names a service or operation list holds.
const MAX_NAMES: usize = 100_000;

/// Traces fetched in parallel for one search.
const PARALLEL_FETCHES: usize = 4;

/// A Jaeger trace search.
#[derive(Debug, Clone, Default)]
pub struct SpanQuery {
    /// Service name.
    pub service: Option<String>,
    /// Operation (span name).
    pub operation: Option<String>,
    /// Span kind (`server`, `client`, ...).
    pub span_kind: Option<Kind>,
    /// Tags every matching span must carry (`key`, value as text).
    pub tags: Vec<(String, String)>,
    /// Minimum span duration, nanoseconds.
    pub min_duration: Option<u64>,
    /// Maximum span duration, nanoseconds.
    pub max_duration: Option<u64>,
    /// Traces must overlap `[start, end]`, unix nanoseconds.
    pub time_range: Option<(u64, u64)>,
    /// Most traces returned.
    pub limit: usize,
}

fn binary(op: BinaryOperator, left: FieldExpression, right: FieldExpression) -> FieldExpression {
    FieldExpression::Binary {
        op,
        left: Box::new(left),
        right: Box::new(right),
    }
}

fn compare(left: FieldExpression, op: ComparisonOp, right: Literal) -> FieldExpression {
    binary(
        BinaryOperator::Comparison(op),
        left,
        FieldExpression::Literal(right),
    )
}

fn all(conditions: Vec<FieldExpression>) -> FieldExpression {
    conditions
        .into_iter()
        .reduce(|a, b| binary(BinaryOperator::Logical(LogicalOp::And), a, b))
        .unwrap_or(FieldExpression::Literal(Literal::Bool(true)))
}

fn any(conditions: Vec<FieldExpression>) -> FieldExpression {
    conditions
        .into_iter()
        .reduce(|a, b| binary(BinaryOperator::Logical(LogicalOp::Or), a, b))
        .unwrap_or(FieldExpression::Literal(Literal::Bool(false)))
}

fn intrinsic(intrinsic: Intrinsic) -> FieldExpression {
    FieldExpression::Intrinsic(intrinsic)
}

fn attribute(scope: AttributeScope, name: &str) -> FieldExpression {
    FieldExpression::Attribute(Attribute {
        scope,
        name: name.to_string(),
    })
}

/// A Jaeger span kind name (`server`, ...; empty for unspecified).
pub fn parse_kind(text: &str) -> Option<Kind> {
    Some(match text.trim().to_ascii_lowercase().as_str() {
        "server" => Kind::Server,
        "client" => Kind::Client,
        "producer" => Kind::Producer,
        "consumer" => Kind::Consumer,
        "internal" => Kind::Internal,
        "" | "unspecified" => Kind::Unspecified,
        _ => return None,
    })
}

/// Jaeger's name of a span kind (empty for unspecified).
pub fn kind_name(kind: Kind) -> &'static str {
    match kind {
        Kind::Unspecified => "",
        other => other.as_str(),
    }
}

/// The condition a Jaeger tag `key=value` stands for.
fn tag_condition(key: &str, value: &str) -> Result<FieldExpression, ApiError> {
    let status = intrinsic(Intrinsic::Status);
    Ok(match key {
        "error" => match value {
            "true" => compare(status, ComparisonOp::Eq, Literal::Status(Status::Error)),
            "false" => compare(status, ComparisonOp::NotEq, Literal::Status(Status::Error)),
            _ => {
                return Err(ApiError::BadRequest(format!(
                    "invalid tag error={value:?}: expected true or false"
                )));
            }
        },
        "span.kind" => {
            let kind = parse_kind(value)
                .ok_or_else(|| ApiError::BadRequest(format!("invalid tag span.kind={value:?}")))?;
            compare(
                intrinsic(Intrinsic::Kind),
                ComparisonOp::Eq,
                Literal::Kind(kind),
            )
        }
        "otel.status_code" => {
            let code = match value.to_ascii_uppercase().as_str() {
                "ERROR" => Status::Error,
                "OK" => Status::Ok,
                "UNSET" => Status::Unset,
                _ => {
                    return Err(ApiError::BadRequest(format!(
                        "invalid tag otel.status_code={value:?}: expected OK, ERROR or UNSET"
                    )));
                }
            };
            compare(status, ComparisonOp::Eq, Literal::Status(code))
        }
        "otel.status_description" => compare(
            intrinsic(Intrinsic::StatusMessage),
            ComparisonOp::Eq,
            Literal::String(value.into()),
        ),
        "otel.scope.name" | "otel.library.name" => compare(
            intrinsic(Intrinsic::InstrumentationName),
            ComparisonOp::Eq,
            Literal::String(value.into()),
        ),
        _ => {
            // Jaeger compares the value's text, over span tags, process (resource) tags and log
            // fields (event attributes): match the attribute in any type the text reads as.
            let mut alternatives = Vec::new();
            for scope in [AttributeScope::Unscoped, AttributeScope::Event] {
                let field = attribute(scope, key);
                alternatives.push(compare(
                    field.clone(),
                    ComparisonOp::Eq,
                    Literal::String(value.into()),
                ));
                if let Ok(int) = value.parse::<i64>() {
                    alternatives.push(compare(field.clone(), ComparisonOp::Eq, Literal::Int(int)));
                }
                if let Ok(float) = value.parse::<f64>() {
                    alternatives.push(compare(
                        field.clone(),
                        ComparisonOp::Eq,
                        Literal::Float(float),
                    ));
                }
                if let Ok(boolean) = value.parse::<bool>() {
                    alternatives.push(compare(field, ComparisonOp::Eq, Literal::Bool(boolean)));
                }
            }
            any(alternatives)
        }
    })
}

impl SpanQuery {
    /// The spanset filter: every condition on one span.
    pub fn filter(&self) -> Result<FieldExpression, ApiError> {
        let mut conditions = Vec::new();
        if let Some(service) = &self.service {
            conditions.push(compare(
                attribute(AttributeScope::Resource, "service.name"),
                ComparisonOp::Eq,
                Literal::String(service.clone()),
            ));
        }
        if let Some(operation) = &self.operation {
            conditions.push(compare(
                intrinsic(Intrinsic::Name),
                ComparisonOp::Eq,
                Literal::String(operation.clone()),
            ));
        }
        if let Some(kind) = self.span_kind {
            conditions.push(compare(
                intrinsic(Intrinsic::Kind),
                ComparisonOp::Eq,
                Literal::Kind(kind),
            ));
        }
        for (key, value) in &self.tags {
            conditions.push(tag_condition(key, value)?);
        }
        let duration = |op, nanos: u64| {
            compare(
                intrinsic(Intrinsic::Duration),
                op,
                Literal::Duration(i64::try_from(nanos).unwrap_or(i64::MAX)),
            )
        };
        if let Some(min) = self.min_duration {
            conditions.push(duration(ComparisonOp::Gte, min));
        }
        if let Some(max) = self.max_duration {
            conditions.push(duration(ComparisonOp::Lte, max));
        }
        Ok(all(conditions))
    }
}

fn filter_query(condition: FieldExpression) -> Query {
    Query {
        expression: SpansetExpression::Filter(condition),
        pipeline: Vec::new(),
        metrics: None,
        hints: Vec::new(),
    }
}

/// The ids of the most recent traces matching `query`.
pub async fn find_trace_ids(
    store: &TelemetryStore,
    tenant: &TenantId,
    query: &SpanQuery,
) -> Result<Vec<[u8; 16]>, ApiError> {
    Ok(find_trace_matches(store, tenant, query)
        .await?
        .iter()
        .map(|t| t.trace_id)
        .collect())
}

/// The most recent traces matching `query`, as the search engine describes them (root, times,
/// spans and errors per service).
pub async fn find_trace_matches(
    store: &TelemetryStore,
    tenant: &TenantId,
    query: &SpanQuery,
) -> Result<Vec<TraceMatch>, ApiError> {
    let request = SearchRequest {
        plan: Plan::new(filter_query(query.filter()?))?,
        bounds: TraceBounds {
            time_range: query.time_range,
            ..Default::default()
        },
        limit: query.limit.max(1),
        spans_per_spanset: 1,
        order: Order::MostRecent,
    };
    Ok(search(store, tenant, request).await?.traces)
}

/// Fetches whole traces, in the order given; unknown ids are left out.
pub async fn fetch_traces(
    store: &TelemetryStore,
    tenant: &TenantId,
    ids: Vec<[u8; 16]>,
) -> Result<Vec<([u8; 16], Vec<ResourceSpans>)>, ApiError> {
    let fetched: Vec<Result<_, ApiError>> = futures::stream::iter(ids)
        .map(|id| async move {
            let found = store.find_trace(tenant, &id, None).await?;
            Ok((id, found.resource_spans))
        })
        .buffered(PARALLEL_FETCHES)
        .collect()
        .await;
    let mut traces = Vec::new();
    for result in fetched {
        let (id, resource_spans) = result?;
        if !resource_spans.is_empty() {
            traces.push((id, resource_spans));
        }
    }
    Ok(traces)
}

/// Every service name, sorted.
pub async fn services(store: &TelemetryStore, tenant: &TenantId) -> Result<Vec<String>, ApiError> {
    let values = tag_values(
        store,
        tenant,
        None,
        attribute(AttributeScope::Resource, "service.name"),
        None,
        MAX_NAMES,
    )
    .await?;
    Ok(labels(values))
}

fn labels(values: Vec<Value>) -> Vec<String> {
    let mut names: Vec<String> = values.iter().map(Value::label).collect();
    names.sort();
    names.dedup();
    names
}

/// The operations of `service` with their span kinds, sorted by name then kind; only `kind` when
/// given.
pub async fn operations(
    store: &TelemetryStore,
    tenant: &TenantId,
    service: &str,
    kind: Option<Kind>,
) -> Result<Vec<(String, Kind)>, ApiError> {
    let kinds = match kind {
        Some(kind) => vec![kind],
        None => vec![
            Kind::Unspecified,
            Kind::Internal,
            Kind::Server,
            Kind::Client,
            Kind::Producer,
            Kind::Consumer,
        ],
    };
    let mut out = Vec::new();
    for kind in kinds {
        let query = SpanQuery {
            service: Some(service.to_string()),
            span_kind: Some(kind),
            ..Default::default()
        };
        let filter = TagFilter::new(SpansetExpression::Filter(query.filter()?))?;
        let names = tag_values(
            store,
            tenant,
            None,
            intrinsic(Intrinsic::Name),
            filter,
            MAX_NAMES,
        )
        .await?;
        out.extend(labels(names).into_iter().map(|name| (name, kind)));
    }
    out.sort_by(|a, b| a.0.cmp(&b.0).then(kind_name(a.1).cmp(kind_name(b.1))));
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jaeger_searches_become_one_spanset_filter() {
        let query = SpanQuery {
            service: Some("cart \"eu\"".into()),
            operation: Some("GET /cart".into()),
            tags: vec![
                ("error".into(), "true".into()),
                ("http.status_code".into(), "500".into()),
                ("span.kind".into(), "server".into()),
            ],
            min_duration: Some(1_000_000),
            max_duration: Some(2_000_000_000),
            ..Default::default()
        };
        let text = FieldExpression::to_string(&query.filter().unwrap());
        assert_eq!(
            text,
            r#"resource.service.name = "cart \"eu\"" && name = "GET /cart" && status = error && (.http.status_code = "500" || .http.status_code = 500 || .http.status_code = 500.0 || event.http.status_code = "500" || event.http.status_code = 500 || event.http.status_code = 500.0) && kind = server && duration >= 1ms && duration <= 2s"#
        );
        assert!(sightline_traceql::parse(&format!("{{ {text} }}")).is_ok());
        let bad = SpanQuery {
            tags: vec![("error".into(), "maybe".into())],
            ..Default::default()
        };
        assert!(bad.filter().is_err());
    }
}
