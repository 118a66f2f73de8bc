//! The TraceQL abstract syntax tree.
//!
//! Every node is a plain public enum or struct so that an evaluator can match on it exhaustively.
//! `Display` (in `display.rs`) prints any tree as canonical TraceQL that parses back to an equal
//! tree. This file holds the query, spanset, pipeline and metrics nodes; `field.rs` holds field
//! expressions, fields and literals.

mod field;

pub use field::*;

/// A complete TraceQL query:
/// `expression | stage | ... [| metrics-function ...] [with (hint = value, ...)]`.
#[derive(Debug, Clone, PartialEq)]
pub struct Query {
    /// The spanset expression the query starts with, e.g. `{ a } >> { b }`.
    pub expression: SpansetExpression,
    /// Pipeline stages after the expression, in source order (`| by(x) | count() > 2`).
    pub pipeline: Vec<PipelineStage>,
    /// The metrics stage when the query is a TraceQL metrics query (`| rate() by (x)`).
    pub metrics: Option<MetricsPipeline>,
    /// Hints from a trailing `with (name = value, ...)`, in source order.
    pub hints: Vec<Hint>,
}

impl Query {
    /// Whether this is a TraceQL metrics query (it ends in a metrics function such as `rate()`).
    pub fn is_metrics(&self) -> bool {
        self.metrics.is_some()
    }

    /// The value of the last hint called `name`, if any (`with (sample = 0.1)` -> `Float(0.1)`).
    pub fn hint(&self, name: &str) -> Option<&Literal> {
        self.hints
            .iter()
            .rev()
            .find(|h| h.name == name)
            .map(|h| &h.value)
    }
}

/// One `name = value` entry of a `with (...)` clause.
#[derive(Debug, Clone, PartialEq)]
pub struct Hint {
    /// The hint name, e.g. `most_recent` or `sample`.
    pub name: String,
    /// The hint value (any literal).
    pub value: Literal,
}

/// An expression producing spansets: filters combined by spanset operators.
#[derive(Debug, Clone, PartialEq)]
pub enum SpansetExpression {
    /// A spanset filter `{ expr }`: selects the spans for which `expr` is true.
    /// The empty filter `{}` is `Filter(FieldExpression::Literal(Literal::Bool(true)))`.
    Filter(FieldExpression),
    /// Two spanset expressions joined by `&&`, `||` or a structural operator.
    Binary {
        /// The operator.
        op: SpansetOperator,
        /// The left operand.
        left: Box<SpansetExpression>,
        /// The right operand.
        right: Box<SpansetExpression>,
    },
    /// A parenthesised pipeline used as an operand, e.g. `({ a } | count() > 1) && { b }`.
    /// Plain parentheses without a `|` produce no node.
    Pipeline {
        /// The expression that feeds the stages.
        input: Box<SpansetExpression>,
        /// The stages, in order (never empty).
        stages: Vec<PipelineStage>,
    },
}

impl SpansetExpression {
    /// The empty filter `{}`, which matches every span.
    pub fn match_all() -> Self {
        SpansetExpression::Filter(FieldExpression::Literal(Literal::Bool(true)))
    }

    /// Whether this is exactly the empty filter `{}`.
    pub fn is_match_all(&self) -> bool {
        matches!(
            self,
            SpansetExpression::Filter(FieldExpression::Literal(Literal::Bool(true)))
        )
    }
}

/// An operator between two spanset expressions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SpansetOperator {
    /// `&&`: both sides match in the same trace; returns spans of both.
    And,
    /// `||`: either side matches; returns spans of both.
    Or,
    /// `>`: right-hand spans that are direct children of left-hand spans.
    Child,
    /// `<`: right-hand spans that are direct parents of left-hand spans.
    Parent,
    /// `>>`: right-hand spans that are descendants of left-hand spans.
    Descendant,
    /// `<<`: right-hand spans that are ancestors of left-hand spans.
    Ancestor,
    /// `~`: right-hand spans that are siblings of left-hand spans.
    Sibling,
    /// `&>`: like `>` but returns the matching spans of both sides.
    UnionChild,
    /// `&<`: like `<` but returns the matching spans of both sides.
    UnionParent,
    /// `&>>`: like `>>` but returns the matching spans of both sides.
    UnionDescendant,
    /// `&<<`: like `<<` but returns the matching spans of both sides.
    UnionAncestor,
    /// `&~`: like `~` but returns the matching spans of both sides.
    UnionSibling,
    /// `!>`: right-hand spans that are not children of left-hand spans.
    NotChild,
    /// `!<`: right-hand spans that are not parents of left-hand spans.
    NotParent,
    /// `!>>`: right-hand spans that are not descendants of left-hand spans.
    NotDescendant,
    /// `!<<`: right-hand spans that are not ancestors of left-hand spans.
    NotAncestor,
    /// `!~`: right-hand spans that are not siblings of left-hand spans.
    NotSibling,
}

impl SpansetOperator {
    /// The operator as written in TraceQL.
    pub fn as_str(self) -> &'static str {
        use SpansetOperator::*;
        match self {
            And => "&&",
            Or => "||",
            Child => ">",
            Parent => "<",
            Descendant => ">>",
            Ancestor => "<<",
            Sibling => "~",
            UnionChild => "&>",
            UnionParent => "&<",
            UnionDescendant => "&>>",
            UnionAncestor => "&<<",
            UnionSibling => "&~",
            NotChild => "!>",
            NotParent => "!<",
            NotDescendant => "!>>",
            NotAncestor => "!<<",
            NotSibling => "!~",
        }
    }

    /// Whether this is a structural operator (anything but `&&` and `||`).
    pub fn is_structural(self) -> bool {
        !matches!(self, SpansetOperator::And | SpansetOperator::Or)
    }
}

