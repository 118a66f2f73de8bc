//! The cumulative series of one tenant: span metrics per (service, span name, kind, status),
//! service-graph edges per (client, server, connection type), and the unpaired/dropped span
//! counters per side and service. Bounded by the tenant's series limit; series not updated for
//! a while are removed. Keys hold `Arc<str>` so a snapshot is cheap to take under the lock.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::extract::{LocalSpanSeries, SpanKeyRef};
use super::pairing::{ConnectionType, EdgeSample, PairingOutput, Side};

/// One exemplar: the most recent observation of a histogram.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct ExemplarSample {
    pub value: f64,
    pub time_unix_nano: u64,
    pub trace_id: [u8; 16],
    pub span_id: [u8; 8],
}

/// A cumulative explicit-bucket histogram: `buckets[i]` counts values in
/// `(bounds[i-1], bounds[i]]`, the last bucket values above every bound.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Histogram {
    pub buckets: Vec<u64>,
    pub count: u64,
    pub sum: f64,
    pub exemplar: Option<ExemplarSample>,
}

impl Histogram {
    /// An empty histogram for `bound_count` bounds.
    pub fn new(bound_count: usize) -> Self {
        Self {
            buckets: vec![0; bound_count + 1],
            count: 0,
            sum: 0.0,
            exemplar: None,
        }
    }

    /// Adds one value.
    pub fn observe(&mut self, bounds: &[f64], value: f64, exemplar: Option<ExemplarSample>) {
        let index = bounds.partition_point(|bound| *bound < value);
        self.buckets[index] += 1;
        self.count += 1;
        self.sum += value;
        if exemplar.is_some() {
            self.exemplar = exemplar;
        }
    }

    /// Adds every value of `other` (same bounds).
    pub fn merge(&mut self, other: &Histogram) {
        debug_assert_eq!(self.buckets.len(), other.buckets.len());
        for (mine, theirs) in self.buckets.iter_mut().zip(&other.buckets) {
            *mine += theirs;
        }
        self.count += other.count;
        self.sum += other.sum;
        if other.exemplar.is_some() {
            self.exemplar = other.exemplar;
        }
    }
}

/// Span-metrics labels.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(super) struct SpanKey {
    pub service: Arc<str>,
    pub span_name: Arc<str>,
    pub kind: i32,
    pub status: i32,
}

impl SpanKey {
    /// The owned form of a key borrowed from a request.
    pub fn from_ref(key: &SpanKeyRef<'_>) -> Self {
        Self {
            service: Arc::from(key.service),
            span_name: Arc::from(key.span_name),
            kind: key.kind,
            status: key.status,
        }
    }
}

/// Span-metrics values.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct SpanSeries {
    pub calls: u64,
    pub size_bytes: u64,
    pub latency: Histogram,
}

/// Service-graph edge labels.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(super) struct EdgeKey {
    pub client: Arc<str>,
    pub server: Arc<str>,
    pub connection: ConnectionType,
}

/// Service-graph edge values.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct EdgeSeries {
    pub requests: u64,
    pub failed: u64,
    pub server: Histogram,
    pub client: Histogram,
    /// Empty unless messaging latencies were observed.
    pub messaging: Histogram,
}

/// Unpaired/dropped counter labels: `client` or `server`, the service of the lone half.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(super) struct SideKey {
    pub side: Side,
    pub service: Arc<str>,
}

struct Entry<V> {
    value: V,
    start_unix_nano: u64,
    last_update: Instant,
}

/// Every series of a tenant with its start time.
#[derive(Debug, Default)]
pub(super) struct Snapshot {
    pub spans: Vec<(SpanKey, u64, SpanSeries)>,
    pub edges: Vec<(EdgeKey, u64, EdgeSeries)>,
    pub unpaired: Vec<(SideKey, u64, u64)>,
    pub dropped: Vec<(SideKey, u64, u64)>,
}

impl Snapshot {
    /// Sorts every list by key (done after the tenant's lock is released).
    pub fn sort(&mut self) {
        self.spans.sort_by(|a, b| a.0.cmp(&b.0));
        self.edges.sort_by(|a, b| a.0.cmp(&b.0));
        self.unpaired.sort_by(|a, b| a.0.cmp(&b.0));
        self.dropped.sort_by(|a, b| a.0.cmp(&b.0));
    }

    /// True when there are no series.
    pub fn is_empty(&self) -> bool {
        self.spans.is_empty()
            && self.edges.is_empty()
            && self.unpaired.is_empty()
            && self.dropped.is_empty()
    }
}

type Map<K, V> = HashMap<K, Entry<V>, ahash::RandomState>;

/// The series of one tenant.
pub(super) struct SeriesStore {
    spans: Map<SpanKey, SpanSeries>,
    edges: Map<EdgeKey, EdgeSeries>,
    unpaired: Map<SideKey, u64>,
    dropped: Map<SideKey, u64>,
    limit: usize,
}

impl SeriesStore {
    /// An empty store holding at most `limit` series.
    pub fn new(limit: usize) -> Self {
        Self {
            spans: HashMap::default(),
            edges: HashMap::default(),
            unpaired: HashMap::default(),
            dropped: HashMap::default(),
            limit,
        }
    }

