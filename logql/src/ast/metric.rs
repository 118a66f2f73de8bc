//! Metric query nodes: range aggregations over log ranges, vector aggregations, binary
//! operators, literals, `vector()` and `label_replace()`.

use super::{LabelFilterExpr, LogExpr};

/// A metric expression.
#[derive(Debug, Clone, PartialEq)]
pub enum MetricExpr {
    /// `rate({app="foo"}[5m])`, `sum_over_time({...} | unwrap x [1m]) by (a)`, ...
    RangeAggregation(RangeAggregation),
    /// `sum by (app) (...)`, `topk(3, ...)`, ...
    VectorAggregation(VectorAggregation),
    /// `a + b`, `a > bool 10`, `a / on (x) group_left (y) b`, ...
    Binary(BinaryExpr),
    /// A number literal such as `2`, `-1.5` or `1e3` (a scalar).
    Literal(f64),
    /// `vector(0)`: a vector with one sample of the given value and no labels.
    Vector(f64),
    /// `label_replace(expr, "dst", "replacement", "src", "regex")`.
    LabelReplace(LabelReplace),
}

impl MetricExpr {
    /// The log ranges of every range aggregation, in source order.
    pub fn log_ranges(&self) -> Vec<&LogRange> {
        let mut out = Vec::new();
        let mut stack = vec![self];
        while let Some(expr) = stack.pop() {
            match expr {
                MetricExpr::RangeAggregation(agg) => out.push(&agg.range),
                MetricExpr::VectorAggregation(agg) => stack.push(&agg.expr),
                MetricExpr::Binary(binary) => {
                    // Right first so that the left operand is visited first.
                    stack.push(&binary.right);
                    stack.push(&binary.left);
                }
                MetricExpr::LabelReplace(replace) => stack.push(&replace.expr),
                MetricExpr::Literal(_) | MetricExpr::Vector(_) => {}
            }
        }
        out
    }

    /// Whether this is a number literal.
    pub fn is_literal(&self) -> bool {
        matches!(self, MetricExpr::Literal(_))
    }
}

/// A range aggregation: `op([param,] log-range) [by|without (labels)]`.
#[derive(Debug, Clone, PartialEq)]
pub struct RangeAggregation {
    /// The function.
    pub op: RangeOp,
    /// The parameter: `Some(q)` exactly for `quantile_over_time(q, ...)` (`q` is not range
    /// checked, as in Loki).
    pub param: Option<f64>,
    /// The log range aggregated over. It has an unwrap exactly when [`RangeOp::unwrap`] allows
    /// or requires one.
    pub range: LogRange,
    /// `by (...)` / `without (...)` after the call; only present on unwrapped ranges.
    pub grouping: Option<Grouping>,
}

/// A range aggregation function.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RangeOp {
    /// `count_over_time`: the number of lines in the range.
    CountOverTime,
    /// `rate`: lines per second; with unwrap, the per-second rate of the sum of the values.
    Rate,
    /// `rate_counter`: the per-second rate of an unwrapped counter (resets handled).
    RateCounter,
    /// `bytes_over_time`: the number of bytes of the lines in the range.
    BytesOverTime,
    /// `bytes_rate`: bytes per second.
    BytesRate,
    /// `absent_over_time`: 1 if the range has no lines or values, nothing otherwise.
    AbsentOverTime,
    /// `sum_over_time`: the sum of the unwrapped values.
    SumOverTime,
    /// `avg_over_time`: the average of the unwrapped values.
    AvgOverTime,
    /// `min_over_time`: the minimum of the unwrapped values.
    MinOverTime,
    /// `max_over_time`: the maximum of the unwrapped values.
    MaxOverTime,
    /// `stdvar_over_time`: the population variance of the unwrapped values.
    StdvarOverTime,
    /// `stddev_over_time`: the population standard deviation of the unwrapped values.
    StddevOverTime,
    /// `quantile_over_time(q, ...)`: the q-quantile of the unwrapped values.
    QuantileOverTime,
    /// `first_over_time`: the first unwrapped value in the range.
    FirstOverTime,
    /// `last_over_time`: the last unwrapped value in the range.
    LastOverTime,
}

