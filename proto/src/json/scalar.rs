//! Decoding building blocks: parsing the document, walking objects and lists with error paths,
//! and the lenient scalar rules (integers, doubles, enums, hex ids, base64 bytes).

use std::borrow::Cow;

use base64::Engine as _;
use base64::alphabet;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use serde::Deserialize as _;
use serde_json::{Map, Value};

use super::{MAX_JSON_NESTING, OtlpJsonError};

/// Result of decoding one value.
pub(super) type Res<T> = Result<T, OtlpJsonError>;

/// Shorthand for an error at the current value.
pub(super) fn fail<T>(message: impl Into<String>) -> Res<T> {
    Err(OtlpJsonError::new(message))
}

/// Parses a request body into its top-level object.
///
/// serde_json's own recursion limit (128) is too low for legitimately nested `AnyValue`s, so it
/// is replaced by a cheap pre-scan that bounds nesting at [`MAX_JSON_NESTING`].
pub(super) fn parse_root(body: &[u8]) -> Res<Map<String, Value>> {
    check_nesting(body)?;
    let mut de = serde_json::Deserializer::from_slice(body);
    de.disable_recursion_limit();
    let value = Value::deserialize(&mut de)
        .and_then(|value| de.end().map(|()| value))
        .map_err(|e| OtlpJsonError::root(format!("invalid JSON: {e}")))?;
    match value {
        Value::Object(map) => Ok(map),
        other => Err(OtlpJsonError::root(format!(
            "expected a JSON object at the top level, got {}",
            kind(&other)
        ))),
    }
}

