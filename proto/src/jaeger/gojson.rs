//! The string the OpenTelemetry Collector gives an array or key-value-list attribute when it
//! turns it into a Jaeger `string` tag: pdata's `Value.AsString()`, i.e. Go's `json.Marshal` of
//! the value's `AsRaw()` form.
//!
//! That is plain JSON, not OTLP/JSON: `{"k":"v","n":1}`, `["a",1,true]`. Go's encoder details are
//! reproduced because the UI shows the string verbatim:
//! - map keys sorted by bytes, a repeated key keeping its last value (`AsRaw` builds a Go map);
//! - integers in full (no string form), bytes as standard base64, an empty value as `null`;
//! - floats as Go prints them (`1`, `0.5`, `1e+21`, `1e-7`); a NaN or infinity anywhere makes
//!   `json.Marshal` fail, and the collector then uses the empty string;
//! - strings escaped as Go does by default, including `<`, `>`, `&`, U+2028 and U+2029.

use std::fmt::Write as _;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;

use crate::otlp::common::v1::{AnyValue, KeyValue, any_value};

/// Go's `json.Marshal(AsRaw())` of an `AnyValue`; `""` when it holds a non-finite double.
pub(crate) fn any_value_as_go_json(value: &AnyValue) -> String {
    let mut out = String::new();
    match write_any(&mut out, value) {
        Ok(()) => out,
        Err(NonFinite) => String::new(),
    }
}

struct NonFinite;

fn write_any(out: &mut String, value: &AnyValue) -> Result<(), NonFinite> {
    use any_value::Value as V;
    match &value.value {
        None | Some(V::StringValueStrindex(_)) => out.push_str("null"),
        Some(V::StringValue(s)) => write_string(out, s),
        Some(V::BoolValue(b)) => out.push_str(if *b { "true" } else { "false" }),
        Some(V::IntValue(i)) => {
            let _ = write!(out, "{i}");
        }
        Some(V::DoubleValue(d)) => write_float(out, *d)?,
        Some(V::BytesValue(b)) => write_string(out, &BASE64.encode(b)),
        Some(V::ArrayValue(a)) => {
            out.push('[');
            for (i, v) in a.values.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_any(out, v)?;
            }
            out.push(']');
        }
        Some(V::KvlistValue(kv)) => write_map(out, &kv.values)?,
    }
    Ok(())
}

fn write_map(out: &mut String, entries: &[KeyValue]) -> Result<(), NonFinite> {
    // A Go map: the last value of a repeated key wins, keys come out sorted by bytes.
    let mut sorted: Vec<&KeyValue> = Vec::with_capacity(entries.len());
    for kv in entries.iter().rev() {
        if !sorted.iter().any(|seen| seen.key == kv.key) {
            sorted.push(kv);
        }
    }
    sorted.sort_by(|a, b| a.key.as_bytes().cmp(b.key.as_bytes()));
    out.push('{');
    for (i, kv) in sorted.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        write_string(out, &kv.key);
        out.push(':');
        match &kv.value {
            Some(v) => write_any(out, v)?,
            None => out.push_str("null"),
        }
    }
    out.push('}');
    Ok(())
}

/// Go's `encoding/json` float64 format: shortest round-trip digits, `%f` style for
/// 1e-6 ≤ |v| < 1e21 (and 0), else `%e` style with a signed, unpadded exponent.
fn write_float(out: &mut String, v: f64) -> Result<(), NonFinite> {
    if !v.is_finite() {
        return Err(NonFinite);
    }
    let abs = v.abs();
    if abs == 0.0 || (1e-6..1e21).contains(&abs) {
        let _ = write!(out, "{v}");
    } else {
        let text = format!("{v:e}");
        match text.split_once('e') {
            Some((mantissa, exp)) if !exp.starts_with('-') => {
                let _ = write!(out, "{mantissa}e+{exp}");
            }
            _ => out.push_str(&text),
        }
    }
    Ok(())
}

/// A JSON string as Go's `encoding/json` writes it with HTML escaping on (the default).
fn write_string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '<' | '>' | '&' | '\u{2028}' | '\u{2029}' => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::otlp::common::v1::{ArrayValue, KeyValueList};

    fn v(value: any_value::Value) -> AnyValue {
        AnyValue { value: Some(value) }
    }
    fn s(text: &str) -> AnyValue {
        v(any_value::Value::StringValue(text.into()))
    }
    fn kv(key: &str, value: AnyValue) -> KeyValue {
        KeyValue {
            key: key.into(),
            value: Some(value),
            ..Default::default()
        }
    }
    fn array(values: Vec<AnyValue>) -> AnyValue {
        v(any_value::Value::ArrayValue(ArrayValue { values }))
    }
    fn map(values: Vec<KeyValue>) -> AnyValue {
        v(any_value::Value::KvlistValue(KeyValueList { values }))
    }
    fn double(d: f64) -> AnyValue {
        v(any_value::Value::DoubleValue(d))
    }

    #[test]
    fn arrays_hold_raw_values() {
        let value = array(vec![
            s("a"),
            v(any_value::Value::IntValue(1 << 60)),
            v(any_value::Value::BoolValue(true)),
            double(1.0),
            double(0.5),
            v(any_value::Value::BytesValue(vec![1, 2, 3])),
            AnyValue { value: None },
            array(vec![]),
            map(vec![]),
        ]);
        assert_eq!(
            any_value_as_go_json(&value),
            r#"["a",1152921504606846976,true,1,0.5,"AQID",null,[],{}]"#
        );
    }

    #[test]
    fn maps_sort_keys_and_keep_the_last_duplicate() {
        let value = map(vec![
            kv("z", s("last")),
            kv("a", map(vec![kv("y", s("1")), kv("x", s("2"))])),
            kv("z", s("final")),
            KeyValue {
                key: "empty".into(),
                value: None,
                ..Default::default()
            },
        ]);
        assert_eq!(
            any_value_as_go_json(&value),
            r#"{"a":{"x":"2","y":"1"},"empty":null,"z":"final"}"#
        );
    }

    #[test]
    fn floats_print_like_go() {
        let cases = [
            (0.0, "0"),
            (-0.0, "-0"),
            (1e20, "100000000000000000000"),
            (1e21, "1e+21"),
            (1.5e300, "1.5e+300"),
            (1e-6, "0.000001"),
            (1e-7, "1e-7"),
            (-2.5e-10, "-2.5e-10"),
            (123.456, "123.456"),
        ];
        for (value, expected) in cases {
            assert_eq!(
                any_value_as_go_json(&array(vec![double(value)])),
                format!("[{expected}]")
            );
        }
        assert_eq!(any_value_as_go_json(&array(vec![double(f64::NAN)])), "");
        assert_eq!(
            any_value_as_go_json(&map(vec![kv("x", double(f64::INFINITY))])),
            ""
        );
    }

    #[test]
    fn strings_escape_like_go() {
        let value = array(vec![s(
            "a\"b\\c\n\t\r\u{8}\u{c}\u{1}<>&\u{2028}\u{2029}é😀",
        )]);
        assert_eq!(
            any_value_as_go_json(&value),
            r#"["a\"b\\c\n\t\r\b\f\u0001\u003c\u003e\u0026\u2028\u2029é😀"]"#
        );
    }
}
