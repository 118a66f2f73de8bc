//! Stored metric rows -> Prometheus series and samples.
//!
//! Each stored data point (one row of the metrics schema) becomes one or more samples:
//! - gauges and sums: one sample (`as_double` or `as_int`) under the name of
//!   [`naming::metric_name`] (`_total` for monotonic sums);
//! - histograms: `_bucket{le}` per bound with cumulative counts and a final `le="+Inf"` equal to
//!   the count, `_sum` (when the point has one) and `_count`;
//! - exponential histograms: the same classic form. Bucket `i` at scale `s` covers
//!   `(2^(i·2^-s), 2^((i+1)·2^-s)]`, so each populated positive bucket becomes `le` = its upper
//!   bound; negative buckets (most negative first) become `le` = `-2^(i·2^-s)`, the zero bucket
//!   `le` = the zero threshold (emitted when it or a negative bucket holds values), then
//!   `+Inf` = count. Prometheus would ingest these as native histograms; the classic form keeps
//!   `histogram_quantile` over `_bucket` working for every histogram, at the cost of bucket
//!   series that change when the scale or offset does;
//! - summaries: one sample per quantile with a `quantile` label, `_sum` and `_count`;
//! - a point flagged `NO_RECORDED_VALUE`: the Prometheus staleness marker ([`STALE_NAN_BITS`])
//!   on every series the point would have produced (its bucket layout may be empty, so
//!   [`PromSample::stream_id`] lets an evaluator end every series of the stream);
//! - per resource with attributes besides its identity: `target_info` = 1 at each distinct time
//!   of its points.
//!
//! Labels are the point attributes ([`naming::labels_of`]), `otel_scope_name` /
//! `otel_scope_version`, and `job` / `instance` from the resource (a point attribute with the
//! same name is kept as `exported_job` / `exported_instance`). `_created` series are not
//! produced (start times are on every sample instead). Delta sums and histograms keep their
//! values as deltas: [`PromSeries::temporality`] tells the evaluator not to treat them as
//! counters.
//!
//! Names and labels are built once per stream (`series_id`) and shared through [`Arc`]s, so the
//! per-point cost is reading the columns and calling the visitor.

use std::collections::hash_map::Entry;
use std::sync::Arc;

use arrow::array::{Array, BinaryArray};
use arrow::record_batch::RecordBatch;
use prost::Message;
use rustc_hash::{FxHashMap, FxHashSet};
use sightline_proto::otlp::metrics::v1::exemplar;
use sightline_storage::rows::blobs::{ExemplarList, decode_resource, decode_scope};
use sightline_storage::rows::columns::typed;
use sightline_storage::rows::metrics::{MetricType, col};
use sightline_storage::{StorageError, StorageResult};

use super::naming::{self, MetricKind};
use columns::Columns;
pub(crate) use list::{KeepCache, wanted_batches};
pub use list::{Point, SeriesSamples, list_series, list_series_names_where, list_series_where};

mod columns;
#[cfg(test)]
mod index_tests;
mod list;
#[cfg(test)]
mod tests;

/// The bit pattern of Prometheus' staleness marker (a NaN no computation produces).
pub const STALE_NAN_BITS: u64 = 0x7ff0_0000_0000_0002;
/// `DataPointFlags.FLAG_NO_RECORDED_VALUE_MASK`.
pub const FLAG_NO_RECORDED_VALUE: u32 = 1;

/// The staleness marker as a value.
pub fn stale_nan() -> f64 {
    f64::from_bits(STALE_NAN_BITS)
}

/// Whether `value` is the staleness marker (not any NaN).
pub fn is_stale(value: f64) -> bool {
    value.to_bits() == STALE_NAN_BITS
}

/// How a series' values relate to time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Temporality {
    /// Gauges, summaries, `target_info`: values stand alone.
    Unspecified,
    /// Each value covers the time since the stream's start: a Prometheus counter.
    Cumulative,
    /// Each value covers only the time since the previous point: not a counter.
    Delta,
}