    /// Series held.
    pub fn len(&self) -> usize {
        self.spans.len() + self.edges.len() + self.unpaired.len() + self.dropped.len()
    }

    /// Adds one export's span metrics; returns the spans dropped by the series limit.
    pub fn record_spans(
        &mut self,
        spans: Vec<(SpanKey, LocalSpanSeries)>,
        now: Instant,
        now_unix_nano: u64,
    ) -> u64 {
        let mut limited = 0;
        for (key, local) in spans {
            let room = self.len() < self.limit;
            let Some(series) = upsert(&mut self.spans, key, room, now, now_unix_nano, || {
                SpanSeries {
                    calls: 0,
                    size_bytes: 0,
                    latency: Histogram::new(local.latency.buckets.len() - 1),
                }
            }) else {
                limited += local.calls;
                continue;
            };
            series.calls += local.calls;
            series.size_bytes += local.size_bytes;
            series.latency.merge(&local.latency);
        }
        limited
    }

    /// Adds the edges, unpaired and dropped halves of `output`; returns the observations
    /// dropped by the series limit.
    pub fn record_pairing(
        &mut self,
        output: &PairingOutput,
        bounds: &[f64],
        now: Instant,
        now_unix_nano: u64,
    ) -> u64 {
        let mut limited = 0;
        for sample in &output.edges {
            if !self.record_edge(sample, bounds, now, now_unix_nano) {
                limited += 1;
            }
        }
        for (list, is_unpaired) in [(&output.unpaired, true), (&output.dropped, false)] {
            for (side, service) in list {
                let key = SideKey {
                    side: *side,
                    service: Arc::clone(service),
                };
                let room = self.len() < self.limit;
                let map = if is_unpaired {
                    &mut self.unpaired
                } else {
                    &mut self.dropped
                };
                match upsert(map, key, room, now, now_unix_nano, || 0) {
                    Some(count) => *count += 1,
                    None => limited += 1,
                }
            }
        }
        limited
    }

    fn record_edge(
        &mut self,
        sample: &EdgeSample,
        bounds: &[f64],
        now: Instant,
        now_unix_nano: u64,
    ) -> bool {
        let key = EdgeKey {
            client: Arc::clone(&sample.client),
            server: Arc::clone(&sample.server),
            connection: sample.connection,
        };
        let room = self.len() < self.limit;
        let Some(series) = upsert(&mut self.edges, key, room, now, now_unix_nano, || {
            EdgeSeries {
                requests: 0,
                failed: 0,
                server: Histogram::new(bounds.len()),
                client: Histogram::new(bounds.len()),
                messaging: Histogram::new(bounds.len()),
            }
        }) else {
            return false;
        };
        series.requests += 1;
        if sample.failed {
            series.failed += 1;
        }
        let exemplar = |value: f64| {
            Some(ExemplarSample {
                value,
                time_unix_nano: now_unix_nano,
                trace_id: sample.key.trace_id,
                span_id: sample.key.span_id,
            })
        };
        let (server, client) = (sample.server_seconds, sample.client_seconds);
        series.server.observe(bounds, server, exemplar(server));
        series.client.observe(bounds, client, exemplar(client));
        if let Some(seconds) = sample.messaging_seconds {
            series.messaging.observe(bounds, seconds, exemplar(seconds));
        }
        true
    }

    /// Removes series not updated within `stale_after` of `now`.
    pub fn remove_stale(&mut self, now: Instant, stale_after: Duration) {
        let fresh = |last_update: Instant| now.saturating_duration_since(last_update) < stale_after;
        self.spans.retain(|_, e| fresh(e.last_update));
        self.edges.retain(|_, e| fresh(e.last_update));
        self.unpaired.retain(|_, e| fresh(e.last_update));
        self.dropped.retain(|_, e| fresh(e.last_update));
    }

    /// A copy of every series, unsorted (see [`Snapshot::sort`]).
    pub fn snapshot(&self) -> Snapshot {
        Snapshot {
            spans: copy(&self.spans),
            edges: copy(&self.edges),
            unpaired: copy(&self.unpaired),
            dropped: copy(&self.dropped),
        }
    }
}

/// The series of `key`, created if there is `room`; `None` when it is new and there is not.
fn upsert<K: Eq + Hash, V>(
    map: &mut Map<K, V>,
    key: K,
    room: bool,
    now: Instant,
    now_unix_nano: u64,
    new: impl FnOnce() -> V,
) -> Option<&mut V> {
    use std::collections::hash_map::Entry as MapEntry;
    let entry = match map.entry(key) {
        MapEntry::Occupied(occupied) => occupied.into_mut(),
        MapEntry::Vacant(vacant) if room => vacant.insert(Entry {
            value: new(),
            start_unix_nano: now_unix_nano,
            last_update: now,
        }),
        MapEntry::Vacant(_) => return None,
    };
    if now > entry.last_update {
        entry.last_update = now;
    }
    Some(&mut entry.value)
}

fn copy<K: Clone, V: Clone>(map: &Map<K, V>) -> Vec<(K, u64, V)> {
    map.iter()
        .map(|(k, e)| (k.clone(), e.start_unix_nano, e.value.clone()))
        .collect()
}
