//! Template values and the Go semantics templates rely on: how a value prints (`fmt.Print`),
//! whether it is true (`if`), how values compare (`eq`, `lt`, ...) and the loose conversions
//! of sprig's functions (`cast.ToInt64`, `cast.ToFloat64`).

use std::borrow::Cow;
use std::cmp::Ordering;
use std::fmt::Write;

use super::printf::format_float;
use super::time::format_time;

/// A value during template execution.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Value<'d> {
    /// Go's untyped `nil` (the `nil` keyword, or a value that is not there).
    Nil,
    /// A string, often a label value borrowed from the line's labels.
    Str(Cow<'d, str>),
    /// An integer (`int` / `int64` in Go).
    Int(i64),
    /// A float (`float64`).
    Float(f64),
    /// A boolean.
    Bool(bool),
    /// A `time.Time`, as nanoseconds since the Unix epoch (always UTC).
    Time(i64),
    /// The template's data: the map of the line's labels.
    Labels,
}

impl<'d> Value<'d> {
    /// An owned string value.
    pub(crate) fn string(s: impl Into<String>) -> Self {
        Value::Str(Cow::Owned(s.into()))
    }

    /// Go's type name, for error messages.
    pub(crate) fn type_name(&self) -> &'static str {
        match self {
            Value::Nil => "nil",
            Value::Str(_) => "string",
            Value::Int(_) => "int",
            Value::Float(_) => "float64",
            Value::Bool(_) => "bool",
            Value::Time(_) => "time.Time",
            Value::Labels => "map[string]string",
        }
    }

    /// Whether `if` takes the value as true: not nil, false, zero or empty.
    pub(crate) fn is_true(&self, labels_empty: bool) -> bool {
        match self {
            Value::Nil => false,
            Value::Str(s) => !s.is_empty(),
            Value::Int(i) => *i != 0,
            Value::Float(f) => *f != 0.0,
            Value::Bool(b) => *b,
            Value::Time(_) => true,
            Value::Labels => !labels_empty,
        }
    }

    /// The value as a string argument of a Go function (`string` parameter).
    pub(crate) fn as_str(&self) -> Result<&str, String> {
        match self {
            Value::Str(s) => Ok(s),
            Value::Nil => Err("invalid value; expected string".to_string()),
            other => Err(format!(
                "wrong type for value; expected string; got {}",
                other.type_name()
            )),
        }
    }

    /// The value as an `int` argument of a Go function.
    pub(crate) fn as_int(&self) -> Result<i64, String> {
        match self {
            Value::Int(i) => Ok(*i),
            Value::Float(f) if f.fract() == 0.0 => Ok(*f as i64),
            Value::Nil => Err("invalid value; expected int".to_string()),
            other => Err(format!(
                "wrong type for value; expected int; got {}",
                other.type_name()
            )),
        }
    }

    /// The value as a `time.Time` argument.
    pub(crate) fn as_time(&self) -> Result<i64, String> {
        match self {
            Value::Time(t) => Ok(*t),
            other => Err(format!(
                "wrong type for value; expected time.Time; got {}",
                other.type_name()
            )),
        }
    }

    /// sprig's `toInt64` (`cast.ToInt64`): numbers truncated, strings parsed (0 when they are
    /// not integers), booleans as 0/1, anything else 0.
    pub(crate) fn to_int64(&self) -> i64 {
        match self {
            Value::Int(i) => *i,
            Value::Float(f) => *f as i64,
            Value::Bool(b) => i64::from(*b),
            Value::Str(s) => parse_go_int(trim_zero_decimal(s)).unwrap_or(0),
            Value::Time(_) | Value::Nil | Value::Labels => 0,
        }
    }

    /// sprig's `toFloat64` (`cast.ToFloat64`).
    pub(crate) fn to_float64(&self) -> f64 {
        match self {
            Value::Int(i) => *i as f64,
            Value::Float(f) => *f,
            Value::Bool(b) => f64::from(u8::from(*b)),
            Value::Str(s) => s.parse().unwrap_or(0.0),
            Value::Time(_) | Value::Nil | Value::Labels => 0.0,
        }
    }

    /// sprig's `empty`, used by `default`: nil, "", 0, false and an empty map are empty.
    pub(crate) fn is_empty(&self, labels_empty: bool) -> bool {
        !self.is_true(labels_empty)
    }
}

/// `cast`'s `trimZeroDecimal`: `"42.000"` becomes `"42"`.
fn trim_zero_decimal(s: &str) -> &str {
    let mut found_zero = false;
    for (i, b) in s.bytes().enumerate().rev() {
        match b {
            b'.' if found_zero => return &s[..i],
            b'.' => {}
            b'0' => found_zero = true,
            _ => return s,
        }
    }
    s
}

