//! Running a LogQL metric query: the engine of `sightline_logql::engine` asks for the samples
//! of each log range once; they come from a scan of the store through the pipeline (and the
//! unwrap extractor), and the result is written in Loki's matrix, vector or scalar shape.

use serde_json::{Value as Json, json};
use sightline_logql::engine::{EvalParams, Sample, SampleSource, Value, evaluate};
use sightline_logql::pipeline::{LineLabels, Pipeline, SampleExtractor};
use sightline_logql::{LogRange, MetricExpr};
use sightline_storage::{TelemetryStore, TenantId};

use super::line::LogLine;
use super::scan::{Direction, LogScan, ScanStats, scan_logs};
use super::select::{StreamSelector, pushdown};
use crate::error::ApiError;
use crate::loki::encode::labels_json;

/// Loki's default `max_query_series`.
pub const MAX_SERIES: usize = 500;

/// A metric query to run.
#[derive(Debug, Clone)]
pub struct MetricQuery<'a> {
    /// The query.
    pub expr: &'a MetricExpr,
    /// First step, unix nanoseconds.
    pub start: u64,
    /// Last step (inclusive).
    pub end: u64,
    /// Step, nanoseconds (ignored for instant queries).
    pub step: u64,
    /// One evaluation at `end`.
    pub instant: bool,
}

/// Samples of a log range, read from the store.
struct StoreSource<'a> {
    store: &'a TelemetryStore,
    tenant: &'a TenantId,
    runtime: &'a tokio::runtime::Handle,
    stats: ScanStats,
}

impl SampleSource for StoreSource<'_> {
    type Error = ApiError;

    fn samples(
        &mut self,
        range: &LogRange,
        from: i64,
        to: i64,
        sink: &mut dyn FnMut(Sample<'_>),
    ) -> Result<(), ApiError> {
        let selector = StreamSelector::new(&range.log.selector)?;
        let pipeline =
            Pipeline::new(&range.log.pipeline).map_err(|e| ApiError::BadRequest(e.to_string()))?;
        let extractor = range
            .unwrap
            .as_ref()
            .map(SampleExtractor::new)
            .transpose()
            .map_err(|e| ApiError::BadRequest(e.to_string()))?;
        // The window is (from, to]; the scan's range is inclusive.
        let start = u64::try_from(from.saturating_add(1)).unwrap_or(0);
        let end = u64::try_from(to).unwrap_or(0);
        if end < start {
            return Ok(());
        }
        let scan = LogScan {
            conditions: pushdown(&range.log, start, end),
            direction: Direction::Forward,
        };
        let stats = scan_logs(
            self.store,
            self.tenant,
            &scan,
            self.runtime,
            &mut |_, _| false,
            &mut |line: LogLine| {
                let (stream, metadata) = line.label_sets();
                if !selector.matches(&stream) {
                    return;
                }
                let input = LineLabels {
                    stream: &stream,
                    metadata: &metadata,
                };
                let Some((text, labels)) = pipeline.process(line.time as i64, &line.line, &input)
                else {
                    return;
                };
                let mut labels = labels.into_owned();
                let value = match &extractor {
                    Some(extractor) => extractor.extract(&mut labels),
                    None => None,
                };
                sink(Sample {
                    labels: &labels,
                    time: line.time as i64,
                    line_bytes: text.len(),
                    value,
                });
            },
        )?;
        self.stats.blocks_read += stats.blocks_read;
        self.stats.rows_read += stats.rows_read;
        self.stats.bytes_read += stats.bytes_read;
        self.stats.lines += stats.lines;
        Ok(())
    }
}

/// Evaluates a metric query over the store; also returns what was read.
pub fn run_metric_query(
    store: &TelemetryStore,
    tenant: &TenantId,
    query: &MetricQuery<'_>,
    runtime: &tokio::runtime::Handle,
) -> Result<(Value, ScanStats), ApiError> {
    let params = EvalParams {
        start: query.start as i64,
        end: query.end as i64,
        step: query.step as i64,
        instant: query.instant,
        max_series: MAX_SERIES,
    };
    let mut source = StoreSource {
        store,
        tenant,
        runtime,
        stats: ScanStats::default(),
    };
    let value = evaluate(query.expr, &params, &mut source).map_err(|e| match e {
        sightline_logql::engine::EngineError::Source(e) => e,
        other => ApiError::BadRequest(other.to_string()),
    })?;
    Ok((value, source.stats))
}

/// A sample value as Prometheus and Loki print it.
fn value_text(value: f64) -> String {
    if value.is_nan() {
        "NaN".into()
    } else if value == f64::INFINITY {
        "+Inf".into()
    } else if value == f64::NEG_INFINITY {
        "-Inf".into()
    } else {
        format!("{value}")
    }
}

/// Seconds since the epoch as a JSON number with millisecond precision, as Loki writes them.
fn seconds(nanos: i64) -> Json {
    let millis = nanos.div_euclid(1_000_000);
    if millis % 1000 == 0 {
        json!(millis / 1000)
    } else {
        json!(millis as f64 / 1000.0)
    }
}

/// `{"resultType": "matrix"|"vector"|"scalar", "result": ...}`.
pub fn metric_json(value: &Value) -> Json {
    match value {
        Value::Matrix(series) => json!({
            "resultType": "matrix",
            "result": series.iter().map(|s| json!({
                "metric": labels_json(&s.labels),
                "values": s.points.iter().map(|(t, v)| json!([seconds(*t), value_text(*v)])).collect::<Vec<_>>(),
            })).collect::<Vec<_>>(),
        }),
        Value::Vector(samples) => json!({
            "resultType": "vector",
            "result": samples.iter().map(|s| json!({
                "metric": labels_json(&s.labels),
                "value": [seconds(s.time), value_text(s.value)],
            })).collect::<Vec<_>>(),
        }),
        Value::Scalar(time, value) => json!({
            "resultType": "scalar",
            "result": [seconds(*time), value_text(*value)],
        }),
    }
}
