//! The `| json` parser (every field, nested keys joined with `_`, or only the listed
//! expressions such as `a="x.y[0]"`) and `| unpack` (the JSON written by Promtail's `pack`
//! stage: `_entry` becomes the line, the other string fields labels).

use std::borrow::Cow;

use crate::ast::LabelExtraction;

use super::builder::{DUPLICATE_SUFFIX, LabelsBuilder};
use super::json_scan::{self, Value, ValueType};
use super::{JSON_PARSER_ERR, PipelineError, StageOutcome, append_sanitized, sanitize_label_key};

/// Nested objects deeper than this are not flattened (a guard for the recursion).
const MAX_DEPTH: usize = 64;

/// `| json` without expressions: strings, numbers and booleans of every (nested) object become
/// labels; arrays and nulls are skipped.
#[derive(Debug)]
pub(crate) struct JsonParser;

impl JsonParser {
    /// Extracts the fields of `line`; on malformed JSON, keeps what was extracted so far and sets
    /// `__error__="JSONParserErr"` with the reason.
    pub(crate) fn process(&self, line: &str, labels: &mut LabelsBuilder<'_>) {
        let mut prefix = String::new();
        if let Err(reason) = flatten(line, &mut prefix, 0, labels) {
            labels.add_error(JSON_PARSER_ERR, Some(reason.to_string()));
        }
    }
}

fn flatten(
    doc: &str,
    prefix: &mut String,
    depth: usize,
    labels: &mut LabelsBuilder<'_>,
) -> Result<(), &'static str> {
    json_scan::object_each(doc, |key: Cow<'_, str>, value: Value<'_>| {
        let name_len = prefix.len();
        if !prefix.is_empty() {
            prefix.push('_');
        }
        let result = match value.kind {
            ValueType::String | ValueType::Number | ValueType::Boolean => {
                let name = if name_len == 0 {
                    sanitize_label_key(&key)
                } else {
                    append_sanitized(prefix, &key);
                    Cow::Borrowed(prefix.as_str())
                };
                if !name.is_empty() {
                    labels.extract(&name, || match value.kind {
                        ValueType::String => json_scan::string_value(&value),
                        _ => value.text.to_string(),
                    });
                }
                Ok(())
            }
            ValueType::Object if depth < MAX_DEPTH => {
                append_sanitized(prefix, &key);
                flatten(value.text, prefix, depth + 1, labels)
            }
            _ => Ok(()),
        };
        prefix.truncate(name_len);
        result
    })
}

/// One step of a JSON path.
#[derive(Debug, Clone, PartialEq, Eq)]
enum PathStep {
    Key(String),
    Index(usize),
}

/// `| json a="x.y", b="z[0]", c="[\"key with space\"]"`: only the listed paths, each into its
/// label (an empty label when the path is missing; objects and arrays as JSON text).
#[derive(Debug)]
pub(crate) struct JsonExpressionParser {
    paths: Vec<(String, Vec<PathStep>)>,
}

impl JsonExpressionParser {
    /// Parses the path expressions.
    pub(crate) fn new(fields: &[LabelExtraction]) -> Result<Self, PipelineError> {
        let paths = fields
            .iter()
            .map(|field| {
                let path = parse_path(&field.expression).map_err(|reason| {
                    PipelineError::JsonExpression {
                        expression: field.expression.clone(),
                        reason,
                    }
                })?;
                Ok((field.label.clone(), path))
            })
            .collect::<Result<_, PipelineError>>()?;
        Ok(JsonExpressionParser { paths })
    }

