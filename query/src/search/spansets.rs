//! Evaluating a TraceQL query against one trace: spanset filters, the spanset operators
//! (`&&`, `||`, structural, union and negated structural), and pipeline stages (`by`, `select`,
//! `coalesce`, aggregates with comparisons, nested filters).
//!
//! A trace starts as one spanset holding all its spans; each step maps spansets to spansets and
//! drops empty ones. The trace matches when spansets remain.

use std::collections::{BTreeMap, BTreeSet, HashSet};

use sightline_traceql::{
    Aggregate, AggregateFunction, FieldExpression, Intrinsic, PipelineStage, Query,
    SpansetExpression, SpansetOperator,
};

use super::eval::SpanContext;
use super::value::{Value, compare};

/// A set of spans of one trace (rows of the span table), with the labels pipelines attached
/// (`by(...)` values, aggregate results).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Spanset {
    /// Rows, sorted and unique.
    pub rows: Vec<usize>,
    /// `(label, value)` pairs such as `("by(resource.service.name)", "cart")`.
    pub labels: Vec<(String, Value)>,
}

impl Spanset {
    fn with_rows(&self, rows: Vec<usize>) -> Spanset {
        Spanset {
            rows,
            labels: self.labels.clone(),
        }
    }
}

fn union(sets: &[Spanset]) -> BTreeSet<usize> {
    sets.iter().flat_map(|s| s.rows.iter().copied()).collect()
}

/// Evaluates `query` (without its metrics stage) for the trace of `ctx`.
pub fn evaluate_trace(ctx: &SpanContext<'_, '_>, query: &Query) -> Vec<Spanset> {
    let all = Spanset {
        rows: ctx.group.rows.clone().collect(),
        labels: Vec::new(),
    };
    let mut sets = eval_spansets(ctx, &query.expression, vec![all]);
    for stage in &query.pipeline {
        if sets.is_empty() {
            break;
        }
        sets = apply_stage(ctx, stage, sets);
    }
    sets
}

fn eval_spansets(
    ctx: &SpanContext<'_, '_>,
    expression: &SpansetExpression,
    input: Vec<Spanset>,
) -> Vec<Spanset> {
    match expression {
        SpansetExpression::Filter(condition) => input
            .into_iter()
            .filter_map(|set| {
                let rows: Vec<usize> = set
                    .rows
                    .iter()
                    .copied()
                    .filter(|&row| ctx.matches(condition, row))
                    .collect();
                (!rows.is_empty()).then(|| set.with_rows(rows))
            })
            .collect(),
        SpansetExpression::Pipeline {
            input: inner,
            stages,
        } => {
            let mut sets = eval_spansets(ctx, inner, input);
            for stage in stages {
                sets = apply_stage(ctx, stage, sets);
            }
            sets
        }
        SpansetExpression::Binary { op, left, right } => input
            .into_iter()
            .filter_map(|set| {
                let l = union(&eval_spansets(ctx, left, vec![set.clone()]));
                let r = union(&eval_spansets(ctx, right, vec![set.clone()]));
                let rows = combine(ctx, *op, &l, &r);
                (!rows.is_empty()).then(|| set.with_rows(rows))
            })
            .collect(),
    }
}

