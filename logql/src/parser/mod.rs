//! Recursive-descent parser. This file holds the token helpers, the query root, stream
//! selectors and small shared pieces (strings, label lists, groupings); `pipeline.rs` parses log
//! pipelines and label filters, `metric.rs` metric expressions.
//!
//! Keywords are recognised from context and case-insensitively (like Loki): `json` after `|` is
//! the JSON parser unless a comparison operator follows (`| json="x"` filters on a label called
//! `json`); a function name is only a function when `(` follows it.

mod metric;
mod pipeline;

use crate::ast::*;
use crate::error::RawError;
use crate::lexer::{Tok, Token, describe};
use crate::validate;

pub(crate) type PResult<T> = Result<T, RawError>;

/// Maximum depth of recursive parsing: parentheses, nested aggregations and `^` chains.
pub(crate) const MAX_NESTING: u32 = 64;

/// Maximum number of binary operators (metric operators and label filter `and`/`or`/`,`) in
/// one query. Together with [`MAX_NESTING`] this bounds the depth of the tree, so that parsing,
/// printing, dropping and evaluating it cannot overflow the stack.
pub(crate) const MAX_OPERATORS: u32 = 1000;

/// Parser state over a token vector that always ends with `Tok::Eof`.
pub(crate) struct Parser<'a> {
    src: &'a str,
    tokens: Vec<Token>,
    pos: usize,
    nesting: u32,
    operators: u32,
}

impl<'a> Parser<'a> {
    pub(crate) fn new(src: &'a str, tokens: Vec<Token>) -> Self {
        debug_assert!(tokens.last().is_some_and(|t| t.tok == Tok::Eof));
        Parser {
            src,
            tokens,
            pos: 0,
            nesting: 0,
            operators: 0,
        }
    }

    // ---- limits --------------------------------------------------------------------------

    /// Enters one level of recursion; fails when the query nests too deeply.
    fn enter(&mut self) -> PResult<()> {
        self.nesting += 1;
        if self.nesting > MAX_NESTING {
            return Err(RawError::new(
                self.peek().start,
                format!("the query is nested too deeply (at most {MAX_NESTING} levels)"),
            ));
        }
        Ok(())
    }

    /// Leaves a level entered with [`Parser::enter`].
    fn leave(&mut self) {
        self.nesting -= 1;
    }

    /// Counts one binary operator at byte `at`; fails when the query has too many.
    fn count_operator(&mut self, at: usize) -> PResult<()> {
        self.operators += 1;
        if self.operators > MAX_OPERATORS {
            return Err(RawError::new(
                at,
                format!("the query has too many operators (at most {MAX_OPERATORS})"),
            ));
        }
        Ok(())
    }

    // ---- token helpers -------------------------------------------------------------------

    fn peek(&self) -> &Token {
        &self.tokens[self.pos]
    }

    fn peek_tok(&self) -> &Tok {
        &self.tokens[self.pos].tok
    }

    fn peek_nth(&self, n: usize) -> &Tok {
        let i = (self.pos + n).min(self.tokens.len() - 1);
        &self.tokens[i].tok
    }

    fn advance(&mut self) -> Token {
        let token = self.tokens[self.pos].clone();
        if self.pos + 1 < self.tokens.len() {
            self.pos += 1;
        }
        token
    }

    fn at(&self, tok: &Tok) -> bool {
        self.peek_tok() == tok
    }

    fn eat(&mut self, tok: &Tok) -> bool {
        let found = self.at(tok);
        if found {
            self.advance();
        }
        found
    }

    /// Whether the next token is the keyword `kw` (case-insensitive).
    fn at_kw(&self, kw: &str) -> bool {
        is_kw(self.peek_tok(), kw)
    }

    /// An error at the next token: "expected {expected}, found {token}".
    fn expected(&self, expected: &str) -> RawError {
        let token = self.peek();
        RawError::new(
            token.start,
            format!("expected {expected}, found {}", describe(self.src, token)),
        )
    }

    fn expect(&mut self, tok: &Tok, expected: &str) -> PResult<Token> {
        if self.at(tok) {
            Ok(self.advance())
        } else {
            Err(self.expected(expected))
        }
    }

    /// An identifier (any word, keywords included) with its start.
    fn expect_ident(&mut self, expected: &str) -> PResult<(String, usize)> {
        match self.peek_tok().clone() {
            Tok::Ident(name) => Ok((name, self.advance().start)),
            _ => Err(self.expected(expected)),
        }
    }

    /// A string literal with its start.
    fn expect_string(&mut self, expected: &str) -> PResult<(String, usize)> {
        match self.peek_tok().clone() {
            Tok::Str(value) => Ok((value, self.advance().start)),
            _ => Err(self.expected(expected)),
        }
    }

    // ---- query ---------------------------------------------------------------------------

    /// `query := log_expr | metric_expr`, then the end of the input.
    pub(crate) fn parse_query(&mut self) -> PResult<Expr> {
        if self.at(&Tok::Eof) {
            return Err(RawError::new(
                self.peek().start,
                "empty query: expected a stream selector such as {app=\"foo\"} or a metric \
                 expression such as rate({app=\"foo\"}[5m])",
            ));
        }
        if self.starts_log_expr() {
            let log = self.parse_log_expr()?;
            if let Tok::Range(_) = self.peek_tok() {
                return Err(RawError::new(
                    self.peek().start,
                    "a range such as [5m] is only allowed inside a range aggregation such as \
                     count_over_time({app=\"foo\"}[5m])",
                ));
            }
            if self.binary_op().is_some() {
                return Err(RawError::new(
                    self.peek().start,
                    "a log query cannot be an operand of a binary operator: wrap it in a range \
                     aggregation such as count_over_time({app=\"foo\"}[5m])",
                ));
            }
            if !self.at(&Tok::Eof) {
                return Err(self.expected(
                    "a pipeline stage (\"|\", \"|=\", \"!=\", \"|~\", \"!~\") or the end of the query",
                ));
            }
            return Ok(Expr::Log(log));
        }
        let metric = self.parse_metric_expr()?;
        if self.at(&Tok::Eq) {
            return Err(self.expected("a binary operator (use \"==\" to compare)"));
        }
        if !self.at(&Tok::Eof) {
            return Err(self.expected("a binary operator or the end of the query"));
        }
        Ok(Expr::Metric(metric))
    }

