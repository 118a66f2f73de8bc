//! [`TelemetryStore`]: the storage engine behind the receivers and the query APIs.
//!
//! Write path: [`TelemetryStore::prepare`] converts a validated request to rows (CPU, on the
//! caller's blocking thread); [`TelemetryStore::commit`] appends it to the WAL and returns once
//! the record is durable and its rows are in the head. A background task cuts heads into blocks
//! (by rows, bytes or age), writes them through the object store with meta.json last, and then
//! lets the WAL delete what the blocks cover. Start-up loads the block list, replays the WAL
//! (skipping records already in blocks), and deletes unfinished block directories.

mod flush;
mod heads;
mod read;
mod recovery;

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use tokio::sync::{oneshot, watch};

use crate::backend::BlockStorage;
use crate::block::BlockOptions;
use crate::blocklist::{BlockCounts, BlockList};
use crate::error::{StorageError, StorageResult};
use crate::memory::MemoryBudget;
use crate::rows::{RowBatch, SignalRequest};
use crate::tenant::{Signal, TenantId};
use crate::wal::{Wal, WalStats};
use heads::Heads;

pub use read::TraceLookup;
pub use recovery::RecoveryReport;

/// When a head is cut into a block.
#[derive(Debug, Clone)]
pub struct CutPolicy {
    /// Cut when a head holds this many rows.
    pub max_block_rows: usize,
    /// Cut when a head holds this many bytes of rows in memory.
    pub max_head_bytes: usize,
    /// Cut when a head's first row is this old.
    pub max_block_age: Duration,
}

impl Default for CutPolicy {
    fn default() -> Self {
        Self {
            max_block_rows: 1_000_000,
            max_head_bytes: 256 << 20,
            max_block_age: Duration::from_secs(300),
        }
    }
}

/// Store settings.
#[derive(Debug, Clone)]
pub struct StoreConfig {
    /// Directory for the WAL (`<data_dir>/wal`) and, with the local backend, blocks
    /// (`<data_dir>/blocks`).
    pub data_dir: PathBuf,
    /// fsync WAL writes before acknowledging (off only for benchmarks).
    pub wal_fsync: bool,
    /// WAL segment size.
    pub wal_segment_bytes: u64,
    /// Block encoding.
    pub block: BlockOptions,
    /// Cut thresholds.
    pub cut: CutPolicy,
    /// Delete block directories without meta.json at start-up (safe only when this process is
    /// the only writer of the bucket, as with the local backend).
    pub delete_orphan_blocks: bool,
}

impl StoreConfig {
    /// Defaults for a store in `data_dir`.
    pub fn new(data_dir: impl Into<PathBuf>) -> Self {
        Self {
            data_dir: data_dir.into(),
            wal_fsync: true,
            wal_segment_bytes: 64 << 20,
            block: BlockOptions::default(),
            cut: CutPolicy::default(),
            delete_orphan_blocks: true,
        }
    }

    /// Where the WAL lives.
    pub fn wal_dir(&self) -> PathBuf {
        self.data_dir.join("wal")
    }

    /// Where local blocks live.
    pub fn blocks_dir(&self) -> PathBuf {
        self.data_dir.join("blocks")
    }
}

/// Counters of the store, for `/metrics`.
#[derive(Debug, Default)]
pub struct StoreStats {
    /// Blocks written since start, per signal (traces, logs, metrics).
    pub blocks_written: [AtomicU64; 3],
    /// Block writes that failed (and are retried).
    pub flush_failures: AtomicU64,
    /// Rows appended since start, per signal.
    pub rows_appended: [AtomicU64; 3],
}

pub(crate) fn signal_index(signal: Signal) -> usize {
    match signal {
        Signal::Traces => 0,
        Signal::Logs => 1,
        Signal::Metrics => 2,
    }
}

/// A request converted to rows, ready to commit.
#[derive(Debug)]
pub struct PreparedAppend {
    tenant: TenantId,
    signal: Signal,
    rows: Option<RowBatch>,
    payload: Vec<u8>,
}

impl PreparedAppend {
    /// Rows that will be stored.
    pub fn rows(&self) -> usize {
        self.rows.as_ref().map_or(0, |r| r.batch.num_rows())
    }
}

