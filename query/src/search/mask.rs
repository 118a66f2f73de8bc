//! Evaluating a leaf filter for every row of a batch at once, column by column: the candidate
//! scan over whole blocks. Dictionary-encoded columns (span name, service, resource) are compared
//! once per distinct value. Expressions this module does not cover return `None`, and the caller
//! evaluates them row by row; both give the same answers (see the tests of `search`).

use std::collections::HashMap;

use arrow::array::{
    Array, BinaryArray, BooleanArray, Float64Array, Int32Array, Int64Array, StringArray,
};
use arrow::record_batch::RecordBatch;
use prost::Message;
use regex::Regex;
use sightline_storage::rows::attributes::{AttributeKind, OVERFLOW_COLUMN, attribute_column_name};
use sightline_storage::rows::blobs::{KeyValueBlob, decode_resource};
use sightline_storage::rows::columns::{
    BytesColumn, RESOURCE_COLUMN, SERVICE_NAME_COLUMN, TextColumn,
};
use sightline_storage::rows::spans::col;
use sightline_traceql::{
    AttributeScope, BinaryOperator, ComparisonOp, FieldExpression, Intrinsic, LogicalOp,
    UnaryOperator,
};

use super::value::{Value, compare};

/// One bool per row.
pub type Mask = Vec<bool>;

/// Evaluates `expression` for all rows of `batch`; `None` when it needs the row-by-row
/// evaluator.
pub fn leaf_mask(
    batch: &RecordBatch,
    expression: &FieldExpression,
    regexes: &HashMap<String, Regex>,
) -> Option<Mask> {
    let rows = batch.num_rows();
    match expression {
        FieldExpression::Literal(sightline_traceql::Literal::Bool(b)) => Some(vec![*b; rows]),
        FieldExpression::Unary {
            op: UnaryOperator::Not,
            operand,
        } => Some(
            leaf_mask(batch, operand, regexes)?
                .into_iter()
                .map(|b| !b)
                .collect(),
        ),
        FieldExpression::Binary {
            op: BinaryOperator::Logical(op),
            left,
            right,
        } => {
            let l = leaf_mask(batch, left, regexes)?;
            let r = leaf_mask(batch, right, regexes)?;
            Some(match op {
                LogicalOp::And => l.into_iter().zip(r).map(|(a, b)| a && b).collect(),
                LogicalOp::Or => l.into_iter().zip(r).map(|(a, b)| a || b).collect(),
            })
        }
        FieldExpression::Binary {
            op: BinaryOperator::Comparison(op),
            left,
            right,
        } => {
            let (field, op, literal) = match (left.as_ref(), right.as_ref()) {
                (field, FieldExpression::Literal(l)) => (field, *op, l),
                (FieldExpression::Literal(l), field) => (field, op.flipped(), l),
                _ => return None,
            };
            let literal = Value::from_literal(literal);
            let regex = match &literal {
                Value::Str(pattern)
                    if matches!(op, ComparisonOp::Regex | ComparisonOp::NotRegex) =>
                {
                    Some(regexes.get(pattern)?)
                }
                _ => None,
            };
            comparison_mask(batch, field, op, &literal, regex)
        }
        _ => None,
    }
}

