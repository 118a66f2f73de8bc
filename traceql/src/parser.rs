//! Recursive-descent parser for queries, spanset expressions, pipelines, metrics and hints.
//! Field expressions (inside `{ }`) are parsed by precedence climbing in `field.rs`.
//!
//! Spanset operator precedence, loosest first: `||`, `&&`, structural operators (`> < >> << ~`
//! and their `&` / `!` variants); all left-associative. `|` binds looser than all of them.

use crate::ast::*;
use crate::error::RawError;
use crate::lexer::{Tok, Token, describe};

pub(crate) type PResult<T> = Result<T, RawError>;

/// Metrics function names; after a `|` they start the metrics part of a query.
const METRICS_FUNCTIONS: [&str; 9] = [
    "rate",
    "count_over_time",
    "sum_over_time",
    "min_over_time",
    "max_over_time",
    "avg_over_time",
    "quantile_over_time",
    "histogram_over_time",
    "compare",
];

/// Maximum depth of recursive parsing (parentheses, unary chains, `^` chains); each
/// parenthesised field expression costs about two levels.
pub(crate) const MAX_NESTING: u32 = 128;

/// Maximum number of operators (binary, unary and spanset) in one query. Together with
/// [`MAX_NESTING`] this bounds the depth of the tree, so that parsing, printing, dropping and
/// evaluating it cannot overflow the stack.
pub(crate) const MAX_OPERATORS: u32 = 1000;

