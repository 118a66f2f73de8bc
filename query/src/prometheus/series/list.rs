//! Listing a tenant's series and samples from heads and blocks.
//!
//! A block with a series index (block format 4) is read only where it helps: the index's rows
//! are converted first to learn which series each stream yields, and only the rows of the
//! streams whose series are wanted are read from the data file. Listing series without their
//! samples ([`list_series_names_where`]) reads no data at all, except for streams whose index
//! entry is incomplete. Blocks without an index are read whole.

use std::collections::BTreeMap;
use std::ops::Range;
use std::sync::Arc;

use arrow::record_batch::RecordBatch;
use futures::{StreamExt, TryStreamExt};
use rustc_hash::{FxHashMap, FxHashSet};
use sightline_storage::block::SeriesIndex;
use sightline_storage::blocklist::BlockHandle;
use sightline_storage::rows::metrics::col;
use sightline_storage::{Signal, TelemetryStore, TenantId};

use super::columns::POINT_COLUMNS;
use super::{PromSample, PromSeries, SampleConverter};
use crate::ApiError;

/// A series by name and labels, the order series are listed in.
type SeriesKey = (String, Vec<(String, String)>);

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

/// `keep`'s answers by series, asked once per distinct series object (of one converter).
pub(crate) struct KeepCache<F> {
    keep: F,
    answers: FxHashMap<usize, bool>,
}

impl<F: Fn(&PromSeries) -> bool> KeepCache<F> {
    /// A cache in front of `keep`.
    pub(crate) fn new(keep: F) -> Self {
        Self {
            keep,
            answers: FxHashMap::default(),
        }
    }

    fn keeps(&mut self, series: &Arc<PromSeries>) -> bool {
        let keep = &self.keep;
        *self
            .answers
            .entry(Arc::as_ptr(series) as usize)
            .or_insert_with(|| keep(series))
    }
}

/// The sorted, merged row ranges of the streams of `index` that yield a series `keep` wants
/// with points that may lie in `time_range`, plus those of incomplete streams.
fn wanted_streams<F: Fn(&PromSeries) -> bool>(
    converter: &mut SampleConverter,
    index: &SeriesIndex,
    time_range: (u64, u64),
    keep: &mut KeepCache<F>,
) -> Result<Vec<Range<u64>>, ApiError> {
    let entries = index.entries();
    let mut wanted: Vec<Range<u64>> = entries
        .iter()
        .filter(|e| !e.complete)
        .map(|e| e.stream_rows.clone())
        .collect();
    // Rows already decided: the rest of their series need no look.
    let mut decided = usize::MAX;
    converter.series_of_batch(index.rows(), &mut |row, series| {
        let entry = &entries[row];
        if row != decided && entry.overlaps(time_range.0, time_range.1) && keep.keeps(series) {
            wanted.push(entry.stream_rows.clone());
            decided = row;
        }
    })?;
    wanted.sort_by_key(|r| r.start);
    let mut merged: Vec<Range<u64>> = Vec::with_capacity(wanted.len());
    for range in wanted {
        match merged.last_mut() {
            Some(last) if range.start <= last.end => last.end = last.end.max(range.end),
            _ => merged.push(range),
        }
    }
    Ok(merged)
}

/// The data-file columns read for the streams a series index selected (the converter has
/// already seen their identity in the index): the point columns, and exemplars if asked.
fn point_columns(exemplars: bool) -> Vec<&'static str> {
    let mut columns = POINT_COLUMNS.to_vec();
    if exemplars {
        columns.push(col::EXEMPLARS);
    }
    columns
}

/// The rows of `block` that may yield a series `keep` wants with points in `time_range` (all
/// rows without a series index), with the exemplars column if `exemplars`.
pub(crate) async fn wanted_batches<F: Fn(&PromSeries) -> bool>(
    converter: &mut SampleConverter,
    block: &BlockHandle,
    time_range: (u64, u64),
    keep: &mut KeepCache<F>,
    exemplars: bool,
) -> Result<Vec<RecordBatch>, ApiError> {
    let Some(index) = block.series_index().await? else {
        return Ok(block.reader().read_all().await?);
    };
    let ranges = wanted_streams(converter, &index, time_range, keep)?;
    if ranges.is_empty() {
        return Ok(Vec::new());
    }
    let columns = point_columns(exemplars);
    Ok(block.reader().read_ranges(&ranges, &columns).await?)
}

/// The metrics blocks overlapping `time_range`, with their series indexes loaded (a few at a
/// time: after a restart each one is a file to read and decode).
async fn indexed_blocks(
    store: &TelemetryStore,
    tenant: &TenantId,
    time_range: (u64, u64),
) -> Result<Vec<Arc<BlockHandle>>, ApiError> {
    let blocks = store.blocks(tenant, Signal::Metrics, Some(time_range));
    let loads: Vec<_> = blocks
        .iter()
        .map(|block| {
            let block = Arc::clone(block);
            async move { block.series_index().await.map(|_| ()) }
        })
        .collect();
    futures::stream::iter(loads)
        .buffer_unordered(4)
        .try_collect::<Vec<_>>()
        .await?;
    Ok(blocks)
}

