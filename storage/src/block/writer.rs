//! Writing a block: merge and sort the rows, encode Parquet (zstd, page statistics, page index),
//! build the trace-id index and bloom filter (traces), the full-text index (logs) or the series
//! index (metrics), then upload
//! every file and `meta.json` last.

use std::time::{SystemTime, UNIX_EPOCH};

use arrow::array::{FixedSizeBinaryArray, Int64Array, UInt64Array};
use arrow::record_batch::RecordBatch;
use bytes::Bytes;
use parquet::arrow::ArrowWriter;
use parquet::basic::{Compression, Encoding, ZstdLevel};
use parquet::file::metadata::SortingColumn;
use parquet::file::properties::{EnabledStatistics, WriterProperties};
use parquet::schema::types::ColumnPath;

use super::bloom::TraceIdBloom;
use super::log_index::{LOG_INDEX_FILE, build_log_index};
use super::merge::{merge_and_sort, sort_columns};
use super::meta::{
    BLOCK_FORMAT, BLOCK_FORMAT_VERSION, BLOOM_FILE, BlockFile, BlockMeta, DATA_FILE, META_FILE,
    TRACE_INDEX_FILE, WalCoverage,
};
use super::series_index::{SERIES_INDEX_FILE, build_series_index};
use super::structure::{LinkedBatch, link_parents};
use super::trace_index::{IndexRow, TraceIndex};
use crate::backend::BlockStorage;
use crate::error::StorageResult;
use crate::rows::attributes::DEFAULT_MAX_ATTRIBUTE_COLUMNS;
use crate::rows::columns::{RESOURCE_COLUMN, SCOPE_COLUMN, SERVICE_NAME_COLUMN, typed};
use crate::rows::{RowBatch, logs, metrics, spans};
use crate::tenant::{Signal, TenantId};

/// How blocks are encoded.
#[derive(Debug, Clone)]
pub struct BlockOptions {
    /// zstd level for every column.
    pub zstd_level: i32,
    /// Target size of a Parquet data page, bytes. Smaller pages make point lookups (a trace by
    /// id) read less; larger ones compress slightly better.
    pub data_page_bytes: usize,
    /// Maximum rows per data page.
    pub data_page_rows: usize,
    /// Maximum rows per row group.
    pub row_group_rows: usize,
    /// Largest dictionary page per column chunk, bytes; a column whose distinct values outgrow
    /// it falls back to plain encoding. Lookups read the whole dictionary page of every column
    /// they touch, so smaller is faster to read.
    pub dictionary_page_bytes: usize,
    /// Cap on attribute columns per block.
    pub max_attribute_columns: usize,
    /// False-positive rate of the trace-id bloom filter.
    pub bloom_false_positive_rate: f64,
}

impl Default for BlockOptions {
    fn default() -> Self {
        Self {
            zstd_level: 3,
            data_page_bytes: 256 << 10,
            data_page_rows: 8_192,
            row_group_rows: 128 << 10,
            dictionary_page_bytes: 16 << 10,
            max_attribute_columns: DEFAULT_MAX_ATTRIBUTE_COLUMNS,
            bloom_false_positive_rate: 0.001,
        }
    }
}

/// A block encoded in memory, ready to upload.
#[derive(Debug)]
pub struct EncodedBlock {
    /// The meta.json contents.
    pub meta: BlockMeta,
    /// Files other than meta.json, in upload order.
    pub files: Vec<(String, Bytes)>,
    /// The trace-id index (traces only).
    pub trace_index: Option<TraceIndex>,
    /// The trace-id bloom filter (traces only).
    pub bloom: Option<TraceIdBloom>,
    /// Time spent merging and sorting the rows.
    pub merge_time: std::time::Duration,
    /// Time spent encoding Parquet.
    pub parquet_time: std::time::Duration,
}

