//! Log pipelines: line filters, parsers, label filters, formatting stages and `| unwrap`.

use super::{PResult, Parser, is_filter_operator, is_kw};
use crate::ast::Parser as LogParser;
use crate::ast::*;
use crate::error::RawError;
use crate::lexer::Tok;
use crate::units::{parse_bytes, parse_duration};
use crate::validate;

/// Words that start a pipeline stage after `|` (unless a comparison operator follows them).
const STAGE_KEYWORDS: [&str; 11] = [
    "json",
    "logfmt",
    "regexp",
    "pattern",
    "unpack",
    "line_format",
    "label_format",
    "drop",
    "keep",
    "decolorize",
    "unwrap",
];

fn is_stage_keyword(tok: &Tok) -> bool {
    STAGE_KEYWORDS.iter().any(|kw| is_kw(tok, kw))
}

fn line_filter_op(tok: &Tok) -> Option<LineFilterOp> {
    Some(match tok {
        Tok::PipeExact => LineFilterOp::Contains,
        Tok::Neq => LineFilterOp::NotContains,
        Tok::PipeMatch => LineFilterOp::Match,
        Tok::Nre => LineFilterOp::NotMatch,
        Tok::PipePattern => LineFilterOp::Pattern,
        Tok::NotPattern => LineFilterOp::NotPattern,
        _ => return None,
    })
}

/// Pipeline stages, and the final unwrap (with the start of its keyword) if there is one.
type Pipeline = (Vec<Stage>, Option<(Unwrap, usize)>);

