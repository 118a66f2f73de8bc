//! PromQL evaluation for Sightline.
//!
//! [`parse`] turns a query into the `promql-parser` AST; [`evaluate`] runs it as an instant or
//! range query (see [`QueryParams`]) over series read from a caller-provided
//! [`SeriesSource`], with Prometheus semantics. The supported language, the limits and the
//! known deviations from Prometheus are listed on [`evaluate`].

#![warn(missing_docs)]

mod engine;
mod types;

pub use engine::evaluate;
pub use promql_parser::parser::Expr;
pub use types::{
    DEFAULT_LOOKBACK_MS, EvalError, Labels, MAX_STEPS, METRIC_NAME, MatchOp, Matcher, QueryParams,
    STALE_NAN_BITS, Sample, Series, SeriesSource, Value, is_stale_nan, label_value,
};

/// A query that does not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct ParseError {
    /// The parser's message.
    pub message: String,
    /// Byte offset of the error in the query, when the parser reports one.
    pub position: Option<usize>,
}

/// Parses a PromQL query into its AST.
pub fn parse(query: &str) -> Result<Expr, ParseError> {
    promql_parser::parser::parse(query).map_err(|message| {
        let position = position_in(&message);
        ParseError { message, position }
    })
}

/// Finds a "position N" / "pos N" / "at N" hint in a parser message.
fn position_in(message: &str) -> Option<usize> {
    let words: Vec<&str> = message.split_whitespace().collect();
    words.windows(2).find_map(|w| {
        let key = w[0].trim_end_matches(':');
        if matches!(key, "position" | "pos" | "offset") {
            w[1].trim_matches(|c: char| !c.is_ascii_digit())
                .parse()
                .ok()
        } else {
            None
        }
    })
}
