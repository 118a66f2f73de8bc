//! Block write -> read round trips and golden Parquet files for each signal.

use std::sync::Arc;

use arrow::array::Array;
use bytes::Bytes;
use sightline_proto::otlp::collector::logs::v1::ExportLogsServiceRequest;
use sightline_proto::otlp::collector::metrics::v1::ExportMetricsServiceRequest;
use sightline_proto::otlp::collector::trace::v1::ExportTraceServiceRequest;

use super::*;
use crate::backend::BlockStorage;
use crate::rows::{SignalRequest, logs, metrics, spans};
use crate::tenant::{Signal, TenantId};
use crate::test_fixtures::*;

fn rows_of(request: SignalRequest) -> Vec<crate::RowBatch> {
    vec![request.to_rows(256).unwrap().unwrap()]
}

/// Reads a Parquet file written by `encode_block` back into one batch per file.
async fn read_back(
    storage: &BlockStorage,
    block: &EncodedBlock,
) -> arrow::record_batch::RecordBatch {
    let reader = BlockReader::new(storage.clone(), Arc::new(block.meta.clone())).unwrap();
    let batches = reader.read_all().await.unwrap();
    arrow::compute::concat_batches(&batches[0].schema(), &batches).unwrap()
}

fn all(batch: &arrow::record_batch::RecordBatch) -> Vec<usize> {
    (0..batch.num_rows()).collect()
}

#[tokio::test]
async fn traces_survive_a_block_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let storage = BlockStorage::local(dir.path()).unwrap();
    let tenant = TenantId::single_tenant();
    let request = rich_trace_request();
    let block = encode_block(
        &tenant,
        Signal::Traces,
        &rows_of(SignalRequest::Traces(request.clone())),
        None,
        &BlockOptions::default(),
    )
    .unwrap();
    upload_block(&storage, &block).await.unwrap();
    assert!(
        dir.path()
            .join("single-tenant/traces")
            .join(&block.meta.block_id)
            .join("meta.json")
            .exists()
    );

    let batch = read_back(&storage, &block).await;
    let items = spans::spans_at(&batch, &all(&batch)).unwrap();
    let back = ExportTraceServiceRequest {
        resource_spans: spans::assemble_resource_spans(items).unwrap(),
    };
    // Rows are sorted by trace id, so compare span sets rather than order.
    let mut expected: Vec<_> = normalize_traces(request)
        .resource_spans
        .iter()
        .flat_map(|r| r.scope_spans.iter().flat_map(|s| s.spans.clone()))
        .collect();
    let mut actual: Vec<_> = normalize_traces(back)
        .resource_spans
        .iter()
        .flat_map(|r| r.scope_spans.iter().flat_map(|s| s.spans.clone()))
        .collect();
    expected.sort_by(|a, b| a.span_id.cmp(&b.span_id));
    actual.sort_by(|a, b| a.span_id.cmp(&b.span_id));
    assert_eq!(actual, expected);

    let index = block.trace_index.as_ref().unwrap();
    assert_eq!(index.len(), 2);
    let id: [u8; 16] = request_trace_id();
    let rows = index.rows_of(&id).unwrap();
    assert_eq!(rows.end - rows.start, 3);
    assert!(block.bloom.as_ref().unwrap().may_contain(&id));
    let reader = BlockReader::new(storage.clone(), Arc::new(block.meta.clone())).unwrap();
    let selected = reader.read_rows(rows).await.unwrap();
    assert_eq!(selected.iter().map(|b| b.num_rows()).sum::<usize>(), 3);
}

fn request_trace_id() -> [u8; 16] {
    rich_trace_request().resource_spans[0].scope_spans[0].spans[0]
        .trace_id
        .clone()
        .try_into()
        .unwrap()
}

