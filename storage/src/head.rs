//! The head: rows of one tenant and signal that are durable in the WAL but not yet in a block.
//! They are queryable at once. When the head is cut it is frozen (still queryable) until its
//! block is visible.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

use arrow::array::{Array, FixedSizeBinaryArray};

use crate::rows::RowBatch;
use crate::rows::columns::typed;
use crate::rows::spans;

/// Rows in memory, in WAL (LSN) order.
#[derive(Debug)]
pub struct Head {
    batches: Vec<Arc<RowBatch>>,
    rows: usize,
    bytes: usize,
    min_lsn: Option<u64>,
    max_lsn: u64,
    min_time: u64,
    max_time: u64,
    created: Instant,
    /// Trace id -> indices of the batches holding its spans (traces only).
    trace_batches: HashMap<[u8; 16], Vec<u32>, ahash::RandomState>,
}

impl Default for Head {
    fn default() -> Self {
        Self {
            batches: Vec::new(),
            rows: 0,
            bytes: 0,
            min_lsn: None,
            max_lsn: 0,
            min_time: u64::MAX,
            max_time: 0,
            created: Instant::now(),
            trace_batches: HashMap::default(),
        }
    }
}

impl Head {
    /// Adds the rows of WAL record `lsn`; returns the bytes the head grew by.
    pub fn append(&mut self, batch: RowBatch, lsn: u64, index_traces: bool) -> usize {
        let batch_index = self.batches.len() as u32;
        if index_traces
            && let Ok(ids) = typed::<FixedSizeBinaryArray>(&batch.batch, spans::col::TRACE_ID)
        {
            for row in 0..ids.len() {
                let id: [u8; 16] = ids.value(row).try_into().expect("trace ids are 16 bytes");
                let entry = self.trace_batches.entry(id).or_default();
                if entry.last() != Some(&batch_index) {
                    entry.push(batch_index);
                }
            }
        }
        let bytes = batch.batch.get_array_memory_size();
        if self.batches.is_empty() {
            self.created = Instant::now();
        }
        self.rows += batch.batch.num_rows();
        self.bytes += bytes;
        self.min_lsn = Some(self.min_lsn.map_or(lsn, |m| m.min(lsn)));
        self.max_lsn = self.max_lsn.max(lsn);
        self.min_time = self.min_time.min(batch.min_time);
        self.max_time = self.max_time.max(batch.max_time);
        self.batches.push(Arc::new(batch));
        bytes
    }

    /// True when nothing has been appended.
    pub fn is_empty(&self) -> bool {
        self.batches.is_empty()
    }

    /// Rows held.
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// Memory held by the rows, bytes.
    pub fn bytes(&self) -> usize {
        self.bytes
    }

    /// Smallest LSN held, if any.
    pub fn min_lsn(&self) -> Option<u64> {
        self.min_lsn
    }

    /// Largest LSN held.
    pub fn max_lsn(&self) -> u64 {
        self.max_lsn
    }

    /// Time since the first append.
    pub fn age(&self) -> std::time::Duration {
        self.created.elapsed()
    }

    /// The batches, oldest first.
    pub fn batches(&self) -> &[Arc<RowBatch>] {
        &self.batches
    }

    /// True when the head may hold items in `[start, end]`.
    pub fn overlaps(&self, start: u64, end: u64) -> bool {
        !self.is_empty() && self.min_time <= end && self.max_time >= start
    }

    /// The batches holding spans of `trace_id`, with the rows of that trace in each.
    pub fn trace_rows(&self, trace_id: &[u8; 16]) -> Vec<(Arc<RowBatch>, Vec<usize>)> {
        let Some(indices) = self.trace_batches.get(trace_id) else {
            return Vec::new();
        };
        indices
            .iter()
            .filter_map(|&index| {
                let batch = Arc::clone(&self.batches[index as usize]);
                let ids = typed::<FixedSizeBinaryArray>(&batch.batch, spans::col::TRACE_ID).ok()?;
                let rows: Vec<usize> = (0..ids.len())
                    .filter(|&row| ids.value(row) == trace_id)
                    .collect();
                Some((batch, rows))
            })
            .collect()
    }

    /// True when the head holds spans of `trace_id` (traces only).
    pub fn contains_trace(&self, trace_id: &[u8; 16]) -> bool {
        self.trace_batches.contains_key(trace_id)
    }

    /// Number of distinct traces (traces only).
    pub fn trace_count(&self) -> usize {
        self.trace_batches.len()
    }

    /// Ids of the traces in the most recent batch (traces only).
    pub fn latest_trace_ids(&self) -> Vec<[u8; 16]> {
        let Some(batch) = self.batches.last() else {
            return Vec::new();
        };
        let Ok(ids) = typed::<FixedSizeBinaryArray>(&batch.batch, spans::col::TRACE_ID) else {
            return Vec::new();
        };
        let mut out: Vec<[u8; 16]> = (0..ids.len())
            .map(|row| ids.value(row).try_into().expect("16-byte trace id"))
            .collect();
        out.sort_unstable();
        out.dedup();
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rows::SignalRequest;
    use crate::test_fixtures::rich_trace_request;

    #[test]
    fn finds_trace_rows_across_batches() {
        let mut head = Head::default();
        let request = rich_trace_request();
        let rows = SignalRequest::Traces(request.clone())
            .to_rows(256)
            .unwrap()
            .unwrap();
        assert!(head.append(rows.clone(), 7, true) > 0);
        head.append(rows, 9, true);
        let trace_id: [u8; 16] = request.resource_spans[0].scope_spans[0].spans[0]
            .trace_id
            .clone()
            .try_into()
            .unwrap();
        let found = head.trace_rows(&trace_id);
        assert_eq!(found.len(), 2);
        assert_eq!(found[0].1.len(), 3);
        assert_eq!(
            (head.min_lsn(), head.max_lsn(), head.rows()),
            (Some(7), 9, 8)
        );
        assert!(head.trace_rows(&[0xaa; 16]).is_empty());
        assert_eq!(head.trace_count(), 2);
        let latest = head.latest_trace_ids();
        assert_eq!(latest.len(), 2);
        assert!(latest.contains(&trace_id));
    }
}
