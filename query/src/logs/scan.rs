//! Scanning the log lines of a time range: the heads and every logs block overlapping it, part
//! by part in time order (newest first for a backward scan), each block narrowed by its
//! full-text index to the rows that may meet the conditions, every line checked exactly.
//!
//! The consumer sees lines of one part at a time, in no particular order within a part, and can
//! stop the scan once it knows no older (or newer) part can change its answer.

use std::cmp::Reverse;
use std::ops::Range;
use std::sync::Arc;

use arrow::array::Array;
use sightline_storage::block::log_index::{LogIndexQuery, RowLabeler};
use sightline_storage::blocklist::BlockHandle;
use sightline_storage::rows::logs::LogColumns;
use sightline_storage::{RowBatch, Signal, StorageResult, TelemetryStore, TenantId};

use super::line::{LineConditions, LogLine};

/// Scan order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Direction {
    /// Newest first (Loki's default).
    #[default]
    Backward,
    /// Oldest first.
    Forward,
}

/// What to scan.
#[derive(Debug, Clone, Default)]
pub struct LogScan {
    /// Conditions (including the time range, inclusive, unix nanoseconds) every line meets.
    pub conditions: LogIndexQuery,
    /// Part order.
    pub direction: Direction,
    /// Read lines with their stream labels only (no attributes, no trace or span id): for
    /// metric queries that aggregate every other label away.
    pub stream_labels_only: bool,
}

/// What a scan read.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ScanStats {
    /// Blocks whose rows were read.
    pub blocks_read: u64,
    /// Rows read (after the index).
    pub rows_read: u64,
    /// Bytes of line text read.
    pub bytes_read: u64,
    /// Lines that met the conditions.
    pub lines: u64,
}

/// A part of the store: the heads (as one) or a block, with its time span.
enum Part {
    Heads(Vec<Arc<RowBatch>>),
    Block(Arc<BlockHandle>),
}

impl Part {
    fn span(&self) -> (u64, u64) {
        match self {
            Part::Heads(batches) => (
                batches.iter().map(|b| b.min_time).min().unwrap_or(0),
                batches.iter().map(|b| b.max_time).max().unwrap_or(0),
            ),
            Part::Block(block) => (block.meta.min_time_unix_nano, block.meta.max_time_unix_nano),
        }
    }
}

/// Consecutive runs of sorted row numbers.
fn runs(rows: &[u32]) -> Vec<Range<u64>> {
    let mut out: Vec<Range<u64>> = Vec::new();
    for &row in rows {
        let row = row as u64;
        match out.last_mut() {
            Some(run) if run.end == row => run.end += 1,
            _ => out.push(row..row + 1),
        }
    }
    out
}

/// Rows of a block read per chunk grow from this (so a query needing a few lines reads few)
/// to [`MAX_CHUNK_ROWS`] (so a query reading everything does so in large reads).
const FIRST_CHUNK_ROWS: usize = 1024;
const MAX_CHUNK_ROWS: usize = 128 * 1024;

/// One scan's state: the conditions (compiled), the labeler's cache, the counters.
pub(super) struct Scanner<'a> {
    conditions: &'a LogIndexQuery,
    exact: LineConditions<'a>,
    labeler: RowLabeler,
    pub(super) stats: ScanStats,
    light: bool,
}

impl<'a> Scanner<'a> {
    /// A scanner of lines meeting `conditions`; `light` reads stream labels only.
    pub(super) fn new(conditions: &'a LogIndexQuery, light: bool) -> Self {
        Self {
            conditions,
            exact: LineConditions::new(conditions),
            labeler: RowLabeler::default(),
            stats: ScanStats::default(),
            light,
        }
    }

    /// Visits the lines of `batch` that meet the conditions.
    pub(super) fn visit_batch(
        &mut self,
        batch: &arrow::record_batch::RecordBatch,
        visit: &mut dyn FnMut(LogLine),
    ) -> StorageResult<()> {
        let columns = LogColumns::new(batch)?;
        for row in 0..batch.num_rows() {
            self.stats.rows_read += 1;
            if !may_match(&columns, row, self.conditions) {
                continue;
            }
            let line = if self.light {
                LogLine::read_light(&columns, row, &mut self.labeler)?
            } else {
                LogLine::read(&columns, row, &mut self.labeler)?
            };
            self.stats.bytes_read += line.line.len() as u64;
            if self.exact.matches(&line) {
                self.stats.lines += 1;
                visit(line);
            }
        }
        Ok(())
    }