#[tokio::test]
async fn logs_and_metrics_survive_a_block_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let storage = BlockStorage::local(dir.path()).unwrap();
    let tenant = TenantId::new("team-a").unwrap();

    let logs_request = rich_logs_request();
    let block = encode_block(
        &tenant,
        Signal::Logs,
        &rows_of(SignalRequest::Logs(logs_request.clone())),
        None,
        &BlockOptions::default(),
    )
    .unwrap();
    upload_block(&storage, &block).await.unwrap();
    let batch = read_back(&storage, &block).await;
    // Logs blocks carry their full-text index, covering every row.
    let index_bytes = storage
        .get(&BlockStorage::block_file(
            &tenant,
            Signal::Logs,
            &block.meta.block_id,
            crate::block::log_index::LOG_INDEX_FILE,
        ))
        .await
        .unwrap();
    assert_eq!(
        block
            .meta
            .file_size(crate::block::log_index::LOG_INDEX_FILE),
        Some(index_bytes.len() as u64)
    );
    let index = crate::block::log_index::LogIndex::open(tantivy::directory::OwnedBytes::new(
        index_bytes.to_vec(),
    ))
    .unwrap();
    assert_eq!(index.docs(), batch.num_rows() as u64);
    let back =
        logs::assemble_resource_logs(logs::records_at(&batch, &all(&batch)).unwrap()).unwrap();
    let mut expected = normalize_logs(logs_request).resource_logs[0].scope_logs[0]
        .log_records
        .clone();
    let mut actual = normalize_logs(ExportLogsServiceRequest {
        resource_logs: back,
    })
    .resource_logs[0]
        .scope_logs[0]
        .log_records
        .clone();
    expected.sort_by_key(|r| {
        (
            r.time_unix_nano,
            r.observed_time_unix_nano,
            format!("{:?}", r.body),
        )
    });
    actual.sort_by_key(|r| {
        (
            r.time_unix_nano,
            r.observed_time_unix_nano,
            format!("{:?}", r.body),
        )
    });
    assert_eq!(actual, expected);

    let metrics_request = rich_metrics_request();
    let block = encode_block(
        &tenant,
        Signal::Metrics,
        &rows_of(SignalRequest::Metrics(metrics_request.clone())),
        None,
        &BlockOptions::default(),
    )
    .unwrap();
    upload_block(&storage, &block).await.unwrap();
    let batch = read_back(&storage, &block).await;
    let back =
        metrics::assemble_resource_metrics(metrics::points_at(&batch, &all(&batch)).unwrap())
            .unwrap();
    let mut expected = normalize_metrics(metrics_request).resource_metrics[0].scope_metrics[0]
        .metrics
        .clone();
    let mut actual = normalize_metrics(ExportMetricsServiceRequest {
        resource_metrics: back,
    })
    .resource_metrics[0]
        .scope_metrics[0]
        .metrics
        .clone();
    for metrics in [&mut expected, &mut actual] {
        metrics.sort_by(|a, b| a.name.cmp(&b.name));
        metrics.iter_mut().for_each(sort_points);
    }
    assert_eq!(actual, expected);
}

/// Blocks sort points by series, so compare a metric's points in a canonical order.
fn sort_points(metric: &mut sightline_proto::otlp::metrics::v1::Metric) {
    use sightline_proto::otlp::metrics::v1::metric::Data;
    fn by_debug<T: std::fmt::Debug>(points: &mut [T]) {
        points.sort_by_key(|p| format!("{p:?}"));
    }
    match &mut metric.data {
        Some(Data::Gauge(g)) => by_debug(&mut g.data_points),
        Some(Data::Sum(s)) => by_debug(&mut s.data_points),
        Some(Data::Histogram(h)) => by_debug(&mut h.data_points),
        Some(Data::ExponentialHistogram(e)) => by_debug(&mut e.data_points),
        Some(Data::Summary(s)) => by_debug(&mut s.data_points),
        None => {}
    }
}

#[tokio::test]
async fn merging_batches_with_different_attribute_columns_and_a_cap() {
    let mut first = rich_trace_request();
    first.resource_spans.truncate(1);
    let mut second = rich_trace_request();
    for span in second
        .resource_spans
        .iter_mut()
        .flat_map(|r| r.scope_spans.iter_mut())
        .flat_map(|s| s.spans.iter_mut())
    {
        span.span_id[0] ^= 0x80;
        span.attributes = vec![kv_str("only.here", "x")];
    }
    let batches = vec![
        SignalRequest::Traces(first.clone())
            .to_rows(256)
            .unwrap()
            .unwrap(),
        SignalRequest::Traces(second.clone())
            .to_rows(256)
            .unwrap()
            .unwrap(),
    ];
    let options = BlockOptions {
        max_attribute_columns: 3,
        ..BlockOptions::default()
    };
    let block = encode_block(
        &TenantId::single_tenant(),
        Signal::Traces,
        &batches,
        None,
        &options,
    )
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let storage = BlockStorage::local(dir.path()).unwrap();
    upload_block(&storage, &block).await.unwrap();
    let batch = read_back(&storage, &block).await;
    let attribute_columns = batch
        .schema()
        .fields()
        .iter()
        .filter(|f| f.name().starts_with("a:"))
        .count();
    assert_eq!(attribute_columns, 3);
    let mut actual: Vec<_> = spans::spans_at(&batch, &all(&batch))
        .unwrap()
        .into_iter()
        .map(|e| e.item)
        .collect();
    let mut expected: Vec<_> = [first, second]
        .into_iter()
        .flat_map(|r| normalize_traces(r).resource_spans)
        .flat_map(|r| r.scope_spans)
        .flat_map(|s| s.spans)
        .collect();
    for span in actual.iter_mut() {
        span.attributes.sort_by(|a, b| a.key.cmp(&b.key));
    }
    actual.sort_by(|a, b| a.span_id.cmp(&b.span_id));
    expected.sort_by(|a, b| a.span_id.cmp(&b.span_id));
    assert_eq!(format!("{actual:?}"), format!("{expected:?}"));
}

