//! Per-step results of a range aggregation, series by series: streaming aggregations slide a
//! [`Swag`] over the series' interval accumulators, the others slide two cursors over its
//! sorted points and apply Loki's function to each window. Results come out as
//! `(step, series, value)` triples, a series only where its window has samples.

use super::super::windows::{Acc, Fold, Swag, Windows};
use super::collect::{BucketSeries, RawSeries};

/// Turns a window's accumulator into the result.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Finish {
    /// The number of samples (`count_over_time`).
    Count,
    /// The number of samples per second of range (`rate`).
    CountPerSecond(f64),
    /// The folded value (`sum_over_time`, `bytes_over_time`, `min_/max_over_time`).
    Value,
    /// The sum per second of range (`bytes_rate`, `rate` with unwrap).
    ValuePerSecond(f64),
    /// The sum over the count (`avg_over_time`).
    Mean,
}

impl Finish {
    #[inline]
    fn apply(self, acc: Acc) -> f64 {
        match self {
            Finish::Count => acc.count as f64,
            Finish::CountPerSecond(seconds) => acc.count as f64 / seconds,
            Finish::Value => acc.value,
            Finish::ValuePerSecond(seconds) => acc.value / seconds,
            Finish::Mean => acc.value / acc.count as f64,
        }
    }
}

/// A function of a window's points.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum RawFn {
    /// `quantile_over_time(q, ...)`.
    Quantile(f64),
    /// `stddev_over_time`.
    Stddev,
    /// `stdvar_over_time`.
    Stdvar,
    /// `first_over_time`.
    First,
    /// `last_over_time`.
    Last,
    /// `rate_counter` over a range of this many nanoseconds.
    RateCounter {
        /// The range width.
        range_nanos: i64,
    },
}

impl RawFn {
    fn apply(self, points: &[(i64, f64)], scratch: &mut Vec<f64>) -> f64 {
        match self {
            RawFn::Quantile(q) => {
                scratch.clear();
                scratch.extend(points.iter().map(|&(_, v)| v));
                quantile(q, scratch)
            }
            RawFn::Stdvar => variance(points),
            RawFn::Stddev => variance(points).sqrt(),
            RawFn::First => points[0].1,
            RawFn::Last => points[points.len() - 1].1,
            RawFn::RateCounter { range_nanos } => rate_counter(points, range_nanos),
        }
    }
}

/// Slides each series' intervals through the windows.
pub(super) fn buckets(
    windows: &Windows,
    fold: Fold,
    finish: Finish,
    series: &[BucketSeries],
) -> Vec<(u32, u32, f64)> {
    let mut out = Vec::new();
    let mut swag = Swag::new(fold);
    for (id, series) in series.iter().enumerate() {
        let entries = &series.entries;
        swag.clear();
        // entries[head..tail] are queued in the swag.
        let (mut head, mut tail) = (0, 0);
        for k in 0..windows.len() {
            let (lo, hi) = windows.window_intervals(k);
            while head < tail && entries[head].0 < lo {
                swag.pop();
                head += 1;
            }
            if head == tail {
                while tail < entries.len() && entries[tail].0 < lo {
                    tail += 1;
                }
                head = tail;
                if tail == entries.len() {
                    break;
                }
            }
            while tail < entries.len() && entries[tail].0 <= hi {
                swag.push(entries[tail].1);
                tail += 1;
            }
            if head < tail {
                out.push((k as u32, id as u32, finish.apply(swag.total())));
            }
        }
    }
    out
}

/// Applies `function` to each series' points in each window.
pub(super) fn raw(
    windows: &Windows,
    function: RawFn,
    series: &[RawSeries],
) -> Vec<(u32, u32, f64)> {
    let mut out = Vec::new();
    let mut scratch = Vec::new();
    for (id, series) in series.iter().enumerate() {
        let points = &series.points;
        let (mut head, mut tail) = (0, 0);
        for k in 0..windows.len() {
            let (start, end) = windows.window_times(k);
            while head < points.len() && points[head].0 <= start {
                head += 1;
            }
            if head == points.len() {
                break;
            }
            tail = tail.max(head);
            while tail < points.len() && points[tail].0 <= end {
                tail += 1;
            }
            if head < tail {
                let value = function.apply(&points[head..tail], &mut scratch);
                out.push((k as u32, id as u32, value));
            }
        }
    }
    out
}

