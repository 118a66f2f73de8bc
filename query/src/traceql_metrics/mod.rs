//! TraceQL metrics: `{ ... } | rate() by (...)`, `count_over_time()`, `sum/min/max/avg_over_time`,
//! `quantile_over_time`, `histogram_over_time`, with `topk`/`bottomk` and a trailing comparison,
//! evaluated over the matching spans of heads and blocks into time series.
//!
//! Every matched span lands in the step its start time falls in. Duration values are reported in
//! seconds, as Tempo does.

use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;

use futures::StreamExt;
use sightline_storage::{Signal, TelemetryStore, TenantId};
use sightline_traceql::{MetricsFunction, MetricsPipeline, SecondStage};

use crate::error::ApiError;
use crate::search::eval::SpanContext;
use crate::search::plan::Plan;
use crate::search::run::{TraceBounds, for_each_match};
use crate::search::spansets::Spanset;
use crate::search::split::{merged_trace, split_trace_ids};
use crate::search::value::Value;
use crate::search::{phases, sources};

/// A metrics query over `[start, end)` in steps of `step` (all unix nanoseconds).
pub struct MetricsRequest {
    /// The prepared query (must have a metrics stage).
    pub plan: Plan,
    /// Range start.
    pub start: u64,
    /// Range end.
    pub end: u64,
    /// Step; an instant query uses `end - start`.
    pub step: u64,
}

/// One output series.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    /// Labels (`by(...)` values, `p` for quantiles, `__bucket` for histograms, `__name__` when
    /// nothing else).
    pub labels: Vec<(String, Value)>,
    /// (step start, unix milliseconds; value), in time order.
    pub samples: Vec<(u64, f64)>,
    /// Example traces: (trace id, span value, unix milliseconds).
    pub exemplars: Vec<Exemplar>,
}

#[derive(Default, Clone)]
struct Step {
    count: u64,
    sum: f64,
    min: f64,
    max: f64,
    values: Vec<f64>,
}

/// A series identity: its labels rendered as text.
type SeriesKey = Vec<(String, String)>;

/// Series labels with their typed values.
type Labels = Vec<(String, Value)>;

/// An example span: (trace id, value, unix milliseconds).
pub type Exemplar = ([u8; 16], f64, u64);

#[derive(Default)]
struct Accumulator {
    steps: BTreeMap<(SeriesKey, u64), (Labels, Step)>,
    exemplars: BTreeMap<SeriesKey, Vec<Exemplar>>,
}

const EXEMPLARS_PER_SERIES: usize = 10;

fn seconds_if_duration(value: &Value) -> Option<f64> {
    match value {
        Value::Duration(d) => Some(*d as f64 / 1e9),
        other => other.as_f64(),
    }
}

impl Accumulator {
    fn add(
        &mut self,
        ctx: &SpanContext<'_, '_>,
        spansets: Vec<Spanset>,
        metrics: &MetricsPipeline,
        request: &MetricsRequest,
    ) {
        let field = match &metrics.function {
            MetricsFunction::SumOverTime(f)
            | MetricsFunction::MinOverTime(f)
            | MetricsFunction::MaxOverTime(f)
            | MetricsFunction::AvgOverTime(f)
            | MetricsFunction::HistogramOverTime(f)
            | MetricsFunction::QuantileOverTime { field: f, .. } => Some(f),
            _ => None,
        };
        let mut rows: Vec<usize> = spansets.into_iter().flat_map(|s| s.rows).collect();
        rows.sort_unstable();
        rows.dedup();
        for row in rows {
            let start = ctx.view.start(row);
            if start < request.start || start >= request.end {
                continue;
            }
            let step_index = (start - request.start) / request.step;
            let (value, bucket) = match field {
                Some(field) => {
                    let raw = ctx.eval(field, row);
                    match seconds_if_duration(&raw) {
                        Some(v) => (v, log2_bucket(&raw)),
                        None => continue,
                    }
                }
                None => (1.0, None),
            };
            let labels: Vec<(String, Value)> = metrics
                .by
                .iter()
                .filter_map(|by| match ctx.eval(by, row) {
                    Value::Nil => None,
                    v => Some((by.to_string(), v)),
                })
                .collect();
            let mut labels = labels;
            if let (MetricsFunction::HistogramOverTime(_), Some(bucket)) =
                (&metrics.function, bucket)
            {
                labels.push(("__bucket".into(), Value::Float(bucket)));
            }
            let key: SeriesKey = labels.iter().map(|(k, v)| (k.clone(), v.label())).collect();
            let entry = self
                .steps
                .entry((key.clone(), step_index))
                .or_insert_with(|| {
                    (
                        labels,
                        Step {
                            min: f64::INFINITY,
                            max: f64::NEG_INFINITY,
                            ..Default::default()
                        },
                    )
                });
            let step = &mut entry.1;
            step.count += 1;
            step.sum += value;
            step.min = step.min.min(value);
            step.max = step.max.max(value);
            if matches!(metrics.function, MetricsFunction::QuantileOverTime { .. }) {
                step.values.push(value);
            }
            let exemplars = self.exemplars.entry(key).or_default();
            if exemplars.len() < EXEMPLARS_PER_SERIES {
                exemplars.push((ctx.group.trace_id, value, start / 1_000_000));
            }
        }
    }