    /// Extracts the listed paths of `line`.
    pub(crate) fn process(&self, line: &str, labels: &mut LabelsBuilder<'_>) {
        if line.is_empty() {
            return;
        }
        if !matches!(line.as_bytes()[0], b'"' | b'{' | b'[') {
            labels.add_error(JSON_PARSER_ERR, None);
            return;
        }
        let mut missing = Vec::new();
        for (label, path) in &self.paths {
            match lookup(line, path) {
                Ok(Some(value)) => {
                    let text = match value.kind {
                        ValueType::Null => String::new(),
                        ValueType::Object => value.text.to_string(),
                        ValueType::String => json_scan::string_value(&value),
                        // Loki runs numbers, booleans and arrays through the string unescaper.
                        _ => json_scan::string_value(&Value {
                            escaped: value.text.contains('\\'),
                            ..value
                        }),
                    };
                    labels.extract_always(label, text);
                }
                Ok(None) => missing.push(label),
                Err(reason) => {
                    labels.add_error(JSON_PARSER_ERR, Some(reason.to_string()));
                    missing.push(label);
                }
            }
        }
        for label in missing {
            if labels.get(label).is_none() {
                labels.set_parsed(label, String::new());
            }
        }
    }
}

/// Follows `path` from the top of `doc`.
fn lookup<'j>(doc: &'j str, path: &[PathStep]) -> Result<Option<Value<'j>>, &'static str> {
    let mut current = json_scan::value_at(doc)?.0;
    for step in path {
        let mut found = None;
        match (step, current.kind) {
            (PathStep::Key(key), ValueType::Object) => {
                json_scan::object_each(current.text, |k, v| {
                    if k == key.as_str() {
                        found = Some(v);
                        return Err(Stop::Found);
                    }
                    Ok(())
                })
                .or_else(Stop::ignore)?;
            }
            (PathStep::Index(index), ValueType::Array) => {
                let mut i = 0;
                json_scan::array_each(current.text, |v| {
                    if i == *index {
                        found = Some(v);
                        return false;
                    }
                    i += 1;
                    true
                })?;
            }
            _ => return Ok(None),
        }
        match found {
            Some(value) => current = value,
            None => return Ok(None),
        }
    }
    Ok(Some(current))
}

/// Why [`json_scan::object_each`] stopped early: the key was found, or the JSON is malformed.
enum Stop {
    Found,
    Error(&'static str),
}

impl From<&'static str> for Stop {
    fn from(reason: &'static str) -> Self {
        Stop::Error(reason)
    }
}

impl Stop {
    fn ignore(self) -> Result<(), &'static str> {
        match self {
            Stop::Found => Ok(()),
            Stop::Error(reason) => Err(reason),
        }
    }
}

/// Parses Loki's JSON path syntax: `field`, `["key"]` and `[index]` steps, fields after the
/// first written `.field`.
fn parse_path(expression: &str) -> Result<Vec<PathStep>, String> {
    let mut steps = Vec::new();
    let mut rest = expression.trim_start_matches([' ', '\t', '\n']);
    let is_start = |c: char| c.is_ascii_alphabetic() || c == '_';
    let field_len = |s: &str| {
        s.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(s.len())
    };
    let syntax = |what: &str| format!("syntax error: unexpected {what}");
    while let Some(c) = rest.chars().next() {
        if c == ' ' || c == '\t' || c == '\n' {
            rest = &rest[1..];
            continue;
        }
        let needs_dot = !steps.is_empty();
        if c == '.' && needs_dot {
            let after = rest[1..].trim_start_matches([' ', '\t', '\n']);
            if !after.starts_with(is_start) {
                return Err(syntax("DOT"));
            }
            let len = field_len(after);
            steps.push(PathStep::Key(after[..len].to_string()));
            rest = &after[len..];
        } else if is_start(c) && !needs_dot {
            let len = field_len(rest);
            steps.push(PathStep::Key(rest[..len].to_string()));
            rest = &rest[len..];
        } else if c == '[' {
            let inner = rest[1..].trim_start_matches([' ', '\t', '\n']);
            if let Some(quoted) = inner.strip_prefix('"') {
                let end = quoted.find(['"', ']']).unwrap_or(quoted.len());
                steps.push(PathStep::Key(quoted[..end].to_string()));
                rest = quoted[end..].strip_prefix('"').unwrap_or(&quoted[end..]);
            } else if inner.starts_with(|c: char| c.is_ascii_digit()) {
                let len = inner
                    .find(|c: char| !c.is_ascii_digit())
                    .unwrap_or(inner.len());
                if inner[len..].starts_with('.') {
                    return Err("cannot use float as array index".to_string());
                }
                let index = inner[..len].parse().map_err(|_| syntax("INDEX"))?;
                steps.push(PathStep::Index(index));
                rest = &inner[len..];
            } else {
                return Err(syntax("LSB"));
            }
            rest = rest.trim_start_matches([' ', '\t', '\n']);
            rest = rest
                .strip_prefix(']')
                .ok_or_else(|| syntax("end of expression"))?;
        } else {
            return Err(format!("unexpected char {c}"));
        }
    }
    if steps.is_empty() {
        return Err(syntax("end of expression"));
    }
    Ok(steps)
}

