//! `meta.json`: the file that makes a block visible. It is written last, after every other file
//! of the block is in place; a block directory without it is an unfinished write and is ignored.

use serde::{Deserialize, Serialize};

use crate::error::{StorageError, StorageResult};
use crate::tenant::Signal;

/// The `format` value of every Sightline block.
pub const BLOCK_FORMAT: &str = "sightline-block";
/// Current block format version: 2 added `parent_offset` and trace summaries to trace blocks;
/// 3 adds the full-text index `logs.index` beside logs blocks (older logs blocks are scanned);
/// 4 adds the series index `series.parquet` beside metrics blocks (older ones are read whole).
pub const BLOCK_FORMAT_VERSION: u32 = 4;
/// Oldest block format version this build reads.
pub const OLDEST_READABLE_VERSION: u32 = 1;

/// Name of the meta file.
pub const META_FILE: &str = "meta.json";
/// Name of the Parquet data file.
pub const DATA_FILE: &str = "data.parquet";
/// Name of the trace-id index sidecar (traces only).
pub const TRACE_INDEX_FILE: &str = "trace-index";
/// Name of the trace-id bloom filter sidecar (traces only).
pub const BLOOM_FILE: &str = "bloom";

/// The WAL records a block was cut from, so replay can skip them after a crash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WalCoverage {
    /// Identity of the WAL (a fresh WAL directory gets a new one).
    pub wal_id: String,
    /// Smallest LSN in the block.
    pub min_lsn: u64,
    /// Largest LSN in the block; every record of this tenant and signal between `min_lsn` and
    /// `max_lsn` is in the block.
    pub max_lsn: u64,
}

/// One file of a block.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BlockFile {
    /// File name inside the block directory.
    pub name: String,
    /// Size in bytes.
    pub size_bytes: u64,
}

/// The contents of `meta.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BlockMeta {
    /// Always [`BLOCK_FORMAT`].
    pub format: String,
    /// Format version; readers refuse versions they do not know.
    pub version: u32,
    /// Block id (UUID v7, so ids sort by creation time).
    pub block_id: String,
    /// Owning tenant.
    pub tenant: String,
    /// `traces`, `logs` or `metrics`.
    pub signal: String,
    /// Earliest item time in the block, unix nanoseconds.
    pub min_time_unix_nano: u64,
    /// Latest item time in the block, unix nanoseconds.
    pub max_time_unix_nano: u64,
    /// Rows (spans, log records or data points).
    pub rows: u64,
    /// Distinct traces (traces only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub traces: Option<u64>,
    /// Columns the rows are sorted by, in order.
    pub sort_columns: Vec<String>,
    /// Files of the block, meta.json excluded.
    pub files: Vec<BlockFile>,
    /// Total size of `files`.
    pub size_bytes: u64,
    /// WAL records the block was cut from (absent for blocks made by compaction or import).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wal: Option<WalCoverage>,
    /// Creation time, unix milliseconds.
    pub created_unix_ms: u64,
    /// 0 for blocks cut from the head.
    pub compaction_level: u32,
}

impl BlockMeta {
    /// The block's signal.
    pub fn signal(&self) -> StorageResult<Signal> {
        Signal::parse(&self.signal).ok_or_else(|| {
            StorageError::corrupt("meta.json", format!("unknown signal {:?}", self.signal))
        })
    }

    /// Size of a file of the block, if present.
    pub fn file_size(&self, name: &str) -> Option<u64> {
        self.files
            .iter()
            .find(|f| f.name == name)
            .map(|f| f.size_bytes)
    }

    /// Serializes to pretty JSON.
    pub fn to_json(&self) -> Vec<u8> {
        serde_json::to_vec_pretty(self).expect("meta serializes")
    }

    /// Parses and checks format and version.
    pub fn from_json(bytes: &[u8]) -> StorageResult<Self> {
        let meta: BlockMeta = serde_json::from_slice(bytes)
            .map_err(|e| StorageError::corrupt("meta.json", e.to_string()))?;
        if meta.format != BLOCK_FORMAT {
            return Err(StorageError::corrupt(
                "meta.json",
                format!("format {:?} is not {BLOCK_FORMAT}", meta.format),
            ));
        }
        if !(OLDEST_READABLE_VERSION..=BLOCK_FORMAT_VERSION).contains(&meta.version) {
            return Err(StorageError::corrupt(
                "meta.json",
                format!(
                    "block format version {} is not supported (this build reads {OLDEST_READABLE_VERSION} to {BLOCK_FORMAT_VERSION})",
                    meta.version
                ),
            ));
        }
        meta.signal()?;
        Ok(meta)
    }

    /// True when the block may hold items in `[start, end]` (unix nanoseconds, inclusive).
    pub fn overlaps(&self, start: u64, end: u64) -> bool {
        self.min_time_unix_nano <= end && self.max_time_unix_nano >= start
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A meta.json written by format version 1 must always parse (golden file).
    #[test]
    fn golden_meta_json() {
        let golden = include_bytes!("../../testdata/golden/meta-v1.json");
        let meta = BlockMeta::from_json(golden).unwrap();
        assert_eq!(meta.block_id, "0190f5a2-7c1e-7d3a-9b1e-1234567890ab");
        assert_eq!(meta.signal().unwrap(), Signal::Traces);
        assert_eq!(meta.rows, 1200);
        assert_eq!(meta.traces, Some(100));
        assert_eq!(meta.file_size(DATA_FILE), Some(40960));
        assert_eq!(meta.wal.as_ref().unwrap().max_lsn, 77);
        assert_eq!(BlockMeta::from_json(&meta.to_json()).unwrap(), meta);
    }

    #[test]
    fn unknown_versions_are_refused() {
        let golden =
            String::from_utf8(include_bytes!("../../testdata/golden/meta-v1.json").to_vec())
                .unwrap();
        let future = golden.replace(
            "\"version\": 1",
            &format!("\"version\": {}", BLOCK_FORMAT_VERSION + 1),
        );
        assert!(BlockMeta::from_json(future.as_bytes()).is_err());
        assert!(BlockMeta::from_json(b"{}").is_err());
    }
}