/// Encodes `batches` of `signal` into a block. CPU-heavy: call from a blocking thread.
pub fn encode_block(
    tenant: &TenantId,
    signal: Signal,
    batches: &[RowBatch],
    wal: Option<WalCoverage>,
    options: &BlockOptions,
) -> StorageResult<EncodedBlock> {
    let started = std::time::Instant::now();
    let plain: Vec<RecordBatch> = batches.iter().map(|b| b.batch.clone()).collect();
    let mut sorted = merge_and_sort(signal, &plain, options.max_attribute_columns)?;
    let mut trace_index = None;
    if signal == Signal::Traces {
        let linked = link_parents(&sorted)?;
        trace_index = Some(build_trace_index(&linked)?);
        sorted = linked.batch;
    }
    let merge_time = started.elapsed();
    let min_time = batches.iter().map(|b| b.min_time).min().unwrap_or(0);
    let max_time = batches.iter().map(|b| b.max_time).max().unwrap_or(0);

    let data = write_parquet(signal, &sorted, options)?;
    let parquet_time = started.elapsed() - merge_time;
    let mut files = vec![(DATA_FILE.to_string(), data)];
    if signal == Signal::Logs {
        files.push((
            LOG_INDEX_FILE.to_string(),
            Bytes::from(build_log_index(&sorted)?),
        ));
    }
    if signal == Signal::Metrics {
        files.push((
            SERIES_INDEX_FILE.to_string(),
            Bytes::from(build_series_index(&sorted)?),
        ));
    }
    let mut bloom = None;
    if let Some(index) = &trace_index {
        let mut filter =
            TraceIdBloom::with_capacity(index.len(), options.bloom_false_positive_rate);
        index.trace_ids().for_each(|id| filter.insert(id));
        files.push((TRACE_INDEX_FILE.to_string(), Bytes::from(index.to_bytes())));
        files.push((BLOOM_FILE.to_string(), Bytes::from(filter.to_bytes())));
        bloom = Some(filter);
    }

    let meta = BlockMeta {
        format: BLOCK_FORMAT.to_string(),
        version: BLOCK_FORMAT_VERSION,
        block_id: uuid::Uuid::now_v7().to_string(),
        tenant: tenant.as_str().to_string(),
        signal: signal.as_str().to_string(),
        min_time_unix_nano: min_time,
        max_time_unix_nano: max_time,
        rows: sorted.num_rows() as u64,
        traces: trace_index.as_ref().map(|i| i.len() as u64),
        sort_columns: sort_columns(signal).iter().map(|c| c.to_string()).collect(),
        files: files
            .iter()
            .map(|(name, bytes)| BlockFile {
                name: name.clone(),
                size_bytes: bytes.len() as u64,
            })
            .collect(),
        size_bytes: files.iter().map(|(_, b)| b.len() as u64).sum(),
        wal,
        created_unix_ms: SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as u64),
        compaction_level: 0,
    };
    Ok(EncodedBlock {
        meta,
        files,
        trace_index,
        bloom,
        merge_time,
        parquet_time,
    })
}

/// The trace index of a linked, trace-sorted block batch.
fn build_trace_index(linked: &LinkedBatch) -> StorageResult<TraceIndex> {
    let batch = &linked.batch;
    let ids: &FixedSizeBinaryArray = typed(batch, spans::col::TRACE_ID)?;
    let starts: &UInt64Array = typed(batch, spans::col::START_TIME)?;
    let durations: &Int64Array = typed(batch, spans::col::DURATION)?;
    Ok(TraceIndex::build((0..batch.num_rows()).map(|row| {
        let start = starts.value(row);
        IndexRow {
            trace_id: ids.value(row),
            start,
            end: start.wrapping_add(durations.value(row) as u64).max(start),
            is_root: linked.is_root[row],
        }
    })))
}

