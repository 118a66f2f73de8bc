//! A lenient, allocation-free JSON scanner with the behaviour (and error messages) of
//! `github.com/grafana/jsonparser`, which Loki's `json` and `unpack` parsers use: values are
//! located without being validated (numbers keep their text), and the text after the top-level
//! object is ignored.

use std::borrow::Cow;

pub(crate) const MALFORMED_JSON: &str = "Malformed JSON error";
pub(crate) const MALFORMED_OBJECT: &str =
    "Value looks like object, but can't find closing '}' symbol";
pub(crate) const MALFORMED_ARRAY: &str = "Value is array, but can't find closing ']' symbol";
pub(crate) const MALFORMED_STRING: &str = "Value is string, but can't find closing '\"' symbol";
pub(crate) const MALFORMED_STRING_ESCAPE: &str =
    "Encountered an invalid escape sequence in a string";
pub(crate) const UNKNOWN_VALUE_TYPE: &str = "Unknown value type";

/// The type of a JSON value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ValueType {
    String,
    Number,
    Object,
    Array,
    Boolean,
    Null,
}

/// A value located in a document.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Value<'j> {
    /// The value's text; for strings, without the quotes and still escaped.
    pub(crate) text: &'j str,
    pub(crate) kind: ValueType,
    /// Whether a string contains escapes.
    pub(crate) escaped: bool,
}

/// The offset of the first non-whitespace byte.
fn next_token(data: &[u8]) -> Option<usize> {
    data.iter()
        .position(|b| !matches!(b, b' ' | b'\n' | b'\r' | b'\t'))
}

/// `data` starts right after an opening quote: the offset after the closing quote, and whether
/// the string has escapes.
fn string_end(data: &[u8]) -> Option<(usize, bool)> {
    let mut escaped = false;
    let mut i = 0;
    while i < data.len() {
        match data[i] {
            b'\\' => {
                escaped = true;
                i += 2;
                continue;
            }
            b'"' => return Some((i + 1, escaped)),
            _ => {}
        }
        i += 1;
    }
    None
}

/// `data` starts at `open`: the offset after the matching `close`, skipping strings.
fn block_end(data: &[u8], open: u8, close: u8) -> Option<usize> {
    let mut level = 0usize;
    let mut i = 0;
    while i < data.len() {
        match data[i] {
            b'"' => i += string_end(&data[i + 1..])?.0,
            c if c == open => level += 1,
            c if c == close => {
                level -= 1;
                if level == 0 {
                    return Some(i + 1);
                }
            }
            _ => {}
        }
        i += 1;
    }
    None
}

/// Locates the value starting at the first non-whitespace byte of `doc`; returns it with the
/// offset right after it.
pub(crate) fn value_at(doc: &str) -> Result<(Value<'_>, usize), &'static str> {
    let data = doc.as_bytes();
    let start = next_token(data).ok_or(MALFORMED_JSON)?;
    let rest = &data[start..];
    let (kind, end, escaped) = match rest[0] {
        b'"' => {
            let (end, escaped) = string_end(&rest[1..]).ok_or(MALFORMED_STRING)?;
            (ValueType::String, end + 1, escaped)
        }
        b'[' => (
            ValueType::Array,
            block_end(rest, b'[', b']').ok_or(MALFORMED_ARRAY)?,
            false,
        ),
        b'{' => (
            ValueType::Object,
            block_end(rest, b'{', b'}').ok_or(MALFORMED_OBJECT)?,
            false,
        ),
        first => {
            let end = rest
                .iter()
                .position(|b| matches!(b, b' ' | b'\n' | b'\r' | b'\t' | b',' | b'}' | b']'))
                .unwrap_or(rest.len());
            let token = &rest[..end];
            let kind = match first {
                b't' | b'f' if token == b"true" || token == b"false" => ValueType::Boolean,
                b'n' | b'u' if token == b"null" => ValueType::Null,
                b'0'..=b'9' | b'-' => ValueType::Number,
                _ => return Err(UNKNOWN_VALUE_TYPE),
            };
            (kind, end, false)
        }
    };
    let text = if kind == ValueType::String {
        &doc[start + 1..start + end - 1]
    } else {
        &doc[start..start + end]
    };
    Ok((
        Value {
            text,
            kind,
            escaped,
        },
        start + end,
    ))
}

/// Calls `visit(key, value)` for each member of the object at the start of `doc` (keys
/// unescaped). Stops at the first error, from the document or from `visit`.
pub(crate) fn object_each<'j, E: From<&'static str>>(
    doc: &'j str,
    mut visit: impl FnMut(Cow<'j, str>, Value<'j>) -> Result<(), E>,
) -> Result<(), E> {
    let data = doc.as_bytes();
    let mut offset = next_token(data).ok_or(MALFORMED_OBJECT)?;
    if data[offset] != b'{' {
        return Err(MALFORMED_OBJECT.into());
    }
    offset += 1;
    offset += next_token(&data[offset..]).ok_or(MALFORMED_JSON)?;
    while offset < data.len() {
        match data[offset] {
            b'"' => offset += 1,
            b'}' => return Ok(()),
            _ => return Err(MALFORMED_OBJECT.into()),
        }
        let (len, escaped) = string_end(&data[offset..]).ok_or(MALFORMED_JSON)?;
        let raw_key = &doc[offset..offset + len - 1];
        let key = if escaped {
            Cow::Owned(unescape(raw_key).ok_or(MALFORMED_STRING_ESCAPE)?)
        } else {
            Cow::Borrowed(raw_key)
        };
        offset += len;
        offset += next_token(&data[offset..]).ok_or(MALFORMED_JSON)?;
        if data[offset] != b':' {
            return Err(MALFORMED_JSON.into());
        }
        offset += 1;
        let (value, end) = value_at(&doc[offset..])?;
        visit(key, value)?;
        offset += end;
        offset += next_token(&data[offset..]).ok_or(MALFORMED_ARRAY)?;
        match data[offset] {
            b'}' => return Ok(()),
            b',' => offset += 1,
            _ => return Err(MALFORMED_OBJECT.into()),
        }
        offset += next_token(&data[offset..]).ok_or(MALFORMED_ARRAY)?;
    }
    Err(MALFORMED_OBJECT.into())
}

/// Calls `visit(value)` for each element of the array at the start of `doc`; `visit` returns
/// `false` to stop.
pub(crate) fn array_each<'j>(
    doc: &'j str,
    mut visit: impl FnMut(Value<'j>) -> bool,
) -> Result<(), &'static str> {
    let data = doc.as_bytes();
    let mut offset = next_token(data).ok_or(MALFORMED_JSON)? + 1;
    offset += next_token(&data[offset..]).ok_or(MALFORMED_JSON)?;
    if data[offset] == b']' {
        return Ok(());
    }
    loop {
        let (value, end) = value_at(&doc[offset..])?;
        if !visit(value) {
            return Ok(());
        }
        offset += end;
        offset += next_token(&data[offset..]).ok_or(MALFORMED_ARRAY)?;
        match data[offset] {
            b']' => return Ok(()),
            b',' => offset += 1,
            _ => return Err(MALFORMED_ARRAY),
        }
    }
}