impl Temporality {
    /// From the stored `aggregation_temporality` code.
    pub fn from_code(code: i32) -> Self {
        match code {
            1 => Temporality::Delta,
            2 => Temporality::Cumulative,
            _ => Temporality::Unspecified,
        }
    }
}

/// What a Prometheus series holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SeriesKind {
    /// A gauge or non-monotonic sum.
    Gauge,
    /// A monotonic sum.
    Counter,
    /// A histogram's `_bucket{le}` (cumulative count up to `le`).
    HistogramBucket,
    /// A histogram's `_sum`.
    HistogramSum,
    /// A histogram's `_count`.
    HistogramCount,
    /// A summary's `{quantile}`.
    SummaryQuantile,
    /// A summary's `_sum`.
    SummarySum,
    /// A summary's `_count`.
    SummaryCount,
    /// `target_info` (always 1).
    Info,
}

/// One Prometheus series: name and labels (sorted by name, without `__name__`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PromSeries {
    /// The metric name (`__name__`).
    pub name: String,
    /// The other labels, sorted by name, no empty values.
    pub labels: Vec<(String, String)>,
    /// What the values mean.
    pub kind: SeriesKind,
    /// Cumulative, delta, or neither.
    pub temporality: Temporality,
}

impl PromSeries {
    /// The value of label `name` (`__name__` included), if present.
    pub fn label(&self, name: &str) -> Option<&str> {
        if name == naming::METRIC_NAME_LABEL {
            return Some(&self.name);
        }
        self.labels
            .binary_search_by(|(n, _)| n.as_str().cmp(name))
            .ok()
            .map(|i| self.labels[i].1.as_str())
    }

    fn derived(&self, suffix: &str, extra: Option<(&str, String)>, kind: SeriesKind) -> Arc<Self> {
        let mut labels = self.labels.clone();
        if let Some((name, value)) = extra {
            labels.retain(|(n, _)| n != name);
            labels.push((name.to_string(), value));
            labels.sort();
        }
        Arc::new(PromSeries {
            name: format!("{}{suffix}", self.name),
            labels,
            kind,
            temporality: self.temporality,
        })
    }
}

/// One sample, borrowed from the converter for the duration of the visit.
#[derive(Debug, Clone, Copy)]
pub struct PromSample<'a> {
    /// The series (clone the `Arc` to keep it).
    pub series: &'a Arc<PromSeries>,
    /// The OTLP stream (`series_id`) it came from; 0 for `target_info`.
    pub stream_id: u64,
    /// The point's start time (unix ns; 0 when unknown), the interval of a delta.
    pub start_time_ns: u64,
    /// The point's time, unix ns.
    pub time_ns: u64,
    /// The value; [`is_stale`] for a staleness marker.
    pub value: f64,
}

/// An exemplar of a histogram or monotonic sum point, for `/api/v1/query_exemplars`.
#[derive(Debug, Clone, PartialEq)]
pub struct PromExemplar {
    /// The series it belongs to (for histograms the `_bucket` whose `le` it falls under).
    pub series: Arc<PromSeries>,
    /// Trace id, lowercase hex, empty when absent.
    pub trace_id: String,
    /// Span id, lowercase hex, empty when absent.
    pub span_id: String,
    /// The measurement.
    pub value: f64,
    /// When it was measured, unix ns.
    pub time_ns: u64,
    /// `filtered_attributes` as labels.
    pub labels: Vec<(String, String)>,
}

#[derive(Debug)]
struct ResourceInfo {
    index: usize,
    job: Option<String>,
    instance: Option<String>,
    target_info: Option<Arc<PromSeries>>,
}

/// The series of one OTLP stream, built on its first point.
#[derive(Debug)]
struct Stream {
    metric_type: MetricType,
    /// Gauge/counter series, or the family (name with unit) of histograms and summaries.
    base: Arc<PromSeries>,
    sum: Arc<PromSeries>,
    count: Arc<PromSeries>,
    /// `_bucket` / quantile series by the bits of their bound.
    by_bound: FxHashMap<u64, Arc<PromSeries>>,
    resource: Arc<ResourceInfo>,
}