    /// Whether a log expression starts here: `{`, possibly after opening parentheses.
    fn starts_log_expr(&self) -> bool {
        let mut i = self.pos;
        while self.tokens[i].tok == Tok::LParen {
            i += 1;
        }
        self.tokens[i].tok == Tok::LBrace
    }

    /// `log_expr := selector pipeline | "(" log_expr ")"`.
    fn parse_log_expr(&mut self) -> PResult<LogExpr> {
        if self.eat(&Tok::LParen) {
            self.enter()?;
            let inner = self.parse_log_expr()?;
            self.expect(&Tok::RParen, "\")\" or a pipeline stage")?;
            self.leave();
            return Ok(inner);
        }
        let selector = self.parse_selector()?;
        let pipeline = self.parse_pipeline(false)?.0;
        Ok(LogExpr { selector, pipeline })
    }

    /// `selector := "{" matcher ("," matcher)* "}"`; Loki accepts no trailing comma and no `{}`.
    fn parse_selector(&mut self) -> PResult<Vec<Matcher>> {
        let open = self.expect(&Tok::LBrace, "a stream selector such as {app=\"foo\"}")?;
        if self.at(&Tok::RBrace) {
            return Err(self.expected(
                "a label matcher such as app=\"foo\" (a stream selector needs at least one)",
            ));
        }
        let mut matchers = Vec::new();
        let mut selects = false;
        loop {
            let (matcher, matches_empty) = self.parse_matcher()?;
            selects |= !matches_empty;
            matchers.push(matcher);
            if self.eat(&Tok::Comma) {
                if !matches!(self.peek_tok(), Tok::Ident(_)) {
                    return Err(self.expected("a label name after \",\""));
                }
                continue;
            }
            if self.eat(&Tok::RBrace) {
                break;
            }
            return Err(self.expected("\"}\" or \",\" after a label matcher"));
        }
        if !selects {
            return Err(RawError::new(
                open.start,
                "queries require at least one regexp or equality matcher that does not have an \
                 empty-compatible value: for instance, app=~\".*\" does not meet this \
                 requirement, but app=~\".+\" will",
            ));
        }
        Ok(matchers)
    }

    /// `name op "value"`, with its regex checked. Also returns whether it matches `""`.
    fn parse_matcher(&mut self) -> PResult<(Matcher, bool)> {
        let (name, _) = self.expect_ident("a label name")?;
        let op = match self.peek_tok() {
            Tok::Eq => MatchOp::Eq,
            Tok::Neq => MatchOp::Neq,
            Tok::Re => MatchOp::Re,
            Tok::Nre => MatchOp::Nre,
            _ => {
                return Err(self.expected(&format!(
                    "\"=\", \"!=\", \"=~\" or \"!~\" after label name \"{name}\""
                )));
            }
        };
        self.advance();
        self.parse_matcher_value(name, op)
    }

    /// The string of a matcher whose name and operator were read.
    fn parse_matcher_value(&mut self, name: String, op: MatchOp) -> PResult<(Matcher, bool)> {
        let (value, at) = self.expect_string(&format!("a string after \"{}\"", op.as_str()))?;
        let matcher = Matcher { name, op, value };
        let matches_empty =
            validate::check_matcher(&matcher).map_err(|why| RawError::new(at, why))?;
        Ok((matcher, matches_empty))
    }

    /// `"(" [label ("," label)*] ")"`, for groupings and vector matching.
    fn parse_label_list(&mut self, after: &str) -> PResult<Vec<String>> {
        self.expect(&Tok::LParen, &format!("\"(\" after \"{after}\""))?;
        let mut labels = Vec::new();
        if self.eat(&Tok::RParen) {
            return Ok(labels);
        }
        loop {
            labels.push(self.expect_ident("a label name")?.0);
            if !self.eat(&Tok::Comma) {
                break;
            }
        }
        self.expect(&Tok::RParen, "\",\" or \")\" in the label list")?;
        Ok(labels)
    }

    /// `by (labels)` or `without (labels)` if present, with the keyword's start.
    fn parse_grouping(&mut self) -> PResult<Option<(Grouping, usize)>> {
        let by = self.at_kw("by");
        if !by && !self.at_kw("without") {
            return Ok(None);
        }
        let keyword = self.advance();
        let name = if by { "by" } else { "without" };
        let labels = self.parse_label_list(name)?;
        let grouping = if by {
            Grouping::By(labels)
        } else {
            Grouping::Without(labels)
        };
        Ok(Some((grouping, keyword.start)))
    }
}

/// Whether `tok` is the word `kw` (ASCII case-insensitive).
fn is_kw(tok: &Tok, kw: &str) -> bool {
    matches!(tok, Tok::Ident(word) if word.eq_ignore_ascii_case(kw))
}

/// Whether `tok` is a comparison operator that can follow a label name in a label filter.
fn is_filter_operator(tok: &Tok) -> bool {
    matches!(
        tok,
        Tok::Eq
            | Tok::EqEq
            | Tok::Neq
            | Tok::Re
            | Tok::Nre
            | Tok::Gt
            | Tok::Gte
            | Tok::Lt
            | Tok::Lte
    )
}
