//! The trace-id index sidecar (`trace-index`): for every trace in a block, where its rows are and
//! a summary search needs without reading the data (time span, root row). Rows are sorted by
//! trace id, so each trace is one contiguous row range.
//!
//! Format version 2 (written now):
//!
//! ```text
//! 8 bytes  magic "SLTIDX01"
//! u32 LE   format version (2)
//! u32 LE   entry count n
//! n x { 16-byte trace id | u32 first row | u32 row count | u64 start unix ns | u64 end unix ns
//!       | u32 root row (u32::MAX when the block has no root span of the trace) }, sorted by id
//! u32 LE   CRC-32C of everything before
//! ```
//!
//! Version 1 (read only) has entries of `{ trace id | first row | row count }`; its traces have no
//! summary.

use std::ops::Range;

use crate::error::{StorageError, StorageResult};

const MAGIC: &[u8; 8] = b"SLTIDX01";
const VERSION: u32 = 2;
const ENTRY_LEN_V1: usize = 24;
const ENTRY_LEN_V2: usize = 44;
const NO_ROOT: u32 = u32::MAX;

/// One trace of a block.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TraceEntry {
    /// The trace id.
    pub trace_id: [u8; 16],
    /// First row of the trace in the block.
    pub first_row: u32,
    /// Number of rows (spans) of the trace in the block.
    pub row_count: u32,
    /// Earliest span start, unix nanoseconds (0 when unknown: a version 1 index).
    pub start_unix_nano: u64,
    /// Latest span end, unix nanoseconds (`u64::MAX` when unknown).
    pub end_unix_nano: u64,
    /// Block row of the trace's root span (no parent), when the block has it.
    pub root_row: Option<u32>,
}

impl TraceEntry {
    /// The block rows of the trace.
    pub fn rows(&self) -> Range<u64> {
        self.first_row as u64..self.first_row as u64 + self.row_count as u64
    }

    /// `end - start`, nanoseconds (0 when unknown).
    pub fn duration_nano(&self) -> u64 {
        if self.end_unix_nano == u64::MAX {
            0
        } else {
            self.end_unix_nano.saturating_sub(self.start_unix_nano)
        }
    }
}

/// The traces of a block, sorted by trace id (and therefore by first row).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TraceIndex {
    entries: Vec<TraceEntry>,
    has_summaries: bool,
}

/// What the index needs to know about one row, in block order.
#[derive(Debug, Clone, Copy)]
pub struct IndexRow<'a> {
    /// The span's trace id.
    pub trace_id: &'a [u8],
    /// Span start, unix nanoseconds.
    pub start: u64,
    /// Span end, unix nanoseconds.
    pub end: u64,
    /// True for a root span (empty parent span id).
    pub is_root: bool,
}