/// Parser state over a token vector that always ends with `Tok::Eof`.
pub(crate) struct Parser<'a> {
    pub(crate) src: &'a str,
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

    /// Enters one level of recursion; fails when the query nests too deeply.
    pub(crate) fn enter(&mut self) -> PResult<()> {
        self.nesting += 1;
        if self.nesting > MAX_NESTING {
            return Err(RawError::new(
                self.peek().start,
                "the query is nested too deeply",
            ));
        }
        Ok(())
    }

    /// Leaves a level entered with [`Parser::enter`].
    pub(crate) fn leave(&mut self) {
        self.nesting -= 1;
    }

    /// Counts one operator at byte `at`; fails when the query has too many.
    pub(crate) fn count_operator(&mut self, at: usize) -> PResult<()> {
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

    pub(crate) fn peek(&self) -> &Token {
        &self.tokens[self.pos]
    }

    pub(crate) fn peek_tok(&self) -> &Tok {
        &self.tokens[self.pos].tok
    }

    pub(crate) fn peek_nth(&self, n: usize) -> &Tok {
        let i = (self.pos + n).min(self.tokens.len() - 1);
        &self.tokens[i].tok
    }

    pub(crate) fn advance(&mut self) -> Token {
        let token = self.tokens[self.pos].clone();
        if self.pos + 1 < self.tokens.len() {
            self.pos += 1;
        }
        token
    }

    pub(crate) fn at(&self, tok: &Tok) -> bool {
        self.peek_tok() == tok
    }

    pub(crate) fn at_word(&self, word: &str) -> bool {
        matches!(self.peek_tok(), Tok::Word(w) if w == word)
    }

    pub(crate) fn eat(&mut self, tok: &Tok) -> bool {
        if self.at(tok) {
            self.advance();
            true
        } else {
            false
        }
    }

    /// An error at the next token: "expected {expected}, found {token}".
    pub(crate) fn expected(&self, expected: &str) -> RawError {
        let token = self.peek();
        RawError::new(
            token.start,
            format!("expected {expected}, found {}", describe(self.src, token)),
        )
    }

    pub(crate) fn expect(&mut self, tok: &Tok, expected: &str) -> PResult<Token> {
        if self.at(tok) {
            Ok(self.advance())
        } else {
            Err(self.expected(expected))
        }
    }

    pub(crate) fn text(&self, token: &Token) -> &'a str {
        &self.src[token.start..token.end]
    }

    // ---- query ---------------------------------------------------------------------------

    /// `query := spanset_expr ("|" stage)* ["|" metrics] hints EOF`
    pub(crate) fn parse_query(&mut self) -> PResult<Query> {
        if self.at(&Tok::Eof) {
            return Err(RawError::new(
                self.peek().start,
                "empty query: expected a spanset filter such as '{ }'",
            ));
        }
        let expression = self.parse_spanset_expr()?;
        let mut pipeline = Vec::new();
        let mut metrics = None;
        while self.eat(&Tok::Pipe) {
            if self.at_metrics_function() {
                metrics = Some(self.parse_metrics()?);
                if self.at(&Tok::Pipe) {
                    self.advance();
                    return Err(self.expected(
                        "topk() or bottomk() (the only stages allowed after a metrics function)",
                    ));
                }
                break;
            }
            pipeline.push(self.parse_stage()?);
        }
        let hints = self.parse_hints()?;
        if !self.at(&Tok::Eof) {
            let what = if metrics.is_some() {
                "end of query"
            } else {
                "'|', a spanset operator, 'with' or the end of the query"
            };
            return Err(self.expected(what));
        }
        Ok(Query {
            expression,
            pipeline,
            metrics,
            hints,
        })
    }

    fn at_metrics_function(&self) -> bool {
        matches!(self.peek_tok(), Tok::Word(w) if METRICS_FUNCTIONS.contains(&w.as_str()))
    }

    // ---- spanset expressions -------------------------------------------------------------

    /// `spanset_expr := and ("||" and)*`
    pub(crate) fn parse_spanset_expr(&mut self) -> PResult<SpansetExpression> {
        let mut left = self.parse_spanset_and()?;
        while self.at(&Tok::OrOr) {
            let op = self.advance();
            self.count_operator(op.start)?;
            let right = self.parse_spanset_and()?;
            left = spanset_binary(SpansetOperator::Or, left, right);
        }
        Ok(left)
    }

    fn parse_spanset_and(&mut self) -> PResult<SpansetExpression> {
        let mut left = self.parse_spanset_structural()?;
        while self.at(&Tok::AndAnd) {
            let op = self.advance();
            self.count_operator(op.start)?;
            let right = self.parse_spanset_structural()?;
            left = spanset_binary(SpansetOperator::And, left, right);
        }
        Ok(left)
    }

    fn parse_spanset_structural(&mut self) -> PResult<SpansetExpression> {
        let mut left = self.parse_spanset_primary()?;
        while let Some(op) = structural_operator(self.peek_tok()) {
            let token = self.advance();
            self.count_operator(token.start)?;
            let right = self.parse_spanset_primary()?;
            left = spanset_binary(op, left, right);
        }
        Ok(left)
    }

    /// `{ ... }` or `( spanset_expr ("|" stage)* )`.
    fn parse_spanset_primary(&mut self) -> PResult<SpansetExpression> {
        match self.peek_tok() {
            Tok::LBrace => self.parse_filter(),
            Tok::LParen => {
                self.advance();
                self.enter()?;
                let input = self.parse_spanset_expr()?;
                let mut stages = Vec::new();
                while self.eat(&Tok::Pipe) {
                    if self.at_metrics_function() {
                        return Err(RawError::new(
                            self.peek().start,
                            "metrics functions are only allowed at the end of the query, not \
                             inside parentheses",
                        ));
                    }
                    stages.push(self.parse_stage()?);
                }
                self.expect(&Tok::RParen, "')', '|' or a spanset operator")?;
                self.leave();
                Ok(if stages.is_empty() {
                    input
                } else {
                    SpansetExpression::Pipeline {
                        input: Box::new(input),
                        stages,
                    }
                })
            }
            _ => Err(self.expected("a spanset filter '{'")),
        }
    }

    /// `{ }` or `{ field_expr }`.
    pub(crate) fn parse_filter(&mut self) -> PResult<SpansetExpression> {
        self.expect(&Tok::LBrace, "a spanset filter '{'")?;
        if self.eat(&Tok::RBrace) {
            return Ok(SpansetExpression::match_all());
        }
        let body = self.parse_condition()?;
        self.expect(&Tok::RBrace, "'}' or an operator")?;
        Ok(SpansetExpression::Filter(body))
    }

    // ---- pipeline stages -----------------------------------------------------------------

    fn parse_stage(&mut self) -> PResult<PipelineStage> {
        let stage_expected = "a pipeline stage (a spanset filter, by(), select(), coalesce(), \
                              an aggregate such as count(), or a metrics function)";
        let word = match self.peek_tok() {
            Tok::LBrace | Tok::LParen => {
                return Ok(PipelineStage::Filter(self.parse_spanset_expr()?));
            }
            Tok::Int(_) | Tok::Float(_) | Tok::Duration(_) | Tok::Minus => {
                let (value, _) = self.parse_scalar_value()?;
                let op = self.parse_scalar_comparison()?;
                let aggregate = self.parse_aggregate()?;
                return Ok(PipelineStage::ScalarFilter {
                    aggregate,
                    op: op.flipped(),
                    value,
                });
            }
            Tok::Word(w) => w.clone(),
            _ => return Err(self.expected(stage_expected)),
        };
        match word.as_str() {
            "by" => {
                self.advance();
                Ok(PipelineStage::By(self.parse_field_list("by", false)?))
            }
            "select" => {
                self.advance();
                Ok(PipelineStage::Select(
                    self.parse_field_list("select", true)?,
                ))
            }
            "coalesce" => {
                self.advance();
                self.expect(&Tok::LParen, "'(' after 'coalesce'")?;
                self.expect(&Tok::RParen, "')' (coalesce() takes no arguments)")?;
                Ok(PipelineStage::Coalesce)
            }
            "count" | "avg" | "min" | "max" | "sum" => {
                let aggregate = self.parse_aggregate()?;
                let op = self.parse_scalar_comparison()?;
                let (value, _) = self.parse_scalar_value()?;
                Ok(PipelineStage::ScalarFilter {
                    aggregate,
                    op,
                    value,
                })
            }
            "topk" | "bottomk" => Err(RawError::new(
                self.peek().start,
                format!("{word}() must follow a metrics function such as rate()"),
            )),
            _ => Err(self.expected(stage_expected)),
        }
    }

    /// `( expr, ... )` for `by` and `select`; `fields_only` restricts entries to fields.
    fn parse_field_list(&mut self, name: &str, fields_only: bool) -> PResult<Vec<FieldExpression>> {
        self.expect(&Tok::LParen, &format!("'(' after '{name}'"))?;
        let mut list = Vec::new();
        loop {
            if fields_only {
                list.push(self.parse_field_reference(None)?);
            } else {
                list.push(self.parse_field_expr()?.expr);
            }
            if !self.eat(&Tok::Comma) {
                break;
            }
        }
        self.expect(&Tok::RParen, "',' or ')'")?;
        Ok(list)
    }

    /// An attribute or intrinsic. With `numeric_for = Some(f)`, intrinsics known not to be
    /// numeric are rejected (they can't feed `f`).
    pub(crate) fn parse_field_reference(
        &mut self,
        numeric_for: Option<&str>,
    ) -> PResult<FieldExpression> {
        let token = self.peek().clone();
        let field = match &token.tok {
            Tok::Attr(scope, name) => FieldExpression::Attribute(Attribute {
                scope: *scope,
                name: name.clone(),
            }),
            Tok::Intrinsic(i) => FieldExpression::Intrinsic(*i),
            Tok::Word(w) => match Intrinsic::from_unscoped(w) {
                Some(i) => FieldExpression::Intrinsic(i),
                None => {
                    return Err(self.expected("an attribute (such as span.foo) or an intrinsic"));
                }
            },
            _ => return Err(self.expected("an attribute (such as span.foo) or an intrinsic")),
        };
        if let (Some(function), FieldExpression::Intrinsic(i)) = (numeric_for, &field)
            && !crate::field::intrinsic_is_numeric(*i)
        {
            return Err(RawError::new(
                token.start,
                format!(
                    "{function}() needs a numeric field, but '{}' is not numeric",
                    self.text(&token)
                ),
            ));
        }
        self.advance();
        Ok(field)
    }

    /// `count()`, `avg(expr)`, `min(expr)`, `max(expr)`, `sum(expr)`.
    fn parse_aggregate(&mut self) -> PResult<Aggregate> {
        let function = match self.peek_tok() {
            Tok::Word(w) => match w.as_str() {
                "count" => AggregateFunction::Count,
                "avg" => AggregateFunction::Avg,
                "min" => AggregateFunction::Min,
                "max" => AggregateFunction::Max,
                "sum" => AggregateFunction::Sum,
                _ => return Err(self.expected("an aggregate (count, avg, min, max or sum)")),
            },
            _ => return Err(self.expected("an aggregate (count, avg, min, max or sum)")),
        };
        let name = function.as_str();
        self.advance();
        self.expect(&Tok::LParen, &format!("'(' after '{name}'"))?;
        if function == AggregateFunction::Count {
            self.expect(&Tok::RParen, "')' (count() takes no arguments)")?;
            return Ok(Aggregate {
                function,
                field: None,
            });
        }
        if self.at(&Tok::RParen) {
            return Err(self.expected(&format!("a field to aggregate in {name}()")));
        }
        let field = self.parse_field_expr()?;
        if !field.ty.may_be_numeric() {
            return Err(RawError::new(
                field.start,
                format!(
                    "{name}() needs a numeric expression, but this is {}",
                    field.ty.describe()
                ),
            ));
        }
        self.expect(&Tok::RParen, "')' or an operator")?;
        Ok(Aggregate {
            function,
            field: Some(field.expr),
        })
    }

    /// `= != > >= < <=` in a scalar filter.
    fn parse_scalar_comparison(&mut self) -> PResult<ComparisonOp> {
        let op = match self.peek_tok() {
            Tok::Eq => ComparisonOp::Eq,
            Tok::NotEq => ComparisonOp::NotEq,
            Tok::Gt => ComparisonOp::Gt,
            Tok::Gte => ComparisonOp::Gte,
            Tok::Lt => ComparisonOp::Lt,
            Tok::Lte => ComparisonOp::Lte,
            _ => {
                let previous = &self.tokens[self.pos.saturating_sub(1)];
                let after = describe(self.src, previous);
                return Err(self.expected(&format!(
                    "a comparison operator (=, !=, >, >=, <, <=) after {after}"
                )));
            }
        };
        self.advance();
        Ok(op)
    }

    /// An optionally negative integer, float or duration literal; also returns it as `f64`
    /// (durations in nanoseconds).
    pub(crate) fn parse_scalar_value(&mut self) -> PResult<(Literal, f64)> {
        let after = describe(self.src, &self.tokens[self.pos.saturating_sub(1)]);
        let negative = self.at(&Tok::Minus);
        let start = self.peek().start;
        if negative {
            self.advance();
        }
        let literal = match self.peek_tok().clone() {
            Tok::Int(m) => Literal::Int(int_literal(m, negative, start, self.src)?),
            Tok::Float(f) => Literal::Float(if negative { -f } else { f }),
            Tok::Duration(d) => Literal::Duration(if negative { -d } else { d }),
            _ if negative => return Err(self.expected("a number or duration after '-'")),
            _ => return Err(self.expected(&format!("a number or duration after {after}"))),
        };
        self.advance();
        let value = match literal {
            Literal::Int(i) => i as f64,
            Literal::Float(f) => f,
            Literal::Duration(d) => d as f64,
            _ => unreachable!("only numbers are produced above"),
        };
        Ok((literal, value))
    }
}