/// The rows `left op right` returns within one spanset.
fn combine(
    ctx: &SpanContext<'_, '_>,
    op: SpansetOperator,
    left: &BTreeSet<usize>,
    right: &BTreeSet<usize>,
) -> Vec<usize> {
    use SpansetOperator::*;
    let view = ctx.view;
    let parent = |row: usize| view.parent_row(row);
    let ancestors = |row: usize| std::iter::successors(parent(row), move |r| parent(*r));
    let both = |l: Vec<usize>, r: Vec<usize>| -> Vec<usize> {
        l.into_iter()
            .chain(r)
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect()
    };
    match op {
        And => {
            if left.is_empty() || right.is_empty() {
                Vec::new()
            } else {
                left.union(right).copied().collect()
            }
        }
        Or => left.union(right).copied().collect(),
        Child | NotChild | UnionChild => {
            let matched: Vec<usize> = right
                .iter()
                .copied()
                .filter(|r| parent(*r).is_some_and(|p| left.contains(&p)))
                .collect();
            match op {
                NotChild => right
                    .iter()
                    .copied()
                    .filter(|r| !matched.contains(r))
                    .collect(),
                UnionChild => {
                    let parents: Vec<usize> = matched.iter().filter_map(|r| parent(*r)).collect();
                    if matched.is_empty() {
                        Vec::new()
                    } else {
                        both(parents, matched)
                    }
                }
                _ => matched,
            }
        }
        Parent | NotParent | UnionParent => {
            let parents_of_left: HashSet<usize> = left.iter().filter_map(|l| parent(*l)).collect();
            let matched: Vec<usize> = right
                .iter()
                .copied()
                .filter(|r| parents_of_left.contains(r))
                .collect();
            match op {
                NotParent => right
                    .iter()
                    .copied()
                    .filter(|r| !parents_of_left.contains(r))
                    .collect(),
                UnionParent => {
                    let children: Vec<usize> = left
                        .iter()
                        .copied()
                        .filter(|l| parent(*l).is_some_and(|p| matched.contains(&p)))
                        .collect();
                    if matched.is_empty() {
                        Vec::new()
                    } else {
                        both(children, matched)
                    }
                }
                _ => matched,
            }
        }
        Descendant | NotDescendant | UnionDescendant => {
            let matched: Vec<usize> = right
                .iter()
                .copied()
                .filter(|r| ancestors(*r).any(|a| left.contains(&a)))
                .collect();
            match op {
                NotDescendant => right
                    .iter()
                    .copied()
                    .filter(|r| !matched.contains(r))
                    .collect(),
                UnionDescendant => {
                    let found: Vec<usize> = matched
                        .iter()
                        .flat_map(|r| {
                            ancestors(*r)
                                .filter(|a| left.contains(a))
                                .collect::<Vec<_>>()
                        })
                        .collect();
                    if matched.is_empty() {
                        Vec::new()
                    } else {
                        both(found, matched)
                    }
                }
                _ => matched,
            }
        }
        Ancestor | NotAncestor | UnionAncestor => {
            let ancestors_of_left: HashSet<usize> =
                left.iter().flat_map(|l| ancestors(*l)).collect();
            let matched: Vec<usize> = right
                .iter()
                .copied()
                .filter(|r| ancestors_of_left.contains(r))
                .collect();
            match op {
                NotAncestor => right
                    .iter()
                    .copied()
                    .filter(|r| !ancestors_of_left.contains(r))
                    .collect(),
                UnionAncestor => {
                    let found: Vec<usize> = left
                        .iter()
                        .copied()
                        .filter(|l| ancestors(*l).any(|a| matched.contains(&a)))
                        .collect();
                    if matched.is_empty() {
                        Vec::new()
                    } else {
                        both(found, matched)
                    }
                }
                _ => matched,
            }
        }
        Sibling | NotSibling | UnionSibling => {
            let is_sibling = |r: usize| {
                parent(r).is_some_and(|p| left.iter().any(|l| *l != r && parent(*l) == Some(p)))
            };
            let matched: Vec<usize> = right.iter().copied().filter(|r| is_sibling(*r)).collect();
            match op {
                NotSibling => right.iter().copied().filter(|r| !is_sibling(*r)).collect(),
                UnionSibling => {
                    let found: Vec<usize> = left
                        .iter()
                        .copied()
                        .filter(|l| {
                            parent(*l).is_some_and(|p| {
                                matched.iter().any(|m| m != l && parent(*m) == Some(p))
                            })
                        })
                        .collect();
                    if matched.is_empty() {
                        Vec::new()
                    } else {
                        both(found, matched)
                    }
                }
                _ => matched,
            }
        }
    }
}

