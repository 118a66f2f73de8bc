//! Reading back: a trace by id from the heads and from the blocks that may hold it.

use std::collections::HashSet;
use std::sync::Arc;

use arrow::record_batch::RecordBatch;
use sightline_proto::otlp::trace::v1::ResourceSpans;

use super::TelemetryStore;
use crate::blocklist::BlockHandle;
use crate::error::StorageResult;
use crate::rows::RowBatch;
use crate::rows::spans::{assemble_resource_spans, spans_at};
use crate::tenant::{Signal, TenantId};

/// A trace found by id, with what the lookup touched.
#[derive(Debug, Clone, Default)]
pub struct TraceLookup {
    /// The spans grouped by resource and scope; empty when the trace is unknown.
    pub resource_spans: Vec<ResourceSpans>,
    /// Spans returned (after removing duplicates of the same span id).
    pub spans: usize,
    /// Blocks whose bloom filter said "maybe" (and whose trace-id index was consulted).
    pub blocks_inspected: usize,
    /// Blocks that held the trace (whose data file was read).
    pub blocks_read: usize,
    /// Blocks considered before bloom filtering (after time-range pruning).
    pub blocks_considered: usize,
}

impl TelemetryStore {
    /// The visible blocks of `tenant` and `signal` that may hold items in `time_range` (unix
    /// nanoseconds, inclusive; all blocks when `None`), oldest first.
    pub fn blocks(
        &self,
        tenant: &TenantId,
        signal: Signal,
        time_range: Option<(u64, u64)>,
    ) -> Vec<Arc<BlockHandle>> {
        self.inner
            .blocks
            .blocks(tenant, signal)
            .into_iter()
            .filter(|b| time_range.is_none_or(|(start, end)| b.meta.overlaps(start, end)))
            .collect()
    }

    /// The rows of `tenant` and `signal` still in memory (active and frozen heads) that may hold
    /// items in `time_range`, oldest first. A row may also be in a block while its block is
    /// being made visible.
    pub fn head_batches(
        &self,
        tenant: &TenantId,
        signal: Signal,
        time_range: Option<(u64, u64)>,
    ) -> Vec<Arc<RowBatch>> {
        let Some(slot) = self.inner.heads.existing_slot(&(tenant.clone(), signal)) else {
            return Vec::new();
        };
        let slot = slot.read();
        let heads = slot
            .flushing
            .iter()
            .map(|h| h.as_ref())
            .chain(std::iter::once(&slot.active));
        heads
            .filter(|h| time_range.is_none_or(|(start, end)| h.overlaps(start, end)))
            .flat_map(|h| {
                h.batches()
                    .iter()
                    .filter(|b| time_range.is_none_or(|(s, e)| b.min_time <= e && b.max_time >= s))
                    .cloned()
            })
            .collect()
    }

    /// Every head row of the given traces, as (batch, rows) pairs.
    pub fn head_trace_rows(
        &self,
        tenant: &TenantId,
        trace_ids: &[[u8; 16]],
    ) -> Vec<(Arc<RowBatch>, Vec<usize>)> {
        let Some(slot) = self
            .inner
            .heads
            .existing_slot(&(tenant.clone(), Signal::Traces))
        else {
            return Vec::new();
        };
        let slot = slot.read();
        let mut out = Vec::new();
        for head in slot
            .flushing
            .iter()
            .map(|h| h.as_ref())
            .chain(std::iter::once(&slot.active))
        {
            for trace_id in trace_ids {
                out.extend(head.trace_rows(trace_id));
            }
        }
        out
    }

    /// Ids of the traces most recently received for `tenant` (empty when the head holds none):
    /// a starting point for exploring live data, e.g. with demo traffic.
    pub fn recent_trace_ids(&self, tenant: &TenantId) -> Vec<[u8; 16]> {
        self.inner
            .heads
            .existing_slot(&(tenant.clone(), Signal::Traces))
            .map(|slot| slot.read().active.latest_trace_ids())
            .unwrap_or_default()
    }

    /// Finds every span of `trace_id` for `tenant`. `time_range` (unix nanoseconds, inclusive)
    /// limits which blocks are searched; without it, bloom filters keep the lookup to the few
    /// blocks that may hold the trace.
    pub async fn find_trace(
        &self,
        tenant: &TenantId,
        trace_id: &[u8; 16],
        time_range: Option<(u64, u64)>,
    ) -> StorageResult<TraceLookup> {
        let TraceParts {
            parts,
            blocks_considered: considered,
            blocks_inspected,
            blocks_read,
        } = self.trace_parts(tenant, trace_id, time_range, None).await?;
        let mut items = Vec::new();
        let mut seen = HashSet::new();
        for (batch, rows) in parts {
            for enveloped in spans_at(&batch, &rows)? {
                // A retried export can store a span twice; keep one copy (as Tempo does).
                if seen.insert(enveloped.item.span_id.clone()) {
                    items.push(enveloped);
                }
            }
        }
        items.sort_by_key(|enveloped| enveloped.item.start_time_unix_nano);
        let spans = items.len();
        Ok(TraceLookup {
            resource_spans: assemble_resource_spans(items)?,
            spans,
            blocks_inspected,
            blocks_read,
            blocks_considered: considered,
        })
    }

