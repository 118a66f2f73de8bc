//! Metrics derived from spans at ingest time, compatible with Tempo's metrics-generator: span
//! metrics (`traces_spanmetrics_*`, Tempo's `span-metrics` processor) and service-graph edges
//! (`traces_service_graph_*`, Tempo's `service-graphs` processor).
//!
//! This module owns, per tenant, the pairing store that matches CLIENT/PRODUCER spans with their
//! SERVER/CONSUMER children, the cumulative series those spans feed, and the rendering of those
//! series as OTLP metrics. It does not receive, store or query anything: the receiver feeds it
//! validated exports through [`DerivedMetrics::observe`], and whoever owns the metrics pipeline
//! calls [`DerivedMetrics::collect`] periodically and ingests the returned requests.
//!
//! - `extract`: reads one export into per-export span-metric aggregates and edge halves.
//! - `pairing`: the bounded store of halves waiting for their partner, and Tempo's rules for
//!   what an expired half becomes (a virtual-node edge or an unpaired span).
//! - `series`: the bounded cumulative series of one tenant.
//! - `otlp`: series to `ExportMetricsServiceRequest`.
//!
//! Memory is bounded per tenant: at most `max_pending_edges` waiting halves and at most
//! `max_series_per_tenant` series; what does not fit is dropped and counted.

mod extract;
mod otlp;
mod pairing;
mod series;
#[cfg(test)]
mod tests;

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use parking_lot::{Mutex, RwLock};
use sightline_proto::otlp::collector::metrics::v1::ExportMetricsServiceRequest;
use sightline_proto::otlp::collector::trace::v1::ExportTraceServiceRequest;
use sightline_storage::TenantId;

pub use self::otlp::{
    GENERATOR_SERVICE_NAME, GRAPH_CLIENT_SECONDS, GRAPH_DROPPED, GRAPH_FAILED,
    GRAPH_MESSAGING_SECONDS, GRAPH_REQUESTS, GRAPH_SERVER_SECONDS, GRAPH_UNPAIRED, SCOPE_NAME,
    SPANMETRICS_CALLS, SPANMETRICS_LATENCY, SPANMETRICS_SIZE,
};
use self::pairing::{PairingOutput, PairingStore};
use self::series::{SeriesStore, SpanKey};

/// Service-graph histogram buckets, seconds: the span-metrics ones (2 ms to 16 s). Tempo's
/// default (`ExponentialBuckets(0.1, 2, 8)`, from 100 ms) puts every call faster than 100 ms in
/// one bucket, so a map of fast services showed p95 = 95 ms on every edge.
pub const DEFAULT_SERVICE_GRAPH_BUCKETS: [f64; 14] = DEFAULT_SPAN_METRICS_BUCKETS;

/// Tempo's default span-metrics histogram buckets, seconds (`ExponentialBuckets(0.002, 2, 14)`).
pub const DEFAULT_SPAN_METRICS_BUCKETS: [f64; 14] = [
    0.002, 0.004, 0.008, 0.016, 0.032, 0.064, 0.128, 0.256, 0.512, 1.024, 2.048, 4.096, 8.192,
    16.384,
];

/// Settings of the derived-metrics processor.
#[derive(Debug, Clone, PartialEq)]
pub struct DerivedMetricsConfig {
    /// How long a CLIENT/PRODUCER or SERVER/CONSUMER half waits for its partner (Tempo `wait`).
    pub pairing_wait: Duration,
    /// Most halves waiting per tenant; further new halves are dropped and counted in
    /// `traces_service_graph_dropped_spans_total` (Tempo `max_items`).
    pub max_pending_edges: usize,
    /// Bucket bounds, seconds, of the `traces_service_graph_request_*_seconds` histograms.
    pub service_graph_buckets: Vec<f64>,
    /// Bucket bounds, seconds, of `traces_spanmetrics_latency`.
    pub span_metrics_buckets: Vec<f64>,
    /// Most series per tenant (one series = one label set of one metric family: a span-metrics
    /// key, an edge, or an unpaired/dropped counter); observations that would create more are
    /// dropped and counted in [`DerivedStats::series_limited`].
    pub max_series_per_tenant: usize,
    /// A series not updated for this long is removed at the next collect (Tempo's registry
    /// `stale_duration`); if it comes back it restarts from zero with a new start time.
    pub series_stale_after: Duration,
}

impl Default for DerivedMetricsConfig {
    fn default() -> Self {
        Self {
            pairing_wait: Duration::from_secs(10),
            max_pending_edges: 100_000,
            service_graph_buckets: DEFAULT_SERVICE_GRAPH_BUCKETS.to_vec(),
            span_metrics_buckets: DEFAULT_SPAN_METRICS_BUCKETS.to_vec(),
            max_series_per_tenant: 10_000,
            series_stale_after: Duration::from_secs(15 * 60),
        }
    }
}

