//! Values a TraceQL expression evaluates to, and how they compare.
//!
//! Comparisons follow Tempo: integers and floats compare numerically; durations compare with
//! durations and numbers (nanoseconds); a missing attribute (`Nil`) only satisfies `= nil`;
//! values of different types never compare equal; an array attribute satisfies `=` and `=~` when
//! any element does, and `!=` and `!~` when no element does.

use std::cmp::Ordering;

use regex::Regex;
use sightline_proto::otlp::common::v1::{AnyValue, any_value};
use sightline_traceql::{ComparisonOp, Literal};

/// A value during evaluation.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// Missing attribute, or `nil`.
    Nil,
    /// Boolean.
    Bool(bool),
    /// 64-bit integer.
    Int(i64),
    /// Double.
    Float(f64),
    /// Nanoseconds.
    Duration(i64),
    /// UTF-8 string.
    Str(String),
    /// Span status code (0 unset, 1 ok, 2 error).
    Status(i32),
    /// Span kind (0 unspecified .. 5 consumer).
    Kind(i32),
    /// An array attribute.
    Array(Vec<Value>),
}

impl Value {
    /// The value of an OTLP attribute (`None` and kvlists/bytes become `Nil`).
    pub fn from_any(value: Option<&AnyValue>) -> Value {
        match value.and_then(|v| v.value.as_ref()) {
            Some(any_value::Value::StringValue(s)) => Value::Str(s.clone()),
            Some(any_value::Value::BoolValue(b)) => Value::Bool(*b),
            Some(any_value::Value::IntValue(i)) => Value::Int(*i),
            Some(any_value::Value::DoubleValue(d)) => Value::Float(*d),
            Some(any_value::Value::ArrayValue(a)) => {
                Value::Array(a.values.iter().map(|v| Value::from_any(Some(v))).collect())
            }
            _ => Value::Nil,
        }
    }

    /// The value of a literal.
    pub fn from_literal(literal: &Literal) -> Value {
        match literal {
            Literal::Int(i) => Value::Int(*i),
            Literal::Float(f) => Value::Float(*f),
            Literal::Duration(d) => Value::Duration(*d),
            Literal::String(s) => Value::Str(s.clone()),
            Literal::Bool(b) => Value::Bool(*b),
            Literal::Nil => Value::Nil,
            Literal::Status(s) => Value::Status(match s {
                sightline_traceql::Status::Unset => 0,
                sightline_traceql::Status::Ok => 1,
                sightline_traceql::Status::Error => 2,
            }),
            Literal::Kind(k) => Value::Kind(match k {
                sightline_traceql::Kind::Unspecified => 0,
                sightline_traceql::Kind::Internal => 1,
                sightline_traceql::Kind::Server => 2,
                sightline_traceql::Kind::Client => 3,
                sightline_traceql::Kind::Producer => 4,
                sightline_traceql::Kind::Consumer => 5,
            }),
        }
    }

    /// The value as a number, for arithmetic and aggregates.
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Value::Int(i) => Some(*i as f64),
            Value::Float(f) => Some(*f),
            Value::Duration(d) => Some(*d as f64),
            _ => None,
        }
    }

    /// True for anything but `Nil` (an empty array counts as present).
    pub fn is_present(&self) -> bool {
        !matches!(self, Value::Nil)
    }

    /// True when the value is the boolean `true`.
    pub fn is_true(&self) -> bool {
        matches!(self, Value::Bool(true))
    }

    /// The value as an OTLP attribute value (for search results); `None` for `Nil`.
    pub fn to_any(&self) -> Option<AnyValue> {
        let value = match self {
            Value::Nil => return None,
            Value::Bool(b) => any_value::Value::BoolValue(*b),
            Value::Int(i) => any_value::Value::IntValue(*i),
            Value::Float(f) => any_value::Value::DoubleValue(*f),
            Value::Duration(d) => any_value::Value::IntValue(*d),
            Value::Str(s) => any_value::Value::StringValue(s.clone()),
            Value::Status(code) => any_value::Value::StringValue(status_name(*code).to_string()),
            Value::Kind(kind) => any_value::Value::StringValue(kind_name(*kind).to_string()),
            Value::Array(values) => {
                any_value::Value::ArrayValue(sightline_proto::otlp::common::v1::ArrayValue {
                    values: values.iter().filter_map(Value::to_any).collect(),
                })
            }
        };
        Some(AnyValue { value: Some(value) })
    }

    /// A display form for grouping keys and labels.
    pub fn label(&self) -> String {
        match self {
            Value::Nil => "nil".into(),
            Value::Bool(b) => b.to_string(),
            Value::Int(i) => i.to_string(),
            Value::Float(f) => f.to_string(),
            Value::Duration(d) => format!("{d}ns"),
            Value::Str(s) => s.clone(),
            Value::Status(code) => status_name(*code).into(),
            Value::Kind(kind) => kind_name(*kind).into(),
            Value::Array(values) => format!(
                "[{}]",
                values
                    .iter()
                    .map(Value::label)
                    .collect::<Vec<_>>()
                    .join(",")
            ),
        }
    }
}

/// The TraceQL name of a status code.
pub fn status_name(code: i32) -> &'static str {
    match code {
        1 => "ok",
        2 => "error",
        _ => "unset",
    }
}

