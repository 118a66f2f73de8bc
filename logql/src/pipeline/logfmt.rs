//! The `| logfmt [--strict] [--keep-empty] [fields]` parser, with the decoder Loki adapted from
//! `go-logfmt`: `key=value`, `key="quoted \"value\""`, standalone `key`, garbage skipped
//! unless `--strict`.

use std::borrow::Cow;

use crate::ast::LabelExtraction;

use super::builder::{DUPLICATE_SUFFIX, LabelsBuilder};
use super::{LOGFMT_PARSER_ERR, sanitize_label_key};

/// `| logfmt` without fields: every pair becomes a label.
#[derive(Debug)]
pub(crate) struct LogfmtParser {
    pub(crate) strict: bool,
    pub(crate) keep_empty: bool,
}

impl LogfmtParser {
    /// Extracts the pairs of `line`.
    pub(crate) fn process(&self, line: &str, labels: &mut LabelsBuilder<'_>) {
        let mut decoder = Decoder::new(line);
        while !decoder.at_end() {
            let Some((key, value)) = decoder.scan_pair() else {
                if self.strict {
                    break;
                }
                continue;
            };
            let key = sanitize_label_key(key);
            if key.is_empty() || (!self.keep_empty && value.is_empty()) {
                continue;
            }
            labels.extract(&key, || no_replacement_char(value));
        }
        if self.strict
            && let Some(error) = decoder.error
        {
            labels.add_error(LOGFMT_PARSER_ERR, Some(error));
        }
    }
}

/// `| logfmt a, b="key"`: only the listed keys, each into its label (empty when missing).
#[derive(Debug)]
pub(crate) struct LogfmtExpressionParser {
    fields: Vec<LabelExtraction>,
    strict: bool,
}

impl LogfmtExpressionParser {
    /// Keeps the fields to extract.
    pub(crate) fn new(fields: &[LabelExtraction], strict: bool) -> Self {
        LogfmtExpressionParser {
            fields: fields.to_vec(),
            strict,
        }
    }

    /// Extracts the listed keys of `line`.
    pub(crate) fn process(&self, line: &str, labels: &mut LabelsBuilder<'_>) {
        for field in &self.fields {
            if !labels.conflicts(&field.label) {
                labels.set_parsed(&field.label, String::new());
            }
        }
        let mut decoder = Decoder::new(line);
        while !decoder.at_end() {
            let Some((key, value)) = decoder.scan_pair() else {
                if self.strict {
                    break;
                }
                continue;
            };
            let key = sanitize_label_key(key);
            if key.is_empty() {
                continue;
            }
            // The label whose expression is this key; as in Loki, a key that is itself the name
            // of a target label is taken too.
            let target = self
                .fields
                .iter()
                .find(|f| f.expression == key)
                .or_else(|| self.fields.iter().find(|f| f.label == key));
            let Some(target) = target else {
                continue;
            };
            let value = if value.contains('\u{FFFD}') {
                String::new()
            } else {
                value.into_owned()
            };
            if labels.conflicts(&target.label) {
                let renamed = format!("{}{DUPLICATE_SUFFIX}", target.label);
                if labels.was_extracted(&renamed) {
                    // Loki stops reading the line here.
                    break;
                }
                labels.set_parsed(&renamed, value);
            } else {
                labels.set_parsed(&target.label, value);
            }
        }
        if self.strict
            && let Some(error) = decoder.error
        {
            labels.add_error(LOGFMT_PARSER_ERR, Some(error));
        }
    }
}

/// Loki replaces the Unicode replacement character (its marker of invalid UTF-8) by a space.
fn no_replacement_char(value: Cow<'_, str>) -> String {
    if value.contains('\u{FFFD}') {
        value.replace('\u{FFFD}', " ")
    } else {
        value.into_owned()
    }
}

/// A logfmt decoder over one line.
struct Decoder<'l> {
    line: &'l str,
    pos: usize,
    /// The last syntax error, as `logfmt syntax error at pos N : reason`.
    error: Option<String>,
}

impl<'l> Decoder<'l> {
    fn new(line: &'l str) -> Self {
        Decoder {
            line,
            pos: 0,
            error: None,
        }
    }

    fn at_end(&self) -> bool {
        self.pos >= self.line.len()
    }

    fn syntax_error(&mut self, reason: &str) {
        self.error = Some(format!(
            "logfmt syntax error at pos {} : {reason}",
            self.pos + 1
        ));
    }

    fn unexpected(&mut self, byte: u8) {
        let shown = match byte {
            b'"' => "'\"'".to_string(),
            b => format!("'{}'", b as char),
        };
        self.syntax_error(&format!("unexpected {shown}"));
    }

    /// Skips to the next whitespace after an error.
    fn skip_value(&mut self) -> Option<(&'l str, Cow<'l, str>)> {
        let bytes = self.line.as_bytes();
        self.pos += bytes[self.pos..]
            .iter()
            .position(|&b| b <= b' ')
            .unwrap_or(bytes.len() - self.pos);
        None
    }

