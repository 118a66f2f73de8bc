//! Listing a tenant's series and samples from heads and blocks.
//!
//! A block with a series index (block format 4) is read only where it helps: the index's rows
//! are converted first to learn which series each stream yields, and only the rows of the
//! streams whose series are wanted are read from the data file. Listing series without their
//! samples ([`list_series_names_where`]) reads no data at all, except for streams whose index
//! entry is incomplete. Blocks without an index are read whole.

use std::collections::{BTreeMap, HashMap};
use std::ops::Range;
use std::sync::Arc;

use arrow::record_batch::RecordBatch;
use sightline_storage::block::SeriesIndex;
use sightline_storage::blocklist::BlockHandle;
use sightline_storage::rows::metrics::col;
use sightline_storage::{Signal, TelemetryStore, TenantId};

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

/// `keep`'s answers by series, asked once per distinct series object.
struct KeepCache<F> {
    keep: F,
    answers: HashMap<usize, bool>,
}

impl<F: Fn(&PromSeries) -> bool> KeepCache<F> {
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
    converter.series_of_batch(index.rows(), &mut |row, series| {
        let entry = &entries[row];
        if entry.overlaps(time_range.0, time_range.1) && keep.keeps(series) {
            wanted.push(entry.stream_rows.clone());
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

/// The data-file columns the conversion reads (all but exemplars and descriptive ones).
async fn point_columns(block: &BlockHandle) -> Result<Vec<String>, ApiError> {
    let skip = [
        col::EXEMPLARS,
        col::DESCRIPTION,
        col::METADATA,
        col::MIN,
        col::MAX,
    ];
    let names = block.reader().column_names().await?;
    Ok(names
        .into_iter()
        .filter(|n| !skip.contains(&n.as_str()))
        .collect())
}

/// The rows of `block` that may yield a series `keep` wants (all rows without a series index).
async fn wanted_batches<F: Fn(&PromSeries) -> bool>(
    converter: &mut SampleConverter,
    block: &BlockHandle,
    time_range: (u64, u64),
    keep: &mut KeepCache<F>,
) -> Result<Vec<RecordBatch>, ApiError> {
    let Some(index) = block.series_index().await? else {
        return Ok(block.reader().read_all().await?);
    };
    let ranges = wanted_streams(converter, &index, time_range, keep)?;
    if ranges.is_empty() {
        return Ok(Vec::new());
    }
    let columns = point_columns(block).await?;
    let columns: Vec<&str> = columns.iter().map(String::as_str).collect();
    Ok(block.reader().read_ranges(&ranges, &columns).await?)
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
    let mut keep = KeepCache {
        keep,
        answers: HashMap::new(),
    };
    // Series by content, to merge streams; their index in `out`.
    let mut by_content: HashMap<Arc<PromSeries>, usize> = HashMap::new();
    let mut out: Vec<SeriesSamples> = Vec::new();
    let mut index_of = HashMap::<usize, Option<usize>>::new();
    let mut batches = Vec::new();
    for block in store.blocks(tenant, Signal::Metrics, Some(time_range)) {
        batches.extend(wanted_batches(&mut converter, &block, time_range, &mut keep).await?);
        convert_all(&mut converter, &batches, time_range, &mut |sample| {
            collect(&mut keep, &mut index_of, &mut by_content, &mut out, sample)
        })?;
        batches.clear();
    }
    let heads = store.head_batches(tenant, Signal::Metrics, Some(time_range));
    let heads: Vec<RecordBatch> = heads.into_iter().map(|h| h.batch.clone()).collect();
    convert_all(&mut converter, &heads, time_range, &mut |sample| {
        collect(&mut keep, &mut index_of, &mut by_content, &mut out, sample)
    })?;
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

/// Adds `sample` to its series in `out` when `keep` wants the series.
fn collect<F: Fn(&PromSeries) -> bool>(
    keep: &mut KeepCache<F>,
    index_of: &mut HashMap<usize, Option<usize>>,
    by_content: &mut HashMap<Arc<PromSeries>, usize>,
    out: &mut Vec<SeriesSamples>,
    sample: PromSample<'_>,
) {
    let index = *index_of
        .entry(Arc::as_ptr(sample.series) as usize)
        .or_insert_with(|| {
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
    let Some(index) = index else { return };
    out[index].points.push(Point {
        time_ns: sample.time_ns,
        start_time_ns: sample.start_time_ns,
        value: sample.value,
    });
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
    let mut keep = KeepCache {
        keep,
        answers: HashMap::new(),
    };
    let mut found: BTreeMap<SeriesKey, Arc<PromSeries>> = BTreeMap::new();
    let mut add = |keep: &mut KeepCache<_>, series: &Arc<PromSeries>| {
        if keep.keeps(series) {
            found
                .entry((series.name.clone(), series.labels.clone()))
                .or_insert_with(|| Arc::clone(series));
        }
    };
    for block in store.blocks(tenant, Signal::Metrics, Some(time_range)) {
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
            let columns = point_columns(&block).await?;
            let columns: Vec<&str> = columns.iter().map(String::as_str).collect();
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