/// Converts an integer magnitude (and sign) into an `i64`, accepting `-9223372036854775808`.
pub(crate) fn int_literal(magnitude: u64, negative: bool, start: usize, src: &str) -> PResult<i64> {
    let value = if negative {
        -(magnitude as i128)
    } else {
        magnitude as i128
    };
    i64::try_from(value).map_err(|_| {
        let text: String = src[start..]
            .chars()
            .take_while(|c| !c.is_whitespace())
            .collect();
        RawError::new(start, format!("integer literal '{text}' is out of range"))
    })
}

fn spanset_binary(
    op: SpansetOperator,
    left: SpansetExpression,
    right: SpansetExpression,
) -> SpansetExpression {
    SpansetExpression::Binary {
        op,
        left: Box::new(left),
        right: Box::new(right),
    }
}

fn structural_operator(tok: &Tok) -> Option<SpansetOperator> {
    use SpansetOperator::*;
    Some(match tok {
        Tok::Gt => Child,
        Tok::Lt => Parent,
        Tok::Desc => Descendant,
        Tok::Ance => Ancestor,
        Tok::Tilde => Sibling,
        Tok::UnionChild => UnionChild,
        Tok::UnionParent => UnionParent,
        Tok::UnionDesc => UnionDescendant,
        Tok::UnionAnce => UnionAncestor,
        Tok::UnionSibl => UnionSibling,
        Tok::NotChild => NotChild,
        Tok::NotParent => NotParent,
        Tok::NotDesc => NotDescendant,
        Tok::NotAnce => NotAncestor,
        Tok::NotRegex => NotSibling,
        _ => return None,
    })
}
