//! The template functions Loki registers (its own, Go's `strings` ones and a sprig subset),
//! with Go's argument order and types. The builtins that need the template's data (`and`,
//! `or`, `not`, `len`, `index`, `print*`, `eq`, ...) are evaluated by the executor.

use std::borrow::Cow;

use regex::Regex;

use super::super::convert;
use super::helpers::{
    align, base64_decode, base64_encode, decimal_fold, query_escape, query_unescape, replace_n,
    substr, title, trunc, unix_to_time,
};
use super::value::Value;

/// Go builtins, evaluated by the executor.
pub(crate) const BUILTINS: &[&str] = &[
    "and", "or", "not", "len", "index", "print", "printf", "println", "eq", "ne", "lt", "le", "gt",
    "ge", "html", "js", "urlquery",
];

/// Functions evaluated here.
const FUNCTIONS: &[&str] = &[
    "__line__",
    "__timestamp__",
    "ToLower",
    "ToUpper",
    "Replace",
    "Trim",
    "TrimLeft",
    "TrimRight",
    "TrimPrefix",
    "TrimSuffix",
    "TrimSpace",
    "regexReplaceAll",
    "regexReplaceAllLiteral",
    "count",
    "urldecode",
    "urlencode",
    "bytes",
    "duration",
    "duration_seconds",
    "unixEpochMillis",
    "unixEpochNanos",
    "unixToTime",
    "alignLeft",
    "alignRight",
    "b64enc",
    "b64dec",
    "lower",
    "upper",
    "title",
    "trunc",
    "substr",
    "contains",
    "hasPrefix",
    "hasSuffix",
    "indent",
    "nindent",
    "replace",
    "repeat",
    "trim",
    "trimAll",
    "trimSuffix",
    "trimPrefix",
    "int",
    "float64",
    "add",
    "sub",
    "mul",
    "div",
    "mod",
    "addf",
    "subf",
    "mulf",
    "divf",
    "max",
    "min",
    "maxf",
    "minf",
    "ceil",
    "floor",
    "round",
    "date",
    "now",
    "unixEpoch",
    "default",
];

/// Functions whose first argument is a regex (compiled once when it is a literal).
pub(crate) const REGEX_FUNCTIONS: &[&str] = &["regexReplaceAll", "regexReplaceAllLiteral", "count"];

/// The most text `repeat` and `indent` may generate (a guard against runaway templates).
const MAX_GENERATED: usize = 1 << 20;

/// Which functions and predeclared variables a template has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Dialect {
    /// Loki's `line_format` / `label_format`.
    Loki,
    /// Prometheus alert labels and annotations: `$labels`, `$value`, `humanize*`, ...
    PrometheusAlert,
}

impl Dialect {
    /// Variables defined before the template starts (besides `$`).
    pub(crate) fn variables(self) -> &'static [&'static str] {
        match self {
            Dialect::Loki => &[],
            Dialect::PrometheusAlert => &["$labels", "$value"],
        }
    }
}

/// Whether a template in `dialect` may call `name`.
pub(crate) fn is_function(name: &str, dialect: Dialect) -> bool {
    BUILTINS.contains(&name)
        || match dialect {
            Dialect::Loki => FUNCTIONS.contains(&name),
            Dialect::PrometheusAlert => super::prometheus::FUNCTIONS.contains(&name),
        }
}

/// What functions may read besides their arguments.
pub(crate) struct Env<'d, 'r> {
    /// The current line (`__line__`).
    pub(crate) line: &'d str,
    /// The line's timestamp (`__timestamp__`), nanoseconds.
    pub(crate) timestamp: i64,
    /// Regexes compiled from literal arguments.
    pub(crate) regexes: &'r [(String, Regex)],
    /// Which functions exist.
    pub(crate) dialect: Dialect,
}

