//! Field expressions (the inside of `{ }`): precedence climbing plus a light static type check.
//!
//! Precedence, loosest first: `||` < `&&` < comparisons (`= != > >= < <= =~ !~`) < `+ -` <
//! `* / %` < `^` < unary `!` and `-`. All binary operators are left-associative except `^`.
//!
//! The type check only rejects what can never be true for any span: `{ 1 + 2 }`,
//! `{ status = 200 }`, `{ "a" && true }`, `{ span.x > nil }`, `{ name =~ span.y }`. Attributes have
//! unknown type and are compatible with everything.

use crate::ast::*;
use crate::error::RawError;
use crate::lexer::{Tok, describe};
use crate::parser::{PResult, Parser, int_literal};

/// The statically known type of a field expression.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Ty {
    Bool,
    /// Integers, floats and durations (Tempo compares them with each other).
    Number,
    String,
    Status,
    Kind,
    Nil,
    /// Attributes: any type at run time.
    Unknown,
}

impl Ty {
    pub(crate) fn describe(self) -> &'static str {
        match self {
            Ty::Bool => "a boolean",
            Ty::Number => "a number",
            Ty::String => "a string",
            Ty::Status => "a status",
            Ty::Kind => "a span kind",
            Ty::Nil => "nil",
            Ty::Unknown => "an attribute",
        }
    }

    pub(crate) fn may_be_numeric(self) -> bool {
        matches!(self, Ty::Number | Ty::Unknown)
    }

    fn may_be_bool(self) -> bool {
        matches!(self, Ty::Bool | Ty::Unknown)
    }

    fn compatible(self, other: Ty) -> bool {
        self == other
            || matches!(self, Ty::Unknown | Ty::Nil)
            || matches!(other, Ty::Unknown | Ty::Nil)
    }
}

/// A parsed field expression with its static type and the byte offset where it starts.
pub(crate) struct Typed {
    pub expr: FieldExpression,
    pub ty: Ty,
    pub start: usize,
}

/// Whether an intrinsic holds a number or duration.
pub(crate) fn intrinsic_is_numeric(intrinsic: Intrinsic) -> bool {
    intrinsic_type(intrinsic) == Ty::Number
}

fn intrinsic_type(intrinsic: Intrinsic) -> Ty {
    match intrinsic {
        Intrinsic::Status => Ty::Status,
        Intrinsic::Kind => Ty::Kind,
        Intrinsic::Duration
        | Intrinsic::ChildCount
        | Intrinsic::TraceDuration
        | Intrinsic::EventTimeSinceStart => Ty::Number,
        _ => Ty::String,
    }
}

/// The literal for a keyword (`true`, `nil`, `error`, `server`, `maxInt`, ...), if it is one.
pub(crate) fn keyword_literal(word: &str) -> Option<Literal> {
    Some(match word {
        "true" => Literal::Bool(true),
        "false" => Literal::Bool(false),
        "nil" => Literal::Nil,
        "error" => Literal::Status(Status::Error),
        "ok" => Literal::Status(Status::Ok),
        "unset" => Literal::Status(Status::Unset),
        "unspecified" => Literal::Kind(Kind::Unspecified),
        "internal" => Literal::Kind(Kind::Internal),
        "server" => Literal::Kind(Kind::Server),
        "client" => Literal::Kind(Kind::Client),
        "producer" => Literal::Kind(Kind::Producer),
        "consumer" => Literal::Kind(Kind::Consumer),
        "minInt" => Literal::Int(i64::MIN),
        "maxInt" => Literal::Int(i64::MAX),
        _ => return None,
    })
}

fn literal_type(literal: &Literal) -> Ty {
    match literal {
        Literal::Int(_) | Literal::Float(_) | Literal::Duration(_) => Ty::Number,
        Literal::String(_) => Ty::String,
        Literal::Bool(_) => Ty::Bool,
        Literal::Nil => Ty::Nil,
        Literal::Status(_) => Ty::Status,
        Literal::Kind(_) => Ty::Kind,
    }
}

/// Binding power and associativity of a binary operator token.
fn binary_operator(tok: &Tok) -> Option<(BinaryOperator, u8, bool)> {
    use ArithmeticOp as A;
    use BinaryOperator::{Arithmetic, Comparison, Logical};
    use ComparisonOp as C;
    Some(match tok {
        Tok::OrOr => (Logical(LogicalOp::Or), 1, false),
        Tok::AndAnd => (Logical(LogicalOp::And), 2, false),
        Tok::Eq => (Comparison(C::Eq), 3, false),
        Tok::NotEq => (Comparison(C::NotEq), 3, false),
        Tok::Gt => (Comparison(C::Gt), 3, false),
        Tok::Gte => (Comparison(C::Gte), 3, false),
        Tok::Lt => (Comparison(C::Lt), 3, false),
        Tok::Lte => (Comparison(C::Lte), 3, false),
        Tok::Regex => (Comparison(C::Regex), 3, false),
        Tok::NotRegex => (Comparison(C::NotRegex), 3, false),
        Tok::Plus => (Arithmetic(A::Add), 4, false),
        Tok::Minus => (Arithmetic(A::Sub), 4, false),
        Tok::Star => (Arithmetic(A::Mul), 5, false),
        Tok::Slash => (Arithmetic(A::Div), 5, false),
        Tok::Percent => (Arithmetic(A::Mod), 5, false),
        Tok::Caret => (Arithmetic(A::Pow), 6, true),
        _ => return None,
    })
}

