//! Load-generator accounting: live per-signal counters shared by the export tasks, and the
//! final [`LoadgenReport`] with its human-readable table.

use std::fmt;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tonic::{Code, Status};

use super::histogram::LatencyHistogram;

/// Live counters of one signal, updated by export tasks.
#[derive(Debug, Default)]
pub(crate) struct SignalCounters {
    sent: AtomicU64,
    accepted: AtomicU64,
    rejected: AtomicU64,
    refused: AtomicU64,
    failed: AtomicU64,
    exports: AtomicU64,
}

impl SignalCounters {
    /// Counts `units` handed to an export.
    pub(crate) fn sent(&self, units: u64) {
        self.sent.fetch_add(units, Ordering::Relaxed);
        self.exports.fetch_add(1, Ordering::Relaxed);
    }

    /// Counts the outcome of an export of `units`: `Ok(rejected)` from the response's partial
    /// success, or the gRPC status.
    pub(crate) fn outcome(&self, units: u64, result: &Result<u64, Status>) {
        match result {
            Ok(rejected) => {
                let rejected = (*rejected).min(units);
                self.accepted.fetch_add(units - rejected, Ordering::Relaxed);
                self.rejected.fetch_add(rejected, Ordering::Relaxed);
            }
            Err(status) if is_refusal(status.code()) => {
                self.refused.fetch_add(units, Ordering::Relaxed);
            }
            Err(_) => {
                self.failed.fetch_add(units, Ordering::Relaxed);
            }
        }
    }

    /// A consistent-enough copy of the counters.
    pub(crate) fn snapshot(&self) -> SignalReport {
        SignalReport {
            sent: self.sent.load(Ordering::Relaxed),
            accepted: self.accepted.load(Ordering::Relaxed),
            rejected: self.rejected.load(Ordering::Relaxed),
            refused: self.refused.load(Ordering::Relaxed),
            failed: self.failed.load(Ordering::Relaxed),
            exports: self.exports.load(Ordering::Relaxed),
        }
    }
}

/// Whether a gRPC status is the server pushing back (retryable refusal) rather than a failure.
pub(crate) fn is_refusal(code: Code) -> bool {
    matches!(code, Code::Unavailable | Code::ResourceExhausted)
}

/// Selects one signal's counters.
pub(crate) type SignalOf = fn(&Counters) -> &SignalCounters;

/// Counters shared by all export tasks of one run.
#[derive(Debug, Default)]
pub(crate) struct Counters {
    pub spans: SignalCounters,
    pub logs: SignalCounters,
    pub metric_points: SignalCounters,
    pub latency: Mutex<LatencyHistogram>,
    pub last_error: Mutex<Option<String>>,
}

impl Counters {
    /// Records an export's latency and, for failures, its error.
    pub(crate) fn finished(&self, latency: Duration, result: &Result<u64, Status>) {
        self.latency
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .record(latency);
        if let Err(status) = result {
            let message = format!("{:?}: {}", status.code(), status.message());
            *self.last_error.lock().unwrap_or_else(|e| e.into_inner()) = Some(message);
        }
    }
}

/// What happened to the items (spans, log records or metric points) of one signal.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SignalReport {
    /// Items handed to exports.
    pub sent: u64,
    /// Items the server accepted.
    pub accepted: u64,
    /// Items the server rejected in an otherwise successful export (partial success).
    pub rejected: u64,
    /// Items refused with a retryable status (`UNAVAILABLE`, `RESOURCE_EXHAUSTED`).
    pub refused: u64,
    /// Items in exports that failed otherwise (other statuses, transport errors).
    pub failed: u64,
    /// Export requests made.
    pub exports: u64,
}

