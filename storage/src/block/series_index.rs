//! The series index of a metrics block (`series.parquet`, block format 4): what a reader needs
//! to find a block's streams and their series without reading the data file.
//!
//! A metrics block is sorted by (name, `series_id`, time), so each stream (one `series_id`) is
//! one contiguous row range. The index holds, per stream, one row per distinct *shape* of its
//! points, copied from the block unchanged (the full metrics schema) plus four columns:
//! where the stream's rows are (`index_stream_first_row`, `index_stream_rows`) and when points
//! of that shape were seen (`index_shape_min_time`, `index_shape_max_time`).
//!
//! A shape is everything about a point that decides which series a reader derives from it,
//! besides the stream's identity: whether it is a staleness marker, whether a number point has
//! a value, a histogram's bounds and bucket count, an exponential histogram's scale, zero
//! bucket and bucket index ranges, a summary's quantiles, whether `sum` is set. So converting
//! the index rows yields every series the block's points yield, without touching the points.
//! A stream with more than [`MAX_SHAPES_PER_STREAM`] shapes lists only the first ones and is
//! flagged incomplete (`index_stream_complete` false): readers read its rows to list its series.

use std::collections::HashMap;
use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::ops::Range;
use std::sync::Arc;

use arrow::array::{
    Array, ArrayRef, BooleanArray, Float64Array, ListArray, UInt32Array, UInt64Array,
};
use arrow::compute::take;
use arrow::datatypes::{DataType, Field, Schema};
use arrow::record_batch::RecordBatch;
use bytes::Bytes;
use parquet::arrow::ArrowWriter;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::metadata::KeyValue;
use parquet::file::properties::WriterProperties;

use crate::error::{StorageError, StorageResult};
use crate::rows::columns::typed;
use crate::rows::metrics::{MetricColumns, MetricType, col};

/// Name of the series index sidecar (metrics blocks, format 4 on).
pub const SERIES_INDEX_FILE: &str = "series.parquet";
/// Version of the series index layout, stored in the file's key-value metadata.
pub const SERIES_INDEX_VERSION: u32 = 1;
/// Key of the version in the Parquet key-value metadata.
pub const VERSION_KEY: &str = "sightline.series_index.version";
/// Shapes listed per stream before it is flagged incomplete.
pub const MAX_SHAPES_PER_STREAM: usize = 64;

/// The index's own columns, after the metrics schema's.
pub mod index_col {
    /// UInt64: first row of the stream in `data.parquet`.
    pub const STREAM_FIRST_ROW: &str = "index_stream_first_row";
    /// UInt64: rows of the stream.
    pub const STREAM_ROWS: &str = "index_stream_rows";
    /// Boolean: every shape of the stream is listed.
    pub const STREAM_COMPLETE: &str = "index_stream_complete";
    /// UInt64: earliest time of a point with this shape (unix ns).
    pub const SHAPE_MIN_TIME: &str = "index_shape_min_time";
    /// UInt64: latest time of a point with this shape (unix ns).
    pub const SHAPE_MAX_TIME: &str = "index_shape_max_time";
}

/// Where one index row's stream is and when its shape was seen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeriesIndexEntry {
    /// The stream's rows in the data file.
    pub stream_rows: Range<u64>,
    /// Whether every shape of the stream is listed.
    pub complete: bool,
    /// Earliest time of a point with this shape (unix ns).
    pub min_time: u64,
    /// Latest time of a point with this shape (unix ns).
    pub max_time: u64,
}

impl SeriesIndexEntry {
    /// True when points of this shape may lie in `[start, end]` (unix ns, inclusive).
    pub fn overlaps(&self, start: u64, end: u64) -> bool {
        self.min_time <= end && self.max_time >= start
    }
}

/// A loaded series index: the representative rows (metrics schema) and their entries.
#[derive(Debug, Clone)]
pub struct SeriesIndex {
    rows: RecordBatch,
    entries: Vec<SeriesIndexEntry>,
}

impl SeriesIndex {
    /// The representative rows, one per stream and shape, in block order (metrics schema).
    pub fn rows(&self) -> &RecordBatch {
        &self.rows
    }

    /// One entry per row of [`Self::rows`].
    pub fn entries(&self) -> &[SeriesIndexEntry] {
        &self.entries
    }

