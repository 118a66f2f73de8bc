//! The columns of a metrics batch that the conversion reads, with list columns as slices.

use arrow::array::{
    Array, BooleanArray, Float64Array, Int32Array, Int64Array, ListArray, UInt32Array, UInt64Array,
};
use arrow::record_batch::RecordBatch;
use sightline_storage::rows::attributes::AttributeColumns;
use sightline_storage::rows::columns::{EnvelopeColumns, TextColumn, typed};
use sightline_storage::rows::metrics::{MetricType, col};
use sightline_storage::{StorageError, StorageResult};

/// The columns that identify a stream: read only for streams the converter has not seen.
pub(super) struct IdentityColumns<'a> {
    pub(super) name: TextColumn<'a>,
    pub(super) unit: TextColumn<'a>,
    pub(super) metric_type: &'a Int32Array,
    pub(super) temporality: &'a Int32Array,
    pub(super) monotonic: &'a BooleanArray,
    pub(super) envelope: EnvelopeColumns<'a>,
    pub(super) attributes: AttributeColumns,
}

/// The columns of a metrics batch the conversion reads.
pub(super) struct Columns<'a> {
    /// `None` for a batch of [`POINT_COLUMNS`] only (streams must be known already).
    pub(super) identity: Option<IdentityColumns<'a>>,
    pub(super) series_id: &'a UInt64Array,
    pub(super) start: &'a UInt64Array,
    pub(super) time: &'a UInt64Array,
    pub(super) flags: &'a UInt32Array,
    pub(super) value_double: &'a Float64Array,
    pub(super) value_int: &'a Int64Array,
    pub(super) count: &'a UInt64Array,
    pub(super) sum: &'a Float64Array,
    pub(super) bucket_counts: U64List<'a>,
    pub(super) explicit_bounds: F64List<'a>,
    pub(super) exp_scale: &'a Int32Array,
    pub(super) exp_zero_count: &'a UInt64Array,
    pub(super) exp_zero_threshold: &'a Float64Array,
    pub(super) exp_positive_offset: &'a Int32Array,
    pub(super) exp_positive_counts: U64List<'a>,
    pub(super) exp_negative_offset: &'a Int32Array,
    pub(super) exp_negative_counts: U64List<'a>,
    pub(super) quantiles: F64List<'a>,
    pub(super) quantile_values: F64List<'a>,
}

/// The columns of a point besides its stream's identity: enough to convert the points of
/// streams a converter has already seen.
pub const POINT_COLUMNS: &[&str] = &[
    col::SERIES_ID,
    col::START_TIME,
    col::TIME,
    col::FLAGS,
    col::VALUE_DOUBLE,
    col::VALUE_INT,
    col::COUNT,
    col::SUM,
    col::BUCKET_COUNTS,
    col::EXPLICIT_BOUNDS,
    col::EXP_SCALE,
    col::EXP_ZERO_COUNT,
    col::EXP_ZERO_THRESHOLD,
    col::EXP_POSITIVE_OFFSET,
    col::EXP_POSITIVE_COUNTS,
    col::EXP_NEGATIVE_OFFSET,
    col::EXP_NEGATIVE_COUNTS,
    col::QUANTILES,
    col::QUANTILE_VALUES,
];

/// A list column with its child values as a slice.
pub(super) struct List<'a, T> {
    list: &'a ListArray,
    values: &'a [T],
}
pub(super) type U64List<'a> = List<'a, u64>;
pub(super) type F64List<'a> = List<'a, f64>;

impl<'a, T> List<'a, T> {
    pub(super) fn row(&self, row: usize) -> &'a [T] {
        if self.list.is_null(row) {
            return &[];
        }
        let offsets = self.list.value_offsets();
        let (start, end) = (offsets[row] as usize, offsets[row + 1] as usize);
        self.values.get(start..end).unwrap_or_default()
    }
}

fn u64_list<'a>(batch: &'a RecordBatch, name: &str) -> StorageResult<U64List<'a>> {
    let list: &ListArray = typed(batch, name)?;
    let values = list.values().as_any().downcast_ref::<UInt64Array>();
    let values = values.ok_or_else(|| StorageError::corrupt("metrics batch", name.to_string()))?;
    Ok(List {
        list,
        values: values.values(),
    })
}

