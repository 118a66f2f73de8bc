//! Metric data points as rows: the metrics schema, OTLP `ResourceMetrics` -> Arrow, and back.
//!
//! One row per data point of any of the five OTLP point types. Each row repeats its metric's
//! identity (name, description, unit, metadata, type, temporality, monotonicity; dictionary
//! encoded) and carries a `series_id`: a hash of everything that identifies the stream
//! (metric identity, resource, scope and point attributes). Type-specific fields are nullable
//! columns; histogram buckets and summary quantiles are list columns; exemplars are a protobuf
//! blob.

use std::sync::Arc;

use arrow::array::{
    Array, ArrayRef, BinaryArray, BinaryBuilder, BooleanArray, BooleanBuilder, Float64Array,
    Float64Builder, Int32Array, Int32Builder, Int64Array, Int64Builder, ListArray, ListBuilder,
    StringDictionaryBuilder, UInt32Array, UInt32Builder, UInt64Array, UInt64Builder,
};
use arrow::datatypes::{DataType, Field, Int32Type, Schema};
use arrow::record_batch::RecordBatch;
use prost::Message;
use sightline_proto::otlp::common::v1::KeyValue;
use sightline_proto::otlp::metrics::v1::{
    ExponentialHistogramDataPoint, HistogramDataPoint, Metric, NumberDataPoint, ResourceMetrics,
    SummaryDataPoint, metric, number_data_point,
};

use super::attributes::{AttributeColumns, AttributeColumnsBuilder};
use super::blobs::{ExemplarList, KeyValueBlob, encode_repeated, encode_resource, encode_scope};
use super::columns::{
    EnvelopeColumns, EnvelopeColumnsBuilder, TextColumn, dictionary_utf8_field, service_name_of,
    typed,
};
use super::spans::optional_blob;
use crate::error::{StorageError, StorageResult};

mod assemble;
pub use assemble::{MetricPointRow, assemble_resource_metrics, points_at};

/// Column names of the metrics schema.
pub mod col {
    /// Dictionary Utf8.
    pub const NAME: &str = "metric_name";
    /// Dictionary Utf8.
    pub const DESCRIPTION: &str = "metric_description";
    /// Dictionary Utf8.
    pub const UNIT: &str = "metric_unit";
    /// Binary (encoded key/values), null when empty.
    pub const METADATA: &str = "metric_metadata";
    /// Int32: 1 gauge, 2 sum, 3 histogram, 4 exponential histogram, 5 summary.
    pub const TYPE: &str = "metric_type";
    /// Int32 (`AggregationTemporality`; 0 for gauges and summaries).
    pub const TEMPORALITY: &str = "aggregation_temporality";
    /// Boolean (sums only; false otherwise).
    pub const MONOTONIC: &str = "is_monotonic";
    /// UInt64 stream identity hash.
    pub const SERIES_ID: &str = "series_id";
    /// UInt64.
    pub const START_TIME: &str = "start_time_unix_nano";
    /// UInt64.
    pub const TIME: &str = "time_unix_nano";
    /// UInt32 (`DataPointFlags`).
    pub const FLAGS: &str = "flags";
    /// Float64: `as_double` of gauge/sum points.
    pub const VALUE_DOUBLE: &str = "value_double";
    /// Int64: `as_int` of gauge/sum points.
    pub const VALUE_INT: &str = "value_int";
    /// UInt64: histogram, exponential histogram and summary count.
    pub const COUNT: &str = "count";
    /// Float64: sum (null when a histogram omits it).
    pub const SUM: &str = "sum";
    /// Float64.
    pub const MIN: &str = "min";
    /// Float64.
    pub const MAX: &str = "max";
    /// List<UInt64>.
    pub const BUCKET_COUNTS: &str = "bucket_counts";
    /// List<Float64>.
    pub const EXPLICIT_BOUNDS: &str = "explicit_bounds";
    /// Int32.
    pub const EXP_SCALE: &str = "exp_scale";
    /// UInt64.
    pub const EXP_ZERO_COUNT: &str = "exp_zero_count";
    /// Float64.
    pub const EXP_ZERO_THRESHOLD: &str = "exp_zero_threshold";
    /// Int32, null when there is no positive bucket range.
    pub const EXP_POSITIVE_OFFSET: &str = "exp_positive_offset";
    /// List<UInt64>.
    pub const EXP_POSITIVE_COUNTS: &str = "exp_positive_counts";
    /// Int32, null when there is no negative bucket range.
    pub const EXP_NEGATIVE_OFFSET: &str = "exp_negative_offset";
    /// List<UInt64>.
    pub const EXP_NEGATIVE_COUNTS: &str = "exp_negative_counts";
    /// List<Float64>: summary quantiles.
    pub const QUANTILES: &str = "quantiles";
    /// List<Float64>: summary quantile values.
    pub const QUANTILE_VALUES: &str = "quantile_values";
    /// Binary (encoded exemplars), null when there are none.
    pub const EXEMPLARS: &str = "exemplars";
}

