//! Evaluation of LogQL metric queries with Grafana Loki 3.x semantics.
//!
//! The engine does not read logs itself: the caller implements [`SampleSource`], which runs a
//! log range's stream selector and pipeline and feeds the surviving lines as [`Sample`]s. The
//! engine calls the source once per range aggregation of the query, for a time interval that
//! covers every step's window, and folds the samples as they stream by: count, byte, sum,
//! average, minimum and maximum aggregations keep per series a few accumulators per window
//! boundary interval (never the samples), the others (`quantile_over_time`,
//! `stddev_over_time`, `stdvar_over_time`, `first_over_time`, `last_over_time`,
//! `rate_counter`) keep the series' in-window `(time, value)` points.
//!
//! Every node of the query then evaluates to one vector per step (`steps.rs`): range
//! aggregations in `range/`, vector aggregations in `vector.rs`, binary operators in
//! `binary.rs`, `label_replace` and label grouping helpers in `labelling.rs`, window geometry
//! in `windows.rs`. This file holds the public API and the dispatch over the AST.
//!
//! Known deviations from Loki are listed on [`evaluate`].

mod binary;
mod labelling;
mod range;
mod steps;
mod vector;
mod windows;

#[cfg(test)]
mod tests;

use crate::ast::{Grouping, LogRange, MetricExpr, RangeOp, VectorOp};
use crate::labels::Labels;
use steps::{Grid, StepVectors};

/// Loki's default `max_query_series`: the most series any intermediate result may have.
pub const DEFAULT_MAX_SERIES: usize = 500;

/// The most intervals a range query may have, `(end - start) / step` (as in Loki and
/// Prometheus, so at most 11,001 points per series).
pub const MAX_STEPS: i64 = 11_000;

/// The time range and limits of a query evaluation. Times are Unix nanoseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EvalParams {
    /// The first step of a range query (ignored by instant queries).
    pub start: i64,
    /// The last possible step of a range query; the evaluation time of an instant query.
    pub end: i64,
    /// The step width of a range query, > 0 (ignored by instant queries).
    pub step: i64,
    /// An instant query: one evaluation at `end`, returning a vector or a scalar.
    pub instant: bool,
    /// The most series any intermediate or final result may have (see [`DEFAULT_MAX_SERIES`]).
    pub max_series: usize,
}

impl EvalParams {
    /// A range query evaluated at `start`, `start + step`, ... up to `end`.
    pub fn range(start: i64, end: i64, step: i64) -> Self {
        EvalParams {
            start,
            end,
            step,
            instant: false,
            max_series: DEFAULT_MAX_SERIES,
        }
    }

    /// An instant query evaluated at `time`.
    pub fn instant(time: i64) -> Self {
        EvalParams {
            start: time,
            end: time,
            step: 0,
            instant: true,
            max_series: DEFAULT_MAX_SERIES,
        }
    }
}

/// One log line fed to a range aggregation by the [`SampleSource`].
#[derive(Debug, Clone, Copy)]
pub struct Sample<'a> {
    /// The line's final labels after the pipeline (stream labels, extracted labels, and
    /// `__error__` when a stage failed; without the unwrapped label).
    pub labels: &'a Labels,
    /// The line's timestamp (Unix nanoseconds).
    pub time: i64,
    /// The line's length in bytes (for `bytes_over_time` and `bytes_rate`).
    pub line_bytes: usize,
    /// The unwrapped value when the log range has `| unwrap`; `None` when the label is absent
    /// (the line is skipped) or could not be converted (the caller then sets `__error__`).
    pub value: Option<f64>,
}

/// The caller's access to log data.
pub trait SampleSource {
    /// The caller's error type; returned as [`EngineError::Source`].
    type Error;

    /// Runs `range.log` (selector and pipeline, plus the unwrap and its post filters when
    /// present) and calls `sink` for every surviving line whose time is in `(from, to]`
    /// (nanoseconds, end inclusive), in any order. The engine calls this once per range
    /// aggregation in the query.
    fn samples(
        &mut self,
        range: &LogRange,
        from: i64,
        to: i64,
        sink: &mut dyn FnMut(Sample<'_>),
    ) -> Result<(), Self::Error>;
}

/// A query result.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// A range query's series, sorted by labels.
    Matrix(Vec<Series>),
    /// An instant query's samples: sorted by labels, or in the order `sort`/`sort_desc` gave
    /// when the query uses one of them (as Loki does).
    Vector(Vec<InstantSample>),
    /// An instant query whose result is a number: `(time, value)`.
    Scalar(i64, f64),
}