/// Data files written by every block format version must keep reading back: version 1 traces
/// (parent ids on every row) and version 2 traces (parent offsets), logs and metrics.
#[tokio::test]
async fn golden_parquet_files_decode() {
    let cases = [
        (Signal::Traces, "traces-v1.parquet", false),
        (Signal::Traces, "traces-v2.parquet", true),
        (Signal::Logs, "logs-v1.parquet", false),
        (Signal::Metrics, "metrics-v1.parquet", false),
    ];
    for (signal, name, current) in cases {
        let request = match signal {
            Signal::Traces => SignalRequest::Traces(rich_trace_request()),
            Signal::Logs => SignalRequest::Logs(rich_logs_request()),
            Signal::Metrics => SignalRequest::Metrics(rich_metrics_request()),
        };
        let golden = golden_file(name, || {
            assert!(
                current,
                "{name} belongs to an old format version and is never rewritten"
            );
            let options = BlockOptions::default();
            let block = encode_block(
                &TenantId::single_tenant(),
                signal,
                &rows_of(request.clone()),
                None,
                &options,
            )
            .unwrap();
            block.files[0].1.to_vec()
        });
        let dir = tempfile::tempdir().unwrap();
        let storage = BlockStorage::local(dir.path()).unwrap();
        let mut block = encode_block(
            &TenantId::single_tenant(),
            signal,
            &rows_of(request.clone()),
            None,
            &BlockOptions::default(),
        )
        .unwrap();
        block.files = vec![(meta::DATA_FILE.to_string(), Bytes::from(golden.clone()))];
        block.meta.files = vec![meta::BlockFile {
            name: meta::DATA_FILE.into(),
            size_bytes: golden.len() as u64,
        }];
        upload_block(&storage, &block).await.unwrap();
        let batch = read_back(&storage, &block).await;
        let rows = all(&batch);
        match request {
            SignalRequest::Traces(r) => {
                let back = spans::assemble_resource_spans(spans::spans_at(&batch, &rows).unwrap())
                    .unwrap();
                let flatten = |rs: Vec<sightline_proto::otlp::trace::v1::ResourceSpans>| {
                    let mut spans: Vec<_> =
                        normalize_traces(ExportTraceServiceRequest { resource_spans: rs })
                            .resource_spans
                            .into_iter()
                            .flat_map(|r| r.scope_spans)
                            .flat_map(|s| s.spans)
                            .collect();
                    spans.sort_by(|a, b| a.span_id.cmp(&b.span_id));
                    spans
                };
                assert_eq!(flatten(back), flatten(r.resource_spans), "{name}");
            }
            SignalRequest::Logs(r) => {
                let back =
                    logs::assemble_resource_logs(logs::records_at(&batch, &rows).unwrap()).unwrap();
                assert_eq!(
                    back[0].scope_logs[0].log_records.len(),
                    r.resource_logs[0].scope_logs[0].log_records.len()
                );
            }
            SignalRequest::Metrics(r) => {
                let back =
                    metrics::assemble_resource_metrics(metrics::points_at(&batch, &rows).unwrap())
                        .unwrap();
                assert_eq!(
                    back[0].scope_metrics[0].metrics.len(),
                    r.resource_metrics[0].scope_metrics[0].metrics.len()
                );
            }
        }
    }
}

/// Parent links: parents inside the block become row offsets, remote parents keep their id.
#[tokio::test]
async fn parents_are_stored_as_row_offsets() {
    let request = rich_trace_request();
    let block = encode_block(
        &TenantId::single_tenant(),
        Signal::Traces,
        &rows_of(SignalRequest::Traces(request.clone())),
        None,
        &BlockOptions::default(),
    )
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let storage = BlockStorage::local(dir.path()).unwrap();
    upload_block(&storage, &block).await.unwrap();
    let batch = read_back(&storage, &block).await;
    let offsets = batch
        .column_by_name(spans::col::PARENT_OFFSET)
        .expect("blocks store parent offsets");
    let parents = batch.column_by_name(spans::col::PARENT_SPAN_ID).unwrap();
    // The fixture has one root per trace and two children whose parents are in the block.
    assert_eq!(offsets.len() - offsets.null_count(), 2);
    assert_eq!(
        parents.len() - parents.null_count(),
        0,
        "no remote parents in the fixture"
    );
    let index = block.trace_index.as_ref().unwrap();
    assert!(index.has_summaries());
    let entry = index.entry(&request_trace_id()).unwrap();
    assert_eq!(entry.start_unix_nano, 1_544_712_660_000_000_000);
    assert_eq!(entry.end_unix_nano, 1_544_712_661_000_000_000);
    assert!(entry.root_row.is_some());
}
