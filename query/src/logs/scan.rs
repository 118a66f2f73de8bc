//! Scanning the log lines of a time range: the heads and every logs block overlapping it, part
//! by part in time order (newest first for a backward scan), each block narrowed by its
//! full-text index to the rows that may meet the conditions, every line checked exactly.
//!
//! The consumer sees lines of one part at a time, in no particular order within a part, and can
//! stop the scan once it knows no older (or newer) part can change its answer.

use std::ops::Range;
use std::sync::Arc;

use arrow::array::Array;
use sightline_storage::block::log_index::{LogIndexQuery, RowLabeler};
use sightline_storage::blocklist::BlockHandle;
use sightline_storage::rows::logs::LogColumns;
use sightline_storage::{RowBatch, Signal, StorageResult, TelemetryStore, TenantId};

use super::line::{LogLine, matches_conditions};

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

fn visit_batch(
    batch: &arrow::record_batch::RecordBatch,
    rows: impl Iterator<Item = usize>,
    conditions: &LogIndexQuery,
    labeler: &mut RowLabeler,
    stats: &mut ScanStats,
    visit: &mut dyn FnMut(LogLine),
) -> StorageResult<()> {
    let columns = LogColumns::new(batch)?;
    for row in rows {
        stats.rows_read += 1;
        if !may_match(&columns, row, conditions) {
            continue;
        }
        let line = LogLine::read(&columns, row, labeler)?;
        stats.bytes_read += line.line.len() as u64;
        if matches_conditions(&line, conditions) {
            stats.lines += 1;
            visit(line);
        }
    }
    Ok(())
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

async fn scan_block(
    block: &BlockHandle,
    conditions: &LogIndexQuery,
    labeler: &mut RowLabeler,
    stats: &mut ScanStats,
    visit: &mut dyn FnMut(LogLine),
) -> StorageResult<()> {
    let ranges = match block.log_index().await? {
        Some(index) => runs(&index.rows(conditions)?),
        None => std::iter::once(0..block.meta.rows).collect(),
    };
    if ranges.is_empty() {
        return Ok(());
    }
    stats.blocks_read += 1;
    let names = block.reader().column_names().await?;
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    for batch in block.reader().read_ranges(&ranges, &names).await? {
        visit_batch(
            &batch,
            0..batch.num_rows(),
            conditions,
            labeler,
            stats,
            visit,
        )?;
    }
    Ok(())
}

/// Scans the lines of `tenant` meeting `scan.conditions`, part by part. Before each part,
/// `stop(part_min_time, part_max_time)` says whether the consumer needs no more; `visit` gets
/// every line. Call from a blocking thread: block reads run on `runtime`.
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
        Direction::Backward => parts.sort_by_key(|p| std::cmp::Reverse(p.span().1)),
        Direction::Forward => parts.sort_by_key(|p| p.span().0),
    }
    let mut stats = ScanStats::default();
    let mut labeler = RowLabeler::default();
    for part in parts {
        let (min, max) = part.span();
        if stop(min, max) {
            break;
        }
        match part {
            Part::Heads(batches) => {
                for batch in batches {
                    let rows = 0..batch.batch.num_rows();
                    visit_batch(
                        &batch.batch,
                        rows,
                        &scan.conditions,
                        &mut labeler,
                        &mut stats,
                        visit,
                    )?;
                }
            }
            Part::Block(block) => runtime.block_on(scan_block(
                &block,
                &scan.conditions,
                &mut labeler,
                &mut stats,
                visit,
            ))?,
        }
    }
    Ok(stats)
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