fn comparison_mask(
    batch: &RecordBatch,
    field: &FieldExpression,
    op: ComparisonOp,
    literal: &Value,
    regex: Option<&Regex>,
) -> Option<Mask> {
    let rows = batch.num_rows();
    let primitive = |name: &str, wrap: fn(i64) -> Value, default: i64| -> Option<Mask> {
        let array = batch.column_by_name(name)?;
        if let Some(a) = array.as_any().downcast_ref::<Int32Array>() {
            return Some(
                (0..rows)
                    .map(|r| {
                        compare(
                            &wrap(if a.is_valid(r) {
                                a.value(r) as i64
                            } else {
                                default
                            }),
                            op,
                            literal,
                            None,
                        )
                    })
                    .collect(),
            );
        }
        let a = array.as_any().downcast_ref::<Int64Array>()?;
        Some(
            (0..rows)
                .map(|r| compare(&wrap(a.value(r)), op, literal, None))
                .collect(),
        )
    };
    match field {
        FieldExpression::Intrinsic(Intrinsic::Name) => {
            text_mask(batch, col::NAME, op, literal, regex)
        }
        FieldExpression::Intrinsic(Intrinsic::Status) => {
            primitive(col::STATUS_CODE, |v| Value::Status(v as i32), 0)
        }
        FieldExpression::Intrinsic(Intrinsic::Kind) => {
            primitive(col::KIND, |v| Value::Kind(v as i32), 0)
        }
        FieldExpression::Intrinsic(Intrinsic::Duration) => {
            primitive(col::DURATION, Value::Duration, 0)
        }
        FieldExpression::Attribute(attribute) => match attribute.scope {
            AttributeScope::Resource => resource_mask(batch, &attribute.name, op, literal, regex),
            AttributeScope::Span => Some(span_mask(batch, &attribute.name, op, literal, regex)?.0),
            AttributeScope::Unscoped => {
                let (span, present) = span_mask(batch, &attribute.name, op, literal, regex)?;
                let resource = resource_mask(batch, &attribute.name, op, literal, regex)?;
                Some(
                    (0..rows)
                        .map(|r| if present[r] { span[r] } else { resource[r] })
                        .collect(),
                )
            }
            _ => None,
        },
        _ => None,
    }
}

/// Compares a string with a literal exactly as [`compare`] would, without allocating.
fn text_matches(text: &str, op: ComparisonOp, literal: &Value, regex: Option<&Regex>) -> bool {
    use ComparisonOp::*;
    match (op, literal) {
        (Regex, _) => regex.is_some_and(|r| r.is_match(text)),
        (NotRegex, _) => regex.is_some_and(|r| !r.is_match(text)),
        (NotEq, Value::Nil) => true,
        (_, Value::Str(other)) => {
            let ordering = text.cmp(other.as_str());
            match op {
                Eq => ordering.is_eq(),
                NotEq => ordering.is_ne(),
                Gt => ordering.is_gt(),
                Gte => ordering.is_ge(),
                Lt => ordering.is_lt(),
                Lte => ordering.is_le(),
                Regex | NotRegex => unreachable!("handled above"),
            }
        }
        _ => false,
    }
}

/// A text column (plain or dictionary): dictionary values are compared once each.
fn text_mask(
    batch: &RecordBatch,
    name: &str,
    op: ComparisonOp,
    literal: &Value,
    regex: Option<&Regex>,
) -> Option<Mask> {
    let array = batch.column_by_name(name)?;
    let column = TextColumn::from_array(array, name).ok()?;
    let rows = batch.num_rows();
    Some(match column {
        TextColumn::Plain(strings) => (0..rows)
            .map(|r| {
                if strings.is_valid(r) {
                    text_matches(strings.value(r), op, literal, regex)
                } else {
                    compare(&Value::Nil, op, literal, None)
                }
            })
            .collect(),
        TextColumn::Dictionary(dictionary, values) => {
            let truth: Vec<bool> = (0..values.len())
                .map(|i| text_matches(values.value(i), op, literal, regex))
                .collect();
            let keys = dictionary.keys();
            let missing = compare(&Value::Nil, op, literal, None);
            (0..rows)
                .map(|r| {
                    if keys.is_valid(r) {
                        truth[keys.value(r) as usize]
                    } else {
                        missing
                    }
                })
                .collect()
        }
    })
}

