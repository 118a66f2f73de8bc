//! What a TraceQL query needs before it runs: its compiled regexes, the columns to read, the
//! leaf filters used to find candidate traces, and the fields reported with matched spans.

use std::collections::BTreeSet;

use sightline_storage::rows::attributes::{AttributeKind, OVERFLOW_COLUMN, attribute_column_name};
use sightline_storage::rows::columns::{RESOURCE_COLUMN, SCOPE_COLUMN, SERVICE_NAME_COLUMN};
use sightline_storage::rows::spans::col;
use sightline_traceql::{
    AttributeScope, FieldExpression, Intrinsic, MetricsFunction, PipelineStage, Query,
    SpansetExpression,
};

use super::eval::Regexes;
use crate::error::ApiError;

/// A query ready to run.
pub struct Plan {
    /// The parsed query.
    pub query: Query,
    /// Its compiled regexes.
    pub regexes: Regexes,
    /// Leaf spanset filters; a trace can only match if one of them matches one of its spans.
    pub leaves: Vec<FieldExpression>,
    /// True when a leaf is `{}` (every trace is a candidate).
    pub matches_all: bool,
    /// Columns to read from blocks for evaluating whole traces.
    pub columns: Vec<String>,
    /// Columns the leaf filters read (the candidate scan over whole blocks).
    pub leaf_columns: Vec<String>,
    /// Fields reported with every matched span (attributes and intrinsics the query names).
    pub reported: Vec<FieldExpression>,
    /// True when the query uses `childCount`.
    pub uses_child_count: bool,
    /// True when a leaf filter names a trace-level field (or `childCount`): a single span cannot
    /// tell whether its trace is a candidate.
    pub leaves_need_traces: bool,
}

/// Columns every search reads: identity, structure, and what results show.
const BASE_COLUMNS: [&str; 9] = [
    col::TRACE_ID,
    col::SPAN_ID,
    col::PARENT_SPAN_ID,
    col::PARENT_OFFSET,
    col::START_TIME,
    col::DURATION,
    col::NAME,
    SERVICE_NAME_COLUMN,
    col::STATUS_CODE,
];

impl Plan {
    /// Prepares `query`.
    pub fn new(query: Query) -> Result<Self, ApiError> {
        let mut fields = Vec::new();
        let mut leaves = Vec::new();
        collect_expression(&query.expression, &mut leaves, &mut fields);
        for stage in &query.pipeline {
            collect_stage(stage, &mut leaves, &mut fields);
        }
        let mut selected = Vec::new();
        for stage in &query.pipeline {
            if let PipelineStage::Select(list) = stage {
                selected.extend(list.iter().cloned());
            }
        }
        if let Some(metrics) = &query.metrics {
            fields.extend(metrics.by.iter().cloned());
            match &metrics.function {
                MetricsFunction::SumOverTime(f)
                | MetricsFunction::MinOverTime(f)
                | MetricsFunction::MaxOverTime(f)
                | MetricsFunction::AvgOverTime(f)
                | MetricsFunction::HistogramOverTime(f)
                | MetricsFunction::QuantileOverTime { field: f, .. } => fields.push(f.clone()),
                MetricsFunction::Compare { selection, .. } => {
                    collect_expression(selection, &mut Vec::new(), &mut fields)
                }
                MetricsFunction::Rate | MetricsFunction::CountOverTime => {}
            }
        }
        let mut regexes = Regexes::default();
        for expression in leaves.iter().chain(&fields) {
            regexes
                .collect(expression)
                .map_err(|e| ApiError::BadRequest(format!("invalid regular expression: {e}")))?;
        }
        let mut columns: BTreeSet<String> = BASE_COLUMNS.iter().map(|c| c.to_string()).collect();
        let mut uses_child_count = false;
        let mut reported: Vec<FieldExpression> = Vec::new();
        for field in leaves.iter().chain(&fields).chain(&selected) {
            walk_fields(field, &mut |f| {
                if let FieldExpression::Intrinsic(Intrinsic::ChildCount) = f {
                    uses_child_count = true;
                }
                add_columns(f, &mut columns);
                if matches!(
                    f,
                    FieldExpression::Attribute(_) | FieldExpression::Intrinsic(_)
                ) && !reported.contains(f)
                {
                    reported.push(f.clone());
                }
            });
        }
        let mut leaf_columns = BTreeSet::new();
        for leaf in &leaves {
            walk_fields(leaf, &mut |f| add_columns(f, &mut leaf_columns));
        }
        // The candidate scan evaluates these intrinsics from their own columns.
        for leaf in &leaves {
            walk_fields(leaf, &mut |f| {
                let column = match f {
                    FieldExpression::Intrinsic(Intrinsic::Name) => col::NAME,
                    FieldExpression::Intrinsic(Intrinsic::Status) => col::STATUS_CODE,
                    FieldExpression::Intrinsic(Intrinsic::Duration) => col::DURATION,
                    FieldExpression::Intrinsic(Intrinsic::SpanId) => col::SPAN_ID,
                    FieldExpression::Intrinsic(Intrinsic::ParentId) => {
                        for column in [col::PARENT_SPAN_ID, col::PARENT_OFFSET, col::SPAN_ID] {
                            leaf_columns.insert(column.to_string());
                        }
                        return;
                    }
                    FieldExpression::Attribute(a) if a.name == "service.name" => {
                        SERVICE_NAME_COLUMN
                    }
                    _ => return,
                };
                leaf_columns.insert(column.to_string());
            });
        }
        let matches_all = leaves.iter().any(is_true_literal);
        let mut leaves_need_traces = false;
        for leaf in &leaves {
            walk_fields(leaf, &mut |f| {
                if let FieldExpression::Intrinsic(
                    Intrinsic::TraceDuration
                    | Intrinsic::TraceRootName
                    | Intrinsic::TraceRootService
                    | Intrinsic::ChildCount,
                ) = f
                {
                    leaves_need_traces = true;
                }
            });
        }
        Ok(Self {
            query,
            regexes,
            leaves,
            matches_all,
            columns: columns.into_iter().collect(),
            leaf_columns: leaf_columns.into_iter().collect(),
            reported,
            uses_child_count,
            leaves_need_traces,
        })
    }
}