impl Stream {
    /// Calls `emit` with each series and value the point at `row` yields (values of a stale
    /// point are meaningless: the caller replaces them).
    fn emit_point(
        &mut self,
        c: &Columns<'_>,
        row: usize,
        stale: bool,
        buckets: &mut Vec<(f64, u64)>,
        emit: &mut impl FnMut(&Arc<PromSeries>, f64),
    ) {
        match self.metric_type {
            MetricType::Gauge | MetricType::Sum => {
                let value = if c.value_double.is_valid(row) {
                    Some(c.value_double.value(row))
                } else if c.value_int.is_valid(row) {
                    Some(c.value_int.value(row) as f64)
                } else {
                    None
                };
                if let Some(value) = value.or(stale.then_some(0.0)) {
                    emit(&self.base, value);
                }
            }
            MetricType::Histogram | MetricType::ExponentialHistogram => {
                c.buckets(row, self.metric_type, buckets);
                for &(bound, count) in buckets.iter() {
                    emit(self.bound(bound), count as f64);
                }
                if c.sum.is_valid(row) || stale {
                    emit(&self.sum, c.sum.value(row));
                }
                emit(&self.count, c.count.value(row) as f64);
            }
            MetricType::Summary => {
                let values = c.quantile_values.row(row);
                for (q, value) in c.quantiles.row(row).iter().zip(values) {
                    emit(self.bound(*q), *value);
                }
                emit(&self.sum, c.sum.value(row));
                emit(&self.count, c.count.value(row) as f64);
            }
        }
    }

    fn bound(&mut self, bound: f64) -> &Arc<PromSeries> {
        let (suffix, label, kind) = match self.metric_type {
            MetricType::Summary => ("", naming::QUANTILE, SeriesKind::SummaryQuantile),
            _ => ("_bucket", naming::LE, SeriesKind::HistogramBucket),
        };
        let base = &self.base;
        self.by_bound.entry(bound.to_bits()).or_insert_with(|| {
            base.derived(suffix, Some((label, naming::float_label(bound))), kind)
        })
    }
}

/// Converts metric batches to Prometheus samples, caching each stream's series across batches.
#[derive(Debug, Default)]
pub struct SampleConverter {
    streams: FxHashMap<u64, Stream>,
    resources: FxHashMap<Vec<u8>, Arc<ResourceInfo>>,
    target_info_sent: FxHashSet<(usize, u64)>,
    buckets: Vec<(f64, u64)>,
}

impl SampleConverter {
    /// An empty converter.
    pub fn new() -> Self {
        Self::default()
    }