impl TraceIndex {
    /// Builds the index from the rows of a block sorted by trace id.
    pub fn build<'a>(rows: impl IntoIterator<Item = IndexRow<'a>>) -> Self {
        let mut entries: Vec<TraceEntry> = Vec::new();
        let mut root_start = u64::MAX;
        for (row, r) in rows.into_iter().enumerate() {
            let id: [u8; 16] = r.trace_id.try_into().expect("trace ids are 16 bytes");
            let row = row as u32;
            match entries.last_mut() {
                Some(entry) if entry.trace_id == id => {
                    entry.row_count += 1;
                    entry.start_unix_nano = entry.start_unix_nano.min(r.start);
                    entry.end_unix_nano = entry.end_unix_nano.max(r.end);
                }
                _ => {
                    root_start = u64::MAX;
                    entries.push(TraceEntry {
                        trace_id: id,
                        first_row: row,
                        row_count: 1,
                        start_unix_nano: r.start,
                        end_unix_nano: r.end,
                        root_row: None,
                    });
                }
            }
            // The earliest root span is the trace's root.
            if r.is_root && r.start < root_start {
                root_start = r.start;
                entries.last_mut().expect("pushed above").root_row = Some(row);
            }
        }
        debug_assert!(
            entries.windows(2).all(|w| w[0].trace_id < w[1].trace_id),
            "rows must be sorted by trace id"
        );
        Self {
            entries,
            has_summaries: true,
        }
    }

    /// Number of traces.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when the block has no traces.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// True when entries carry start, end and root (format version 2).
    pub fn has_summaries(&self) -> bool {
        self.has_summaries
    }

    /// Every trace, sorted by id and by first row.
    pub fn entries(&self) -> &[TraceEntry] {
        &self.entries
    }

    /// The trace ids, sorted.
    pub fn trace_ids(&self) -> impl Iterator<Item = &[u8; 16]> {
        self.entries.iter().map(|e| &e.trace_id)
    }

    /// The entry of `trace_id`, if the block has it.
    pub fn entry(&self, trace_id: &[u8; 16]) -> Option<&TraceEntry> {
        let index = self
            .entries
            .binary_search_by(|e| e.trace_id.cmp(trace_id))
            .ok()?;
        Some(&self.entries[index])
    }

    /// The rows of `trace_id`, if the block has it.
    pub fn rows_of(&self, trace_id: &[u8; 16]) -> Option<Range<u64>> {
        self.entry(trace_id).map(TraceEntry::rows)
    }

    /// The position (in [`TraceIndex::entries`]) of the trace holding block row `row`.
    pub fn position_of_row(&self, row: u32) -> Option<usize> {
        let index = self
            .entries
            .partition_point(|e| e.first_row <= row)
            .checked_sub(1)?;
        let entry = &self.entries[index];
        (row < entry.first_row + entry.row_count).then_some(index)
    }

    /// Serialized form (version 2).
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(20 + self.entries.len() * ENTRY_LEN_V2);
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&VERSION.to_le_bytes());
        out.extend_from_slice(&(self.entries.len() as u32).to_le_bytes());
        for e in &self.entries {
            out.extend_from_slice(&e.trace_id);
            out.extend_from_slice(&e.first_row.to_le_bytes());
            out.extend_from_slice(&e.row_count.to_le_bytes());
            out.extend_from_slice(&e.start_unix_nano.to_le_bytes());
            out.extend_from_slice(&e.end_unix_nano.to_le_bytes());
            out.extend_from_slice(&e.root_row.unwrap_or(NO_ROOT).to_le_bytes());
        }
        let crc = crc32c::crc32c(&out);
        out.extend_from_slice(&crc.to_le_bytes());
        out
    }

    /// Parses a version 1 or 2 index, checking magic, size, order and checksum.
    pub fn from_bytes(bytes: &[u8]) -> StorageResult<Self> {
        let corrupt = |detail: &str| StorageError::corrupt("trace-index", detail.to_string());
        if bytes.len() < 20 || &bytes[..8] != MAGIC {
            return Err(corrupt("missing SLTIDX01 header"));
        }
        let (body, crc) = bytes.split_at(bytes.len() - 4);
        if crc32c::crc32c(body) != u32::from_le_bytes(crc.try_into().expect("4 bytes")) {
            return Err(corrupt("checksum mismatch"));
        }
        let version = u32::from_le_bytes(body[8..12].try_into().expect("4 bytes"));
        let entry_len = match version {
            1 => ENTRY_LEN_V1,
            2 => ENTRY_LEN_V2,
            other => return Err(corrupt(&format!("unsupported version {other}"))),
        };
        let count = u32::from_le_bytes(body[12..16].try_into().expect("4 bytes")) as usize;
        let payload = &body[16..];
        if payload.len() != count * entry_len {
            return Err(corrupt("entry count does not match the size"));
        }
        let u32_at =
            |e: &[u8], at: usize| u32::from_le_bytes(e[at..at + 4].try_into().expect("4 bytes"));
        let u64_at =
            |e: &[u8], at: usize| u64::from_le_bytes(e[at..at + 8].try_into().expect("8 bytes"));
        let entries: Vec<TraceEntry> = payload
            .chunks_exact(entry_len)
            .map(|e| TraceEntry {
                trace_id: e[..16].try_into().expect("16 bytes"),
                first_row: u32_at(e, 16),
                row_count: u32_at(e, 20),
                start_unix_nano: if version == 2 { u64_at(e, 24) } else { 0 },
                end_unix_nano: if version == 2 {
                    u64_at(e, 32)
                } else {
                    u64::MAX
                },
                root_row: (version == 2)
                    .then(|| u32_at(e, 40))
                    .filter(|r| *r != NO_ROOT),
            })
            .collect();
        if !entries.windows(2).all(|w| w[0].trace_id < w[1].trace_id) {
            return Err(corrupt("entries are not sorted"));
        }
        Ok(Self {
            entries,
            has_summaries: version == 2,
        })
    }

    /// Memory held by the index.
    pub fn size_bytes(&self) -> usize {
        self.entries.len() * std::mem::size_of::<TraceEntry>()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(i: u8) -> [u8; 16] {
        [i; 16]
    }

    fn rows(spec: &[(u8, u64, u64, bool)]) -> Vec<([u8; 16], u64, u64, bool)> {
        spec.iter()
            .map(|&(i, s, e, root)| (id(i), s, e, root))
            .collect()
    }

    fn build(rows: &[([u8; 16], u64, u64, bool)]) -> TraceIndex {
        TraceIndex::build(rows.iter().map(|(id, start, end, is_root)| IndexRow {
            trace_id: id,
            start: *start,
            end: *end,
            is_root: *is_root,
        }))
    }

    #[test]
    fn builds_ranges_and_summaries_from_sorted_rows() {
        let index = build(&rows(&[
            (1, 5, 9, false),
            (1, 3, 20, true),
            (2, 7, 8, false),
            (5, 1, 2, true),
            (5, 0, 4, false),
            (5, 3, 9, false),
        ]));
        assert_eq!(index.len(), 3);
        assert_eq!(index.rows_of(&id(1)), Some(0..2));
        assert_eq!(index.rows_of(&id(5)), Some(3..6));
        assert_eq!(index.rows_of(&id(3)), None);
        let first = index.entry(&id(1)).unwrap();
        assert_eq!(
            (first.start_unix_nano, first.end_unix_nano, first.root_row),
            (3, 20, Some(1))
        );
        assert_eq!(first.duration_nano(), 17);
        assert_eq!(index.entry(&id(2)).unwrap().root_row, None);
        assert_eq!(index.entry(&id(5)).unwrap().start_unix_nano, 0);
        assert_eq!(index.position_of_row(0), Some(0));
        assert_eq!(index.position_of_row(2), Some(1));
        assert_eq!(index.position_of_row(5), Some(2));
        assert_eq!(index.position_of_row(6), None);
    }

    #[test]
    fn serialization_round_trips_and_detects_damage() {
        let index = build(&rows(&[(1, 1, 2, true), (2, 3, 4, false), (2, 5, 6, true)]));
        let bytes = index.to_bytes();
        assert_eq!(TraceIndex::from_bytes(&bytes).unwrap(), index);
        let mut damaged = bytes.clone();
        damaged[20] ^= 1;
        assert!(TraceIndex::from_bytes(&damaged).is_err());
        assert!(TraceIndex::from_bytes(&bytes[..bytes.len() - 1]).is_err());
    }

    /// Golden files: indexes written by versions 1 and 2 keep parsing to the same traces.
    #[test]
    fn golden_trace_index_files() {
        let v1 = crate::test_fixtures::golden_file("trace-index-v1.bin", || {
            unreachable!("version 1 is no longer written")
        });
        let index = TraceIndex::from_bytes(&v1).unwrap();
        assert!(!index.has_summaries());
        assert_eq!(index.rows_of(&id(1)), Some(0..2));
        assert_eq!(index.rows_of(&id(7)), Some(2..5));
        assert_eq!(index.entry(&id(7)).unwrap().root_row, None);

        let rebuilt = build(&rows(&[
            (1, 10, 20, true),
            (1, 11, 15, false),
            (7, 30, 31, false),
            (7, 29, 40, true),
            (7, 35, 36, false),
        ]));
        let v2 = crate::test_fixtures::golden_file("trace-index-v2.bin", || rebuilt.to_bytes());
        let index = TraceIndex::from_bytes(&v2).unwrap();
        assert!(index.has_summaries());
        assert_eq!(index.entry(&id(7)).unwrap().root_row, Some(3));
        assert_eq!(index.entry(&id(7)).unwrap().start_unix_nano, 29);
        assert_eq!(rebuilt.to_bytes(), v2, "encoding changed: bump the version");
    }
}
