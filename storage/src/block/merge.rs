//! Merging head batches into one block-shaped batch: a common schema (fixed columns, the union of
//! attribute columns up to a cap, overflow last) and the signal's sort order.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use arrow::array::{ArrayRef, new_null_array};
use arrow::compute::{SortColumn, concat, lexsort_to_indices, take_record_batch};
use arrow::datatypes::{Field, Schema};
use arrow::record_batch::RecordBatch;

use crate::error::{StorageError, StorageResult};
use crate::rows::attributes::{
    OVERFLOW_COLUMN, demote_to_overflow, overflow_field, parse_attribute_column_name,
};
use crate::rows::columns::{SERVICE_NAME_COLUMN, column};
use crate::rows::{logs, metrics, spans};
use crate::tenant::Signal;

/// The columns rows of `signal` are sorted by, in order.
pub fn sort_columns(signal: Signal) -> &'static [&'static str] {
    match signal {
        Signal::Traces => &[spans::col::TRACE_ID, spans::col::START_TIME],
        Signal::Logs => &[SERVICE_NAME_COLUMN, logs::col::TIME],
        Signal::Metrics => &[
            metrics::col::NAME,
            metrics::col::SERIES_ID,
            metrics::col::TIME,
        ],
    }
}

/// Concatenates `batches` under one schema, keeping at most `max_attribute_columns` attribute
/// columns (the most used ones; the rest move to the overflow column), and sorts the rows.
pub fn merge_and_sort(
    signal: Signal,
    batches: &[RecordBatch],
    max_attribute_columns: usize,
) -> StorageResult<RecordBatch> {
    let first = batches
        .first()
        .ok_or_else(|| StorageError::corrupt("block", "no rows to write"))?;

    // Count how often each attribute column is used, to decide which ones keep a column.
    let mut usage: HashMap<String, (Field, usize)> = HashMap::new();
    for batch in batches {
        for (field, array) in batch.schema().fields().iter().zip(batch.columns()) {
            if parse_attribute_column_name(field.name()).is_some() {
                let entry = usage
                    .entry(field.name().clone())
                    .or_insert((field.as_ref().clone(), 0));
                entry.1 += array.len() - array.null_count();
            }
        }
    }
    let mut attribute_fields: Vec<(Field, usize)> = usage.into_values().collect();
    attribute_fields.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.name().cmp(b.0.name())));
    let demoted: HashSet<String> = attribute_fields
        .iter()
        .skip(max_attribute_columns)
        .map(|(f, _)| f.name().clone())
        .collect();
    attribute_fields.truncate(max_attribute_columns);
    attribute_fields.sort_by(|a, b| a.0.name().cmp(b.0.name()));

    let batches: Vec<RecordBatch> = if demoted.is_empty() {
        batches.to_vec()
    } else {
        batches
            .iter()
            .map(|b| demote_to_overflow(b, &demoted))
            .collect::<StorageResult<_>>()?
    };

    let mut fields: Vec<Field> = first
        .schema()
        .fields()
        .iter()
        .filter(|f| parse_attribute_column_name(f.name()).is_none() && f.name() != OVERFLOW_COLUMN)
        .map(|f| f.as_ref().clone())
        .collect();
    fields.extend(attribute_fields.into_iter().map(|(f, _)| f));
    fields.push(overflow_field());

    let mut columns: Vec<ArrayRef> = Vec::with_capacity(fields.len());
    for field in &fields {
        let parts: Vec<ArrayRef> = batches
            .iter()
            .map(|batch| match batch.column_by_name(field.name()) {
                Some(array) => Arc::clone(array),
                None => new_null_array(field.data_type(), batch.num_rows()),
            })
            .collect();
        let refs: Vec<&dyn arrow::array::Array> = parts.iter().map(|a| a.as_ref()).collect();
        columns.push(concat(&refs)?);
    }
    let merged = RecordBatch::try_new(Arc::new(Schema::new(fields)), columns)?;

    let sort: Vec<SortColumn> = sort_columns(signal)
        .iter()
        .map(|name| {
            Ok(SortColumn {
                values: Arc::clone(column(&merged, name)?),
                options: None,
            })
        })
        .collect::<StorageResult<_>>()?;
    let indices = lexsort_to_indices(&sort, None)?;
    Ok(take_record_batch(&merged, &indices)?)
}
