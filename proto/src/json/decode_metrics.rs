//! OTLP/JSON decoding of metrics: every metric type and every data point field.

use serde_json::Value;

use super::decode::{key_values, resource, scope};
use super::scalar::{
    Res, boolean, double, enumeration, id, int, list, message, parse_root, set_oneof, string,
};
use crate::otlp::collector::metrics::v1::ExportMetricsServiceRequest;
use crate::otlp::metrics::v1::{
    AggregationTemporality, Exemplar, ExponentialHistogram, ExponentialHistogramDataPoint, Gauge,
    Histogram, HistogramDataPoint, Metric, NumberDataPoint, ResourceMetrics, ScopeMetrics, Sum,
    Summary, SummaryDataPoint, exemplar, exponential_histogram_data_point, metric,
    number_data_point, summary_data_point,
};

use exemplar::Value as ExemplarValue;
use number_data_point::Value as NumberValue;

/// Decodes the body of `POST /v1/metrics`.
pub(super) fn metrics_request(body: &[u8]) -> Res<ExportMetricsServiceRequest> {
    message(
        Value::Object(parse_root(body)?),
        |req: &mut ExportMetricsServiceRequest, key, v| {
            if key == "resourceMetrics" {
                req.resource_metrics = list(v, resource_metrics)?;
            }
            Ok(())
        },
    )
}

fn resource_metrics(v: Value) -> Res<ResourceMetrics> {
    message(v, |rm: &mut ResourceMetrics, key, v| {
        match key {
            "resource" => rm.resource = Some(resource(v)?),
            "scopeMetrics" => rm.scope_metrics = list(v, scope_metrics)?,
            "schemaUrl" => rm.schema_url = string(v)?,
            _ => {}
        }
        Ok(())
    })
}

fn scope_metrics(v: Value) -> Res<ScopeMetrics> {
    message(v, |sm: &mut ScopeMetrics, key, v| {
        match key {
            "scope" => sm.scope = Some(scope(v)?),
            "metrics" => sm.metrics = list(v, one_metric)?,
            "schemaUrl" => sm.schema_url = string(v)?,
            _ => {}
        }
        Ok(())
    })
}

fn one_metric(v: Value) -> Res<Metric> {
    message(v, |m: &mut Metric, key, v| {
        match key {
            "name" => m.name = string(v)?,
            "description" => m.description = string(v)?,
            "unit" => m.unit = string(v)?,
            "metadata" => m.metadata = key_values(v)?,
            "gauge" => set_data(m, metric::Data::Gauge(gauge(v)?))?,
            "sum" => set_data(m, metric::Data::Sum(sum(v)?))?,
            "histogram" => set_data(m, metric::Data::Histogram(histogram(v)?))?,
            "exponentialHistogram" => {
                set_data(m, metric::Data::ExponentialHistogram(exp_histogram(v)?))?;
            }
            "summary" => set_data(m, metric::Data::Summary(summary(v)?))?,
            _ => {}
        }
        Ok(())
    })
}

/// Members of `Metric.data`, for the error when more than one is set.
const METRIC_DATA: &str = "gauge, sum, histogram, exponentialHistogram, summary";
/// Members of the data point / exemplar value oneof.
const POINT_VALUE: &str = "asDouble, asInt";

fn set_data(m: &mut Metric, data: metric::Data) -> Res<()> {
    set_oneof(&mut m.data, data, METRIC_DATA)
}

fn temporality(name: &str) -> Option<i32> {
    AggregationTemporality::from_str_name(name).map(|t| t as i32)
}

fn gauge(v: Value) -> Res<Gauge> {
    message(v, |g: &mut Gauge, key, v| {
        if key == "dataPoints" {
            g.data_points = list(v, number_point)?;
        }
        Ok(())
    })
}

fn sum(v: Value) -> Res<Sum> {
    message(v, |s: &mut Sum, key, v| {
        match key {
            "dataPoints" => s.data_points = list(v, number_point)?,
            "aggregationTemporality" => s.aggregation_temporality = enumeration(v, temporality)?,
            "isMonotonic" => s.is_monotonic = boolean(v)?,
            _ => {}
        }
        Ok(())
    })
}

fn histogram(v: Value) -> Res<Histogram> {
    message(v, |h: &mut Histogram, key, v| {
        match key {
            "dataPoints" => h.data_points = list(v, histogram_point)?,
            "aggregationTemporality" => h.aggregation_temporality = enumeration(v, temporality)?,
            _ => {}
        }
        Ok(())
    })
}

fn exp_histogram(v: Value) -> Res<ExponentialHistogram> {
    message(v, |h: &mut ExponentialHistogram, key, v| {
        match key {
            "dataPoints" => h.data_points = list(v, exp_histogram_point)?,
            "aggregationTemporality" => h.aggregation_temporality = enumeration(v, temporality)?,
            _ => {}
        }
        Ok(())
    })
}

