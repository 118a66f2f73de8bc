//! The write-ahead log: every accepted export is appended here, and acknowledged only once its
//! record is on disk.
//!
//! One writer thread owns the active segment. Appends queue up while it is busy; it takes all of
//! them, writes them with one `write`, makes them durable with one `fdatasync` (group commit), and
//! then runs each append's completion callback in LSN order. Segments rotate at a size limit;
//! sealed segments are deleted once every record in them is in a durable block
//! ([`Wal::truncate_before`]). On start-up [`open`] replays every segment, stops at the first
//! torn or corrupt record of a segment and truncates the tail away, so a crash never prevents
//! the next start.

pub mod format;
mod replay;
mod segments;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc;
use std::thread;
use std::time::Instant;

pub use replay::ReplayStats;
use segments::SegmentSet;

use crate::error::{StorageError, StorageResult};
use crate::tenant::Signal;

/// Called on the writer thread, in LSN order, once a record is durable (or failed).
pub type DurableCallback = Box<dyn FnOnce(StorageResult<u64>) + Send>;

/// Computes, on the writer thread, the LSN below which every record is in a durable block.
/// It runs after the completion callbacks of every record written so far, so a record is
/// always either in a head or in a block when it is evaluated.
pub type SafePoint = Box<dyn FnOnce() -> u64 + Send>;

/// WAL settings.
#[derive(Debug, Clone)]
pub struct WalConfig {
    /// Directory holding the segments.
    pub dir: PathBuf,
    /// Rotate the active segment after it grows past this many bytes.
    pub segment_bytes: u64,
    /// `fdatasync` before acknowledging (turning this off is for benchmarks only).
    pub fsync: bool,
}

impl WalConfig {
    /// Defaults for a WAL in `dir`: 64 MiB segments, fsync on.
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self {
            dir: dir.into(),
            segment_bytes: 64 << 20,
            fsync: true,
        }
    }
}

/// Counters describing the WAL, for `/metrics`.
#[derive(Debug, Default)]
pub struct WalStats {
    /// Records appended since start.
    pub records: AtomicU64,
    /// Bytes appended since start.
    pub bytes: AtomicU64,
    /// fsyncs performed (each covers one group of records).
    pub syncs: AtomicU64,
    /// Total time spent in fsync, microseconds.
    pub sync_micros: AtomicU64,
    /// Bytes currently held in segment files.
    pub disk_bytes: AtomicU64,
    /// Segment files currently on disk.
    pub segments: AtomicU64,
    /// Corrupt records or headers found during replay.
    pub corruptions: AtomicU64,
}

enum Command {
    Append {
        signal: Signal,
        tenant: String,
        payload: Vec<u8>,
        done: DurableCallback,
    },
    Truncate(SafePoint),
    Shutdown,
}

/// Handle to the WAL writer thread.
pub struct Wal {
    sender: mpsc::Sender<Command>,
    thread: Option<thread::JoinHandle<()>>,
    stats: Arc<WalStats>,
    failed: Arc<AtomicBool>,
}

impl Wal {
    /// Starts the writer on `segments` (already replayed), writing new records from
    /// `next_lsn` in a fresh segment.
    fn start(config: WalConfig, segments: SegmentSet, stats: Arc<WalStats>) -> StorageResult<Self> {
        let (sender, receiver) = mpsc::channel();
        let failed = Arc::new(AtomicBool::new(false));
        let writer = Writer {
            config,
            segments,
            stats: Arc::clone(&stats),
            failed: Arc::clone(&failed),
        };
        let thread = thread::Builder::new()
            .name("sightline-wal".into())
            .spawn(move || writer.run(receiver))
            .map_err(|e| StorageError::io("starting the WAL writer thread", e))?;
        Ok(Self {
            sender,
            thread: Some(thread),
            stats,
            failed,
        })
    }

    /// Queues a record; `done` runs on the writer thread once it is durable.
    pub fn append(&self, signal: Signal, tenant: &str, payload: Vec<u8>, done: DurableCallback) {
        if self.failed.load(Ordering::Acquire) {
            done(Err(StorageError::Unavailable(
                "the WAL failed an earlier write".into(),
            )));
            return;
        }
        let command = Command::Append {
            signal,
            tenant: tenant.to_string(),
            payload,
            done,
        };
        if let Err(mpsc::SendError(Command::Append { done, .. })) = self.sender.send(command) {
            done(Err(StorageError::Unavailable(
                "the WAL writer has stopped".into(),
            )));
        }
    }

    /// Deletes sealed segments whose records all have an LSN below `lsn`.
    pub fn truncate_before(&self, lsn: u64) {
        self.truncate_with(Box::new(move || lsn));
    }

