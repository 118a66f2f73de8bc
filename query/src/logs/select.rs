//! From a LogQL log query to a scan: the conditions the full-text index can narrow rows by
//! (pushed down), and the exact stream selector every line is checked against.

use regex::Regex;
use sightline_logql::pipeline::{LineLabels, Pipeline};
use sightline_logql::{
    LabelFilterExpr, Labels, LineFilterOp, LineFilterValue, LogExpr, MatchOp, Matcher, Stage,
};
use sightline_storage::block::log_index::LogIndexQuery;

use super::line::LogLine;
use super::query::LogEntry;
use crate::error::ApiError;

/// The conditions of `expr` over `[start, end]` that the index can use. Every condition is
/// implied by the query: stream matchers `=` and `=~` (unless the regex matches the empty
/// string), `|=` filters with one operand before anything rewrites the line, and a
/// `| trace_id="..."` / `| span_id="..."` filter before any parser.
pub fn pushdown(expr: &LogExpr, start: u64, end: u64) -> LogIndexQuery {
    let mut query = LogIndexQuery {
        time_range: Some((start, end)),
        ..LogIndexQuery::default()
    };
    for matcher in &expr.selector {
        match matcher.op {
            MatchOp::Eq if !matcher.value.is_empty() => query
                .label_equals
                .push((matcher.name.clone(), matcher.value.clone())),
            MatchOp::Re if !regex_matches_empty(&matcher.value) => query
                .label_matches
                .push((matcher.name.clone(), matcher.value.clone())),
            _ => {}
        }
    }
    let mut line_unchanged = true;
    let mut labels_unparsed = true;
    for stage in &expr.pipeline {
        match stage {
            Stage::LineFilter(filter) if line_unchanged => {
                if let (LineFilterOp::Contains, [LineFilterValue::String(needle)]) =
                    (filter.op, filter.values.as_slice())
                    && !needle.is_empty()
                {
                    query.line_contains.push(needle.clone());
                }
            }
            Stage::LabelFilter(LabelFilterExpr::String(matcher))
                if labels_unparsed && matcher.op == MatchOp::Eq =>
            {
                let id = matcher.value.to_ascii_lowercase();
                match matcher.name.as_str() {
                    "trace_id" => query.trace_id = Some(id),
                    "span_id" => query.span_id = Some(id),
                    _ => {}
                }
            }
            Stage::LineFilter(_) | Stage::LabelFilter(_) => {}
            Stage::Parser(_) | Stage::LabelFormat(_) | Stage::Drop(_) | Stage::Keep(_) => {
                labels_unparsed = false;
                if matches!(stage, Stage::Parser(sightline_logql::Parser::Unpack)) {
                    line_unchanged = false;
                }
            }
            Stage::LineFormat(_) | Stage::Decolorize => line_unchanged = false,
        }
    }
    query
}

fn regex_matches_empty(pattern: &str) -> bool {
    Regex::new(&format!("^(?:{pattern})$")).map_or(true, |re| re.is_match(""))
}

/// A log query compiled once per scan: its stream selector and its pipeline.
pub struct CompiledLogExpr {
    /// The stream selector.
    pub selector: StreamSelector,
    /// The pipeline.
    pub pipeline: Pipeline,
}

impl CompiledLogExpr {
    /// Compiles `expr`; a regex or template that does not compile is a bad request.
    pub fn new(expr: &LogExpr) -> Result<Self, ApiError> {
        Ok(Self {
            selector: StreamSelector::new(&expr.selector)?,
            pipeline: Pipeline::new(&expr.pipeline)
                .map_err(|e| ApiError::BadRequest(e.to_string()))?,
        })
    }

