//! Traces whose spans sit in more than one part of the store: spans that arrived on both sides
//! of a block cut land in a head and a block, or in two blocks. Evaluating each part alone would
//! miss structural relations and count per-trace aggregates wrong, so such traces are found
//! (bloom filters and cached trace indexes, no data read) and evaluated once, on their spans
//! gathered from every part, with spans stored twice kept once.

use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;

use arrow::array::{Array, ArrayRef, FixedSizeBinaryBuilder, UInt32Array, new_null_array};
use arrow::compute::{cast, concat_batches, take_record_batch};
use arrow::datatypes::{DataType, Field, Schema};
use arrow::record_batch::RecordBatch;
use sightline_storage::block::structure::link_parents;
use sightline_storage::rows::spans::col;
use sightline_storage::{StorageResult, TelemetryStore, TenantId};

use super::plan::Plan;
use super::table::{SpanTable, SpanView, group_rows};

/// The ids among `ids` whose spans are in more than one part.
pub async fn split_trace_ids(
    store: &TelemetryStore,
    tenant: &TenantId,
    ids: impl IntoIterator<Item = [u8; 16]>,
) -> StorageResult<HashSet<[u8; 16]>> {
    let mut split = HashSet::new();
    for id in ids {
        if store.trace_part_count(tenant, &id).await? > 1 {
            split.insert(id);
        }
    }
    Ok(split)
}

/// Replaces block-relative parent links by parent span ids, so parts can be combined.
fn with_parent_ids(part: &RecordBatch) -> StorageResult<RecordBatch> {
    let view = SpanView::new(part);
    let mut parents = FixedSizeBinaryBuilder::with_capacity(part.num_rows(), 8);
    for row in 0..part.num_rows() {
        match view.parent_span_id(row) {
            Some(id) if id.len() == 8 => parents.append_value(&id)?,
            _ => parents.append_null(),
        }
    }
    let parents: ArrayRef = Arc::new(parents.finish());
    let schema = part.schema();
    let mut fields = Vec::new();
    let mut columns = Vec::new();
    for (field, column) in schema.fields().iter().zip(part.columns()) {
        match field.name().as_str() {
            col::PARENT_OFFSET | col::PARENT_SPAN_ID => {}
            _ => {
                fields.push(field.as_ref().clone());
                columns.push(Arc::clone(column));
            }
        }
    }
    fields.push(Field::new(
        col::PARENT_SPAN_ID,
        DataType::FixedSizeBinary(8),
        true,
    ));
    columns.push(parents);
    Ok(RecordBatch::try_new(
        Arc::new(Schema::new(fields)),
        columns,
    )?)
}

/// Puts `parts` under one schema (columns by name, the first type seen; missing columns null)
/// and concatenates them.
fn combine(parts: &[RecordBatch]) -> StorageResult<RecordBatch> {
    let mut fields: BTreeMap<String, Field> = BTreeMap::new();
    for part in parts {
        for field in part.schema().fields() {
            fields
                .entry(field.name().clone())
                .or_insert_with(|| field.as_ref().clone().with_nullable(true));
        }
    }
    let schema = Arc::new(Schema::new(fields.into_values().collect::<Vec<_>>()));
    let mut aligned = Vec::with_capacity(parts.len());
    for part in parts {
        let columns = schema
            .fields()
            .iter()
            .map(|field| match part.column_by_name(field.name()) {
                Some(column) if column.data_type() == field.data_type() => Ok(Arc::clone(column)),
                Some(column) => Ok(cast(column, field.data_type())?),
                None => Ok(new_null_array(field.data_type(), part.num_rows())),
            })
            .collect::<StorageResult<Vec<ArrayRef>>>()?;
        aligned.push(RecordBatch::try_new(Arc::clone(&schema), columns)?);
    }
    Ok(concat_batches(&schema, &aligned)?)
}

/// The first row of every span id, in start-time order.
fn distinct_spans(batch: &RecordBatch) -> StorageResult<RecordBatch> {
    let view = SpanView::new(batch);
    let mut seen = HashSet::new();
    let mut rows: Vec<u32> = (0..batch.num_rows() as u32)
        .filter(|&row| seen.insert(view.span_id(row as usize).map(<[u8]>::to_vec)))
        .collect();
    rows.sort_by_key(|&row| view.start(row as usize));
    Ok(take_record_batch(batch, &UInt32Array::from(rows))?)
}

