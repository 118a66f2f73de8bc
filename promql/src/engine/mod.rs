//! The evaluator: plans which selectors need which time ranges, loads them once from the
//! [`SeriesSource`], then evaluates the AST at each step (`eval` below), dispatching to
//! selectors (`selectors.rs`), functions (`functions.rs`, `range_fns.rs`,
//! `histogram.rs`), aggregations (`aggregate.rs`) and binary operators (`binary.rs`).

mod aggregate;
mod binary;
mod functions;
mod fused;
mod histogram;
mod labels;
mod range_fns;
mod selectors;

#[cfg(test)]
mod tests;

use std::collections::{BTreeMap, HashMap};
use std::time::{Instant, SystemTime};

use promql_parser::parser::{AggregateExpr, AtModifier, Expr, Offset, VectorSelector, token};

use crate::types::{
    EvalError, Labels, MAX_STEPS, QueryParams, Sample, Series, SeriesSource, Value,
};

/// One element of an instant vector during evaluation (the step time is implicit).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Elem {
    pub labels: Labels,
    pub value: f64,
}

/// A range vector at one step: the series' points inside `(start, end]`.
#[derive(Debug, Clone)]
pub(crate) struct Window {
    pub series: Vec<Series>,
    pub start: i64,
    pub end: i64,
}

/// The value of an expression at one evaluation time.
#[derive(Debug, Clone)]
pub(crate) enum StepValue {
    Scalar(f64),
    Vector(Vec<Elem>),
    Matrix(Window),
    String(String),
}

/// The error type of an evaluation over source `S`.
pub(crate) type Error<S> = EvalError<<S as SeriesSource>::Error>;

/// Default subquery resolution of instant queries (Prometheus's default evaluation interval).
const DEFAULT_SUBQUERY_STEP_MS: i64 = 60_000;

/// Evaluation state shared by all steps.
pub(crate) struct Ctx<'a, S: SeriesSource> {
    pub params: &'a QueryParams,
    /// Loaded series per selector node (keyed by the node's address), sorted by labels.
    pub cache: HashMap<*const VectorSelector, Vec<Series>>,
    /// Series groups of the aggregations on the fused path (keyed by the node's address).
    pub fused: HashMap<*const AggregateExpr, fused::FusedGroups>,
    _source: std::marker::PhantomData<S>,
}