/// Whether a token can begin an operand.
fn starts_operand(tok: &Tok) -> bool {
    matches!(
        tok,
        Tok::LParen
            | Tok::Minus
            | Tok::Bang
            | Tok::Int(_)
            | Tok::Float(_)
            | Tok::Duration(_)
            | Tok::Str(_)
            | Tok::Word(_)
            | Tok::Attr(..)
            | Tok::Intrinsic(_)
    )
}

impl Parser<'_> {
    /// The body of a spanset filter: a field expression that must be a condition.
    pub(crate) fn parse_condition(&mut self) -> PResult<FieldExpression> {
        let body = self.parse_field_expr()?;
        if !body.ty.may_be_bool() {
            return Err(RawError::new(
                body.start,
                format!(
                    "a spanset filter needs a condition such as 'span.foo = 1', but this is {}",
                    body.ty.describe()
                ),
            ));
        }
        Ok(body.expr)
    }

    /// A full field expression.
    pub(crate) fn parse_field_expr(&mut self) -> PResult<Typed> {
        self.parse_binary(1)
    }

    fn parse_binary(&mut self, min_precedence: u8) -> PResult<Typed> {
        self.enter()?;
        let result = self.parse_binary_inner(min_precedence);
        self.leave();
        result
    }

    fn parse_binary_inner(&mut self, min_precedence: u8) -> PResult<Typed> {
        let mut left = self.parse_unary()?;
        while let Some((op, precedence, right_assoc)) = binary_operator(self.peek_tok()) {
            if precedence < min_precedence {
                break;
            }
            let op_token = self.advance();
            self.count_operator(op_token.start)?;
            if !starts_operand(self.peek_tok()) {
                let noun = match op {
                    BinaryOperator::Logical(_) => "a condition",
                    _ => "a value",
                };
                return Err(self.expected(&format!("{noun} after '{}'", op.as_str())));
            }
            let next_min = if right_assoc {
                precedence
            } else {
                precedence + 1
            };
            let right = self.parse_binary(next_min)?;
            left = self.combine(op, op_token.start, left, right)?;
        }
        Ok(left)
    }

    /// Type-checks a binary operation and builds its node.
    fn combine(
        &self,
        op: BinaryOperator,
        op_at: usize,
        left: Typed,
        right: Typed,
    ) -> PResult<Typed> {
        let symbol = op.as_str();
        let ty = match op {
            BinaryOperator::Logical(_) => {
                for side in [&left, &right] {
                    if !side.ty.may_be_bool() {
                        return Err(RawError::new(
                            side.start,
                            format!(
                                "'{symbol}' needs conditions on both sides, but this is {}",
                                side.ty.describe()
                            ),
                        ));
                    }
                }
                Ty::Bool
            }
            BinaryOperator::Arithmetic(_) => {
                for side in [&left, &right] {
                    if !side.ty.may_be_numeric() {
                        return Err(RawError::new(
                            side.start,
                            format!(
                                "'{symbol}' needs numbers on both sides, but this is {}",
                                side.ty.describe()
                            ),
                        ));
                    }
                }
                Ty::Number
            }
            BinaryOperator::Comparison(ComparisonOp::Regex | ComparisonOp::NotRegex) => {
                let FieldExpression::Literal(Literal::String(pattern)) = &right.expr else {
                    return Err(RawError::new(
                        right.start,
                        format!(
                            "the right side of '{symbol}' must be a string literal (a regular expression)"
                        ),
                    ));
                };
                if let Err(e) = regex::Regex::new(pattern) {
                    return Err(RawError::new(
                        right.start,
                        format!("invalid regular expression: {}", regex_error_summary(&e)),
                    ));
                }
                if !matches!(left.ty, Ty::String | Ty::Unknown) {
                    return Err(RawError::new(
                        left.start,
                        format!(
                            "'{symbol}' needs a string on the left, but this is {}",
                            left.ty.describe()
                        ),
                    ));
                }
                Ty::Bool
            }
            BinaryOperator::Comparison(c) => {
                if !left.ty.compatible(right.ty) {
                    return Err(RawError::new(
                        op_at,
                        format!(
                            "cannot compare {} with {} using '{symbol}'",
                            left.ty.describe(),
                            right.ty.describe()
                        ),
                    ));
                }
                let ordering = !matches!(c, ComparisonOp::Eq | ComparisonOp::NotEq);
                if ordering && (left.ty == Ty::Nil || right.ty == Ty::Nil) {
                    return Err(RawError::new(
                        op_at,
                        format!(
                            "'{symbol}' cannot be used with nil; use '=' or '!=' to test for absence"
                        ),
                    ));
                }
                Ty::Bool
            }
        };
        Ok(Typed {
            start: left.start,
            expr: FieldExpression::Binary {
                op,
                left: Box::new(left.expr),
                right: Box::new(right.expr),
            },
            ty,
        })
    }

    fn parse_unary(&mut self) -> PResult<Typed> {
        let start = self.peek().start;
        match self.peek_tok() {
            Tok::Minus => {
                self.advance();
                // Fold `-` directly before a number or duration into the literal.
                let folded = match self.peek_tok() {
                    Tok::Int(m) => Some(Literal::Int(int_literal(*m, true, start, self.src)?)),
                    Tok::Float(f) => Some(Literal::Float(-f)),
                    Tok::Duration(d) => Some(Literal::Duration(-d)),
                    _ => None,
                };
                if let Some(literal) = folded {
                    self.advance();
                    return Ok(Typed {
                        expr: FieldExpression::Literal(literal),
                        ty: Ty::Number,
                        start,
                    });
                }
                if !starts_operand(self.peek_tok()) {
                    return Err(self.expected("a value after '-'"));
                }
                self.count_operator(start)?;
                self.enter()?;
                let operand = self.parse_unary()?;
                self.leave();
                if !operand.ty.may_be_numeric() {
                    return Err(RawError::new(
                        operand.start,
                        format!("'-' needs a number, but this is {}", operand.ty.describe()),
                    ));
                }
                Ok(unary(UnaryOperator::Negate, operand, Ty::Number, start))
            }
            Tok::Bang => {
                self.advance();
                if !starts_operand(self.peek_tok()) {
                    return Err(self.expected("a condition after '!'"));
                }
                self.count_operator(start)?;
                self.enter()?;
                let operand = self.parse_unary()?;
                self.leave();
                if !operand.ty.may_be_bool() {
                    return Err(RawError::new(
                        operand.start,
                        format!(
                            "'!' needs a condition, but this is {}",
                            operand.ty.describe()
                        ),
                    ));
                }
                Ok(unary(UnaryOperator::Not, operand, Ty::Bool, start))
            }
            _ => self.parse_primary(),
        }
    }

    fn parse_primary(&mut self) -> PResult<Typed> {
        let token = self.peek().clone();
        let start = token.start;
        let (expr, ty) = match &token.tok {
            Tok::LParen => {
                self.advance();
                let inner = self.parse_field_expr()?;
                self.expect(&Tok::RParen, "')' or an operator")?;
                return Ok(Typed { start, ..inner });
            }
            Tok::Int(m) => (
                Literal::Int(int_literal(*m, false, start, self.src)?).into(),
                Ty::Number,
            ),
            Tok::Float(f) => (Literal::Float(*f).into(), Ty::Number),
            Tok::Duration(d) => (Literal::Duration(*d).into(), Ty::Number),
            Tok::Str(s) => (Literal::String(s.clone()).into(), Ty::String),
            Tok::Attr(scope, name) => (
                FieldExpression::Attribute(Attribute {
                    scope: *scope,
                    name: name.clone(),
                }),
                Ty::Unknown,
            ),
            Tok::Intrinsic(i) => (FieldExpression::Intrinsic(*i), intrinsic_type(*i)),
            Tok::Word(w) => {
                if let Some(literal) = keyword_literal(w) {
                    let ty = literal_type(&literal);
                    (literal.into(), ty)
                } else if let Some(i) = Intrinsic::from_unscoped(w) {
                    (FieldExpression::Intrinsic(i), intrinsic_type(i))
                } else {
                    return Err(RawError::new(
                        start,
                        format!(
                            "unknown identifier '{w}' (attributes need a scope, e.g. 'span.{w}' \
                             or '.{w}'; strings need quotes)"
                        ),
                    ));
                }
            }
            _ => {
                let found = describe(self.src, &token);
                return Err(RawError::new(
                    start,
                    format!("expected a condition, field or value, found {found}"),
                ));
            }
        };
        self.advance();
        Ok(Typed { expr, ty, start })
    }
}

impl From<Literal> for FieldExpression {
    fn from(literal: Literal) -> Self {
        FieldExpression::Literal(literal)
    }
}

fn unary(op: UnaryOperator, operand: Typed, ty: Ty, start: usize) -> Typed {
    Typed {
        expr: FieldExpression::Unary {
            op,
            operand: Box::new(operand.expr),
        },
        ty,
        start,
    }
}

/// The one-line reason from a `regex` error (its Display output spans several lines).
fn regex_error_summary(error: &regex::Error) -> String {
    let text = error.to_string();
    text.lines()
        .rev()
        .find_map(|l| l.trim().strip_prefix("error: "))
        .unwrap_or_else(|| text.lines().last().unwrap_or("").trim())
        .to_string()
}