/// One table holding every span of `trace_id` (the columns `plan` reads), or `None` when no
/// span is stored.
pub async fn merged_trace(
    store: &TelemetryStore,
    tenant: &TenantId,
    trace_id: &[u8; 16],
    plan: &Plan,
) -> StorageResult<Option<SpanTable>> {
    let columns: Vec<&str> = plan.columns.iter().map(String::as_str).collect();
    let parts = store.trace_columns(tenant, trace_id, &columns).await?;
    let parts: Vec<RecordBatch> = parts
        .iter()
        .filter(|p| p.num_rows() > 0)
        .map(with_parent_ids)
        .collect::<StorageResult<_>>()?;
    if parts.is_empty() {
        return Ok(None);
    }
    let spans = distinct_spans(&combine(&parts)?)?;
    let linked = link_parents(&spans)?.batch;
    let groups = group_rows(&linked);
    Ok(Some(SpanTable {
        batch: linked,
        groups,
    }))
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use sightline_proto::otlp::collector::trace::v1::ExportTraceServiceRequest;
    use sightline_storage::{MemoryBudget, SignalRequest, StoreConfig};

    use super::*;
    use crate::search::tests::{BASE, SECOND, cases, dataset, run};

    /// The dataset in two halves: each trace's odd-numbered spans, then its even-numbered ones.
    fn halves() -> [ExportTraceServiceRequest; 2] {
        let keep = |odd: bool| {
            let mut request = dataset();
            for rs in &mut request.resource_spans {
                for ss in &mut rs.scope_spans {
                    ss.spans.retain(|s| (s.span_id[1] % 2 == 1) == odd);
                }
            }
            request
        };
        [keep(true), keep(false)]
    }

    async fn commit(store: &TelemetryStore, request: ExportTraceServiceRequest) {
        let prepared = store
            .prepare(
                TenantId::single_tenant(),
                &SignalRequest::Traces(request),
                None,
            )
            .unwrap();
        store.commit(prepared).await.unwrap();
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn traces_split_across_parts_and_resent_spans_evaluate_as_one_trace() {
        let dir = tempfile::tempdir().unwrap();
        let (store, _) =
            TelemetryStore::open_local(StoreConfig::new(dir.path()), MemoryBudget::new(1 << 30))
                .await
                .unwrap();
        let [odd, even] = halves();
        commit(&store, odd).await;
        store.flush().await.unwrap();
        commit(&store, even).await;
        // Trace 1 resent whole: every span of it is now stored twice.
        let mut resent = dataset();
        for rs in &mut resent.resource_spans {
            for ss in &mut rs.scope_spans {
                ss.spans.retain(|s| s.trace_id[15] == 1);
            }
        }
        commit(&store, resent).await;
        let ids = (1..=6u8).map(|n| {
            let mut id = [0u8; 16];
            id[0] = 0xa0;
            id[15] = n;
            id
        });
        let split: BTreeSet<u8> = split_trace_ids(&store, &TenantId::single_tenant(), ids)
            .await
            .unwrap()
            .into_iter()
            .map(|id| id[15])
            .collect();
        // Trace 3 has a single span: it cannot be split.
        assert_eq!(split, BTreeSet::from([1, 2, 4, 5, 6]));
        for (place, flush) in [("a block and a head", false), ("two blocks", true)] {
            if flush {
                store.flush().await.unwrap();
            }
            for (query, expected) in cases() {
                let expected: BTreeSet<u8> = expected.into_iter().collect();
                assert_eq!(
                    run(&store, query).await,
                    expected,
                    "{query} (split over {place})"
                );
            }
            // TraceQL metrics count every span once, too.
            let request = crate::traceql_metrics::MetricsRequest {
                plan: Plan::new(
                    sightline_traceql::parse("{ } | count_over_time() by (resource.service.name)")
                        .unwrap(),
                )
                .unwrap(),
                start: BASE,
                end: BASE + 80 * SECOND,
                step: 80 * SECOND,
            };
            let series =
                crate::traceql_metrics::query_range(&store, &TenantId::single_tenant(), request)
                    .await
                    .unwrap();
            let counts: Vec<(String, f64)> = series
                .iter()
                .map(|s| (s.labels[0].1.label(), s.samples[0].1))
                .collect();
            let expected: Vec<(String, f64)> = [
                ("ad", 2.0),
                ("cart", 2.0),
                ("checkout", 2.0),
                ("email", 1.0),
                ("frontend", 7.0),
                ("recommendation", 1.0),
            ]
            .iter()
            .map(|(s, n)| (s.to_string(), *n))
            .collect();
            assert_eq!(counts, expected, "split over {place}");
        }
        store.shutdown().await.unwrap();
    }
}