/// The processor's own counters, for `/metrics`. Gauges are sums over tenants at the time of the
/// call; the others count since the processor started.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DerivedStats {
    /// Halves currently waiting for their partner (gauge).
    pub pending_pairs: u64,
    /// Halves refused because their tenant's pairing store was full.
    pub dropped_spans: u64,
    /// Halves that expired without a partner and without a virtual node to pair with.
    pub unpaired_spans: u64,
    /// Edges recorded: paired, database and virtual-node edges.
    pub edges: u64,
    /// Series currently held (gauge).
    pub series: u64,
    /// Observations (spans, edges, counter increments) dropped by the per-tenant series limit.
    pub series_limited: u64,
    /// Tenants currently holding state (gauge).
    pub tenants: u64,
}

/// Estimated bytes held per waiting half (key, names, peer attributes, map and queue entries).
const BYTES_PER_PENDING_PAIR: u64 = 512;
/// Estimated bytes held per series (labels, counters, histogram buckets, exemplar).
const BYTES_PER_SERIES: u64 = 1024;

impl DerivedStats {
    /// An estimate of the memory the processor holds, for the memory budget.
    pub fn approximate_bytes(&self) -> u64 {
        self.pending_pairs * BYTES_PER_PENDING_PAIR + self.series * BYTES_PER_SERIES
    }
}

/// Derives Tempo-compatible span metrics and service-graph metrics from spans, per tenant.
/// `Send + Sync`; every tenant has its own locks, held only for hash-map updates.
pub struct DerivedMetrics {
    config: DerivedMetricsConfig,
    clock: WallClock,
    tenants: RwLock<HashMap<TenantId, Arc<TenantState>>>,
    counters: Counters,
}

/// One tenant's state. The pairing lock is never held while taking the series lock.
struct TenantState {
    pairing: Mutex<PairingStore>,
    series: Mutex<SeriesStore>,
    /// Unix nanoseconds of the previous collection (0 before the first).
    last_collection: AtomicU64,
}

#[derive(Default)]
struct Counters {
    dropped_spans: AtomicU64,
    unpaired_spans: AtomicU64,
    edges: AtomicU64,
    series_limited: AtomicU64,
}

/// Maps the monotonic `Instant`s the API takes to Unix nanoseconds, for series start times.
#[derive(Clone, Copy)]
struct WallClock {
    origin: Instant,
    origin_unix_nano: u64,
}

impl WallClock {
    fn now() -> Self {
        let origin_unix_nano = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX));
        Self {
            origin: Instant::now(),
            origin_unix_nano,
        }
    }

    fn unix_nano(&self, at: Instant) -> u64 {
        match at.checked_duration_since(self.origin) {
            Some(after) => self.origin_unix_nano.saturating_add(nanos(after)),
            None => self
                .origin_unix_nano
                .saturating_sub(nanos(self.origin.duration_since(at))),
        }
    }
}

fn nanos(duration: Duration) -> u64 {
    u64::try_from(duration.as_nanos()).unwrap_or(u64::MAX)
}

impl DerivedMetrics {
    /// A processor with no state. Bucket bounds are cleaned up (non-finite values removed,
    /// sorted, deduplicated) so every histogram has strictly increasing bounds.
    pub fn new(config: DerivedMetricsConfig) -> Self {
        let mut config = config;
        normalize_bounds(&mut config.service_graph_buckets);
        normalize_bounds(&mut config.span_metrics_buckets);
        Self {
            config,
            clock: WallClock::now(),
            tenants: RwLock::new(HashMap::new()),
            counters: Counters::default(),
        }
    }

    /// The settings in use (after bucket normalization).
    pub fn config(&self) -> &DerivedMetricsConfig {
        &self.config
    }

    /// Feeds the (already validated) spans of one export. Every span feeds span metrics; spans
    /// of kind CLIENT, PRODUCER, SERVER and CONSUMER whose resource has a `service.name` feed
    /// the service graph. Halves whose partner has not arrived wait for up to `pairing_wait`;
    /// halves that have already waited that long (as of `now`) are expired first.
    pub fn observe(&self, tenant: &TenantId, request: &ExportTraceServiceRequest, now: Instant) {
        let now_unix_nano = self.clock.unix_nano(now);
        let batch = extract::Batch::read(request, &self.config.span_metrics_buckets, now_unix_nano);
        if batch.is_empty() {
            return;
        }
        let extract::Batch { spans, edge_ops } = batch;
        // Owned keys are built before any lock is taken.
        let spans: Vec<_> = (spans.into_iter())
            .map(|(key, local)| (SpanKey::from_ref(&key), local))
            .collect();
        let state = self.tenant_state(tenant);
        let mut output = PairingOutput::default();
        if !edge_ops.is_empty() {
            let mut pairing = state.pairing.lock();
            pairing.expire(now, &mut output);
            for op in edge_ops {
                pairing.apply(op, now, &mut output);
            }
        }
        let mut series = state.series.lock();
        let mut limited = 0;
        limited += series.record_spans(spans, now, now_unix_nano);
        limited += self.record_pairing(&mut series, &output, now, now_unix_nano);
        drop(series);
        self.counters
            .series_limited
            .fetch_add(limited, Ordering::Relaxed);
    }

