//! `Display` for the AST: prints canonical LogQL.
//!
//! The output parses back to an equal tree (`parse(&e.to_string()) == Ok(e)` for every `e`
//! produced by `parse`). Canonical form: keywords in lower case; matchers without spaces
//! (`app="foo"`); comparisons with spaces (`status >= 400`, equality printed `==`); label
//! filters joined by `and`/`or` with parentheses only where needed (commas and juxtaposition
//! are never printed); ranges after the pipeline (`{...} | json [5m]`); durations split into
//! units (`1h30m`, `1s500ms`); byte sizes with the largest exact unit (`20MB`, `1KiB`); numbers
//! in shortest round-trip form; strings double-quoted with Go escapes; binary operators with
//! parentheses only where precedence requires them.

use std::fmt::{self, Display, Formatter, Write};

use crate::ast::*;
use crate::units::{format_bytes, format_duration, format_number};

impl Display for Expr {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            Expr::Log(log) => write!(f, "{log}"),
            Expr::Metric(metric) => write!(f, "{metric}"),
        }
    }
}

impl Display for LogExpr {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        f.write_char('{')?;
        for (i, matcher) in self.selector.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            write!(f, "{matcher}")?;
        }
        f.write_char('}')?;
        for stage in &self.pipeline {
            match stage {
                Stage::LineFilter(filter) => write!(f, " {filter}")?,
                stage => write!(f, " | {stage}")?,
            }
        }
        Ok(())
    }
}

impl Display for Matcher {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}", self.name, self.op.as_str())?;
        write_quoted(f, &self.value)
    }
}

impl Display for MatchOp {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Display for Stage {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            Stage::LineFilter(filter) => write!(f, "{filter}"),
            Stage::Parser(parser) => write!(f, "{parser}"),
            Stage::LabelFilter(filter) => write!(f, "{filter}"),
            Stage::LineFormat(template) => {
                f.write_str("line_format ")?;
                write_quoted(f, template)
            }
            Stage::LabelFormat(items) => {
                f.write_str("label_format ")?;
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{}=", item.name)?;
                    match &item.value {
                        LabelFormatValue::Rename(old) => f.write_str(old)?,
                        LabelFormatValue::Template(template) => write_quoted(f, template)?,
                    }
                }
                Ok(())
            }
            Stage::Drop(items) => write_named_matchers(f, "drop", items),
            Stage::Keep(items) => write_named_matchers(f, "keep", items),
            Stage::Decolorize => f.write_str("decolorize"),
        }
    }
}

fn write_named_matchers(f: &mut Formatter<'_>, stage: &str, items: &[NamedMatcher]) -> fmt::Result {
    f.write_str(stage)?;
    for (i, item) in items.iter().enumerate() {
        f.write_str(if i == 0 { " " } else { ", " })?;
        match item {
            NamedMatcher::Name(name) => f.write_str(name)?,
            NamedMatcher::Matcher(matcher) => write!(f, "{matcher}")?,
        }
    }
    Ok(())
}

impl Display for LineFilter {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        f.write_str(self.op.as_str())?;
        for (i, value) in self.values.iter().enumerate() {
            f.write_str(if i == 0 { " " } else { " or " })?;
            match value {
                LineFilterValue::String(s) => write_quoted(f, s)?,
                LineFilterValue::Ip(pattern) => {
                    f.write_str("ip(")?;
                    write_quoted(f, pattern)?;
                    f.write_char(')')?;
                }
            }
        }
        Ok(())
    }
}

impl Display for Parser {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            Parser::Json(fields) => {
                f.write_str("json")?;
                write_extractions(f, fields)
            }
            Parser::Logfmt {
                strict,
                keep_empty,
                fields,
            } => {
                f.write_str("logfmt")?;
                if *strict {
                    f.write_str(" --strict")?;
                }
                if *keep_empty {
                    f.write_str(" --keep-empty")?;
                }
                write_extractions(f, fields)
            }
            Parser::Regexp(re) => {
                f.write_str("regexp ")?;
                write_quoted(f, re)
            }
            Parser::Pattern(pattern) => {
                f.write_str("pattern ")?;
                write_quoted(f, pattern)
            }
            Parser::Unpack => f.write_str("unpack"),
        }
    }
}

fn write_extractions(f: &mut Formatter<'_>, fields: &[LabelExtraction]) -> fmt::Result {
    for (i, field) in fields.iter().enumerate() {
        f.write_str(if i == 0 { " " } else { ", " })?;
        f.write_str(&field.label)?;
        if field.expression != field.label {
            f.write_char('=')?;
            write_quoted(f, &field.expression)?;
        }
    }
    Ok(())
}

/// Binding power of a label filter when printed: `or` 1, `and` 2, comparisons 3.
fn filter_precedence(filter: &LabelFilterExpr) -> u8 {
    match filter {
        LabelFilterExpr::Or(..) => 1,
        LabelFilterExpr::And(..) => 2,
        _ => 3,
    }
}

/// Whether `filter` prints as a comma list (`and` with a compound right operand).
fn is_comma_form(filter: &LabelFilterExpr) -> bool {
    matches!(filter, LabelFilterExpr::And(_, right) if filter_precedence(right) < 3)
}

