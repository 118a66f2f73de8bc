//! Reading the stored points of a few metrics over a time range, from heads and metric blocks,
//! with the values of chosen point-attribute labels.

use std::collections::BTreeSet;
use std::sync::Arc;

use arrow::array::{Array, Float64Array, Int64Array, ListArray, StringArray, UInt64Array};
use arrow::datatypes::DataType;
use arrow::record_batch::RecordBatch;
use futures::StreamExt;
use prost::Message;
use sightline_storage::rows::attributes::{AttributeKind, OVERFLOW_COLUMN, attribute_column_name};
use sightline_storage::rows::blobs::KeyValueBlob;
use sightline_storage::rows::metrics::col;
use sightline_storage::{Signal, TelemetryStore, TenantId};

use crate::error::ApiError;

/// One stored data point of a counter or histogram.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredPoint {
    /// Index of the metric name in the scan's name list.
    pub metric: usize,
    /// The series' id.
    pub series_id: u64,
    /// Start of the cumulative series, unix nanoseconds.
    pub start: u64,
    /// Point time, unix nanoseconds.
    pub time: u64,
    /// A counter: `[value]`; a histogram: `[count, bucket 0, bucket 1, ...]`.
    pub values: Vec<f64>,
    /// A histogram's bucket bounds.
    pub bounds: Vec<f64>,
    /// The requested labels' values (empty when absent), in the scan's label order.
    pub labels: Vec<String>,
}

/// What to read.
#[derive(Debug, Clone)]
pub struct PointScan {
    /// Metric names.
    pub metrics: Vec<&'static str>,
    /// Point attributes to read (string valued).
    pub labels: Vec<&'static str>,
    /// Points with `start <= time <= end`, unix nanoseconds.
    pub time_range: (u64, u64),
}

fn string_column(batch: &RecordBatch, name: &str) -> Option<StringArray> {
    let column = batch.column_by_name(name)?;
    let cast = arrow::compute::cast(column, &DataType::Utf8).ok()?;
    cast.as_any().downcast_ref::<StringArray>().cloned()
}

