//! Series index: streams and shapes found, entries, golden file.

use arrow::array::UInt64Array;
use bytes::Bytes;
use sightline_proto::otlp::metrics::v1::{
    Histogram, HistogramDataPoint, Metric, ResourceMetrics, ScopeMetrics, metric,
};

use super::*;
use crate::block::merge::merge_and_sort;
use crate::rows::SignalRequest;
use crate::rows::attributes::DEFAULT_MAX_ATTRIBUTE_COLUMNS;
use crate::tenant::Signal;
use crate::test_fixtures::{golden_file, kv_str, rich_metrics_request};

fn sorted_block(request: SignalRequest) -> RecordBatch {
    let rows = request.to_rows(256).unwrap().unwrap();
    merge_and_sort(
        Signal::Metrics,
        &[rows.batch],
        DEFAULT_MAX_ATTRIBUTE_COLUMNS,
    )
    .unwrap()
}

fn index_of(sorted: &RecordBatch) -> SeriesIndex {
    SeriesIndex::from_bytes(Bytes::from(build_series_index(sorted).unwrap())).unwrap()
}

/// A histogram stream whose bounds change after 3 points, and a second stream.
fn changing_histogram() -> SignalRequest {
    let point = |route: &str, time: u64, bounds: Vec<f64>| HistogramDataPoint {
        attributes: vec![kv_str("route", route)],
        time_unix_nano: time,
        count: 1,
        sum: Some(1.0),
        bucket_counts: vec![0; bounds.len() + 1],
        explicit_bounds: bounds,
        ..Default::default()
    };
    let mut points: Vec<_> = (1..=5)
        .map(|t| {
            let bounds = if t <= 3 { vec![1.0] } else { vec![1.0, 2.0] };
            point("/a", t, bounds)
        })
        .collect();
    points.push(point("/b", 7, vec![1.0]));
    SignalRequest::Metrics(
        sightline_proto::otlp::collector::metrics::v1::ExportMetricsServiceRequest {
            resource_metrics: vec![ResourceMetrics {
                scope_metrics: vec![ScopeMetrics {
                    metrics: vec![Metric {
                        name: "latency".into(),
                        data: Some(metric::Data::Histogram(Histogram {
                            data_points: points,
                            aggregation_temporality: 2,
                        })),
                        ..Default::default()
                    }],
                    ..Default::default()
                }],
                ..Default::default()
            }],
        },
    )
}

#[test]
fn one_entry_per_stream_and_shape() {
    let sorted = sorted_block(changing_histogram());
    let index = index_of(&sorted);
    let times: &UInt64Array = typed(index.rows(), col::TIME).unwrap();
    let mut entries: Vec<_> = index
        .entries()
        .iter()
        .enumerate()
        .map(|(i, e)| {
            (
                e.stream_rows.clone(),
                e.min_time,
                e.max_time,
                times.value(i),
            )
        })
        .collect();
    entries.sort_by_key(|e| (e.0.start, e.1));
    let a = if entries[0].0.end - entries[0].0.start == 5 {
        0..5
    } else {
        1..6
    };
    let b = if a.start == 0 { 5..6 } else { 0..1 };
    let mut expected = vec![(a.clone(), 1, 3, 1), (a, 4, 5, 4), (b, 7, 7, 7)];
    expected.sort_by_key(|e| (e.0.start, e.1));
    assert_eq!(entries, expected);
    assert!(index.entries().iter().all(|e| e.complete));
    let types = |b: &RecordBatch| -> Vec<(String, DataType)> {
        let schema = b.schema();
        let fields = schema.fields().iter();
        fields
            .map(|f| (f.name().clone(), f.data_type().clone()))
            .collect()
    };
    assert_eq!(
        types(index.rows()),
        types(&sorted),
        "rows keep the block schema"
    );
    assert!(index.entries()[0].overlaps(0, 1));
}

#[test]
fn streams_with_too_many_shapes_are_flagged() {
    let point = |time: u64| HistogramDataPoint {
        time_unix_nano: time,
        count: 1,
        bucket_counts: vec![0; time as usize + 1],
        explicit_bounds: (0..time).map(|b| b as f64).collect(),
        ..Default::default()
    };
    let request = SignalRequest::Metrics(
        sightline_proto::otlp::collector::metrics::v1::ExportMetricsServiceRequest {
            resource_metrics: vec![ResourceMetrics {
                scope_metrics: vec![ScopeMetrics {
                    metrics: vec![Metric {
                        name: "wide".into(),
                        data: Some(metric::Data::Histogram(Histogram {
                            data_points: (1..=MAX_SHAPES_PER_STREAM as u64 + 5)
                                .map(point)
                                .collect(),
                            aggregation_temporality: 2,
                        })),
                        ..Default::default()
                    }],
                    ..Default::default()
                }],
                ..Default::default()
            }],
        },
    );
    let index = index_of(&sorted_block(request));
    assert_eq!(index.entries().len(), MAX_SHAPES_PER_STREAM);
    assert!(index.entries().iter().all(|e| !e.complete));
}

/// A series index written by version 1 must always read back, with the same rows and entries a
/// fresh build of the same block gives.
#[test]
fn golden_series_index() {
    let sorted = sorted_block(SignalRequest::Metrics(rich_metrics_request()));
    let golden = golden_file("series-index-v1.parquet", || {
        build_series_index(&sorted).unwrap()
    });
    let index = SeriesIndex::from_bytes(Bytes::from(golden)).unwrap();
    let fresh = index_of(&sorted);
    assert_eq!(index.entries(), fresh.entries());
    assert_eq!(index.rows(), fresh.rows());
    // my.gauge: 2 streams (the point without a value has other attributes); the counter; the
    // histogram: 2 streams (other attributes); the exponential histogram: 1 stream with 2
    // shapes (buckets, then none); the summary.
    assert_eq!(index.entries().len(), 8);
    let streams: std::collections::HashSet<_> = index
        .entries()
        .iter()
        .map(|e| e.stream_rows.clone())
        .collect();
    assert_eq!(streams.len(), 7);
    assert_eq!(index.rows().num_rows(), 8);
}

#[test]
fn unknown_versions_are_refused() {
    let sorted = sorted_block(SignalRequest::Metrics(rich_metrics_request()));
    let properties = WriterProperties::builder()
        .set_key_value_metadata(Some(vec![KeyValue::new(
            VERSION_KEY.to_string(),
            "99".to_string(),
        )]))
        .build();
    let mut buffer = Vec::new();
    let mut writer = ArrowWriter::try_new(&mut buffer, sorted.schema(), Some(properties)).unwrap();
    writer.write(&sorted).unwrap();
    writer.close().unwrap();
    let error = SeriesIndex::from_bytes(Bytes::from(buffer)).unwrap_err();
    assert!(error.to_string().contains("version 99"), "{error}");
}