/// The OTLP metric point type, as stored in `metric_type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MetricType {
    /// Gauge.
    Gauge = 1,
    /// Sum.
    Sum = 2,
    /// Explicit-bucket histogram.
    Histogram = 3,
    /// Exponential histogram.
    ExponentialHistogram = 4,
    /// Summary.
    Summary = 5,
}

impl MetricType {
    /// Parses the stored code.
    pub fn from_code(code: i32) -> Option<Self> {
        Some(match code {
            1 => MetricType::Gauge,
            2 => MetricType::Sum,
            3 => MetricType::Histogram,
            4 => MetricType::ExponentialHistogram,
            5 => MetricType::Summary,
            _ => return None,
        })
    }
}

/// Why a metric's points cannot be stored (checked per metric, so all its points share it).
pub fn validate_histogram_point(point: &HistogramDataPoint) -> Result<(), &'static str> {
    if !(point.bucket_counts.is_empty() && point.explicit_bounds.is_empty())
        && point.bucket_counts.len() != point.explicit_bounds.len() + 1
    {
        return Err("histogram bucket_counts must have one more entry than explicit_bounds");
    }
    Ok(())
}

/// The number of data points in a metric.
pub fn point_count(metric: &Metric) -> usize {
    match &metric.data {
        Some(metric::Data::Gauge(g)) => g.data_points.len(),
        Some(metric::Data::Sum(s)) => s.data_points.len(),
        Some(metric::Data::Histogram(h)) => h.data_points.len(),
        Some(metric::Data::ExponentialHistogram(e)) => e.data_points.len(),
        Some(metric::Data::Summary(s)) => s.data_points.len(),
        None => 0,
    }
}

/// The fixed (non-attribute) fields of the metrics schema, in column order.
pub fn fixed_fields() -> Vec<Field> {
    let list_u64 = || DataType::List(Arc::new(Field::new_list_field(DataType::UInt64, true)));
    let list_f64 = || DataType::List(Arc::new(Field::new_list_field(DataType::Float64, true)));
    vec![
        dictionary_utf8_field(col::NAME, false),
        dictionary_utf8_field(col::DESCRIPTION, false),
        dictionary_utf8_field(col::UNIT, false),
        Field::new(col::METADATA, DataType::Binary, true),
        Field::new(col::TYPE, DataType::Int32, false),
        Field::new(col::TEMPORALITY, DataType::Int32, false),
        Field::new(col::MONOTONIC, DataType::Boolean, false),
        Field::new(col::SERIES_ID, DataType::UInt64, false),
        Field::new(col::START_TIME, DataType::UInt64, false),
        Field::new(col::TIME, DataType::UInt64, false),
        Field::new(col::FLAGS, DataType::UInt32, false),
        Field::new(col::VALUE_DOUBLE, DataType::Float64, true),
        Field::new(col::VALUE_INT, DataType::Int64, true),
        Field::new(col::COUNT, DataType::UInt64, true),
        Field::new(col::SUM, DataType::Float64, true),
        Field::new(col::MIN, DataType::Float64, true),
        Field::new(col::MAX, DataType::Float64, true),
        Field::new(col::BUCKET_COUNTS, list_u64(), true),
        Field::new(col::EXPLICIT_BOUNDS, list_f64(), true),
        Field::new(col::EXP_SCALE, DataType::Int32, true),
        Field::new(col::EXP_ZERO_COUNT, DataType::UInt64, true),
        Field::new(col::EXP_ZERO_THRESHOLD, DataType::Float64, true),
        Field::new(col::EXP_POSITIVE_OFFSET, DataType::Int32, true),
        Field::new(col::EXP_POSITIVE_COUNTS, list_u64(), true),
        Field::new(col::EXP_NEGATIVE_OFFSET, DataType::Int32, true),
        Field::new(col::EXP_NEGATIVE_COUNTS, list_u64(), true),
        Field::new(col::QUANTILES, list_f64(), true),
        Field::new(col::QUANTILE_VALUES, list_f64(), true),
        Field::new(col::EXEMPLARS, DataType::Binary, true),
    ]
}

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

