//! Start-up replay: read every segment in LSN order, hand each valid record to the caller, and
//! truncate torn or corrupt tails so that the next start reads cleanly.

use std::fs::OpenOptions;
use std::path::Path;

use super::format::{
    DecodeOutcome, SEGMENT_HEADER_LEN, WalRecord, check_segment_header, decode_record,
    parse_segment_file_name,
};
use super::segments::{SealedSegment, SegmentSet};
use super::sync_dir;
use crate::error::{StorageError, StorageResult};

/// What replay found.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ReplayStats {
    /// Segment files read.
    pub segments: u64,
    /// Valid records handed to the caller.
    pub records: u64,
    /// Records that were complete but damaged (bad checksum, bad header, undecodable payload).
    pub corrupt_records: u64,
    /// Bytes cut off segment tails (torn writes and what followed corruption).
    pub truncated_bytes: u64,
    /// The highest LSN seen, 0 when none.
    pub last_lsn: u64,
}

/// Reads every segment under `dir` (creating `dir` if needed) and calls `on_record` for each
/// valid record in LSN order. A record the callback refuses is counted as corrupt and skipped.
pub(crate) fn replay(
    dir: &Path,
    mut on_record: impl FnMut(WalRecord) -> StorageResult<()>,
) -> StorageResult<(SegmentSet, ReplayStats)> {
    std::fs::create_dir_all(dir)
        .map_err(|e| StorageError::io(format!("creating {}", dir.display()), e))?;
    let mut names: Vec<(u64, String)> = std::fs::read_dir(dir)
        .map_err(|e| StorageError::io(format!("listing {}", dir.display()), e))?
        .filter_map(|entry| entry.ok())
        .filter_map(|entry| {
            let name = entry.file_name().into_string().ok()?;
            parse_segment_file_name(&name).map(|lsn| (lsn, name))
        })
        .collect();
    names.sort();

    let mut stats = ReplayStats::default();
    let mut sealed = Vec::new();
    let mut next_lsn = 1;
    for (first_lsn, name) in names {
        let path = dir.join(&name);
        let bytes = std::fs::read(&path)
            .map_err(|e| StorageError::io(format!("reading {}", path.display()), e))?;
        stats.segments += 1;
        next_lsn = next_lsn.max(first_lsn);
        let valid_len = replay_segment(&path, &bytes, &mut stats, &mut next_lsn, &mut on_record);
        if valid_len < bytes.len() {
            stats.truncated_bytes += (bytes.len() - valid_len) as u64;
            truncate(&path, valid_len as u64)?;
        }
        sealed.push(SealedSegment {
            first_lsn,
            path,
            bytes: valid_len as u64,
        });
    }
    sync_dir(dir)?;
    stats.last_lsn = next_lsn.saturating_sub(1);
    Ok((SegmentSet::from_replay(sealed, next_lsn), stats))
}

/// Replays one segment; returns the length of its valid prefix.
fn replay_segment(
    path: &Path,
    bytes: &[u8],
    stats: &mut ReplayStats,
    next_lsn: &mut u64,
    on_record: &mut impl FnMut(WalRecord) -> StorageResult<()>,
) -> usize {
    if bytes.len() < SEGMENT_HEADER_LEN {
        // Crashed while creating the segment: it holds no records.
        return 0;
    }
    if let Err(problem) = check_segment_header(bytes) {
        tracing::error!(path = %path.display(), %problem, "unreadable WAL segment header; skipping the segment");
        stats.corrupt_records += 1;
        return 0;
    }
    let mut offset = SEGMENT_HEADER_LEN;
    while offset < bytes.len() {
        match decode_record(&bytes[offset..]) {
            DecodeOutcome::Record(record, len) => {
                let lsn = record.lsn;
                if lsn < *next_lsn {
                    tracing::error!(path = %path.display(), lsn, "WAL record out of order; treating the rest of the segment as corrupt");
                    stats.corrupt_records += 1;
                    return offset;
                }
                *next_lsn = lsn + 1;
                if let Err(error) = on_record(record) {
                    tracing::error!(path = %path.display(), lsn, %error, "WAL record could not be applied; skipping it");
                    stats.corrupt_records += 1;
                } else {
                    stats.records += 1;
                }
                offset += len;
            }
            DecodeOutcome::Incomplete => {
                tracing::warn!(path = %path.display(), offset, torn_bytes = bytes.len() - offset, "truncating the torn tail of a WAL segment");
                return offset;
            }
            DecodeOutcome::Corrupt(problem) => {
                tracing::error!(path = %path.display(), offset, %problem, "corrupt WAL record; truncating the segment there");
                stats.corrupt_records += 1;
                return offset;
            }
        }
    }
    offset
}

fn truncate(path: &Path, len: u64) -> StorageResult<()> {
    let context = || format!("truncating {}", path.display());
    let file = OpenOptions::new()
        .write(true)
        .open(path)
        .map_err(|e| StorageError::io(context(), e))?;
    // A segment shorter than its header gets an empty file; replay treats it as empty.
    file.set_len(len)
        .map_err(|e| StorageError::io(context(), e))?;
    file.sync_all().map_err(|e| StorageError::io(context(), e))
}
