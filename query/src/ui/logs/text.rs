//! The free-text language of the native log search: Tantivy's query syntax (words, `"phrases"`,
//! `prefix*`, `field:value`, `AND`/`OR`/`NOT`, `+`/`-`, parentheses, `/regex/`), evaluated on a
//! log line. Words and phrases match the line's words ignoring case; juxtaposed clauses must
//! all hold (conjunction by default, as a log search box is expected to behave). Fields are
//! labels under their Loki names (`service`, `severity` and `traceId`/`spanId` are aliases).
//!
//! The query's required parts are also turned into index conditions so blocks only read rows
//! that may match; the exact check here runs on every row read.

use regex::Regex;
use sightline_storage::block::log_index::schema::is_word_char;
use sightline_storage::block::log_index::{LogIndexQuery, loki_label_name};
use tantivy::query_grammar::{Occur, UserInputAst, UserInputLeaf, UserInputLiteral};

use crate::error::ApiError;
use crate::logs::LogLine;

/// A parsed free-text query.
#[derive(Debug, Clone)]
pub enum TextQuery {
    /// Every line.
    All,
    /// Words in a row (one word, or a phrase), lower-case; the last may be a prefix.
    Words {
        /// The words.
        words: Vec<String>,
        /// Whether the last word is a prefix.
        prefix: bool,
    },
    /// A label (or trace/span id) equal to a value, or starting with it.
    Field {
        /// Loki label name, or `trace_id` / `span_id`.
        name: String,
        /// The value.
        value: String,
        /// Whether `value` is a prefix.
        prefix: bool,
    },
    /// A regex over the line (no field) or a label, unanchored.
    Regex {
        /// Label name, or `None` for the line.
        field: Option<String>,
        /// The compiled regex.
        regex: Regex,
    },
    /// A boolean combination.
    Bool {
        /// All of these.
        must: Vec<TextQuery>,
        /// At least one of these (when there is no `must`).
        should: Vec<TextQuery>,
        /// None of these.
        must_not: Vec<TextQuery>,
    },
}

/// The words of `text` as the index tokenizes them, lower-cased.
pub fn words_of(text: &str) -> Vec<String> {
    text.split(|c: char| !is_word_char(c))
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect()
}

fn field_name(field: &str) -> String {
    match field {
        "service" | "service.name" => "service_name".into(),
        "severity" | "level" => "level".into(),
        "traceId" | "trace_id" | "traceID" => "trace_id".into(),
        "spanId" | "span_id" | "spanID" => "span_id".into(),
        other => loki_label_name(other),
    }
}

impl TextQuery {
    /// Parses Tantivy query syntax; blank text is [`TextQuery::All`].
    pub fn parse(text: &str) -> Result<Self, ApiError> {
        if text.trim().is_empty() {
            return Ok(TextQuery::All);
        }
        let ast = tantivy::query_grammar::parse_query(text).map_err(|_| {
            ApiError::BadRequest(format!(
                "invalid search {text:?}: check quotes and parentheses"
            ))
        })?;
        Self::from_ast(ast)
    }

    fn from_literal(mut literal: UserInputLiteral) -> Self {
        // `word*` arrives as the word with its star (the grammar's prefix flag is for phrases).
        let mut prefix = literal.prefix;
        if let Some(stem) = literal.phrase.strip_suffix('*') {
            literal.phrase = stem.to_string();
            prefix = true;
        }
        match literal.field_name {
            Some(field) => TextQuery::Field {
                name: field_name(&field),
                value: literal.phrase,
                prefix,
            },
            None => TextQuery::Words {
                words: words_of(&literal.phrase),
                prefix,
            },
        }
    }