impl Parser<'_> {
    /// Parses pipeline stages until a token that cannot continue the pipeline. With
    /// `allow_unwrap` (inside a range aggregation) a final `| unwrap ...` is accepted and
    /// returned with the start of the `unwrap` keyword; it ends the pipeline.
    pub(super) fn parse_pipeline(&mut self, allow_unwrap: bool) -> PResult<Pipeline> {
        let mut stages = Vec::new();
        loop {
            if let Some(op) = line_filter_op(self.peek_tok()) {
                self.advance();
                stages.push(Stage::LineFilter(self.parse_line_filter(op)?));
                continue;
            }
            if !self.at(&Tok::Pipe) {
                return Ok((stages, None));
            }
            self.advance();
            if self.at_kw("unwrap") && !is_filter_operator(self.peek_nth(1)) {
                let start = self.peek().start;
                if !allow_unwrap {
                    return Err(RawError::new(
                        start,
                        "unwrap is only allowed in a metric query, inside a range aggregation \
                         such as sum_over_time({app=\"foo\"} | unwrap latency [5m])",
                    ));
                }
                let unwrap = self.parse_unwrap()?;
                return Ok((stages, Some((unwrap, start))));
            }
            stages.push(self.parse_stage()?);
        }
    }

    /// The operands of a line filter whose operator was read: `"x"`, `ip("...")`, `or`-joined.
    fn parse_line_filter(&mut self, op: LineFilterOp) -> PResult<LineFilter> {
        let mut values = vec![self.parse_line_filter_value(op, op.as_str())?];
        while self.at_kw("or") {
            self.advance();
            values.push(self.parse_line_filter_value(op, "or")?);
        }
        Ok(LineFilter { op, values })
    }

    fn parse_line_filter_value(
        &mut self,
        op: LineFilterOp,
        after: &str,
    ) -> PResult<LineFilterValue> {
        let start = self.peek().start;
        match self.peek_tok().clone() {
            Tok::Str(value) => {
                self.advance();
                if matches!(op, LineFilterOp::Match | LineFilterOp::NotMatch) {
                    validate::compile_regex(&value, false)
                        .map_err(|why| RawError::new(start, why))?;
                }
                Ok(LineFilterValue::String(value))
            }
            Tok::Ident(word)
                if word.eq_ignore_ascii_case("ip") && self.peek_nth(1) == &Tok::LParen =>
            {
                if !matches!(op, LineFilterOp::Contains | LineFilterOp::NotContains) {
                    return Err(RawError::new(
                        start,
                        format!(
                            "ip() line filters only work with \"|=\" and \"!=\", not \"{}\"",
                            op.as_str()
                        ),
                    ));
                }
                Ok(LineFilterValue::Ip(self.parse_ip_call()?))
            }
            _ => Err(self.expected(&format!("a string or ip(\"...\") after \"{after}\""))),
        }
    }

    /// `ip("pattern")`; the current token is `ip`.
    fn parse_ip_call(&mut self) -> PResult<String> {
        self.advance();
        self.expect(&Tok::LParen, "\"(\" after \"ip\"")?;
        let (pattern, at) =
            self.expect_string("a string with an IP address, CIDR range or address range")?;
        validate::check_ip_pattern(&pattern).map_err(|why| RawError::new(at, why))?;
        self.expect(&Tok::RParen, "\")\" after the ip pattern")?;
        Ok(pattern)
    }

    /// One stage after `|` (other than `unwrap`).
    fn parse_stage(&mut self) -> PResult<Stage> {
        let keyword = match self.peek_tok() {
            Tok::Ident(word) if !is_filter_operator(self.peek_nth(1)) => word.to_ascii_lowercase(),
            Tok::Ident(_) | Tok::LParen => {
                return Ok(Stage::LabelFilter(self.parse_label_filter()?));
            }
            _ => {
                return Err(self.expected(
                    "a pipeline stage after \"|\" (a parser such as json or logfmt, a label \
                     filter such as level=\"error\", line_format, label_format, drop, keep or \
                     decolorize)",
                ));
            }
        };
        let start = self.advance().start;
        Ok(match keyword.as_str() {
            "json" => Stage::Parser(LogParser::Json(self.parse_extractions()?)),
            "logfmt" => self.parse_logfmt()?,
            "regexp" => {
                let (re, at) =
                    self.expect_string("a regular expression string after \"regexp\"")?;
                validate::check_regexp_parser(&re).map_err(|why| RawError::new(at, why))?;
                Stage::Parser(LogParser::Regexp(re))
            }
            "pattern" => {
                let (pattern, at) = self.expect_string("a pattern string after \"pattern\"")?;
                validate::check_pattern_parser(&pattern).map_err(|why| RawError::new(at, why))?;
                Stage::Parser(LogParser::Pattern(pattern))
            }
            "unpack" => Stage::Parser(LogParser::Unpack),
            "line_format" => Stage::LineFormat(
                self.expect_string("a template string after \"line_format\"")?
                    .0,
            ),
            "label_format" => Stage::LabelFormat(self.parse_label_format()?),
            "drop" => Stage::Drop(self.parse_named_matchers("drop")?),
            "keep" => Stage::Keep(self.parse_named_matchers("keep")?),
            "decolorize" => Stage::Decolorize,
            _ => {
                return Err(RawError::new(
                    start,
                    format!(
                        "unknown pipeline stage \"{}\": expected a parser (json, logfmt, regexp, \
                         pattern, unpack), a label filter such as level=\"error\", line_format, \
                         label_format, drop, keep or decolorize",
                        &self.src[start..self.tokens[self.pos - 1].end]
                    ),
                ));
            }
        })
    }

    /// `logfmt [--strict] [--keep-empty] [extractions]`; the keyword was read.
    fn parse_logfmt(&mut self) -> PResult<Stage> {
        let (mut strict, mut keep_empty) = (false, false);
        while let Tok::Flag(flag) = self.peek_tok() {
            match flag.as_str() {
                "--strict" => strict = true,
                "--keep-empty" => keep_empty = true,
                _ => {
                    return Err(RawError::new(
                        self.peek().start,
                        format!(
                            "unknown logfmt flag \"{flag}\" (expected --strict or --keep-empty)"
                        ),
                    ));
                }
            }
            self.advance();
        }
        let fields = self.parse_extractions()?;
        Ok(Stage::Parser(LogParser::Logfmt {
            strict,
            keep_empty,
            fields,
        }))
    }

    /// Optional `label["=" "expr"] ("," label["=" "expr"])*` after `json` or `logfmt`.
    fn parse_extractions(&mut self) -> PResult<Vec<LabelExtraction>> {
        let mut fields = Vec::new();
        if !matches!(self.peek_tok(), Tok::Ident(_)) {
            return Ok(fields);
        }
        loop {
            let (label, _) = self.expect_ident("a label name")?;
            let expression = if self.eat(&Tok::Eq) {
                self.expect_string(&format!("a string after \"{label}=\""))?
                    .0
            } else {
                label.clone()
            };
            fields.push(LabelExtraction { label, expression });
            if !self.eat(&Tok::Comma) {
                return Ok(fields);
            }
        }
    }

    /// `name=old_label` or `name="template"`, comma-separated; no target twice.
    fn parse_label_format(&mut self) -> PResult<Vec<LabelFormatItem>> {
        let mut items: Vec<LabelFormatItem> = Vec::new();
        loop {
            let (name, at) = self.expect_ident("a label name")?;
            self.expect(&Tok::Eq, &format!("\"=\" after \"{name}\""))?;
            let value = match self.peek_tok().clone() {
                Tok::Ident(old) => LabelFormatValue::Rename(old),
                Tok::Str(template) => LabelFormatValue::Template(template),
                _ => return Err(self.expected("a label name or a template string after \"=\"")),
            };
            self.advance();
            if items.iter().any(|item| item.name == name) {
                return Err(RawError::new(
                    at,
                    format!("label \"{name}\" is set twice in the same label_format"),
                ));
            }
            items.push(LabelFormatItem { name, value });
            if !self.eat(&Tok::Comma) {
                return Ok(items);
            }
        }
    }

    /// `label` or `label op "value"`, comma-separated, after `drop` or `keep`.
    fn parse_named_matchers(&mut self, stage: &str) -> PResult<Vec<NamedMatcher>> {
        let mut items = Vec::new();
        loop {
            let (name, _) = self.expect_ident(&format!("a label name after \"{stage}\""))?;
            let op = match self.peek_tok() {
                Tok::Eq => Some(MatchOp::Eq),
                Tok::Neq => Some(MatchOp::Neq),
                Tok::Re => Some(MatchOp::Re),
                Tok::Nre => Some(MatchOp::Nre),
                _ => None,
            };
            items.push(match op {
                Some(op) => {
                    self.advance();
                    NamedMatcher::Matcher(self.parse_matcher_value(name, op)?.0)
                }
                None => NamedMatcher::Name(name),
            });
            if !self.eat(&Tok::Comma) {
                return Ok(items);
            }
        }
    }

    /// `unwrap label` or `unwrap conversion(label)`, then `| label filter` stages. The current
    /// token is `unwrap`.
    fn parse_unwrap(&mut self) -> PResult<Unwrap> {
        self.advance();
        let conversion = match self.peek_tok() {
            Tok::Ident(word) if self.peek_nth(1) == &Tok::LParen => {
                Some(match word.to_ascii_lowercase().as_str() {
                    "bytes" => UnwrapConversion::Bytes,
                    "duration" => UnwrapConversion::Duration,
                    "duration_seconds" => UnwrapConversion::DurationSeconds,
                    _ => {
                        return Err(RawError::new(
                            self.peek().start,
                            format!(
                                "unknown unwrap conversion \"{word}\" (expected bytes, duration \
                                 or duration_seconds)"
                            ),
                        ));
                    }
                })
            }
            _ => None,
        };
        let label = match conversion {
            Some(conversion) => {
                self.advance();
                self.advance();
                let (label, _) =
                    self.expect_ident(&format!("a label name inside \"{}(\"", conversion.name()))?;
                self.expect(&Tok::RParen, "\")\" after the label name")?;
                label
            }
            None => self.expect_ident("a label name after \"unwrap\"")?.0,
        };
        let mut post_filters = Vec::new();
        loop {
            let next = self.peek_nth(1);
            let is_stage = is_stage_keyword(next) && !is_filter_operator(self.peek_nth(2));
            if line_filter_op(self.peek_tok()).is_some() || (self.at(&Tok::Pipe) && is_stage) {
                let at = if self.at(&Tok::Pipe) { 1 } else { 0 };
                let token = &self.tokens[(self.pos + at).min(self.tokens.len() - 1)];
                return Err(RawError::new(
                    token.start,
                    format!(
                        "only label filters such as __error__=\"\" are allowed after unwrap, found {}",
                        crate::lexer::describe(self.src, token)
                    ),
                ));
            }
            if !self.eat(&Tok::Pipe) {
                break;
            }
            if !matches!(self.peek_tok(), Tok::Ident(_) | Tok::LParen) {
                return Err(self.expected("a label filter such as __error__=\"\" after unwrap"));
            }
            post_filters.push(self.parse_label_filter()?);
        }
        Ok(Unwrap {
            label,
            conversion,
            post_filters,
        })
    }

    /// A label filter expression. `and` binds tighter than `or`; a `,` or a juxtaposed filter
    /// means `and` with everything after it as the right operand (Loki's grammar resolves those
    /// by shifting), so `a or b, c` is `a or (b and c)`. Built iteratively: segments separated
    /// by `,`/juxtaposition, each an and/or chain whose last operand is and-ed with the rest.
    pub(super) fn parse_label_filter(&mut self) -> PResult<LabelFilterExpr> {
        let mut segments: Vec<(Vec<LabelFilterExpr>, Vec<bool>)> = vec![(Vec::new(), Vec::new())];
        loop {
            let primary = self.parse_label_filter_primary()?;
            let Some((primaries, ands)) = segments.last_mut() else {
                unreachable!("there is always a current segment");
            };
            primaries.push(primary);
            let at = self.peek().start;
            if self.at_kw("and") || self.at_kw("or") {
                ands.push(self.at_kw("and"));
                self.count_operator(at)?;
                self.advance();
            } else if matches!(self.peek_tok(), Tok::Comma | Tok::Ident(_) | Tok::LParen) {
                self.count_operator(at)?;
                self.eat(&Tok::Comma);
                segments.push((Vec::new(), Vec::new()));
            } else {
                break;
            }
        }
        let mut rest: Option<LabelFilterExpr> = None;
        for (mut primaries, ands) in segments.into_iter().rev() {
            if let Some(rest) = rest.take()
                && let Some(last) = primaries.pop()
            {
                primaries.push(LabelFilterExpr::And(Box::new(last), Box::new(rest)));
            }
            rest = Some(assemble(primaries, ands));
        }
        Ok(rest.unwrap_or_else(|| unreachable!("at least one segment")))
    }

    /// `( filter )` or `label op value`.
    fn parse_label_filter_primary(&mut self) -> PResult<LabelFilterExpr> {
        if self.eat(&Tok::LParen) {
            self.enter()?;
            let inner = self.parse_label_filter()?;
            self.expect(&Tok::RParen, "\")\", \"and\" or \"or\"")?;
            self.leave();
            return Ok(inner);
        }
        let (label, _) = self.expect_ident("a label filter such as level=\"error\"")?;
        let op_tok = self.peek_tok().clone();
        let op = match op_tok {
            Tok::Re | Tok::Nre => {
                self.advance();
                let op = if op_tok == Tok::Re {
                    MatchOp::Re
                } else {
                    MatchOp::Nre
                };
                return Ok(LabelFilterExpr::String(
                    self.parse_matcher_value(label, op)?.0,
                ));
            }
            Tok::Eq | Tok::EqEq => ComparisonOp::Eq,
            Tok::Neq => ComparisonOp::Neq,
            Tok::Gt => ComparisonOp::Gt,
            Tok::Gte => ComparisonOp::Gte,
            Tok::Lt => ComparisonOp::Lt,
            Tok::Lte => ComparisonOp::Lte,
            _ => {
                return Err(self.expected(&format!(
                    "a comparison operator (=, !=, =~, !~, ==, >, >=, <, <=) after label name \
                     \"{label}\""
                )));
            }
        };
        let op_text = &self.src[self.peek().start..self.peek().end];
        let op_text = op_text.to_string();
        self.advance();
        let string_op = matches!(op_tok, Tok::Eq | Tok::Neq);
        match self.peek_tok() {
            Tok::Str(_) if string_op => {
                let op = if op_tok == Tok::Eq {
                    MatchOp::Eq
                } else {
                    MatchOp::Neq
                };
                Ok(LabelFilterExpr::String(
                    self.parse_matcher_value(label, op)?.0,
                ))
            }
            Tok::Ident(word) if string_op && word.eq_ignore_ascii_case("ip") => {
                let negated = op_tok == Tok::Neq;
                let pattern = self.parse_ip_call()?;
                Ok(LabelFilterExpr::Ip {
                    label,
                    negated,
                    pattern,
                })
            }
            _ => self.parse_filter_value(label, op, &op_text, string_op),
        }
    }

    /// The number, duration or byte size after a comparison in a label filter.
    fn parse_filter_value(
        &mut self,
        label: String,
        op: ComparisonOp,
        op_text: &str,
        string_op: bool,
    ) -> PResult<LabelFilterExpr> {
        let sign = matches!(self.peek_tok(), Tok::Plus | Tok::Minus).then(|| self.advance());
        let negative = sign.as_ref().is_some_and(|s| s.tok == Tok::Minus);
        let token = self.peek().clone();
        match token.tok {
            Tok::Number(value) => {
                self.advance();
                let value = if negative { -value } else { value };
                Ok(LabelFilterExpr::Number { label, op, value })
            }
            Tok::Unit(text) => {
                self.advance();
                if let Some(nanos) = parse_duration(&text) {
                    let nanos = if negative { -nanos } else { nanos };
                    return Ok(LabelFilterExpr::Duration { label, op, nanos });
                }
                if let Some(bytes) = parse_bytes(&text) {
                    if let Some(sign) = sign.filter(|_| negative) {
                        return Err(RawError::new(sign.start, "a byte size cannot be negative"));
                    }
                    return Ok(LabelFilterExpr::Bytes { label, op, bytes });
                }
                Err(RawError::new(
                    token.start,
                    format!(
                        "invalid duration or byte size \"{text}\" (durations look like 1m30s or \
                         250ms, byte sizes like 20MB or 1KiB)"
                    ),
                ))
            }
            Tok::Str(_) if sign.is_none() => Err(self.expected(&format!(
                "a number, duration or byte size after \"{op_text}\" (strings can only be \
                 compared with =, !=, =~ and !~)"
            ))),
            _ if sign.is_some() => Err(self.expected("a number or duration after the sign")),
            _ if string_op => Err(self.expected(&format!(
                "a string, number, duration, byte size or ip(\"...\") after \"{op_text}\""
            ))),
            _ => Err(self.expected(&format!(
                "a number, duration or byte size after \"{op_text}\""
            ))),
        }
    }
}

/// Combines one segment's operands: `and` before `or`, both left-associative.
fn assemble(primaries: Vec<LabelFilterExpr>, ands: Vec<bool>) -> LabelFilterExpr {
    let mut operands = primaries.into_iter();
    let mut current = operands
        .next()
        .unwrap_or_else(|| unreachable!("a segment has at least one operand"));
    let mut or_terms = Vec::new();
    for (is_and, next) in ands.into_iter().zip(operands) {
        if is_and {
            current = LabelFilterExpr::And(Box::new(current), Box::new(next));
        } else {
            or_terms.push(std::mem::replace(&mut current, next));
        }
    }
    or_terms.push(current);
    let mut terms = or_terms.into_iter();
    let first = terms
        .next()
        .unwrap_or_else(|| unreachable!("at least one term"));
    terms.fold(first, |left, right| {
        LabelFilterExpr::Or(Box::new(left), Box::new(right))
    })
}