    /// Approximate memory held.
    pub fn size_bytes(&self) -> usize {
        self.rows.get_array_memory_size()
            + self.entries.len() * std::mem::size_of::<SeriesIndexEntry>()
    }

    /// Parses a `series.parquet` file (refusing versions this build does not know).
    pub fn from_bytes(bytes: Bytes) -> StorageResult<Self> {
        let corrupt = |m: String| StorageError::corrupt(SERIES_INDEX_FILE, m);
        let builder = ParquetRecordBatchReaderBuilder::try_new(bytes)?;
        let version = builder
            .metadata()
            .file_metadata()
            .key_value_metadata()
            .and_then(|kv| kv.iter().find(|kv| kv.key == VERSION_KEY))
            .and_then(|kv| kv.value.as_deref()?.parse::<u32>().ok())
            .ok_or_else(|| corrupt("no version".into()))?;
        if version != SERIES_INDEX_VERSION {
            return Err(corrupt(format!(
                "series index version {version} is not supported (this build reads {SERIES_INDEX_VERSION})"
            )));
        }
        let schema = Arc::clone(builder.schema());
        let batches = builder
            .with_batch_size(64 << 10)
            .build()?
            .collect::<Result<Vec<_>, _>>()?;
        let batch = arrow::compute::concat_batches(&schema, &batches)?;
        let first: &UInt64Array = typed(&batch, index_col::STREAM_FIRST_ROW)?;
        let count: &UInt64Array = typed(&batch, index_col::STREAM_ROWS)?;
        let complete: &BooleanArray = typed(&batch, index_col::STREAM_COMPLETE)?;
        let min: &UInt64Array = typed(&batch, index_col::SHAPE_MIN_TIME)?;
        let max: &UInt64Array = typed(&batch, index_col::SHAPE_MAX_TIME)?;
        let entries = (0..batch.num_rows())
            .map(|row| SeriesIndexEntry {
                stream_rows: first.value(row)..first.value(row) + count.value(row),
                complete: complete.value(row),
                min_time: min.value(row),
                max_time: max.value(row),
            })
            .collect();
        let keep: Vec<usize> = (0..schema.fields().len())
            .filter(|&i| !schema.field(i).name().starts_with("index_"))
            .collect();
        Ok(Self {
            rows: batch.project(&keep)?,
            entries,
        })
    }
}

/// Builds the series index of a sorted metrics block batch, as Parquet bytes.
pub fn build_series_index(sorted: &RecordBatch) -> StorageResult<Vec<u8>> {
    let shapes = MetricColumns::new(sorted)?;
    let series: &UInt64Array = typed(sorted, col::SERIES_ID)?;
    let times: &UInt64Array = typed(sorted, col::TIME)?;
    let mut picked: Vec<u32> = Vec::new();
    let mut first_rows: Vec<u64> = Vec::new();
    let mut stream_rows: Vec<u64> = Vec::new();
    let mut complete: Vec<bool> = Vec::new();
    let mut min_times: Vec<u64> = Vec::new();
    let mut max_times: Vec<u64> = Vec::new();
    let mut row = 0;
    let mut seen: HashMap<u64, usize> = HashMap::new();
    while row < sorted.num_rows() {
        let id = series.value(row);
        let start = row;
        while row < sorted.num_rows() && series.value(row) == id {
            row += 1;
        }
        let first_entry = picked.len();
        let mut all_listed = true;
        seen.clear();
        for r in start..row {
            let time = times.value(r);
            let shape = shape(&shapes, r)?;
            match seen.get(&shape) {
                Some(&entry) => {
                    min_times[entry] = min_times[entry].min(time);
                    max_times[entry] = max_times[entry].max(time);
                }
                None if seen.len() < MAX_SHAPES_PER_STREAM => {
                    seen.insert(shape, picked.len());
                    picked.push(r as u32);
                    min_times.push(time);
                    max_times.push(time);
                }
                None => all_listed = false,
            }
        }
        for _ in first_entry..picked.len() {
            first_rows.push(start as u64);
            stream_rows.push((row - start) as u64);
            complete.push(all_listed);
        }
    }
    let indices = UInt32Array::from(picked);
    let mut fields: Vec<Field> = sorted
        .schema()
        .fields()
        .iter()
        .map(|f| f.as_ref().clone())
        .collect();
    let mut columns: Vec<ArrayRef> = sorted
        .columns()
        .iter()
        .map(|c| take(c.as_ref(), &indices, None))
        .collect::<Result<_, _>>()?;
    for (name, array) in [
        (
            index_col::STREAM_FIRST_ROW,
            Arc::new(UInt64Array::from(first_rows)) as ArrayRef,
        ),
        (
            index_col::STREAM_ROWS,
            Arc::new(UInt64Array::from(stream_rows)),
        ),
        (
            index_col::STREAM_COMPLETE,
            Arc::new(BooleanArray::from(complete)),
        ),
        (
            index_col::SHAPE_MIN_TIME,
            Arc::new(UInt64Array::from(min_times)),
        ),
        (
            index_col::SHAPE_MAX_TIME,
            Arc::new(UInt64Array::from(max_times)),
        ),
    ] {
        fields.push(Field::new(name, array.data_type().clone(), false));
        columns.push(array);
    }
    let batch = RecordBatch::try_new(Arc::new(Schema::new(fields)), columns)?;
    let properties = WriterProperties::builder()
        .set_compression(Compression::ZSTD(ZstdLevel::try_new(3)?))
        .set_key_value_metadata(Some(vec![KeyValue::new(
            VERSION_KEY.to_string(),
            SERIES_INDEX_VERSION.to_string(),
        )]))
        .set_created_by(format!("sightline {}", env!("CARGO_PKG_VERSION")))
        .build();
    let mut buffer = Vec::new();
    let mut writer = ArrowWriter::try_new(&mut buffer, batch.schema(), Some(properties))?;
    writer.write(&batch)?;
    writer.close()?;
    Ok(buffer)
}