pub(crate) struct Inner {
    config: StoreConfig,
    storage: BlockStorage,
    wal: Wal,
    wal_id: String,
    heads: Arc<Heads>,
    blocks: BlockList,
    memory: Arc<MemoryBudget>,
    stats: StoreStats,
    closing: AtomicBool,
    /// Serializes block writes (the background task and explicit flushes).
    flush_lock: tokio::sync::Mutex<()>,
}

/// The block-writing task and the sender that stops it.
type BackgroundTask = (watch::Sender<bool>, tokio::task::JoinHandle<()>);

/// The storage engine. Cheap to clone.
#[derive(Clone)]
pub struct TelemetryStore {
    inner: Arc<Inner>,
    shutdown: Arc<parking_lot::Mutex<Option<BackgroundTask>>>,
}

impl TelemetryStore {
    /// Converts a validated request into rows. CPU-heavy: call it off the async runtime.
    /// `raw` is the request's protobuf encoding when the caller has it (saves re-encoding).
    pub fn prepare(
        &self,
        tenant: TenantId,
        request: &SignalRequest,
        raw: Option<Vec<u8>>,
    ) -> StorageResult<PreparedAppend> {
        let rows = request.to_rows(self.inner.config.block.max_attribute_columns)?;
        let payload = match (&rows, raw) {
            (None, _) => Vec::new(),
            (Some(_), Some(raw)) => raw,
            (Some(_), None) => request.encode_to_vec(),
        };
        Ok(PreparedAppend {
            tenant,
            signal: request.signal(),
            rows,
            payload,
        })
    }

    /// Makes a prepared request durable (WAL fsync) and visible (head), then returns.
    pub async fn commit(&self, prepared: PreparedAppend) -> StorageResult<()> {
        let Some(rows) = prepared.rows else {
            return Ok(());
        };
        if self.inner.closing.load(Ordering::Acquire) {
            return Err(StorageError::Unavailable(
                "the store is shutting down".into(),
            ));
        }
        let (sender, receiver) = oneshot::channel();
        let heads = Arc::clone(&self.inner.heads);
        let key = (prepared.tenant.clone(), prepared.signal);
        let row_count = rows.batch.num_rows() as u64;
        self.inner.wal.append(
            prepared.signal,
            prepared.tenant.as_str(),
            prepared.payload,
            Box::new(move |result| {
                if let Ok(lsn) = &result {
                    heads.apply(&key, rows, *lsn);
                }
                let _ = sender.send(result);
            }),
        );
        receiver
            .await
            .map_err(|_| StorageError::Unavailable("the WAL writer stopped".into()))??;
        self.inner.stats.rows_appended[signal_index(prepared.signal)]
            .fetch_add(row_count, Ordering::Relaxed);
        Ok(())
    }

    /// The memory budget shared with admission control.
    pub fn memory(&self) -> &Arc<MemoryBudget> {
        &self.inner.memory
    }

    /// The WAL's counters.
    pub fn wal_stats(&self) -> &Arc<WalStats> {
        self.inner.wal.stats()
    }

    /// The store's counters.
    pub fn stats(&self) -> &StoreStats {
        &self.inner.stats
    }

    /// Visible blocks of `signal`.
    pub fn block_counts(&self, signal: Signal) -> BlockCounts {
        self.inner.blocks.counts(signal)
    }

    /// Rows and bytes in heads of `signal`.
    pub fn head_totals(&self, signal: Signal) -> (u64, u64) {
        self.inner.heads.totals(signal)
    }

    /// Cuts every non-empty head and waits until their blocks are written.
    pub async fn flush(&self) -> StorageResult<()> {
        flush::flush_everything(&self.inner).await
    }

    /// Stops accepting writes, writes every head to a block, and stops the background task and
    /// the WAL writer. Idempotent.
    pub async fn shutdown(&self) -> StorageResult<()> {
        self.inner.closing.store(true, Ordering::Release);
        let background = self.shutdown.lock().take();
        if let Some((stop, task)) = background {
            let _ = stop.send(true);
            let _ = task.await;
        }
        flush::flush_everything(&self.inner).await
    }
}

#[cfg(test)]
impl TelemetryStore {
    /// Stops the background task without writing heads, as a crash would leave them.
    pub(crate) async fn abandon(self) {
        self.inner.closing.store(true, Ordering::Release);
        let background = self.shutdown.lock().take();
        if let Some((stop, task)) = background {
            let _ = stop.send(true);
            let _ = task.await;
        }
    }
}

#[cfg(test)]
mod tests;
