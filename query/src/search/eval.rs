//! Evaluating TraceQL field expressions against one span of a span table.

use std::collections::HashMap;

use regex::Regex;
use sightline_traceql::{
    ArithmeticOp, Attribute, AttributeScope, BinaryOperator, ComparisonOp, FieldExpression,
    Intrinsic, LogicalOp, UnaryOperator,
};

use super::table::{SpanView, TraceGroup};
use super::value::{Value, anchored_regex, compare};

/// Regular expressions of a query, compiled once.
#[derive(Debug, Default)]
pub struct Regexes {
    compiled: HashMap<String, Regex>,
}

impl Regexes {
    /// Compiles every regex literal of `expression` (the right side of `=~` / `!~`).
    pub fn collect(&mut self, expression: &FieldExpression) -> Result<(), regex::Error> {
        match expression {
            FieldExpression::Binary { op, left, right } => {
                if let BinaryOperator::Comparison(ComparisonOp::Regex | ComparisonOp::NotRegex) = op
                {
                    for side in [left, right] {
                        if let FieldExpression::Literal(sightline_traceql::Literal::String(pattern)) =
                            side.as_ref()
                            && !self.compiled.contains_key(pattern)
                        {
                            self.compiled
                                .insert(pattern.clone(), anchored_regex(pattern)?);
                        }
                    }
                }
                self.collect(left)?;
                self.collect(right)
            }
            FieldExpression::Unary { operand, .. } => self.collect(operand),
            _ => Ok(()),
        }
    }

    /// The compiled regexes, by pattern.
    pub fn by_pattern(&self) -> &HashMap<String, Regex> {
        &self.compiled
    }

    fn get(&self, pattern: &Value) -> Option<&Regex> {
        match pattern {
            Value::Str(pattern) => self.compiled.get(pattern),
            _ => None,
        }
    }
}

/// Everything evaluating one span needs.
pub struct SpanContext<'v, 'a> {
    /// The table's columns.
    pub view: &'v SpanView<'a>,
    /// The trace the span belongs to.
    pub group: &'v TraceGroup,
    /// Children per row (only when the query uses `childCount`).
    pub child_counts: Option<&'v [u32]>,
    /// Compiled regexes.
    pub regexes: &'v Regexes,
}

impl SpanContext<'_, '_> {
    /// Evaluates `expression` for span `row`.
    pub fn eval(&self, expression: &FieldExpression, row: usize) -> Value {
        match expression {
            FieldExpression::Literal(literal) => Value::from_literal(literal),
            FieldExpression::Attribute(attribute) => self.attribute(attribute, row),
            FieldExpression::Intrinsic(intrinsic) => self.intrinsic(*intrinsic, row),
            FieldExpression::Unary {
                op: UnaryOperator::Not,
                operand,
            } => Value::Bool(!self.eval(operand, row).is_true()),
            FieldExpression::Unary {
                op: UnaryOperator::Negate,
                operand,
            } => match self.eval(operand, row) {
                Value::Int(i) => Value::Int(i.wrapping_neg()),
                Value::Float(f) => Value::Float(-f),
                Value::Duration(d) => Value::Duration(d.wrapping_neg()),
                _ => Value::Nil,
            },
            FieldExpression::Binary { op, left, right } => match op {
                BinaryOperator::Logical(LogicalOp::And) => {
                    Value::Bool(self.eval(left, row).is_true() && self.eval(right, row).is_true())
                }
                BinaryOperator::Logical(LogicalOp::Or) => {
                    Value::Bool(self.eval(left, row).is_true() || self.eval(right, row).is_true())
                }
                BinaryOperator::Comparison(op) => {
                    let (l, r) = (self.eval(left, row), self.eval(right, row));
                    // A literal on the left (`500 <= span.x`) compares as the flipped form.
                    let (l, op, r) = if matches!(left.as_ref(), FieldExpression::Literal(_))
                        && !matches!(right.as_ref(), FieldExpression::Literal(_))
                    {
                        (r, op.flipped(), l)
                    } else {
                        (l, *op, r)
                    };
                    Value::Bool(compare(&l, op, &r, self.regexes.get(&r)))
                }
                BinaryOperator::Arithmetic(op) => {
                    arithmetic(*op, self.eval(left, row), self.eval(right, row))
                }
            },
        }
    }

    /// True when `expression` evaluates to `true` for `row`.
    pub fn matches(&self, expression: &FieldExpression, row: usize) -> bool {
        self.eval(expression, row).is_true()
    }

    fn attribute(&self, attribute: &Attribute, row: usize) -> Value {
        let key = attribute.name.as_str();
        let view = self.view;
        match attribute.scope {
            AttributeScope::Span => view.span_attribute(key, row),
            AttributeScope::Resource => view.resource_attribute(key, row),
            AttributeScope::Unscoped => match view.span_attribute(key, row) {
                Value::Nil => view.resource_attribute(key, row),
                found => found,
            },
            AttributeScope::Instrumentation => view
                .scope(row)
                .attributes
                .iter()
                .find(|kv| kv.key == key)
                .map_or(Value::Nil, |kv| Value::from_any(kv.value.as_ref())),
            AttributeScope::Event => many(view.events(row).iter().filter_map(|event| {
                event
                    .attributes
                    .iter()
                    .find(|kv| kv.key == key)
                    .map(|kv| Value::from_any(kv.value.as_ref()))
            })),
            AttributeScope::Link => many(view.links(row).iter().filter_map(|link| {
                link.attributes
                    .iter()
                    .find(|kv| kv.key == key)
                    .map(|kv| Value::from_any(kv.value.as_ref()))
            })),
        }
    }