fn summary(v: Value) -> Res<Summary> {
    message(v, |s: &mut Summary, key, v| {
        if key == "dataPoints" {
            s.data_points = list(v, summary_point)?;
        }
        Ok(())
    })
}

fn number_point(v: Value) -> Res<NumberDataPoint> {
    message(v, |p: &mut NumberDataPoint, key, v| {
        match key {
            "attributes" => p.attributes = key_values(v)?,
            "startTimeUnixNano" => p.start_time_unix_nano = int(v)?,
            "timeUnixNano" => p.time_unix_nano = int(v)?,
            "exemplars" => p.exemplars = list(v, one_exemplar)?,
            "flags" => p.flags = int(v)?,
            "asDouble" => set_oneof(&mut p.value, NumberValue::AsDouble(double(v)?), POINT_VALUE)?,
            "asInt" => set_oneof(&mut p.value, NumberValue::AsInt(int(v)?), POINT_VALUE)?,
            _ => {}
        }
        Ok(())
    })
}

fn one_exemplar(v: Value) -> Res<Exemplar> {
    message(v, |e: &mut Exemplar, key, v| {
        match key {
            "filteredAttributes" => e.filtered_attributes = key_values(v)?,
            "timeUnixNano" => e.time_unix_nano = int(v)?,
            "spanId" => e.span_id = id(v)?,
            "traceId" => e.trace_id = id(v)?,
            "asDouble" => set_oneof(
                &mut e.value,
                ExemplarValue::AsDouble(double(v)?),
                POINT_VALUE,
            )?,
            "asInt" => set_oneof(&mut e.value, ExemplarValue::AsInt(int(v)?), POINT_VALUE)?,
            _ => {}
        }
        Ok(())
    })
}

fn u64s(v: Value) -> Res<Vec<u64>> {
    list(v, int)
}

fn histogram_point(v: Value) -> Res<HistogramDataPoint> {
    message(v, |p: &mut HistogramDataPoint, key, v| {
        match key {
            "attributes" => p.attributes = key_values(v)?,
            "startTimeUnixNano" => p.start_time_unix_nano = int(v)?,
            "timeUnixNano" => p.time_unix_nano = int(v)?,
            "count" => p.count = int(v)?,
            "sum" => p.sum = Some(double(v)?),
            "bucketCounts" => p.bucket_counts = u64s(v)?,
            "explicitBounds" => p.explicit_bounds = list(v, double)?,
            "exemplars" => p.exemplars = list(v, one_exemplar)?,
            "flags" => p.flags = int(v)?,
            "min" => p.min = Some(double(v)?),
            "max" => p.max = Some(double(v)?),
            _ => {}
        }
        Ok(())
    })
}

fn buckets(v: Value) -> Res<exponential_histogram_data_point::Buckets> {
    message(
        v,
        |b: &mut exponential_histogram_data_point::Buckets, key, v| {
            match key {
                "offset" => b.offset = int(v)?,
                "bucketCounts" => b.bucket_counts = u64s(v)?,
                _ => {}
            }
            Ok(())
        },
    )
}

fn exp_histogram_point(v: Value) -> Res<ExponentialHistogramDataPoint> {
    message(v, |p: &mut ExponentialHistogramDataPoint, key, v| {
        match key {
            "attributes" => p.attributes = key_values(v)?,
            "startTimeUnixNano" => p.start_time_unix_nano = int(v)?,
            "timeUnixNano" => p.time_unix_nano = int(v)?,
            "count" => p.count = int(v)?,
            "sum" => p.sum = Some(double(v)?),
            "scale" => p.scale = int(v)?,
            "zeroCount" => p.zero_count = int(v)?,
            "positive" => p.positive = Some(buckets(v)?),
            "negative" => p.negative = Some(buckets(v)?),
            "flags" => p.flags = int(v)?,
            "exemplars" => p.exemplars = list(v, one_exemplar)?,
            "min" => p.min = Some(double(v)?),
            "max" => p.max = Some(double(v)?),
            "zeroThreshold" => p.zero_threshold = double(v)?,
            _ => {}
        }
        Ok(())
    })
}

fn quantile(v: Value) -> Res<summary_data_point::ValueAtQuantile> {
    message(v, |q: &mut summary_data_point::ValueAtQuantile, key, v| {
        match key {
            "quantile" => q.quantile = double(v)?,
            "value" => q.value = double(v)?,
            _ => {}
        }
        Ok(())
    })
}

fn summary_point(v: Value) -> Res<SummaryDataPoint> {
    message(v, |p: &mut SummaryDataPoint, key, v| {
        match key {
            "attributes" => p.attributes = key_values(v)?,
            "startTimeUnixNano" => p.start_time_unix_nano = int(v)?,
            "timeUnixNano" => p.time_unix_nano = int(v)?,
            "count" => p.count = int(v)?,
            "sum" => p.sum = double(v)?,
            "quantileValues" => p.quantile_values = list(v, quantile)?,
            "flags" => p.flags = int(v)?,
            _ => {}
        }
        Ok(())
    })
}
