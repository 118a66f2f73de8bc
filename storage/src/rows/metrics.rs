//! Metric data points as rows: the metrics schema, OTLP `ResourceMetrics` -> Arrow, and back.
//!
//! One row per data point of any of the five OTLP point types. Each row repeats its metric's
//! identity (name, description, unit, metadata, type, temporality, monotonicity; dictionary
//! encoded) and carries a `series_id`: a hash of everything that identifies the stream
//! (metric identity, resource, scope and point attributes). Type-specific fields are nullable
//! columns; histogram buckets and summary quantiles are list columns; exemplars are a protobuf
//! blob.

use std::sync::Arc;

use arrow::datatypes::{DataType, Field};
use sightline_proto::otlp::metrics::v1::{HistogramDataPoint, Metric, metric};

use super::columns::dictionary_utf8_field;

mod assemble;
mod build;
mod read;
pub use assemble::{MetricPointRow, assemble_resource_metrics, points_at};
pub use build::MetricBatchBuilder;
pub use read::MetricColumns;

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
