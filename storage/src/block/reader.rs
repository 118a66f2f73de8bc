//! Reading rows back from a block's Parquet file through the object store, fetching only the
//! pages that hold the wanted rows (page index + row selection).

use std::ops::Range;
use std::sync::Arc;

use arrow::record_batch::RecordBatch;
use bytes::Bytes;
use futures::future::BoxFuture;
use futures::{FutureExt, TryStreamExt};
use object_store::path::Path as ObjectPath;
use object_store::{ObjectStore, ObjectStoreExt};
use parquet::arrow::arrow_reader::{
    ArrowReaderMetadata, ArrowReaderOptions, RowSelection, RowSelector,
};
use parquet::arrow::async_reader::AsyncFileReader;
use parquet::arrow::{ParquetRecordBatchStreamBuilder, ProjectionMask};
use parquet::errors::ParquetError;
use parquet::file::metadata::{PageIndexPolicy, ParquetMetaData, ParquetMetaDataReader};
use tokio::sync::OnceCell;

use super::meta::{BlockMeta, DATA_FILE};
use crate::backend::BlockStorage;
use crate::error::{StorageError, StorageResult};
use crate::tenant::TenantId;

/// Reads one block's data file; caches the Parquet footer and page index after first use.
pub struct BlockReader {
    storage: BlockStorage,
    meta: Arc<BlockMeta>,
    tenant: TenantId,
    footer: OnceCell<ArrowReaderMetadata>,
}

impl BlockReader {
    /// A reader for the block described by `meta`.
    pub fn new(storage: BlockStorage, meta: Arc<BlockMeta>) -> StorageResult<Self> {
        let tenant = TenantId::new(&meta.tenant)
            .map_err(|e| StorageError::corrupt("meta.json", e.to_string()))?;
        Ok(Self {
            storage,
            meta,
            tenant,
            footer: OnceCell::new(),
        })
    }

    fn object_reader(&self) -> StorageResult<ObjectFileReader> {
        let signal = self.meta.signal()?;
        let path = BlockStorage::block_file(&self.tenant, signal, &self.meta.block_id, DATA_FILE);
        let size = self
            .meta
            .file_size(DATA_FILE)
            .ok_or_else(|| StorageError::corrupt("meta.json", "no data.parquet listed"))?;
        Ok(ObjectFileReader {
            store: Arc::clone(self.storage.object_store()),
            path,
            size,
        })
    }

    /// The Parquet footer with its page index (loaded once).
    pub async fn footer(&self) -> StorageResult<&ArrowReaderMetadata> {
        self.footer
            .get_or_try_init(|| async {
                let mut reader = self.object_reader()?;
                let options =
                    ArrowReaderOptions::new().with_page_index_policy(PageIndexPolicy::Optional);
                Ok(ArrowReaderMetadata::load_async(&mut reader, options).await?)
            })
            .await
    }

    /// Reads rows `rows` (row numbers within the file), every column.
    pub async fn read_rows(&self, rows: Range<u64>) -> StorageResult<Vec<RecordBatch>> {
        self.read(&[rows], None).await
    }

    /// Reads rows `rows` of the named columns only (names the file lacks are skipped).
    pub async fn read_columns(
        &self,
        rows: Range<u64>,
        columns: &[&str],
    ) -> StorageResult<Vec<RecordBatch>> {
        self.read(&[rows], Some(columns)).await
    }

    /// Reads several row ranges (sorted, not overlapping) of the named columns, in order.
    pub async fn read_ranges(
        &self,
        ranges: &[Range<u64>],
        columns: &[&str],
    ) -> StorageResult<Vec<RecordBatch>> {
        self.read(ranges, Some(columns)).await
    }

    /// The names of the file's columns (top-level fields).
    pub async fn column_names(&self) -> StorageResult<Vec<String>> {
        let footer = self.footer().await?;
        Ok(footer
            .schema()
            .fields()
            .iter()
            .map(|f| f.name().clone())
            .collect())
    }

