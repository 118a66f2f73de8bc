//! The receiver's own counters, rendered in the Prometheus text format on `/metrics`:
//! accepted and refused items per signal and transport (refused with a `reason`), and requests
//! by outcome.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering};

use std::sync::Mutex;

use sightline_storage::Signal;

use crate::receiver::Transport;

fn signal_index(signal: Signal) -> usize {
    match signal {
        Signal::Traces => 0,
        Signal::Logs => 1,
        Signal::Metrics => 2,
    }
}

/// The metric-name noun for a signal's items.
pub fn item_noun(signal: Signal) -> &'static str {
    match signal {
        Signal::Traces => "spans",
        Signal::Logs => "log_records",
        Signal::Metrics => "metric_points",
    }
}

/// Receiver counters.
#[derive(Debug, Default)]
pub struct ReceiverTelemetry {
    accepted: [[AtomicU64; 2]; 3],
    refused: Mutex<BTreeMap<(usize, Transport, &'static str), u64>>,
    requests: Mutex<BTreeMap<(usize, Transport, &'static str), u64>>,
}

impl ReceiverTelemetry {
    /// Counts stored items.
    pub fn accepted(&self, signal: Signal, transport: Transport, items: u64) {
        self.accepted[signal_index(signal)][transport as usize].fetch_add(items, Ordering::Relaxed);
    }

    /// Counts items that were not stored, by reason.
    pub fn refused(&self, signal: Signal, transport: Transport, reason: &'static str, items: u64) {
        if items > 0 {
            *self
                .refused
                .lock()
                .expect("not poisoned")
                .entry((signal_index(signal), transport, reason))
                .or_default() += items;
        }
    }

    /// Counts a request by outcome (`success`, `partial_success` or an error reason).
    pub fn request(&self, signal: Signal, transport: Transport, outcome: &'static str) {
        *self
            .requests
            .lock()
            .expect("not poisoned")
            .entry((signal_index(signal), transport, outcome))
            .or_default() += 1;
    }

    /// Items accepted so far (all transports).
    pub fn accepted_total(&self, signal: Signal) -> u64 {
        self.accepted[signal_index(signal)]
            .iter()
            .map(|a| a.load(Ordering::Relaxed))
            .sum()
    }

    /// Appends the counters in the Prometheus text format.
    pub fn render(&self, out: &mut String) {
        for signal in Signal::ALL {
            let noun = item_noun(signal);
            let _ = writeln!(
                out,
                "# HELP sightline_receiver_accepted_{noun}_total Items stored by the OTLP receivers."
            );
            let _ = writeln!(
                out,
                "# TYPE sightline_receiver_accepted_{noun}_total counter"
            );
            for transport in Transport::ALL {
                let value =
                    self.accepted[signal_index(signal)][transport as usize].load(Ordering::Relaxed);
                let _ = writeln!(
                    out,
                    "sightline_receiver_accepted_{noun}_total{{transport=\"{}\"}} {value}",
                    transport.as_str()
                );
            }
            let _ = writeln!(
                out,
                "# HELP sightline_receiver_refused_{noun}_total Items not stored, by reason."
            );
            let _ = writeln!(
                out,
                "# TYPE sightline_receiver_refused_{noun}_total counter"
            );
            let refused = self.refused.lock().expect("not poisoned");
            for transport in Transport::ALL {
                // Always show the invalid-item series so dashboards and alerts find a zero.
                let invalid = refused
                    .get(&(signal_index(signal), transport, "invalid"))
                    .copied()
                    .unwrap_or(0);
                let _ = writeln!(
                    out,
                    "sightline_receiver_refused_{noun}_total{{transport=\"{}\",reason=\"invalid\"}} {invalid}",
                    transport.as_str()
                );
            }
            for ((index, transport, reason), value) in refused.iter() {
                if *index == signal_index(signal) && *reason != "invalid" {
                    let _ = writeln!(
                        out,
                        "sightline_receiver_refused_{noun}_total{{transport=\"{}\",reason=\"{reason}\"}} {value}",
                        transport.as_str()
                    );
                }
            }
        }
        let _ = writeln!(
            out,
            "# HELP sightline_receiver_requests_total Export requests by outcome."
        );
        let _ = writeln!(out, "# TYPE sightline_receiver_requests_total counter");
        for ((index, transport, outcome), value) in
            self.requests.lock().expect("not poisoned").iter()
        {
            let signal = Signal::ALL[*index];
            let _ = writeln!(
                out,
                "sightline_receiver_requests_total{{signal=\"{}\",transport=\"{}\",outcome=\"{outcome}\"}} {value}",
                signal.as_str(),
                transport.as_str()
            );
        }
    }
}