/// Whether a range aggregation takes an unwrapped range.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum UnwrapRule {
    /// Only without `| unwrap` (`count_over_time`, `bytes_over_time`, `bytes_rate`).
    Forbidden,
    /// With or without (`rate`, `absent_over_time`).
    Optional,
    /// Only with `| unwrap` (all `*_over_time` value functions and `rate_counter`).
    Required,
}

impl RangeOp {
    /// Every range aggregation function.
    pub const ALL: [RangeOp; 15] = [
        RangeOp::CountOverTime,
        RangeOp::Rate,
        RangeOp::RateCounter,
        RangeOp::BytesOverTime,
        RangeOp::BytesRate,
        RangeOp::AbsentOverTime,
        RangeOp::SumOverTime,
        RangeOp::AvgOverTime,
        RangeOp::MinOverTime,
        RangeOp::MaxOverTime,
        RangeOp::StdvarOverTime,
        RangeOp::StddevOverTime,
        RangeOp::QuantileOverTime,
        RangeOp::FirstOverTime,
        RangeOp::LastOverTime,
    ];

    /// The function name.
    pub fn name(self) -> &'static str {
        match self {
            RangeOp::CountOverTime => "count_over_time",
            RangeOp::Rate => "rate",
            RangeOp::RateCounter => "rate_counter",
            RangeOp::BytesOverTime => "bytes_over_time",
            RangeOp::BytesRate => "bytes_rate",
            RangeOp::AbsentOverTime => "absent_over_time",
            RangeOp::SumOverTime => "sum_over_time",
            RangeOp::AvgOverTime => "avg_over_time",
            RangeOp::MinOverTime => "min_over_time",
            RangeOp::MaxOverTime => "max_over_time",
            RangeOp::StdvarOverTime => "stdvar_over_time",
            RangeOp::StddevOverTime => "stddev_over_time",
            RangeOp::QuantileOverTime => "quantile_over_time",
            RangeOp::FirstOverTime => "first_over_time",
            RangeOp::LastOverTime => "last_over_time",
        }
    }

    /// Looks a function up by name (ASCII case-insensitive, like Loki).
    pub fn from_name(name: &str) -> Option<RangeOp> {
        RangeOp::ALL
            .into_iter()
            .find(|op| op.name().eq_ignore_ascii_case(name))
    }

    /// Whether the function takes an unwrapped range.
    pub fn unwrap(self) -> UnwrapRule {
        match self {
            RangeOp::CountOverTime | RangeOp::BytesOverTime | RangeOp::BytesRate => {
                UnwrapRule::Forbidden
            }
            RangeOp::Rate | RangeOp::AbsentOverTime => UnwrapRule::Optional,
            _ => UnwrapRule::Required,
        }
    }
}

/// A log range: a log query, an optional unwrap, a range and an offset. Written
/// `{...} | stages | unwrap x [5m] offset 1h`; Loki also accepts the range right after the
/// selector (`{...}[5m] | stages`) and parentheses (`({...} | stages)[5m]`), which parse to the
/// same node.
#[derive(Debug, Clone, PartialEq)]
pub struct LogRange {
    /// The log query whose lines are aggregated.
    pub log: LogExpr,
    /// `| unwrap label [| label filters]`, the source of sample values.
    pub unwrap: Option<Unwrap>,
    /// The range width in nanoseconds (`[5m]`; non-negative, a whole number of milliseconds).
    pub range_nanos: i64,
    /// The `offset` in nanoseconds; 0 when absent (may be negative).
    pub offset_nanos: i64,
}

/// `| unwrap [conversion(]label[)]` followed by optional label filters (`| __error__=""`).
#[derive(Debug, Clone, PartialEq)]
pub struct Unwrap {
    /// The label whose value becomes the sample value.
    pub label: String,
    /// How the value is converted; `None` parses it as a float.
    pub conversion: Option<UnwrapConversion>,
    /// `| filter` stages after the unwrap, applied to the unwrapped samples (typically
    /// `| __error__=""` to drop conversion errors).
    pub post_filters: Vec<LabelFilterExpr>,
}

/// The conversion function of an unwrap.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum UnwrapConversion {
    /// `bytes(label)`: a byte size such as `5 MB`, in bytes.
    Bytes,
    /// `duration(label)`: a Go duration such as `1.5s`, in seconds.
    Duration,
    /// `duration_seconds(label)`: the same as `duration`.
    DurationSeconds,
}

