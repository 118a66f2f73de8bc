//! Functions over range vectors: the counter/gauge rate family with Prometheus's
//! extrapolation, `deriv`/`predict_linear` (least squares), `changes`, `resets` and the
//! `*_over_time` family. Each maps one window's points to one value or none.

use super::histogram::quantile;
use super::{Elem, Window, labels};
use crate::types::Series;

/// `rate`, `increase` or `delta` of one series: Prometheus's `extrapolatedRate`.
///
/// The difference between the first and last point (plus, for counters, the value lost at each
/// reset) is extrapolated towards the window edges: fully if the gap to an edge is under 1.1
/// average sample intervals, else by half an average interval; a counter is never
/// extrapolated below zero. `rate` divides by the range in seconds. Delta-temporality series
/// (`rate`/`increase` only) sum the window's points instead, without extrapolation.
pub(crate) fn extrapolated(
    pts: &[(i64, f64)],
    delta: bool,
    (start, end): (i64, i64),
    is_counter: bool,
    is_rate: bool,
) -> Option<f64> {
    let range_s = (end - start) as f64 / 1000.0;
    if delta && is_counter {
        let sum: f64 = pts.iter().map(|p| p.1).sum();
        return Some(if is_rate { sum / range_s } else { sum });
    }
    if pts.len() < 2 {
        return None;
    }
    let (first, last) = (pts[0], pts[pts.len() - 1]);
    let mut result = last.1 - first.1;
    if is_counter {
        for pair in pts.windows(2) {
            if pair[1].1 < pair[0].1 {
                result += pair[0].1;
            }
        }
    }
    let mut to_start = (first.0 - start) as f64 / 1000.0;
    let to_end = (end - last.0) as f64 / 1000.0;
    let sampled = (last.0 - first.0) as f64 / 1000.0;
    let avg = sampled / (pts.len() - 1) as f64;
    if is_counter && result > 0.0 && first.1 >= 0.0 {
        let to_zero = sampled * (first.1 / result);
        if to_zero < to_start {
            to_start = to_zero;
        }
    }
    let threshold = avg * 1.1;
    let mut interval = sampled;
    interval += if to_start < threshold {
        to_start
    } else {
        avg / 2.0
    };
    interval += if to_end < threshold {
        to_end
    } else {
        avg / 2.0
    };
    let mut factor = interval / sampled;
    if is_rate {
        factor /= range_s;
    }
    Some(result * factor)
}

/// `irate` (`is_rate`) or `idelta` of one series: from its last two points.
pub(crate) fn instant_delta(pts: &[(i64, f64)], is_rate: bool) -> Option<f64> {
    let n = pts.len();
    if n < 2 {
        return None;
    }
    let (prev, last) = (pts[n - 2], pts[n - 1]);
    let mut d = last.1 - prev.1;
    if !is_rate {
        return Some(d);
    }
    if last.1 < prev.1 {
        d = last.1; // counter reset
    }
    let dt = (last.0 - prev.0) as f64 / 1000.0;
    (dt != 0.0).then_some(d / dt)
}

/// Least-squares `(slope per second, intercept at time `at`)` of a series' points.
pub(crate) fn linear_regression(points: &[(i64, f64)], at: i64) -> (f64, f64) {
    let n = points.len() as f64;
    let y0 = points[0].1;
    if points.iter().all(|p| p.1 == y0) {
        return (0.0, y0);
    }
    let (mut sx, mut sy, mut sxy, mut sx2) = (0.0, 0.0, 0.0, 0.0);
    for &(t, v) in points {
        let x = (t - at) as f64 / 1000.0;
        sx += x;
        sy += v;
        sxy += x * v;
        sx2 += x * x;
    }
    let cov = sxy - sx * sy / n;
    let var = sx2 - sx * sx / n;
    let slope = cov / var;
    (slope, sy / n - slope * sx / n)
}

/// Welford's running mean and squared deviations, one value at a time.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Welford {
    n: f64,
    mean: f64,
    m2: f64,
}

impl Welford {
    /// No values yet.
    pub(crate) const ZERO: Welford = Welford {
        n: 0.0,
        mean: 0.0,
        m2: 0.0,
    };