fn f64_list<'a>(batch: &'a RecordBatch, name: &str) -> StorageResult<F64List<'a>> {
    let list: &ListArray = typed(batch, name)?;
    let values = list.values().as_any().downcast_ref::<Float64Array>();
    let values = values.ok_or_else(|| StorageError::corrupt("metrics batch", name.to_string()))?;
    Ok(List {
        list,
        values: values.values(),
    })
}

impl<'a> Columns<'a> {
    pub(super) fn new(batch: &'a RecordBatch) -> StorageResult<Self> {
        let identity = match batch.schema_ref().index_of(col::NAME) {
            Err(_) => None,
            Ok(_) => Some(IdentityColumns {
                name: TextColumn::new(batch, col::NAME)?,
                unit: TextColumn::new(batch, col::UNIT)?,
                metric_type: typed(batch, col::TYPE)?,
                temporality: typed(batch, col::TEMPORALITY)?,
                monotonic: typed(batch, col::MONOTONIC)?,
                envelope: EnvelopeColumns::new(batch)?,
                attributes: AttributeColumns::of_batch(batch),
            }),
        };
        Ok(Self {
            identity,
            series_id: typed(batch, col::SERIES_ID)?,
            start: typed(batch, col::START_TIME)?,
            time: typed(batch, col::TIME)?,
            flags: typed(batch, col::FLAGS)?,
            value_double: typed(batch, col::VALUE_DOUBLE)?,
            value_int: typed(batch, col::VALUE_INT)?,
            count: typed(batch, col::COUNT)?,
            sum: typed(batch, col::SUM)?,
            bucket_counts: u64_list(batch, col::BUCKET_COUNTS)?,
            explicit_bounds: f64_list(batch, col::EXPLICIT_BOUNDS)?,
            exp_scale: typed(batch, col::EXP_SCALE)?,
            exp_zero_count: typed(batch, col::EXP_ZERO_COUNT)?,
            exp_zero_threshold: typed(batch, col::EXP_ZERO_THRESHOLD)?,
            exp_positive_offset: typed(batch, col::EXP_POSITIVE_OFFSET)?,
            exp_positive_counts: u64_list(batch, col::EXP_POSITIVE_COUNTS)?,
            exp_negative_offset: typed(batch, col::EXP_NEGATIVE_OFFSET)?,
            exp_negative_counts: u64_list(batch, col::EXP_NEGATIVE_COUNTS)?,
            quantiles: f64_list(batch, col::QUANTILES)?,
            quantile_values: f64_list(batch, col::QUANTILE_VALUES)?,
        })
    }

    /// Classic cumulative buckets `(le, count)` of a histogram or exponential histogram row,
    /// ending with `+Inf`, into `out`.
    pub(super) fn buckets(&self, row: usize, metric_type: MetricType, out: &mut Vec<(f64, u64)>) {
        out.clear();
        let mut cumulative = 0u64;
        if metric_type == MetricType::Histogram {
            let bounds = self.explicit_bounds.row(row);
            for (count, bound) in self.bucket_counts.row(row).iter().zip(bounds) {
                cumulative += count;
                out.push((*bound, cumulative));
            }
        } else {
            let scale = self.exp_scale.value(row);
            let upper = |index: i64| ((index as f64) * (-f64::from(scale)).exp2()).exp2();
            let negative = self.exp_negative_counts.row(row);
            if self.exp_negative_offset.is_valid(row) {
                let offset = i64::from(self.exp_negative_offset.value(row));
                for (k, count) in negative.iter().enumerate().rev() {
                    cumulative += count;
                    out.push((-upper(offset + k as i64), cumulative));
                }
            }
            let zero = self.exp_zero_count.value(row);
            if zero > 0 || !out.is_empty() {
                cumulative += zero;
                out.push((self.exp_zero_threshold.value(row), cumulative));
            }
            if self.exp_positive_offset.is_valid(row) {
                let offset = i64::from(self.exp_positive_offset.value(row));
                for (k, count) in self.exp_positive_counts.row(row).iter().enumerate() {
                    cumulative += count;
                    out.push((upper(offset + k as i64 + 1), cumulative));
                }
            }
        }
        out.retain(|(bound, _)| *bound != f64::INFINITY);
        out.push((f64::INFINITY, self.count.value(row)));
    }
}
