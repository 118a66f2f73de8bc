//! A fast path for the commonest dashboard shape, `agg by/without (…) (f(selector[range]))`:
//! `agg` one of `sum avg min max count group stddev stdvar`, `f` a range function other than
//! `last_over_time` and `quantile_over_time`, applied directly to a matrix selector.
//!
//! The general path builds, at every step, a window holding a copy of each series' labels and
//! points, then a vector with the labels again, then a grouping key per element. Here each
//! series' group is found once per query, and `f` runs over slices of the loaded points. In a
//! range query the whole step grid is computed at the first step, series by series (each
//! series' points are read once, in order, instead of once per step from wherever they are in
//! memory), and later steps on the grid are served from it. Each group's values are reduced in
//! the same order with the same arithmetic as the general path's, so results are identical.

use std::collections::HashMap;

use promql_parser::parser::{AggregateExpr, Expr, LabelModifier, MatrixSelector, token};

use super::range_fns::{Welford, is_range_fn, range_value};
use super::{Ctx, Elem, Error, StepValue, labels};
use crate::types::{Labels, Series, SeriesSource, is_stale_nan};

/// The groups of one fused aggregation: per loaded series its group, and the groups' labels;
/// per series the window `lo..hi` of the last step and that step's `(start, end)`.
#[derive(Debug, Default)]
pub(crate) struct FusedGroups {
    group_of: Vec<usize>,
    keys: Vec<Labels>,
    cursors: Vec<(usize, usize)>,
    last: Option<(i64, i64)>,
    /// The results at every step of a range query's grid, once computed (or refused).
    grid: Option<Option<Vec<Vec<Elem>>>>,
}

/// Most group-step results a precomputed grid may hold.
const MAX_GRID_CELLS: usize = 4 << 20;

/// One group's reduction at one step, fed one value at a time in series order.
#[derive(Debug, Clone, Copy)]
struct Acc {
    n: u32,
    /// The first series that contributed (the general path's group order).
    first: u32,
    sum: f64,
    min: f64,
    max: f64,
    welford: Welford,
}

impl Acc {
    const EMPTY: Acc = Acc {
        n: 0,
        first: 0,
        sum: 0.0,
        min: f64::NAN,
        max: f64::NAN,
        welford: Welford::ZERO,
    };

    fn push(&mut self, v: f64, series: u32) {
        if self.n == 0 {
            self.first = series;
            // What `Iterator::sum` gives for one value (its starting zero is not +0.0).
            self.sum = std::iter::once(v).sum();
            self.min = v;
            self.max = v;
        } else {
            self.sum += v;
            self.min = if v < self.min || self.min.is_nan() {
                v
            } else {
                self.min
            };
            self.max = if v > self.max || self.max.is_nan() {
                v
            } else {
                self.max
            };
        }
        self.n += 1;
        self.welford.push(v);
    }

    /// [`reduce`] of the values pushed.
    fn value(&self, op: token::TokenId) -> f64 {
        match op {
            token::T_SUM => self.sum,
            token::T_AVG => self.sum / f64::from(self.n),
            token::T_COUNT => f64::from(self.n),
            token::T_GROUP => 1.0,
            token::T_MIN => self.min,
            token::T_MAX => self.max,
            token::T_STDVAR => self.welford.variance(),
            _ => self.welford.variance().sqrt(),
        }
    }
}

