//! Reading metric rows back: typed views of a metrics batch's columns.

use arrow::array::{
    Array, BinaryArray, BooleanArray, Float64Array, Int32Array, Int64Array, ListArray, UInt32Array,
    UInt64Array,
};
use arrow::record_batch::RecordBatch;
use prost::Message;
use sightline_proto::otlp::common::v1::KeyValue;
use sightline_proto::otlp::metrics::v1::Exemplar;

use super::{MetricType, col};
use crate::error::{StorageError, StorageResult};
use crate::rows::attributes::AttributeColumns;
use crate::rows::blobs::{ExemplarList, KeyValueBlob};
use crate::rows::columns::{EnvelopeColumns, TextColumn, typed};
use crate::rows::spans::optional_blob;

/// Typed views of a metrics batch's columns.
pub struct MetricColumns<'a> {
    pub(crate) name: TextColumn<'a>,
    pub(crate) description: TextColumn<'a>,
    pub(crate) unit: TextColumn<'a>,
    pub(crate) metadata: &'a BinaryArray,
    pub(crate) metric_type: &'a Int32Array,
    pub(crate) temporality: &'a Int32Array,
    pub(crate) monotonic: &'a BooleanArray,
    /// `series_id`.
    pub series_id: &'a UInt64Array,
    pub(crate) start: &'a UInt64Array,
    /// `time_unix_nano`.
    pub time: &'a UInt64Array,
    pub(crate) flags: &'a UInt32Array,
    pub(crate) value_double: &'a Float64Array,
    pub(crate) value_int: &'a Int64Array,
    pub(crate) count: &'a UInt64Array,
    pub(crate) sum: &'a Float64Array,
    pub(crate) min: &'a Float64Array,
    pub(crate) max: &'a Float64Array,
    pub(crate) bucket_counts: &'a ListArray,
    pub(crate) explicit_bounds: &'a ListArray,
    pub(crate) exp_scale: &'a Int32Array,
    pub(crate) exp_zero_count: &'a UInt64Array,
    pub(crate) exp_zero_threshold: &'a Float64Array,
    pub(crate) exp_positive_offset: &'a Int32Array,
    pub(crate) exp_positive_counts: &'a ListArray,
    pub(crate) exp_negative_offset: &'a Int32Array,
    pub(crate) exp_negative_counts: &'a ListArray,
    pub(crate) quantiles: &'a ListArray,
    pub(crate) quantile_values: &'a ListArray,
    pub(crate) exemplars: &'a BinaryArray,
    /// Service name, resource and scope.
    pub envelope: EnvelopeColumns<'a>,
    pub(crate) attributes: AttributeColumns,
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
            attributes: AttributeColumns::of_batch(batch),
        })
    }

    pub(crate) fn metric_type(&self, row: usize) -> StorageResult<MetricType> {
        let code = self.metric_type.value(row);
        MetricType::from_code(code).ok_or_else(|| {
            StorageError::corrupt("metrics batch", format!("unknown metric type {code}"))
        })
    }

    pub(crate) fn exemplars(&self, row: usize) -> StorageResult<Vec<Exemplar>> {
        Ok(match optional_blob(self.exemplars, row) {
            Some(bytes) => ExemplarList::decode(bytes)?.exemplars,
            None => Vec::new(),
        })
    }

    pub(crate) fn metadata(&self, row: usize) -> StorageResult<Vec<KeyValue>> {
        Ok(match optional_blob(self.metadata, row) {
            Some(bytes) => KeyValueBlob::decode(bytes)?.values,
            None => Vec::new(),
        })
    }
}

pub(crate) fn u64_list(array: &ListArray, row: usize) -> Vec<u64> {
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

pub(crate) fn f64_list(array: &ListArray, row: usize) -> Vec<f64> {
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

pub(crate) fn optional_f64(array: &Float64Array, row: usize) -> Option<f64> {
    array.is_valid(row).then(|| array.value(row))
}