/// `| unpack`: the JSON object's `_entry` string becomes the line and its other string fields
/// labels; objects without `_entry` are left alone.
#[derive(Debug)]
pub(crate) struct UnpackParser;

/// The key of the packed line.
const PACKED_ENTRY_KEY: &str = "_entry";

impl UnpackParser {
    /// Unpacks `line`.
    pub(crate) fn process(&self, line: &str, labels: &mut LabelsBuilder<'_>) -> StageOutcome {
        if line.is_empty() {
            return StageOutcome::Keep;
        }
        if !line.starts_with('{') {
            labels.add_error(
                JSON_PARSER_ERR,
                Some("expecting json object(6), but it is not".to_string()),
            );
            return StageOutcome::Keep;
        }
        let mut entry = None;
        let mut pairs = Vec::new();
        let result = json_scan::object_each(line, |key, value: Value<'_>| -> Result<(), &str> {
            if value.kind != ValueType::String {
                return Ok(());
            }
            if key == PACKED_ENTRY_KEY {
                let text = if value.escaped {
                    json_scan::unescape(value.text).ok_or(json_scan::MALFORMED_STRING_ESCAPE)?
                } else {
                    value.text.to_string()
                };
                entry = Some(text);
                return Ok(());
            }
            let name = if labels.conflicts(&key) {
                Cow::Owned(format!("{key}{DUPLICATE_SUFFIX}"))
            } else {
                key
            };
            let name = sanitize_label_key(&name).into_owned();
            // Checked while scanning, set after: duplicates within the object keep the last.
            if !labels.was_extracted(&name) {
                pairs.push((name, json_scan::string_value(&value)));
            }
            Ok(())
        });
        if let Err(reason) = result {
            labels.add_error(JSON_PARSER_ERR, Some(reason.to_string()));
            return StageOutcome::Keep;
        }
        let Some(entry) = entry else {
            return StageOutcome::Keep;
        };
        for (name, value) in pairs {
            if !name.is_empty() {
                labels.set_parsed(&name, value);
            }
        }
        StageOutcome::Rewrite(entry)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths() {
        use PathStep::{Index, Key};
        let k = |s: &str| Key(s.to_string());
        assert_eq!(parse_path("a.b").unwrap(), [k("a"), k("b")]);
        assert_eq!(parse_path("a[0].b").unwrap(), [k("a"), Index(0), k("b")]);
        assert_eq!(
            parse_path(r#"["key with space"]"#).unwrap(),
            [k("key with space")]
        );
        assert_eq!(
            parse_path(r#"request.headers["User-Agent"]"#).unwrap(),
            [k("request"), k("headers"), k("User-Agent")]
        );
        assert_eq!(parse_path("[1][2]").unwrap(), [Index(1), Index(2)]);
        for bad in ["", "a..b", "a b", "[1.5]", "[x]", r#""key""#, "a[0"] {
            assert!(parse_path(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn lookups() {
        let doc = r#"{"a":{"b":[10,{"c":"x"}]},"d":null}"#;
        let get = |p: &str| {
            lookup(doc, &parse_path(p).unwrap())
                .unwrap()
                .map(|v| v.text.to_string())
        };
        assert_eq!(get("a.b[0]").as_deref(), Some("10"));
        assert_eq!(get("a.b[1].c").as_deref(), Some("x"));
        assert_eq!(get("a.b").as_deref(), Some(r#"[10,{"c":"x"}]"#));
        assert_eq!(get("a.x"), None);
        assert_eq!(get("a.b[5]"), None);
        assert_eq!(get("d").as_deref(), Some("null"));
    }
}
