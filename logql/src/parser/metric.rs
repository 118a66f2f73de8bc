//! Metric expressions: binary operators by precedence climbing, aggregations, log ranges,
//! literals, `vector()` and `label_replace()`.

use super::{PResult, Parser, is_kw};
use crate::ast::*;
use crate::error::RawError;
use crate::lexer::Tok;
use crate::units::{parse_duration, parse_prometheus_duration};
use crate::validate;

const METRIC_EXPECTED: &str = "a metric expression (such as rate({app=\"foo\"}[5m]), \
                               sum(...), a number or vector(0))";

/// A log range being parsed, with the range still optional.
struct RangeParts {
    log: LogExpr,
    unwrap: Option<(Unwrap, usize)>,
    range: Option<(i64, i64)>,
}

impl Parser<'_> {
    /// `metric_expr := binary(0)`.
    pub(super) fn parse_metric_expr(&mut self) -> PResult<MetricExpr> {
        self.parse_binary(0)
    }

    /// The binary operator at the current token, if any.
    pub(super) fn binary_op(&self) -> Option<BinaryOp> {
        Some(match self.peek_tok() {
            Tok::Plus => BinaryOp::Add,
            Tok::Minus => BinaryOp::Sub,
            Tok::Star => BinaryOp::Mul,
            Tok::Slash => BinaryOp::Div,
            Tok::Percent => BinaryOp::Mod,
            Tok::Caret => BinaryOp::Pow,
            Tok::EqEq => BinaryOp::Eq,
            Tok::Neq => BinaryOp::Neq,
            Tok::Gt => BinaryOp::Gt,
            Tok::Gte => BinaryOp::Gte,
            Tok::Lt => BinaryOp::Lt,
            Tok::Lte => BinaryOp::Lte,
            tok if is_kw(tok, "or") => BinaryOp::Or,
            tok if is_kw(tok, "and") => BinaryOp::And,
            tok if is_kw(tok, "unless") => BinaryOp::Unless,
            _ => return None,
        })
    }

    /// Precedence climbing over operators binding at least as tightly as `min_precedence`.
    fn parse_binary(&mut self, min_precedence: u8) -> PResult<MetricExpr> {
        let left_start = self.peek().start;
        let mut left = self.parse_metric_primary()?;
        while let Some(op) = self.binary_op() {
            let precedence = op.precedence();
            if precedence < min_precedence {
                break;
            }
            let op_start = self.advance().start;
            self.count_operator(op_start)?;
            let (return_bool, matching) = self.parse_binary_modifiers(op)?;
            let right_start = self.peek().start;
            let right = if op == BinaryOp::Pow {
                // Right-associative: recursion depth grows with the chain.
                self.enter()?;
                let right = self.parse_binary(precedence)?;
                self.leave();
                right
            } else {
                self.parse_binary(precedence + 1)?
            };
            if op.is_set() {
                for (operand, at, side) in
                    [(&left, left_start, "left"), (&right, right_start, "right")]
                {
                    if operand.is_literal() {
                        return Err(RawError::new(
                            at,
                            format!(
                                "unexpected number as the {side} operand of \"{}\": set \
                                 operators (and, or, unless) work on vectors only",
                                op.as_str()
                            ),
                        ));
                    }
                }
            }
            left = MetricExpr::Binary(BinaryExpr {
                op,
                left: Box::new(left),
                right: Box::new(right),
                return_bool,
                matching,
            });
        }
        Ok(left)
    }

    /// `[bool] [on|ignoring (labels) [group_left|group_right [(labels)]]]` after an operator.
    fn parse_binary_modifiers(&mut self, op: BinaryOp) -> PResult<(bool, Option<VectorMatching>)> {
        let return_bool = self.at_kw("bool");
        if return_bool {
            if !op.is_comparison() {
                return Err(RawError::new(
                    self.peek().start,
                    format!(
                        "the bool modifier is only allowed on comparison operators, not \"{}\"",
                        op.as_str()
                    ),
                ));
            }
            self.advance();
        }
        let on = self.at_kw("on");
        if !on && !self.at_kw("ignoring") {
            return Ok((return_bool, None));
        }
        self.advance();
        let labels = self.parse_label_list(if on { "on" } else { "ignoring" })?;
        let left = self.at_kw("group_left");
        let group = if left || self.at_kw("group_right") {
            if op.is_set() {
                return Err(RawError::new(
                    self.peek().start,
                    format!(
                        "group_left and group_right are not allowed with the set operator \"{}\"",
                        op.as_str()
                    ),
                ));
            }
            self.advance();
            let name = if left { "group_left" } else { "group_right" };
            let include = if self.at(&Tok::LParen) {
                self.parse_label_list(name)?
            } else {
                Vec::new()
            };
            Some(if left {
                GroupModifier::Left(include)
            } else {
                GroupModifier::Right(include)
            })
        } else {
            None
        };
        Ok((return_bool, Some(VectorMatching { on, labels, group })))
    }

    /// A number, a parenthesised expression or a function call.
    fn parse_metric_primary(&mut self) -> PResult<MetricExpr> {
        let token = self.peek().clone();
        match &token.tok {
            Tok::Number(value) => {
                self.advance();
                Ok(MetricExpr::Literal(*value))
            }
            Tok::Plus | Tok::Minus => Ok(MetricExpr::Literal(self.parse_signed_number()?)),
            Tok::LParen => {
                self.advance();
                self.enter()?;
                let inner = self.parse_binary(0)?;
                self.expect(&Tok::RParen, "\")\" or a binary operator")?;
                self.leave();
                Ok(inner)
            }
            Tok::Ident(name) => {
                let lower = name.to_ascii_lowercase();
                let call = self.peek_nth(1) == &Tok::LParen;
                let grouped = is_kw(self.peek_nth(1), "by") || is_kw(self.peek_nth(1), "without");
                if let Some(op) = RangeOp::from_name(&lower).filter(|_| call) {
                    return self.parse_range_aggregation(op);
                }
                if let Some(op) = VectorOp::from_name(&lower).filter(|_| call || grouped) {
                    return self.parse_vector_aggregation(op);
                }
                match lower.as_str() {
                    "vector" if call => self.parse_vector(),
                    "label_replace" if call => self.parse_label_replace(),
                    _ if call => Err(RawError::new(
                        token.start,
                        format!("unknown function \"{name}\""),
                    )),
                    _ => Err(self.expected(METRIC_EXPECTED)),
                }
            }
            Tok::LBrace => Err(RawError::new(
                token.start,
                "expected a metric expression, found \"{\": a log selector can only appear \
                 inside a range aggregation such as count_over_time({app=\"foo\"}[5m])",
            )),
            _ => Err(self.expected(METRIC_EXPECTED)),
        }
    }

    /// `[+|-] number`.
    fn parse_signed_number(&mut self) -> PResult<f64> {
        let negative = self.at(&Tok::Minus);
        if matches!(self.peek_tok(), Tok::Plus | Tok::Minus) {
            self.advance();
        }
        match *self.peek_tok() {
            Tok::Number(value) => {
                self.advance();
                Ok(if negative { -value } else { value })
            }
            _ => Err(self.expected("a number after the sign")),
        }
    }

    /// `op( [param ","] log_range ) [grouping]`; the current token is the function name.
    fn parse_range_aggregation(&mut self, op: RangeOp) -> PResult<MetricExpr> {
        let name_start = self.advance().start;
        let name = op.name();
        self.advance();
        self.enter()?;
        let param_start = self.peek().start;
        let param = match *self.peek_tok() {
            Tok::Number(value) if self.peek_nth(1) == &Tok::Comma => {
                self.advance();
                self.advance();
                Some(value)
            }
            _ => None,
        };
        match (op, param) {
            (RangeOp::QuantileOverTime, None) => {
                return Err(RawError::new(
                    param_start,
                    "quantile_over_time needs a quantile first, as in \
                     quantile_over_time(0.99, {app=\"foo\"} | unwrap latency [5m])",
                ));
            }
            (RangeOp::QuantileOverTime, Some(_)) | (_, None) => {}
            (_, Some(_)) => {
                return Err(RawError::new(
                    param_start,
                    format!("{name} does not take a parameter"),
                ));
            }
        }
        let parts = self.parse_log_range_operand()?;
        let Some((range_nanos, offset_nanos)) = parts.range else {
            return Err(self.expected(&format!(
                "a range such as [5m] after the log selection in {name}()"
            )));
        };
        self.expect(&Tok::RParen, &format!("\")\" to close {name}("))?;
        self.leave();
        let grouping = self.parse_grouping()?;
        match (op.unwrap(), &parts.unwrap) {
            (UnwrapRule::Required, None) => {
                return Err(RawError::new(
                    name_start,
                    format!(
                        "{name} needs an unwrapped range: add \"| unwrap <label>\" before the \
                         range, as in {name}({{app=\"foo\"}} | unwrap latency [5m])"
                    ),
                ));
            }
            (UnwrapRule::Forbidden, Some((_, at))) => {
                return Err(RawError::new(
                    *at,
                    format!("{name} cannot be used with unwrap"),
                ));
            }
            _ => {}
        }
        if let (Some((_, at)), None) = (&grouping, &parts.unwrap) {
            return Err(RawError::new(
                *at,
                format!(
                    "grouping (by/without) is not allowed for {name} without unwrap; wrap it in \
                     a vector aggregation such as sum by (...) ({name}(...))"
                ),
            ));
        }
        Ok(MetricExpr::RangeAggregation(RangeAggregation {
            op,
            param,
            range: LogRange {
                log: parts.log,
                unwrap: parts.unwrap.map(|(unwrap, _)| unwrap),
                range_nanos,
                offset_nanos,
            },
            grouping: grouping.map(|(grouping, _)| grouping),
        }))
    }

    /// A log range with the range optional: `selector [range] pipeline [unwrap] [range]` or
    /// `( log range )` followed by a range when the inside had none.
    fn parse_log_range_operand(&mut self) -> PResult<RangeParts> {
        if self.eat(&Tok::LParen) {
            self.enter()?;
            let mut inner = self.parse_log_range_operand()?;
            self.expect(&Tok::RParen, "\")\"")?;
            self.leave();
            if inner.range.is_none() && matches!(self.peek_tok(), Tok::Range(_)) {
                inner.range = Some(self.parse_range()?);
            }
            return Ok(inner);
        }
        if !self.at(&Tok::LBrace) {
            return Err(self.expected("a log selection such as {app=\"foo\"}[5m]"));
        }
        let selector = self.parse_selector()?;
        let mut range = None;
        if matches!(self.peek_tok(), Tok::Range(_)) {
            range = Some(self.parse_range()?);
        }
        let (pipeline, unwrap) = self.parse_pipeline(true)?;
        if matches!(self.peek_tok(), Tok::Range(_)) {
            if range.is_some() {
                return Err(RawError::new(
                    self.peek().start,
                    "the range was already given after the stream selector",
                ));
            }
            range = Some(self.parse_range()?);
        }
        Ok(RangeParts {
            log: LogExpr { selector, pipeline },
            unwrap,
            range,
        })
    }

    /// `[duration] [offset duration]`; returns `(range, offset)` in nanoseconds.
    fn parse_range(&mut self) -> PResult<(i64, i64)> {
        let token = self.advance();
        let Tok::Range(text) = &token.tok else {
            unreachable!("called on a range token");
        };
        let trimmed = text.trim_start();
        let at = token.start + 1 + (text.len() - trimmed.len());
        let trimmed = trimmed.trim_end();
        let range = parse_prometheus_duration(trimmed).map_err(|why| {
            RawError::new(at, format!("invalid range duration \"{trimmed}\": {why}"))
        })?;
        if !self.at_kw("offset") {
            return Ok((range, 0));
        }
        self.advance();
        let negative = self.at(&Tok::Minus);
        if negative {
            self.advance();
        }
        let Tok::Unit(text) = self.peek_tok().clone() else {
            return Err(self.expected("a duration such as 1h after \"offset\""));
        };
        let at = self.advance().start;
        let offset = parse_duration(&text).ok_or_else(|| {
            RawError::new(
                at,
                format!(
                    "invalid offset duration \"{text}\" (expected a duration such as 1h or 30m)"
                ),
            )
        })?;
        Ok((range, if negative { -offset } else { offset }))
    }

    /// `op [grouping] ( [k ","] expr ) [grouping]`; the current token is the operator name.
    fn parse_vector_aggregation(&mut self, op: VectorOp) -> PResult<MetricExpr> {
        self.advance();
        let name = op.name();
        let src = self.src;
        let mut grouping = self.parse_grouping()?;
        self.expect(&Tok::LParen, &format!("\"(\" after {name}"))?;
        self.enter()?;
        let param_token = self.peek().clone();
        let param_text = match param_token.tok {
            Tok::Number(_) if self.peek_nth(1) == &Tok::Comma => {
                self.advance();
                self.advance();
                Some(&src[param_token.start..param_token.end])
            }
            _ => None,
        };
        let param = match (op.takes_param(), param_text) {
            (true, Some(text)) => match text.parse::<u64>() {
                Ok(k) if k > 0 => Some(k),
                _ => {
                    return Err(RawError::new(
                        param_token.start,
                        format!("{name} needs a positive whole number, found \"{text}\""),
                    ));
                }
            },
            (true, None) => {
                return Err(RawError::new(
                    param_token.start,
                    format!("{name} needs a parameter first, as in {name}(10, ...)"),
                ));
            }
            (false, Some(_)) => {
                return Err(RawError::new(
                    param_token.start,
                    format!("{name} does not take a parameter"),
                ));
            }
            (false, None) => None,
        };
        let expr = self.parse_binary(0)?;
        self.expect(
            &Tok::RParen,
            &format!("\")\" to close {name}( or a binary operator"),
        )?;
        self.leave();
        if let Some((after, at)) = self.parse_grouping()? {
            if grouping.is_some() {
                return Err(RawError::new(
                    at,
                    format!("{name} already has a by/without clause before its parentheses"),
                ));
            }
            grouping = Some((after, at));
        }
        if let Some((grouping, at)) = &grouping {
            let not_allowed = match op {
                VectorOp::Sort | VectorOp::SortDesc => !grouping.labels().is_empty(),
                VectorOp::ApproxTopK => true,
                _ => false,
            };
            if not_allowed {
                return Err(RawError::new(
                    *at,
                    format!("{name} does not support grouping with by or without"),
                ));
            }
        }
        Ok(MetricExpr::VectorAggregation(VectorAggregation {
            op,
            param,
            expr: Box::new(expr),
            grouping: grouping.map(|(grouping, _)| grouping),
        }))
    }

    /// `vector(number)`.
    fn parse_vector(&mut self) -> PResult<MetricExpr> {
        self.advance();
        self.advance();
        let value = match self.peek_tok() {
            Tok::Number(_) | Tok::Plus | Tok::Minus => self.parse_signed_number()?,
            _ => return Err(self.expected("a number inside vector(")),
        };
        self.expect(&Tok::RParen, "\")\" to close vector(")?;
        Ok(MetricExpr::Vector(value))
    }

    /// `label_replace(expr, "dst", "replacement", "src", "regex")`.
    fn parse_label_replace(&mut self) -> PResult<MetricExpr> {
        self.advance();
        self.advance();
        self.enter()?;
        let expr = self.parse_binary(0)?;
        let mut strings = Vec::with_capacity(4);
        for what in [
            "the destination label",
            "the replacement",
            "the source label",
            "the regular expression",
        ] {
            self.expect(
                &Tok::Comma,
                &format!("\",\" before {what} of label_replace"),
            )?;
            strings.push(self.expect_string(&format!("a string with {what}"))?);
        }
        self.expect(&Tok::RParen, "\")\" to close label_replace(")?;
        self.leave();
        let [(dst, dst_at), (replacement, _), (src, _), (regex, regex_at)] =
            <[(String, usize); 4]>::try_from(strings)
                .unwrap_or_else(|_| unreachable!("four strings were read"));
        if !validate::is_label_name(&dst) {
            return Err(RawError::new(
                dst_at,
                format!("invalid destination label name \"{dst}\" in label_replace"),
            ));
        }
        validate::compile_regex(&regex, true).map_err(|why| RawError::new(regex_at, why))?;
        Ok(MetricExpr::LabelReplace(LabelReplace {
            expr: Box::new(expr),
            dst,
            replacement,
            src,
            regex,
        }))
    }
}