    fn stream<'s>(
        streams: &'s mut FxHashMap<u64, Stream>,
        resources: &mut FxHashMap<Vec<u8>, Arc<ResourceInfo>>,
        c: &Columns<'_>,
        row: usize,
    ) -> StorageResult<&'s mut Stream> {
        let id = c.series_id.value(row);
        let vacant = match streams.entry(id) {
            Entry::Occupied(entry) => return Ok(entry.into_mut()),
            Entry::Vacant(vacant) => vacant,
        };
        let c = c.identity.as_ref().ok_or_else(|| {
            StorageError::corrupt(
                "metrics batch",
                format!("stream {id:016x} is not in the block's series index"),
            )
        })?;
        let blob = c.envelope.resource_blob(row);
        let resource = match resources.get(blob) {
            Some(resource) => Arc::clone(resource),
            None => {
                let attributes = decode_resource(blob)?.resource.map(|r| r.attributes);
                let attributes = attributes.unwrap_or_default();
                let (job, instance) = naming::job_and_instance(&attributes);
                let target_info = naming::target_info_labels(&attributes).map(|labels| {
                    Arc::new(PromSeries {
                        name: naming::TARGET_INFO.to_string(),
                        labels,
                        kind: SeriesKind::Info,
                        temporality: Temporality::Unspecified,
                    })
                });
                let index = resources.len();
                let info = Arc::new(ResourceInfo {
                    index,
                    job,
                    instance,
                    target_info,
                });
                resources.insert(blob.to_vec(), Arc::clone(&info));
                info
            }
        };
        let code = c.metric_type.value(row);
        let metric_type = MetricType::from_code(code).ok_or_else(|| {
            StorageError::corrupt("metrics batch", format!("unknown metric type {code}"))
        })?;
        let monotonic = c.monotonic.value(row);
        let (kind, series_kind) = match metric_type {
            MetricType::Gauge => (MetricKind::Gauge, SeriesKind::Gauge),
            MetricType::Sum if monotonic => (MetricKind::MonotonicSum, SeriesKind::Counter),
            MetricType::Sum => (MetricKind::NonMonotonicSum, SeriesKind::Gauge),
            MetricType::Histogram => (MetricKind::Histogram, SeriesKind::HistogramBucket),
            MetricType::ExponentialHistogram => (
                MetricKind::ExponentialHistogram,
                SeriesKind::HistogramBucket,
            ),
            MetricType::Summary => (MetricKind::Summary, SeriesKind::SummaryQuantile),
        };
        let temporality = match metric_type {
            MetricType::Gauge | MetricType::Summary => Temporality::Unspecified,
            MetricType::Sum if !monotonic => Temporality::Unspecified,
            _ => Temporality::from_code(c.temporality.value(row)),
        };
        let mut labels = naming::labels_of(&c.attributes.row(row)?);
        let scope = decode_scope(c.envelope.scope_blob(row))?
            .scope
            .unwrap_or_default();
        let mut add = |name: &str, value: Option<String>| {
            let Some(value) = value.filter(|v| !v.is_empty()) else {
                return;
            };
            if let Some(clash) = labels.iter_mut().find(|(n, _)| n == name) {
                clash.0 = format!("exported_{name}");
            }
            labels.push((name.to_string(), value));
        };
        add(naming::SCOPE_NAME, Some(scope.name));
        add(naming::SCOPE_VERSION, Some(scope.version));
        add(naming::JOB, resource.job.clone());
        add(naming::INSTANCE, resource.instance.clone());
        labels.sort();
        let base = Arc::new(PromSeries {
            name: naming::metric_name(c.name.value(row), c.unit.value(row), kind),
            labels,
            kind: series_kind,
            temporality,
        });
        let (sum_kind, count_kind) = match metric_type {
            MetricType::Summary => (SeriesKind::SummarySum, SeriesKind::SummaryCount),
            _ => (SeriesKind::HistogramSum, SeriesKind::HistogramCount),
        };
        Ok(vacant.insert(Stream {
            metric_type,
            sum: base.derived("_sum", None, sum_kind),
            count: base.derived("_count", None, count_kind),
            base,
            by_bound: FxHashMap::default(),
            resource,
        }))
    }

    /// Visits the samples of every point of `batch` (a metrics batch) whose time is within
    /// `time_range` (unix ns, inclusive; all when `None`), in row order, followed per point by
    /// its resource's `target_info` the first time this converter sees that resource and time.
    pub fn convert_batch(
        &mut self,
        batch: &RecordBatch,
        time_range: Option<(u64, u64)>,
        visit: &mut impl FnMut(PromSample<'_>),
    ) -> StorageResult<()> {
        let c = Columns::new(batch)?;
        let mut buckets = std::mem::take(&mut self.buckets);
        for row in 0..batch.num_rows() {
            let time_ns = c.time.value(row);
            if time_range.is_some_and(|(start, end)| time_ns < start || time_ns > end) {
                continue;
            }
            let stale = c.flags.value(row) & FLAG_NO_RECORDED_VALUE != 0;
            let start_time_ns = c.start.value(row);
            let stream_id = c.series_id.value(row);
            let stream = Self::stream(&mut self.streams, &mut self.resources, &c, row)?;
            stream.emit_point(&c, row, stale, &mut buckets, &mut |series, value| {
                let value = if stale { stale_nan() } else { value };
                visit(PromSample {
                    series,
                    stream_id,
                    start_time_ns,
                    time_ns,
                    value,
                });
            });
            if let Some(info) = &stream.resource.target_info
                && self
                    .target_info_sent
                    .insert((stream.resource.index, time_ns))
            {
                visit(PromSample {
                    series: info,
                    stream_id: 0,
                    start_time_ns: 0,
                    time_ns,
                    value: 1.0,
                });
            }
        }
        self.buckets = buckets;
        Ok(())
    }

    /// Visits, for each row of `batch`, every series its point yields (and its resource's
    /// `target_info`), whatever the point's time: the series a series index row stands for.
    pub fn series_of_batch(
        &mut self,
        batch: &RecordBatch,
        visit: &mut impl FnMut(usize, &Arc<PromSeries>),
    ) -> StorageResult<()> {
        let c = Columns::new(batch)?;
        let mut buckets = std::mem::take(&mut self.buckets);
        for row in 0..batch.num_rows() {
            let stale = c.flags.value(row) & FLAG_NO_RECORDED_VALUE != 0;
            let stream = Self::stream(&mut self.streams, &mut self.resources, &c, row)?;
            stream.emit_point(&c, row, stale, &mut buckets, &mut |series, _| {
                visit(row, series)
            });
            if let Some(info) = &stream.resource.target_info {
                visit(row, info);
            }
        }
        self.buckets = buckets;
        Ok(())
    }

    /// Visits the exemplars of the histogram and monotonic sum points of `batch` within
    /// `time_range` (the specification drops those of other points).
    pub fn exemplars_of_batch(
        &mut self,
        batch: &RecordBatch,
        time_range: Option<(u64, u64)>,
        visit: &mut impl FnMut(PromExemplar),
    ) -> StorageResult<()> {
        let c = Columns::new(batch)?;
        let blobs: &BinaryArray = typed(batch, col::EXEMPLARS)?;
        let mut buckets = std::mem::take(&mut self.buckets);
        for row in 0..batch.num_rows() {
            let time = c.time.value(row);
            if blobs.is_null(row) || time_range.is_some_and(|(s, e)| time < s || time > e) {
                continue;
            }
            let stream = Self::stream(&mut self.streams, &mut self.resources, &c, row)?;
            let histogram = match stream.metric_type {
                MetricType::Sum if stream.base.kind == SeriesKind::Counter => false,
                MetricType::Histogram | MetricType::ExponentialHistogram => true,
                _ => continue,
            };
            if histogram {
                c.buckets(row, stream.metric_type, &mut buckets);
            }
            for e in ExemplarList::decode(blobs.value(row))?.exemplars {
                let value = match e.value {
                    Some(exemplar::Value::AsDouble(d)) => d,
                    Some(exemplar::Value::AsInt(i)) => i as f64,
                    None => continue,
                };
                let series = if histogram {
                    let le = buckets.iter().find(|(le, _)| value <= *le).map(|b| b.0);
                    Arc::clone(stream.bound(le.unwrap_or(f64::INFINITY)))
                } else {
                    Arc::clone(&stream.base)
                };
                visit(PromExemplar {
                    series,
                    trace_id: hex::encode(&e.trace_id),
                    span_id: hex::encode(&e.span_id),
                    value,
                    time_ns: e.time_unix_nano,
                    labels: naming::labels_of(&e.filtered_attributes),
                });
            }
        }
        self.buckets = buckets;
        Ok(())
    }
}

/// Visits the samples of `batch` with a fresh [`SampleConverter`].
pub fn samples_of_batch(
    batch: &RecordBatch,
    mut visit: impl FnMut(PromSample<'_>),
) -> StorageResult<()> {
    SampleConverter::new().convert_batch(batch, None, &mut visit)
}
