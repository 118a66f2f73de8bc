//! The metrics generator: stored span exports reach [`DerivedMetrics`] through a [`DerivedFeed`]
//! (one dedicated thread, a bounded queue: exports wait for room rather than memory growing), and
//! every `interval` its series are collected and committed to the store as each tenant's metrics
//! (as Tempo's metrics-generator remote-writes them), so span metrics and the service graph are
//! queryable for any past range.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use sightline_proto::otlp::collector::trace::v1::ExportTraceServiceRequest;
use sightline_storage::{MemoryBudget, SignalRequest, StorageResult, TelemetryStore, TenantId};
use tokio::sync::{mpsc, watch};

use crate::derived::DerivedMetrics;

/// Exports waiting for the derive thread.
const FEED_QUEUE: usize = 32;

/// Feeds stored span exports to [`DerivedMetrics`] on a dedicated thread. Cheap to clone.
#[derive(Clone)]
pub struct DerivedFeed {
    metrics: Arc<DerivedMetrics>,
    sender: mpsc::Sender<(TenantId, ExportTraceServiceRequest)>,
    queued: Arc<AtomicU64>,
    observed: Arc<AtomicU64>,
}

impl DerivedFeed {
    /// Starts the derive thread. After each export it reports the processor's memory to
    /// `budget` as retained bytes. The thread ends when every clone of the feed is dropped.
    pub fn start(metrics: Arc<DerivedMetrics>, budget: Arc<MemoryBudget>) -> Self {
        let (sender, mut receiver) =
            mpsc::channel::<(TenantId, ExportTraceServiceRequest)>(FEED_QUEUE);
        let observed = Arc::new(AtomicU64::new(0));
        let worker = (Arc::clone(&metrics), Arc::clone(&observed));
        std::thread::Builder::new()
            .name("sightline-derive".into())
            .spawn(move || {
                let (metrics, observed) = worker;
                while let Some((tenant, request)) = receiver.blocking_recv() {
                    metrics.observe(&tenant, &request, Instant::now());
                    drop(request);
                    budget.set_retained_bytes(metrics.stats().approximate_bytes() as usize);
                    observed.fetch_add(1, Ordering::Release);
                }
            })
            .expect("spawning the derive thread");
        Self {
            metrics,
            sender,
            queued: Arc::new(AtomicU64::new(0)),
            observed,
        }
    }

    /// The processor.
    pub fn metrics(&self) -> &Arc<DerivedMetrics> {
        &self.metrics
    }

    /// Queues a stored export, waiting for room.
    pub async fn send(&self, tenant: TenantId, request: ExportTraceServiceRequest) {
        self.queued.fetch_add(1, Ordering::AcqRel);
        if self.sender.send((tenant, request)).await.is_err() {
            self.observed.fetch_add(1, Ordering::Release);
        }
    }

    /// Waits (up to `timeout`) until every queued export has been observed; true when done.
    pub async fn drain(&self, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        loop {
            if self.observed.load(Ordering::Acquire) >= self.queued.load(Ordering::Acquire) {
                return true;
            }
            if Instant::now() >= deadline {
                return false;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }
}

/// Collects `derived` once and stores what it returns; the number of data points stored.
pub async fn store_derived_metrics(
    derived: &Arc<DerivedMetrics>,
    store: &TelemetryStore,
) -> StorageResult<usize> {
    let now_unix_nano = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64);
    let collected = {
        let derived = Arc::clone(derived);
        tokio::task::spawn_blocking(move || derived.collect(Instant::now(), now_unix_nano))
            .await
            .unwrap_or_default()
    };
    let mut points = 0;
    for (tenant, request) in collected {
        points += request
            .resource_metrics
            .iter()
            .flat_map(|r| &r.scope_metrics)
            .flat_map(|s| &s.metrics)
            .map(sightline_storage::rows::metrics::point_count)
            .sum::<usize>();
        let request = SignalRequest::Metrics(request);
        let prepared = {
            let store = store.clone();
            tokio::task::spawn_blocking(move || store.prepare(tenant, &request, None))
                .await
                .map_err(|e| sightline_storage::StorageError::Task(e.to_string()))??
        };
        store.commit(prepared).await?;
    }
    Ok(points)
}

/// Stores derived metrics every `interval` until `shutdown` turns true. (At shutdown the caller
/// drains the feed and stores once more with [`store_derived_metrics`].)
pub async fn run_generator(
    derived: Arc<DerivedMetrics>,
    store: TelemetryStore,
    interval: Duration,
    mut shutdown: watch::Receiver<bool>,
) {
    let mut ticker = tokio::time::interval(interval);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    ticker.tick().await;
    loop {
        tokio::select! {
            _ = ticker.tick() => {}
            _ = shutdown.wait_for(|stop| *stop) => break,
        }
        match store_derived_metrics(&derived, &store).await {
            Ok(points) => tracing::debug!(points, "stored derived metrics"),
            Err(error) => tracing::warn!(%error, "storing derived metrics failed; will retry"),
        }
    }
}
