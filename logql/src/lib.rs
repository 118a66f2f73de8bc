//! `sightline-logql` owns the LogQL language (Grafana Loki's query language) for Sightline: a
//! hand-written lexer, a recursive-descent parser that turns a query into an AST, the static
//! validation Loki does while parsing (regexes compile, stream selectors select something,
//! aggregations get the unwrap they need, ...), and a canonical printer (`Display`). Its
//! [`pipeline`] runs log pipelines over one line at a time with Loki's semantics ([`Pipeline`];
//! [`SampleExtractor`] for `| unwrap`), and its [`engine`] evaluates metric queries over samples
//! the caller supplies (it does not read logs); it depends on nothing else in the workspace.
//!
//! Supported: stream selectors (`=`, `!=`, `=~`, `!~`); line filters (`|=`, `!=`, `|~`, `!~`,
//! `|>`, `!>`) with `or` alternatives and `ip("...")`; the `json`, `logfmt` (with `--strict`,
//! `--keep-empty` and label lists), `regexp`, `pattern` and `unpack` parsers; label filters on
//! strings, numbers, durations, byte sizes and IPs combined with `and`, `or`, `,` and
//! parentheses; `line_format`, `label_format`, `drop`, `keep`, `decolorize`; every range
//! aggregation (`count_over_time`, `rate`, ..., `quantile_over_time`) over log ranges with
//! `| unwrap [bytes|duration|duration_seconds](label)`, post-unwrap label filters, `[range]`
//! and `offset`; vector aggregations (`sum` ... `sort_desc`, `topk`, `bottomk`, `approx_topk`)
//! with `by`/`without` before or after; binary operators with PromQL precedence, `bool`,
//! `on`/`ignoring`, `group_left`/`group_right`; number literals, `vector()`,
//! `label_replace()`; `#` comments.
//!
//! [`Labels`] is the label set of a log line or series that evaluators share.
//!
//! Lexical rules worth knowing (they follow Loki): keywords and function names are
//! case-insensitive, label names are `[a-zA-Z_][a-zA-Z0-9_]*` and case-sensitive; strings are
//! double-quoted with Go escapes or backtick raw strings; a number directly followed by letters
//! is a duration (`5m`, `1h30m`, `1.5s`, `250µs`) or, failing that, a byte size (`20MB`,
//! `2.5KiB`) — see [`parse_duration`] and [`parse_bytes`]; ranges use Prometheus durations
//! (`[5m]`, `[1d]`, no fractions).
//!
//! Limits: parentheses and nested aggregations may nest at most 64 levels, and a query
//! may contain at most 1000 binary operators (metric operators and label filter
//! `and`/`or`/`,`). Deeper queries are rejected with a parse error rather than risking a stack
//! overflow while parsing, printing or evaluating.
//!
//! ```
//! use sightline_logql::{parse, Expr, MetricExpr, RangeOp};
//! let query = parse(r#"sum by (app) (rate({app="foo"} |= "error" [5m]))"#).unwrap();
//! let Expr::Metric(MetricExpr::VectorAggregation(sum)) = &query else { panic!() };
//! let MetricExpr::RangeAggregation(rate) = sum.expr.as_ref() else { panic!() };
//! assert_eq!(rate.op, RangeOp::Rate);
//! assert_eq!(rate.range.range_nanos, 5 * 60 * 1_000_000_000);
//! assert_eq!(
//!     query.to_string(),
//!     r#"sum by (app) (rate({app="foo"} |= "error" [5m]))"#
//! );
//! ```

#![warn(missing_docs)]

mod ast;
mod display;
pub mod engine;
mod error;
mod labels;
mod lexer;
mod parser;
pub mod pipeline;
mod units;
mod validate;

pub use ast::*;
pub use error::ParseError;
pub use labels::Labels;
pub use pipeline::{
    AlertTemplate, LineLabels, Pipeline, PipelineError, SampleExtractor, go_query_escape,
};
pub use units::{format_bytes, format_duration, parse_bytes, parse_duration};

/// Parses a LogQL query into its AST.
///
/// Errors point at the offending token (byte `position`, 1-based `line` and `column`) and say
/// what was expected and what was found; when a query has both a lexical and a syntax error,
/// the one that comes first is reported.
pub fn parse(query: &str) -> Result<Expr, ParseError> {
    let (tokens, lex_error) = lexer::tokenize_partial(query);
    let result = parser::Parser::new(query, tokens).parse_query();
    let error = match (result, lex_error) {
        (Ok(expr), None) => return Ok(expr),
        (Err(parse), Some(lex)) if parse.position < lex.position => parse,
        (_, Some(lex)) => lex,
        (Err(parse), None) => parse,
    };
    Err(error.into_parse_error(query))
}