/// Like [`list_series`], keeping only the series `keep` accepts (asked once per stream, so
/// the points of other series are never collected, and with a series index never read).
pub async fn list_series_where(
    store: &TelemetryStore,
    tenant: &TenantId,
    time_range: (u64, u64),
    keep: impl Fn(&PromSeries) -> bool + Send,
) -> Result<Vec<SeriesSamples>, ApiError> {
    let mut converter = SampleConverter::new();
    let mut collector = Collector {
        keep: KeepCache::new(keep),
        index_of: FxHashMap::default(),
        by_content: FxHashMap::default(),
        out: Vec::new(),
        last: (0, None),
    };
    let mut batches = Vec::new();
    for block in indexed_blocks(store, tenant, time_range).await? {
        let keep = &mut collector.keep;
        batches.extend(wanted_batches(&mut converter, &block, time_range, keep, false).await?);
        convert_all(&mut converter, &batches, time_range, &mut |s| {
            collector.add(s)
        })?;
        batches.clear();
    }
    let heads = store.head_batches(tenant, Signal::Metrics, Some(time_range));
    let heads: Vec<RecordBatch> = heads.into_iter().map(|h| h.batch.clone()).collect();
    convert_all(&mut converter, &heads, time_range, &mut |s| {
        collector.add(s)
    })?;
    let mut out = collector.out;
    for series in &mut out {
        if series.points.is_sorted_by(|a, b| a.time_ns < b.time_ns) {
            continue;
        }
        // Stable: among equal times the later part (heads after blocks) wins.
        series.points.sort_by_key(|p| p.time_ns);
        series.points.reverse();
        series.points.dedup_by_key(|p| p.time_ns);
        series.points.reverse();
    }
    out.sort_by(|a, b| (&a.series.name, &a.series.labels).cmp(&(&b.series.name, &b.series.labels)));
    Ok(out)
}

fn convert_all(
    converter: &mut SampleConverter,
    batches: &[RecordBatch],
    time_range: (u64, u64),
    visit: &mut impl FnMut(PromSample<'_>),
) -> Result<(), ApiError> {
    for batch in batches {
        converter.convert_batch(batch, Some(time_range), visit)?;
    }
    Ok(())
}

/// Collects the samples of the series `keep` wants, merging streams that map to one series.
struct Collector<F> {
    keep: KeepCache<F>,
    /// By series object: its index in `out`, `None` when not wanted.
    index_of: FxHashMap<usize, Option<usize>>,
    /// By content, to merge streams: the index in `out`.
    by_content: FxHashMap<Arc<PromSeries>, usize>,
    out: Vec<SeriesSamples>,
    /// The last series object looked up (a stream's samples come in runs).
    last: (usize, Option<usize>),
}

impl<F: Fn(&PromSeries) -> bool> Collector<F> {
    /// Adds `sample` to its series when `keep` wants the series.
    fn add(&mut self, sample: PromSample<'_>) {
        let ptr = Arc::as_ptr(sample.series) as usize;
        let index = if self.last.0 == ptr {
            self.last.1
        } else {
            let (keep, by_content, out) = (&mut self.keep, &mut self.by_content, &mut self.out);
            let index = *self.index_of.entry(ptr).or_insert_with(|| {
                keep.keeps(sample.series).then(|| {
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
            self.last = (ptr, index);
            index
        };
        let Some(index) = index else { return };
        self.out[index].points.push(Point {
            time_ns: sample.time_ns,
            start_time_ns: sample.start_time_ns,
            value: sample.value,
        });
    }
}

/// The series `keep` accepts that have samples within `time_range` (for blocks with a series
/// index: whose shape was seen within it), without their samples, sorted by name and labels.
/// Reads no data file for blocks with a complete series index.
pub async fn list_series_names_where(
    store: &TelemetryStore,
    tenant: &TenantId,
    time_range: (u64, u64),
    keep: impl Fn(&PromSeries) -> bool + Send,
) -> Result<Vec<Arc<PromSeries>>, ApiError> {
    let mut converter = SampleConverter::new();
    let mut keep = KeepCache::new(keep);
    let mut found: BTreeMap<SeriesKey, Arc<PromSeries>> = BTreeMap::new();
    // Series objects already looked at: each index row yields the same few again and again.
    let mut seen: FxHashSet<usize> = FxHashSet::default();
    let mut add = |keep: &mut KeepCache<_>, series: &Arc<PromSeries>| {
        if seen.insert(Arc::as_ptr(series) as usize) && keep.keeps(series) {
            found
                .entry((series.name.clone(), series.labels.clone()))
                .or_insert_with(|| Arc::clone(series));
        }
    };
    for block in indexed_blocks(store, tenant, time_range).await? {
        let Some(index) = block.series_index().await? else {
            for batch in block.reader().read_all().await? {
                converter
                    .convert_batch(&batch, Some(time_range), &mut |s| add(&mut keep, s.series))?;
            }
            continue;
        };
        let entries = index.entries();
        let mut incomplete: Vec<Range<u64>> = Vec::new();
        converter.series_of_batch(index.rows(), &mut |row, series| {
            let entry = &entries[row];
            if !entry.complete {
                incomplete.push(entry.stream_rows.clone());
            } else if entry.overlaps(time_range.0, time_range.1) {
                add(&mut keep, series);
            }
        })?;
        incomplete.dedup();
        if !incomplete.is_empty() {
            let columns = point_columns(false);
            for batch in block.reader().read_ranges(&incomplete, &columns).await? {
                converter
                    .convert_batch(&batch, Some(time_range), &mut |s| add(&mut keep, s.series))?;
            }
        }
    }
    for head in store.head_batches(tenant, Signal::Metrics, Some(time_range)) {
        converter.convert_batch(&head.batch, Some(time_range), &mut |s| {
            add(&mut keep, s.series)
        })?;
    }
    Ok(found.into_values().collect())
}