/// Evaluates `expr` as an instant query (`params.instant`, one step at `end_ms`) or a range
/// query (steps `start_ms, start_ms + step_ms, … ≤ end_ms`) over series from `source`.
///
/// Supported: vector selectors with lookback (the newest point in `(t - lookback, t]`; a
/// staleness marker hides the series), matrix selectors, `offset`, `@` (with `start()` and
/// `end()`), subqueries; `rate irate increase delta idelta deriv predict_linear changes
/// resets` and `avg/min/max/sum/count/quantile/stddev/stdvar/last/present/absent_over_time`;
/// aggregations `sum avg min max count group stddev stdvar topk bottomk quantile
/// count_values` with `by`/`without`; all binary operators with `bool`, `on`, `ignoring`,
/// `group_left`, `group_right`; `histogram_quantile` (classic `le` buckets), `label_replace`,
/// `label_join`, `abs ceil floor round clamp clamp_min clamp_max exp ln log2 log10 sqrt sgn`,
/// `time vector scalar absent sort sort_desc timestamp`. Other functions fail with
/// [`EvalError::Execution`].
///
/// Limits: a selection or result with more than `max_series` series fails with
/// [`EvalError::TooManySeries`]; loading more than `max_samples` points in total with
/// [`EvalError::TooManySamples`]; passing `deadline` (checked between steps) with
/// [`EvalError::Timeout`]; more than 11,000 steps with [`EvalError::BadData`].
///
/// Deviations from Prometheus 2.x: range windows are left-open `(t - range, t]` like the
/// lookback window (Prometheus 3 semantics); series with `delta: true` (OTLP delta
/// temporality) make `rate` the sum of the window's points divided by the range in seconds
/// and `increase` that sum, without extrapolation; instant-query vectors are sorted by labels
/// unless the outermost function is `sort`, `sort_desc`, `topk` or `bottomk`; native
/// histograms, `limitk`, `limit_ratio` and the experimental `fill` modifiers are not
/// supported.
pub fn evaluate<S: SeriesSource>(
    expr: &Expr,
    params: &QueryParams,
    source: &mut S,
) -> Result<Value, EvalError<S::Error>> {
    let steps = step_times::<S>(params)?;
    let mut ctx = Ctx::<S> {
        params,
        cache: HashMap::new(),
        fused: HashMap::new(),
        _source: std::marker::PhantomData,
    };
    let mut plan = HashMap::new();
    let (lo, hi) = (steps[0], *steps.last().unwrap_or(&steps[0]));
    plan_expr(expr, lo, hi, params, &mut plan);
    selectors::load(&mut ctx, source, plan)?;

    if params.instant {
        let t = params.end_ms;
        check_deadline::<S>(params)?;
        return Ok(match ctx.eval(expr, t)? {
            StepValue::Scalar(v) => Value::Scalar(t, v),
            StepValue::String(s) => Value::String(t, s),
            StepValue::Vector(mut v) => {
                check_result::<S>(&v, params)?;
                if !keeps_order(expr) {
                    v.sort_by(|a, b| a.labels.cmp(&b.labels));
                }
                Value::Vector(
                    v.into_iter()
                        .map(|e| Sample {
                            labels: e.labels,
                            timestamp_ms: t,
                            value: e.value,
                        })
                        .collect(),
                )
            }
            StepValue::Matrix(w) => Value::Matrix(w.series),
        });
    }

    let mut out: BTreeMap<Labels, Vec<(i64, f64)>> = BTreeMap::new();
    for &t in &steps {
        check_deadline::<S>(params)?;
        match ctx.eval(expr, t)? {
            StepValue::Scalar(v) => out.entry(Vec::new()).or_default().push((t, v)),
            StepValue::Vector(v) => {
                check_result::<S>(&v, params)?;
                for e in v {
                    out.entry(e.labels).or_default().push((t, e.value));
                }
                if out.len() > params.max_series {
                    return Err(EvalError::TooManySeries(out.len()));
                }
            }
            StepValue::Matrix(_) => {
                return Err(EvalError::BadData(
                    "invalid expression type \"range vector\" for range query, must be Scalar or instant Vector".into(),
                ));
            }
            StepValue::String(_) => {
                return Err(EvalError::BadData(
                    "invalid expression type \"string\" for range query, must be Scalar or instant Vector".into(),
                ));
            }
        }
    }
    Ok(Value::Matrix(
        out.into_iter()
            .map(|(labels, points)| Series {
                labels,
                points,
                delta: false,
            })
            .collect(),
    ))
}

/// The evaluation times of a query, validating the step parameters.
fn step_times<S: SeriesSource>(p: &QueryParams) -> Result<Vec<i64>, Error<S>> {
    if p.instant {
        return Ok(vec![p.end_ms]);
    }
    if p.step_ms <= 0 {
        return Err(EvalError::BadData(
            "zero or negative query resolution step widths are not accepted. Try a positive integer".into(),
        ));
    }
    if p.end_ms < p.start_ms {
        return Err(EvalError::BadData(
            "end timestamp must not be before start time".into(),
        ));
    }
    if (p.end_ms - p.start_ms) / p.step_ms > MAX_STEPS {
        return Err(EvalError::BadData(
            "exceeded maximum resolution of 11,000 points per timeseries. Try decreasing the query resolution (?step=XX)".into(),
        ));
    }
    Ok((p.start_ms..=p.end_ms)
        .step_by(p.step_ms as usize)
        .collect())
}

fn check_deadline<S: SeriesSource>(p: &QueryParams) -> Result<(), Error<S>> {
    match p.deadline {
        Some(d) if Instant::now() >= d => Err(EvalError::Timeout),
        _ => Ok(()),
    }
}

