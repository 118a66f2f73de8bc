//! Building metric rows: one row per data point of any type, with the series id.

use std::sync::Arc;

use arrow::array::{
    ArrayRef, BinaryBuilder, BooleanBuilder, Float64Builder, Int32Builder, Int64Builder,
    ListBuilder, StringDictionaryBuilder, UInt32Builder, UInt64Builder,
};
use arrow::datatypes::Int32Type;
use arrow::record_batch::RecordBatch;
use prost::Message;
use sightline_proto::otlp::common::v1::KeyValue;
use sightline_proto::otlp::metrics::v1::{
    Exemplar, ExponentialHistogramDataPoint, HistogramDataPoint, Metric, NumberDataPoint,
    ResourceMetrics, SummaryDataPoint, metric, number_data_point,
};

use super::{MetricType, fixed_fields, validate_histogram_point};
use crate::error::StorageResult;
use crate::rows::attributes::AttributeColumnsBuilder;
use crate::rows::blobs::{encode_repeated, encode_resource, encode_scope};
use crate::rows::columns::{EnvelopeColumnsBuilder, finish_batch, service_name_of};

/// The identity every point of one metric shares.
struct MetricIdentity<'a> {
    metric: &'a Metric,
    metadata_blob: Option<Vec<u8>>,
    metric_type: MetricType,
    temporality: i32,
    monotonic: bool,
}

/// Builds a record batch of metric data points.
pub struct MetricBatchBuilder {
    name: StringDictionaryBuilder<Int32Type>,
    description: StringDictionaryBuilder<Int32Type>,
    unit: StringDictionaryBuilder<Int32Type>,
    metadata: BinaryBuilder,
    metric_type: Int32Builder,
    temporality: Int32Builder,
    monotonic: BooleanBuilder,
    series_id: UInt64Builder,
    start: UInt64Builder,
    time: UInt64Builder,
    flags: UInt32Builder,
    value_double: Float64Builder,
    value_int: Int64Builder,
    count: UInt64Builder,
    sum: Float64Builder,
    min: Float64Builder,
    max: Float64Builder,
    bucket_counts: ListBuilder<UInt64Builder>,
    explicit_bounds: ListBuilder<Float64Builder>,
    exp_scale: Int32Builder,
    exp_zero_count: UInt64Builder,
    exp_zero_threshold: Float64Builder,
    exp_positive_offset: Int32Builder,
    exp_positive_counts: ListBuilder<UInt64Builder>,
    exp_negative_offset: Int32Builder,
    exp_negative_counts: ListBuilder<UInt64Builder>,
    quantiles: ListBuilder<Float64Builder>,
    quantile_values: ListBuilder<Float64Builder>,
    exemplars: BinaryBuilder,
    envelope: EnvelopeColumnsBuilder,
    attributes: AttributeColumnsBuilder,
    min_time: u64,
    max_time: u64,
}

/// The fields every OTLP data point type has.
trait DataPoint {
    fn common(&self) -> PointCommon<'_>;
}

macro_rules! data_point_with_exemplars {
    ($($point:ty),*) => {$(
        impl DataPoint for $point {
            fn common(&self) -> PointCommon<'_> {
                PointCommon {
                    attributes: &self.attributes,
                    start: self.start_time_unix_nano,
                    time: self.time_unix_nano,
                    flags: self.flags,
                    exemplars: &self.exemplars,
                }
            }
        }
    )*};
}

data_point_with_exemplars!(
    NumberDataPoint,
    HistogramDataPoint,
    ExponentialHistogramDataPoint
);

impl DataPoint for SummaryDataPoint {
    fn common(&self) -> PointCommon<'_> {
        PointCommon {
            attributes: &self.attributes,
            start: self.start_time_unix_nano,
            time: self.time_unix_nano,
            flags: self.flags,
            exemplars: &[],
        }
    }
}

/// The per-point fields common to all point types.
struct PointCommon<'a> {
    attributes: &'a [KeyValue],
    start: u64,
    time: u64,
    flags: u32,
    exemplars: &'a [Exemplar],
}

