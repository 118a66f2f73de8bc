//! The trace-id index sidecar (`trace-index`, format version 1): for every trace in a block,
//! where its rows are. Rows are sorted by trace id, so each trace is one contiguous row range.
//!
//! ```text
//! 8 bytes  magic "SLTIDX01"
//! u32 LE   format version (1)
//! u32 LE   entry count n
//! n x { 16-byte trace id | u32 LE first row | u32 LE row count }, sorted by trace id
//! u32 LE   CRC-32C of everything before
//! ```

use std::ops::Range;

use crate::error::{StorageError, StorageResult};

const MAGIC: &[u8; 8] = b"SLTIDX01";
const VERSION: u32 = 1;
const ENTRY_LEN: usize = 24;

/// Row ranges of the traces in a block, sorted by trace id.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TraceIndex {
    entries: Vec<([u8; 16], u32, u32)>,
}

impl TraceIndex {
    /// Builds the index from the trace-id column of rows sorted by trace id.
    pub fn from_sorted_ids<'a>(ids: impl IntoIterator<Item = &'a [u8]>) -> Self {
        let mut entries: Vec<([u8; 16], u32, u32)> = Vec::new();
        for (row, id) in ids.into_iter().enumerate() {
            let id: [u8; 16] = id.try_into().expect("trace ids are 16 bytes");
            match entries.last_mut() {
                Some((last, _, count)) if *last == id => *count += 1,
                _ => entries.push((id, row as u32, 1)),
            }
        }
        debug_assert!(
            entries.windows(2).all(|w| w[0].0 < w[1].0),
            "rows must be sorted by trace id"
        );
        Self { entries }
    }

    /// Number of traces.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when the block has no traces.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The trace ids, sorted.
    pub fn trace_ids(&self) -> impl Iterator<Item = &[u8; 16]> {
        self.entries.iter().map(|(id, _, _)| id)
    }

    /// The rows of `trace_id`, if the block has it.
    pub fn rows_of(&self, trace_id: &[u8; 16]) -> Option<Range<u64>> {
        let index = self
            .entries
            .binary_search_by(|(id, _, _)| id.cmp(trace_id))
            .ok()?;
        let (_, first, count) = self.entries[index];
        Some(first as u64..first as u64 + count as u64)
    }

    /// Serialized form.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(20 + self.entries.len() * ENTRY_LEN);
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&VERSION.to_le_bytes());
        out.extend_from_slice(&(self.entries.len() as u32).to_le_bytes());
        for (id, first, count) in &self.entries {
            out.extend_from_slice(id);
            out.extend_from_slice(&first.to_le_bytes());
            out.extend_from_slice(&count.to_le_bytes());
        }
        let crc = crc32c::crc32c(&out);
        out.extend_from_slice(&crc.to_le_bytes());
        out
    }

    /// Parses the serialized form, checking magic, version, size, order and checksum.
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
        if version != VERSION {
            return Err(corrupt(&format!("unsupported version {version}")));
        }
        let count = u32::from_le_bytes(body[12..16].try_into().expect("4 bytes")) as usize;
        let payload = &body[16..];
        if payload.len() != count * ENTRY_LEN {
            return Err(corrupt("entry count does not match the size"));
        }
        let entries: Vec<([u8; 16], u32, u32)> = payload
            .chunks_exact(ENTRY_LEN)
            .map(|e| {
                (
                    e[..16].try_into().expect("16 bytes"),
                    u32::from_le_bytes(e[16..20].try_into().expect("4 bytes")),
                    u32::from_le_bytes(e[20..24].try_into().expect("4 bytes")),
                )
            })
            .collect();
        if !entries.windows(2).all(|w| w[0].0 < w[1].0) {
            return Err(corrupt("entries are not sorted"));
        }
        Ok(Self { entries })
    }

    /// Memory held by the index.
    pub fn size_bytes(&self) -> usize {
        self.entries.len() * ENTRY_LEN
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(i: u8) -> [u8; 16] {
        [i; 16]
    }

    #[test]
    fn builds_ranges_from_sorted_rows() {
        let rows = [id(1), id(1), id(2), id(5), id(5), id(5)];
        let index = TraceIndex::from_sorted_ids(rows.iter().map(|r| r.as_slice()));
        assert_eq!(index.len(), 3);
        assert_eq!(index.rows_of(&id(1)), Some(0..2));
        assert_eq!(index.rows_of(&id(2)), Some(2..3));
        assert_eq!(index.rows_of(&id(5)), Some(3..6));
        assert_eq!(index.rows_of(&id(3)), None);
    }

    #[test]
    fn serialization_round_trips_and_detects_damage() {
        let rows = [id(1), id(2), id(2)];
        let index = TraceIndex::from_sorted_ids(rows.iter().map(|r| r.as_slice()));
        let bytes = index.to_bytes();
        assert_eq!(TraceIndex::from_bytes(&bytes).unwrap(), index);
        let mut damaged = bytes.clone();
        damaged[20] ^= 1;
        assert!(TraceIndex::from_bytes(&damaged).is_err());
        assert!(TraceIndex::from_bytes(&bytes[..bytes.len() - 1]).is_err());
    }

    /// Golden file: an index written by version 1 must keep parsing to the same ranges.
    #[test]
    fn golden_trace_index_file() {
        let rows = [id(1), id(1), id(7), id(7), id(7)];
        let rebuilt = TraceIndex::from_sorted_ids(rows.iter().map(|r| r.as_slice()));
        let golden = crate::test_fixtures::golden_file("trace-index-v1.bin", || rebuilt.to_bytes());
        let index = TraceIndex::from_bytes(&golden).unwrap();
        assert_eq!(index.rows_of(&id(1)), Some(0..2));
        assert_eq!(index.rows_of(&id(7)), Some(2..5));
        assert_eq!(
            rebuilt.to_bytes(),
            golden,
            "encoding changed: bump the version"
        );
    }
}