/// The per-point fields common to all point types.
struct PointCommon<'a> {
    attributes: &'a [KeyValue],
    start: u64,
    time: u64,
    flags: u32,
    exemplars: &'a [sightline_proto::otlp::metrics::v1::Exemplar],
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
        let common = PointCommon {
            attributes: &p.attributes,
            start: p.start_time_unix_nano,
            time: p.time_unix_nano,
            flags: p.flags,
            exemplars: &p.exemplars,
        };
        self.append_common(identity, envelope_hash, envelope, common);
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
        let common = PointCommon {
            attributes: &p.attributes,
            start: p.start_time_unix_nano,
            time: p.time_unix_nano,
            flags: p.flags,
            exemplars: &p.exemplars,
        };
        self.append_common(identity, envelope_hash, envelope, common);
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
        let common = PointCommon {
            attributes: &p.attributes,
            start: p.start_time_unix_nano,
            time: p.time_unix_nano,
            flags: p.flags,
            exemplars: &p.exemplars,
        };
        self.append_common(identity, envelope_hash, envelope, common);
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
        let common = PointCommon {
            attributes: &p.attributes,
            start: p.start_time_unix_nano,
            time: p.time_unix_nano,
            flags: p.flags,
            exemplars: &[],
        };
        self.append_common(identity, envelope_hash, envelope, common);
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
        let mut fields = fixed_fields();
        let mut columns: Vec<ArrayRef> = vec![
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
        for (field, array) in self
            .envelope
            .finish()
            .into_iter()
            .chain(self.attributes.finish())
        {
            fields.push(field);
            columns.push(array);
        }
        // List builders produce fields named "item"; align them with the declared schema.
        let schema = Arc::new(Schema::new(fields));
        let columns = columns
            .into_iter()
            .zip(schema.fields())
            .map(|(array, field)| align_list_field(array, field.data_type()))
            .collect::<StorageResult<Vec<_>>>()?;
        let batch = RecordBatch::try_new(schema, columns)?;
        Ok(Some((batch, (self.min_time, self.max_time))))
    }
}

fn align_list_field(array: ArrayRef, data_type: &DataType) -> StorageResult<ArrayRef> {
    if array.data_type() == data_type {
        return Ok(array);
    }
    Ok(arrow::compute::cast(&array, data_type)?)
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

/// Typed views of a metrics batch's columns.
pub struct MetricColumns<'a> {
    name: TextColumn<'a>,
    description: TextColumn<'a>,
    unit: TextColumn<'a>,
    metadata: &'a BinaryArray,
    metric_type: &'a Int32Array,
    temporality: &'a Int32Array,
    monotonic: &'a BooleanArray,
    /// `series_id`.
    pub series_id: &'a UInt64Array,
    start: &'a UInt64Array,
    /// `time_unix_nano`.
    pub time: &'a UInt64Array,
    flags: &'a UInt32Array,
    value_double: &'a Float64Array,
    value_int: &'a Int64Array,
    count: &'a UInt64Array,
    sum: &'a Float64Array,
    min: &'a Float64Array,
    max: &'a Float64Array,
    bucket_counts: &'a ListArray,
    explicit_bounds: &'a ListArray,
    exp_scale: &'a Int32Array,
    exp_zero_count: &'a UInt64Array,
    exp_zero_threshold: &'a Float64Array,
    exp_positive_offset: &'a Int32Array,
    exp_positive_counts: &'a ListArray,
    exp_negative_offset: &'a Int32Array,
    exp_negative_counts: &'a ListArray,
    quantiles: &'a ListArray,
    quantile_values: &'a ListArray,
    exemplars: &'a BinaryArray,
    /// Service name, resource and scope.
    pub envelope: EnvelopeColumns<'a>,
    attributes: AttributeColumns,
}