    fn from_ast(ast: UserInputAst) -> Result<Self, ApiError> {
        Ok(match ast {
            UserInputAst::Boost(inner, _) => Self::from_ast(*inner)?,
            UserInputAst::Leaf(leaf) => match *leaf {
                UserInputLeaf::Literal(literal) => Self::from_literal(literal),
                UserInputLeaf::All => TextQuery::All,
                UserInputLeaf::Regex { field, pattern } => TextQuery::Regex {
                    regex: Regex::new(&pattern).map_err(|e| {
                        ApiError::BadRequest(format!("invalid regex /{pattern}/: {e}"))
                    })?,
                    field: field.map(|f| field_name(&f)),
                },
                UserInputLeaf::Set { field, elements } => TextQuery::Bool {
                    must: Vec::new(),
                    should: elements
                        .into_iter()
                        .map(|value| match &field {
                            Some(f) => TextQuery::Field {
                                name: field_name(f),
                                value,
                                prefix: false,
                            },
                            None => TextQuery::Words {
                                words: words_of(&value),
                                prefix: false,
                            },
                        })
                        .collect(),
                    must_not: Vec::new(),
                },
                UserInputLeaf::Exists { .. } | UserInputLeaf::Range { .. } => {
                    return Err(ApiError::BadRequest(
                        "ranges and $exists are not supported in log search".into(),
                    ));
                }
            },
            UserInputAst::Clause(clauses) => {
                let (mut must, mut should, mut must_not) = (Vec::new(), Vec::new(), Vec::new());
                for (occur, clause) in clauses {
                    let clause = Self::from_ast(clause)?;
                    match occur {
                        None | Some(Occur::Must) => must.push(clause),
                        Some(Occur::Should) => should.push(clause),
                        Some(Occur::MustNot) => must_not.push(clause),
                    }
                }
                TextQuery::Bool {
                    must,
                    should,
                    must_not,
                }
            }
        })
    }

    /// Whether `line` matches; `words` are the line's words (see [`words_of`]).
    pub fn matches(&self, line: &LogLine, words: &[String]) -> bool {
        match self {
            TextQuery::All => true,
            TextQuery::Words {
                words: wanted,
                prefix,
            } => contains_run(words, wanted, *prefix),
            TextQuery::Field {
                name,
                value,
                prefix,
            } => field_value(line, name).is_some_and(|actual| {
                let (actual, value) = if name == "level" || name.ends_with("_id") {
                    (actual.to_lowercase(), value.to_lowercase())
                } else {
                    (actual, value.clone())
                };
                if *prefix {
                    actual.starts_with(&value)
                } else {
                    actual == value
                }
            }),
            TextQuery::Regex { field: None, regex } => regex.is_match(&line.line),
            TextQuery::Regex {
                field: Some(name),
                regex,
            } => field_value(line, name).is_some_and(|v| regex.is_match(&v)),
            TextQuery::Bool {
                must,
                should,
                must_not,
            } => {
                must.iter().all(|q| q.matches(line, words))
                    && (!must.is_empty()
                        || should.is_empty()
                        || should.iter().any(|q| q.matches(line, words)))
                    && !must_not.iter().any(|q| q.matches(line, words))
            }
        }
    }

    /// Adds the index conditions every match implies to `conditions`.
    /// True when the conditions [`TextQuery::push_down`] gives decide this query exactly:
    /// nothing, or label equalities (no words, prefixes, regexes, ids or alternatives).
    pub fn is_exact_in_index(&self) -> bool {
        match self {
            TextQuery::All => true,
            TextQuery::Field {
                name,
                prefix: false,
                ..
            } => !matches!(name.as_str(), "trace_id" | "span_id"),
            TextQuery::Bool {
                must,
                should,
                must_not,
            } => {
                should.is_empty() && must_not.is_empty() && must.iter().all(Self::is_exact_in_index)
            }
            _ => false,
        }
    }

