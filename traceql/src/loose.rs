//! Lenient parsing of a single spanset filter, for Tempo's tag-value `q=` parameter
//! (`/api/v2/search/tag/<tag>/values?q={...}`), where Grafana sends the query the user is still
//! typing.

use crate::ast::SpansetExpression;
use crate::lexer::{Tok, Token, tokenize_partial};
use crate::parser::Parser;

/// Extracts the spanset filter of a possibly incomplete query, for filtering tag values.
///
/// Returns `None` when there is nothing usable; callers should then not filter at all.
///
/// * A query that parses strictly yields its spanset expression if that is a single filter
///   `{ ... }` (pipeline stages, metrics functions and hints after it are ignored). Queries with
///   several filters (`{ a } >> { b }`, `{ a } && { b }`, parenthesised pipelines) yield `None`.
/// * Empty or whitespace-only input yields `None`.
/// * Otherwise the first `{ ... }` is repaired and parsed again, tolerating:
///   - a missing closing `}`;
///   - text after the closing `}` when it starts with `|` (ignored);
///   - lexing errors (unterminated string, bad number or duration, `span.` without a name,
///     unknown intrinsic): the bad token and everything after it are dropped;
///   - incomplete conditions: an operand followed by a comparison operator but no value
///     (`span.x =` before `&&`, `||`, `)` or the end) is dropped;
///   - dangling `&&` / `||` (at the start or end, after `(` or `!`, before `)`; of several
///     adjacent ones only the last is kept),
///     dangling `!` and arithmetic operators at the end or before `)`, and empty `()`;
///   - unclosed `(`, which are closed at the end;
///   - when the `}` is missing, a bare attribute or intrinsic at the very end (still being
///     typed, e.g. `{ .a = "b" && span.htt`) is dropped.
///
///   If nothing is left the result is the empty filter `{}`. If the repaired filter still does
///   not parse (for example an invalid regular expression, or a type error such as
///   `{ status = 200 }`) the result is `None`. Input that does not start with `{` (after
///   whitespace and comments) yields `None`, as does any text after the `}` other than a `|`.
///
/// ```
/// use sightline_traceql::{parse, parse_spanset_filter_loose};
/// let loose = parse_spanset_filter_loose(r#"{ resource.service.name = "a" && span.x = }"#);
/// let strict = parse(r#"{ resource.service.name = "a" }"#).unwrap().expression;
/// assert_eq!(loose, Some(strict));
/// ```
pub fn parse_spanset_filter_loose(query: &str) -> Option<SpansetExpression> {
    if let Ok(parsed) = crate::parse(query) {
        return match parsed.expression {
            filter @ SpansetExpression::Filter(_) => Some(filter),
            _ => None,
        };
    }
    let (tokens, _) = tokenize_partial(query);
    let mut iter = tokens.into_iter();
    let open = iter.next()?;
    if open.tok != Tok::LBrace {
        return None;
    }
    let mut body = Vec::new();
    let mut closed = false;
    for token in iter.by_ref() {
        match token.tok {
            Tok::RBrace => {
                closed = true;
                break;
            }
            Tok::Eof => break,
            _ => body.push(token),
        }
    }
    if closed {
        let next = iter.next()?;
        if !matches!(next.tok, Tok::Eof | Tok::Pipe) {
            return None;
        }
    }
    repair(&mut body, !closed);

    let end = query.len();
    let synthetic = |tok| Token {
        tok,
        start: end,
        end,
    };
    let mut tokens = Vec::with_capacity(body.len() + 3);
    tokens.push(open);
    tokens.extend(body);
    tokens.push(synthetic(Tok::RBrace));
    tokens.push(synthetic(Tok::Eof));
    let mut parser = Parser::new(query, tokens);
    let filter = parser.parse_filter().ok()?;
    parser.at(&Tok::Eof).then_some(filter)
}

fn is_comparison(tok: &Tok) -> bool {
    matches!(
        tok,
        Tok::Eq | Tok::NotEq | Tok::Gt | Tok::Gte | Tok::Lt | Tok::Lte | Tok::Regex | Tok::NotRegex
    )
}

fn is_connector(tok: &Tok) -> bool {
    matches!(tok, Tok::AndAnd | Tok::OrOr)
}

fn is_simple_operand(tok: &Tok) -> bool {
    matches!(
        tok,
        Tok::Attr(..)
            | Tok::Intrinsic(_)
            | Tok::Word(_)
            | Tok::Str(_)
            | Tok::Int(_)
            | Tok::Float(_)
            | Tok::Duration(_)
    )
}

fn is_field(tok: &Tok) -> bool {
    matches!(tok, Tok::Attr(..) | Tok::Intrinsic(_))
        || matches!(tok, Tok::Word(w) if crate::ast::Intrinsic::from_unscoped(w).is_some())
}

fn is_trailing_operator(tok: &Tok) -> bool {
    matches!(
        tok,
        Tok::Bang | Tok::Minus | Tok::Plus | Tok::Star | Tok::Slash | Tok::Percent | Tok::Caret
    )
}

/// Removes incomplete conditions and dangling operators from a filter body (see
/// [`parse_spanset_filter_loose`] for the rules).
fn repair(body: &mut Vec<Token>, unclosed: bool) {
    if unclosed && body.last().is_some_and(|t| is_field(&t.tok)) {
        let before = body.len().checked_sub(2).map(|i| &body[i].tok);
        if before.is_none_or(|t| matches!(t, Tok::LParen | Tok::Bang) || is_connector(t)) {
            body.pop();
        }
    }
    loop {
        let before = body.len();
        remove_incomplete_comparisons(body);
        remove_dangling(body);
        if body.len() == before {
            break;
        }
    }
    let depth = body.iter().fold(0i64, |depth, t| match t.tok {
        Tok::LParen => depth + 1,
        Tok::RParen => depth - 1,
        _ => depth,
    });
    let end = body.last().map_or(0, |t| t.end);
    for _ in 0..depth.max(0) {
        body.push(Token {
            tok: Tok::RParen,
            start: end,
            end,
        });
    }
}

fn remove_incomplete_comparisons(body: &mut Vec<Token>) {
    let mut i = 0;
    while i < body.len() {
        let next_ends = body
            .get(i + 1)
            .is_none_or(|t| is_connector(&t.tok) || t.tok == Tok::RParen);
        if is_comparison(&body[i].tok) && next_ends {
            let from = if i > 0 && is_simple_operand(&body[i - 1].tok) {
                i - 1
            } else {
                i
            };
            body.drain(from..=i);
            i = from;
        } else {
            i += 1;
        }
    }
}

fn remove_dangling(body: &mut Vec<Token>) {
    let mut i = 0;
    while i < body.len() {
        let prev = i.checked_sub(1).map(|p| &body[p].tok);
        let next = body.get(i + 1).map(|t| &t.tok);
        let tok = &body[i].tok;
        let remove_one = if is_connector(tok) {
            prev.is_none_or(|p| matches!(p, Tok::LParen | Tok::Bang) || is_connector(p))
                || next.is_none_or(|n| n == &Tok::RParen || is_connector(n))
        } else if is_trailing_operator(tok) {
            next.is_none_or(|n| n == &Tok::RParen || is_connector(n))
        } else {
            false
        };
        if remove_one {
            body.remove(i);
            i = i.saturating_sub(1);
        } else if *tok == Tok::LParen && next == Some(&Tok::RParen) {
            body.drain(i..=i + 1);
            i = i.saturating_sub(1);
        } else {
            i += 1;
        }
    }
}