/// For each window, whether it has no sample at all.
pub(super) fn absent(windows: &Windows, present: &[bool]) -> Vec<bool> {
    // before[i] = how many intervals below i have a sample.
    let mut before = Vec::with_capacity(present.len() + 1);
    before.push(0u32);
    for &p in present {
        before.push(before[before.len() - 1] + u32::from(p));
    }
    (0..windows.len())
        .map(|k| {
            let (lo, hi) = windows.window_intervals(k);
            lo > hi || before[hi as usize + 1] == before[lo as usize]
        })
        .collect()
}

/// Prometheus' quantile (Loki's `quantile_over_time`): linear interpolation between the
/// closest ranks; NaN values sort first.
fn quantile(q: f64, values: &mut [f64]) -> f64 {
    if values.is_empty() || q.is_nan() {
        return f64::NAN;
    }
    if q < 0.0 {
        return f64::NEG_INFINITY;
    }
    if q > 1.0 {
        return f64::INFINITY;
    }
    values.sort_by(|a, b| match (a.is_nan(), b.is_nan()) {
        (true, true) => std::cmp::Ordering::Equal,
        (true, false) => std::cmp::Ordering::Less,
        (false, true) => std::cmp::Ordering::Greater,
        (false, false) => a.partial_cmp(b).expect("not NaN"),
    });
    let n = values.len() as f64;
    let rank = q * (n - 1.0);
    let lower = rank.floor().max(0.0);
    let upper = (lower + 1.0).min(n - 1.0);
    let weight = rank - rank.floor();
    values[lower as usize] * (1.0 - weight) + values[upper as usize] * weight
}

/// Population variance, with Welford's update as Loki computes it.
fn variance(points: &[(i64, f64)]) -> f64 {
    let (mut count, mut mean, mut aux) = (0.0, 0.0, 0.0);
    for &(_, value) in points {
        count += 1.0;
        let delta = value - mean;
        mean += delta / count;
        aux += delta * (value - mean);
    }
    aux / count
}

/// Loki's `rate_counter`: Prometheus' `extrapolatedRate(isCounter, isRate)` as Loki runs it,
/// including its quirks: fewer than two points give 0, the points' nanosecond timestamps are
/// divided by 1000 as if they were milliseconds, and the range start is anchored on the first
/// point (so the extrapolation is almost nil and the result is close to the reset-adjusted
/// increase over the range's seconds).
fn rate_counter(points: &[(i64, f64)], range_nanos: i64) -> f64 {
    if points.len() < 2 {
        return 0.0;
    }
    let (first_t, first_v) = points[0];
    let (last_t, last_v) = points[points.len() - 1];
    let mut result = last_v - first_v;
    let mut previous = 0.0;
    for &(_, value) in points {
        if value < previous {
            result += previous;
        }
        previous = value;
    }
    let range_millis = range_nanos / 1_000_000;
    let mut to_start = range_millis as f64 / 1000.0;
    let to_end = 0.0;
    let sampled = (i128::from(last_t) - i128::from(first_t)) as f64 / 1000.0;
    let average = sampled / (points.len() - 1) as f64;
    if result > 0.0 && first_v >= 0.0 {
        let to_zero = sampled * (first_v / result);
        if to_zero < to_start {
            to_start = to_zero;
        }
    }
    let threshold = average * 1.1;
    let mut interval = sampled;
    interval += if to_start < threshold {
        to_start
    } else {
        average / 2.0
    };
    interval += if to_end < threshold {
        to_end
    } else {
        average / 2.0
    };
    result *= interval / sampled;
    result / super::range_seconds(range_nanos)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantile_interpolates() {
        assert_eq!(quantile(0.9, &mut [4.0, 1.0, 3.0, 2.0]), 3.7);
        assert_eq!(quantile(0.5, &mut [10.0, 6.0]), 8.0);
        assert_eq!(quantile(-1.0, &mut [1.0]), f64::NEG_INFINITY);
        assert_eq!(quantile(2.0, &mut [1.0]), f64::INFINITY);
        assert!(quantile(0.0, &mut [f64::NAN, 1.0]).is_nan());
    }

    #[test]
    fn rate_counter_handles_resets() {
        let s = 1_000_000_000;
        assert_eq!(rate_counter(&[(10 * s, 5.0)], 60 * s), 0.0);
        // 1 -> 3 -> 2 (reset): increase 4.
        let value = rate_counter(&[(10 * s, 1.0), (30 * s, 3.0), (60 * s, 2.0)], 60 * s);
        let sampled = 50.0 * s as f64 / 1000.0;
        assert_eq!(value, 4.0 * ((sampled + 60.0) / sampled) / 60.0);
    }
}