    /// Reads a block's candidate rows (all rows without an index) in chunks, in the scan's
    /// time order; before each chunk `stop(min, max)` over its times may end the block.
    async fn scan_block(
        &mut self,
        block: &BlockHandle,
        direction: Direction,
        stop: &mut dyn FnMut(u64, u64) -> bool,
        visit: &mut dyn FnMut(LogLine),
    ) -> StorageResult<()> {
        let Some(index) = block.log_index().await? else {
            let all: Vec<Range<u64>> = std::iter::once(0..block.meta.rows).collect();
            self.stats.blocks_read += 1;
            return self.read_ranges(block, &all, visit).await;
        };
        let mut candidates = index.rows_and_times(self.conditions)?;
        if candidates.is_empty() {
            return Ok(());
        }
        self.stats.blocks_read += 1;
        match direction {
            Direction::Backward => candidates.sort_unstable_by_key(|&(row, t)| (Reverse(t), row)),
            Direction::Forward => candidates.sort_unstable_by_key(|&(row, t)| (t, row)),
        }
        let mut chunk_rows = FIRST_CHUNK_ROWS;
        let mut rest = candidates.as_slice();
        while !rest.is_empty() {
            let (chunk, after) = rest.split_at(chunk_rows.min(rest.len()));
            rest = after;
            chunk_rows = (chunk_rows * 4).min(MAX_CHUNK_ROWS);
            let min = chunk.iter().map(|c| c.1).min().unwrap_or(0);
            let max = chunk.iter().map(|c| c.1).max().unwrap_or(0);
            if stop(min, max) {
                break;
            }
            let mut rows: Vec<u32> = chunk.iter().map(|c| c.0).collect();
            rows.sort_unstable();
            self.read_ranges(block, &runs(&rows), visit).await?;
        }
        Ok(())
    }

    async fn read_ranges(
        &mut self,
        block: &BlockHandle,
        ranges: &[Range<u64>],
        visit: &mut dyn FnMut(LogLine),
    ) -> StorageResult<()> {
        let names = block.reader().column_names().await?;
        let names: Vec<&str> = names.iter().map(String::as_str).collect();
        for batch in block.reader().read_ranges(ranges, &names).await? {
            self.visit_batch(&batch, visit)?;
        }
        Ok(())
    }
}

/// A cheap look at a row's raw columns before it is decoded: `false` only when the row cannot
/// meet `conditions` (its time, its string body, its trace or span id rule it out).
fn may_match(columns: &LogColumns<'_>, row: usize, conditions: &LogIndexQuery) -> bool {
    let time = columns.time.value(row);
    if let Some((start, end)) = conditions.time_range
        && time != 0
        && (time < start || time > end)
    {
        return false;
    }
    if !conditions.line_contains.is_empty() && columns.body_str.is_valid(row) {
        let body = columns.body_str.value(row);
        if !conditions
            .line_contains
            .iter()
            .all(|n| body.contains(n.as_str()))
        {
            return false;
        }
    }
    let id_matches = |id: &Option<String>, array: &arrow::array::FixedSizeBinaryArray| {
        id.as_ref()
            .is_none_or(|id| array.is_valid(row) && hex::encode(array.value(row)) == *id)
    };
    id_matches(&conditions.trace_id, columns.trace_id)
        && id_matches(&conditions.span_id, columns.span_id)
}

/// Scans the lines of `tenant` meeting `scan.conditions`, part by part and, within a block,
/// chunk by chunk. Before each part or chunk, `stop(min_time, max_time)` says whether the
/// consumer needs no more lines of it; `visit` gets every line. Call from a blocking thread:
/// block reads run on `runtime`.
pub fn scan_logs(
    store: &TelemetryStore,
    tenant: &TenantId,
    scan: &LogScan,
    runtime: &tokio::runtime::Handle,
    stop: &mut dyn FnMut(u64, u64) -> bool,
    visit: &mut dyn FnMut(LogLine),
) -> StorageResult<ScanStats> {
    let range = scan.conditions.time_range;
    let mut parts: Vec<Part> = store
        .blocks(tenant, Signal::Logs, range)
        .into_iter()
        .map(Part::Block)
        .collect();
    let heads = store.head_batches(tenant, Signal::Logs, range);
    if !heads.is_empty() {
        parts.push(Part::Heads(heads));
    }
    match scan.direction {
        Direction::Backward => parts.sort_by_key(|p| Reverse(p.span().1)),
        Direction::Forward => parts.sort_by_key(|p| p.span().0),
    }
    let mut scanner = Scanner::new(&scan.conditions, scan.stream_labels_only);
    for part in parts {
        let (min, max) = part.span();
        if stop(min, max) {
            break;
        }
        match part {
            Part::Heads(batches) => {
                for batch in batches {
                    scanner.visit_batch(&batch.batch, visit)?;
                }
            }
            Part::Block(block) => {
                runtime.block_on(scanner.scan_block(&block, scan.direction, stop, visit))?
            }
        }
    }
    Ok(scanner.stats)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_group_into_runs() {
        assert_eq!(runs(&[0, 1, 2, 5, 7, 8]), vec![0..3, 5..6, 7..9]);
        assert!(runs(&[]).is_empty());
    }
}