impl Display for LabelFilterExpr {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            LabelFilterExpr::And(left, right) if filter_precedence(right) < 3 => {
                // The parser builds `a, b, c` as `a and (b and c)`: print that shape back with
                // commas so that long lists do not turn into deeply nested parentheses.
                write_wrapped(f, left, filter_precedence(left) < 3)?;
                f.write_str(", ")?;
                write!(f, "{right}")
            }
            LabelFilterExpr::And(left, right) | LabelFilterExpr::Or(left, right) => {
                let precedence = filter_precedence(self);
                write_wrapped(
                    f,
                    left,
                    filter_precedence(left) < precedence || is_comma_form(left),
                )?;
                f.write_str(if precedence == 2 { " and " } else { " or " })?;
                let comma_right = precedence == 1 && is_comma_form(right);
                write_wrapped(
                    f,
                    right,
                    filter_precedence(right) <= precedence && !comma_right,
                )
            }
            LabelFilterExpr::String(matcher) => write!(f, "{matcher}"),
            LabelFilterExpr::Number { label, op, value } => {
                write!(f, "{label} {op} {}", format_number(*value))
            }
            LabelFilterExpr::Duration { label, op, nanos } => {
                write!(f, "{label} {op} {}", format_duration(*nanos))
            }
            LabelFilterExpr::Bytes { label, op, bytes } => {
                write!(f, "{label} {op} {}", format_bytes(*bytes))
            }
            LabelFilterExpr::Ip {
                label,
                negated,
                pattern,
            } => {
                write!(f, "{label} {} ip(", if *negated { "!=" } else { "=" })?;
                write_quoted(f, pattern)?;
                f.write_char(')')
            }
        }
    }
}

impl Display for ComparisonOp {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

fn write_wrapped(f: &mut Formatter<'_>, value: &dyn Display, parens: bool) -> fmt::Result {
    if parens {
        write!(f, "({value})")
    } else {
        write!(f, "{value}")
    }
}

/// Binding power of a metric expression when printed; operands bind tightest.
fn metric_precedence(expr: &MetricExpr) -> u8 {
    match expr {
        MetricExpr::Binary(binary) => binary.op.precedence(),
        _ => 7,
    }
}

impl Display for MetricExpr {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            MetricExpr::RangeAggregation(agg) => write!(f, "{agg}"),
            MetricExpr::VectorAggregation(agg) => write!(f, "{agg}"),
            MetricExpr::Binary(binary) => write!(f, "{binary}"),
            MetricExpr::Literal(value) => f.write_str(&format_number(*value)),
            MetricExpr::Vector(value) => write!(f, "vector({})", format_number(*value)),
            MetricExpr::LabelReplace(replace) => {
                write!(f, "label_replace({}, ", replace.expr)?;
                for (i, s) in [
                    &replace.dst,
                    &replace.replacement,
                    &replace.src,
                    &replace.regex,
                ]
                .into_iter()
                .enumerate()
                {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write_quoted(f, s)?;
                }
                f.write_char(')')
            }
        }
    }
}

impl Display for BinaryExpr {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        let precedence = self.op.precedence();
        let right_assoc = self.op == BinaryOp::Pow;
        let (lp, rp) = (
            metric_precedence(&self.left),
            metric_precedence(&self.right),
        );
        write_wrapped(
            f,
            &self.left,
            lp < precedence || (right_assoc && lp == precedence),
        )?;
        write!(f, " {}", self.op.as_str())?;
        if self.return_bool {
            f.write_str(" bool")?;
        }
        if let Some(matching) = &self.matching {
            let keyword = if matching.on { "on" } else { "ignoring" };
            write!(f, " {keyword} ({})", matching.labels.join(", "))?;
            match &matching.group {
                Some(GroupModifier::Left(labels)) => write_group(f, "group_left", labels)?,
                Some(GroupModifier::Right(labels)) => write_group(f, "group_right", labels)?,
                None => {}
            }
        }
        f.write_char(' ')?;
        write_wrapped(
            f,
            &self.right,
            rp < precedence || (!right_assoc && rp == precedence),
        )
    }
}

fn write_group(f: &mut Formatter<'_>, keyword: &str, labels: &[String]) -> fmt::Result {
    write!(f, " {keyword}")?;
    if !labels.is_empty() {
        write!(f, " ({})", labels.join(", "))?;
    }
    Ok(())
}

impl Display for BinaryOp {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Display for RangeAggregation {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write!(f, "{}(", self.op.name())?;
        if let Some(param) = self.param {
            write!(f, "{}, ", format_number(param))?;
        }
        write!(f, "{})", self.range)?;
        if let Some(grouping) = &self.grouping {
            write!(f, " {grouping}")?;
        }
        Ok(())
    }
}

impl Display for LogRange {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.log)?;
        if let Some(unwrap) = &self.unwrap {
            write!(f, " | {unwrap}")?;
        }
        if !self.log.pipeline.is_empty() || self.unwrap.is_some() {
            f.write_char(' ')?;
        }
        write!(f, "[{}]", format_duration(self.range_nanos))?;
        if self.offset_nanos != 0 {
            write!(f, " offset {}", format_duration(self.offset_nanos))?;
        }
        Ok(())
    }
}

impl Display for Unwrap {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self.conversion {
            Some(conversion) => write!(f, "unwrap {}({})", conversion.name(), self.label)?,
            None => write!(f, "unwrap {}", self.label)?,
        }
        for filter in &self.post_filters {
            write!(f, " | {filter}")?;
        }
        Ok(())
    }
}

impl Display for VectorAggregation {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        f.write_str(self.op.name())?;
        match &self.grouping {
            Some(grouping) => write!(f, " {grouping} (")?,
            None => f.write_char('(')?,
        }
        if let Some(k) = self.param {
            write!(f, "{k}, ")?;
        }
        write!(f, "{})", self.expr)
    }
}

impl Display for Grouping {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        let keyword = match self {
            Grouping::By(_) => "by",
            Grouping::Without(_) => "without",
        };
        write!(f, "{keyword} ({})", self.labels().join(", "))
    }
}

/// Writes `s` as a double-quoted LogQL (Go) string.
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