    /// `line` as the query returns it: `None` when its stream is not selected or the pipeline
    /// filters it out.
    pub fn entry(&self, line: &LogLine) -> Option<LogEntry> {
        let (stream, metadata) = line.label_sets();
        if !self.selector.matches(&stream) {
            return None;
        }
        let input = LineLabels {
            stream: &stream,
            metadata: &metadata,
        };
        let (text, labels) = self
            .pipeline
            .process(line.time as i64, &line.line, &input)?;
        let (line_text, labels) = (text.into_owned(), labels.into_owned());
        Some(LogEntry {
            time: line.time,
            line: line_text,
            labels,
            stream,
            metadata,
        })
    }
}

/// A stream selector, compiled: every matcher must hold on a line's stream labels (a missing
/// label is the empty string, as in Loki).
#[derive(Debug, Clone)]
pub struct StreamSelector {
    matchers: Vec<(String, CompiledMatch)>,
}

#[derive(Debug, Clone)]
enum CompiledMatch {
    Eq(String),
    Neq(String),
    Re(Regex),
    Nre(Regex),
}

impl StreamSelector {
    /// Compiles `matchers` (regexes are anchored at both ends).
    pub fn new(matchers: &[Matcher]) -> Result<Self, ApiError> {
        let compile = |pattern: &str| {
            Regex::new(&format!("^(?:{pattern})$"))
                .map_err(|e| ApiError::BadRequest(format!("invalid regex {pattern:?}: {e}")))
        };
        let matchers = matchers
            .iter()
            .map(|m| {
                let compiled = match m.op {
                    MatchOp::Eq => CompiledMatch::Eq(m.value.clone()),
                    MatchOp::Neq => CompiledMatch::Neq(m.value.clone()),
                    MatchOp::Re => CompiledMatch::Re(compile(&m.value)?),
                    MatchOp::Nre => CompiledMatch::Nre(compile(&m.value)?),
                };
                Ok((m.name.clone(), compiled))
            })
            .collect::<Result<Vec<_>, ApiError>>()?;
        Ok(Self { matchers })
    }

    /// Whether `labels` (a line's labels) are selected.
    pub fn matches(&self, labels: &Labels) -> bool {
        self.matchers.iter().all(|(name, m)| {
            let value = labels.get(name).unwrap_or("");
            match m {
                CompiledMatch::Eq(v) => value == v,
                CompiledMatch::Neq(v) => value != v,
                CompiledMatch::Re(re) => re.is_match(value),
                CompiledMatch::Nre(re) => !re.is_match(value),
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn log_expr(query: &str) -> LogExpr {
        sightline_logql::parse(query)
            .unwrap()
            .as_log()
            .unwrap()
            .clone()
    }

    #[test]
    fn pushes_down_what_the_query_implies() {
        let expr = log_expr(
            r#"{service_name="api", level=~"error|warn", env!="dev", x=~".*"} |= "timeout" != "retry" |~ "a.c" | trace_id="ABC" | json |= "after" | line_format "{{.a}}" |= "formatted""#,
        );
        let q = pushdown(&expr, 1, 2);
        assert_eq!(q.label_equals, vec![("service_name".into(), "api".into())]);
        assert_eq!(q.label_matches, vec![("level".into(), "error|warn".into())]);
        assert_eq!(q.line_contains, vec!["timeout".to_string(), "after".into()]);
        assert_eq!(q.trace_id.as_deref(), Some("abc"));
        assert_eq!(q.time_range, Some((1, 2)));
        let or = log_expr(r#"{a="b"} |= "x" or "y""#);
        assert!(pushdown(&or, 1, 2).line_contains.is_empty());
    }

    #[test]
    fn selector_treats_missing_labels_as_empty() {
        let expr = log_expr(r#"{a="1", b!="2", c=~"x|", d!~"y.*"}"#);
        let selector = StreamSelector::new(&expr.selector).unwrap();
        assert!(selector.matches(&Labels::from_pairs([("a", "1")])));
        assert!(selector.matches(&Labels::from_pairs([("a", "1"), ("c", "x"), ("d", "z")])));
        assert!(!selector.matches(&Labels::from_pairs([("a", "1"), ("b", "2")])));
        assert!(!selector.matches(&Labels::from_pairs([("a", "1"), ("d", "yes")])));
    }
}