impl<'a> MetricColumns<'a> {
    /// Finds the metric columns of `batch`.
    pub fn new(batch: &'a RecordBatch) -> StorageResult<Self> {
        Ok(Self {
            name: TextColumn::new(batch, col::NAME)?,
            description: TextColumn::new(batch, col::DESCRIPTION)?,
            unit: TextColumn::new(batch, col::UNIT)?,
            metadata: typed(batch, col::METADATA)?,
            metric_type: typed(batch, col::TYPE)?,
            temporality: typed(batch, col::TEMPORALITY)?,
            monotonic: typed(batch, col::MONOTONIC)?,
            series_id: typed(batch, col::SERIES_ID)?,
            start: typed(batch, col::START_TIME)?,
            time: typed(batch, col::TIME)?,
            flags: typed(batch, col::FLAGS)?,
            value_double: typed(batch, col::VALUE_DOUBLE)?,
            value_int: typed(batch, col::VALUE_INT)?,
            count: typed(batch, col::COUNT)?,
            sum: typed(batch, col::SUM)?,
            min: typed(batch, col::MIN)?,
            max: typed(batch, col::MAX)?,
            bucket_counts: typed(batch, col::BUCKET_COUNTS)?,
            explicit_bounds: typed(batch, col::EXPLICIT_BOUNDS)?,
            exp_scale: typed(batch, col::EXP_SCALE)?,
            exp_zero_count: typed(batch, col::EXP_ZERO_COUNT)?,
            exp_zero_threshold: typed(batch, col::EXP_ZERO_THRESHOLD)?,
            exp_positive_offset: typed(batch, col::EXP_POSITIVE_OFFSET)?,
            exp_positive_counts: typed(batch, col::EXP_POSITIVE_COUNTS)?,
            exp_negative_offset: typed(batch, col::EXP_NEGATIVE_OFFSET)?,
            exp_negative_counts: typed(batch, col::EXP_NEGATIVE_COUNTS)?,
            quantiles: typed(batch, col::QUANTILES)?,
            quantile_values: typed(batch, col::QUANTILE_VALUES)?,
            exemplars: typed(batch, col::EXEMPLARS)?,
            envelope: EnvelopeColumns::new(batch)?,
            attributes: AttributeColumns::from_columns(
                batch
                    .schema_ref()
                    .fields()
                    .iter()
                    .map(|f| f.as_ref())
                    .zip(batch.columns()),
            ),
        })
    }

    fn metric_type(&self, row: usize) -> StorageResult<MetricType> {
        let code = self.metric_type.value(row);
        MetricType::from_code(code).ok_or_else(|| {
            StorageError::corrupt("metrics batch", format!("unknown metric type {code}"))
        })
    }

    fn exemplars(
        &self,
        row: usize,
    ) -> StorageResult<Vec<sightline_proto::otlp::metrics::v1::Exemplar>> {
        Ok(match optional_blob(self.exemplars, row) {
            Some(bytes) => ExemplarList::decode(bytes)?.exemplars,
            None => Vec::new(),
        })
    }

    fn metadata(&self, row: usize) -> StorageResult<Vec<KeyValue>> {
        Ok(match optional_blob(self.metadata, row) {
            Some(bytes) => KeyValueBlob::decode(bytes)?.values,
            None => Vec::new(),
        })
    }
}

fn u64_list(array: &ListArray, row: usize) -> Vec<u64> {
    if array.is_null(row) {
        return Vec::new();
    }
    let values = array.value(row);
    values
        .as_any()
        .downcast_ref::<UInt64Array>()
        .map(|a| a.values().to_vec())
        .unwrap_or_default()
}

fn f64_list(array: &ListArray, row: usize) -> Vec<f64> {
    if array.is_null(row) {
        return Vec::new();
    }
    let values = array.value(row);
    values
        .as_any()
        .downcast_ref::<Float64Array>()
        .map(|a| a.values().to_vec())
        .unwrap_or_default()
}

fn optional_f64(array: &Float64Array, row: usize) -> Option<f64> {
    array.is_valid(row).then(|| array.value(row))
}
