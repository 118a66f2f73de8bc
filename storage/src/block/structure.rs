//! Parent links inside a block. Rows of a trace are contiguous, so a span's parent is usually a
//! few rows away: blocks store that distance (`parent_offset`) and keep `parent_span_id` only for
//! parents outside the block (remote or missing). This gives structural TraceQL queries parent
//! and child relations from one small column, and saves the 8 random bytes of a parent id on
//! most rows.

use std::collections::HashMap;
use std::sync::Arc;

use arrow::array::{Array, ArrayRef, FixedSizeBinaryArray, FixedSizeBinaryBuilder, Int32Builder};
use arrow::datatypes::{DataType, Field, Schema};
use arrow::record_batch::RecordBatch;

use crate::error::StorageResult;
use crate::rows::columns::typed;
use crate::rows::spans::col;

/// The `parent_offset` field: Int32, `parent row - row`, null for roots and for parents outside
/// the block.
pub fn parent_offset_field() -> Field {
    Field::new(col::PARENT_OFFSET, DataType::Int32, true)
}

/// A block batch with parent links, and which rows are roots (no parent span id at all).
pub struct LinkedBatch {
    /// The batch with `parent_offset` added after `parent_span_id`.
    pub batch: RecordBatch,
    /// `true` for rows whose span has no parent.
    pub is_root: Vec<bool>,
}

/// Links every span of a trace-sorted batch to its parent's row.
pub fn link_parents(batch: &RecordBatch) -> StorageResult<LinkedBatch> {
    let trace_ids: &FixedSizeBinaryArray = typed(batch, col::TRACE_ID)?;
    let span_ids: &FixedSizeBinaryArray = typed(batch, col::SPAN_ID)?;
    let parents: &FixedSizeBinaryArray = typed(batch, col::PARENT_SPAN_ID)?;
    let rows = batch.num_rows();

    let mut offsets = Int32Builder::with_capacity(rows);
    let mut remote_parents = FixedSizeBinaryBuilder::with_capacity(rows, 8);
    let mut is_root = Vec::with_capacity(rows);
    let mut rows_by_span: HashMap<&[u8], usize> = HashMap::new();
    let mut trace_start = 0;
    while trace_start < rows {
        let trace = trace_ids.value(trace_start);
        let mut trace_end = trace_start;
        while trace_end < rows && trace_ids.value(trace_end) == trace {
            trace_end += 1;
        }
        rows_by_span.clear();
        for row in trace_start..trace_end {
            rows_by_span.entry(span_ids.value(row)).or_insert(row);
        }
        for row in trace_start..trace_end {
            if parents.is_null(row) {
                is_root.push(true);
                offsets.append_null();
                remote_parents.append_null();
                continue;
            }
            is_root.push(false);
            match rows_by_span.get(parents.value(row)) {
                Some(&parent_row) => {
                    offsets.append_value(parent_row as i32 - row as i32);
                    remote_parents.append_null();
                }
                None => {
                    offsets.append_null();
                    remote_parents
                        .append_value(parents.value(row))
                        .expect("8-byte parent id");
                }
            }
        }
        trace_start = trace_end;
    }

    let schema = batch.schema();
    let mut fields = Vec::with_capacity(schema.fields().len() + 1);
    let mut columns: Vec<ArrayRef> = Vec::with_capacity(fields.capacity());
    let remote_parents: ArrayRef = Arc::new(remote_parents.finish());
    for (field, column) in schema.fields().iter().zip(batch.columns()) {
        if field.name() == col::PARENT_SPAN_ID {
            fields.push(field.as_ref().clone());
            columns.push(Arc::clone(&remote_parents));
            fields.push(parent_offset_field());
            columns.push(Arc::new(offsets.finish()));
        } else {
            fields.push(field.as_ref().clone());
            columns.push(Arc::clone(column));
        }
    }
    let batch = RecordBatch::try_new(Arc::new(Schema::new(fields)), columns)?;
    Ok(LinkedBatch { batch, is_root })
}