    /// The index conditions this query implies (a superset of its lines).
    pub fn push_down(&self, conditions: &mut LogIndexQuery) {
        match self {
            TextQuery::Words { words, prefix } => {
                for (i, word) in words.iter().enumerate() {
                    if *prefix && i + 1 == words.len() {
                        conditions.words_any_case.push(format!("{word}*"));
                    } else {
                        conditions.words_any_case.push(word.clone());
                    }
                }
            }
            TextQuery::Field {
                name,
                value,
                prefix: false,
            } => match name.as_str() {
                "trace_id" => conditions.trace_id = Some(value.to_lowercase()),
                "span_id" => conditions.span_id = Some(value.to_lowercase()),
                "level" => conditions
                    .label_equals
                    .push((name.clone(), value.to_lowercase())),
                _ => conditions.label_equals.push((name.clone(), value.clone())),
            },
            TextQuery::Bool { must, .. } => {
                for clause in must {
                    clause.push_down(conditions);
                }
            }
            _ => {}
        }
    }
}

fn field_value(line: &LogLine, name: &str) -> Option<String> {
    match name {
        "trace_id" => line.trace_id.map(hex::encode),
        "span_id" => line.span_id.map(hex::encode),
        _ => line.label(name).map(str::to_string),
    }
}

/// Whether `words` contains `wanted` as consecutive words (the last one possibly a prefix).
fn contains_run(words: &[String], wanted: &[String], prefix: bool) -> bool {
    if wanted.is_empty() {
        return true;
    }
    words.windows(wanted.len()).any(|window| {
        window
            .iter()
            .zip(wanted)
            .enumerate()
            .all(|(i, (have, want))| {
                if prefix && i + 1 == wanted.len() {
                    have.starts_with(want.as_str())
                } else {
                    have == want
                }
            })
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use sightline_storage::block::log_index::{LabelKind, RowLabel};

    fn line(text: &str, service: &str, level: &str) -> LogLine {
        let label = |name: &str, value: &str, kind| RowLabel {
            name: name.into(),
            value: value.into(),
            kind,
        };
        LogLine {
            time: 1,
            line: text.into(),
            labels: vec![
                label("service_name", service, LabelKind::Stream),
                label("level", level, LabelKind::Stream),
                label("http_route", "/pay", LabelKind::Metadata),
            ],
            trace_id: Some([0xab; 16]),
            span_id: None,
        }
    }

    fn matches(query: &str, line: &LogLine) -> bool {
        TextQuery::parse(query)
            .unwrap()
            .matches(line, &words_of(&line.line))
    }

    #[test]
    fn words_phrases_fields_and_booleans() {
        let l = line(
            "Payment FAILED: connection refused by upstream",
            "checkout",
            "error",
        );
        for (query, expected) in [
            ("failed", true),
            ("FAILED refused", true),
            ("failed timeout", false),
            ("failed OR timeout", true),
            ("\"connection refused\"", true),
            ("\"refused connection\"", false),
            ("conn*", true),
            ("onnection", false),
            ("service:checkout level:ERROR", true),
            ("service:cart", false),
            ("http.route:/pay", true),
            ("traceId:ABABABABABABABABABABABABABABABAB", true),
            ("failed -upstream", false),
            ("failed AND NOT timeout", true),
            ("(timeout OR refused) AND service:checkout", true),
            ("/FAIL.D/", true),
            ("", true),
        ] {
            assert_eq!(matches(query, &l), expected, "{query}");
        }
        assert!(TextQuery::parse("(unbalanced").is_err());
    }

    #[test]
    fn required_parts_become_index_conditions() {
        let mut conditions = LogIndexQuery::default();
        TextQuery::parse("\"Card declined\" pay* service:checkout traceId:AB (x OR y) -z")
            .unwrap()
            .push_down(&mut conditions);
        assert_eq!(conditions.words_any_case, vec!["card", "declined", "pay*"]);
        assert_eq!(
            conditions.label_equals,
            vec![("service_name".to_string(), "checkout".to_string())]
        );
        assert_eq!(conditions.trace_id.as_deref(), Some("ab"));
    }
}