/// The outcome of a load-generator run.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct LoadgenReport {
    /// Span accounting.
    pub spans: SignalReport,
    /// Log record accounting.
    pub logs: SignalReport,
    /// Metric data point accounting.
    pub metric_points: SignalReport,
    /// Wall time from the first export to the last response.
    pub elapsed: Duration,
    /// Target span rate.
    pub target_spans_per_second: u64,
    /// Accepted spans per second of `elapsed`.
    pub achieved_spans_per_second: f64,
    /// Number of gRPC connections used.
    pub connections: usize,
    /// Median export latency.
    pub latency_p50: Duration,
    /// 90th percentile export latency.
    pub latency_p90: Duration,
    /// 99th percentile export latency.
    pub latency_p99: Duration,
    /// Slowest export.
    pub latency_max: Duration,
    /// The last export error, if any.
    pub last_error: Option<String>,
}

impl LoadgenReport {
    /// Builds the report from the run's counters.
    pub(crate) fn from_counters(
        counters: &Counters,
        elapsed: Duration,
        target: u64,
        connections: usize,
    ) -> Self {
        let latency = counters
            .latency
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        let spans = counters.spans.snapshot();
        Self {
            spans,
            logs: counters.logs.snapshot(),
            metric_points: counters.metric_points.snapshot(),
            elapsed,
            target_spans_per_second: target,
            achieved_spans_per_second: spans.accepted as f64 / elapsed.as_secs_f64().max(1e-9),
            connections,
            latency_p50: latency.quantile(0.5),
            latency_p90: latency.quantile(0.9),
            latency_p99: latency.quantile(0.99),
            latency_max: latency.max(),
            last_error: counters
                .last_error
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .clone(),
        }
    }
}

fn millis(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1_000.0
}

impl fmt::Display for LoadgenReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "loadgen: {:.2} s over {} connection(s), {:.0} spans/s accepted (target {})",
            self.elapsed.as_secs_f64(),
            self.connections,
            self.achieved_spans_per_second,
            self.target_spans_per_second
        )?;
        writeln!(
            f,
            "{:<14}{:>12}{:>12}{:>10}{:>10}{:>10}{:>9}",
            "signal", "sent", "accepted", "rejected", "refused", "failed", "exports"
        )?;
        for (name, signal) in [
            ("spans", &self.spans),
            ("log records", &self.logs),
            ("metric points", &self.metric_points),
        ] {
            writeln!(
                f,
                "{:<14}{:>12}{:>12}{:>10}{:>10}{:>10}{:>9}",
                name,
                signal.sent,
                signal.accepted,
                signal.rejected,
                signal.refused,
                signal.failed,
                signal.exports
            )?;
        }
        write!(
            f,
            "export latency: p50 {:.2} ms  p90 {:.2} ms  p99 {:.2} ms  max {:.2} ms",
            millis(self.latency_p50),
            millis(self.latency_p90),
            millis(self.latency_p99),
            millis(self.latency_max)
        )?;
        if let Some(error) = &self.last_error {
            write!(f, "\nlast error: {error}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outcomes_are_classified() {
        let counters = SignalCounters::default();
        for units in [10, 10, 10, 10] {
            counters.sent(units);
        }
        counters.outcome(10, &Ok(0));
        counters.outcome(10, &Ok(3));
        counters.outcome(10, &Err(Status::unavailable("busy")));
        counters.outcome(10, &Err(Status::invalid_argument("bad")));
        let report = counters.snapshot();
        assert_eq!(
            report,
            SignalReport {
                sent: 40,
                accepted: 17,
                rejected: 3,
                refused: 10,
                failed: 10,
                exports: 4
            }
        );
        assert!(is_refusal(Code::ResourceExhausted));
    }

    #[test]
    fn report_renders_a_table() {
        let counters = Counters::default();
        counters.spans.sent(512);
        counters.spans.outcome(512, &Ok(0));
        counters.finished(Duration::from_millis(3), &Ok(0));
        counters.finished(Duration::from_millis(5), &Err(Status::internal("boom")));
        let report = LoadgenReport::from_counters(&counters, Duration::from_secs(2), 256, 1);
        assert_eq!(report.achieved_spans_per_second, 256.0);
        let text = report.to_string();
        assert!(text.contains("spans"), "{text}");
        assert!(text.contains("p99"), "{text}");
        assert!(text.contains("last error: Internal: boom"), "{text}");
    }
}