/// A series of a range query result.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    /// The series labels.
    pub labels: Labels,
    /// `(time, value)` points in time order, at step times only.
    pub points: Vec<(i64, f64)>,
}

/// A sample of an instant query result.
#[derive(Debug, Clone, PartialEq)]
pub struct InstantSample {
    /// The series labels.
    pub labels: Labels,
    /// The evaluation time (Unix nanoseconds).
    pub time: i64,
    /// The value.
    pub value: f64,
}

/// Why an evaluation failed.
#[derive(Debug, thiserror::Error)]
pub enum EngineError<E> {
    /// The [`SampleSource`] failed.
    #[error("{0}")]
    Source(E),
    /// An intermediate or final result had more than `max_series` series.
    #[error("maximum of series ({0}) reached for a single query")]
    TooManySeries(usize),
    /// A range query with more than [`MAX_STEPS`] intervals.
    #[error(
        "exceeded maximum resolution of 11,000 points per timeseries. Try decreasing the query \
         resolution (?step=XX)"
    )]
    TooManyPoints,
    /// Invalid [`EvalParams`] (negative step, end before start, overflowing times).
    #[error("{0}")]
    InvalidParams(String),
    /// A line of a range aggregation carried a non-empty `__error__` label (Loki's wording).
    #[error(
        "pipeline error: '{error}' for series: '{series}'.\nUse a label filter to intentionally \
         skip this error. (e.g | __error__!=\"{error}\").\nTo skip all potential errors you can \
         match empty errors.(e.g __error__=\"\")\nThe label filter can also be specified after \
         unwrap. (e.g | unwrap latency | __error__=\"\" )\n"
    )]
    Pipeline {
        /// The `__error__` value, such as `JSONParserErr`.
        error: String,
        /// The series (line labels) that carried it.
        series: Labels,
    },
    /// A query the engine cannot evaluate, such as an aggregation of a number.
    #[error("{0}")]
    Unsupported(String),
    /// A failure while evaluating, such as a many-to-many vector match.
    #[error("{0}")]
    Execution(String),
}

/// Evaluates a metric query.
///
/// Steps are `start, start + step, ... <= end` for a range query and `end` for an instant
/// query. A range aggregation's window at step `t` is `(t - range - offset, t - offset]` and its
/// point is stamped `t`. `source.samples` is called exactly once per range aggregation, with
/// `from = first step - range - offset` and `to = end - offset`.
///
/// Range queries return a [`Value::Matrix`] (a number becomes one series without labels);
/// instant queries a [`Value::Vector`] or a [`Value::Scalar`].
///
/// Deviations from Loki, all deliberate:
/// - `max_series` bounds every intermediate result (Loki checks only the final one), which
///   bounds memory; `sum` over `count_over_time`, `rate`, `bytes_over_time`, `bytes_rate` and
///   `sum_over_time` groups at the source as Loki does, so `sum by (x) (rate(...))` over many
///   streams is not affected.
/// - `topk`, `bottomk`, `sort` and `sort_desc` break value ties by label order (Loki's order
///   is unspecified).
/// - `label_replace` producing two series with the same labels fails like Prometheus ("vector
///   cannot contain metrics with the same labelset").
/// - `avg_over_time` is sum / count (Loki updates a running mean; results differ in the last
///   bits), and sums combine per interval, so float results may differ in the last bits.
/// - Points are stamped in nanoseconds (Loki truncates to milliseconds).
pub fn evaluate<S: SampleSource>(
    expr: &MetricExpr,
    params: &EvalParams,
    source: &mut S,
) -> Result<Value, EngineError<S::Error>> {
    let grid = Grid::new(params)?;
    let mut evaluator = Evaluator {
        grid,
        max_series: params.max_series,
        end: params.end,
        source,
    };
    let node = evaluator.eval(expr)?;
    Ok(into_value(node, &grid, params.instant, uses_sort(expr)))
}

/// What a metric node evaluates to.
pub(crate) enum Node {
    /// A number, the same at every step.
    Scalar(f64),
    /// One vector per step.
    Vector(StepVectors),
}

/// Walks the AST; owns the source and the query-wide settings.
struct Evaluator<'s, S> {
    grid: Grid,
    max_series: usize,
    end: i64,
    source: &'s mut S,
}

