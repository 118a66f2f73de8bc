//! Consistency checks of generated metrics.

use std::collections::HashMap;

use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;
use opentelemetry_proto::tonic::common::v1::KeyValue;
use opentelemetry_proto::tonic::metrics::v1::metric::Data;
use opentelemetry_proto::tonic::metrics::v1::number_data_point::Value;

use crate::generator::TrafficGenerator;

const START: u64 = 1_750_000_000_000_000_000;
const SECOND: u64 = 1_000_000_000;

/// A series key: resource `service.name`, metric name and point attributes.
fn series_key(service: &str, metric: &str, attributes: &[KeyValue]) -> String {
    format!("{service}|{metric}|{attributes:?}")
}

/// Every cumulative value (sum, histogram count, summary count) by series.
fn cumulative_values(request: &ExportMetricsServiceRequest) -> HashMap<String, f64> {
    let mut out = HashMap::new();
    for resource_metrics in &request.resource_metrics {
        let service = format!(
            "{:?}",
            resource_metrics.resource.as_ref().unwrap().attributes[0]
        );
        for metric in resource_metrics
            .scope_metrics
            .iter()
            .flat_map(|sm| &sm.metrics)
        {
            match metric.data.as_ref().unwrap() {
                Data::Sum(sum) if sum.is_monotonic => {
                    for point in &sum.data_points {
                        let value = match point.value.unwrap() {
                            Value::AsInt(v) => v as f64,
                            Value::AsDouble(v) => v,
                        };
                        out.insert(series_key(&service, &metric.name, &point.attributes), value);
                    }
                }
                Data::Histogram(histogram) => {
                    for point in &histogram.data_points {
                        let key = series_key(&service, &metric.name, &point.attributes);
                        out.insert(key.clone(), point.count as f64);
                        for (i, bucket) in point.bucket_counts.iter().enumerate() {
                            out.insert(format!("{key}|bucket{i}"), *bucket as f64);
                        }
                    }
                }
                Data::ExponentialHistogram(histogram) => {
                    for point in &histogram.data_points {
                        out.insert(
                            series_key(&service, &metric.name, &point.attributes),
                            point.count as f64,
                        );
                    }
                }
                Data::Summary(summary) => {
                    for point in &summary.data_points {
                        out.insert(
                            series_key(&service, &metric.name, &point.attributes),
                            point.count as f64,
                        );
                    }
                }
                _ => {}
            }
        }
    }
    out
}

#[test]
fn histograms_are_consistent_and_all_point_types_appear() {
    let mut generator = TrafficGenerator::with_start_time(31, START);
    generator.traces(2_000, START + 10 * SECOND);
    let request = generator.metrics(START + 10 * SECOND);
    assert_eq!(request.resource_metrics.len(), 10);
    let mut kinds = [0usize; 5];
    let mut exemplars = 0;
    for metric in request
        .resource_metrics
        .iter()
        .flat_map(|rm| &rm.scope_metrics)
        .flat_map(|sm| &sm.metrics)
    {
        assert!(!metric.name.is_empty() && !metric.unit.is_empty());
        match metric.data.as_ref().unwrap() {
            Data::Gauge(_) => kinds[0] += 1,
            Data::Sum(sum) => {
                kinds[1] += 1;
                assert!(
                    sum.data_points
                        .iter()
                        .all(|p| p.start_time_unix_nano == START)
                );
            }
            Data::Histogram(histogram) => {
                kinds[2] += 1;
                for point in &histogram.data_points {
                    assert_eq!(point.bucket_counts.len(), point.explicit_bounds.len() + 1);
                    assert_eq!(point.bucket_counts.iter().sum::<u64>(), point.count);
                    assert!(point.explicit_bounds.windows(2).all(|w| w[0] < w[1]));
                    assert!(point.min.unwrap() <= point.max.unwrap());
                    assert_eq!(point.start_time_unix_nano, START);
                    for exemplar in &point.exemplars {
                        assert_eq!(exemplar.trace_id.len(), 16);
                        assert_eq!(exemplar.span_id.len(), 8);
                        exemplars += 1;
                    }
                }
                if metric.name == "http.server.request.duration" {
                    assert_eq!(
                        histogram.data_points[0].explicit_bounds,
                        super::HTTP_DURATION_BOUNDS
                    );
                }
            }
            Data::ExponentialHistogram(histogram) => {
                kinds[3] += 1;
                for point in &histogram.data_points {
                    let positive = point.positive.as_ref().unwrap();
                    assert_eq!(
                        positive.bucket_counts.iter().sum::<u64>() + point.zero_count,
                        point.count
                    );
                }
            }
            Data::Summary(summary) => {
                kinds[4] += 1;
                let quantiles = &summary.data_points[0].quantile_values;
                assert!(
                    quantiles
                        .windows(2)
                        .all(|w| w[0].quantile < w[1].quantile && w[0].value <= w[1].value)
                );
            }
        }
    }
    assert!(
        kinds.iter().all(|&k| k > 0),
        "gauge, sum, histogram, exponential, summary: {kinds:?}"
    );
    assert!(exemplars > 0, "no exemplars");
}

#[test]
fn cumulative_values_never_decrease_across_calls() {
    let mut generator = TrafficGenerator::with_start_time(32, START);
    let first = cumulative_values(&generator.metrics(START + 15 * SECOND));
    let second = cumulative_values(&generator.metrics(START + 30 * SECOND));
    let third = cumulative_values(&generator.metrics(START + 31 * SECOND));
    let mut grew = 0;
    for (key, value) in &first {
        let later = second
            .get(key)
            .unwrap_or_else(|| panic!("series {key} disappeared"));
        assert!(later >= value, "{key} went from {value} to {later}");
        grew += usize::from(later > value && !key.contains("|bucket"));
        assert!(third[key] >= *later);
    }
    let series = first.keys().filter(|key| !key.contains("|bucket")).count();
    assert!(
        grew * 2 > series,
        "most series should grow: {grew} of {series}"
    );
}
