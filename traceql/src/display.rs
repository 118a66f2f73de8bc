//! `Display` for the AST: prints canonical TraceQL.
//!
//! The output parses back to an equal tree (`parse(&q.to_string()) == Ok(q)` for every `q`
//! produced by `parse`). Canonical form: single spaces around binary operators, parentheses only
//! where precedence requires them, `{}` for the empty filter, the short names `name`, `status`,
//! `statusMessage`, `kind`, `duration` and the scoped names for all other intrinsics, durations
//! split into units (`1h30m`, `1s500ms`), floats in Rust's shortest round-trip form (`0.99`,
//! `1e-7`), strings double-quoted with escapes, attribute names quoted unless they consist only of
//! ASCII letters, digits, `_`, `.` and `-`.

use std::fmt::{self, Display, Formatter, Write};

use crate::ast::*;

impl Display for Query {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.expression)?;
        for stage in &self.pipeline {
            write!(f, " | {stage}")?;
        }
        if let Some(metrics) = &self.metrics {
            write!(f, " | {metrics}")?;
        }
        if !self.hints.is_empty() {
            f.write_str(" with (")?;
            for (i, hint) in self.hints.iter().enumerate() {
                if i > 0 {
                    f.write_str(", ")?;
                }
                write!(f, "{hint}")?;
            }
            f.write_str(")")?;
        }
        Ok(())
    }
}

impl Display for Hint {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write!(f, "{} = {}", self.name, self.value)
    }
}

fn spanset_precedence(expr: &SpansetExpression) -> u8 {
    match expr {
        SpansetExpression::Binary { op, .. } => match op {
            SpansetOperator::Or => 1,
            SpansetOperator::And => 2,
            _ => 3,
        },
        SpansetExpression::Filter(_) | SpansetExpression::Pipeline { .. } => 4,
    }
}

impl Display for SpansetExpression {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            SpansetExpression::Filter(_) if self.is_match_all() => f.write_str("{}"),
            SpansetExpression::Filter(body) => write!(f, "{{ {body} }}"),
            SpansetExpression::Binary { op, left, right } => {
                let precedence = spanset_precedence(self);
                write_wrapped(f, left, spanset_precedence(left) < precedence)?;
                write!(f, " {} ", op.as_str())?;
                write_wrapped(f, right, spanset_precedence(right) <= precedence)
            }
            SpansetExpression::Pipeline { input, stages } => {
                write!(f, "({input}")?;
                for stage in stages {
                    write!(f, " | {stage}")?;
                }
                f.write_str(")")
            }
        }
    }
}

fn write_wrapped(f: &mut Formatter<'_>, value: &dyn Display, parens: bool) -> fmt::Result {
    if parens {
        write!(f, "({value})")
    } else {
        write!(f, "{value}")
    }
}

/// Binding power of a field expression when printed (higher binds tighter).
fn field_precedence(expr: &FieldExpression) -> u8 {
    match expr {
        FieldExpression::Binary { op, .. } => match op {
            BinaryOperator::Logical(LogicalOp::Or) => 1,
            BinaryOperator::Logical(LogicalOp::And) => 2,
            BinaryOperator::Comparison(_) => 3,
            BinaryOperator::Arithmetic(ArithmeticOp::Add | ArithmeticOp::Sub) => 4,
            BinaryOperator::Arithmetic(
                ArithmeticOp::Mul | ArithmeticOp::Div | ArithmeticOp::Mod,
            ) => 5,
            BinaryOperator::Arithmetic(ArithmeticOp::Pow) => 6,
        },
        FieldExpression::Unary { .. } => 7,
        _ => 8,
    }
}

impl Display for FieldExpression {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            FieldExpression::Binary { op, left, right } => {
                let precedence = field_precedence(self);
                let right_assoc = matches!(op, BinaryOperator::Arithmetic(ArithmeticOp::Pow));
                let (lp, rp) = (field_precedence(left), field_precedence(right));
                write_wrapped(
                    f,
                    left,
                    lp < precedence || (right_assoc && lp == precedence),
                )?;
                write!(f, " {} ", op.as_str())?;
                write_wrapped(
                    f,
                    right,
                    rp < precedence || (!right_assoc && rp == precedence),
                )
            }
            FieldExpression::Unary { op, operand } => {
                f.write_str(match op {
                    UnaryOperator::Not => "!",
                    UnaryOperator::Negate => "-",
                })?;
                // Parenthesise nested operators, and numbers after '-' (which would otherwise be
                // folded into a negative literal when parsed again).
                let parens = match operand.as_ref() {
                    FieldExpression::Binary { .. } | FieldExpression::Unary { .. } => true,
                    FieldExpression::Literal(
                        Literal::Int(_) | Literal::Float(_) | Literal::Duration(_),
                    ) => *op == UnaryOperator::Negate,
                    _ => false,
                };
                write_wrapped(f, operand, parens)
            }
            FieldExpression::Attribute(attribute) => write!(f, "{attribute}"),
            FieldExpression::Intrinsic(intrinsic) => write!(f, "{intrinsic}"),
            FieldExpression::Literal(literal) => write!(f, "{literal}"),
        }
    }
}