fn apply_stage(
    ctx: &SpanContext<'_, '_>,
    stage: &PipelineStage,
    sets: Vec<Spanset>,
) -> Vec<Spanset> {
    match stage {
        PipelineStage::Filter(filter) => eval_spansets(ctx, filter, sets),
        PipelineStage::Select(_) => sets,
        PipelineStage::Coalesce => {
            if sets.is_empty() {
                return sets;
            }
            vec![Spanset {
                rows: union(&sets).into_iter().collect(),
                labels: Vec::new(),
            }]
        }
        PipelineStage::By(fields) => sets
            .into_iter()
            .flat_map(|set| split_by(ctx, fields, set))
            .collect(),
        PipelineStage::ScalarFilter {
            aggregate,
            op,
            value,
        } => sets
            .into_iter()
            .filter_map(|mut set| {
                let result = aggregate_value(ctx, aggregate, &set.rows);
                let keep = compare(&result, *op, &Value::from_literal(value), None);
                keep.then(|| {
                    set.labels.push((aggregate_label(aggregate), result));
                    set
                })
            })
            .collect(),
    }
}

fn split_by(ctx: &SpanContext<'_, '_>, fields: &[FieldExpression], set: Spanset) -> Vec<Spanset> {
    let mut groups: BTreeMap<Vec<String>, (Vec<Value>, Vec<usize>)> = BTreeMap::new();
    for &row in &set.rows {
        let values: Vec<Value> = fields.iter().map(|f| ctx.eval(f, row)).collect();
        let key: Vec<String> = values.iter().map(Value::label).collect();
        groups
            .entry(key)
            .or_insert_with(|| (values, Vec::new()))
            .1
            .push(row);
    }
    groups
        .into_values()
        .map(|(values, rows)| {
            let mut labels = set.labels.clone();
            labels.extend(
                fields
                    .iter()
                    .zip(values)
                    .map(|(field, value)| (format!("by({field})"), value)),
            );
            Spanset { rows, labels }
        })
        .collect()
}

/// The label of an aggregate, as Tempo names it (`count()`, `avg(duration)`).
pub fn aggregate_label(aggregate: &Aggregate) -> String {
    match &aggregate.field {
        Some(field) => format!("{}({field})", aggregate.function.as_str()),
        None => format!("{}()", aggregate.function.as_str()),
    }
}

/// Computes an aggregate over the rows of a spanset.
pub fn aggregate_value(ctx: &SpanContext<'_, '_>, aggregate: &Aggregate, rows: &[usize]) -> Value {
    if aggregate.function == AggregateFunction::Count {
        return Value::Int(rows.len() as i64);
    }
    let field = aggregate
        .field
        .clone()
        .unwrap_or(FieldExpression::Intrinsic(Intrinsic::Duration));
    let values: Vec<Value> = rows
        .iter()
        .map(|&row| ctx.eval(&field, row))
        .filter(Value::is_present)
        .collect();
    let is_duration = values.iter().any(|v| matches!(v, Value::Duration(_)));
    let numbers: Vec<f64> = values.iter().filter_map(Value::as_f64).collect();
    if numbers.is_empty() {
        return Value::Nil;
    }
    let result = match aggregate.function {
        AggregateFunction::Avg => numbers.iter().sum::<f64>() / numbers.len() as f64,
        AggregateFunction::Sum => numbers.iter().sum(),
        AggregateFunction::Min => numbers.iter().copied().fold(f64::INFINITY, f64::min),
        AggregateFunction::Max => numbers.iter().copied().fold(f64::NEG_INFINITY, f64::max),
        AggregateFunction::Count => unreachable!("handled above"),
    };
    if is_duration {
        Value::Duration(result as i64)
    } else {
        Value::Float(result)
    }
}
