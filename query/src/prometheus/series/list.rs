//! Listing a tenant's series and samples from heads and blocks.

use std::collections::HashMap;
use std::sync::Arc;

use sightline_storage::{Signal, TelemetryStore, TenantId};

use super::{PromSample, PromSeries, SampleConverter};
use crate::ApiError;

/// One point of a [`SeriesSamples`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Point {
    /// Unix ns.
    pub time_ns: u64,
    /// The OTLP start time (unix ns, 0 when unknown): a delta covers `(start, time]`.
    pub start_time_ns: u64,
    /// The value (maybe the staleness marker).
    pub value: f64,
}

/// A series with its samples in time order (one per time: duplicates keep the last seen).
#[derive(Debug, Clone, PartialEq)]
pub struct SeriesSamples {
    /// The series.
    pub series: Arc<PromSeries>,
    /// The points, by time.
    pub points: Vec<Point>,
}

/// Every series of `tenant`'s metrics with its samples within `time_range` (unix ns,
/// inclusive), from the heads and the blocks, sorted by name and labels. Streams that map to
/// the same Prometheus series are merged.
pub async fn list_series(
    store: &TelemetryStore,
    tenant: &TenantId,
    time_range: (u64, u64),
) -> Result<Vec<SeriesSamples>, ApiError> {
    list_series_where(store, tenant, time_range, |_| true).await
}

/// Like [`list_series`], keeping only the series `keep` accepts (asked once per stream, so
/// the points of other series are never collected).
pub async fn list_series_where(
    store: &TelemetryStore,
    tenant: &TenantId,
    time_range: (u64, u64),
    keep: impl Fn(&PromSeries) -> bool + Send,
) -> Result<Vec<SeriesSamples>, ApiError> {
    let mut converter = SampleConverter::new();
    // Series by the address of the converter's `Arc` (stable while the converter lives; a
    // `usize` keeps the future `Send`), then by content to merge streams; `None` for series
    // `keep` refused.
    let mut by_ptr: HashMap<usize, Option<usize>> = HashMap::new();
    let mut by_content: HashMap<Arc<PromSeries>, usize> = HashMap::new();
    let mut out: Vec<SeriesSamples> = Vec::new();
    let mut visit = |sample: PromSample<'_>| {
        let index = *by_ptr
            .entry(Arc::as_ptr(sample.series) as usize)
            .or_insert_with(|| {
                keep(sample.series).then(|| {
                    *by_content
                        .entry(Arc::clone(sample.series))
                        .or_insert_with(|| {
                            out.push(SeriesSamples {
                                series: Arc::clone(sample.series),
                                points: Vec::new(),
                            });
                            out.len() - 1
                        })
                })
            });
        let Some(index) = index else { return };
        out[index].points.push(Point {
            time_ns: sample.time_ns,
            start_time_ns: sample.start_time_ns,
            value: sample.value,
        });
    };
    let range = Some(time_range);
    for block in store.blocks(tenant, Signal::Metrics, range) {
        for batch in block.reader().read_all().await? {
            converter.convert_batch(&batch, range, &mut visit)?;
        }
    }
    for head in store.head_batches(tenant, Signal::Metrics, range) {
        converter.convert_batch(&head.batch, range, &mut visit)?;
    }
    for series in &mut out {
        // Stable: among equal times the later part (heads after blocks) wins.
        series.points.sort_by_key(|p| p.time_ns);
        series.points.reverse();
        series.points.dedup_by_key(|p| p.time_ns);
        series.points.reverse();
    }
    out.sort_by(|a, b| (&a.series.name, &a.series.labels).cmp(&(&b.series.name, &b.series.labels)));
    Ok(out)
}
