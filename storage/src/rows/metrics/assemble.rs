//! Rows -> OTLP `ResourceMetrics`: rebuilds points and regroups them under their metric, scope
//! and resource.

use sightline_proto::otlp::common::v1::KeyValue;
use sightline_proto::otlp::metrics::v1::{
    ExponentialHistogram, ExponentialHistogramDataPoint, Gauge, Histogram, HistogramDataPoint,
    Metric, NumberDataPoint, ResourceMetrics, ScopeMetrics, Sum, Summary, SummaryDataPoint,
    exponential_histogram_data_point, metric, number_data_point, summary_data_point,
};

use super::MetricType;
use super::read::{MetricColumns, f64_list, optional_f64, u64_list};
use crate::error::StorageResult;
use crate::rows::columns::{DecodedEnvelope, Enveloped, ResourceGroup, group_by_envelope};
use arrow::array::Array;
use arrow::record_batch::RecordBatch;

/// What identifies a metric (everything in `Metric` except its points).
#[derive(Debug, Clone, PartialEq)]
struct MetricKey {
    name: String,
    description: String,
    unit: String,
    metadata: Vec<KeyValue>,
    metric_type: MetricType,
    temporality: i32,
    monotonic: bool,
}

#[derive(Debug, Clone, PartialEq)]
enum Point {
    Number(NumberDataPoint),
    Histogram(HistogramDataPoint),
    Exponential(ExponentialHistogramDataPoint),
    Summary(SummaryDataPoint),
}

/// One stored data point with the metric it belongs to.
#[derive(Debug, Clone, PartialEq)]
pub struct MetricPointRow {
    key: MetricKey,
    point: Point,
}

/// Reads the points of `batch` at `rows` as (resource blob, scope blob, point).
pub fn points_at(
    batch: &RecordBatch,
    rows: &[usize],
) -> StorageResult<Vec<Enveloped<MetricPointRow>>> {
    let columns = MetricColumns::new(batch)?;
    rows.iter()
        .map(|&row| {
            Ok(Enveloped {
                resource: columns.envelope.resource_blob(row).to_vec(),
                scope: columns.envelope.scope_blob(row).to_vec(),
                item: point_row(&columns, row)?,
            })
        })
        .collect()
}

fn point_row(c: &MetricColumns<'_>, row: usize) -> StorageResult<MetricPointRow> {
    let metric_type = c.metric_type(row)?;
    let key = MetricKey {
        name: c.name.value(row).to_string(),
        description: c.description.value(row).to_string(),
        unit: c.unit.value(row).to_string(),
        metadata: c.metadata(row)?,
        metric_type,
        temporality: c.temporality.value(row),
        monotonic: c.monotonic.value(row),
    };
    let attributes = c.attributes.row(row)?;
    let start_time_unix_nano = c.start.value(row);
    let time_unix_nano = c.time.value(row);
    let flags = c.flags.value(row);
    let point = match metric_type {
        MetricType::Gauge | MetricType::Sum => Point::Number(NumberDataPoint {
            attributes,
            start_time_unix_nano,
            time_unix_nano,
            exemplars: c.exemplars(row)?,
            flags,
            value: if c.value_double.is_valid(row) {
                Some(number_data_point::Value::AsDouble(
                    c.value_double.value(row),
                ))
            } else if c.value_int.is_valid(row) {
                Some(number_data_point::Value::AsInt(c.value_int.value(row)))
            } else {
                None
            },
        }),
        MetricType::Histogram => Point::Histogram(HistogramDataPoint {
            attributes,
            start_time_unix_nano,
            time_unix_nano,
            count: c.count.value(row),
            sum: optional_f64(c.sum, row),
            bucket_counts: u64_list(c.bucket_counts, row),
            explicit_bounds: f64_list(c.explicit_bounds, row),
            exemplars: c.exemplars(row)?,
            flags,
            min: optional_f64(c.min, row),
            max: optional_f64(c.max, row),
        }),
        MetricType::ExponentialHistogram => {
            let buckets = |offset: &arrow::array::Int32Array, counts| {
                offset
                    .is_valid(row)
                    .then(|| exponential_histogram_data_point::Buckets {
                        offset: offset.value(row),
                        bucket_counts: u64_list(counts, row),
                    })
            };
            Point::Exponential(ExponentialHistogramDataPoint {
                attributes,
                start_time_unix_nano,
                time_unix_nano,
                count: c.count.value(row),
                sum: optional_f64(c.sum, row),
                scale: c.exp_scale.value(row),
                zero_count: c.exp_zero_count.value(row),
                positive: buckets(c.exp_positive_offset, c.exp_positive_counts),
                negative: buckets(c.exp_negative_offset, c.exp_negative_counts),
                flags,
                exemplars: c.exemplars(row)?,
                min: optional_f64(c.min, row),
                max: optional_f64(c.max, row),
                zero_threshold: c.exp_zero_threshold.value(row),
            })
        }
        MetricType::Summary => {
            let quantiles = f64_list(c.quantiles, row);
            let values = f64_list(c.quantile_values, row);
            Point::Summary(SummaryDataPoint {
                attributes,
                start_time_unix_nano,
                time_unix_nano,
                count: c.count.value(row),
                sum: c.sum.value(row),
                quantile_values: quantiles
                    .into_iter()
                    .zip(values)
                    .map(|(quantile, value)| summary_data_point::ValueAtQuantile {
                        quantile,
                        value,
                    })
                    .collect(),
                flags,
            })
        }
    };
    Ok(MetricPointRow { key, point })
}