/// The TraceQL name of a span kind.
pub fn kind_name(kind: i32) -> &'static str {
    match kind {
        1 => "internal",
        2 => "server",
        3 => "client",
        4 => "producer",
        5 => "consumer",
        _ => "unspecified",
    }
}

/// Orders two scalar values of compatible types; `None` when they do not compare.
fn order(left: &Value, right: &Value) -> Option<Ordering> {
    use Value::*;
    match (left, right) {
        (Int(a), Int(b)) => Some(a.cmp(b)),
        (Duration(a), Duration(b)) => Some(a.cmp(b)),
        (Str(a), Str(b)) => Some(a.cmp(b)),
        (Bool(a), Bool(b)) => Some(a.cmp(b)),
        (Status(a), Status(b)) => Some(a.cmp(b)),
        (Kind(a), Kind(b)) => Some(a.cmp(b)),
        (Int(_) | Float(_) | Duration(_), Int(_) | Float(_) | Duration(_)) => {
            left.as_f64()?.partial_cmp(&right.as_f64()?)
        }
        _ => None,
    }
}

/// Evaluates `left op right`. `regex` is the compiled right side of `=~` / `!~`.
pub fn compare(left: &Value, op: ComparisonOp, right: &Value, regex: Option<&Regex>) -> bool {
    use ComparisonOp::*;
    if let Value::Array(values) = left {
        return match op {
            NotEq | NotRegex => {
                let positive = if op == NotEq { Eq } else { Regex };
                !values.iter().any(|v| compare(v, positive, right, regex))
            }
            _ => values.iter().any(|v| compare(v, op, right, regex)),
        };
    }
    match (op, right) {
        (Eq, Value::Nil) => return !left.is_present(),
        (NotEq, Value::Nil) => return left.is_present(),
        _ => {}
    }
    if !left.is_present() {
        return false;
    }
    match op {
        Regex | NotRegex => {
            let Value::Str(text) = left else { return false };
            let matched = regex.is_some_and(|r| r.is_match(text));
            if op == Regex { matched } else { !matched }
        }
        _ => match order(left, right) {
            None => false,
            Some(ordering) => match op {
                Eq => ordering == Ordering::Equal,
                NotEq => ordering != Ordering::Equal,
                Gt => ordering == Ordering::Greater,
                Gte => ordering != Ordering::Less,
                Lt => ordering == Ordering::Less,
                Lte => ordering != Ordering::Greater,
                Regex | NotRegex => unreachable!("handled above"),
            },
        },
    }
}

/// Compiles the right side of a regex comparison: fully anchored, as Tempo does.
pub fn anchored_regex(pattern: &str) -> Result<Regex, regex::Error> {
    Regex::new(&format!("^(?:{pattern})$"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use ComparisonOp::*;

    fn s(text: &str) -> Value {
        Value::Str(text.into())
    }

    #[test]
    fn numbers_compare_across_int_float_and_duration() {
        assert!(compare(&Value::Int(5), Gt, &Value::Float(4.5), None));
        assert!(compare(&Value::Float(5.0), Eq, &Value::Int(5), None));
        assert!(compare(
            &Value::Duration(2_000_000),
            Gte,
            &Value::Duration(1_000_000),
            None
        ));
        assert!(compare(&Value::Duration(1500), Lt, &Value::Int(2000), None));
        assert!(
            !compare(&s("5"), Eq, &Value::Int(5), None),
            "types do not mix"
        );
    }

    #[test]
    fn nil_and_missing_values() {
        assert!(compare(&Value::Nil, Eq, &Value::Nil, None));
        assert!(!compare(&Value::Nil, NotEq, &Value::Nil, None));
        assert!(compare(&s("x"), NotEq, &Value::Nil, None));
        assert!(
            !compare(&Value::Nil, NotEq, &s("x"), None),
            "a missing attribute is not != x"
        );
        assert!(!compare(&Value::Nil, Lt, &Value::Int(1), None));
    }

    #[test]
    fn regexes_are_anchored() {
        let re = anchored_regex("GET.*").unwrap();
        assert!(compare(&s("GET /cart"), Regex, &s("GET.*"), Some(&re)));
        assert!(!compare(&s("xGET"), Regex, &s("GET.*"), Some(&re)));
        assert!(compare(&s("POST"), NotRegex, &s("GET.*"), Some(&re)));
    }

    #[test]
    fn arrays_match_any_element() {
        let array = Value::Array(vec![s("a"), s("b")]);
        assert!(compare(&array, Eq, &s("b"), None));
        assert!(!compare(&array, NotEq, &s("b"), None));
        assert!(compare(&array, NotEq, &s("c"), None));
    }

    #[test]
    fn enums() {
        assert!(compare(
            &Value::Status(2),
            Eq,
            &Value::from_literal(&Literal::Status(sightline_traceql::Status::Error)),
            None
        ));
        assert!(compare(
            &Value::Kind(2),
            Eq,
            &Value::from_literal(&Literal::Kind(sightline_traceql::Kind::Server)),
            None
        ));
        assert!(!compare(&Value::Kind(2), Eq, &Value::Status(2), None));
    }
}