/// Parses an integer the way `strconv.ParseInt(s, 0, 64)` does (`0x`, `0o`, `0b` prefixes).
pub(crate) fn parse_go_int(s: &str) -> Option<i64> {
    let (negative, digits) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let lower = digits.to_ascii_lowercase();
    let (radix, body) = if let Some(b) = lower.strip_prefix("0x") {
        (16, b.to_string())
    } else if let Some(b) = lower.strip_prefix("0o") {
        (8, b.to_string())
    } else if let Some(b) = lower.strip_prefix("0b") {
        (2, b.to_string())
    } else if lower.len() > 1 && lower.starts_with('0') {
        (8, lower[1..].to_string())
    } else {
        (10, lower)
    };
    let body = body.replace('_', "");
    if body.is_empty() || body.starts_with(['+', '-']) {
        return None;
    }
    let magnitude = i128::from_str_radix(&body, radix).ok()?;
    let value = if negative { -magnitude } else { magnitude };
    i64::try_from(value).ok()
}

/// Appends `value` the way `fmt.Print` prints it (the map of labels sorted by name).
pub(crate) fn print_value(out: &mut String, value: &Value<'_>, labels: &[(&str, &str)]) {
    match value {
        Value::Nil => out.push_str("<no value>"),
        Value::Str(s) => out.push_str(s),
        Value::Int(i) => {
            let _ = write!(out, "{i}");
        }
        Value::Float(f) => out.push_str(&format_float(*f, 'g', None, false)),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Time(t) => out.push_str(&format_time(*t)),
        Value::Labels => {
            out.push_str("map[");
            for (i, (name, value)) in labels.iter().enumerate() {
                if i > 0 {
                    out.push(' ');
                }
                let _ = write!(out, "{name}:{value}");
            }
            out.push(']');
        }
    }
}

/// The kinds `eq` and `lt` compare.
enum Kind<'a> {
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(&'a str),
    Time(i64),
    Nil,
    Other,
}

fn kind<'a>(value: &'a Value<'_>) -> Kind<'a> {
    match value {
        Value::Bool(b) => Kind::Bool(*b),
        Value::Int(i) => Kind::Int(*i),
        Value::Float(f) => Kind::Float(*f),
        Value::Str(s) => Kind::Str(s),
        Value::Time(t) => Kind::Time(*t),
        Value::Nil => Kind::Nil,
        Value::Labels => Kind::Other,
    }
}

/// Go's `eq arg1 arg2`.
pub(crate) fn equal(a: &Value<'_>, b: &Value<'_>) -> Result<bool, String> {
    match (kind(a), kind(b)) {
        (Kind::Bool(x), Kind::Bool(y)) => Ok(x == y),
        (Kind::Int(x), Kind::Int(y)) => Ok(x == y),
        (Kind::Float(x), Kind::Float(y)) => Ok(x == y),
        (Kind::Str(x), Kind::Str(y)) => Ok(x == y),
        (Kind::Time(x), Kind::Time(y)) => Ok(x == y),
        (Kind::Nil, Kind::Nil) => Ok(true),
        (Kind::Nil, _) | (_, Kind::Nil) => Ok(false),
        (Kind::Other, _) | (_, Kind::Other) => Err("non-comparable type".to_string()),
        _ => Err("incompatible types for comparison".to_string()),
    }
}

/// Go's `lt arg1 arg2` ordering.
pub(crate) fn order(a: &Value<'_>, b: &Value<'_>) -> Result<Ordering, String> {
    let ordering = match (kind(a), kind(b)) {
        (Kind::Int(x), Kind::Int(y)) => x.partial_cmp(&y),
        (Kind::Float(x), Kind::Float(y)) => x.partial_cmp(&y),
        (Kind::Str(x), Kind::Str(y)) => x.partial_cmp(y),
        (Kind::Bool(_), Kind::Bool(_))
        | (Kind::Time(_), Kind::Time(_))
        | (Kind::Other, _)
        | (_, Kind::Other) => return Err("invalid type for comparison".to_string()),
        (Kind::Nil, _) | (_, Kind::Nil) => return Err("invalid type for comparison".to_string()),
        _ => return Err("incompatible types for comparison".to_string()),
    };
    // NaN compares as neither less nor greater.
    Ok(ordering.unwrap_or(Ordering::Equal))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conversions() {
        assert_eq!(parse_go_int("0x1f"), Some(31));
        assert_eq!(parse_go_int("-12"), Some(-12));
        assert_eq!(parse_go_int("1.5"), None);
        assert_eq!(Value::string("42").to_int64(), 42);
        assert_eq!(Value::string("42.0").to_int64(), 42);
        assert_eq!(Value::string("x").to_int64(), 0);
        assert_eq!(Value::string("1.5").to_float64(), 1.5);
        assert!(equal(&Value::Int(1), &Value::string("1")).is_err());
        assert_eq!(
            order(&Value::string("a"), &Value::string("b")),
            Ok(Ordering::Less)
        );
    }

    #[test]
    fn printing() {
        let mut out = String::new();
        for v in [
            Value::Int(-3),
            Value::Float(1e6),
            Value::Float(2.5),
            Value::Bool(true),
            Value::Nil,
            Value::Labels,
        ] {
            print_value(&mut out, &v, &[("a", "1"), ("b", "2")]);
            out.push('|');
        }
        assert_eq!(out, "-3|1e+06|2.5|true|<no value>|map[a:1 b:2]|");
    }
}