    fn merge(&mut self, other: Accumulator) {
        for (key, (labels, step)) in other.steps {
            let entry = self.steps.entry(key).or_insert_with(|| {
                (
                    labels,
                    Step {
                        min: f64::INFINITY,
                        max: f64::NEG_INFINITY,
                        ..Default::default()
                    },
                )
            });
            entry.1.count += step.count;
            entry.1.sum += step.sum;
            entry.1.min = entry.1.min.min(step.min);
            entry.1.max = entry.1.max.max(step.max);
            entry.1.values.extend(step.values);
        }
        for (key, exemplars) in other.exemplars {
            let list = self.exemplars.entry(key).or_default();
            list.extend(exemplars);
            list.truncate(EXEMPLARS_PER_SERIES);
        }
    }
}

/// The upper bound of the power-of-two bucket `value` falls in; durations are bucketed in
/// nanoseconds and reported in seconds, as Tempo does.
fn log2_bucket(value: &Value) -> Option<f64> {
    let power_of_two = |v: f64| {
        if v <= 0.0 {
            0.0
        } else {
            2f64.powf(v.log2().ceil())
        }
    };
    match value {
        Value::Duration(d) => Some(power_of_two(*d as f64) / 1e9),
        other => other.as_f64().map(power_of_two),
    }
}

/// Quantile of unsorted values (nearest rank on sorted values, linear between ranks).
fn quantile(values: &mut [f64], q: f64) -> f64 {
    values.sort_by(|a, b| a.total_cmp(b));
    let rank = q.clamp(0.0, 1.0) * (values.len() - 1) as f64;
    let (low, high) = (rank.floor() as usize, rank.ceil() as usize);
    values[low] + (values[high] - values[low]) * (rank - low as f64)
}