fn typed<'a, T: 'static>(batch: &'a RecordBatch, name: &str) -> Option<&'a T> {
    batch.column_by_name(name)?.as_any().downcast_ref::<T>()
}

/// Collects the points of `batch` that `scan` asks for.
pub fn points_in(batch: &RecordBatch, scan: &PointScan, out: &mut Vec<StoredPoint>) {
    let Some(names) = string_column(batch, col::NAME) else {
        return;
    };
    let (Some(series), Some(starts), Some(times)) = (
        typed::<UInt64Array>(batch, col::SERIES_ID),
        typed::<UInt64Array>(batch, col::START_TIME),
        typed::<UInt64Array>(batch, col::TIME),
    ) else {
        return;
    };
    let doubles = typed::<Float64Array>(batch, col::VALUE_DOUBLE);
    let ints = typed::<Int64Array>(batch, col::VALUE_INT);
    let counts = typed::<UInt64Array>(batch, col::COUNT);
    let buckets = typed::<ListArray>(batch, col::BUCKET_COUNTS);
    let bounds = typed::<ListArray>(batch, col::EXPLICIT_BOUNDS);
    let label_columns: Vec<Option<StringArray>> = scan
        .labels
        .iter()
        .map(|key| string_column(batch, &attribute_column_name(AttributeKind::Str, key)))
        .collect();
    let overflow = typed::<arrow::array::BinaryArray>(batch, OVERFLOW_COLUMN);
    let (from, to) = scan.time_range;
    for row in 0..batch.num_rows() {
        let Some(metric) = scan.metrics.iter().position(|m| *m == names.value(row)) else {
            continue;
        };
        let time = times.value(row);
        if time < from || time > to {
            continue;
        }
        let mut values = Vec::new();
        let mut point_bounds = Vec::new();
        if let (Some(count), Some(buckets)) = (counts, buckets)
            && count.is_valid(row)
            && buckets.is_valid(row)
        {
            values.push(count.value(row) as f64);
            let list = buckets.value(row);
            if let Some(list) = list.as_any().downcast_ref::<UInt64Array>() {
                values.extend(list.iter().map(|v| v.unwrap_or(0) as f64));
            }
            if let Some(bounds) = bounds.filter(|b| b.is_valid(row)) {
                let list = bounds.value(row);
                if let Some(list) = list.as_any().downcast_ref::<Float64Array>() {
                    point_bounds.extend(list.iter().map(|v| v.unwrap_or(f64::INFINITY)));
                }
            }
        } else if let Some(d) = doubles.filter(|d| d.is_valid(row)) {
            values.push(d.value(row));
        } else if let Some(i) = ints.filter(|i| i.is_valid(row)) {
            values.push(i.value(row) as f64);
        } else {
            continue;
        }
        let mut labels: Vec<String> = label_columns
            .iter()
            .map(|column| match column {
                Some(c) if c.is_valid(row) => c.value(row).to_string(),
                _ => String::new(),
            })
            .collect();
        if let Some(overflow) = overflow.filter(|o| o.is_valid(row))
            && labels.iter().any(String::is_empty)
            && let Ok(blob) = KeyValueBlob::decode(overflow.value(row))
        {
            for (index, key) in scan.labels.iter().enumerate() {
                if labels[index].is_empty()
                    && let Some(kv) = blob.values.iter().find(|kv| kv.key == *key)
                    && let Some(sightline_proto::otlp::common::v1::any_value::Value::StringValue(s)) =
                        kv.value.as_ref().and_then(|v| v.value.as_ref())
                {
                    labels[index] = s.clone();
                }
            }
        }
        out.push(StoredPoint {
            metric,
            series_id: series.value(row),
            start: starts.value(row),
            time,
            values,
            bounds: point_bounds,
            labels,
        });
    }
}

/// Reads every point `scan` asks for, from heads and blocks.
pub async fn scan_points(
    store: &TelemetryStore,
    tenant: &TenantId,
    scan: PointScan,
) -> Result<Vec<StoredPoint>, ApiError> {
    let scan = Arc::new(scan);
    let range = Some(scan.time_range);
    let mut points = Vec::new();
    let heads = store.head_batches(tenant, Signal::Metrics, range);
    if !heads.is_empty() {
        let scan = Arc::clone(&scan);
        points = tokio::task::spawn_blocking(move || {
            let mut points = Vec::new();
            for head in heads {
                points_in(&head.batch, &scan, &mut points);
            }
            points
        })
        .await
        .map_err(|e| ApiError::Internal(format!("metric scan failed: {e}")))?;
    }
    let runtime = tokio::runtime::Handle::current();
    let mut parts = futures::stream::iter(store.blocks(tenant, Signal::Metrics, range))
        .map(|block| {
            let (scan, runtime) = (Arc::clone(&scan), runtime.clone());
            tokio::task::spawn_blocking(move || {
                runtime.block_on(async {
                    let available: BTreeSet<String> =
                        block.reader().column_names().await?.into_iter().collect();
                    let mut wanted: Vec<String> = [
                        col::NAME,
                        col::SERIES_ID,
                        col::START_TIME,
                        col::TIME,
                        col::VALUE_DOUBLE,
                        col::VALUE_INT,
                        col::COUNT,
                        col::BUCKET_COUNTS,
                        col::EXPLICIT_BOUNDS,
                        OVERFLOW_COLUMN,
                    ]
                    .iter()
                    .map(|c| c.to_string())
                    .collect();
                    wanted.extend(
                        scan.labels
                            .iter()
                            .map(|k| attribute_column_name(AttributeKind::Str, k)),
                    );
                    wanted.retain(|c| available.contains(c));
                    let names: Vec<&str> = wanted.iter().map(String::as_str).collect();
                    let batches = block
                        .reader()
                        .read_columns(0..block.meta.rows, &names)
                        .await?;
                    let mut found = Vec::new();
                    for batch in &batches {
                        points_in(batch, &scan, &mut found);
                    }
                    Ok::<_, ApiError>(found)
                })
            })
        })
        .buffer_unordered(2);
    while let Some(part) = parts.next().await {
        points.extend(part.map_err(|e| ApiError::Internal(format!("metric scan failed: {e}")))??);
    }
    Ok(points)
}
