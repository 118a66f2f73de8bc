//! Parsing of the metrics part of a query (`| rate() by (x) | topk(5) > 1`) and of hints
//! (`with (name = value)`).

use crate::ast::*;
use crate::error::RawError;
use crate::lexer::Tok;
use crate::parser::{PResult, Parser};

impl Parser<'_> {
    // ---- metrics -------------------------------------------------------------------------

    /// `function(args) [by (fields)] ["|" topk(n) | bottomk(n)] [comparison number]`
    pub(crate) fn parse_metrics(&mut self) -> PResult<MetricsPipeline> {
        let name_token = self.advance();
        let name = self.text(&name_token).to_string();
        self.expect(&Tok::LParen, &format!("'(' after '{name}'"))?;
        let numeric = Some(name.as_str());
        let function = match name.as_str() {
            "rate" => MetricsFunction::Rate,
            "count_over_time" => MetricsFunction::CountOverTime,
            "sum_over_time" => MetricsFunction::SumOverTime(self.parse_field_reference(numeric)?),
            "min_over_time" => MetricsFunction::MinOverTime(self.parse_field_reference(numeric)?),
            "max_over_time" => MetricsFunction::MaxOverTime(self.parse_field_reference(numeric)?),
            "avg_over_time" => MetricsFunction::AvgOverTime(self.parse_field_reference(numeric)?),
            "histogram_over_time" => {
                MetricsFunction::HistogramOverTime(self.parse_field_reference(numeric)?)
            }
            "quantile_over_time" => {
                let field = self.parse_field_reference(numeric)?;
                let mut quantiles = Vec::new();
                self.expect(&Tok::Comma, "',' and at least one quantile such as .99")?;
                loop {
                    quantiles.push(self.parse_quantile()?);
                    if !self.eat(&Tok::Comma) {
                        break;
                    }
                }
                MetricsFunction::QuantileOverTime { field, quantiles }
            }
            "compare" => self.parse_compare_args()?,
            _ => unreachable!("caller checked METRICS_FUNCTIONS"),
        };
        let close = match function {
            MetricsFunction::Rate | MetricsFunction::CountOverTime => {
                format!("')' ({name}() takes no arguments)")
            }
            MetricsFunction::QuantileOverTime { .. } => "',' or ')'".to_string(),
            _ => "')'".to_string(),
        };
        self.expect(&Tok::RParen, &close)?;

        let mut by = Vec::new();
        if self.at_word("by") {
            self.advance();
            self.expect(&Tok::LParen, "'(' after 'by'")?;
            loop {
                by.push(self.parse_field_reference(None)?);
                if !self.eat(&Tok::Comma) {
                    break;
                }
            }
            self.expect(&Tok::RParen, "',' or ')'")?;
        }

        let mut second_stage = None;
        if self.at(&Tok::Pipe)
            && matches!(self.peek_nth(1), Tok::Word(w) if w == "topk" || w == "bottomk")
        {
            self.advance();
            let word = self.advance();
            let topk = self.text(&word) == "topk";
            self.expect(&Tok::LParen, &format!("'(' after '{}'", self.text(&word)))?;
            let n = match self.peek_tok() {
                Tok::Int(n) if *n > 0 => *n,
                _ => return Err(self.expected("a positive integer")),
            };
            self.advance();
            self.expect(&Tok::RParen, "')'")?;
            second_stage = Some(if topk {
                SecondStage::TopK(n)
            } else {
                SecondStage::BottomK(n)
            });
        }

        let mut comparison = None;
        let op = match self.peek_tok() {
            Tok::Eq => Some(ComparisonOp::Eq),
            Tok::NotEq => Some(ComparisonOp::NotEq),
            Tok::Gt => Some(ComparisonOp::Gt),
            Tok::Gte => Some(ComparisonOp::Gte),
            Tok::Lt => Some(ComparisonOp::Lt),
            Tok::Lte => Some(ComparisonOp::Lte),
            _ => None,
        };
        if let Some(op) = op {
            self.advance();
            let start = self.peek().start;
            let (literal, value) = self.parse_scalar_value()?;
            if matches!(literal, Literal::Duration(_)) {
                return Err(RawError::new(
                    start,
                    "metrics values are plain numbers; durations are not allowed here",
                ));
            }
            comparison = Some((op, value));
        }
        Ok(MetricsPipeline {
            function,
            by,
            second_stage,
            comparison,
        })
    }

    fn parse_quantile(&mut self) -> PResult<f64> {
        let token = self.peek().clone();
        let q = match token.tok {
            Tok::Float(f) => f,
            Tok::Int(i) => i as f64,
            _ => return Err(self.expected("a quantile between 0 and 1 such as .99")),
        };
        if !(0.0..=1.0).contains(&q) {
            return Err(RawError::new(
                token.start,
                format!(
                    "quantile must be between 0 and 1, found '{}'",
                    self.text(&token)
                ),
            ));
        }
        self.advance();
        Ok(q)
    }

    /// `compare({ filter } [, top_n [, start, end]])`, after the opening parenthesis.
    fn parse_compare_args(&mut self) -> PResult<MetricsFunction> {
        if !self.at(&Tok::LBrace) {
            return Err(self.expected("a spanset filter '{' as the first argument of compare()"));
        }
        let selection = self.parse_filter()?;
        let mut top_n = None;
        let mut time_range = None;
        if self.eat(&Tok::Comma) {
            top_n = Some(self.parse_plain_int("the number of values to return")?);
            if self.eat(&Tok::Comma) {
                let start = self.parse_plain_int("a start time in unix nanoseconds")?;
                self.expect(&Tok::Comma, "',' and an end time in unix nanoseconds")?;
                let end = self.parse_plain_int("an end time in unix nanoseconds")?;
                time_range = Some((to_i64(start), to_i64(end)));
            }
        }
        Ok(MetricsFunction::Compare {
            selection,
            top_n,
            time_range,
        })
    }

    fn parse_plain_int(&mut self, what: &str) -> PResult<u64> {
        match self.peek_tok() {
            Tok::Int(n) if *n <= i64::MAX as u64 => {
                let n = *n;
                self.advance();
                Ok(n)
            }
            _ => Err(self.expected(what)),
        }
    }

    // ---- hints ---------------------------------------------------------------------------

    /// `with (name = literal, ...)`, possibly repeated.
    pub(crate) fn parse_hints(&mut self) -> PResult<Vec<Hint>> {
        let mut hints = Vec::new();
        while self.at_word("with") {
            self.advance();
            self.expect(&Tok::LParen, "'(' after 'with'")?;
            loop {
                let name = match self.peek_tok() {
                    Tok::Word(w) => w.clone(),
                    _ => return Err(self.expected("a hint name such as most_recent")),
                };
                self.advance();
                self.expect(&Tok::Eq, &format!("'=' after the hint name '{name}'"))?;
                let value = self.parse_hint_value()?;
                hints.push(Hint { name, value });
                if !self.eat(&Tok::Comma) {
                    break;
                }
            }
            self.expect(&Tok::RParen, "',' or ')'")?;
        }
        Ok(hints)
    }

    fn parse_hint_value(&mut self) -> PResult<Literal> {
        match self.peek_tok().clone() {
            Tok::Int(_) | Tok::Float(_) | Tok::Duration(_) | Tok::Minus => {
                Ok(self.parse_scalar_value()?.0)
            }
            Tok::Str(s) => {
                self.advance();
                Ok(Literal::String(s))
            }
            Tok::Word(w) => match crate::field::keyword_literal(&w) {
                Some(literal) => {
                    self.advance();
                    Ok(literal)
                }
                None => Err(self.expected("a literal value")),
            },
            _ => Err(self.expected("a literal value")),
        }
    }
}

fn to_i64(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}