impl Display for Attribute {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        f.write_str(self.scope.prefix())?;
        let plain = !self.name.is_empty()
            && self
                .name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
            && !(self.scope == AttributeScope::Unscoped
                && self.name.starts_with(|c: char| c.is_ascii_digit()));
        if plain {
            f.write_str(&self.name)
        } else {
            write_quoted(f, &self.name)
        }
    }
}

impl Display for Intrinsic {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        f.write_str(self.canonical_name())
    }
}

impl Display for Literal {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            Literal::Int(i) => write!(f, "{i}"),
            Literal::Float(x) => write!(f, "{x:?}"),
            Literal::Duration(nanos) => f.write_str(&format_duration(*nanos)),
            Literal::String(s) => write_quoted(f, s),
            Literal::Bool(b) => write!(f, "{b}"),
            Literal::Nil => f.write_str("nil"),
            Literal::Status(s) => f.write_str(s.as_str()),
            Literal::Kind(k) => f.write_str(k.as_str()),
        }
    }
}

/// Formats nanoseconds as a TraceQL duration: `0s`, `150ms`, `1h30m`, `1s500ms`, `-2s`.
pub fn format_duration(nanos: i64) -> String {
    if nanos == 0 {
        return "0s".to_string();
    }
    let mut out = String::new();
    if nanos < 0 {
        out.push('-');
    }
    let mut rest = nanos.unsigned_abs();
    const UNITS: [(&str, u64); 6] = [
        ("h", 3_600_000_000_000),
        ("m", 60_000_000_000),
        ("s", 1_000_000_000),
        ("ms", 1_000_000),
        ("us", 1_000),
        ("ns", 1),
    ];
    for (unit, size) in UNITS {
        if rest >= size {
            let _ = write!(out, "{}{unit}", rest / size);
            rest %= size;
        }
    }
    out
}

/// Writes `s` as a double-quoted TraceQL string.
fn write_quoted(f: &mut Formatter<'_>, s: &str) -> fmt::Result {
    f.write_char('"')?;
    for c in s.chars() {
        match c {
            '"' => f.write_str("\\\"")?,
            '\\' => f.write_str("\\\\")?,
            '\n' => f.write_str("\\n")?,
            '\r' => f.write_str("\\r")?,
            '\t' => f.write_str("\\t")?,
            c if c.is_control() => write!(f, "\\u{:04x}", c as u32)?,
            c => f.write_char(c)?,
        }
    }
    f.write_char('"')
}

impl Display for PipelineStage {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            PipelineStage::Filter(expr) => write!(f, "{expr}"),
            PipelineStage::ScalarFilter {
                aggregate,
                op,
                value,
            } => write!(f, "{aggregate} {} {value}", op.as_str()),
            PipelineStage::By(fields) => write!(f, "by({})", join(fields)),
            PipelineStage::Select(fields) => write!(f, "select({})", join(fields)),
            PipelineStage::Coalesce => f.write_str("coalesce()"),
        }
    }
}

fn join(fields: &[FieldExpression]) -> String {
    fields
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

impl Display for Aggregate {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match &self.field {
            Some(field) => write!(f, "{}({field})", self.function.as_str()),
            None => write!(f, "{}()", self.function.as_str()),
        }
    }
}

impl Display for MetricsFunction {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        let name = self.name();
        match self {
            MetricsFunction::Rate | MetricsFunction::CountOverTime => write!(f, "{name}()"),
            MetricsFunction::SumOverTime(field)
            | MetricsFunction::MinOverTime(field)
            | MetricsFunction::MaxOverTime(field)
            | MetricsFunction::AvgOverTime(field)
            | MetricsFunction::HistogramOverTime(field) => write!(f, "{name}({field})"),
            MetricsFunction::QuantileOverTime { field, quantiles } => {
                write!(f, "{name}({field}")?;
                for q in quantiles {
                    write!(f, ", {q:?}")?;
                }
                f.write_str(")")
            }
            MetricsFunction::Compare {
                selection,
                top_n,
                time_range,
            } => {
                write!(f, "{name}({selection}")?;
                if let Some(n) = top_n {
                    write!(f, ", {n}")?;
                    if let Some((start, end)) = time_range {
                        write!(f, ", {start}, {end}")?;
                    }
                }
                f.write_str(")")
            }
        }
    }
}

impl Display for SecondStage {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            SecondStage::TopK(n) => write!(f, "topk({n})"),
            SecondStage::BottomK(n) => write!(f, "bottomk({n})"),
        }
    }
}

impl Display for MetricsPipeline {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.function)?;
        if !self.by.is_empty() {
            write!(f, " by ({})", join(&self.by))?;
        }
        if let Some(stage) = &self.second_stage {
            write!(f, " | {stage}")?;
        }
        if let Some((op, value)) = &self.comparison {
            write!(f, " {} {value:?}", op.as_str())?;
        }
        Ok(())
    }
}

impl Display for SpansetOperator {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Display for ComparisonOp {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