impl MetricBatchBuilder {
    /// A builder for about `rows` rows, creating at most `max_attribute_columns` attribute
    /// columns.
    pub fn with_capacity(rows: usize, max_attribute_columns: usize) -> Self {
        Self {
            name: StringDictionaryBuilder::new(),
            description: StringDictionaryBuilder::new(),
            unit: StringDictionaryBuilder::new(),
            metadata: BinaryBuilder::with_capacity(rows, 0),
            metric_type: Int32Builder::with_capacity(rows),
            temporality: Int32Builder::with_capacity(rows),
            monotonic: BooleanBuilder::with_capacity(rows),
            series_id: UInt64Builder::with_capacity(rows),
            start: UInt64Builder::with_capacity(rows),
            time: UInt64Builder::with_capacity(rows),
            flags: UInt32Builder::with_capacity(rows),
            value_double: Float64Builder::with_capacity(rows),
            value_int: Int64Builder::with_capacity(rows),
            count: UInt64Builder::with_capacity(rows),
            sum: Float64Builder::with_capacity(rows),
            min: Float64Builder::with_capacity(rows),
            max: Float64Builder::with_capacity(rows),
            bucket_counts: ListBuilder::with_capacity(UInt64Builder::with_capacity(rows), rows),
            explicit_bounds: ListBuilder::with_capacity(Float64Builder::with_capacity(rows), rows),
            exp_scale: Int32Builder::with_capacity(rows),
            exp_zero_count: UInt64Builder::with_capacity(rows),
            exp_zero_threshold: Float64Builder::with_capacity(rows),
            exp_positive_offset: Int32Builder::with_capacity(rows),
            exp_positive_counts: ListBuilder::with_capacity(
                UInt64Builder::with_capacity(rows),
                rows,
            ),
            exp_negative_offset: Int32Builder::with_capacity(rows),
            exp_negative_counts: ListBuilder::with_capacity(
                UInt64Builder::with_capacity(rows),
                rows,
            ),
            quantiles: ListBuilder::with_capacity(Float64Builder::with_capacity(rows), rows),
            quantile_values: ListBuilder::with_capacity(Float64Builder::with_capacity(rows), rows),
            exemplars: BinaryBuilder::with_capacity(rows, 0),
            envelope: EnvelopeColumnsBuilder::default(),
            attributes: AttributeColumnsBuilder::with_capacity(rows, max_attribute_columns),
            min_time: u64::MAX,
            max_time: 0,
        }
    }

    /// Rows appended so far.
    pub fn rows(&self) -> usize {
        self.attributes.rows()
    }

    /// Appends every point of `resource_metrics` (histogram points failing validation are
    /// skipped; the receiver has already rejected them).
    pub fn append_resource_metrics(&mut self, resource_metrics: &ResourceMetrics) {
        let resource_blob =
            encode_resource(&resource_metrics.resource, &resource_metrics.schema_url);
        let service = service_name_of(resource_metrics.resource.as_ref()).to_string();
        for scope_metrics in &resource_metrics.scope_metrics {
            let scope_blob = encode_scope(&scope_metrics.scope, &scope_metrics.schema_url);
            let envelope_hash = series_seed(&resource_blob, &scope_blob);
            for metric in &scope_metrics.metrics {
                let Some(data) = &metric.data else { continue };
                let (metric_type, temporality, monotonic) = match data {
                    metric::Data::Gauge(_) => (MetricType::Gauge, 0, false),
                    metric::Data::Sum(s) => {
                        (MetricType::Sum, s.aggregation_temporality, s.is_monotonic)
                    }
                    metric::Data::Histogram(h) => {
                        (MetricType::Histogram, h.aggregation_temporality, false)
                    }
                    metric::Data::ExponentialHistogram(e) => (
                        MetricType::ExponentialHistogram,
                        e.aggregation_temporality,
                        false,
                    ),
                    metric::Data::Summary(_) => (MetricType::Summary, 0, false),
                };
                let identity = MetricIdentity {
                    metric,
                    metadata_blob: (!metric.metadata.is_empty())
                        .then(|| encode_repeated(&metric.metadata)),
                    metric_type,
                    temporality,
                    monotonic,
                };
                let envelope = (
                    service.as_str(),
                    resource_blob.as_slice(),
                    scope_blob.as_slice(),
                );
                match data {
                    metric::Data::Gauge(g) => {
                        for p in &g.data_points {
                            self.append_number(&identity, envelope_hash, envelope, p);
                        }
                    }
                    metric::Data::Sum(s) => {
                        for p in &s.data_points {
                            self.append_number(&identity, envelope_hash, envelope, p);
                        }
                    }
                    metric::Data::Histogram(h) => {
                        for p in h
                            .data_points
                            .iter()
                            .filter(|p| validate_histogram_point(p).is_ok())
                        {
                            self.append_histogram(&identity, envelope_hash, envelope, p);
                        }
                    }
                    metric::Data::ExponentialHistogram(e) => {
                        for p in &e.data_points {
                            self.append_exponential(&identity, envelope_hash, envelope, p);
                        }
                    }
                    metric::Data::Summary(s) => {
                        for p in &s.data_points {
                            self.append_summary(&identity, envelope_hash, envelope, p);
                        }
                    }
                }
            }
        }
    }