    fn intrinsic(&self, intrinsic: Intrinsic, row: usize) -> Value {
        let view = self.view;
        let group = self.group;
        match intrinsic {
            Intrinsic::Name => Value::Str(view.name(row).to_string()),
            Intrinsic::Status => Value::Status(view.status(row)),
            Intrinsic::StatusMessage => Value::Str(view.status_message(row).to_string()),
            Intrinsic::Kind => Value::Kind(view.kind(row)),
            Intrinsic::Duration => Value::Duration(view.duration(row)),
            Intrinsic::ChildCount => self
                .child_counts
                .map_or(Value::Nil, |counts| Value::Int(counts[row] as i64)),
            Intrinsic::SpanId => view
                .span_id(row)
                .map_or(Value::Nil, |id| Value::Str(hex::encode(id))),
            Intrinsic::ParentId => view
                .parent_span_id(row)
                .map_or(Value::Nil, |id| Value::Str(hex::encode(id))),
            Intrinsic::TraceId => Value::Str(hex::encode(group.trace_id)),
            Intrinsic::TraceDuration => Value::Duration(group.duration() as i64),
            Intrinsic::TraceRootName => group
                .root
                .map_or(Value::Nil, |r| Value::Str(view.name(r).to_string())),
            Intrinsic::TraceRootService => group
                .root
                .map_or(Value::Nil, |r| Value::Str(view.service(r).to_string())),
            Intrinsic::EventName => many(view.events(row).into_iter().map(|e| Value::Str(e.name))),
            Intrinsic::EventTimeSinceStart => {
                let start = view.start(row);
                many(
                    view.events(row)
                        .into_iter()
                        .map(|e| Value::Duration(e.time_unix_nano.wrapping_sub(start) as i64)),
                )
            }
            Intrinsic::LinkTraceId => many(
                view.links(row)
                    .into_iter()
                    .map(|l| Value::Str(hex::encode(l.trace_id))),
            ),
            Intrinsic::LinkSpanId => many(
                view.links(row)
                    .into_iter()
                    .map(|l| Value::Str(hex::encode(l.span_id))),
            ),
            Intrinsic::InstrumentationName => Value::Str(view.scope(row).name.clone()),
            Intrinsic::InstrumentationVersion => Value::Str(view.scope(row).version.clone()),
        }
    }
}

/// Several values of one span (its events' or links' values): compares as an array, absent when
/// there are none.
fn many(values: impl Iterator<Item = Value>) -> Value {
    let values: Vec<Value> = values.collect();
    if values.is_empty() {
        Value::Nil
    } else {
        Value::Array(values)
    }
}

fn arithmetic(op: ArithmeticOp, left: Value, right: Value) -> Value {
    use ArithmeticOp::*;
    match (&left, &right) {
        (Value::Int(a), Value::Int(b)) => {
            let result = match op {
                Add => a.checked_add(*b),
                Sub => a.checked_sub(*b),
                Mul => a.checked_mul(*b),
                Div => a.checked_div(*b),
                Mod => a.checked_rem(*b),
                Pow => u32::try_from(*b).ok().and_then(|e| a.checked_pow(e)),
            };
            result.map_or(Value::Nil, Value::Int)
        }
        (Value::Duration(a), Value::Duration(b)) if matches!(op, Add | Sub) => {
            Value::Duration(if op == Add {
                a.wrapping_add(*b)
            } else {
                a.wrapping_sub(*b)
            })
        }
        _ => {
            let (Some(a), Some(b)) = (left.as_f64(), right.as_f64()) else {
                return Value::Nil;
            };
            let result = match op {
                Add => a + b,
                Sub => a - b,
                Mul => a * b,
                Div => a / b,
                Mod => a % b,
                Pow => a.powf(b),
            };
            if matches!(left, Value::Duration(_)) || matches!(right, Value::Duration(_)) {
                Value::Duration(result as i64)
            } else {
                Value::Float(result)
            }
        }
    }
}

/// Number of direct children of every row of a table (rows without a parent row count for no
/// one).
pub fn child_counts(view: &SpanView<'_>) -> Vec<u32> {
    let mut counts = vec![0u32; view.len()];
    for row in 0..view.len() {
        if let Some(parent) = view.parent_row(row) {
            counts[parent] += 1;
        }
    }
    counts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arithmetic_follows_types() {
        assert_eq!(
            arithmetic(ArithmeticOp::Mul, Value::Int(10), Value::Int(1024)),
            Value::Int(10240)
        );
        assert_eq!(
            arithmetic(ArithmeticOp::Add, Value::Int(1), Value::Float(0.5)),
            Value::Float(1.5)
        );
        assert_eq!(
            arithmetic(ArithmeticOp::Div, Value::Int(1), Value::Int(0)),
            Value::Nil
        );
        assert_eq!(
            arithmetic(ArithmeticOp::Add, Value::Duration(1), Value::Duration(2)),
            Value::Duration(3)
        );
        assert_eq!(
            arithmetic(ArithmeticOp::Mul, Value::Duration(2), Value::Int(3)),
            Value::Duration(6)
        );
        assert_eq!(
            arithmetic(ArithmeticOp::Add, Value::Str("a".into()), Value::Int(1)),
            Value::Nil
        );
    }
}