    /// Deletes sealed segments whose records all lie below the LSN `safe_point` returns; the
    /// closure is evaluated on the writer thread (see [`SafePoint`]).
    pub fn truncate_with(&self, safe_point: SafePoint) {
        let _ = self.sender.send(Command::Truncate(safe_point));
    }

    /// The WAL's counters.
    pub fn stats(&self) -> &Arc<WalStats> {
        &self.stats
    }

    /// Stops the writer after it has written everything queued.
    pub fn shutdown(&mut self) {
        let _ = self.sender.send(Command::Shutdown);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for Wal {
    fn drop(&mut self) {
        self.shutdown();
    }
}

/// Opens the WAL in `config.dir`: replays every record through `on_record` (in LSN order), then
/// starts the writer. Returns the WAL and what replay found.
pub fn open(
    config: WalConfig,
    min_next_lsn: u64,
    on_record: impl FnMut(format::WalRecord) -> StorageResult<()>,
) -> StorageResult<(Wal, ReplayStats)> {
    let stats = Arc::new(WalStats::default());
    let (segments, replay_stats) = replay::replay(&config.dir, on_record)?;
    stats
        .corruptions
        .store(replay_stats.corrupt_records, Ordering::Relaxed);
    let segments = segments.start_writing(&config.dir, min_next_lsn)?;
    segments.publish(&stats);
    let wal = Wal::start(config, segments, stats)?;
    Ok((wal, replay_stats))
}

struct Writer {
    config: WalConfig,
    segments: SegmentSet,
    stats: Arc<WalStats>,
    failed: Arc<AtomicBool>,
}

impl Writer {
    fn run(mut self, receiver: mpsc::Receiver<Command>) {
        let mut buffer = Vec::with_capacity(1 << 20);
        let mut pending: Vec<(u64, DurableCallback)> = Vec::new();
        while let Ok(first) = receiver.recv() {
            let mut shutdown = false;
            let mut truncations: Vec<SafePoint> = Vec::new();
            let mut next = Some(first);
            while let Some(command) = next.take() {
                match command {
                    Command::Append {
                        signal,
                        tenant,
                        payload,
                        done,
                    } => {
                        let lsn = self.segments.take_lsn();
                        format::encode_record(&mut buffer, lsn, signal, &tenant, &payload);
                        pending.push((lsn, done));
                    }
                    Command::Truncate(safe_point) => truncations.push(safe_point),
                    Command::Shutdown => shutdown = true,
                }
                if buffer.len() < (16 << 20) && !shutdown {
                    next = receiver.try_recv().ok();
                }
            }
            if !pending.is_empty() {
                let result = self.write_group(&buffer, pending.len() as u64);
                buffer.clear();
                for (lsn, done) in pending.drain(..) {
                    done(match &result {
                        Ok(()) => Ok(lsn),
                        Err(message) => Err(StorageError::Unavailable(message.clone())),
                    });
                }
            }
            for safe_point in truncations {
                let lsn = safe_point();
                let outcome = self
                    .segments
                    .seal_if_covered(&self.config.dir, lsn)
                    .and_then(|()| self.segments.delete_sealed_before(lsn));
                if let Err(error) = outcome {
                    tracing::warn!(%error, "could not delete old WAL segments");
                }
                self.segments.publish(&self.stats);
            }
            if shutdown {
                break;
            }
        }
    }

    fn write_group(&mut self, buffer: &[u8], records: u64) -> Result<(), String> {
        let started = Instant::now();
        let outcome = self
            .segments
            .write_active(buffer, self.config.fsync)
            .and_then(|()| {
                self.segments
                    .rotate_if_larger_than(&self.config.dir, self.config.segment_bytes)
            });
        match outcome {
            Ok(()) => {
                self.stats.records.fetch_add(records, Ordering::Relaxed);
                self.stats
                    .bytes
                    .fetch_add(buffer.len() as u64, Ordering::Relaxed);
                self.stats.syncs.fetch_add(1, Ordering::Relaxed);
                self.stats
                    .sync_micros
                    .fetch_add(started.elapsed().as_micros() as u64, Ordering::Relaxed);
                self.segments.publish(&self.stats);
                Ok(())
            }
            Err(error) => {
                // A failed write leaves the segment in an unknown state: stop accepting writes
                // (callers answer 503) rather than acknowledge data that may not be durable.
                tracing::error!(%error, "WAL write failed; refusing further writes");
                self.failed.store(true, Ordering::Release);
                Err(format!("WAL write failed: {error}"))
            }
        }
    }
}

/// Fsyncs a directory so that file creations and deletions in it are durable.
pub(crate) fn sync_dir(dir: &Path) -> StorageResult<()> {
    std::fs::File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| StorageError::io(format!("syncing directory {}", dir.display()), e))
}

#[cfg(test)]
mod tests;
