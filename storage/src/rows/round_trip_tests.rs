//! OTLP -> rows -> OTLP must be lossless for every field of every signal.

use super::*;
use crate::test_fixtures::{
    normalize_logs, normalize_metrics, normalize_traces, rich_logs_request, rich_metrics_request,
    rich_trace_request,
};

fn all_rows(batch: &RecordBatch) -> Vec<usize> {
    (0..batch.num_rows()).collect()
}

#[test]
fn traces_round_trip() {
    let request = rich_trace_request();
    let rows = SignalRequest::Traces(request.clone())
        .to_rows(256)
        .unwrap()
        .unwrap();
    assert_eq!(rows.batch.num_rows(), 4);
    let items = spans::spans_at(&rows.batch, &all_rows(&rows.batch)).unwrap();
    let back = ExportTraceServiceRequest {
        resource_spans: spans::assemble_resource_spans(items).unwrap(),
    };
    assert_eq!(normalize_traces(back), normalize_traces(request));
}

#[test]
fn logs_round_trip() {
    let request = rich_logs_request();
    let rows = SignalRequest::Logs(request.clone())
        .to_rows(256)
        .unwrap()
        .unwrap();
    let items = logs::records_at(&rows.batch, &all_rows(&rows.batch)).unwrap();
    let back = ExportLogsServiceRequest {
        resource_logs: logs::assemble_resource_logs(items).unwrap(),
    };
    assert_eq!(normalize_logs(back), normalize_logs(request));
}

#[test]
fn metrics_round_trip() {
    let request = rich_metrics_request();
    let rows = SignalRequest::Metrics(request.clone())
        .to_rows(256)
        .unwrap()
        .unwrap();
    let items = metrics::points_at(&rows.batch, &all_rows(&rows.batch)).unwrap();
    let back = ExportMetricsServiceRequest {
        resource_metrics: metrics::assemble_resource_metrics(items).unwrap(),
    };
    assert_eq!(normalize_metrics(back), normalize_metrics(request));
}

#[test]
fn round_trip_with_tiny_column_cap_uses_overflow() {
    let request = rich_trace_request();
    let rows = SignalRequest::Traces(request.clone())
        .to_rows(1)
        .unwrap()
        .unwrap();
    let items = spans::spans_at(&rows.batch, &all_rows(&rows.batch)).unwrap();
    let back = ExportTraceServiceRequest {
        resource_spans: spans::assemble_resource_spans(items).unwrap(),
    };
    assert_eq!(normalize_traces(back), normalize_traces(request));
}

#[test]
fn invalid_spans_are_skipped_not_stored() {
    let mut request = rich_trace_request();
    request.resource_spans[0].scope_spans[0].spans[0].trace_id = vec![1; 15];
    let rows = SignalRequest::Traces(request)
        .to_rows(256)
        .unwrap()
        .unwrap();
    assert_eq!(rows.batch.num_rows(), 3);
}

#[test]
fn series_ids_separate_streams_and_ignore_attribute_order() {
    let request = rich_metrics_request();
    let rows = SignalRequest::Metrics(request)
        .to_rows(256)
        .unwrap()
        .unwrap();
    let columns = metrics::MetricColumns::new(&rows.batch).unwrap();
    let ids: Vec<u64> = columns.series_id.values().to_vec();
    // Points 0 and 1 are the same gauge stream (attributes in a different order).
    assert_eq!(ids[0], ids[1]);
    assert_ne!(ids[0], ids[2]);
}