/// Rejects documents nested deeper than [`MAX_JSON_NESTING`] (brackets inside strings ignored).
/// Syntax errors are left to the parser.
fn check_nesting(body: &[u8]) -> Res<()> {
    let mut depth = 0usize;
    let mut in_string = false;
    let mut escaped = false;
    for &b in body {
        if in_string {
            if escaped {
                escaped = false;
            } else if b == b'\\' {
                escaped = true;
            } else if b == b'"' {
                in_string = false;
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'[' | b'{' => {
                depth += 1;
                if depth > MAX_JSON_NESTING {
                    return Err(OtlpJsonError::root(format!(
                        "JSON nested deeper than {MAX_JSON_NESTING} levels"
                    )));
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    Ok(())
}

/// Describes a JSON value's type for error messages.
pub(super) fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// Turns a snake_case key into lowerCamelCase; other keys are returned as they are.
fn camel_case(key: &str) -> Cow<'_, str> {
    if !key.contains('_') {
        return Cow::Borrowed(key);
    }
    let mut out = String::with_capacity(key.len());
    let mut upper = false;
    for c in key.chars() {
        if c == '_' {
            upper = true;
        } else if upper {
            out.extend(c.to_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// Decodes a message: `null` gives the default, an object has each non-null member passed to
/// `field` under its lowerCamelCase key. Errors from `field` get the key prepended to their path.
pub(super) fn message<T: Default>(
    value: Value,
    mut field: impl FnMut(&mut T, &str, Value) -> Res<()>,
) -> Res<T> {
    let mut out = T::default();
    match value {
        Value::Null => {}
        Value::Object(map) => {
            for (key, value) in map {
                if value.is_null() {
                    continue;
                }
                let key = camel_case(&key);
                field(&mut out, &key, value).map_err(|e| e.under(&key))?;
            }
        }
        other => return fail(format!("expected an object, got {}", kind(&other))),
    }
    Ok(out)
}

/// Sets a oneof member, refusing a second one (JSON object order is not kept, so "last wins"
/// would be arbitrary). `members` lists the oneof's members for the message.
pub(super) fn set_oneof<T>(slot: &mut Option<T>, value: T, members: &str) -> Res<()> {
    if slot.is_some() {
        return fail(format!("only one of {members} may be set"));
    }
    *slot = Some(value);
    Ok(())
}

/// Decodes a JSON array with `item`, prefixing errors with the element index.
pub(super) fn list<T>(value: Value, mut item: impl FnMut(Value) -> Res<T>) -> Res<Vec<T>> {
    match value {
        Value::Array(values) => values
            .into_iter()
            .enumerate()
            .map(|(i, v)| item(v).map_err(|e| e.at_index(i)))
            .collect(),
        other => fail(format!("expected an array, got {}", kind(&other))),
    }
}

/// Decodes a string.
pub(super) fn string(value: Value) -> Res<String> {
    match value {
        Value::String(s) => Ok(s),
        other => fail(format!("expected a string, got {}", kind(&other))),
    }
}

/// Decodes a boolean.
pub(super) fn boolean(value: Value) -> Res<bool> {
    match value {
        Value::Bool(b) => Ok(b),
        other => fail(format!("expected a boolean, got {}", kind(&other))),
    }
}

/// Decodes an integer of any protobuf width from a JSON number or a decimal string. Integral
/// numbers written with a fraction or exponent (`5.0`, `1e3`) are accepted; fractional values
/// and values out of `T`'s range are errors.
pub(super) fn int<T: TryFrom<i128>>(value: Value) -> Res<T> {
    let wide = match &value {
        Value::Number(n) => {
            if let Some(u) = n.as_u64() {
                i128::from(u)
            } else if let Some(i) = n.as_i64() {
                i128::from(i)
            } else {
                let f = n.as_f64().unwrap_or(f64::NAN);
                // 2^64: anything at or beyond it is out of range for every integer type we use.
                if f.fract() != 0.0 || !f.is_finite() {
                    return fail(format!("expected an integer, got fractional value {n}"));
                }
                if f.abs() >= 18_446_744_073_709_551_616.0 {
                    return fail(format!(
                        "integer {n} is out of range for {}",
                        short_type::<T>()
                    ));
                }
                f as i128
            }
        }
        Value::String(s) => match s.parse::<i128>() {
            Ok(i) => i,
            Err(_) => {
                return fail(format!("expected an integer, got the string {}", quote(s)));
            }
        },
        other => return fail(format!("expected an integer, got {}", kind(other))),
    };
    T::try_from(wide).or_else(|_| {
        fail(format!(
            "integer {wide} is out of range for {}",
            short_type::<T>()
        ))
    })
}

/// `u64` rather than `core::primitive::u64` in messages.
fn short_type<T>() -> &'static str {
    let name = std::any::type_name::<T>();
    name.rsplit("::").next().unwrap_or(name)
}

/// Decodes a double from a number, a numeric string, or `"NaN"`, `"Infinity"`, `"-Infinity"`.
pub(super) fn double(value: Value) -> Res<f64> {
    match &value {
        Value::Number(n) => n.as_f64().map_or_else(
            || fail(format!("number {n} is not representable as a double")),
            Ok,
        ),
        Value::String(s) => match s.as_str() {
            "NaN" => Ok(f64::NAN),
            "Infinity" => Ok(f64::INFINITY),
            "-Infinity" => Ok(f64::NEG_INFINITY),
            text => match text.parse::<f64>() {
                Ok(f) if f.is_finite() => Ok(f),
                _ => fail(format!("expected a double, got the string {}", quote(text))),
            },
        },
        other => fail(format!("expected a double, got {}", kind(other))),
    }
}

/// Decodes an enum from its integer value (number or decimal string) or its proto name.
pub(super) fn enumeration(value: Value, from_name: fn(&str) -> Option<i32>) -> Res<i32> {
    if let Value::String(s) = &value {
        if let Some(v) = from_name(s) {
            return Ok(v);
        }
        if s.parse::<i128>().is_err() {
            return fail(format!("unknown enum value name {}", quote(s)));
        }
    }
    int::<i32>(value)
}

/// Decodes a trace or span id: case-insensitive hex. Empty text gives empty bytes; even-length
/// hex of an unexpected length is kept as is (validation happens later).
pub(super) fn id(value: Value) -> Res<Vec<u8>> {
    let text = string(value)?;
    if text.len() % 2 != 0 {
        return fail(format!(
            "id {} has an odd number of hex digits ({}); OTLP/JSON ids are hex",
            quote(&text),
            text.len()
        ));
    }
    hex::decode(&text).or_else(|_| {
        fail(format!(
            "id {} is not hexadecimal; OTLP/JSON ids are hex, not base64",
            quote(&text)
        ))
    })
}

/// Standard alphabet, padding optional, non-zero trailing bits tolerated (like Go's decoder).
const BASE64_STANDARD: GeneralPurpose = GeneralPurpose::new(
    &alphabet::STANDARD,
    GeneralPurposeConfig::new()
        .with_decode_padding_mode(DecodePaddingMode::Indifferent)
        .with_decode_allow_trailing_bits(true),
);

/// URL-safe alphabet with the same leniency.
const BASE64_URL_SAFE: GeneralPurpose = GeneralPurpose::new(
    &alphabet::URL_SAFE,
    GeneralPurposeConfig::new()
        .with_decode_padding_mode(DecodePaddingMode::Indifferent)
        .with_decode_allow_trailing_bits(true),
);

/// Decodes a proto3 JSON `bytes` field: base64, standard or URL-safe alphabet, padding optional.
pub(super) fn base64_bytes(value: Value) -> Res<Vec<u8>> {
    let text = string(value)?;
    let engine = if text.contains(['-', '_']) {
        &BASE64_URL_SAFE
    } else {
        &BASE64_STANDARD
    };
    engine
        .decode(text.as_bytes())
        .or_else(|e| fail(format!("invalid base64: {e}")))
}

/// Quotes user text for an error message, shortened so a huge value cannot bloat the reply.
fn quote(text: &str) -> String {
    const MAX: usize = 64;
    if text.len() <= MAX {
        return format!("{text:?}");
    }
    let mut end = MAX;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{:?}...", &text[..end])
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn integers_from_numbers_and_strings() {
        assert_eq!(
            int::<u64>(json!(1544712660000000000u64)).unwrap(),
            1544712660000000000
        );
        assert_eq!(
            int::<u64>(json!("1544712660000000000")).unwrap(),
            1544712660000000000
        );
        assert_eq!(int::<u64>(json!(u64::MAX)).unwrap(), u64::MAX);
        assert_eq!(int::<i64>(json!("-9223372036854775808")).unwrap(), i64::MIN);
        assert_eq!(int::<u32>(json!("7")).unwrap(), 7);
        assert_eq!(int::<i32>(json!(-3)).unwrap(), -3);
        assert_eq!(int::<u32>(json!(5.0)).unwrap(), 5);
        assert_eq!(int::<u64>(json!(1e3)).unwrap(), 1000);
    }

    #[test]
    fn integer_errors() {
        assert!(
            int::<u64>(json!(1.5))
                .unwrap_err()
                .message
                .contains("fractional")
        );
        assert!(int::<u64>(json!("1.5")).is_err());
        assert!(
            int::<u64>(json!(-1))
                .unwrap_err()
                .message
                .contains("out of range for u64")
        );
        assert!(int::<u64>(json!("18446744073709551616")).is_err());
        assert!(int::<u64>(json!(1e20)).is_err());
        assert!(
            int::<u32>(json!(4294967296u64))
                .unwrap_err()
                .message
                .contains("u32")
        );
        assert!(int::<i32>(json!("2147483648")).is_err());
        assert!(int::<i64>(json!("")).is_err());
        assert!(int::<i64>(json!(true)).is_err());
        assert!(int::<i64>(json!("0x10")).is_err());
    }

    #[test]
    fn doubles() {
        assert_eq!(double(json!(637.704)).unwrap(), 637.704);
        assert_eq!(double(json!(5)).unwrap(), 5.0);
        assert_eq!(double(json!("2.5")).unwrap(), 2.5);
        assert!(double(json!("NaN")).unwrap().is_nan());
        assert_eq!(double(json!("Infinity")).unwrap(), f64::INFINITY);
        assert_eq!(double(json!("-Infinity")).unwrap(), f64::NEG_INFINITY);
        assert!(double(json!("inf")).is_err());
        assert!(double(json!("nan")).is_err());
        assert!(double(json!("abc")).is_err());
        assert!(double(json!([])).is_err());
    }

    #[test]
    fn ids() {
        let upper = id(json!("5B8EFFF798038103D269B633813FC60C")).unwrap();
        assert_eq!(
            upper,
            id(json!("5b8efff798038103d269b633813fc60c")).unwrap()
        );
        assert_eq!(upper.len(), 16);
        assert_eq!(id(json!("")).unwrap(), Vec::<u8>::new());
        assert_eq!(id(json!("abcd")).unwrap(), vec![0xab, 0xcd]);
        assert!(id(json!("abc")).unwrap_err().message.contains("odd"));
        let e = id(json!("W47/95gDgQPSabYzgT/GDA==")).unwrap_err();
        assert!(e.message.contains("not hexadecimal"), "{e}");
        assert!(id(json!(12)).is_err());
    }

    #[test]
    fn base64_variants() {
        assert_eq!(base64_bytes(json!("AQID")).unwrap(), vec![1, 2, 3]);
        assert_eq!(base64_bytes(json!("AQI=")).unwrap(), vec![1, 2]);
        assert_eq!(base64_bytes(json!("AQI")).unwrap(), vec![1, 2]);
        assert_eq!(base64_bytes(json!("+/8=")).unwrap(), vec![0xfb, 0xff]);
        assert_eq!(base64_bytes(json!("-_8")).unwrap(), vec![0xfb, 0xff]);
        assert_eq!(base64_bytes(json!("")).unwrap(), Vec::<u8>::new());
        assert!(base64_bytes(json!("!!!")).is_err());
    }

    #[test]
    fn snake_case_keys_become_camel_case() {
        assert_eq!(camel_case("resource_spans"), "resourceSpans");
        assert_eq!(camel_case("time_unix_nano"), "timeUnixNano");
        assert_eq!(camel_case("traceId"), "traceId");
        assert_eq!(camel_case("name"), "name");
    }

    #[test]
    fn nesting_pre_scan_ignores_strings() {
        let deep = "[".repeat(MAX_JSON_NESTING + 1);
        assert!(check_nesting(deep.as_bytes()).is_err());
        let ok = format!("{{\"a\":\"{}\\\"[[\"}}", "[".repeat(1000));
        assert!(check_nesting(ok.as_bytes()).is_ok());
        let max = format!(
            "{}{}",
            "[".repeat(MAX_JSON_NESTING),
            "]".repeat(MAX_JSON_NESTING)
        );
        assert!(check_nesting(max.as_bytes()).is_ok());
    }
}