pub(super) fn arity(name: &str, args: &[Value<'_>], want: usize) -> Result<(), String> {
    if args.len() != want {
        return Err(format!(
            "wrong number of args for {name}: want {want} got {}",
            args.len()
        ));
    }
    Ok(())
}

fn at_least(name: &str, args: &[Value<'_>], want: usize) -> Result<(), String> {
    if args.len() < want {
        return Err(format!(
            "wrong number of args for {name}: want at least {want} got {}",
            args.len()
        ));
    }
    Ok(())
}

fn s<'d>(value: impl Into<String>) -> Value<'d> {
    Value::Str(Cow::Owned(value.into()))
}

/// Calls the function `name` (one of [`FUNCTIONS`]).
pub(crate) fn call<'d>(
    name: &str,
    args: &[Value<'d>],
    env: &Env<'d, '_>,
) -> Result<Value<'d>, String> {
    if env.dialect == Dialect::PrometheusAlert {
        return super::prometheus::call(name, args, env);
    }
    let fixed = |n: usize| arity(name, args, n);
    let str_at = |i: usize| args[i].as_str();
    let int_at = |i: usize| args[i].as_int();
    Ok(match name {
        "__line__" => {
            fixed(0)?;
            Value::Str(Cow::Borrowed(env.line))
        }
        "__timestamp__" => {
            fixed(0)?;
            Value::Time(env.timestamp)
        }
        "ToLower" | "lower" => {
            fixed(1)?;
            s(str_at(0)?.to_lowercase())
        }
        "ToUpper" | "upper" => {
            fixed(1)?;
            s(str_at(0)?.to_uppercase())
        }
        "title" => {
            fixed(1)?;
            s(title(str_at(0)?))
        }
        "Replace" => {
            fixed(4)?;
            s(replace_n(str_at(0)?, str_at(1)?, str_at(2)?, int_at(3)?))
        }
        "replace" => {
            fixed(3)?;
            s(str_at(2)?.replace(str_at(0)?, str_at(1)?))
        }
        "Trim" => {
            fixed(2)?;
            let cut = str_at(1)?;
            s(str_at(0)?.trim_matches(|c| cut.contains(c)))
        }
        "trimAll" => {
            fixed(2)?;
            let cut = str_at(0)?;
            s(str_at(1)?.trim_matches(|c| cut.contains(c)))
        }
        "TrimLeft" => {
            fixed(2)?;
            let cut = str_at(1)?;
            s(str_at(0)?.trim_start_matches(|c| cut.contains(c)))
        }
        "TrimRight" => {
            fixed(2)?;
            let cut = str_at(1)?;
            s(str_at(0)?.trim_end_matches(|c| cut.contains(c)))
        }
        "TrimPrefix" => {
            fixed(2)?;
            let v = str_at(0)?;
            s(v.strip_prefix(str_at(1)?).unwrap_or(v))
        }
        "TrimSuffix" => {
            fixed(2)?;
            let v = str_at(0)?;
            s(v.strip_suffix(str_at(1)?).unwrap_or(v))
        }
        "trimPrefix" => {
            fixed(2)?;
            let v = str_at(1)?;
            s(v.strip_prefix(str_at(0)?).unwrap_or(v))
        }
        "trimSuffix" => {
            fixed(2)?;
            let v = str_at(1)?;
            s(v.strip_suffix(str_at(0)?).unwrap_or(v))
        }
        "TrimSpace" | "trim" => {
            fixed(1)?;
            s(str_at(0)?.trim_matches(|c: char| c.is_whitespace()))
        }
        "contains" => {
            fixed(2)?;
            Value::Bool(str_at(1)?.contains(str_at(0)?))
        }
        "hasPrefix" => {
            fixed(2)?;
            Value::Bool(str_at(1)?.starts_with(str_at(0)?))
        }
        "hasSuffix" => {
            fixed(2)?;
            Value::Bool(str_at(1)?.ends_with(str_at(0)?))
        }
        "regexReplaceAll" | "regexReplaceAllLiteral" => {
            fixed(3)?;
            let re = regex_for(str_at(0)?, env)?;
            let (text, repl) = (str_at(1)?, str_at(2)?);
            s(if name == "regexReplaceAll" {
                re.replace_all(text, repl).into_owned()
            } else {
                re.replace_all(text, regex::NoExpand(repl)).into_owned()
            })
        }
        "count" => {
            fixed(2)?;
            let re = regex_for(str_at(0)?, env)?;
            Value::Int(re.find_iter(str_at(1)?).count() as i64)
        }
        "urlencode" => {
            fixed(1)?;
            s(query_escape(str_at(0)?))
        }
        "urldecode" => {
            fixed(1)?;
            s(query_unescape(str_at(0)?)?)
        }
        "b64enc" => {
            fixed(1)?;
            s(base64_encode(str_at(0)?.as_bytes()))
        }
        "b64dec" => {
            fixed(1)?;
            // sprig returns the error text as the value.
            s(base64_decode(str_at(0)?).unwrap_or_else(|e| e))
        }
        "bytes" => {
            fixed(1)?;
            Value::Float(convert::parse_bytes(str_at(0)?)? as f64)
        }
        "duration" | "duration_seconds" => {
            fixed(1)?;
            Value::Float(convert::parse_duration(str_at(0)?)? as f64 / 1e9)
        }
        "unixEpochMillis" => {
            fixed(1)?;
            s(args[0].as_time()?.div_euclid(1_000_000).to_string())
        }
        "unixEpochNanos" => {
            fixed(1)?;
            s(args[0].as_time()?.to_string())
        }
        "unixEpoch" => {
            fixed(1)?;
            s(args[0].as_time()?.div_euclid(1_000_000_000).to_string())
        }
        "unixToTime" => {
            fixed(1)?;
            Value::Time(unix_to_time(str_at(0)?)?)
        }
        "now" => {
            fixed(0)?;
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos() as i64);
            Value::Time(now)
        }
        "date" => {
            fixed(2)?;
            let nanos = match &args[1] {
                Value::Time(t) => *t,
                Value::Int(seconds) => seconds.saturating_mul(1_000_000_000),
                _ => std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map_or(0, |d| d.as_nanos() as i64),
            };
            s(super::time::format_layout(nanos, str_at(0)?))
        }
        "alignLeft" | "alignRight" => {
            fixed(2)?;
            let count = int_at(0)?;
            if count > MAX_GENERATED as i64 {
                return Err(format!("error calling {name}: result too large"));
            }
            s(align(count, str_at(1)?, name == "alignLeft"))
        }
        "trunc" => {
            fixed(2)?;
            s(trunc(int_at(0)?, str_at(1)?))
        }
        "substr" => {
            fixed(3)?;
            s(substr(int_at(0)?, int_at(1)?, str_at(2)?))
        }
        "repeat" => {
            fixed(2)?;
            let (count, text) = (int_at(0)?.max(0) as usize, str_at(1)?);
            if count.saturating_mul(text.len()) > MAX_GENERATED {
                return Err("error calling repeat: result too large".to_string());
            }
            s(text.repeat(count))
        }
        "indent" | "nindent" => {
            fixed(2)?;
            let count = int_at(0)?.max(0) as usize;
            let lines = str_at(1)?.matches('\n').count() + 1;
            if count.saturating_mul(lines) > MAX_GENERATED {
                return Err(format!("error calling {name}: result too large"));
            }
            let pad = " ".repeat(count);
            let text = format!("{pad}{}", str_at(1)?.replace('\n', &format!("\n{pad}")));
            s(if name == "nindent" {
                format!("\n{text}")
            } else {
                text
            })
        }
        "int" => {
            fixed(1)?;
            Value::Int(args[0].to_int64())
        }
        "float64" => {
            fixed(1)?;
            Value::Float(args[0].to_float64())
        }
        "add" => Value::Int(args.iter().fold(0i64, |a, v| a.wrapping_add(v.to_int64()))),
        "mul" => {
            at_least(name, args, 1)?;
            Value::Int(args.iter().fold(1i64, |a, v| a.wrapping_mul(v.to_int64())))
        }
        "sub" | "div" | "mod" => {
            fixed(2)?;
            let (a, b) = (args[0].to_int64(), args[1].to_int64());
            Value::Int(match name {
                "sub" => a.wrapping_sub(b),
                _ if b == 0 => {
                    return Err(format!(
                        "error calling {name}: runtime error: integer divide by zero"
                    ));
                }
                "div" => a.wrapping_div(b),
                _ => a.wrapping_rem(b),
            })
        }
        "max" | "min" => {
            at_least(name, args, 1)?;
            let values = args.iter().map(Value::to_int64);
            Value::Int(if name == "max" {
                values.max().unwrap_or(0)
            } else {
                values.min().unwrap_or(0)
            })
        }
        "addf" | "subf" | "mulf" | "divf" => {
            at_least(name, args, 1)?;
            Value::Float(decimal_fold(name, args))
        }
        "maxf" | "minf" => {
            at_least(name, args, 1)?;
            let mut values = args.iter().map(Value::to_float64);
            let first = values.next().unwrap_or(0.0);
            Value::Float(values.fold(
                first,
                |a, b| {
                    if name == "maxf" { a.max(b) } else { a.min(b) }
                },
            ))
        }
        "ceil" => {
            fixed(1)?;
            Value::Float(args[0].to_float64().ceil())
        }
        "floor" => {
            fixed(1)?;
            Value::Float(args[0].to_float64().floor())
        }
        "round" => {
            if !(2..=3).contains(&args.len()) {
                return Err(format!(
                    "wrong number of args for round: want 2 got {}",
                    args.len()
                ));
            }
            let round_on = args.get(2).map_or(0.5, Value::to_float64);
            let pow = 10f64.powf(int_at(1)? as f64);
            let digit = pow * args[0].to_float64();
            let rounded = if digit.fract() >= round_on {
                digit.ceil()
            } else {
                digit.floor()
            };
            Value::Float(rounded / pow)
        }
        "default" => {
            at_least(name, args, 1)?;
            match args.get(1) {
                Some(given) if !given.is_empty(false) => given.clone(),
                _ => args[0].clone(),
            }
        }
        _ => return Err(format!("function \"{name}\" not defined")),
    })
}

fn regex_for<'r>(pattern: &str, env: &'r Env<'_, '_>) -> Result<Cow<'r, Regex>, String> {
    if let Some((_, re)) = env.regexes.iter().find(|(p, _)| p == pattern) {
        return Ok(Cow::Borrowed(re));
    }
    super::super::re2::compile(pattern)
        .map(Cow::Owned)
        .map_err(|e| e.to_string())
}