    /// Expires pending halves older than `pairing_wait` (turning them into virtual-node edges
    /// where Tempo does, else counting them unpaired), removes series not updated for
    /// `series_stale_after`, then returns one request per tenant that has series, ordered by
    /// tenant, with the current cumulative value of every series: `time_unix_nano` is
    /// `now_unix_nano` and `start_time_unix_nano` the series' first observation.
    pub fn collect(
        &self,
        now: Instant,
        now_unix_nano: u64,
    ) -> Vec<(TenantId, ExportMetricsServiceRequest)> {
        let mut tenants: Vec<(TenantId, Arc<TenantState>)> = self
            .tenants
            .read()
            .iter()
            .map(|(id, state)| (id.clone(), Arc::clone(state)))
            .collect();
        tenants.sort_by(|a, b| a.0.cmp(&b.0));
        let observed_unix_nano = self.clock.unix_nano(now);
        let mut requests = Vec::with_capacity(tenants.len());
        for (tenant, state) in tenants {
            let mut output = PairingOutput::default();
            state.pairing.lock().expire(now, &mut output);
            let snapshot = {
                let mut series = state.series.lock();
                let limited = self.record_pairing(&mut series, &output, now, observed_unix_nano);
                self.counters
                    .series_limited
                    .fetch_add(limited, Ordering::Relaxed);
                series.remove_stale(now, self.config.series_stale_after);
                series.snapshot()
            };
            let previous = state.last_collection.swap(now_unix_nano, Ordering::Relaxed);
            let previous = (previous != 0).then_some(previous);
            if let Some(request) = otlp::render(snapshot, &self.config, now_unix_nano, previous) {
                requests.push((tenant, request));
            }
        }
        self.forget_idle_tenants();
        requests
    }

    /// The processor's counters.
    pub fn stats(&self) -> DerivedStats {
        let tenants = self.tenants.read();
        let mut stats = DerivedStats {
            dropped_spans: self.counters.dropped_spans.load(Ordering::Relaxed),
            unpaired_spans: self.counters.unpaired_spans.load(Ordering::Relaxed),
            edges: self.counters.edges.load(Ordering::Relaxed),
            series_limited: self.counters.series_limited.load(Ordering::Relaxed),
            tenants: tenants.len() as u64,
            ..DerivedStats::default()
        };
        for state in tenants.values() {
            stats.pending_pairs += state.pairing.lock().len() as u64;
            stats.series += state.series.lock().len() as u64;
        }
        stats
    }

    /// Records what the pairing store produced into the tenant's series; returns how many
    /// observations the series limit dropped.
    fn record_pairing(
        &self,
        series: &mut SeriesStore,
        output: &PairingOutput,
        now: Instant,
        now_unix_nano: u64,
    ) -> u64 {
        let counters = &self.counters;
        counters
            .edges
            .fetch_add(output.edges.len() as u64, Ordering::Relaxed);
        counters
            .unpaired_spans
            .fetch_add(output.unpaired.len() as u64, Ordering::Relaxed);
        counters
            .dropped_spans
            .fetch_add(output.dropped.len() as u64, Ordering::Relaxed);
        series.record_pairing(
            output,
            &self.config.service_graph_buckets,
            now,
            now_unix_nano,
        )
    }

    fn tenant_state(&self, tenant: &TenantId) -> Arc<TenantState> {
        if let Some(state) = self.tenants.read().get(tenant) {
            return Arc::clone(state);
        }
        let mut tenants = self.tenants.write();
        let state = tenants.entry(tenant.clone()).or_insert_with(|| {
            Arc::new(TenantState {
                pairing: Mutex::new(PairingStore::new(
                    self.config.pairing_wait,
                    self.config.max_pending_edges,
                )),
                series: Mutex::new(SeriesStore::new(self.config.max_series_per_tenant)),
                last_collection: AtomicU64::new(0),
            })
        });
        Arc::clone(state)
    }

    /// Drops tenants with nothing pending and no series that nobody is using right now (under
    /// the write lock nobody can pick the state up, so a count of one means only the map has it).
    fn forget_idle_tenants(&self) {
        let idle = |state: &Arc<TenantState>| {
            Arc::strong_count(state) == 1
                && state.pairing.lock().len() == 0
                && state.series.lock().len() == 0
        };
        if !self.tenants.read().values().any(idle) {
            return;
        }
        self.tenants.write().retain(|_, state| !idle(state));
    }
}

impl std::fmt::Debug for DerivedMetrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DerivedMetrics")
            .field("config", &self.config)
            .field("stats", &self.stats())
            .finish()
    }
}

fn normalize_bounds(bounds: &mut Vec<f64>) {
    bounds.retain(|b| b.is_finite());
    bounds.sort_by(f64::total_cmp);
    bounds.dedup();
}