/// The first index of `points` after `time`, searched forward from `from` when the previous
/// bound `previous` is not later than `time` (steps move forward: a few sequential reads
/// instead of a binary search's cache misses), else by binary search.
fn bound_after(points: &[(i64, f64)], time: i64, from: usize, previous: Option<i64>) -> usize {
    if previous.is_some_and(|p| p <= time) {
        let mut i = from;
        while i < points.len() && points[i].0 <= time {
            i += 1;
        }
        i
    } else {
        points.partition_point(|&(pt, _)| pt <= time)
    }
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
        token::T_STDVAR => super::range_fns::variance(it),
        _ => super::range_fns::variance(it).sqrt(),
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
        let grid_step = self.grid_step(t);
        let groups = self
            .fused
            .entry(a as *const _)
            .or_insert_with(|| group_series(a, series.iter().map(|s| &s.labels)));
        if let Some(k) = grid_step {
            if groups.grid.is_none() {
                let windows = self.grid_windows(ms);
                let groups = self
                    .fused
                    .get_mut(&(a as *const _))
                    .expect("inserted above");
                let series = &self.cache[&(&ms.vs as *const _)];
                groups.grid = Some(grid(op, name, series, groups, &windows));
            }
            let groups = &self.fused[&(a as *const _)];
            if let Some(Some(steps)) = &groups.grid {
                let out = steps[k].clone();
                self.check_series(out.len())?;
                return Ok(Some(StepValue::Vector(out)));
            }
        }
        let series = &self.cache[&(&ms.vs as *const _)];
        let groups = self
            .fused
            .get_mut(&(a as *const _))
            .expect("inserted above");
        let mut values: Vec<Vec<f64>> = vec![Vec::new(); groups.keys.len()];
        let mut order: Vec<usize> = Vec::new();
        let mut live: Vec<(i64, f64)> = Vec::new();
        let last = groups.last.replace((start, end));
        for ((s, &group), cursor) in series
            .iter()
            .zip(&groups.group_of)
            .zip(groups.cursors.iter_mut())
        {
            let Some(value) = window_value(name, s, cursor, last, (start, end), &mut live) else {
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

impl<S: SeriesSource> Ctx<'_, S> {
    /// The index of `t` in a range query's step grid, if it is on it.
    fn grid_step(&self, t: i64) -> Option<usize> {
        let p = self.params;
        let on_grid = !p.instant
            && p.step_ms > 0
            && t >= p.start_ms
            && t <= p.end_ms
            && (t - p.start_ms) % p.step_ms == 0;
        on_grid.then(|| ((t - p.start_ms) / p.step_ms) as usize)
    }

    /// The window `(start, end)` of `ms` at each step of the grid.
    fn grid_windows(&self, ms: &MatrixSelector) -> Vec<(i64, i64)> {
        let p = self.params;
        let range = ms.range.as_millis() as i64;
        (0..)
            .map(|k| p.start_ms + k * p.step_ms)
            .take_while(|&t| t <= p.end_ms)
            .map(|t| {
                let end = self.selector_time(&ms.vs, t);
                (end - range, end)
            })
            .collect()
    }
}

/// The results of the fused aggregation at every grid step (`windows`), series by series;
/// `None` when the grid would hold more than [`MAX_GRID_CELLS`] group-step results.
fn grid(
    op: token::TokenId,
    name: &str,
    series: &[Series],
    groups: &FusedGroups,
    windows: &[(i64, i64)],
) -> Option<Vec<Vec<Elem>>> {
    let width = groups.keys.len();
    if width == 0 {
        return Some(vec![Vec::new(); windows.len()]);
    }
    if width.saturating_mul(windows.len()) > MAX_GRID_CELLS {
        return None;
    }
    let mut accs = vec![Acc::EMPTY; width * windows.len()];
    let mut live: Vec<(i64, f64)> = Vec::new();
    for (index, (s, &group)) in series.iter().zip(&groups.group_of).enumerate() {
        let (mut cursor, mut last) = ((0, 0), None::<(i64, i64)>);
        for (k, &window) in windows.iter().enumerate() {
            let value = window_value(name, s, &mut cursor, last, window, &mut live);
            last = Some(window);
            if let Some(value) = value {
                accs[k * width + group].push(value, index as u32);
            }
        }
    }
    Some(
        accs.chunks(width)
            .map(|step| {
                let mut present: Vec<(u32, usize)> = step
                    .iter()
                    .enumerate()
                    .filter(|(_, acc)| acc.n > 0)
                    .map(|(g, acc)| (acc.first, g))
                    .collect();
                present.sort_unstable();
                present
                    .into_iter()
                    .map(|(_, g)| Elem {
                        labels: groups.keys[g].clone(),
                        value: step[g].value(op),
                    })
                    .collect()
            })
            .collect(),
    )
}

/// `name` over the non-stale points of `s` in `window` = `(start, end]`, moving `cursor` (the
/// previous window's `lo..hi`, for the previous `(start, end)` `last`) to this window.
fn window_value(
    name: &str,
    s: &Series,
    cursor: &mut (usize, usize),
    last: Option<(i64, i64)>,
    (start, end): (i64, i64),
    live: &mut Vec<(i64, f64)>,
) -> Option<f64> {
    let lo = bound_after(&s.points, start, cursor.0, last.map(|l| l.0));
    let hi = bound_after(&s.points, end, cursor.1.max(lo), last.map(|l| l.1));
    *cursor = (lo, hi);
    let mut pts = &s.points[lo..hi];
    if pts.iter().any(|&(_, v)| is_stale_nan(v)) {
        live.clear();
        live.extend(pts.iter().filter(|&&(_, v)| !is_stale_nan(v)));
        pts = live;
    }
    if pts.is_empty() {
        return None;
    }
    range_value(name, pts, s.delta, (start, end), 0.0)
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
        out.cursors.push((0, 0));
    }
    out
}
