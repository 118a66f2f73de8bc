//! The parse error type.

/// A LogQL syntax or validation error, located at the offending token.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("parse error at line {line}, column {column}: {message}")]
pub struct ParseError {
    /// Byte offset of the offending token in the query (the query length for "end of query").
    pub position: usize,
    /// 1-based line of `position`.
    pub line: usize,
    /// 1-based column of `position`, counted in characters.
    pub column: usize,
    /// What went wrong, e.g. `expected "}" or "," after a label matcher, found "=="`.
    pub message: String,
}

impl ParseError {
    /// Builds an error at byte `position` of `source`, computing line and column.
    pub(crate) fn at(source: &str, position: usize, message: impl Into<String>) -> Self {
        let mut position = position.min(source.len());
        while !source.is_char_boundary(position) {
            position -= 1;
        }
        let before = &source[..position];
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        let column = before[line_start..].chars().count() + 1;
        ParseError {
            position,
            line,
            column,
            message: message.into(),
        }
    }
}

/// A lexer or parser error before line and column are known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RawError {
    pub position: usize,
    pub message: String,
}

impl RawError {
    pub(crate) fn new(position: usize, message: impl Into<String>) -> Self {
        RawError {
            position,
            message: message.into(),
        }
    }

    pub(crate) fn into_parse_error(self, source: &str) -> ParseError {
        ParseError::at(source, self.position, self.message)
    }
}