impl UnwrapConversion {
    /// The function name.
    pub fn name(self) -> &'static str {
        match self {
            UnwrapConversion::Bytes => "bytes",
            UnwrapConversion::Duration => "duration",
            UnwrapConversion::DurationSeconds => "duration_seconds",
        }
    }
}

/// A vector aggregation: `op [by|without (labels)] ([param,] expr) [by|without (labels)]`.
#[derive(Debug, Clone, PartialEq)]
pub struct VectorAggregation {
    /// The aggregation operator.
    pub op: VectorOp,
    /// `Some(k)` (k ≥ 1) exactly for `topk`, `bottomk` and `approx_topk`.
    pub param: Option<u64>,
    /// The aggregated expression.
    pub expr: Box<MetricExpr>,
    /// `by (...)` / `without (...)`, written before or after the parentheses. `None` and
    /// `Some(By([]))` both aggregate everything into one series. Never has labels for `sort`
    /// and `sort_desc`; never present for `approx_topk`.
    pub grouping: Option<Grouping>,
}

/// A vector aggregation operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum VectorOp {
    /// `sum`.
    Sum,
    /// `avg`.
    Avg,
    /// `min`.
    Min,
    /// `max`.
    Max,
    /// `count`.
    Count,
    /// `stddev`: population standard deviation.
    Stddev,
    /// `stdvar`: population variance.
    Stdvar,
    /// `topk(k, ...)`: the k largest series (per group).
    TopK,
    /// `bottomk(k, ...)`: the k smallest series (per group).
    BottomK,
    /// `sort`: series in ascending order of value.
    Sort,
    /// `sort_desc`: series in descending order of value.
    SortDesc,
    /// `approx_topk(k, ...)`: probabilistic top-k (no grouping).
    ApproxTopK,
}

impl VectorOp {
    /// Every vector aggregation operator.
    pub const ALL: [VectorOp; 12] = [
        VectorOp::Sum,
        VectorOp::Avg,
        VectorOp::Min,
        VectorOp::Max,
        VectorOp::Count,
        VectorOp::Stddev,
        VectorOp::Stdvar,
        VectorOp::TopK,
        VectorOp::BottomK,
        VectorOp::Sort,
        VectorOp::SortDesc,
        VectorOp::ApproxTopK,
    ];

    /// The operator name.
    pub fn name(self) -> &'static str {
        match self {
            VectorOp::Sum => "sum",
            VectorOp::Avg => "avg",
            VectorOp::Min => "min",
            VectorOp::Max => "max",
            VectorOp::Count => "count",
            VectorOp::Stddev => "stddev",
            VectorOp::Stdvar => "stdvar",
            VectorOp::TopK => "topk",
            VectorOp::BottomK => "bottomk",
            VectorOp::Sort => "sort",
            VectorOp::SortDesc => "sort_desc",
            VectorOp::ApproxTopK => "approx_topk",
        }
    }

    /// Looks an operator up by name (ASCII case-insensitive, like Loki).
    pub fn from_name(name: &str) -> Option<VectorOp> {
        VectorOp::ALL
            .into_iter()
            .find(|op| op.name().eq_ignore_ascii_case(name))
    }

    /// Whether the operator takes a `k` parameter (`topk`, `bottomk`, `approx_topk`).
    pub fn takes_param(self) -> bool {
        matches!(
            self,
            VectorOp::TopK | VectorOp::BottomK | VectorOp::ApproxTopK
        )
    }
}

/// `by (labels)` or `without (labels)`; the list may be empty.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Grouping {
    /// Keep only these labels.
    By(Vec<String>),
    /// Keep all labels but these.
    Without(Vec<String>),
}

impl Grouping {
    /// The labels listed.
    pub fn labels(&self) -> &[String] {
        match self {
            Grouping::By(labels) | Grouping::Without(labels) => labels,
        }
    }
}

/// A binary operation between two metric expressions.
#[derive(Debug, Clone, PartialEq)]
pub struct BinaryExpr {
    /// The operator.
    pub op: BinaryOp,
    /// The left operand.
    pub left: Box<MetricExpr>,
    /// The right operand.
    pub right: Box<MetricExpr>,
    /// The `bool` modifier: comparisons return 0/1 instead of filtering (only on comparisons).
    pub return_bool: bool,
    /// `on (...)` / `ignoring (...)` with an optional `group_left` / `group_right`.
    pub matching: Option<VectorMatching>,
}

