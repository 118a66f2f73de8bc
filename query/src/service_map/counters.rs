//! Cumulative counters and histograms over a time range: how much each series grew inside the
//! range (resets and restarts included), and quantiles of a bucketed histogram.

use std::collections::HashMap;

use super::scan::StoredPoint;

/// How much a series grew over `[start, end]`, given its points from somewhat before `start` to
/// `end`: each element of a point's `values` is a cumulative counter.
///
/// A series whose start time lies inside the range counted from zero there; a decrease or a new
/// start time is a reset, after which the counter counts from zero again. A series that began
/// before the range and has no point before it is measured from its first point in the range.
pub fn increase(points: &mut [&StoredPoint], start: u64) -> Vec<f64> {
    points.sort_by_key(|p| p.time);
    let Some(first_inside) = points.iter().position(|p| p.time >= start) else {
        return Vec::new();
    };
    let width = points[first_inside..]
        .iter()
        .map(|p| p.values.len())
        .max()
        .unwrap_or(0);
    let mut total = vec![0.0; width];
    let mut add = |values: &[f64], base: Option<&[f64]>| {
        for (index, value) in values.iter().enumerate() {
            let before = base.and_then(|b| b.get(index)).copied().unwrap_or(0.0);
            total[index] += value - before;
        }
    };
    let mut previous: Option<&StoredPoint> = first_inside.checked_sub(1).map(|i| points[i]);
    for point in &points[first_inside..] {
        match previous {
            Some(prev) if prev.start == point.start && !decreased(prev, point) => {
                add(&point.values, Some(&prev.values))
            }
            // A reset, or the series' first point: it counted from zero since its start.
            Some(_) => add(&point.values, None),
            None if point.start >= start => add(&point.values, None),
            None => {}
        }
        previous = Some(point);
    }
    total
}

fn decreased(previous: &StoredPoint, point: &StoredPoint) -> bool {
    previous.values.len() != point.values.len()
        || previous
            .values
            .iter()
            .zip(&point.values)
            .any(|(before, after)| after < before)
}

/// Groups points by series.
pub fn by_series(points: &[StoredPoint]) -> HashMap<u64, Vec<&StoredPoint>> {
    let mut series: HashMap<u64, Vec<&StoredPoint>> = HashMap::new();
    for point in points {
        series.entry(point.series_id).or_default().push(point);
    }
    series
}

/// A histogram merged over series: bucket bounds and per-bucket counts (one more count than
/// bounds: the `+Inf` bucket).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Buckets {
    /// Upper bounds.
    pub bounds: Vec<f64>,
    /// Counts per bucket.
    pub counts: Vec<f64>,
}

impl Buckets {
    /// Adds `counts` over `bounds`; histograms with other bounds are ignored.
    pub fn add(&mut self, bounds: &[f64], counts: &[f64]) {
        if self.bounds.is_empty() && self.counts.is_empty() {
            self.bounds = bounds.to_vec();
            self.counts = vec![0.0; bounds.len() + 1];
        }
        if self.bounds != bounds || counts.len() != self.counts.len() {
            return;
        }
        for (total, count) in self.counts.iter_mut().zip(counts) {
            *total += count;
        }
    }

    /// The `q` quantile, interpolated linearly inside its bucket as Prometheus's
    /// `histogram_quantile` does (the lowest bucket starts at 0; a quantile in `+Inf` is the
    /// highest bound). `None` without observations.
    pub fn quantile(&self, q: f64) -> Option<f64> {
        let total: f64 = self.counts.iter().sum();
        if total <= 0.0 {
            return None;
        }
        let rank = q.clamp(0.0, 1.0) * total;
        let mut seen = 0.0;
        for (index, count) in self.counts.iter().enumerate() {
            if seen + count >= rank && *count > 0.0 {
                let Some(upper) = self.bounds.get(index) else {
                    return self.bounds.last().copied();
                };
                let lower = if index == 0 {
                    0.0
                } else {
                    self.bounds[index - 1]
                };
                return Some(lower + (upper - lower) * ((rank - seen) / count));
            }
            seen += count;
        }
        self.bounds.last().copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn point(start: u64, time: u64, values: &[f64]) -> StoredPoint {
        StoredPoint {
            metric: 0,
            series_id: 1,
            start,
            time,
            values: values.to_vec(),
            bounds: Vec::new(),
            labels: Vec::new(),
        }
    }

    #[test]
    fn increases_count_resets_and_series_born_inside_the_range() {
        // Born before the range, with a point before it: growth since that point.
        let points = [
            point(0, 5, &[10.0]),
            point(0, 15, &[14.0]),
            point(0, 25, &[20.0]),
        ];
        let mut refs: Vec<&StoredPoint> = points.iter().collect();
        assert_eq!(increase(&mut refs, 10), vec![10.0]);
        // Born inside the range: everything counts.
        let points = [point(12, 15, &[4.0]), point(12, 25, &[6.0])];
        let mut refs: Vec<&StoredPoint> = points.iter().collect();
        assert_eq!(increase(&mut refs, 10), vec![6.0]);
        // A restart (new start time) and a decrease both count from zero.
        let points = [
            point(0, 5, &[10.0]),
            point(0, 15, &[12.0]),
            point(16, 20, &[3.0]),
            point(16, 25, &[1.0]),
        ];
        let mut refs: Vec<&StoredPoint> = points.iter().collect();
        assert_eq!(increase(&mut refs, 10), vec![2.0 + 3.0 + 1.0]);
        // Nothing inside the range.
        let points = [point(0, 5, &[10.0])];
        let mut refs: Vec<&StoredPoint> = points.iter().collect();
        assert!(increase(&mut refs, 10).is_empty());
    }

    #[test]
    fn quantiles_interpolate_inside_buckets() {
        let mut buckets = Buckets::default();
        buckets.add(&[0.1, 0.2, 0.4], &[0.0, 10.0, 0.0, 0.0]);
        assert!((buckets.quantile(0.5).unwrap() - 0.15).abs() < 1e-12);
        buckets.add(&[0.1, 0.2, 0.4], &[0.0, 0.0, 0.0, 10.0]);
        assert_eq!(buckets.quantile(0.99), Some(0.4));
        buckets.add(&[1.0], &[5.0, 5.0]);
        assert_eq!(buckets.counts, vec![0.0, 10.0, 0.0, 10.0]);
        assert_eq!(Buckets::default().quantile(0.5), None);
    }
}
