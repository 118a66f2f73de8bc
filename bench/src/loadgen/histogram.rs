//! A small log-linear latency histogram (HdrHistogram-style, ~1.5% relative precision) for
//! export latencies, recorded in microseconds.

use std::time::Duration;

/// Values below this are recorded exactly; above it, with `SUB_BUCKETS / 2` steps per power of two.
const SUB_BUCKETS: u64 = 128;
const HALF: u64 = SUB_BUCKETS / 2;
/// Enough buckets for values up to 2^40 µs (about 12 days).
const BUCKETS: usize = (SUB_BUCKETS + 34 * HALF) as usize;

/// Latency histogram with bounded relative error.
#[derive(Clone, Debug)]
pub struct LatencyHistogram {
    counts: Vec<u64>,
    count: u64,
    max_micros: u64,
}

impl Default for LatencyHistogram {
    fn default() -> Self {
        Self {
            counts: vec![0; BUCKETS],
            count: 0,
            max_micros: 0,
        }
    }
}

fn bucket_of(micros: u64) -> usize {
    if micros < SUB_BUCKETS {
        return micros as usize;
    }
    let shift = u64::from(63 - micros.leading_zeros()) - 6;
    let mantissa = micros >> shift;
    ((SUB_BUCKETS + (shift - 1) * HALF + (mantissa - HALF)) as usize).min(BUCKETS - 1)
}

/// The highest value that falls into `bucket`.
fn upper_bound_of(bucket: usize) -> u64 {
    let bucket = bucket as u64;
    if bucket < SUB_BUCKETS {
        return bucket;
    }
    let shift = (bucket - SUB_BUCKETS) / HALF + 1;
    let mantissa = (bucket - SUB_BUCKETS) % HALF + HALF;
    ((mantissa + 1) << shift) - 1
}

impl LatencyHistogram {
    /// Records one latency.
    pub fn record(&mut self, latency: Duration) {
        let micros = u64::try_from(latency.as_micros()).unwrap_or(u64::MAX);
        self.counts[bucket_of(micros)] += 1;
        self.count += 1;
        self.max_micros = self.max_micros.max(micros);
    }

    /// Number of recorded latencies.
    pub fn count(&self) -> u64 {
        self.count
    }

    /// The largest recorded latency.
    pub fn max(&self) -> Duration {
        Duration::from_micros(self.max_micros)
    }

    /// The latency at quantile `q` (0..=1), as the upper bound of its bucket capped at the
    /// maximum; zero when empty.
    pub fn quantile(&self, q: f64) -> Duration {
        if self.count == 0 {
            return Duration::ZERO;
        }
        let rank = ((q.clamp(0.0, 1.0) * self.count as f64).ceil() as u64).max(1);
        let mut seen = 0;
        for (bucket, &count) in self.counts.iter().enumerate() {
            seen += count;
            if seen >= rank {
                return Duration::from_micros(upper_bound_of(bucket).min(self.max_micros));
            }
        }
        self.max()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_are_monotonic_and_precise() {
        let mut previous = 0;
        for micros in (0..2_000_000u64)
            .step_by(7)
            .chain([u64::from(u32::MAX), 1 << 39])
        {
            let bucket = bucket_of(micros);
            assert!(bucket >= previous);
            previous = bucket;
            let upper = upper_bound_of(bucket);
            assert!(upper >= micros, "{micros} above its bucket bound {upper}");
            assert!(
                (upper - micros) as f64 <= micros as f64 * 0.016 + 1.0,
                "{micros} -> {upper}"
            );
        }
    }

    #[test]
    fn quantiles_follow_the_recorded_values() {
        let mut histogram = LatencyHistogram::default();
        assert_eq!(histogram.quantile(0.5), Duration::ZERO);
        for millis in 1..=1_000u64 {
            histogram.record(Duration::from_millis(millis));
        }
        assert_eq!(histogram.count(), 1_000);
        let p50 = histogram.quantile(0.5).as_secs_f64() * 1_000.0;
        let p99 = histogram.quantile(0.99).as_secs_f64() * 1_000.0;
        assert!((495.0..=510.0).contains(&p50), "p50 {p50}");
        assert!((985.0..=1_000.0).contains(&p99), "p99 {p99}");
        assert_eq!(histogram.max(), Duration::from_millis(1_000));
        assert_eq!(histogram.quantile(1.0), Duration::from_millis(1_000));
    }
}