/// One stage of a spanset pipeline (after a `|`).
#[derive(Debug, Clone, PartialEq)]
pub enum PipelineStage {
    /// A spanset expression applied to each spanset (`| { status = error }`).
    Filter(SpansetExpression),
    /// Keeps spansets whose aggregate compares true (`| count() > 3`, `| avg(duration) > 1s`).
    /// `| 3 < count()` is normalised to `count() > 3`.
    ScalarFilter {
        /// The aggregate computed over each spanset.
        aggregate: Aggregate,
        /// The comparison (`= != > >= < <=`).
        op: ComparisonOp,
        /// The number or duration compared against.
        value: Literal,
    },
    /// Regroups spans into spansets by the given expressions (`| by(resource.service.name)`).
    By(Vec<FieldExpression>),
    /// Adds the given fields to the returned spans (`| select(span.http.url)`).
    Select(Vec<FieldExpression>),
    /// Merges all spansets of a trace into one (`| coalesce()`).
    Coalesce,
}

/// An aggregate over the spans of a spanset.
#[derive(Debug, Clone, PartialEq)]
pub struct Aggregate {
    /// The function.
    pub function: AggregateFunction,
    /// The aggregated expression; `None` exactly for `count()`.
    pub field: Option<FieldExpression>,
}

/// A spanset aggregate function.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AggregateFunction {
    /// `count()`
    Count,
    /// `avg(x)`
    Avg,
    /// `min(x)`
    Min,
    /// `max(x)`
    Max,
    /// `sum(x)`
    Sum,
}

impl AggregateFunction {
    /// The function name as written in TraceQL.
    pub fn as_str(self) -> &'static str {
        match self {
            AggregateFunction::Count => "count",
            AggregateFunction::Avg => "avg",
            AggregateFunction::Min => "min",
            AggregateFunction::Max => "max",
            AggregateFunction::Sum => "sum",
        }
    }
}

/// The metrics part of a TraceQL metrics query:
/// `function [by (fields)] [| topk(n) | bottomk(n)] [comparison number]`.
#[derive(Debug, Clone, PartialEq)]
pub struct MetricsPipeline {
    /// The metrics function.
    pub function: MetricsFunction,
    /// Series grouping (`by (resource.service.name)`); each entry is an attribute or intrinsic.
    pub by: Vec<FieldExpression>,
    /// `| topk(n)` / `| bottomk(n)`.
    pub second_stage: Option<SecondStage>,
    /// Keeps only samples whose value compares true (`> 10`); applied after `second_stage`.
    pub comparison: Option<(ComparisonOp, f64)>,
}

/// A TraceQL metrics function. Field arguments are attributes or intrinsics.
#[derive(Debug, Clone, PartialEq)]
pub enum MetricsFunction {
    /// `rate()`: matching spans per second.
    Rate,
    /// `count_over_time()`: matching spans per step.
    CountOverTime,
    /// `sum_over_time(field)`
    SumOverTime(FieldExpression),
    /// `min_over_time(field)`
    MinOverTime(FieldExpression),
    /// `max_over_time(field)`
    MaxOverTime(FieldExpression),
    /// `avg_over_time(field)`
    AvgOverTime(FieldExpression),
    /// `quantile_over_time(field, q1, q2, ...)` with each quantile in `[0, 1]`.
    QuantileOverTime {
        /// The field whose quantiles are computed.
        field: FieldExpression,
        /// The requested quantiles, in source order (at least one).
        quantiles: Vec<f64>,
    },
    /// `histogram_over_time(field)`
    HistogramOverTime(FieldExpression),
    /// `compare({ selection }[, top_n[, start, end]])`: attribute value breakdown of the
    /// selection against the baseline.
    Compare {
        /// The selection filter (always a [`SpansetExpression::Filter`]).
        selection: SpansetExpression,
        /// How many values per attribute to return (Tempo's default is 10).
        top_n: Option<u64>,
        /// Selection time range as unix nanoseconds `(start, end)`.
        time_range: Option<(i64, i64)>,
    },
}

impl MetricsFunction {
    /// The function name as written in TraceQL.
    pub fn name(&self) -> &'static str {
        match self {
            MetricsFunction::Rate => "rate",
            MetricsFunction::CountOverTime => "count_over_time",
            MetricsFunction::SumOverTime(_) => "sum_over_time",
            MetricsFunction::MinOverTime(_) => "min_over_time",
            MetricsFunction::MaxOverTime(_) => "max_over_time",
            MetricsFunction::AvgOverTime(_) => "avg_over_time",
            MetricsFunction::QuantileOverTime { .. } => "quantile_over_time",
            MetricsFunction::HistogramOverTime(_) => "histogram_over_time",
            MetricsFunction::Compare { .. } => "compare",
        }
    }
}

/// A metrics second stage that limits the returned series.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SecondStage {
    /// `topk(n)`: the `n` series with the highest values.
    TopK(u64),
    /// `bottomk(n)`: the `n` series with the lowest values.
    BottomK(u64),
}