    /// Adds a value.
    pub(crate) fn push(&mut self, v: f64) {
        self.n += 1.0;
        let d = v - self.mean;
        self.mean += d / self.n;
        self.m2 += d * (v - self.mean);
    }

    /// The population variance of the values pushed.
    pub(crate) fn variance(&self) -> f64 {
        self.m2 / self.n
    }
}

/// Population variance of the values (Welford's algorithm).
pub(crate) fn variance(values: impl Iterator<Item = f64>) -> f64 {
    let mut w = Welford::default();
    values.for_each(|v| w.push(v));
    w.variance()
}

/// Applies a per-series function to a window; results drop `__name__`.
pub(crate) fn map_window(w: Window, f: impl Fn(&Series) -> Option<f64>) -> Vec<Elem> {
    w.series
        .iter()
        .filter_map(|s| {
            f(s).map(|value| Elem {
                labels: labels::drop_name(s.labels.clone()),
                value,
            })
        })
        .collect()
}

/// Whether `name` is a function [`range_value`] computes.
pub(crate) fn is_range_fn(name: &str) -> bool {
    matches!(
        name,
        "rate"
            | "increase"
            | "delta"
            | "irate"
            | "idelta"
            | "deriv"
            | "changes"
            | "resets"
            | "avg_over_time"
            | "sum_over_time"
            | "count_over_time"
            | "min_over_time"
            | "max_over_time"
            | "last_over_time"
            | "present_over_time"
            | "stdvar_over_time"
            | "stddev_over_time"
            | "quantile_over_time"
    )
}

/// The value of range function `name` (see [`is_range_fn`]) over one series' non-stale points
/// `pts` (not empty) in the window `(start, end]`; `q` is `quantile_over_time`'s parameter.
pub(crate) fn range_value(
    name: &str,
    pts: &[(i64, f64)],
    delta: bool,
    window: (i64, i64),
    q: f64,
) -> Option<f64> {
    let vals = || pts.iter().map(|p| p.1);
    match name {
        "rate" => extrapolated(pts, delta, window, true, true),
        "increase" => extrapolated(pts, delta, window, true, false),
        "delta" => extrapolated(pts, delta, window, false, false),
        "irate" => instant_delta(pts, true),
        "idelta" => instant_delta(pts, false),
        "deriv" => (pts.len() >= 2).then(|| linear_regression(pts, pts[0].0).0),
        "changes" => Some(
            pts.windows(2)
                .filter(|p| p[1].1 != p[0].1 && !(p[1].1.is_nan() && p[0].1.is_nan()))
                .count() as f64,
        ),
        "resets" => Some(pts.windows(2).filter(|p| p[1].1 < p[0].1).count() as f64),
        "avg_over_time" => Some(vals().sum::<f64>() / pts.len() as f64),
        "sum_over_time" => Some(vals().sum()),
        "count_over_time" => Some(pts.len() as f64),
        "min_over_time" => vals().reduce(|a, b| if b < a || a.is_nan() { b } else { a }),
        "max_over_time" => vals().reduce(|a, b| if b > a || a.is_nan() { b } else { a }),
        "last_over_time" => pts.last().map(|p| p.1),
        "present_over_time" => Some(1.0),
        "stdvar_over_time" => Some(variance(vals())),
        "stddev_over_time" => Some(variance(vals()).sqrt()),
        "quantile_over_time" => Some(quantile(q, vals().collect())),
        _ => None,
    }
}

/// The `*_over_time`, `changes`, `resets` and rate-family functions over a range vector.
/// `None` if `name` is not one of them. Results drop `__name__`, except `last_over_time`'s
/// (as in Prometheus' engine).
pub(crate) fn over_time(name: &str, w: Window, q: f64) -> Option<Vec<Elem>> {
    if !is_range_fn(name) {
        return None;
    }
    let window = (w.start, w.end);
    Some(
        w.series
            .into_iter()
            .filter_map(|s| {
                let value = range_value(name, &s.points, s.delta, window, q)?;
                let labels = if name == "last_over_time" {
                    s.labels
                } else {
                    labels::drop_name(s.labels)
                };
                Some(Elem { labels, value })
            })
            .collect(),
    )
}
