//! Quantiles: `quantile`/`quantile_over_time` over plain values, and `histogram_quantile`
//! over classic histograms (`le` bucket series), with Prometheus's bucket monotonicity fix and
//! linear interpolation within the bucket.

use std::collections::BTreeMap;

use super::{Elem, labels};
use crate::types::label_value;

/// The φ-quantile of `values` with linear interpolation between closest ranks (φ < 0 gives
/// -Inf, φ > 1 gives +Inf, no values NaN).
pub(crate) fn quantile(q: f64, mut values: Vec<f64>) -> f64 {
    if values.is_empty() || q.is_nan() {
        return f64::NAN;
    }
    if q < 0.0 {
        return f64::NEG_INFINITY;
    }
    if q > 1.0 {
        return f64::INFINITY;
    }
    values.sort_by(|a, b| a.total_cmp(b));
    let n = values.len() as f64;
    let rank = q * (n - 1.0);
    let lower = rank.floor().max(0.0);
    let upper = (lower + 1.0).min(n - 1.0);
    let weight = rank - rank.floor();
    values[lower as usize] * (1.0 - weight) + values[upper as usize] * weight
}

/// The φ-quantile of one classic histogram given as `(upper bound, cumulative count)`.
pub(crate) fn bucket_quantile(q: f64, mut buckets: Vec<(f64, f64)>) -> f64 {
    if q.is_nan() {
        return f64::NAN;
    }
    if q < 0.0 {
        return f64::NEG_INFINITY;
    }
    if q > 1.0 {
        return f64::INFINITY;
    }
    buckets.sort_by(|a, b| a.0.total_cmp(&b.0));
    if buckets.last().is_none_or(|b| b.0 != f64::INFINITY) {
        return f64::NAN;
    }
    // Merge buckets with the same upper bound.
    let mut merged: Vec<(f64, f64)> = Vec::with_capacity(buckets.len());
    for b in buckets {
        match merged.last_mut() {
            Some(last) if last.0 == b.0 => last.1 += b.1,
            _ => merged.push(b),
        }
    }
    // Cumulative counts must not decrease (they can, e.g. with scrapes split across buckets).
    let mut max = f64::NEG_INFINITY;
    for b in merged.iter_mut() {
        if b.1 < max {
            b.1 = max;
        } else {
            max = b.1;
        }
    }
    if merged.len() < 2 {
        return f64::NAN;
    }
    let observations = merged[merged.len() - 1].1;
    if observations == 0.0 {
        return f64::NAN;
    }
    let mut rank = q * observations;
    let b = merged.partition_point(|x| x.1 < rank);
    if b == merged.len() - 1 {
        return merged[merged.len() - 2].0;
    }
    if b == 0 && merged[0].0 <= 0.0 {
        return merged[0].0;
    }
    let (mut start, end, mut count) = (0.0, merged[b].0, merged[b].1);
    if b > 0 {
        start = merged[b - 1].0;
        count -= merged[b - 1].1;
        rank -= merged[b - 1].1;
    }
    start + (end - start) * (rank / count)
}

/// `histogram_quantile(φ, buckets)`: groups the bucket series by their labels without `le`
/// and `__name__`; series without a parsable `le` are ignored.
pub(crate) fn histogram_quantile(q: f64, v: Vec<Elem>) -> Vec<Elem> {
    let mut groups: BTreeMap<_, Vec<(f64, f64)>> = BTreeMap::new();
    for e in v {
        let Some(le) = label_value(&e.labels, "le").and_then(parse_le) else {
            continue;
        };
        let mut key = labels::drop_name(e.labels);
        key.retain(|(n, _)| n != "le");
        groups.entry(key).or_default().push((le, e.value));
    }
    groups
        .into_iter()
        .map(|(labels, buckets)| Elem {
            labels,
            value: bucket_quantile(q, buckets),
        })
        .collect()
}

/// Parses an `le` value like Go's `ParseFloat` (`+Inf`, `Inf`, `1e3`, `0.5`).
fn parse_le(s: &str) -> Option<f64> {
    match s.trim() {
        "+Inf" | "Inf" | "+inf" | "inf" => Some(f64::INFINITY),
        "-Inf" | "-inf" => Some(f64::NEG_INFINITY),
        other => other.parse().ok(),
    }
}