/// A step's result vector must respect `max_series` and have unique label sets.
fn check_result<S: SeriesSource>(v: &[Elem], p: &QueryParams) -> Result<(), Error<S>> {
    if v.len() > p.max_series {
        return Err(EvalError::TooManySeries(v.len()));
    }
    let mut seen: Vec<&Labels> = v.iter().map(|e| &e.labels).collect();
    seen.sort();
    if seen.windows(2).any(|w| w[0] == w[1]) {
        return Err(EvalError::Execution(
            "vector cannot contain metrics with the same labelset".into(),
        ));
    }
    Ok(())
}

/// Whether the outermost operation defines the order of an instant vector.
fn keeps_order(expr: &Expr) -> bool {
    match expr {
        Expr::Paren(p) => keeps_order(&p.expr),
        Expr::Call(c) => matches!(c.func.name, "sort" | "sort_desc"),
        Expr::Aggregate(a) => {
            matches!(a.op.id(), token::T_TOPK | token::T_BOTTOMK)
        }
        _ => false,
    }
}

/// Milliseconds of an `offset` modifier (positive looks back).
pub(crate) fn offset_ms(o: &Option<Offset>) -> i64 {
    match o {
        Some(Offset::Pos(d)) => d.as_millis() as i64,
        Some(Offset::Neg(d)) => -(d.as_millis() as i64),
        None => 0,
    }
}

/// The fixed evaluation time of an `@` modifier, if any.
pub(crate) fn at_ms(at: &Option<AtModifier>, p: &QueryParams) -> Option<i64> {
    match at {
        None => None,
        Some(AtModifier::Start) => Some(if p.instant { p.end_ms } else { p.start_ms }),
        Some(AtModifier::End) => Some(p.end_ms),
        Some(AtModifier::At(st)) => Some(match st.duration_since(SystemTime::UNIX_EPOCH) {
            Ok(d) => d.as_millis() as i64,
            Err(e) => -(e.duration().as_millis() as i64),
        }),
    }
}

/// The resolution of a subquery.
pub(crate) fn subquery_step(step: Option<std::time::Duration>, p: &QueryParams) -> i64 {
    match step {
        Some(d) if d.as_millis() > 0 => d.as_millis() as i64,
        _ if !p.instant && p.step_ms > 0 => p.step_ms,
        _ => DEFAULT_SUBQUERY_STEP_MS,
    }
}

/// Records for every selector the time range `[from, to]` its points are needed for, given
/// that `expr` is evaluated at times within `[lo, hi]`.
fn plan_expr<'e>(
    expr: &'e Expr,
    lo: i64,
    hi: i64,
    p: &QueryParams,
    plan: &mut selectors::Plan<'e>,
) {
    let mut add = |vs: &'e VectorSelector, range: i64| {
        let off = offset_ms(&vs.offset);
        let (lo, hi) = match at_ms(&vs.at, p) {
            Some(a) => (a, a),
            None => (lo, hi),
        };
        let e = plan
            .entry(vs as *const _)
            .or_insert((vs, i64::MAX, i64::MIN));
        e.1 = e.1.min(lo - off - range);
        e.2 = e.2.max(hi - off);
    };
    match expr {
        Expr::VectorSelector(vs) => add(vs, p.lookback_ms),
        Expr::MatrixSelector(ms) => add(&ms.vs, ms.range.as_millis() as i64),
        Expr::Subquery(sq) => {
            let off = offset_ms(&sq.offset);
            let (lo, hi) = match at_ms(&sq.at, p) {
                Some(a) => (a, a),
                None => (lo, hi),
            };
            let range = sq.range.as_millis() as i64;
            plan_expr(&sq.expr, lo - off - range, hi - off, p, plan);
        }
        Expr::Aggregate(a) => {
            plan_expr(&a.expr, lo, hi, p, plan);
            if let Some(param) = &a.param {
                plan_expr(param, lo, hi, p, plan);
            }
        }
        Expr::Unary(u) => plan_expr(&u.expr, lo, hi, p, plan),
        Expr::Binary(b) => {
            plan_expr(&b.lhs, lo, hi, p, plan);
            plan_expr(&b.rhs, lo, hi, p, plan);
        }
        Expr::Paren(x) => plan_expr(&x.expr, lo, hi, p, plan),
        Expr::Call(c) => {
            for a in &c.args.args {
                plan_expr(a, lo, hi, p, plan);
            }
        }
        Expr::NumberLiteral(_) | Expr::StringLiteral(_) | Expr::Extension(_) => {}
    }
}