    fn append_common(
        &mut self,
        identity: &MetricIdentity<'_>,
        envelope_hash: u64,
        (service, resource, scope): (&str, &[u8], &[u8]),
        point: PointCommon<'_>,
    ) {
        let metric = identity.metric;
        self.name.append_value(&metric.name);
        self.description.append_value(&metric.description);
        self.unit.append_value(&metric.unit);
        match &identity.metadata_blob {
            Some(blob) => self.metadata.append_value(blob),
            None => self.metadata.append_null(),
        }
        self.metric_type.append_value(identity.metric_type as i32);
        self.temporality.append_value(identity.temporality);
        self.monotonic.append_value(identity.monotonic);
        self.series_id
            .append_value(series_id(envelope_hash, identity, point.attributes));
        self.start.append_value(point.start);
        self.time.append_value(point.time);
        self.flags.append_value(point.flags);
        if point.exemplars.is_empty() {
            self.exemplars.append_null();
        } else {
            self.exemplars
                .append_value(encode_repeated(point.exemplars));
        }
        self.envelope.append(service, resource, scope);
        self.attributes.append_row(point.attributes);
        self.min_time = self.min_time.min(point.time);
        self.max_time = self.max_time.max(point.time);
    }

    fn append_number(
        &mut self,
        identity: &MetricIdentity<'_>,
        envelope_hash: u64,
        envelope: (&str, &[u8], &[u8]),
        p: &NumberDataPoint,
    ) {
        self.append_common(identity, envelope_hash, envelope, p.common());
        match p.value {
            Some(number_data_point::Value::AsDouble(v)) => {
                self.value_double.append_value(v);
                self.value_int.append_null();
            }
            Some(number_data_point::Value::AsInt(v)) => {
                self.value_double.append_null();
                self.value_int.append_value(v);
            }
            None => {
                self.value_double.append_null();
                self.value_int.append_null();
            }
        }
        self.null_distribution_fields(true, true, true);
    }

    fn append_histogram(
        &mut self,
        identity: &MetricIdentity<'_>,
        envelope_hash: u64,
        envelope: (&str, &[u8], &[u8]),
        p: &HistogramDataPoint,
    ) {
        self.append_common(identity, envelope_hash, envelope, p.common());
        self.value_double.append_null();
        self.value_int.append_null();
        self.count.append_value(p.count);
        self.sum.append_option(p.sum);
        self.min.append_option(p.min);
        self.max.append_option(p.max);
        self.bucket_counts
            .append_value(p.bucket_counts.iter().map(|c| Some(*c)));
        self.explicit_bounds
            .append_value(p.explicit_bounds.iter().map(|b| Some(*b)));
        self.null_distribution_fields(false, true, true);
    }

    fn append_exponential(
        &mut self,
        identity: &MetricIdentity<'_>,
        envelope_hash: u64,
        envelope: (&str, &[u8], &[u8]),
        p: &ExponentialHistogramDataPoint,
    ) {
        self.append_common(identity, envelope_hash, envelope, p.common());
        self.value_double.append_null();
        self.value_int.append_null();
        self.count.append_value(p.count);
        self.sum.append_option(p.sum);
        self.min.append_option(p.min);
        self.max.append_option(p.max);
        self.null_distribution_fields(true, false, true);
        self.exp_scale.append_value(p.scale);
        self.exp_zero_count.append_value(p.zero_count);
        self.exp_zero_threshold.append_value(p.zero_threshold);
        for (offset, counts, buckets) in [
            (
                &mut self.exp_positive_offset,
                &mut self.exp_positive_counts,
                &p.positive,
            ),
            (
                &mut self.exp_negative_offset,
                &mut self.exp_negative_counts,
                &p.negative,
            ),
        ] {
            match buckets {
                Some(b) => {
                    offset.append_value(b.offset);
                    counts.append_value(b.bucket_counts.iter().map(|c| Some(*c)));
                }
                None => {
                    offset.append_null();
                    counts.append_null();
                }
            }
        }
    }