/// A binary operator. Precedence, loosest first: `or`; `and unless`; comparisons; `+ -`;
/// `* / %`; `^`. All are left-associative except `^`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BinaryOp {
    /// `or`: set union.
    Or,
    /// `and`: set intersection.
    And,
    /// `unless`: set difference.
    Unless,
    /// `+`.
    Add,
    /// `-`.
    Sub,
    /// `*`.
    Mul,
    /// `/`.
    Div,
    /// `%`.
    Mod,
    /// `^` (right-associative).
    Pow,
    /// `==`.
    Eq,
    /// `!=`.
    Neq,
    /// `>`.
    Gt,
    /// `>=`.
    Gte,
    /// `<`.
    Lt,
    /// `<=`.
    Lte,
}

impl BinaryOp {
    /// The operator as written in LogQL.
    pub fn as_str(self) -> &'static str {
        match self {
            BinaryOp::Or => "or",
            BinaryOp::And => "and",
            BinaryOp::Unless => "unless",
            BinaryOp::Add => "+",
            BinaryOp::Sub => "-",
            BinaryOp::Mul => "*",
            BinaryOp::Div => "/",
            BinaryOp::Mod => "%",
            BinaryOp::Pow => "^",
            BinaryOp::Eq => "==",
            BinaryOp::Neq => "!=",
            BinaryOp::Gt => ">",
            BinaryOp::Gte => ">=",
            BinaryOp::Lt => "<",
            BinaryOp::Lte => "<=",
        }
    }

    /// Binding power, higher binds tighter: 1 for `or` up to 6 for `^`.
    pub fn precedence(self) -> u8 {
        match self {
            BinaryOp::Or => 1,
            BinaryOp::And | BinaryOp::Unless => 2,
            BinaryOp::Eq
            | BinaryOp::Neq
            | BinaryOp::Gt
            | BinaryOp::Gte
            | BinaryOp::Lt
            | BinaryOp::Lte => 3,
            BinaryOp::Add | BinaryOp::Sub => 4,
            BinaryOp::Mul | BinaryOp::Div | BinaryOp::Mod => 5,
            BinaryOp::Pow => 6,
        }
    }

    /// Whether this is a comparison (`== != > >= < <=`).
    pub fn is_comparison(self) -> bool {
        self.precedence() == 3
    }

    /// Whether this is a set operator (`and or unless`).
    pub fn is_set(self) -> bool {
        self.precedence() <= 2
    }

    /// The comparison, for comparison operators.
    pub fn comparison(self) -> Option<super::ComparisonOp> {
        use super::ComparisonOp as C;
        Some(match self {
            BinaryOp::Eq => C::Eq,
            BinaryOp::Neq => C::Neq,
            BinaryOp::Gt => C::Gt,
            BinaryOp::Gte => C::Gte,
            BinaryOp::Lt => C::Lt,
            BinaryOp::Lte => C::Lte,
            _ => return None,
        })
    }
}

/// Vector matching of a binary operation: `on (labels)` or `ignoring (labels)`, optionally with
/// `group_left` / `group_right`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct VectorMatching {
    /// `true` for `on (...)` (match on these labels only), `false` for `ignoring (...)`.
    pub on: bool,
    /// The labels listed (possibly empty).
    pub labels: Vec<String>,
    /// Many-to-one / one-to-many matching (never with set operators).
    pub group: Option<GroupModifier>,
}

/// `group_left (labels)` or `group_right (labels)`; the labels are copied from the "one" side.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum GroupModifier {
    /// `group_left`: many-to-one.
    Left(Vec<String>),
    /// `group_right`: one-to-many.
    Right(Vec<String>),
}

/// `label_replace(expr, "dst", "replacement", "src", "regex")`: for each series whose `src`
/// label matches the anchored `regex`, sets `dst` to `replacement` with `$1`-style references
/// expanded.
#[derive(Debug, Clone, PartialEq)]
pub struct LabelReplace {
    /// The expression whose series are relabelled.
    pub expr: Box<MetricExpr>,
    /// The destination label (a valid label name).
    pub dst: String,
    /// The replacement, with `$1`, `${name}` references.
    pub replacement: String,
    /// The source label.
    pub src: String,
    /// The regular expression (a valid one; matched against the whole value).
    pub regex: String,
}
