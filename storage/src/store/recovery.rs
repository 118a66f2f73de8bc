//! Opening a store: load the block list, replay the WAL into the heads (skipping records a block
//! already holds), and start the background block writer.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use super::heads::Heads;
use super::{Inner, StoreConfig, StoreStats, TelemetryStore, flush};
use crate::backend::BlockStorage;
use crate::blocklist::{BlockList, LoadReport};
use crate::error::{StorageError, StorageResult};
use crate::memory::MemoryBudget;
use crate::rows::SignalRequest;
use crate::tenant::{Signal, TenantId};
use crate::wal::{self, ReplayStats, WalConfig};

/// What opening the store found and did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RecoveryReport {
    /// Block list loading.
    pub blocks: LoadReport,
    /// WAL replay.
    pub replay: ReplayStats,
    /// WAL records skipped because a block already holds them.
    pub records_already_in_blocks: u64,
    /// Rows put back into heads from the WAL.
    pub rows_replayed: u64,
}

/// LSN ranges of WAL records that blocks already hold, per tenant and signal.
type Covered = HashMap<(String, Signal), Vec<(u64, u64)>>;

const WAL_ID_FILE: &str = "wal.id";

/// Reads the WAL's identity, creating it for a new WAL directory.
fn wal_id(dir: &Path) -> StorageResult<String> {
    std::fs::create_dir_all(dir)
        .map_err(|e| StorageError::io(format!("creating {}", dir.display()), e))?;
    let path = dir.join(WAL_ID_FILE);
    match std::fs::read_to_string(&path) {
        Ok(id) if !id.trim().is_empty() => return Ok(id.trim().to_string()),
        Ok(_) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(StorageError::io(format!("reading {}", path.display()), e)),
    }
    let id = uuid::Uuid::new_v4().to_string();
    let temp = dir.join("wal.id.tmp");
    std::fs::write(&temp, &id)
        .and_then(|()| std::fs::File::open(&temp)?.sync_all())
        .and_then(|()| std::fs::rename(&temp, &path))
        .map_err(|e| StorageError::io(format!("writing {}", path.display()), e))?;
    wal::sync_dir(dir)?;
    Ok(id)
}

impl TelemetryStore {
    /// Opens (or creates) a store: blocks in `storage`, WAL under `config.data_dir`.
    pub async fn open(
        config: StoreConfig,
        storage: BlockStorage,
        memory: Arc<MemoryBudget>,
    ) -> StorageResult<(Self, RecoveryReport)> {
        let (blocks, load_report) = BlockList::load(&storage, config.delete_orphan_blocks).await?;
        let wal_dir = config.wal_dir();
        let wal_id = wal_id(&wal_dir)?;

        let mut covered: Covered = HashMap::new();
        let mut min_next_lsn = 0;
        for handle in blocks.all() {
            if let Some(wal) = handle.meta.wal.as_ref().filter(|w| w.wal_id == wal_id) {
                covered
                    .entry((handle.tenant.as_str().to_string(), handle.signal))
                    .or_default()
                    .push((wal.min_lsn, wal.max_lsn));
                min_next_lsn = min_next_lsn.max(wal.max_lsn + 1);
            }
        }

        let heads = Arc::new(Heads::new(
            Arc::clone(&memory),
            config.cut.max_block_rows,
            config.cut.max_head_bytes,
        ));
        let wal_config = WalConfig {
            dir: wal_dir,
            segment_bytes: config.wal_segment_bytes,
            fsync: config.wal_fsync,
        };
        let max_columns = config.block.max_attribute_columns;
        let replay_heads = Arc::clone(&heads);
        let (wal, report) = tokio::task::spawn_blocking(move || {
            let mut skipped = 0;
            let mut rows_replayed = 0;
            let (wal, replay) = wal::open(wal_config, min_next_lsn, |record| {
                let tenant = TenantId::new(&record.tenant)
                    .map_err(|e| StorageError::corrupt("WAL record", e.to_string()))?;
                let ranges = covered.get(&(record.tenant.clone(), record.signal));
                if ranges.is_some_and(|r| {
                    r.iter()
                        .any(|(min, max)| (*min..=*max).contains(&record.lsn))
                }) {
                    skipped += 1;
                    return Ok(());
                }
                let request = SignalRequest::decode(record.signal, &record.payload)?;
                if let Some(rows) = request.to_rows(max_columns)? {
                    rows_replayed += rows.batch.num_rows() as u64;
                    replay_heads.apply(&(tenant, record.signal), rows, record.lsn);
                }
                Ok(())
            })?;
            let report = RecoveryReport {
                blocks: load_report,
                replay,
                records_already_in_blocks: skipped,
                rows_replayed,
            };
            StorageResult::Ok((wal, report))
        })
        .await??;

        tracing::info!(
            blocks = report.blocks.blocks,
            orphans_deleted = report.blocks.orphans_deleted,
            wal_records = report.replay.records,
            wal_corrupt_records = report.replay.corrupt_records,
            wal_truncated_bytes = report.replay.truncated_bytes,
            records_already_in_blocks = report.records_already_in_blocks,
            rows_replayed = report.rows_replayed,
            "store opened"
        );
        let inner = Arc::new(Inner {
            config,
            storage,
            wal,
            wal_id,
            heads,
            blocks,
            memory,
            stats: StoreStats::default(),
            closing: AtomicBool::new(false),
            flush_lock: tokio::sync::Mutex::new(()),
        });
        let background = flush::spawn_background(Arc::clone(&inner));
        let store = TelemetryStore {
            inner,
            shutdown: Arc::new(parking_lot::Mutex::new(Some(background))),
        };
        Ok((store, report))
    }

    /// Opens a store with blocks on the local filesystem under `<data_dir>/blocks`.
    pub async fn open_local(
        config: StoreConfig,
        memory: Arc<MemoryBudget>,
    ) -> StorageResult<(Self, RecoveryReport)> {
        let storage = BlockStorage::local(config.blocks_dir())?;
        Self::open(config, storage, memory).await
    }
}
