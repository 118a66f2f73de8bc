//! Running a LogQL metric query: the engine of `sightline_logql::engine` asks for the samples
//! of each log range once; they come from a scan of the store through the pipeline (and the
//! unwrap extractor), and the result is written in Loki's matrix, vector or scalar shape.

use serde_json::{Value as Json, json};
use sightline_logql::engine::{EvalParams, Sample, SampleSource, Value, evaluate};
use sightline_logql::pipeline::{LineLabels, SampleExtractor};
use sightline_logql::{Grouping, Labels, LogRange, MetricExpr, RangeOp, Stage, VectorOp};
use sightline_storage::block::log_index::{RowLabel, is_stream_label};
use sightline_storage::{TelemetryStore, TenantId};

use super::line::LogLine;
use super::scan::{Direction, LogScan, ScanStats, scan_logs};
use super::select::{CompiledLogExpr, pushdown};
use crate::error::ApiError;
use crate::loki::encode::labels_json;
use crate::prom_api::envelope::{format_value, unix_seconds};

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
    /// Log ranges whose samples need only these stream labels (see [`reducible_ranges`]).
    reducible: Vec<(*const LogRange, Vec<String>)>,
}

/// The log ranges of `expr` under `sum [by (stream labels)] (op(range))`, where `op` adds up
/// per line (`count_over_time`, `rate`, `bytes_over_time`, `bytes_rate`, no unwrap, no
/// grouping of its own) and the pipeline only filters lines: the sum only sees the listed
/// labels, so samples can carry just those and skip structured metadata entirely (the engine
/// groups them the same way).
fn reducible_ranges(expr: &MetricExpr, out: &mut Vec<(*const LogRange, Vec<String>)>) {
    match expr {
        MetricExpr::VectorAggregation(agg) => {
            let keep = match (&agg.op, &agg.grouping) {
                (VectorOp::Sum, None) => Some(Vec::new()),
                (VectorOp::Sum, Some(Grouping::By(names)))
                    if names.iter().all(|n| is_stream_label(n)) =>
                {
                    Some(names.clone())
                }
                _ => None,
            };
            match (keep, agg.expr.as_ref()) {
                (Some(keep), MetricExpr::RangeAggregation(range))
                    if matches!(
                        range.op,
                        RangeOp::CountOverTime
                            | RangeOp::Rate
                            | RangeOp::BytesOverTime
                            | RangeOp::BytesRate
                    ) && range.grouping.is_none()
                        && range.range.unwrap.is_none()
                        && range
                            .range
                            .log
                            .pipeline
                            .iter()
                            .all(|stage| matches!(stage, Stage::LineFilter(_))) =>
                {
                    out.push((&range.range as *const LogRange, keep));
                }
                _ => reducible_ranges(&agg.expr, out),
            }
        }
        MetricExpr::Binary(binary) => {
            reducible_ranges(&binary.left, out);
            reducible_ranges(&binary.right, out);
        }
        MetricExpr::LabelReplace(replace) => reducible_ranges(&replace.expr, out),
        MetricExpr::RangeAggregation(_) | MetricExpr::Literal(_) | MetricExpr::Vector(_) => {}
    }
}