    /// The span `span_id` of `trace_id` with its resource and scope (one `ResourceSpans` holding
    /// one scope and one span), or `None` when the trace has no such span. Every part of the trace
    /// is read, but only the matching row is decoded: the details of one span of a huge trace.
    pub async fn find_span(
        &self,
        tenant: &TenantId,
        trace_id: &[u8; 16],
        span_id: &[u8; 8],
    ) -> StorageResult<Option<ResourceSpans>> {
        let parts = self.trace_parts(tenant, trace_id, None, None).await?.parts;
        for (batch, rows) in parts {
            let Some(ids) = batch
                .column_by_name(crate::rows::spans::col::SPAN_ID)
                .and_then(|c| {
                    c.as_any()
                        .downcast_ref::<arrow::array::FixedSizeBinaryArray>()
                })
            else {
                continue;
            };
            if let Some(row) = rows.into_iter().find(|&r| ids.value(r) == span_id) {
                let spans = spans_at(&batch, &[row])?;
                return Ok(assemble_resource_spans(spans)?.into_iter().next());
            }
        }
        Ok(None)
    }

    /// How many parts (heads and blocks) hold spans of `trace_id`: more than one when its spans
    /// arrived on both sides of a block cut. Bloom filters and the cached trace indexes answer
    /// without reading data.
    pub async fn trace_part_count(
        &self,
        tenant: &TenantId,
        trace_id: &[u8; 16],
    ) -> StorageResult<usize> {
        let mut parts = 0;
        if let Some(slot) = self
            .inner
            .heads
            .existing_slot(&(tenant.clone(), Signal::Traces))
        {
            let slot = slot.read();
            parts += std::iter::once(&slot.active)
                .chain(slot.flushing.iter().map(|h| h.as_ref()))
                .filter(|h| h.contains_trace(trace_id))
                .count();
        }
        for block in self.inner.blocks.blocks(tenant, Signal::Traces) {
            if block.may_contain_trace(trace_id)
                && block.trace_index().await?.rows_of(trace_id).is_some()
            {
                parts += 1;
            }
        }
        Ok(parts)
    }

    /// The rows of `trace_id` with only `columns` (those a part has), one batch per head or
    /// block holding some: a reader that needs a few columns of a huge trace (its structure, for
    /// a waterfall) never materializes the rest. Block batches keep their `parent_offset`
    /// links; head batches carry `parent_span_id`. Spans stored twice appear twice.
    pub async fn trace_columns(
        &self,
        tenant: &TenantId,
        trace_id: &[u8; 16],
        columns: &[&str],
    ) -> StorageResult<Vec<RecordBatch>> {
        let parts = self
            .trace_parts(tenant, trace_id, None, Some(columns))
            .await?
            .parts;
        parts
            .into_iter()
            .map(|(batch, rows)| {
                let keep: Vec<usize> = columns
                    .iter()
                    .filter_map(|c| batch.schema().index_of(c).ok())
                    .collect();
                let batch = batch.project(&keep)?;
                if rows.len() == batch.num_rows() {
                    return Ok(batch);
                }
                let indices =
                    arrow::array::UInt32Array::from_iter_values(rows.iter().map(|r| *r as u32));
                Ok(arrow::compute::take_record_batch(&batch, &indices)?)
            })
            .collect()
    }

    /// The heads' and blocks' rows of one trace: (batch, rows of it), with block batches read
    /// with `columns` only when given.
    async fn trace_parts(
        &self,
        tenant: &TenantId,
        trace_id: &[u8; 16],
        time_range: Option<(u64, u64)>,
        columns: Option<&[&str]>,
    ) -> StorageResult<TraceParts> {
        let mut parts = Vec::new();
        if let Some(slot) = self
            .inner
            .heads
            .existing_slot(&(tenant.clone(), Signal::Traces))
        {
            let slot = slot.read();
            let heads =
                std::iter::once(&slot.active).chain(slot.flushing.iter().map(|h| h.as_ref()));
            let in_range = |h: &&crate::head::Head| {
                time_range.is_none_or(|(start, end)| h.overlaps(start, end))
            };
            for head in heads.filter(in_range) {
                for (batch, rows) in head.trace_rows(trace_id) {
                    parts.push((batch.batch.clone(), rows));
                }
            }
        }

        let candidates: Vec<Arc<BlockHandle>> = self
            .inner
            .blocks
            .blocks(tenant, Signal::Traces)
            .into_iter()
            .filter(|b| time_range.is_none_or(|(start, end)| b.meta.overlaps(start, end)))
            .collect();
        let blocks_considered = candidates.len();
        let inspected: Vec<Arc<BlockHandle>> = candidates
            .into_iter()
            .filter(|b| b.may_contain_trace(trace_id))
            .collect();
        let reads = inspected.iter().map(|block| async move {
            let index = block.trace_index().await?;
            match (index.rows_of(trace_id), columns) {
                (None, _) => Ok(Vec::new()),
                (Some(rows), None) => block.reader().read_rows(rows).await,
                (Some(rows), Some(columns)) => {
                    let available = block.reader().column_names().await?;
                    let wanted: Vec<&str> = columns
                        .iter()
                        .copied()
                        .filter(|c| available.iter().any(|a| a == c))
                        .collect();
                    block.reader().read_ranges(&[rows], &wanted).await
                }
            }
        });
        let mut blocks_read = 0;
        for batches in futures::future::try_join_all(reads).await? {
            if batches.is_empty() {
                continue;
            }
            blocks_read += 1;
            // One batch per block: parent links (row offsets) stay inside it.
            let batch = arrow::compute::concat_batches(&batches[0].schema(), &batches)?;
            let rows = (0..batch.num_rows()).collect();
            parts.push((batch, rows));
        }
        Ok(TraceParts {
            parts,
            blocks_considered,
            blocks_inspected: inspected.len(),
            blocks_read,
        })
    }
}

/// The rows of one trace across heads and blocks.
struct TraceParts {
    parts: Vec<(RecordBatch, Vec<usize>)>,
    blocks_considered: usize,
    blocks_inspected: usize,
    blocks_read: usize,
}
