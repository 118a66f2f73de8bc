//! Vector aggregations (`sum`, `avg`, `min`, `max`, `count`, `stddev`, `stdvar`, `topk`,
//! `bottomk`, `approx_topk`, `sort`, `sort_desc`), step by step, with Loki's arithmetic
//! (running mean for `avg`, Welford for `stddev`/`stdvar`, NaN losing to numbers in `min`/`max`
//! and ranking last in `topk`/`bottomk`/`sort`/`sort_desc`). Value ties in the ranking
//! operators are broken by label order.

use std::cmp::Ordering;

use super::EngineError;
use super::labelling::LabelView;
use super::steps::{LabelTable, StepBuilder, StepVectors};
use crate::ast::{VectorAggregation, VectorOp};

/// Applies the aggregation `agg` to `input` at every step.
pub(crate) fn aggregate<E>(
    agg: &VectorAggregation,
    input: StepVectors,
    max_series: usize,
) -> Result<StepVectors, EngineError<E>> {
    let view = match agg.op {
        // approx_topk has no grouping: one group.
        VectorOp::ApproxTopK => LabelView::Only(Vec::new()),
        _ => LabelView::of_grouping(agg.grouping.as_ref()),
    };
    let mut groups = LabelTable::new();
    let group_of: Vec<u32> = input
        .series()
        .iter()
        .map(|labels| groups.intern(view.apply(labels)))
        .collect();
    match agg.op {
        VectorOp::TopK | VectorOp::ApproxTopK => {
            let k = agg.param.unwrap_or(0) as usize;
            rank(
                &input,
                &group_of,
                groups.len(),
                Some(k),
                descending,
                max_series,
            )
        }
        VectorOp::BottomK => {
            let k = agg.param.unwrap_or(0) as usize;
            rank(
                &input,
                &group_of,
                groups.len(),
                Some(k),
                ascending,
                max_series,
            )
        }
        VectorOp::Sort => rank(&input, &group_of, groups.len(), None, ascending, max_series),
        VectorOp::SortDesc => rank(
            &input,
            &group_of,
            groups.len(),
            None,
            descending,
            max_series,
        ),
        op => fold(op, &input, &group_of, groups, max_series),
    }
}

/// A group's running aggregate within one step.
#[derive(Debug, Clone, Copy, Default)]
struct Group {
    count: u64,
    value: f64,
    mean: f64,
}

/// `sum`, `avg`, `min`, `max`, `count`, `stddev`, `stdvar`: one series per group.
fn fold<E>(
    op: VectorOp,
    input: &StepVectors,
    group_of: &[u32],
    groups: LabelTable,
    max_series: usize,
) -> Result<StepVectors, EngineError<E>> {
    let mut state = vec![Group::default(); groups.len()];
    let mut touched: Vec<u32> = Vec::new();
    let mut out = StepBuilder::new();
    for k in 0..input.steps() {
        for &(id, v) in input.at(k) {
            let g = group_of[id as usize];
            let group = &mut state[g as usize];
            if group.count == 0 {
                touched.push(g);
                *group = Group {
                    count: 1,
                    value: if matches!(op, VectorOp::Stddev | VectorOp::Stdvar) {
                        0.0
                    } else {
                        v
                    },
                    mean: v,
                };
                continue;
            }
            group.count += 1;
            match op {
                VectorOp::Sum => group.value += v,
                VectorOp::Avg => group.mean += (v - group.mean) / group.count as f64,
                VectorOp::Max if group.value < v || group.value.is_nan() => group.value = v,
                VectorOp::Min if group.value > v || group.value.is_nan() => group.value = v,
                VectorOp::Stddev | VectorOp::Stdvar => {
                    let delta = v - group.mean;
                    group.mean += delta / group.count as f64;
                    group.value += delta * (v - group.mean);
                }
                _ => {}
            }
        }
        for &g in &touched {
            let group = std::mem::take(&mut state[g as usize]);
            let value = match op {
                VectorOp::Avg => group.mean,
                VectorOp::Count => group.count as f64,
                VectorOp::Stddev => (group.value / group.count as f64).sqrt(),
                VectorOp::Stdvar => group.value / group.count as f64,
                _ => group.value,
            };
            out.push(g, value);
        }
        touched.clear();
        out.end_step();
    }
    out.finish(groups.into_labels(), max_series)
}

/// Larger values first, NaN last, then label order.
fn descending(a: (u32, f64), b: (u32, f64)) -> Ordering {
    by_value(a.1, b.1, |x, y| y.partial_cmp(&x)).then(a.0.cmp(&b.0))
}

/// Smaller values first, NaN last, then label order.
fn ascending(a: (u32, f64), b: (u32, f64)) -> Ordering {
    by_value(a.1, b.1, |x, y| x.partial_cmp(&y)).then(a.0.cmp(&b.0))
}

fn by_value(a: f64, b: f64, numbers: impl Fn(f64, f64) -> Option<Ordering>) -> Ordering {
    match (a.is_nan(), b.is_nan()) {
        (true, true) => Ordering::Equal,
        (true, false) => Ordering::Greater,
        (false, true) => Ordering::Less,
        (false, false) => numbers(a, b).unwrap_or(Ordering::Equal),
    }
}

/// `topk`, `bottomk`, `sort`, `sort_desc`: per group, the samples in `order`, the first `k`
/// when `k` is set; series keep their labels. Groups come in order of first appearance.
fn rank<E>(
    input: &StepVectors,
    group_of: &[u32],
    group_count: usize,
    k: Option<usize>,
    order: fn((u32, f64), (u32, f64)) -> Ordering,
    max_series: usize,
) -> Result<StepVectors, EngineError<E>> {
    let mut members: Vec<Vec<(u32, f64)>> = vec![Vec::new(); group_count];
    let mut touched: Vec<u32> = Vec::new();
    let mut out = StepBuilder::new();
    for step in 0..input.steps() {
        for &(id, v) in input.at(step) {
            let g = group_of[id as usize];
            if members[g as usize].is_empty() {
                touched.push(g);
            }
            members[g as usize].push((id, v));
        }
        for &g in &touched {
            let samples = &mut members[g as usize];
            samples.sort_by(|&a, &b| order(a, b));
            let keep = k.unwrap_or(samples.len()).min(samples.len());
            for &(id, v) in &samples[..keep] {
                out.push(id, v);
            }
            samples.clear();
        }
        touched.clear();
        out.end_step();
    }
    out.finish(input.series().to_vec(), max_series)
}