impl<S: SeriesSource> Ctx<'_, S> {
    /// Evaluates `expr` at time `t` (unix ms).
    pub(crate) fn eval(&mut self, expr: &Expr, t: i64) -> Result<StepValue, Error<S>> {
        Ok(match expr {
            Expr::NumberLiteral(n) => StepValue::Scalar(n.val),
            Expr::StringLiteral(s) => StepValue::String(s.val.clone()),
            Expr::Paren(p) => self.eval(&p.expr, t)?,
            Expr::Unary(u) => match self.eval(&u.expr, t)? {
                StepValue::Scalar(v) => StepValue::Scalar(-v),
                StepValue::Vector(v) => StepValue::Vector(
                    v.into_iter()
                        .map(|e| Elem {
                            labels: labels::drop_name(e.labels),
                            value: -e.value,
                        })
                        .collect(),
                ),
                _ => return Err(exec("unary minus needs a scalar or instant vector")),
            },
            Expr::VectorSelector(vs) => StepValue::Vector(self.instant_vector(vs, t)),
            Expr::MatrixSelector(ms) => StepValue::Matrix(self.range_vector(ms, t)),
            Expr::Subquery(sq) => StepValue::Matrix(self.subquery(sq, t)?),
            Expr::Aggregate(a) => self.aggregate(a, t)?,
            Expr::Binary(b) => self.binary(b, t)?,
            Expr::Call(c) => self.call(c, t)?,
            Expr::Extension(_) => return Err(exec("extension expressions are not supported")),
        })
    }

    /// Evaluates `expr` at `t`, requiring an instant vector.
    pub(crate) fn eval_vector(&mut self, expr: &Expr, t: i64) -> Result<Vec<Elem>, Error<S>> {
        match self.eval(expr, t)? {
            StepValue::Vector(v) => Ok(v),
            _ => Err(exec("expected an instant vector")),
        }
    }

    /// Evaluates `expr` at `t`, requiring a scalar.
    pub(crate) fn eval_scalar(&mut self, expr: &Expr, t: i64) -> Result<f64, Error<S>> {
        match self.eval(expr, t)? {
            StepValue::Scalar(v) => Ok(v),
            _ => Err(exec("expected a scalar")),
        }
    }

    /// Evaluates `expr` at `t`, requiring a string.
    pub(crate) fn eval_string(&mut self, expr: &Expr, t: i64) -> Result<String, Error<S>> {
        match self.eval(expr, t)? {
            StepValue::String(s) => Ok(s),
            _ => Err(exec("expected a string")),
        }
    }

    /// Evaluates `expr` at `t`, requiring a range vector.
    pub(crate) fn eval_matrix(&mut self, expr: &Expr, t: i64) -> Result<Window, Error<S>> {
        match self.eval(expr, t)? {
            StepValue::Matrix(w) => Ok(w),
            _ => Err(exec("expected a range vector")),
        }
    }

    /// Fails when an intermediate vector has more than `max_series` elements.
    pub(crate) fn check_series(&self, n: usize) -> Result<(), Error<S>> {
        if n > self.params.max_series {
            Err(EvalError::TooManySeries(n))
        } else {
            Ok(())
        }
    }
}

/// An execution error (HTTP 422).
pub(crate) fn exec<E>(msg: impl Into<String>) -> EvalError<E> {
    EvalError::Execution(msg.into())
}