/// Uploads a block: data files first, `meta.json` last, so the block becomes visible only when
/// complete.
pub async fn upload_block(storage: &BlockStorage, block: &EncodedBlock) -> StorageResult<()> {
    let tenant = TenantId::new(&block.meta.tenant)
        .map_err(|e| crate::StorageError::corrupt("meta.json", e.to_string()))?;
    let signal = block.meta.signal()?;
    for (name, bytes) in &block.files {
        let path = BlockStorage::block_file(&tenant, signal, &block.meta.block_id, name);
        storage.put(&path, bytes.clone()).await?;
    }
    let meta_path = BlockStorage::block_file(&tenant, signal, &block.meta.block_id, META_FILE);
    storage
        .put(&meta_path, Bytes::from(block.meta.to_json()))
        .await
}

/// Columns whose values are unique or nearly so: dictionary encoding only costs time there.
fn columns_without_dictionary(signal: Signal) -> &'static [&'static str] {
    match signal {
        Signal::Traces => &[
            spans::col::SPAN_ID,
            spans::col::PARENT_SPAN_ID,
            spans::col::START_TIME,
            spans::col::DURATION,
            spans::col::EVENTS,
            spans::col::LINKS,
        ],
        Signal::Logs => &[
            logs::col::TIME,
            logs::col::OBSERVED_TIME,
            logs::col::SPAN_ID,
            logs::col::BODY_ANY,
        ],
        Signal::Metrics => &[
            metrics::col::START_TIME,
            metrics::col::TIME,
            metrics::col::EXEMPLARS,
        ],
    }
}

/// Timestamps sorted within a trace, series or stream compress best as deltas.
fn delta_encoded_columns(signal: Signal) -> &'static [&'static str] {
    match signal {
        Signal::Traces => &[spans::col::START_TIME],
        Signal::Logs => &[logs::col::TIME, logs::col::OBSERVED_TIME],
        Signal::Metrics => &[metrics::col::START_TIME, metrics::col::TIME],
    }
}

fn write_parquet(
    signal: Signal,
    batch: &RecordBatch,
    options: &BlockOptions,
) -> StorageResult<Bytes> {
    let schema = batch.schema();
    let sorting: Vec<SortingColumn> = sort_columns(signal)
        .iter()
        .filter_map(|name| schema.index_of(name).ok())
        .map(|index| SortingColumn {
            column_idx: index as i32,
            descending: false,
            nulls_first: false,
        })
        .collect();
    let mut properties = WriterProperties::builder()
        .set_compression(Compression::ZSTD(ZstdLevel::try_new(options.zstd_level)?))
        .set_statistics_enabled(EnabledStatistics::Page)
        .set_data_page_size_limit(options.data_page_bytes)
        .set_data_page_row_count_limit(options.data_page_rows)
        .set_max_row_group_row_count(Some(options.row_group_rows))
        .set_dictionary_page_size_limit(options.dictionary_page_bytes)
        .set_sorting_columns(Some(sorting))
        .set_created_by(format!("sightline {}", env!("CARGO_PKG_VERSION")));
    // Envelope columns hold few, large distinct values (a resource is often ~1 KB): they keep
    // a dictionary however large it gets.
    for name in [SERVICE_NAME_COLUMN, RESOURCE_COLUMN, SCOPE_COLUMN] {
        properties =
            properties.set_column_dictionary_page_size_limit(ColumnPath::from(name), 8 << 20);
    }
    for name in columns_without_dictionary(signal) {
        properties = properties.set_column_dictionary_enabled(ColumnPath::from(*name), false);
    }
    for name in delta_encoded_columns(signal) {
        properties =
            properties.set_column_encoding(ColumnPath::from(*name), Encoding::DELTA_BINARY_PACKED);
    }
    let mut buffer = Vec::with_capacity(batch.get_array_memory_size() / 4);
    let mut writer = ArrowWriter::try_new(&mut buffer, schema, Some(properties.build()))?;
    writer.write(batch)?;
    writer.close()?;
    Ok(Bytes::from(buffer))
}
