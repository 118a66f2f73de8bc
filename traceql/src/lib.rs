//! `sightline-traceql` owns the TraceQL language for Sightline: a hand-written lexer, a
//! recursive-descent parser that turns a query into an AST, light static validation (regex
//! literals compile, operand types can match), a canonical printer (`Display`), and a lenient
//! single-filter parser for Tempo's tag-value `q=` parameter. It does not evaluate queries and
//! depends on nothing else in the workspace.
//!
//! Supported: spanset filters with scoped, unscoped and quoted attributes, intrinsics, all
//! literals (numbers, durations, strings, enums, `nil`, `minInt`/`maxInt`), comparison, regex,
//! logical and arithmetic operators; spanset `&&`/`||`, structural, union-structural and negated
//! structural operators; pipelines (`by`, `select`, `coalesce`, aggregates with comparisons,
//! nested filters, parenthesised pipelines as operands); TraceQL metrics functions with
//! `by (...)`, `topk`/`bottomk` and a trailing comparison; `with (...)` hints; `//` comments.
//!
//! Lexical rules worth knowing (they follow Tempo): an attribute name runs from its scope
//! prefix until whitespace, one of `{ } ( ) = ~ ! < > & | ^ ,` or a `//` comment, so
//! `span.http.status-code` is one name and so is `span.a*2` (write `span.a * 2`); quote names
//! with other characters (`span."a b"`). A number immediately followed by letters is a duration
//! (`1h30m`, `1.5s`, `250µs`; units `ns us µs ms s m h d w y`). Keywords (`true`, `nil`, `error`,
//! `server`, `name`, `duration`, `count`, `by`, ...) are case-sensitive.
//!
//! Limits: parentheses, `!`/`-` chains and `^` chains may nest at most about 128 levels, and a
//! query may contain at most 1000 operators. Deeper queries are rejected with a parse error
//! rather than risking a stack overflow while parsing, printing or evaluating.
//!
//! ```
//! use sightline_traceql::{parse, SpansetExpression, SpansetOperator};
//! let query = parse(r#"{ resource.service.name = "frontend" } >> { status = error }"#).unwrap();
//! assert!(matches!(
//!     query.expression,
//!     SpansetExpression::Binary { op: SpansetOperator::Descendant, .. }
//! ));
//! assert_eq!(
//!     query.to_string(),
//!     r#"{ resource.service.name = "frontend" } >> { status = error }"#
//! );
//! ```

#![warn(missing_docs)]

mod ast;
mod display;
mod error;
mod field;
mod lexer;
mod loose;
mod metrics;
mod parser;

pub use ast::*;
pub use display::format_duration;
pub use error::ParseError;
pub use loose::parse_spanset_filter_loose;

/// Parses a TraceQL query.
///
/// Errors point at the offending token (byte `position`, 1-based `line` and `column`); when a
/// query has both a lexical and a syntax error, the one that comes first is reported.
pub fn parse(query: &str) -> Result<Query, ParseError> {
    let (tokens, lex_error) = lexer::tokenize_partial(query);
    let result = parser::Parser::new(query, tokens).parse_query();
    let error = match (result, lex_error) {
        (Ok(query), None) => return Ok(query),
        (Err(parse), Some(lex)) if parse.position < lex.position => parse,
        (_, Some(lex)) => lex,
        (Err(parse), None) => parse,
    };
    Err(error.into_parse_error(query))
}
