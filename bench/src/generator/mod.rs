//! The deterministic OTLP traffic generator: [`TrafficGenerator`] walks the shop
//! [`Topology`](crate::topology::Topology) to produce whole traces, trace-correlated logs and
//! cumulative metrics as OTLP export requests, plus helpers that count what a request holds.
//!
//! Everything is drawn from one seeded [`StdRng`], so the same seed and the same sequence of
//! calls (with the same `now` arguments) yield byte-identical requests.

mod logs;
mod metrics;
mod resources;
mod traces;
mod values;

use std::collections::VecDeque;
use std::time::{SystemTime, UNIX_EPOCH};

use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest;
use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::metrics::v1::metric::Data;
use opentelemetry_proto::tonic::resource::v1::Resource;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use crate::topology::{OperationId, ServiceId, Topology};
use values::RequestContext;

/// How many recently generated server spans are remembered for log correlation.
const RECENT_SPANS_CAPACITY: usize = 4096;

/// A recently generated server or consumer span that logs and exemplars can refer to.
#[derive(Clone, Copy, Debug)]
struct RecentSpan {
    trace_id: [u8; 16],
    span_id: [u8; 8],
    service: ServiceId,
    operation: OperationId,
    start: u64,
    end: u64,
    failure: Option<&'static str>,
    context: RequestContext,
}

/// Generates realistic, varied OTLP traces, logs and metrics for a ten-service shop.
///
/// Deterministic for a given seed: see the module documentation.
pub struct TrafficGenerator {
    rng: StdRng,
    topology: Topology,
    /// Resources per service and pod: `pods[service][replica]`.
    pods: Vec<Vec<Resource>>,
    /// Instrumentation scopes per service.
    scopes: Vec<resources::ServiceScopes>,
    /// Server spans not yet used for logs, oldest first.
    recent: VecDeque<RecentSpan>,
    /// The latest server span of each service, for exemplars.
    last_span: Vec<Option<RecentSpan>>,
    /// Reused buffer locating the spans of the trace being generated.
    scratch: Vec<traces::PlacedSpan>,
    /// Fraction of the last trace request's spans per service and scope slot.
    span_shares: Vec<[f32; resources::SCOPE_KINDS]>,
    metrics: metrics::MetricsState,
}

impl TrafficGenerator {
    /// Creates a generator seeded with `seed`; cumulative metrics start now.
    pub fn new(seed: u64) -> Self {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as u64);
        Self::with_start_time(seed, now)
    }

    /// Creates a generator whose cumulative metrics started at `start_unix_nano`; with a fixed
    /// start time every request, metrics included, is a pure function of the seed and calls.
    pub fn with_start_time(seed: u64, start_unix_nano: u64) -> Self {
        let mut rng = StdRng::seed_from_u64(seed);
        let topology = Topology::shop();
        let pods = topology
            .services
            .iter()
            .map(|service| {
                (0..service.replicas)
                    .map(|_| resources::pod_resource(service, &mut rng))
                    .collect()
            })
            .collect();
        let scopes = topology.services.iter().map(resources::scopes).collect();
        let metrics = metrics::MetricsState::new(&topology, &mut rng, start_unix_nano);
        let services = topology.services.len();
        Self {
            rng,
            topology,
            pods,
            scopes,
            recent: VecDeque::with_capacity(RECENT_SPANS_CAPACITY),
            last_span: vec![None; services],
            scratch: Vec::with_capacity(64),
            span_shares: vec![[0.0; resources::SCOPE_KINDS]; services],
            metrics,
        }
    }

    /// The topology traffic is generated from.
    pub fn topology(&self) -> &Topology {
        &self.topology
    }

    /// A random pod resource of `service`.
    fn pod(&mut self, service: ServiceId) -> Resource {
        let replicas = self.pods[service].len();
        let replica = self.rng.random_range(0..replicas);
        self.pods[service][replica].clone()
    }

    fn remember(&mut self, span: RecentSpan) {
        if self.recent.len() == RECENT_SPANS_CAPACITY {
            self.recent.pop_front();
        }
        self.recent.push_back(span);
        self.last_span[span.service] = Some(span);
    }
}

/// Number of spans in a trace export request.
pub fn spans_in(request: &ExportTraceServiceRequest) -> usize {
    request
        .resource_spans
        .iter()
        .flat_map(|rs| &rs.scope_spans)
        .map(|ss| ss.spans.len())
        .sum()
}

/// Number of log records in a logs export request.
pub fn log_records_in(request: &ExportLogsServiceRequest) -> usize {
    request
        .resource_logs
        .iter()
        .flat_map(|rl| &rl.scope_logs)
        .map(|sl| sl.log_records.len())
        .sum()
}

/// Number of data points in a metrics export request (the unit OTLP partial success counts).
pub fn data_points_in(request: &ExportMetricsServiceRequest) -> usize {
    request
        .resource_metrics
        .iter()
        .flat_map(|rm| &rm.scope_metrics)
        .flat_map(|sm| &sm.metrics)
        .map(|metric| match &metric.data {
            Some(Data::Gauge(g)) => g.data_points.len(),
            Some(Data::Sum(s)) => s.data_points.len(),
            Some(Data::Histogram(h)) => h.data_points.len(),
            Some(Data::ExponentialHistogram(h)) => h.data_points.len(),
            Some(Data::Summary(s)) => s.data_points.len(),
            None => 0,
        })
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;
    use prost::Message;

    const NOW: u64 = 1_750_000_000_000_000_000;

    #[test]
    fn same_seed_same_traffic_different_seed_different_traffic() {
        let run = |seed| {
            let mut generator = TrafficGenerator::with_start_time(seed, NOW - 3_600_000_000_000);
            let traces = generator.traces(500, NOW).encode_to_vec();
            let logs = generator.logs(200, NOW).encode_to_vec();
            let metrics = generator.metrics(NOW).encode_to_vec();
            let more_traces = generator.traces(100, NOW + 1_000_000_000).encode_to_vec();
            (traces, logs, metrics, more_traces)
        };
        assert_eq!(run(42), run(42));
        assert_ne!(run(42).0, run(43).0);
    }

    #[test]
    fn counting_helpers_agree_with_the_requests() {
        let mut generator = TrafficGenerator::new(5);
        let traces = generator.traces(1_000, NOW);
        assert!(spans_in(&traces) >= 1_000);
        let logs = generator.logs(300, NOW);
        assert!(log_records_in(&logs) >= 300);
        let metrics = generator.metrics(NOW);
        assert!(data_points_in(&metrics) > 50);
    }

    /// Prints the single-core generation rate; run with
    /// `cargo test --release -p sightline-bench generation_rate -- --nocapture`.
    #[test]
    fn generation_rate() {
        let mut generator = TrafficGenerator::new(1);
        let started = std::time::Instant::now();
        let mut spans = 0;
        while spans < 200_000 {
            spans += spans_in(&generator.traces(512, NOW));
        }
        let elapsed = started.elapsed().as_secs_f64();
        let started = std::time::Instant::now();
        let mut records = 0;
        while records < 100_000 {
            records += log_records_in(&generator.logs(512, NOW));
        }
        let log_elapsed = started.elapsed().as_secs_f64();
        let sample = generator.traces(10_000, NOW);
        let bytes_per_span = sample.encoded_len() as f64 / spans_in(&sample) as f64;
        println!(
            "generated {spans} spans in {elapsed:.3} s = {:.0} spans/s ({bytes_per_span:.0} OTLP bytes/span); \
             {records} log records at {:.0} records/s",
            spans as f64 / elapsed,
            records as f64 / log_elapsed
        );
    }
}
