//! The blocks known per tenant and signal, with what lookups need in memory: each block's meta,
//! its trace-id bloom filter (loaded eagerly, small), and its trace-id, full-text or series index
//! and Parquet footer (loaded on first use).

use std::collections::HashMap;
use std::sync::Arc;

use bytes::Bytes;
use parking_lot::RwLock;
use tokio::sync::OnceCell;

use crate::backend::BlockStorage;
use crate::block::log_index::{LOG_INDEX_FILE, LogIndex};
use crate::block::meta::{BLOOM_FILE, META_FILE, TRACE_INDEX_FILE};
use crate::block::series_index::{SERIES_INDEX_FILE, SeriesIndex};
use crate::block::{BlockMeta, BlockReader, TraceIdBloom, TraceIndex};
use crate::error::{StorageError, StorageResult};
use crate::tenant::{Signal, TenantId};

/// One visible block.
pub struct BlockHandle {
    /// Its meta.json.
    pub meta: Arc<BlockMeta>,
    /// Owning tenant.
    pub tenant: TenantId,
    /// Its signal.
    pub signal: Signal,
    bloom: Option<TraceIdBloom>,
    trace_index: OnceCell<Arc<TraceIndex>>,
    log_index: OnceCell<Option<Arc<LogIndex>>>,
    series_index: OnceCell<Option<Arc<SeriesIndex>>>,
    reader: BlockReader,
    storage: BlockStorage,
}

impl std::fmt::Debug for BlockHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BlockHandle")
            .field("block_id", &self.meta.block_id)
            .finish()
    }
}

impl BlockHandle {
    /// A handle for a block whose sidecars are already in memory (just written).
    pub fn new(
        storage: BlockStorage,
        meta: BlockMeta,
        bloom: Option<TraceIdBloom>,
        trace_index: Option<TraceIndex>,
    ) -> StorageResult<Self> {
        let meta = Arc::new(meta);
        let tenant = TenantId::new(&meta.tenant)
            .map_err(|e| StorageError::corrupt("meta.json", e.to_string()))?;
        let signal = meta.signal()?;
        let reader = BlockReader::new(storage.clone(), Arc::clone(&meta))?;
        let cell = OnceCell::new();
        if let Some(index) = trace_index {
            let _ = cell.set(Arc::new(index));
        }
        Ok(Self {
            meta,
            tenant,
            signal,
            bloom,
            trace_index: cell,
            log_index: OnceCell::new(),
            series_index: OnceCell::new(),
            reader,
            storage,
        })
    }

    /// Loads the handle of an existing block from its meta.json bytes (and its bloom filter).
    async fn load(storage: &BlockStorage, meta_bytes: &[u8]) -> StorageResult<Self> {
        let meta = BlockMeta::from_json(meta_bytes)?;
        let bloom = if meta.file_size(BLOOM_FILE).is_some() {
            let tenant = TenantId::new(&meta.tenant)
                .map_err(|e| StorageError::corrupt("meta.json", e.to_string()))?;
            let path =
                BlockStorage::block_file(&tenant, meta.signal()?, &meta.block_id, BLOOM_FILE);
            Some(TraceIdBloom::from_bytes(&storage.get(&path).await?)?)
        } else {
            None
        };
        Self::new(storage.clone(), meta, bloom, None)
    }

    /// False when the block certainly does not hold `trace_id` (no I/O).
    pub fn may_contain_trace(&self, trace_id: &[u8; 16]) -> bool {
        self.bloom.as_ref().is_none_or(|b| b.may_contain(trace_id))
    }

    /// The trace-id index, read from the object store on first use.
    pub async fn trace_index(&self) -> StorageResult<Arc<TraceIndex>> {
        self.trace_index
            .get_or_try_init(|| async {
                let path = BlockStorage::block_file(
                    &self.tenant,
                    self.signal,
                    &self.meta.block_id,
                    TRACE_INDEX_FILE,
                );
                let bytes: Bytes = self.storage.get(&path).await?;
                Ok(Arc::new(TraceIndex::from_bytes(&bytes)?))
            })
            .await
            .cloned()
    }

    /// The full-text index of a logs block, opened on first use; `None` when the block has none
    /// (not a logs block, or written before block format 3).
    pub async fn log_index(&self) -> StorageResult<Option<Arc<LogIndex>>> {
        self.log_index
            .get_or_try_init(|| async {
                if self.meta.file_size(LOG_INDEX_FILE).is_none() {
                    return Ok(None);
                }
                let path = BlockStorage::block_file(
                    &self.tenant,
                    self.signal,
                    &self.meta.block_id,
                    LOG_INDEX_FILE,
                );
                let bytes = self.storage.get_mapped(&path).await?;
                Ok(Some(Arc::new(LogIndex::open(bytes)?)))
            })
            .await
            .cloned()
    }

