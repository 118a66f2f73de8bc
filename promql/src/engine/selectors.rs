//! Selectors: loading each selector's series once for the whole query, then cutting the
//! instant vector (lookback), range vector (window) or subquery result for one step.

use std::collections::{BTreeMap, HashMap};

use promql_parser::label::{MatchOp as PMatchOp, Matcher as PMatcher};
use promql_parser::parser::{MatrixSelector, SubqueryExpr, VectorSelector};

use super::{Ctx, Elem, Error, StepValue, Window, at_ms, offset_ms, subquery_step};
use crate::types::{EvalError, METRIC_NAME, MatchOp, Matcher, Series, SeriesSource, is_stale_nan};

/// Per selector node (by address): the node and the time range `[from, to]` it needs.
pub(crate) type Plan<'e> = HashMap<*const VectorSelector, (&'e VectorSelector, i64, i64)>;

/// Converts a parser matcher into the source's matcher type.
fn convert(m: &PMatcher) -> Matcher {
    let op = match m.op {
        PMatchOp::Equal => MatchOp::Eq,
        PMatchOp::NotEqual => MatchOp::Neq,
        PMatchOp::Re(_) => MatchOp::Re,
        PMatchOp::NotRe(_) => MatchOp::Nre,
    };
    Matcher {
        name: m.name.clone(),
        op,
        value: m.value.clone(),
    }
}

/// The matcher sets of a selector: one, or one per `or` alternative.
pub(crate) fn matcher_sets(vs: &VectorSelector) -> Vec<Vec<Matcher>> {
    let mut base: Vec<Matcher> = Vec::new();
    if let Some(name) = &vs.name {
        base.push(Matcher {
            name: METRIC_NAME.into(),
            op: MatchOp::Eq,
            value: name.clone(),
        });
    }
    base.extend(vs.matchers.matchers.iter().map(convert));
    if vs.matchers.or_matchers.is_empty() {
        return vec![base];
    }
    vs.matchers
        .or_matchers
        .iter()
        .map(|alt| {
            base.iter()
                .cloned()
                .chain(alt.iter().map(convert))
                .collect()
        })
        .collect()
}

/// Loads every planned selector from the source, enforcing the series and sample limits.
pub(crate) fn load<S: SeriesSource>(
    ctx: &mut Ctx<'_, S>,
    source: &mut S,
    plan: Plan<'_>,
) -> Result<(), Error<S>> {
    let mut loaded = 0usize;
    for (key, (vs, from, to)) in plan {
        let mut by_labels: BTreeMap<_, Series> = BTreeMap::new();
        for matchers in matcher_sets(vs) {
            for mut s in source
                .select(&matchers, from, to)
                .map_err(EvalError::Source)?
            {
                s.points.retain(|&(t, _)| t >= from && t <= to);
                s.labels.sort();
                by_labels.entry(s.labels.clone()).or_insert(s);
            }
        }
        if by_labels.len() > ctx.params.max_series {
            return Err(EvalError::TooManySeries(by_labels.len()));
        }
        loaded += by_labels.values().map(|s| s.points.len()).sum::<usize>();
        if loaded > ctx.params.max_samples {
            return Err(EvalError::TooManySamples(loaded));
        }
        ctx.cache.insert(key, by_labels.into_values().collect());
    }
    Ok(())
}

impl<S: SeriesSource> Ctx<'_, S> {
    /// The effective evaluation time of a selector at step `t`.
    pub(crate) fn selector_time(&self, vs: &VectorSelector, t: i64) -> i64 {
        at_ms(&vs.at, self.params).unwrap_or(t) - offset_ms(&vs.offset)
    }

    /// The newest non-stale point of each series within `(t - lookback, t]`.
    pub(crate) fn instant_vector(&self, vs: &VectorSelector, t: i64) -> Vec<Elem> {
        let te = self.selector_time(vs, t);
        let Some(series) = self.cache.get(&(vs as *const _)) else {
            return Vec::new();
        };
        series
            .iter()
            .filter_map(|s| {
                let i = s.points.partition_point(|&(pt, _)| pt <= te);
                let &(pt, v) = s.points.get(i.checked_sub(1)?)?;
                (pt > te - self.params.lookback_ms && !is_stale_nan(v)).then(|| Elem {
                    labels: s.labels.clone(),
                    value: v,
                })
            })
            .collect()
    }

    /// The time of the newest non-stale point of each series within the lookback window, in
    /// the order of [`Self::instant_vector`] (for `timestamp()`).
    pub(crate) fn instant_timestamps(&self, vs: &VectorSelector, t: i64) -> Vec<Elem> {
        let te = self.selector_time(vs, t);
        let Some(series) = self.cache.get(&(vs as *const _)) else {
            return Vec::new();
        };
        series
            .iter()
            .filter_map(|s| {
                let i = s.points.partition_point(|&(pt, _)| pt <= te);
                let &(pt, v) = s.points.get(i.checked_sub(1)?)?;
                (pt > te - self.params.lookback_ms && !is_stale_nan(v)).then(|| Elem {
                    labels: s.labels.clone(),
                    value: pt as f64 / 1000.0,
                })
            })
            .collect()
    }

    /// The non-stale points of each series within `(t - range, t]`.
    pub(crate) fn range_vector(&self, ms: &MatrixSelector, t: i64) -> Window {
        let end = self.selector_time(&ms.vs, t);
        let start = end - ms.range.as_millis() as i64;
        let series = self
            .cache
            .get(&(&ms.vs as *const _))
            .map(|all| {
                all.iter()
                    .filter_map(|s| {
                        let lo = s.points.partition_point(|&(pt, _)| pt <= start);
                        let hi = s.points.partition_point(|&(pt, _)| pt <= end);
                        let points: Vec<(i64, f64)> = s.points[lo..hi]
                            .iter()
                            .copied()
                            .filter(|&(_, v)| !is_stale_nan(v))
                            .collect();
                        (!points.is_empty()).then(|| Series {
                            labels: s.labels.clone(),
                            points,
                            delta: s.delta,
                        })
                    })
                    .collect()
            })
            .unwrap_or_default();
        Window { series, start, end }
    }

    /// Evaluates a subquery's inner expression at its resolution within `(t - range, t]`.
    pub(crate) fn subquery(&mut self, sq: &SubqueryExpr, t: i64) -> Result<Window, Error<S>> {
        let end = at_ms(&sq.at, self.params).unwrap_or(t) - offset_ms(&sq.offset);
        let start = end - sq.range.as_millis() as i64;
        let step = subquery_step(sq.step, self.params);
        let mut ti = start.div_euclid(step) * step;
        if ti <= start {
            ti += step;
        }
        let mut out: BTreeMap<_, Vec<(i64, f64)>> = BTreeMap::new();
        while ti <= end {
            match self.eval(&sq.expr, ti)? {
                StepValue::Scalar(v) => out.entry(Vec::new()).or_default().push((ti, v)),
                StepValue::Vector(v) => {
                    for e in v {
                        out.entry(e.labels).or_default().push((ti, e.value));
                    }
                    self.check_series(out.len())?;
                }
                _ => return Err(super::exec("subquery is only allowed on instant vector")),
            }
            ti += step;
        }
        let series = out
            .into_iter()
            .map(|(labels, points)| Series {
                labels,
                points,
                delta: false,
            })
            .collect();
        Ok(Window { series, start, end })
    }
}