fn finish(
    accumulator: Accumulator,
    metrics: &MetricsPipeline,
    request: &MetricsRequest,
) -> Vec<Series> {
    let step_seconds = request.step as f64 / 1e9;
    let mut series: BTreeMap<SeriesKey, Series> = BTreeMap::new();
    for ((key, step_index), (labels, mut step)) in accumulator.steps {
        let timestamp = (request.start + step_index * request.step) / 1_000_000;
        let outputs: Vec<(Option<f64>, f64)> = match &metrics.function {
            MetricsFunction::Rate => vec![(None, step.count as f64 / step_seconds)],
            MetricsFunction::CountOverTime
            | MetricsFunction::HistogramOverTime(_)
            | MetricsFunction::Compare { .. } => {
                vec![(None, step.count as f64)]
            }
            MetricsFunction::SumOverTime(_) => vec![(None, step.sum)],
            MetricsFunction::MinOverTime(_) => vec![(None, step.min)],
            MetricsFunction::MaxOverTime(_) => vec![(None, step.max)],
            MetricsFunction::AvgOverTime(_) => vec![(None, step.sum / step.count as f64)],
            MetricsFunction::QuantileOverTime { quantiles, .. } => quantiles
                .iter()
                .map(|q| (Some(*q), quantile(&mut step.values, *q)))
                .collect(),
        };
        for (q, value) in outputs {
            // Exemplars are kept per input series: every quantile series of it shares them.
            let exemplars = accumulator.exemplars.get(&key).cloned().unwrap_or_default();
            let mut key = key.clone();
            let mut labels = labels.clone();
            if let Some(q) = q {
                key.push(("p".into(), q.to_string()));
                labels.push(("p".into(), Value::Float(q)));
            }
            if labels.is_empty() {
                labels.push((
                    "__name__".into(),
                    Value::Str(metrics.function.name().into()),
                ));
            }
            series
                .entry(key)
                .or_insert_with(|| Series {
                    labels,
                    samples: Vec::new(),
                    exemplars,
                })
                .samples
                .push((timestamp, value));
        }
    }
    let mut out: Vec<Series> = series.into_values().collect();
    if counts_events(&metrics.function) {
        // An empty step of a counting function is a zero, not a gap.
        let steps = (request.end - request.start).div_ceil(request.step);
        for s in &mut out {
            let present: std::collections::HashSet<u64> =
                s.samples.iter().map(|(t, _)| *t).collect();
            for index in 0..steps {
                let timestamp = (request.start + index * request.step) / 1_000_000;
                if !present.contains(&timestamp) {
                    s.samples.push((timestamp, 0.0));
                }
            }
            s.samples.sort_by_key(|(t, _)| *t);
        }
    }
    if let Some(stage) = metrics.second_stage {
        out = top_or_bottom(out, stage);
    }
    if let Some((op, threshold)) = metrics.comparison {
        for s in &mut out {
            s.samples.retain(|(_, v)| {
                crate::search::value::compare(&Value::Float(*v), op, &Value::Float(threshold), None)
            });
        }
        out.retain(|s| !s.samples.is_empty());
    }
    out
}

fn counts_events(function: &MetricsFunction) -> bool {
    matches!(
        function,
        MetricsFunction::Rate
            | MetricsFunction::CountOverTime
            | MetricsFunction::HistogramOverTime(_)
    )
}

/// Keeps, at every timestamp, the k largest (or smallest) series values.
fn top_or_bottom(series: Vec<Series>, stage: SecondStage) -> Vec<Series> {
    let (k, largest) = match stage {
        SecondStage::TopK(k) => (k as usize, true),
        SecondStage::BottomK(k) => (k as usize, false),
    };
    let mut by_time: BTreeMap<u64, Vec<(usize, f64)>> = BTreeMap::new();
    for (index, s) in series.iter().enumerate() {
        for (t, v) in &s.samples {
            by_time.entry(*t).or_default().push((index, *v));
        }
    }
    let mut keep: std::collections::HashSet<(usize, u64)> = std::collections::HashSet::new();
    for (t, mut values) in by_time {
        values.sort_by(|a, b| {
            if largest {
                b.1.total_cmp(&a.1)
            } else {
                a.1.total_cmp(&b.1)
            }
        });
        keep.extend(values.into_iter().take(k).map(|(index, _)| (index, t)));
    }
    series
        .into_iter()
        .enumerate()
        .filter_map(|(index, mut s)| {
            s.samples.retain(|(t, _)| keep.contains(&(index, *t)));
            (!s.samples.is_empty()).then_some(s)
        })
        .collect()
}

