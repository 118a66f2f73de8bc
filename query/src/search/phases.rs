//! Searching a block in two phases.
//!
//! 1. **Candidates**: read only the columns the leaf filters name, for every row, and keep the
//!    traces (from the block's trace index) with a row matching a leaf and within the trace
//!    bounds. Cheap: a few, mostly dictionary-encoded columns.
//! 2. **Evaluation**: for the candidates the caller picks (the most recent first), read every
//!    column the query needs for just their rows, and evaluate the whole query per trace.

use std::ops::Range;
use std::sync::Arc;

use arrow::compute::concat_batches;
use arrow::record_batch::RecordBatch;
use sightline_storage::StorageResult;
use sightline_storage::block::TraceEntry;
use sightline_storage::block::structure::link_parents;
use sightline_storage::blocklist::BlockHandle;
use sightline_storage::rows::spans::col;

use super::eval::SpanContext;
use super::mask::leaf_mask;
use super::plan::Plan;
use super::run::{Inspected, TraceBounds, TraceMatch, search_table};
use super::table::{SpanTable, SpanView, TraceGroup, group_rows};

/// Phase 1: the traces of `block` that may match. Also returns the rows scanned.
pub async fn candidates(
    block: &BlockHandle,
    plan: &Plan,
    bounds: &TraceBounds,
) -> StorageResult<(Vec<TraceEntry>, u64)> {
    let index = block.trace_index().await?;
    if !index.has_summaries() {
        // A format-1 block: no per-trace summary to filter or order by; every trace is a
        // candidate and phase 2 checks it.
        return Ok((index.entries().to_vec(), 0));
    }
    let admitted: Vec<&TraceEntry> = index
        .entries()
        .iter()
        .filter(|e| admits(bounds, e))
        .collect();
    if admitted.is_empty() {
        return Ok((Vec::new(), 0));
    }
    if plan.matches_all || plan.leaves_need_traces {
        return Ok((admitted.into_iter().copied().collect(), 0));
    }
    let names: Vec<&str> = plan.leaf_columns.iter().map(String::as_str).collect();
    let batches = block
        .reader()
        .read_columns(0..block.meta.rows, &names)
        .await?;
    let Some(first) = batches.first() else {
        return Ok((Vec::new(), 0));
    };
    let batch = concat_batches(&first.schema(), &batches)?;
    let mask = leaves_mask(&batch, plan);
    let mut out = Vec::new();
    let mut next = admitted.iter().peekable();
    for (row, matched) in mask.iter().enumerate() {
        if !matched {
            continue;
        }
        let row = row as u32;
        while next
            .peek()
            .is_some_and(|e| e.first_row + e.row_count <= row)
        {
            next.next();
        }
        if let Some(entry) = next.peek().filter(|e| e.first_row <= row) {
            out.push(***entry);
            next.next();
        }
    }
    Ok((out, batch.num_rows() as u64))
}

fn admits(bounds: &TraceBounds, entry: &TraceEntry) -> bool {
    bounds
        .time_range
        .is_none_or(|(start, end)| entry.start_unix_nano <= end && entry.end_unix_nano >= start)
        && bounds
            .min_duration
            .is_none_or(|min| entry.duration_nano() >= min)
        && bounds
            .max_duration
            .is_none_or(|max| entry.duration_nano() <= max)
}

/// Rows matching any leaf filter: column-wise where possible, row by row otherwise.
fn leaves_mask(batch: &RecordBatch, plan: &Plan) -> Vec<bool> {
    let rows = batch.num_rows();
    let mut mask = vec![false; rows];
    let view = SpanView::new(batch);
    for leaf in &plan.leaves {
        match leaf_mask(batch, leaf, plan.regexes.by_pattern()) {
            Some(leaf_rows) => mask.iter_mut().zip(leaf_rows).for_each(|(m, l)| *m |= l),
            None => {
                for (row, m) in mask.iter_mut().enumerate().filter(|(_, m)| !**m) {
                    let group = TraceGroup {
                        trace_id: [0; 16],
                        rows: row..row + 1,
                        start: 0,
                        end: 0,
                        root: None,
                    };
                    let ctx = SpanContext {
                        view: &view,
                        group: &group,
                        child_counts: None,
                        regexes: &plan.regexes,
                    };
                    *m = ctx.matches(leaf, row);
                }
            }
        }
    }
    mask
}

/// Phase 2: evaluates the whole query on `entries` (traces of `block`, in any order).
pub async fn evaluate(
    block: Arc<BlockHandle>,
    entries: Vec<TraceEntry>,
    plan: &Plan,
    bounds: &TraceBounds,
    spss: usize,
) -> StorageResult<(Vec<TraceMatch>, Inspected)> {
    match read_traces(&block, entries, plan).await? {
        Some(table) => Ok(search_table(&table, plan, bounds, spss)),
        None => Ok((Vec::new(), Inspected::default())),
    }
}

/// Reads every column `plan` needs for the rows of `entries` (traces of `block`), as a table.
pub async fn read_traces(
    block: &BlockHandle,
    mut entries: Vec<TraceEntry>,
    plan: &Plan,
) -> StorageResult<Option<SpanTable>> {
    entries.sort_by_key(|e| e.first_row);
    let ranges: Vec<Range<u64>> = entries.iter().map(TraceEntry::rows).collect();
    let names: Vec<&str> = plan.columns.iter().map(String::as_str).collect();
    let batches = block.reader().read_ranges(&ranges, &names).await?;
    let Some(first) = batches.first() else {
        return Ok(None);
    };
    let mut batch = concat_batches(&first.schema(), &batches)?;
    if batch.column_by_name(col::PARENT_OFFSET).is_none() {
        batch = link_parents(&batch)?.batch;
    }
    let groups = if block.trace_index().await?.has_summaries() {
        let mut position = 0usize;
        entries
            .iter()
            .map(|e| {
                let rows = position..position + e.row_count as usize;
                position += e.row_count as usize;
                TraceGroup {
                    trace_id: e.trace_id,
                    start: e.start_unix_nano,
                    end: e.end_unix_nano,
                    root: e.root_row.map(|r| rows.start + (r - e.first_row) as usize),
                    rows,
                }
            })
            .collect()
    } else {
        group_rows(&batch)
    };
    Ok(Some(SpanTable { batch, groups }))
}