/// A hash of the point's shape (see the module documentation).
fn shape(columns: &MetricColumns<'_>, row: usize) -> StorageResult<u64> {
    let mut h = DefaultHasher::new();
    let code = columns.metric_type.value(row);
    code.hash(&mut h);
    (columns.flags.value(row) & 1).hash(&mut h);
    let metric_type = MetricType::from_code(code).ok_or_else(|| {
        StorageError::corrupt("metrics batch", format!("unknown metric type {code}"))
    })?;
    match metric_type {
        MetricType::Gauge | MetricType::Sum => {
            (columns.value_double.is_valid(row) || columns.value_int.is_valid(row)).hash(&mut h);
        }
        MetricType::Histogram => {
            hash_f64_list(columns.explicit_bounds, row, &mut h);
            list_len(columns.bucket_counts, row).hash(&mut h);
            columns.sum.is_valid(row).hash(&mut h);
        }
        MetricType::ExponentialHistogram => {
            columns.exp_scale.value(row).hash(&mut h);
            (columns.exp_zero_count.value(row) > 0).hash(&mut h);
            columns.exp_zero_threshold.value(row).to_bits().hash(&mut h);
            for (offset, counts) in [
                (columns.exp_positive_offset, columns.exp_positive_counts),
                (columns.exp_negative_offset, columns.exp_negative_counts),
            ] {
                offset.is_valid(row).then(|| offset.value(row)).hash(&mut h);
                list_len(counts, row).hash(&mut h);
            }
            columns.sum.is_valid(row).hash(&mut h);
        }
        MetricType::Summary => {
            hash_f64_list(columns.quantiles, row, &mut h);
            list_len(columns.quantile_values, row).hash(&mut h);
        }
    }
    Ok(h.finish())
}

fn list_len(list: &ListArray, row: usize) -> usize {
    if list.is_null(row) {
        return usize::MAX;
    }
    list.value_length(row) as usize
}

fn hash_f64_list(list: &ListArray, row: usize, h: &mut DefaultHasher) {
    list_len(list, row).hash(h);
    if list.is_null(row) || list.values().data_type() != &DataType::Float64 {
        return;
    }
    let values = list.values().as_any().downcast_ref::<Float64Array>();
    let offsets = list.value_offsets();
    if let Some(values) = values {
        let (start, end) = (offsets[row] as usize, offsets[row + 1] as usize);
        for v in &values.values()[start..end] {
            v.to_bits().hash(h);
        }
    }
}

#[cfg(test)]
mod tests;