/// A resource attribute: `service.name` reads the service column, anything else is decoded once
/// per distinct resource.
fn resource_mask(
    batch: &RecordBatch,
    key: &str,
    op: ComparisonOp,
    literal: &Value,
    regex: Option<&Regex>,
) -> Option<Mask> {
    if key == "service.name" && batch.column_by_name(SERVICE_NAME_COLUMN).is_some() {
        return text_mask(batch, SERVICE_NAME_COLUMN, op, literal, regex);
    }
    let rows = batch.num_rows();
    let evaluate = |blob: &[u8]| {
        let value = decode_resource(blob)
            .ok()
            .and_then(|b| b.resource)
            .and_then(|r| r.attributes.into_iter().find(|kv| kv.key == key))
            .map_or(Value::Nil, |kv| Value::from_any(kv.value.as_ref()));
        compare(&value, op, literal, regex)
    };
    Some(match BytesColumn::new(batch, RESOURCE_COLUMN).ok()? {
        BytesColumn::Dictionary(dictionary, values) => {
            let truth: Vec<bool> = (0..values.len())
                .map(|i| evaluate(values.value(i)))
                .collect();
            let keys = dictionary.keys();
            (0..rows)
                .map(|r| keys.is_valid(r) && truth[keys.value(r) as usize])
                .collect()
        }
        BytesColumn::Plain(blobs) => {
            let mut cache: HashMap<&[u8], bool> = HashMap::new();
            (0..rows)
                .map(|r| {
                    blobs.is_valid(r)
                        && *cache
                            .entry(blobs.value(r))
                            .or_insert_with(|| evaluate(blobs.value(r)))
                })
                .collect()
        }
    })
}

/// A span attribute over its typed columns; returns (matches, present) per row.
fn span_mask(
    batch: &RecordBatch,
    key: &str,
    op: ComparisonOp,
    literal: &Value,
    regex: Option<&Regex>,
) -> Option<(Mask, Mask)> {
    let rows = batch.num_rows();
    let column = |kind| batch.column_by_name(&attribute_column_name(kind, key));
    let strings =
        column(AttributeKind::Str).and_then(|a| a.as_any().downcast_ref::<StringArray>().cloned());
    let ints =
        column(AttributeKind::Int).and_then(|a| a.as_any().downcast_ref::<Int64Array>().cloned());
    let doubles = column(AttributeKind::Double)
        .and_then(|a| a.as_any().downcast_ref::<Float64Array>().cloned());
    let bools = column(AttributeKind::Bool)
        .and_then(|a| a.as_any().downcast_ref::<BooleanArray>().cloned());
    let anys =
        column(AttributeKind::Any).and_then(|a| a.as_any().downcast_ref::<BinaryArray>().cloned());
    let overflow = batch
        .column_by_name(OVERFLOW_COLUMN)
        .and_then(|a| a.as_any().downcast_ref::<BinaryArray>().cloned());
    let missing = compare(&Value::Nil, op, literal, None);
    let mut matches = Vec::with_capacity(rows);
    let mut present = Vec::with_capacity(rows);
    for r in 0..rows {
        let outcome = if let Some(s) = strings.as_ref().filter(|s| s.is_valid(r)) {
            Some(text_matches(s.value(r), op, literal, regex))
        } else if let Some(i) = ints.as_ref().filter(|i| i.is_valid(r)) {
            Some(compare(&Value::Int(i.value(r)), op, literal, None))
        } else if let Some(d) = doubles.as_ref().filter(|d| d.is_valid(r)) {
            Some(compare(&Value::Float(d.value(r)), op, literal, None))
        } else if let Some(b) = bools.as_ref().filter(|b| b.is_valid(r)) {
            Some(compare(&Value::Bool(b.value(r)), op, literal, None))
        } else if let Some(a) = anys.as_ref().filter(|a| a.is_valid(r)) {
            let decoded = sightline_proto::otlp::common::v1::AnyValue::decode(a.value(r)).ok();
            Some(compare(
                &Value::from_any(decoded.as_ref()),
                op,
                literal,
                regex,
            ))
        } else if let Some(o) = overflow.as_ref().filter(|o| o.is_valid(r)) {
            KeyValueBlob::decode(o.value(r))
                .ok()
                .and_then(|blob| blob.values.into_iter().find(|kv| kv.key == key))
                .map(|kv| compare(&Value::from_any(kv.value.as_ref()), op, literal, regex))
        } else {
            None
        };
        present.push(outcome.is_some());
        matches.push(outcome.unwrap_or(missing));
    }
    Some((matches, present))
}