    fn append_summary(
        &mut self,
        identity: &MetricIdentity<'_>,
        envelope_hash: u64,
        envelope: (&str, &[u8], &[u8]),
        p: &SummaryDataPoint,
    ) {
        self.append_common(identity, envelope_hash, envelope, p.common());
        self.value_double.append_null();
        self.value_int.append_null();
        self.count.append_value(p.count);
        self.sum.append_value(p.sum);
        self.min.append_null();
        self.max.append_null();
        self.null_distribution_fields(true, true, false);
        self.quantiles
            .append_value(p.quantile_values.iter().map(|q| Some(q.quantile)));
        self.quantile_values
            .append_value(p.quantile_values.iter().map(|q| Some(q.value)));
    }

    /// Appends nulls to the histogram, exponential and summary field groups asked for (and to
    /// count/sum/min/max when all three are).
    fn null_distribution_fields(&mut self, histogram: bool, exponential: bool, summary: bool) {
        if histogram && exponential && summary {
            self.count.append_null();
            self.sum.append_null();
            self.min.append_null();
            self.max.append_null();
        }
        if histogram {
            self.bucket_counts.append_null();
            self.explicit_bounds.append_null();
        }
        if exponential {
            self.exp_scale.append_null();
            self.exp_zero_count.append_null();
            self.exp_zero_threshold.append_null();
            self.exp_positive_offset.append_null();
            self.exp_positive_counts.append_null();
            self.exp_negative_offset.append_null();
            self.exp_negative_counts.append_null();
        }
        if summary {
            self.quantiles.append_null();
            self.quantile_values.append_null();
        }
    }

    /// The finished batch and its time range; `None` when empty.
    pub fn finish(mut self) -> StorageResult<Option<(RecordBatch, (u64, u64))>> {
        if self.rows() == 0 {
            return Ok(None);
        }
        let fields = fixed_fields();
        let columns: Vec<ArrayRef> = vec![
            Arc::new(self.name.finish()),
            Arc::new(self.description.finish()),
            Arc::new(self.unit.finish()),
            Arc::new(self.metadata.finish()),
            Arc::new(self.metric_type.finish()),
            Arc::new(self.temporality.finish()),
            Arc::new(self.monotonic.finish()),
            Arc::new(self.series_id.finish()),
            Arc::new(self.start.finish()),
            Arc::new(self.time.finish()),
            Arc::new(self.flags.finish()),
            Arc::new(self.value_double.finish()),
            Arc::new(self.value_int.finish()),
            Arc::new(self.count.finish()),
            Arc::new(self.sum.finish()),
            Arc::new(self.min.finish()),
            Arc::new(self.max.finish()),
            Arc::new(self.bucket_counts.finish()),
            Arc::new(self.explicit_bounds.finish()),
            Arc::new(self.exp_scale.finish()),
            Arc::new(self.exp_zero_count.finish()),
            Arc::new(self.exp_zero_threshold.finish()),
            Arc::new(self.exp_positive_offset.finish()),
            Arc::new(self.exp_positive_counts.finish()),
            Arc::new(self.exp_negative_offset.finish()),
            Arc::new(self.exp_negative_counts.finish()),
            Arc::new(self.quantiles.finish()),
            Arc::new(self.quantile_values.finish()),
            Arc::new(self.exemplars.finish()),
        ];
        let batch = finish_batch(fields, columns, self.envelope, self.attributes)?;
        Ok(Some((batch, (self.min_time, self.max_time))))
    }
}

/// A hash of the resource and scope, the part of a series identity shared by a whole scope.
fn series_seed(resource_blob: &[u8], scope_blob: &[u8]) -> u64 {
    let mut hasher = xxhash_rust::xxh3::Xxh3::new();
    hasher.update(resource_blob);
    hasher.update(&[0xff]);
    hasher.update(scope_blob);
    hasher.digest()
}

/// The stream identity: resource, scope, metric name, unit, type, temporality, monotonicity and
/// the point attributes in key order.
fn series_id(seed: u64, identity: &MetricIdentity<'_>, attributes: &[KeyValue]) -> u64 {
    let mut hasher = xxhash_rust::xxh3::Xxh3::with_seed(seed);
    hasher.update(identity.metric.name.as_bytes());
    hasher.update(&[0xff]);
    hasher.update(identity.metric.unit.as_bytes());
    hasher.update(&[
        identity.metric_type as u8,
        identity.temporality as u8,
        identity.monotonic as u8,
    ]);
    let mut sorted: Vec<&KeyValue> = attributes.iter().collect();
    sorted.sort_by(|a, b| a.key.cmp(&b.key));
    for kv in sorted {
        hasher.update(&kv.encode_to_vec());
    }
    hasher.digest()
}