    /// The series index of a metrics block, read on first use; `None` when the block has none
    /// (not a metrics block, or written before block format 4).
    pub async fn series_index(&self) -> StorageResult<Option<Arc<SeriesIndex>>> {
        self.series_index
            .get_or_try_init(|| async {
                if self.meta.file_size(SERIES_INDEX_FILE).is_none() {
                    return Ok(None);
                }
                let path = BlockStorage::block_file(
                    &self.tenant,
                    self.signal,
                    &self.meta.block_id,
                    SERIES_INDEX_FILE,
                );
                let bytes = self.storage.get(&path).await?;
                let index = tokio::task::spawn_blocking(move || SeriesIndex::from_bytes(bytes))
                    .await
                    .map_err(|e| StorageError::corrupt(SERIES_INDEX_FILE, e.to_string()))??;
                Ok(Some(Arc::new(index)))
            })
            .await
            .cloned()
    }

    /// The block's data reader.
    pub fn reader(&self) -> &BlockReader {
        &self.reader
    }

    /// Memory held for lookups (bloom filter and, once loaded, the trace-id and series indexes).
    pub fn memory_bytes(&self) -> usize {
        self.bloom.as_ref().map_or(0, |b| b.size_bytes())
            + self.trace_index.get().map_or(0, |i| i.size_bytes())
            + self
                .series_index
                .get()
                .and_then(|i| i.as_ref())
                .map_or(0, |i| i.size_bytes())
    }
}

/// Counts for `/metrics`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BlockCounts {
    /// Visible blocks.
    pub blocks: u64,
    /// Rows in them.
    pub rows: u64,
    /// Bytes of their files.
    pub bytes: u64,
}

/// What loading the block list found.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct LoadReport {
    /// Blocks loaded.
    pub blocks: u64,
    /// Directories without meta.json (unfinished writes) that were deleted.
    pub orphans_deleted: u64,
    /// Blocks skipped because their meta.json or bloom filter could not be read.
    pub unreadable: u64,
}

type Key = (TenantId, Signal);

/// All visible blocks, per tenant and signal, oldest first.
#[derive(Default)]
pub struct BlockList {
    blocks: RwLock<HashMap<Key, Vec<Arc<BlockHandle>>>>,
}

impl BlockList {
    /// Lists every block in `storage`. Directories without meta.json are unfinished writes of a
    /// crashed process; with `delete_orphans` they are removed.
    pub async fn load(
        storage: &BlockStorage,
        delete_orphans: bool,
    ) -> StorageResult<(Self, LoadReport)> {
        let list = BlockList::default();
        let mut report = LoadReport::default();
        for tenant_name in storage.list_tenants().await? {
            let Ok(tenant) = TenantId::new(&tenant_name) else {
                tracing::warn!(tenant = %tenant_name, "ignoring a storage directory that is not a valid tenant id");
                continue;
            };
            for signal in Signal::ALL {
                for block_id in storage.list_block_dirs(&tenant, signal).await? {
                    let meta_path = BlockStorage::block_file(&tenant, signal, &block_id, META_FILE);
                    match storage.get(&meta_path).await {
                        Ok(bytes) => match BlockHandle::load(storage, &bytes).await {
                            Ok(handle) => {
                                list.add(Arc::new(handle));
                                report.blocks += 1;
                            }
                            Err(error) => {
                                tracing::error!(%tenant, %signal, %block_id, %error, "skipping unreadable block");
                                report.unreadable += 1;
                            }
                        },
                        Err(StorageError::ObjectStore(object_store::Error::NotFound {
                            ..
                        })) => {
                            if delete_orphans {
                                tracing::warn!(%tenant, %signal, %block_id, "deleting an unfinished block (no meta.json)");
                                storage
                                    .delete_prefix(&BlockStorage::block_prefix(
                                        &tenant, signal, &block_id,
                                    ))
                                    .await?;
                                report.orphans_deleted += 1;
                            }
                        }
                        Err(error) => return Err(error),
                    }
                }
            }
        }
        Ok((list, report))
    }

    /// Makes a block visible.
    pub fn add(&self, handle: Arc<BlockHandle>) {
        let mut blocks = self.blocks.write();
        let list = blocks
            .entry((handle.tenant.clone(), handle.signal))
            .or_default();
        list.push(handle);
        list.sort_by(|a, b| a.meta.block_id.cmp(&b.meta.block_id));
    }

    /// The blocks of a tenant and signal, oldest first.
    pub fn blocks(&self, tenant: &TenantId, signal: Signal) -> Vec<Arc<BlockHandle>> {
        self.blocks
            .read()
            .get(&(tenant.clone(), signal))
            .cloned()
            .unwrap_or_default()
    }

    /// Every block, for start-up bookkeeping.
    pub fn all(&self) -> Vec<Arc<BlockHandle>> {
        self.blocks.read().values().flatten().cloned().collect()
    }

    /// Totals per signal.
    pub fn counts(&self, signal: Signal) -> BlockCounts {
        let blocks = self.blocks.read();
        let mut counts = BlockCounts::default();
        for handle in blocks
            .iter()
            .filter(|((_, s), _)| *s == signal)
            .flat_map(|(_, list)| list)
        {
            counts.blocks += 1;
            counts.rows += handle.meta.rows;
            counts.bytes += handle.meta.size_bytes;
        }
        counts
    }

    /// Memory held by lookup structures of every block.
    pub fn memory_bytes(&self) -> usize {
        self.blocks
            .read()
            .values()
            .flatten()
            .map(|h| h.memory_bytes())
            .sum()
    }
}