impl<S: SampleSource> Evaluator<'_, S> {
    fn eval(&mut self, expr: &MetricExpr) -> Result<Node, EngineError<S::Error>> {
        Ok(match expr {
            MetricExpr::Literal(value) => Node::Scalar(*value),
            MetricExpr::Vector(value) => Node::Vector(StepVectors::constant(self.grid.n, *value)),
            MetricExpr::RangeAggregation(agg) => Node::Vector(range::evaluate(
                agg,
                None,
                &self.grid,
                self.end,
                self.max_series,
                self.source,
            )?),
            MetricExpr::VectorAggregation(agg) => {
                let input = match pushed_down(agg.op, &agg.expr) {
                    Some(inner) => {
                        let by_nothing = Grouping::By(Vec::new());
                        let grouping = agg.grouping.as_ref().unwrap_or(&by_nothing);
                        range::evaluate(
                            inner,
                            Some(grouping),
                            &self.grid,
                            self.end,
                            self.max_series,
                            self.source,
                        )?
                    }
                    None => self.eval_vector(&agg.expr, agg.op.name())?,
                };
                Node::Vector(vector::aggregate(agg, input, self.max_series)?)
            }
            MetricExpr::Binary(binary) => {
                let left = self.eval(&binary.left)?;
                let right = self.eval(&binary.right)?;
                binary::evaluate(binary, left, right, self.max_series)?
            }
            MetricExpr::LabelReplace(replace) => {
                let input = self.eval_vector(&replace.expr, "label_replace")?;
                Node::Vector(labelling::label_replace(replace, input, self.max_series)?)
            }
        })
    }

    /// Evaluates an operand that must be a vector.
    fn eval_vector(
        &mut self,
        expr: &MetricExpr,
        what: &str,
    ) -> Result<StepVectors, EngineError<S::Error>> {
        match self.eval(expr)? {
            Node::Vector(vectors) => Ok(vectors),
            Node::Scalar(_) => Err(EngineError::Unsupported(format!(
                "{what} expects a vector, got a number"
            ))),
        }
    }
}

/// The range aggregation under `sum` whose series Loki groups at the source (its
/// `canInjectVectorGrouping`): the sum is linear in the samples, so grouping early gives the
/// same result with fewer series.
fn pushed_down(op: VectorOp, inner: &MetricExpr) -> Option<&crate::ast::RangeAggregation> {
    let MetricExpr::RangeAggregation(range) = inner else {
        return None;
    };
    let linear = matches!(
        range.op,
        RangeOp::BytesOverTime
            | RangeOp::BytesRate
            | RangeOp::SumOverTime
            | RangeOp::Rate
            | RangeOp::CountOverTime
    );
    (op == VectorOp::Sum && linear && range.grouping.is_none()).then_some(range)
}

/// Whether the query uses `sort` or `sort_desc` (then an instant result keeps their order).
fn uses_sort(expr: &MetricExpr) -> bool {
    match expr {
        MetricExpr::VectorAggregation(agg) => {
            matches!(agg.op, VectorOp::Sort | VectorOp::SortDesc) || uses_sort(&agg.expr)
        }
        MetricExpr::Binary(binary) => uses_sort(&binary.left) || uses_sort(&binary.right),
        MetricExpr::LabelReplace(replace) => uses_sort(&replace.expr),
        MetricExpr::RangeAggregation(_) | MetricExpr::Literal(_) | MetricExpr::Vector(_) => false,
    }
}

/// Turns the root node into the public result.
fn into_value(node: Node, grid: &Grid, instant: bool, keep_order: bool) -> Value {
    match (node, instant) {
        (Node::Scalar(value), true) => Value::Scalar(grid.time(0), value),
        (Node::Scalar(value), false) => Value::Matrix(vec![Series {
            labels: Labels::new(),
            points: (0..grid.n).map(|k| (grid.time(k), value)).collect(),
        }]),
        (Node::Vector(vectors), true) => {
            let mut samples: Vec<(u32, f64)> = vectors.at(0).to_vec();
            if !keep_order {
                // Series ids follow label order.
                samples.sort_by_key(|&(id, _)| id);
            }
            let (series, _) = vectors.into_parts();
            Value::Vector(
                samples
                    .into_iter()
                    .map(|(id, value)| InstantSample {
                        labels: series[id as usize].clone(),
                        time: grid.time(0),
                        value,
                    })
                    .collect(),
            )
        }
        (Node::Vector(vectors), false) => {
            let mut points: Vec<Vec<(i64, f64)>> = vec![Vec::new(); vectors.series_count()];
            for k in 0..grid.n {
                for &(id, value) in vectors.at(k) {
                    points[id as usize].push((grid.time(k), value));
                }
            }
            let (series, _) = vectors.into_parts();
            Value::Matrix(
                series
                    .into_iter()
                    .zip(points)
                    .filter(|(_, points)| !points.is_empty())
                    .map(|(labels, points)| Series { labels, points })
                    .collect(),
            )
        }
    }
}