    /// The next `key[=value]` pair; `None` at the end of the line or on a syntax error (then
    /// recorded in `error`).
    fn scan_pair(&mut self) -> Option<(&'l str, Cow<'l, str>)> {
        let line = self.line;
        let bytes = line.as_bytes();
        // Garbage before the key.
        match bytes[self.pos..].iter().position(|&b| b > b' ') {
            Some(skip) => self.pos += skip,
            None => {
                self.pos = bytes.len();
                return None;
            }
        }
        // The key.
        let start = self.pos;
        let mut multibyte = false;
        let key = loop {
            let Some(&c) = bytes.get(self.pos) else {
                break &line[start..];
            };
            match c {
                b'=' => {
                    if self.pos == start {
                        self.unexpected(c);
                        return self.skip_value();
                    }
                    break &line[start..self.pos];
                }
                b'"' => {
                    self.unexpected(c);
                    return self.skip_value();
                }
                c if c <= b' ' => {
                    let key = &line[start..self.pos];
                    if multibyte && key.contains('\u{FFFD}') {
                        self.syntax_error("invalid key");
                        return None;
                    }
                    return Some((key, Cow::Borrowed("")));
                }
                c => multibyte |= c >= 0x80,
            }
            self.pos += 1;
        };
        if multibyte && key.contains('\u{FFFD}') {
            self.syntax_error("invalid key");
            return if self.at_end() {
                None
            } else {
                self.skip_value()
            };
        }
        if self.at_end() {
            return Some((key, Cow::Borrowed("")));
        }
        // The `=`.
        self.pos += 1;
        match bytes.get(self.pos) {
            None => return Some((key, Cow::Borrowed(""))),
            Some(&c) if c <= b' ' => return Some((key, Cow::Borrowed(""))),
            Some(b'"') => return self.quoted_value(key),
            Some(_) => {}
        }
        // A bare value.
        let start = self.pos;
        while let Some(&c) = bytes.get(self.pos) {
            match c {
                b'=' | b'"' => {
                    self.unexpected(c);
                    return self.skip_value();
                }
                c if c <= b' ' => break,
                _ => self.pos += 1,
            }
        }
        Some((key, Cow::Borrowed(&line[start..self.pos])))
    }

    fn quoted_value(&mut self, key: &'l str) -> Option<(&'l str, Cow<'l, str>)> {
        let line = self.line;
        let bytes = line.as_bytes();
        let start = self.pos;
        let mut escaped = false;
        let mut has_escape = false;
        let mut i = start + 1;
        while i < bytes.len() {
            match bytes[i] {
                _ if escaped => escaped = false,
                b'\\' => {
                    has_escape = true;
                    escaped = true;
                }
                b'"' => {
                    self.pos = i + 1;
                    let inner = &line[start + 1..i];
                    if !has_escape {
                        return Some((key, Cow::Borrowed(inner)));
                    }
                    return match unquote(inner) {
                        Some(value) => Some((key, Cow::Owned(value))),
                        None => {
                            self.syntax_error("invalid quoted value");
                            None
                        }
                    };
                }
                _ => {}
            }
            i += 1;
        }
        self.pos = bytes.len();
        self.syntax_error("unterminated quoted value");
        None
    }
}

/// Unescapes a quoted logfmt value (JSON escapes plus `\'`); `None` when invalid.
fn unquote(inner: &str) -> Option<String> {
    let mut out = String::with_capacity(inner.len());
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next()? {
                c @ ('"' | '\\' | '/' | '\'') => out.push(c),
                'b' => out.push('\u{8}'),
                'f' => out.push('\u{c}'),
                'n' => out.push('\n'),
                'r' => out.push('\r'),
                't' => out.push('\t'),
                'u' => {
                    let hex = |chars: &mut std::str::Chars<'_>| -> Option<u32> {
                        let digits: String = chars.by_ref().take(4).collect();
                        if digits.len() != 4 || !digits.chars().all(|c| c.is_ascii_hexdigit()) {
                            return None;
                        }
                        u32::from_str_radix(&digits, 16).ok()
                    };
                    let high = hex(&mut chars)?;
                    let c = if (0xD800..0xE000).contains(&high) {
                        let mut lookahead = chars.clone();
                        let pair = (lookahead.next() == Some('\\')
                            && lookahead.next() == Some('u'))
                        .then(|| hex(&mut lookahead))
                        .flatten()
                        .filter(|low| {
                            (0xD800..0xDC00).contains(&high) && (0xDC00..0xE000).contains(low)
                        });
                        match pair {
                            Some(low) => {
                                chars = lookahead;
                                char::from_u32(0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00))
                                    .unwrap_or('\u{FFFD}')
                            }
                            None => '\u{FFFD}',
                        }
                    } else {
                        char::from_u32(high).unwrap_or('\u{FFFD}')
                    };
                    out.push(c);
                }
                _ => return None,
            },
            '"' => return None,
            c if (c as u32) < 0x20 => return None,
            c => out.push(c),
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(line: &str) -> (Vec<(String, String)>, Option<String>) {
        let mut d = Decoder::new(line);
        let mut out = Vec::new();
        while !d.at_end() {
            if let Some((k, v)) = d.scan_pair() {
                out.push((k.to_string(), v.into_owned()));
            }
        }
        (out, d.error)
    }

    #[test]
    fn decoding() {
        let (p, e) = pairs(r#"a=1 b="x \"y\"" c= d e="" f=é"#);
        let p: Vec<_> = p.iter().map(|(k, v)| format!("{k}:{v}")).collect();
        assert_eq!(p, ["a:1", r#"b:x "y""#, "c:", "d:", "e:", "f:é"]);
        assert_eq!(e, None);
        let (p, e) = pairs(r#"a=1 b"c=2 d=3"#);
        assert_eq!(p.len(), 2);
        assert_eq!(
            e.as_deref(),
            Some(r#"logfmt syntax error at pos 6 : unexpected '"'"#)
        );
        let (_, e) = pairs(r#"a="unterminated"#);
        assert_eq!(
            e.as_deref(),
            Some("logfmt syntax error at pos 16 : unterminated quoted value")
        );
        let (p, e) = pairs("=x a=b=c d=1");
        assert_eq!(p, [("d".to_string(), "1".to_string())]);
        assert!(e.unwrap().contains("unexpected '='"));
        assert_eq!(unquote(r"\u00e9\t"), Some("é\t".into()));
        assert_eq!(unquote(r"\q"), None);
    }
}