/// The samples of a reducible range: lines read with their stream labels only, the selector
/// and the line filters checked, each sample labelled with just the kept labels (computed once
/// per run of lines sharing their stream labels).
fn reduced_samples(
    source: &StoreSource<'_>,
    range: &LogRange,
    keep: &[String],
    scan: &LogScan,
    sink: &mut dyn FnMut(Sample<'_>),
) -> Result<ScanStats, ApiError> {
    let CompiledLogExpr { selector, pipeline } = CompiledLogExpr::new(&range.log)?;
    let empty = Labels::new();
    // The last run's row labels, whether its stream is selected, its stream labels, and the
    // labels its samples keep.
    let mut last: Option<(Vec<RowLabel>, bool, Labels, Labels)> = None;
    Ok(scan_logs(
        source.store,
        source.tenant,
        scan,
        source.runtime,
        &mut |_, _| false,
        &mut |line: LogLine| {
            let same = last
                .as_ref()
                .is_some_and(|(labels, ..)| *labels == line.labels);
            if !same {
                let (stream, _) = line.label_sets();
                let selected = selector.matches(&stream);
                let kept: Labels = keep
                    .iter()
                    .filter_map(|name| stream.get(name).map(|v| (name.clone(), v.to_string())))
                    .collect();
                last = Some((line.labels.clone(), selected, stream, kept));
            }
            let Some((_, true, stream, kept)) = &last else {
                return;
            };
            let input = LineLabels {
                stream,
                metadata: &empty,
            };
            let Some((text, _)) = pipeline.process(line.time as i64, &line.line, &input) else {
                return;
            };
            sink(Sample {
                labels: kept,
                time: line.time as i64,
                line_bytes: text.len(),
                value: None,
            });
        },
    )?)
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
        let keep = self
            .reducible
            .iter()
            .find(|(ptr, _)| std::ptr::eq(*ptr, range))
            .map(|(_, keep)| keep.clone());
        let start = u64::try_from(from.saturating_add(1)).unwrap_or(0);
        let end = u64::try_from(to).unwrap_or(0);
        if let Some(keep) = keep {
            if end < start {
                return Ok(());
            }
            let scan = LogScan {
                conditions: pushdown(&range.log, start, end),
                direction: Direction::Forward,
                stream_labels_only: true,
            };
            let stats = reduced_samples(self, range, &keep, &scan, sink)?;
            self.add(stats);
            return Ok(());
        }
        let CompiledLogExpr { selector, pipeline } = CompiledLogExpr::new(&range.log)?;
        let extractor = range
            .unwrap
            .as_ref()
            .map(SampleExtractor::new)
            .transpose()
            .map_err(|e| ApiError::BadRequest(e.to_string()))?;
        // The window is (from, to]; the scan's range is inclusive.
        if end < start {
            return Ok(());
        }
        let scan = LogScan {
            conditions: pushdown(&range.log, start, end),
            direction: Direction::Forward,
            stream_labels_only: false,
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
        self.add(stats);
        Ok(())
    }
}

impl StoreSource<'_> {
    fn add(&mut self, stats: ScanStats) {
        self.stats.blocks_read += stats.blocks_read;
        self.stats.rows_read += stats.rows_read;
        self.stats.bytes_read += stats.bytes_read;
        self.stats.lines += stats.lines;
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
    let mut reducible = Vec::new();
    reducible_ranges(query.expr, &mut reducible);
    let mut source = StoreSource {
        store,
        tenant,
        runtime,
        stats: ScanStats::default(),
        reducible,
    };
    let value = evaluate(query.expr, &params, &mut source).map_err(|e| match e {
        sightline_logql::engine::EngineError::Source(e) => e,
        other => ApiError::BadRequest(other.to_string()),
    })?;
    Ok((value, source.stats))
}

/// Unix nanoseconds as Loki writes sample times: float seconds with millisecond precision.
fn seconds(nanos: i64) -> Json {
    unix_seconds(u64::try_from(nanos).unwrap_or(0))
}

/// `{"resultType": "matrix"|"vector"|"scalar", "result": ...}`.
pub fn metric_json(value: &Value) -> Json {
    match value {
        Value::Matrix(series) => json!({
            "resultType": "matrix",
            "result": series.iter().map(|s| json!({
                "metric": labels_json(&s.labels),
                "values": s.points.iter().map(|(t, v)| json!([seconds(*t), format_value(*v)])).collect::<Vec<_>>(),
            })).collect::<Vec<_>>(),
        }),
        Value::Vector(samples) => json!({
            "resultType": "vector",
            "result": samples.iter().map(|s| json!({
                "metric": labels_json(&s.labels),
                "value": [seconds(s.time), format_value(s.value)],
            })).collect::<Vec<_>>(),
        }),
        Value::Scalar(time, value) => json!({
            "resultType": "scalar",
            "result": [seconds(*time), format_value(*value)],
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reduced(query: &str) -> Vec<Vec<String>> {
        let expr = sightline_logql::parse(query).unwrap();
        let mut out = Vec::new();
        reducible_ranges(expr.as_metric().unwrap(), &mut out);
        out.into_iter().map(|(_, keep)| keep).collect()
    }

    #[test]
    fn only_sums_of_additive_line_counts_drop_labels() {
        let none: Vec<Vec<String>> = Vec::new();
        assert_eq!(
            reduced(r#"sum(count_over_time({a="b"} |= "x" [1m]))"#),
            [Vec::<String>::new()]
        );
        assert_eq!(
            reduced(r#"sum by (level) (rate({a="b"}[1m]))"#),
            [vec!["level".to_string()]]
        );
        assert_eq!(
            reduced(
                r#"topk(3, sum by (service_name) (bytes_rate({a="b"}[1m]))) / sum(rate({a="b"}[1m]))"#
            ),
            [vec!["service_name".to_string()], vec![]]
        );
        // Structured metadata, parsers, label filters, other aggregations keep every label.
        assert_eq!(reduced(r#"sum by (trace_id) (rate({a="b"}[1m]))"#), none);
        assert_eq!(
            reduced(r#"sum(count_over_time({a="b"} | json [1m]))"#),
            none
        );
        assert_eq!(
            reduced(r#"sum(count_over_time({a="b"} | level="error" [1m]))"#),
            none
        );
        assert_eq!(reduced(r#"max(count_over_time({a="b"}[1m]))"#), none);
        assert_eq!(
            reduced(r#"sum without (level) (count_over_time({a="b"}[1m]))"#),
            none
        );
        assert_eq!(reduced(r#"count_over_time({a="b"}[1m])"#), none);
    }
}