/// Rebuilds OTLP `ResourceMetrics`: points are grouped under their metric, then scope, then
/// resource, in first-seen order.
pub fn assemble_resource_metrics(
    rows: Vec<Enveloped<MetricPointRow>>,
) -> StorageResult<Vec<ResourceMetrics>> {
    let mut out = Vec::new();
    for ResourceGroup {
        resource: resource_blob,
        scopes,
    } in group_by_envelope(rows)
    {
        let mut resource_metrics: Option<ResourceMetrics> = None;
        for (scope_blob, points) in scopes {
            let envelope = DecodedEnvelope::decode(&resource_blob, &scope_blob)?;
            let mut metrics: Vec<(MetricKey, Vec<Point>)> = Vec::new();
            for MetricPointRow { key, point } in points {
                match metrics.iter_mut().find(|(k, _)| *k == key) {
                    Some((_, list)) => list.push(point),
                    None => metrics.push((key, vec![point])),
                }
            }
            let target = resource_metrics.get_or_insert_with(|| ResourceMetrics {
                resource: envelope.resource.clone(),
                scope_metrics: Vec::new(),
                schema_url: envelope.resource_schema_url.clone(),
            });
            target.scope_metrics.push(ScopeMetrics {
                scope: envelope.scope,
                metrics: metrics
                    .into_iter()
                    .map(|(key, points)| build_metric(key, points))
                    .collect(),
                schema_url: envelope.scope_schema_url,
            });
        }
        out.extend(resource_metrics);
    }
    Ok(out)
}

fn build_metric(key: MetricKey, points: Vec<Point>) -> Metric {
    let numbers = || {
        points.iter().filter_map(|p| match p {
            Point::Number(n) => Some(n.clone()),
            _ => None,
        })
    };
    let data = match key.metric_type {
        MetricType::Gauge => metric::Data::Gauge(Gauge {
            data_points: numbers().collect(),
        }),
        MetricType::Sum => metric::Data::Sum(Sum {
            data_points: numbers().collect(),
            aggregation_temporality: key.temporality,
            is_monotonic: key.monotonic,
        }),
        MetricType::Histogram => metric::Data::Histogram(Histogram {
            data_points: points
                .iter()
                .filter_map(|p| match p {
                    Point::Histogram(h) => Some(h.clone()),
                    _ => None,
                })
                .collect(),
            aggregation_temporality: key.temporality,
        }),
        MetricType::ExponentialHistogram => {
            metric::Data::ExponentialHistogram(ExponentialHistogram {
                data_points: points
                    .iter()
                    .filter_map(|p| match p {
                        Point::Exponential(e) => Some(e.clone()),
                        _ => None,
                    })
                    .collect(),
                aggregation_temporality: key.temporality,
            })
        }
        MetricType::Summary => metric::Data::Summary(Summary {
            data_points: points
                .iter()
                .filter_map(|p| match p {
                    Point::Summary(s) => Some(s.clone()),
                    _ => None,
                })
                .collect(),
        }),
    };
    Metric {
        name: key.name,
        description: key.description,
        unit: key.unit,
        metadata: key.metadata,
        data: Some(data),
    }
}