    async fn read(
        &self,
        ranges: &[Range<u64>],
        columns: Option<&[&str]>,
    ) -> StorageResult<Vec<RecordBatch>> {
        let footer = self.footer().await?.clone();
        debug_assert!(
            ranges.windows(2).all(|w| w[0].end <= w[1].start),
            "ranges must be sorted"
        );
        let mut row_groups = Vec::new();
        let mut selectors = Vec::new();
        let mut first_row = 0u64;
        for (index, group) in footer.metadata().row_groups().iter().enumerate() {
            let group_rows = group.num_rows() as u64;
            let group_range = first_row..first_row + group_rows;
            first_row += group_rows;
            let mut position = group_range.start;
            let mut selected = false;
            for range in ranges {
                let start = range.start.max(group_range.start);
                let end = range.end.min(group_range.end);
                if start >= end {
                    continue;
                }
                if start > position {
                    selectors.push(RowSelector::skip((start - position) as usize));
                }
                selectors.push(RowSelector::select((end - start) as usize));
                position = end;
                selected = true;
            }
            if !selected {
                // Row groups without selected rows are left out (and get no selectors).
                continue;
            }
            if group_range.end > position {
                selectors.push(RowSelector::skip((group_range.end - position) as usize));
            }
            row_groups.push(index);
        }
        if row_groups.is_empty() {
            return Ok(Vec::new());
        }
        let projection = columns.map(|names| {
            let schema = footer.schema();
            let roots: Vec<usize> = names
                .iter()
                .filter_map(|name| schema.index_of(name).ok())
                .collect();
            ProjectionMask::roots(footer.metadata().file_metadata().schema_descr(), roots)
        });
        let mut builder =
            ParquetRecordBatchStreamBuilder::new_with_metadata(self.object_reader()?, footer)
                .with_row_groups(row_groups)
                .with_row_selection(RowSelection::from(selectors))
                .with_batch_size(64 << 10);
        if let Some(projection) = projection {
            builder = builder.with_projection(projection);
        }
        Ok(builder.build()?.try_collect().await?)
    }

    /// Reads every row.
    pub async fn read_all(&self) -> StorageResult<Vec<RecordBatch>> {
        self.read_rows(0..self.meta.rows).await
    }
}

/// Parquet's view of one object: byte-range reads through the object store, and the footer read
/// with the file size known from `meta.json` (no extra request to learn it).
struct ObjectFileReader {
    store: Arc<dyn ObjectStore>,
    path: ObjectPath,
    size: u64,
}

fn parquet_error(error: object_store::Error) -> ParquetError {
    ParquetError::External(Box::new(error))
}

impl AsyncFileReader for ObjectFileReader {
    fn get_bytes(&mut self, range: Range<u64>) -> BoxFuture<'_, parquet::errors::Result<Bytes>> {
        async move {
            self.store
                .get_range(&self.path, range)
                .await
                .map_err(parquet_error)
        }
        .boxed()
    }

    fn get_byte_ranges(
        &mut self,
        ranges: Vec<Range<u64>>,
    ) -> BoxFuture<'_, parquet::errors::Result<Vec<Bytes>>> {
        async move {
            self.store
                .get_ranges(&self.path, &ranges)
                .await
                .map_err(parquet_error)
        }
        .boxed()
    }

    fn get_metadata<'a>(
        &'a mut self,
        options: Option<&'a ArrowReaderOptions>,
    ) -> BoxFuture<'a, parquet::errors::Result<Arc<ParquetMetaData>>> {
        async move {
            let size = self.size;
            let metadata = ParquetMetaDataReader::new()
                .with_arrow_reader_options(options)
                .with_prefetch_hint(Some(64 << 10))
                .load_and_finish(self, size)
                .await?;
            Ok(Arc::new(metadata))
        }
        .boxed()
    }
}
