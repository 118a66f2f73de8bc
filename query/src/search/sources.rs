//! Span tables from the heads: the rows of candidate traces gathered from memory, sorted and
//! linked like a block. (Blocks are read in two phases, see [`super::phases`].)

use std::sync::Arc;

use arrow::array::UInt32Array;
use arrow::compute::take_record_batch;
use arrow::record_batch::RecordBatch;
use sightline_storage::block::merge::merge_and_sort;
use sightline_storage::block::structure::link_parents;
use sightline_storage::{RowBatch, Signal, StorageError, StorageResult, TelemetryStore, TenantId};

use super::eval::SpanContext;
use super::plan::Plan;
use super::table::{SpanTable, SpanView, TraceGroup, group_rows};

/// Gathers, from head batches, every row of the traces that have a span matching one of the
/// plan's leaf filters, as one trace-sorted, parent-linked table.
pub fn head_table(
    store: &TelemetryStore,
    tenant: &TenantId,
    plan: &Plan,
    batches: &[Arc<RowBatch>],
) -> StorageResult<Option<SpanTable>> {
    let mut candidates: Vec<[u8; 16]> = Vec::new();
    for batch in batches {
        let view = SpanView::new(&batch.batch);
        let groups = single_row_groups(&view);
        for (row, group) in groups.iter().enumerate() {
            let ctx = SpanContext {
                view: &view,
                group,
                child_counts: None,
                regexes: &plan.regexes,
            };
            if plan.matches_all
                || plan.leaves_need_traces
                || plan.leaves.iter().any(|leaf| ctx.matches(leaf, row))
            {
                candidates.push(group.trace_id);
            }
        }
    }
    candidates.sort_unstable();
    candidates.dedup();
    if candidates.is_empty() {
        return Ok(None);
    }
    let parts: Vec<RecordBatch> = store
        .head_trace_rows(tenant, &candidates)
        .into_iter()
        .map(|(batch, rows)| {
            let indices = UInt32Array::from_iter_values(rows.into_iter().map(|r| r as u32));
            take_record_batch(&batch.batch, &indices)
        })
        .collect::<Result<_, _>>()
        .map_err(StorageError::from)?;
    if parts.is_empty() {
        return Ok(None);
    }
    let merged = merge_and_sort(Signal::Traces, &parts, usize::MAX)?;
    let linked = link_parents(&merged)?;
    let groups = group_rows(&linked.batch);
    Ok(Some(SpanTable {
        batch: linked.batch,
        groups,
    }))
}

/// One-row groups of a head batch, so that trace-level fields of a single span can be evaluated
/// while looking for candidates (trace-level conditions are checked again on whole traces).
fn single_row_groups(view: &SpanView<'_>) -> Vec<TraceGroup> {
    (0..view.len())
        .map(|row| {
            let start = view.start(row);
            TraceGroup {
                trace_id: view
                    .trace_id(row)
                    .and_then(|id| id.try_into().ok())
                    .unwrap_or_default(),
                rows: row..row + 1,
                start,
                end: start.saturating_add(view.duration(row).max(0) as u64),
                root: view.parent_span_id(row).is_none().then_some(row),
            }
        })
        .collect()
}