/// Runs a metrics query for `tenant`.
pub async fn query_range(
    store: &TelemetryStore,
    tenant: &TenantId,
    request: MetricsRequest,
) -> Result<Vec<Series>, ApiError> {
    let Some(metrics) = request.plan.query.metrics.clone() else {
        return Err(ApiError::BadRequest(
            "not a metrics query: add e.g. | rate()".into(),
        ));
    };
    if let MetricsFunction::Compare { .. } = metrics.function {
        return Err(ApiError::BadRequest("compare() is not supported; use rate(), count_over_time(), *_over_time(), quantile_over_time() or histogram_over_time()".into()));
    }
    if request.step == 0 || request.end <= request.start {
        return Err(ApiError::BadRequest(
            "end must be after start and step positive".into(),
        ));
    }
    let request = Arc::new(request);
    let metrics = Arc::new(metrics);
    let bounds = TraceBounds {
        time_range: Some((request.start, request.end)),
        ..Default::default()
    };
    let task_failed =
        |e: tokio::task::JoinError| ApiError::Internal(format!("metrics task failed: {e}"));
    let mut total = Accumulator::default();

    // Traces with spans in several parts are left out of the per-part passes and evaluated once
    // on all their spans.
    let mut split: HashSet<[u8; 16]> = HashSet::new();
    let runtime = tokio::runtime::Handle::current();
    let head_batches = store.head_batches(tenant, Signal::Traces, bounds.time_range);
    if !head_batches.is_empty() {
        let (store, tenant, request, metrics, runtime) = (
            store.clone(),
            tenant.clone(),
            Arc::clone(&request),
            Arc::clone(&metrics),
            runtime.clone(),
        );
        let (part, found) = tokio::task::spawn_blocking(move || {
            let mut accumulator = Accumulator::default();
            let mut found = HashSet::new();
            if let Some(table) = sources::head_table(&store, &tenant, &request.plan, &head_batches)?
            {
                let ids = table.groups.iter().map(|g| g.trace_id);
                found = runtime.block_on(split_trace_ids(&store, &tenant, ids))?;
                for_each_match(&table, &request.plan, &bounds, |ctx, sets| {
                    if !found.contains(&ctx.group.trace_id) {
                        accumulator.add(ctx, sets, &metrics, &request)
                    }
                });
            }
            Ok::<_, ApiError>((accumulator, found))
        })
        .await
        .map_err(task_failed)??;
        total.merge(part);
        split.extend(found);
    }

    let mut parts = futures::stream::iter(store.blocks(tenant, Signal::Traces, bounds.time_range))
        .map(|block| {
            let (store, tenant, request, metrics, runtime) = (
                store.clone(),
                tenant.clone(),
                Arc::clone(&request),
                Arc::clone(&metrics),
                runtime.clone(),
            );
            tokio::task::spawn_blocking(move || {
                let mut accumulator = Accumulator::default();
                let found = runtime.block_on(async {
                    let (candidates, _) =
                        phases::candidates(&block, &request.plan, &bounds).await?;
                    if candidates.is_empty() {
                        return Ok::<_, ApiError>(HashSet::new());
                    }
                    let ids: Vec<[u8; 16]> = candidates.iter().map(|e| e.trace_id).collect();
                    let found = split_trace_ids(&store, &tenant, ids).await?;
                    let whole: Vec<_> = candidates
                        .into_iter()
                        .filter(|e| !found.contains(&e.trace_id))
                        .collect();
                    if !whole.is_empty()
                        && let Some(table) =
                            phases::read_traces(&block, whole, &request.plan).await?
                    {
                        for_each_match(&table, &request.plan, &bounds, |ctx, sets| {
                            accumulator.add(ctx, sets, &metrics, &request)
                        });
                    }
                    Ok(found)
                })?;
                Ok::<_, ApiError>((accumulator, found))
            })
        })
        .buffer_unordered(2);
    while let Some(part) = parts.next().await {
        let (part, found) = part.map_err(task_failed)??;
        total.merge(part);
        split.extend(found);
    }

    let mut split: Vec<[u8; 16]> = split.into_iter().collect();
    split.sort_unstable();
    for id in split {
        let Some(table) = merged_trace(store, tenant, &id, &request.plan).await? else {
            continue;
        };
        let (request, metrics) = (Arc::clone(&request), Arc::clone(&metrics));
        let part = tokio::task::spawn_blocking(move || {
            let mut accumulator = Accumulator::default();
            for_each_match(&table, &request.plan, &bounds, |ctx, sets| {
                accumulator.add(ctx, sets, &metrics, &request)
            });
            accumulator
        })
        .await
        .map_err(task_failed)?;
        total.merge(part);
    }
    Ok(finish(total, &metrics, &request))
}

#[cfg(test)]
mod tests;