fn is_true_literal(expression: &FieldExpression) -> bool {
    matches!(
        expression,
        FieldExpression::Literal(sightline_traceql::Literal::Bool(true))
    )
}

fn collect_expression(
    expression: &SpansetExpression,
    leaves: &mut Vec<FieldExpression>,
    fields: &mut Vec<FieldExpression>,
) {
    match expression {
        SpansetExpression::Filter(condition) => leaves.push(condition.clone()),
        SpansetExpression::Binary { left, right, .. } => {
            collect_expression(left, leaves, fields);
            collect_expression(right, leaves, fields);
        }
        SpansetExpression::Pipeline { input, stages } => {
            collect_expression(input, leaves, fields);
            for stage in stages {
                collect_stage(stage, &mut Vec::new(), fields);
            }
        }
    }
}

fn collect_stage(
    stage: &PipelineStage,
    _leaves: &mut [FieldExpression],
    fields: &mut Vec<FieldExpression>,
) {
    match stage {
        // A filter after the first stage narrows spansets; it cannot add candidate traces.
        PipelineStage::Filter(filter) => collect_expression(filter, &mut Vec::new(), fields),
        PipelineStage::ScalarFilter { aggregate, .. } => {
            fields.extend(aggregate.field.iter().cloned())
        }
        PipelineStage::By(list) | PipelineStage::Select(list) => {
            fields.extend(list.iter().cloned())
        }
        PipelineStage::Coalesce => {}
    }
}

/// Calls `visit` on every node of `expression`.
pub fn walk_fields(expression: &FieldExpression, visit: &mut impl FnMut(&FieldExpression)) {
    visit(expression);
    match expression {
        FieldExpression::Binary { left, right, .. } => {
            walk_fields(left, visit);
            walk_fields(right, visit);
        }
        FieldExpression::Unary { operand, .. } => walk_fields(operand, visit),
        _ => {}
    }
}

fn add_columns(field: &FieldExpression, columns: &mut BTreeSet<String>) {
    let mut add = |name: &str| {
        columns.insert(name.to_string());
    };
    match field {
        FieldExpression::Attribute(attribute) => {
            let span_columns = |add: &mut dyn FnMut(&str)| {
                for kind in [
                    AttributeKind::Str,
                    AttributeKind::Int,
                    AttributeKind::Double,
                    AttributeKind::Bool,
                    AttributeKind::Any,
                ] {
                    add(&attribute_column_name(kind, &attribute.name));
                }
                add(OVERFLOW_COLUMN);
            };
            match attribute.scope {
                AttributeScope::Span => span_columns(&mut add),
                AttributeScope::Resource => add(RESOURCE_COLUMN),
                AttributeScope::Unscoped => {
                    span_columns(&mut add);
                    add(RESOURCE_COLUMN);
                }
                AttributeScope::Event => add(col::EVENTS),
                AttributeScope::Link => add(col::LINKS),
                AttributeScope::Instrumentation => add(SCOPE_COLUMN),
            }
        }
        FieldExpression::Intrinsic(intrinsic) => match intrinsic {
            Intrinsic::StatusMessage => add(col::STATUS_MESSAGE),
            Intrinsic::Kind => add(col::KIND),
            Intrinsic::EventName | Intrinsic::EventTimeSinceStart => add(col::EVENTS),
            Intrinsic::LinkTraceId | Intrinsic::LinkSpanId => add(col::LINKS),
            Intrinsic::InstrumentationName | Intrinsic::InstrumentationVersion => add(SCOPE_COLUMN),
            _ => {}
        },
        _ => {}
    }
}
