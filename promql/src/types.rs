//! Public data types of the evaluator: series, samples, results, matchers, parameters and
//! errors, plus the [`SeriesSource`] trait the caller implements to feed stored series.

use std::time::Instant;

/// The label holding a series' metric name.
pub const METRIC_NAME: &str = "__name__";

/// The bit pattern Prometheus writes as a staleness marker: a NaN that ends a series.
pub const STALE_NAN_BITS: u64 = 0x7ff0_0000_0000_0002;

/// Whether `v` is the Prometheus staleness marker (a specific NaN bit pattern).
pub fn is_stale_nan(v: f64) -> bool {
    v.to_bits() == STALE_NAN_BITS
}

/// A label set: `(name, value)` pairs sorted by name, names unique.
pub type Labels = Vec<(String, String)>;

/// One stored time series.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    /// Labels sorted by name, including `__name__` for stored series.
    pub labels: Labels,
    /// `(unix milliseconds, value)` points sorted by time.
    pub points: Vec<(i64, f64)>,
    /// OTLP delta temporality: each point is an increment over the previous point's time,
    /// not a cumulative counter. `rate` and `increase` then sum the window's points.
    pub delta: bool,
}

/// One element of an instant vector.
#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    /// Labels sorted by name.
    pub labels: Labels,
    /// Evaluation time in unix milliseconds.
    pub timestamp_ms: i64,
    /// The sample value.
    pub value: f64,
}

/// The result of an evaluation.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// Range query result, or an instant query of a range-vector expression: series sorted by
    /// labels, each with one point per step where it had a value.
    Matrix(Vec<Series>),
    /// Instant query result of an instant-vector expression.
    Vector(Vec<Sample>),
    /// Instant query result of a scalar expression: `(unix ms, value)`.
    Scalar(i64, f64),
    /// Instant query result of a string expression: `(unix ms, value)`.
    String(i64, String),
}

/// How a [`Matcher`] compares a label value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MatchOp {
    /// `=`: equal.
    Eq,
    /// `!=`: not equal.
    Neq,
    /// `=~`: fully anchored regular expression matches.
    Re,
    /// `!~`: fully anchored regular expression does not match.
    Nre,
}

/// A label matcher handed to [`SeriesSource::select`]. A missing label has the value `""`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Matcher {
    /// The label name (`__name__` for the metric name).
    pub name: String,
    /// The comparison.
    pub op: MatchOp,
    /// The value, or the regular expression (unanchored text; matching is fully anchored).
    pub value: String,
}

impl Matcher {
    /// Whether a label value (`""` when the label is absent) satisfies this matcher.
    /// Regular expressions are compiled on each call: sources that filter many series should
    /// compile [`Matcher::anchored_regex`] once instead.
    pub fn matches(&self, value: &str) -> bool {
        match self.op {
            MatchOp::Eq => value == self.value,
            MatchOp::Neq => value != self.value,
            MatchOp::Re => self.anchored_regex().is_some_and(|r| r.is_match(value)),
            MatchOp::Nre => !self.anchored_regex().is_some_and(|r| r.is_match(value)),
        }
    }

    /// The fully anchored regex of a `=~`/`!~` matcher (`None` if it does not compile).
    pub fn anchored_regex(&self) -> Option<regex::Regex> {
        regex::Regex::new(&format!("^(?:{})$", self.value)).ok()
    }

    /// Whether a label set satisfies this matcher.
    pub fn matches_labels(&self, labels: &Labels) -> bool {
        self.matches(label_value(labels, &self.name).unwrap_or(""))
    }
}

/// Where the evaluator reads stored series from.
pub trait SeriesSource {
    /// The source's own error type, returned wrapped in [`EvalError::Source`].
    type Error;
    /// Series whose labels match all `matchers` with their points in `[start_ms, end_ms]`
    /// (points outside may be returned; the evaluator ignores them).
    fn select(
        &mut self,
        matchers: &[Matcher],
        start_ms: i64,
        end_ms: i64,
    ) -> Result<Vec<Series>, Self::Error>;
}

/// The time range and limits of one evaluation. Times are unix milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QueryParams {
    /// First step of a range query (ignored when `instant`).
    pub start_ms: i64,
    /// Last possible step of a range query; the evaluation time of an instant query.
    pub end_ms: i64,
    /// Step width of a range query, > 0 (ignored when `instant`).
    pub step_ms: i64,
    /// One evaluation at `end_ms`.
    pub instant: bool,
    /// How far back an instant vector selector looks for a sample (Prometheus: 5 minutes).
    pub lookback_ms: i64,
    /// The most series any selection or (intermediate) result may have.
    pub max_series: usize,
    /// The most points all selections together may load.
    pub max_samples: usize,
    /// Checked between steps; past it the evaluation fails with [`EvalError::Timeout`].
    pub deadline: Option<Instant>,
}

/// Prometheus's default lookback delta, 5 minutes.
pub const DEFAULT_LOOKBACK_MS: i64 = 300_000;

/// The most steps a range query may have (`(end - start) / step`), as in Prometheus.
pub const MAX_STEPS: i64 = 11_000;

impl QueryParams {
    /// An instant query at `time_ms` with the default lookback and generous limits.
    pub fn instant(time_ms: i64) -> Self {
        QueryParams {
            start_ms: time_ms,
            end_ms: time_ms,
            step_ms: 0,
            instant: true,
            lookback_ms: DEFAULT_LOOKBACK_MS,
            max_series: 500_000,
            max_samples: 50_000_000,
            deadline: None,
        }
    }

    /// A range query over `start_ms..=end_ms` every `step_ms`, defaults as [`Self::instant`].
    pub fn range(start_ms: i64, end_ms: i64, step_ms: i64) -> Self {
        QueryParams {
            start_ms,
            step_ms,
            instant: false,
            ..QueryParams::instant(end_ms)
        }
    }
}

/// Why an evaluation failed. The HTTP layer maps these to Prometheus's error types.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum EvalError<E> {
    /// The series source failed.
    #[error("series source: {0}")]
    Source(E),
    /// Invalid query parameters or expression for this kind of query (HTTP 400, `bad_data`).
    #[error("{0}")]
    BadData(String),
    /// The query cannot be executed (HTTP 422, `execution`).
    #[error("{0}")]
    Execution(String),
    /// The deadline passed (HTTP 503, `timeout`).
    #[error("query timed out in query execution")]
    Timeout,
    /// A selection or result had more series than allowed (the count found).
    #[error("query exceeded the maximum number of series ({0})")]
    TooManySeries(usize),
    /// The selections loaded more points than allowed (the count loaded).
    #[error("query processing would load too many samples into memory ({0})")]
    TooManySamples(usize),
}

/// The value of label `name`, if present.
pub fn label_value<'a>(labels: &'a Labels, name: &str) -> Option<&'a str> {
    labels
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
}
