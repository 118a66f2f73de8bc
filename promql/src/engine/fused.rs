//! A fast path for the commonest dashboard shape, `agg by/without (…) (f(selector[range]))`:
//! `agg` one of `sum avg min max count group stddev stdvar`, `f` a range function other than
//! `last_over_time` and `quantile_over_time`, applied directly to a matrix selector.
//!
//! The general path builds, at every step, a window holding a copy of each series' labels and
//! points, then a vector with the labels again, then a grouping key per element. Here each
//! series' group is found once per query; a step computes `f` over slices of the loaded points
//! and reduces each group's values in the same order with the same arithmetic, so results are
//! identical to the general path's.

use std::collections::HashMap;

use promql_parser::parser::{AggregateExpr, Expr, LabelModifier, token};

use super::range_fns::{is_range_fn, range_value, variance};
use super::{Ctx, Elem, Error, StepValue, labels};
use crate::types::{Labels, SeriesSource, is_stale_nan};

/// The groups of one fused aggregation: per loaded series its group, and the groups' labels.
#[derive(Debug, Default)]
pub(crate) struct FusedGroups {
    group_of: Vec<usize>,
    keys: Vec<Labels>,
}

/// Whether aggregation `op` reduces a group's values without a parameter.
fn reducible(op: token::TokenId) -> bool {
    matches!(
        op,
        token::T_SUM
            | token::T_AVG
            | token::T_MIN
            | token::T_MAX
            | token::T_COUNT
            | token::T_GROUP
            | token::T_STDDEV
            | token::T_STDVAR
    )
}

/// Reduces one group's values (in input order) as the general path does.
pub(crate) fn reduce(op: token::TokenId, vals: &[f64]) -> f64 {
    let it = vals.iter().copied();
    match op {
        token::T_SUM => it.sum(),
        token::T_AVG => it.sum::<f64>() / vals.len() as f64,
        token::T_COUNT => vals.len() as f64,
        token::T_GROUP => 1.0,
        token::T_MIN => it
            .reduce(|m, v| if v < m || m.is_nan() { v } else { m })
            .unwrap_or(f64::NAN),
        token::T_MAX => it
            .reduce(|m, v| if v > m || m.is_nan() { v } else { m })
            .unwrap_or(f64::NAN),
        token::T_STDVAR => variance(it),
        _ => variance(it).sqrt(),
    }
}

impl<S: SeriesSource> Ctx<'_, S> {
    /// Evaluates `a` at `t` on the fast path, or `None` when its shape is not the fused one.
    pub(crate) fn fused_aggregate(
        &mut self,
        a: &AggregateExpr,
        t: i64,
    ) -> Result<Option<StepValue>, Error<S>> {
        let op = a.op.id();
        if !reducible(op) || a.param.is_some() {
            return Ok(None);
        }
        let Expr::Call(call) = a.expr.as_ref() else {
            return Ok(None);
        };
        let name = call.func.name;
        if !is_range_fn(name) || matches!(name, "last_over_time" | "quantile_over_time") {
            return Ok(None);
        }
        let [arg] = call.args.args.as_slice() else {
            return Ok(None);
        };
        let Expr::MatrixSelector(ms) = arg.as_ref() else {
            return Ok(None);
        };
        let end = self.selector_time(&ms.vs, t);
        let start = end - ms.range.as_millis() as i64;
        let Some(series) = self.cache.get(&(&ms.vs as *const _)) else {
            return Ok(Some(StepValue::Vector(Vec::new())));
        };
        let groups = self
            .fused
            .entry(a as *const _)
            .or_insert_with(|| group_series(a, series.iter().map(|s| &s.labels)));
        let mut values: Vec<Vec<f64>> = vec![Vec::new(); groups.keys.len()];
        let mut order: Vec<usize> = Vec::new();
        let mut live: Vec<(i64, f64)> = Vec::new();
        for (s, &group) in series.iter().zip(&groups.group_of) {
            let lo = s.points.partition_point(|&(pt, _)| pt <= start);
            let hi = s.points.partition_point(|&(pt, _)| pt <= end);
            let mut pts = &s.points[lo..hi];
            if pts.iter().any(|&(_, v)| is_stale_nan(v)) {
                live.clear();
                live.extend(pts.iter().filter(|&&(_, v)| !is_stale_nan(v)));
                pts = &live;
            }
            if pts.is_empty() {
                continue;
            }
            let Some(value) = range_value(name, pts, s.delta, (start, end), 0.0) else {
                continue;
            };
            if values[group].is_empty() {
                order.push(group);
            }
            values[group].push(value);
        }
        let out: Vec<Elem> = order
            .into_iter()
            .map(|g| Elem {
                labels: groups.keys[g].clone(),
                value: reduce(op, &values[g]),
            })
            .collect();
        self.check_series(out.len())?;
        Ok(Some(StepValue::Vector(out)))
    }
}

/// Each series' group under `a`'s grouping (of its labels without `__name__`, which the range
/// function drops), groups numbered in order of first appearance.
fn group_series<'l>(a: &AggregateExpr, all: impl Iterator<Item = &'l Labels>) -> FusedGroups {
    let grouping: Option<(&[String], bool)> = match &a.modifier {
        None => None,
        Some(LabelModifier::Include(l)) => Some((&l.labels, true)),
        Some(LabelModifier::Exclude(l)) => Some((&l.labels, false)),
    };
    let mut index: HashMap<Labels, usize> = HashMap::new();
    let mut out = FusedGroups::default();
    for series_labels in all {
        let key = labels::group_key(&labels::drop_name(series_labels.clone()), grouping);
        let next = out.keys.len();
        let group = *index.entry(key.clone()).or_insert(next);
        if group == next {
            out.keys.push(key);
        }
        out.group_of.push(group);
    }
    out
}
