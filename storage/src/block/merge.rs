//! Merging head batches into one block-shaped batch: a common schema (fixed columns, the union of
//! attribute columns up to a cap, overflow last) and the signal's sort order.
//!
//! Rows of a head batch fall into runs that share a group key (a trace id; a service; a metric
//! series): exporters batch a service's spans of a trace together. The block orders those runs
//! by (group key, first time) and copies them run after run, so the merge reads each batch in
//! long sequential stretches instead of gathering single rows from thousands of batches. Rows of
//! one group end up adjacent (a trace is one row range); inside a group they are ordered by
//! batch, then time. (Sorting each batch on arrival makes runs longer, but did not pay for
//! itself in the ingest benchmark.)

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use arrow::array::{Array, ArrayRef, FixedSizeBinaryArray, UInt64Array, new_null_array};
use arrow::compute::interleave;
use arrow::datatypes::{DataType, Field, Schema};
use arrow::record_batch::RecordBatch;

use super::dictionary::concat_dictionary_runs;
use crate::error::{StorageError, StorageResult};
use crate::rows::attributes::{
    OVERFLOW_COLUMN, demote_to_overflow, overflow_field, parse_attribute_column_name,
};
use crate::rows::columns::{SERVICE_NAME_COLUMN, TextColumn, typed};
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

/// A slice of one batch whose rows share a group key.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Run {
    pub batch: usize,
    pub start: usize,
    pub len: usize,
}

/// Concatenates `batches` under one schema, keeping at most
/// `max_attribute_columns` attribute columns (the most used ones; the rest move to the overflow
/// column), in block order.
pub fn merge_and_sort(
    signal: Signal,
    batches: &[RecordBatch],
    max_attribute_columns: usize,
) -> StorageResult<RecordBatch> {
    if batches.is_empty() {
        return Err(StorageError::corrupt("block", "no rows to write"));
    }
    let (fields, demoted) = block_schema(batches, max_attribute_columns);
    let batches: Vec<RecordBatch> = if demoted.is_empty() {
        batches.to_vec()
    } else {
        batches
            .iter()
            .map(|b| demote_to_overflow(b, &demoted))
            .collect::<StorageResult<_>>()?
    };
    let runs = sorted_runs(signal, &batches)?;
    let positions: Vec<(usize, usize)> = runs
        .iter()
        .flat_map(|r| (r.start..r.start + r.len).map(move |row| (r.batch, row)))
        .collect();

    let mut columns: Vec<ArrayRef> = Vec::with_capacity(fields.len());
    for field in &fields {
        let parts: Vec<ArrayRef> = batches
            .iter()
            .map(|batch| match batch.column_by_name(field.name()) {
                Some(array) => Arc::clone(array),
                None => new_null_array(field.data_type(), batch.num_rows()),
            })
            .collect();
        let merged = match field.data_type() {
            DataType::Dictionary(_, _) => concat_dictionary_runs(&parts, &runs)?,
            _ => {
                let refs: Vec<&dyn Array> = parts.iter().map(|a| a.as_ref()).collect();
                interleave(&refs, &positions)?
            }
        };
        columns.push(merged);
    }
    Ok(RecordBatch::try_new(
        Arc::new(Schema::new(fields)),
        columns,
    )?)
}

/// The block's fields (fixed columns, kept attribute columns sorted by name, overflow) and the
/// attribute columns demoted to overflow because of the cap.
fn block_schema(
    batches: &[RecordBatch],
    max_attribute_columns: usize,
) -> (Vec<Field>, HashSet<String>) {
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

    let mut fields: Vec<Field> = batches[0]
        .schema()
        .fields()
        .iter()
        .filter(|f| parse_attribute_column_name(f.name()).is_none() && f.name() != OVERFLOW_COLUMN)
        .map(|f| f.as_ref().clone())
        .collect();
    fields.extend(attribute_fields.into_iter().map(|(f, _)| f));
    fields.push(overflow_field());
    (fields, demoted)
}

/// The runs of every batch, in block order.
fn sorted_runs(signal: Signal, batches: &[RecordBatch]) -> StorageResult<Vec<Run>> {
    match signal {
        Signal::Traces => runs_by(batches, |batch| {
            let ids: &FixedSizeBinaryArray = typed(batch, spans::col::TRACE_ID)?;
            let starts: &UInt64Array = typed(batch, spans::col::START_TIME)?;
            Ok((0..batch.num_rows())
                .map(|row| {
                    let id =
                        u128::from_be_bytes(ids.value(row).try_into().expect("16-byte trace id"));
                    (id, starts.value(row))
                })
                .collect())
        }),
        Signal::Logs => runs_by(batches, |batch| {
            let services = TextColumn::new(batch, SERVICE_NAME_COLUMN)?;
            let times: &UInt64Array = typed(batch, logs::col::TIME)?;
            Ok((0..batch.num_rows())
                .map(|row| (services.value(row), times.value(row)))
                .collect())
        }),
        Signal::Metrics => runs_by(batches, |batch| {
            let names = TextColumn::new(batch, metrics::col::NAME)?;
            let series: &UInt64Array = typed(batch, metrics::col::SERIES_ID)?;
            let times: &UInt64Array = typed(batch, metrics::col::TIME)?;
            Ok((0..batch.num_rows())
                .map(|row| ((names.value(row), series.value(row)), times.value(row)))
                .collect())
        }),
    }
}

/// Splits each batch into runs of equal group key and sorts the runs by (key, first time,
/// batch, start).
fn runs_by<'a, K: Ord + Eq>(
    batches: &'a [RecordBatch],
    keys_of: impl Fn(&'a RecordBatch) -> StorageResult<Vec<(K, u64)>>,
) -> StorageResult<Vec<Run>> {
    let mut keyed: Vec<(K, u64, Run)> = Vec::new();
    for (index, batch) in batches.iter().enumerate() {
        let mut current: Option<(K, u64, Run)> = None;
        for (row, (key, time)) in keys_of(batch)?.into_iter().enumerate() {
            match &mut current {
                Some((k, _, run)) if *k == key => run.len += 1,
                _ => {
                    if let Some(done) = current.take() {
                        keyed.push(done);
                    }
                    current = Some((
                        key,
                        time,
                        Run {
                            batch: index,
                            start: row,
                            len: 1,
                        },
                    ));
                }
            }
        }
        keyed.extend(current);
    }
    keyed.sort_unstable_by(|a, b| {
        (&a.0, a.1, a.2.batch, a.2.start).cmp(&(&b.0, b.1, b.2.batch, b.2.start))
    });
    Ok(keyed.into_iter().map(|(_, _, run)| run).collect())
}
