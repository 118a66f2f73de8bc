//! The metrics generator: every `interval`, the series of [`DerivedMetrics`] are collected and
//! committed to the store as each tenant's metrics (as Tempo's metrics-generator remote-writes
//! them), so span metrics and the service graph are queryable for any past range.

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use sightline_storage::{SignalRequest, StorageResult, TelemetryStore};
use tokio::sync::watch;

use crate::derived::DerivedMetrics;

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

/// Stores derived metrics every `interval` until `shutdown` turns true, then once more.
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
    if let Err(error) = store_derived_metrics(&derived, &store).await {
        tracing::warn!(%error, "storing derived metrics at shutdown failed");
    }
}
