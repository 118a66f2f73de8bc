//! The set of WAL segment files: the sealed ones awaiting deletion and the active one being
//! appended to.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;

use super::format::{segment_file_name, segment_header};
use super::{WalStats, sync_dir};
use crate::error::{StorageError, StorageResult};

/// A segment no longer written to.
#[derive(Debug)]
pub(crate) struct SealedSegment {
    pub first_lsn: u64,
    pub path: PathBuf,
    pub bytes: u64,
}

struct ActiveSegment {
    first_lsn: u64,
    path: PathBuf,
    file: File,
    bytes: u64,
}

/// Sealed segments (oldest first) plus the active one.
pub(crate) struct SegmentSet {
    sealed: Vec<SealedSegment>,
    active: Option<ActiveSegment>,
    next_lsn: u64,
}

impl SegmentSet {
    /// Segments found on disk by replay; the next record gets `next_lsn`.
    pub fn from_replay(sealed: Vec<SealedSegment>, next_lsn: u64) -> Self {
        Self {
            sealed,
            active: None,
            next_lsn,
        }
    }

    /// Opens a fresh active segment; LSNs continue from at least `min_next_lsn`.
    pub fn start_writing(mut self, dir: &Path, min_next_lsn: u64) -> StorageResult<Self> {
        self.next_lsn = self.next_lsn.max(min_next_lsn).max(1);
        self.open_active(dir)?;
        Ok(self)
    }

    fn open_active(&mut self, dir: &Path) -> StorageResult<()> {
        let path = dir.join(segment_file_name(self.next_lsn));
        let context = || format!("creating WAL segment {}", path.display());
        let mut file = OpenOptions::new()
            .create(true)
            .truncate(true)
            .write(true)
            .open(&path)
            .map_err(|e| StorageError::io(context(), e))?;
        file.write_all(&segment_header())
            .map_err(|e| StorageError::io(context(), e))?;
        file.sync_all()
            .map_err(|e| StorageError::io(context(), e))?;
        sync_dir(dir)?;
        let bytes = segment_header().len() as u64;
        self.active = Some(ActiveSegment {
            first_lsn: self.next_lsn,
            path,
            file,
            bytes,
        });
        Ok(())
    }

    /// Assigns the next LSN.
    pub fn take_lsn(&mut self) -> u64 {
        let lsn = self.next_lsn;
        self.next_lsn += 1;
        lsn
    }

    /// Appends encoded records to the active segment and makes them durable.
    pub fn write_active(&mut self, buffer: &[u8], fsync: bool) -> StorageResult<()> {
        let active = self
            .active
            .as_mut()
            .expect("an active segment while writing");
        let context = || format!("writing WAL segment {}", active.path.display());
        active
            .file
            .write_all(buffer)
            .map_err(|e| StorageError::io(context(), e))?;
        if fsync {
            active
                .file
                .sync_data()
                .map_err(|e| StorageError::io(context(), e))?;
        }
        active.bytes += buffer.len() as u64;
        Ok(())
    }

    /// Seals the active segment and opens a new one when it has grown past `limit` bytes.
    pub fn rotate_if_larger_than(&mut self, dir: &Path, limit: u64) -> StorageResult<()> {
        match &self.active {
            Some(active) if active.bytes >= limit => self.rotate(dir),
            _ => Ok(()),
        }
    }

    /// When every record written so far lies below `lsn` (all are in blocks), seals the active
    /// segment if it holds records, so that it can be deleted too.
    pub fn seal_if_covered(&mut self, dir: &Path, lsn: u64) -> StorageResult<()> {
        let header = segment_header().len() as u64;
        let has_records = self.active.as_ref().is_some_and(|a| a.bytes > header);
        if lsn >= self.next_lsn && has_records {
            self.rotate(dir)
        } else {
            Ok(())
        }
    }

    fn rotate(&mut self, dir: &Path) -> StorageResult<()> {
        let active = self.active.take().expect("an active segment to rotate");
        self.sealed.push(SealedSegment {
            first_lsn: active.first_lsn,
            path: active.path,
            bytes: active.bytes,
        });
        self.open_active(dir)
    }

    /// Deletes sealed segments (oldest first) whose records all have an LSN below `lsn`.
    pub fn delete_sealed_before(&mut self, lsn: u64) -> StorageResult<()> {
        let mut deleted = 0;
        for index in 0..self.sealed.len() {
            // A segment holds LSNs up to (not including) the next segment's first LSN.
            let end = self
                .sealed
                .get(index + 1)
                .map(|s| s.first_lsn)
                .or(self.active.as_ref().map(|a| a.first_lsn))
                .unwrap_or(self.next_lsn);
            if end > lsn {
                break;
            }
            let segment = &self.sealed[index];
            match std::fs::remove_file(&segment.path) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => {
                    return Err(StorageError::io(
                        format!("deleting {}", segment.path.display()),
                        e,
                    ));
                }
            }
            deleted += 1;
        }
        if deleted > 0 {
            self.sealed.drain(..deleted);
            if let Some(parent) = self.active.as_ref().and_then(|a| a.path.parent()) {
                sync_dir(parent)?;
            }
        }
        Ok(())
    }

    /// Publishes segment counts and sizes to the stats.
    pub fn publish(&self, stats: &WalStats) {
        let active_bytes = self.active.as_ref().map_or(0, |a| a.bytes);
        let bytes: u64 = self.sealed.iter().map(|s| s.bytes).sum::<u64>() + active_bytes;
        stats.disk_bytes.store(bytes, Ordering::Relaxed);
        stats.segments.store(
            (self.sealed.len() + self.active.is_some() as usize) as u64,
            Ordering::Relaxed,
        );
    }
}