/// Unescapes the inside of a JSON string; `None` on an invalid escape (including a UTF-16
/// surrogate without its pair).
pub(crate) fn unescape(text: &str) -> Option<String> {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find('\\') {
        out.push_str(&rest[..at]);
        let escape = *rest.as_bytes().get(at + 1)?;
        if !escape.is_ascii() {
            return None;
        }
        rest = &rest[at + 2..];
        match escape {
            b'"' => out.push('"'),
            b'\\' => out.push('\\'),
            b'/' => out.push('/'),
            b'b' => out.push('\u{8}'),
            b'f' => out.push('\u{c}'),
            b'n' => out.push('\n'),
            b'r' => out.push('\r'),
            b't' => out.push('\t'),
            b'u' => {
                let high = hex4(rest)?;
                rest = &rest[4..];
                let c = if (0xD800..0xDC00).contains(&high) {
                    let low = rest.strip_prefix("\\u").and_then(hex4)?;
                    if !(0xDC00..0xE000).contains(&low) {
                        return None;
                    }
                    rest = &rest[6..];
                    char::from_u32(0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00))?
                } else {
                    char::from_u32(high)?
                };
                out.push(c);
            }
            _ => return None,
        }
    }
    out.push_str(rest);
    Some(out)
}

fn hex4(text: &str) -> Option<u32> {
    let digits = text.get(..4)?;
    if !digits.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    u32::from_str_radix(digits, 16).ok()
}

/// A string value as Loki reads it: unescaped (empty when the escapes are invalid), with the
/// Unicode replacement character turned into a space.
pub(crate) fn string_value(value: &Value<'_>) -> String {
    let text = if value.escaped {
        match unescape(value.text) {
            Some(text) => text,
            None => return String::new(),
        }
    } else {
        value.text.to_string()
    };
    if text.contains('\u{FFFD}') {
        text.replace('\u{FFFD}', " ")
    } else {
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn members(doc: &str) -> Result<Vec<(String, String, ValueType)>, String> {
        let mut out = Vec::new();
        object_each::<String>(doc, |k, v| {
            out.push((k.into_owned(), v.text.to_string(), v.kind));
            Ok(())
        })?;
        Ok(out)
    }

    #[test]
    fn objects() {
        let m = members(r#" {"a": "x\"y", "b":-1.5e3,"c":{"d":[1,"]"]},"e":null,"f":true} tail"#)
            .unwrap();
        assert_eq!(m.len(), 5);
        assert_eq!(m[0], ("a".into(), r#"x\"y"#.into(), ValueType::String));
        assert_eq!(m[1], ("b".into(), "-1.5e3".into(), ValueType::Number));
        assert_eq!(
            m[2],
            ("c".into(), r#"{"d":[1,"]"]}"#.into(), ValueType::Object)
        );
        assert_eq!(m[3].2, ValueType::Null);
        assert_eq!(m[4].2, ValueType::Boolean);
        assert_eq!(members("{}").unwrap().len(), 0);
        assert_eq!(members("level=info").unwrap_err(), MALFORMED_OBJECT);
        assert_eq!(members(r#"{"a":1"#).unwrap_err(), MALFORMED_ARRAY);
        assert_eq!(members(r#"{"a":"x}"#).unwrap_err(), MALFORMED_STRING);
        assert_eq!(members(r#"{"a":xyz}"#).unwrap_err(), UNKNOWN_VALUE_TYPE);
        assert_eq!(members(r#"{"a" 1}"#).unwrap_err(), MALFORMED_JSON);
    }

    #[test]
    fn strings() {
        assert_eq!(unescape(r"a\nb\u00e9\ud83d\ude00").unwrap(), "a\nbé😀");
        assert_eq!(unescape(r"\ud83d"), None);
        assert_eq!(unescape(r"\x"), None);
        assert_eq!(unescape("\\é"), None);
        let mut items = Vec::new();
        array_each(r#"[1, "two", [3]]"#, |v| {
            items.push(v.text.to_string());
            true
        })
        .unwrap();
        assert_eq!(items, ["1", "two", "[3]"]);
    }
}
