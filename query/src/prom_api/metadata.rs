//! The handlers of the non-query endpoints: `series`, `labels`, `label/{name}/values`,
//! `metadata`, `query_exemplars` and `status/buildinfo`.

use std::collections::{BTreeMap, BTreeSet, HashSet};

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use http::HeaderMap;
use serde_json::{Map, Value as Json, json};
use sightline_storage::rows::columns::{TextColumn, typed};
use sightline_storage::rows::metrics::{MetricType, col};
use sightline_storage::{Signal, TelemetryStore, TenantId};

use super::envelope::{PromError, PromJson, format_value, unix_seconds};
use super::params::{PromParams, expression_selectors};
use super::select::{LabelMatcher, Selector, matches_any, select_series_names};
use crate::QueryState;
use crate::prometheus::naming::{self, METRIC_NAME_LABEL, MetricKind};
use crate::prometheus::series::{
    KeepCache, PromExemplar, PromSeries, SampleConverter, SeriesKind, Temporality, wanted_batches,
};

/// The version `buildinfo` reports: the Prometheus API level Sightline follows.
pub const PROMETHEUS_VERSION: &str = "2.53.0-sightline";

/// A series by name and labels, in the order series are listed.
type SeriesKey = (String, Vec<(String, String)>);

/// The warning Prometheus adds when `limit` cut the result.
const TRUNCATED: &str = "results truncated due to limit";

/// The parameters and tenant of a request.
fn request(
    state: &QueryState,
    headers: &HeaderMap,
    query: Option<&str>,
    body: &Bytes,
) -> Result<(TenantId, PromParams), PromError> {
    let tenant = state.tenant(headers)?;
    Ok((tenant, PromParams::new(query, headers, body)?))
}

/// Compiles selector alternatives (each `match[]` may be an `or` of several).
fn compile(selectors: Vec<Vec<Vec<LabelMatcher>>>) -> Result<Vec<Selector>, PromError> {
    let mut out = Vec::new();
    for alternatives in selectors {
        for matchers in alternatives {
            out.push(Selector::new(&matchers)?);
        }
    }
    Ok(out)
}

/// A series' labels as a JSON object, `__name__` included.
pub fn labels_object(series: &PromSeries) -> Json {
    let mut object = Map::new();
    object.insert(METRIC_NAME_LABEL.into(), Json::from(series.name.clone()));
    for (name, value) in &series.labels {
        object.insert(name.clone(), Json::from(value.clone()));
    }
    Json::Object(object)
}

/// Keeps at most `limit` items (0 = all), with Prometheus' warning when some were cut.
fn limited(mut items: Vec<Json>, limit: usize) -> PromJson {
    let mut warnings = Vec::new();
    if limit > 0 && items.len() > limit {
        items.truncate(limit);
        warnings.push(TRUNCATED.to_string());
    }
    PromJson {
        data: Json::Array(items),
        warnings,
    }
}

/// `/api/v1/series`: the label sets of the series `match[]` selects in `start..end`.
pub async fn series_handler(
    State(state): State<QueryState>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
    body: Bytes,
) -> Result<PromJson, PromError> {
    let (tenant, params) = request(&state, &headers, query.as_deref(), &body)?;
    let selectors = compile(params.selectors()?)?;
    if selectors.is_empty() {
        return Err(PromError::bad_data("no match[] parameter provided"));
    }
    let (start, end) = params.time_range()?;
    let limit = params.limit("limit")?;
    let series = select_series_names(&state.store, &tenant, &selectors, start, end).await?;
    let items = series.iter().map(|s| labels_object(s)).collect();
    Ok(limited(items, limit))
}

/// `/api/v1/labels`: the sorted label names (`__name__` included) of the series in range,
/// optionally only those `match[]` selects.
pub async fn labels_handler(
    State(state): State<QueryState>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
    body: Bytes,
) -> Result<PromJson, PromError> {
    let (tenant, params) = request(&state, &headers, query.as_deref(), &body)?;
    let selectors = compile(params.selectors()?)?;
    let (start, end) = params.time_range()?;
    let limit = params.limit("limit")?;
    let series = select_series_names(&state.store, &tenant, &selectors, start, end).await?;
    let mut names = BTreeSet::new();
    for s in &series {
        names.insert(METRIC_NAME_LABEL);
        names.extend(s.labels.iter().map(|(n, _)| n.as_str()));
    }
    Ok(limited(names.into_iter().map(Json::from).collect(), limit))
}

/// Whether `name` is a (legacy) Prometheus label name.
fn valid_label_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// `/api/v1/label/{name}/values`: the sorted values of label `name` (`__name__`: the metric
/// names) over the series in range, optionally only those `match[]` selects.
pub async fn values_handler(
    State(state): State<QueryState>,
    Path(name): Path<String>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
    body: Bytes,
) -> Result<PromJson, PromError> {
    let (tenant, params) = request(&state, &headers, query.as_deref(), &body)?;
    if !valid_label_name(&name) {
        return Err(PromError::bad_data(format!("invalid label name: {name:?}")));
    }
    let selectors = compile(params.selectors()?)?;
    let (start, end) = params.time_range()?;
    let limit = params.limit("limit")?;
    let series = select_series_names(&state.store, &tenant, &selectors, start, end).await?;
    let values: BTreeSet<&str> = series
        .iter()
        .filter_map(|s| s.label(&name))
        .filter(|v| !v.is_empty())
        .collect();
    Ok(limited(values.into_iter().map(Json::from).collect(), limit))
}

/// The Prometheus metric family of a series (histogram and summary parts share their base name)
/// and its type.
fn family(series: &PromSeries) -> (String, &'static str) {
    let strip = |suffix: &str| {
        series
            .name
            .strip_suffix(suffix)
            .unwrap_or(&series.name)
            .to_string()
    };
    let delta = series.temporality == Temporality::Delta;
    match series.kind {
        SeriesKind::Counter if delta => (series.name.clone(), "unknown"),
        SeriesKind::Counter => (series.name.clone(), "counter"),
        SeriesKind::Gauge | SeriesKind::Info => (series.name.clone(), "gauge"),
        SeriesKind::HistogramBucket => (
            strip("_bucket"),
            if delta { "unknown" } else { "histogram" },
        ),
        SeriesKind::HistogramSum => (strip("_sum"), if delta { "unknown" } else { "histogram" }),
        SeriesKind::HistogramCount => {
            (strip("_count"), if delta { "unknown" } else { "histogram" })
        }
        SeriesKind::SummaryQuantile => (series.name.clone(), "summary"),
        SeriesKind::SummarySum => (strip("_sum"), "summary"),
        SeriesKind::SummaryCount => (strip("_count"), "summary"),
    }
}

/// The OTLP description and unit of each Prometheus metric family, read from the stored rows.
async fn descriptions(
    store: &TelemetryStore,
    tenant: &TenantId,
) -> Result<BTreeMap<String, BTreeSet<(String, String)>>, PromError> {
    let mut out: BTreeMap<String, BTreeSet<(String, String)>> = BTreeMap::new();
    let mut seen: HashSet<(String, String, String, i32, bool)> = HashSet::new();
    let mut scan = |batch: &arrow::record_batch::RecordBatch| -> Result<(), PromError> {
        let storage = |e: sightline_storage::StorageError| PromError::internal(e.to_string());
        let name = TextColumn::new(batch, col::NAME).map_err(storage)?;
        let description = TextColumn::new(batch, col::DESCRIPTION).map_err(storage)?;
        let unit = TextColumn::new(batch, col::UNIT).map_err(storage)?;
        let kind: &arrow::array::Int32Array = typed(batch, col::TYPE).map_err(storage)?;
        let monotonic: &arrow::array::BooleanArray =
            typed(batch, col::MONOTONIC).map_err(storage)?;
        for row in 0..batch.num_rows() {
            let key = (
                name.value(row).to_string(),
                description.value(row).to_string(),
                unit.value(row).to_string(),
                kind.value(row),
                monotonic.value(row),
            );
            if seen.contains(&key) {
                continue;
            }
            let metric_kind = match MetricType::from_code(key.3) {
                Some(MetricType::Gauge) => MetricKind::Gauge,
                Some(MetricType::Sum) if key.4 => MetricKind::MonotonicSum,
                Some(MetricType::Sum) => MetricKind::NonMonotonicSum,
                Some(MetricType::Histogram) => MetricKind::Histogram,
                Some(MetricType::ExponentialHistogram) => MetricKind::ExponentialHistogram,
                Some(MetricType::Summary) => MetricKind::Summary,
                None => continue,
            };
            let family = naming::metric_name(&key.0, &key.2, metric_kind);
            out.entry(family)
                .or_default()
                .insert((key.1.clone(), key.2.clone()));
            seen.insert(key);
        }
        Ok(())
    };
    for block in store.blocks(tenant, Signal::Metrics, None) {
        // A series index holds a row of every stream: every name, description and unit.
        if let Some(index) = block.series_index().await.map_err(crate::ApiError::from)? {
            scan(index.rows())?;
            continue;
        }
        for batch in block
            .reader()
            .read_all()
            .await
            .map_err(crate::ApiError::from)?
        {
            scan(&batch)?;
        }
    }
    for head in store.head_batches(tenant, Signal::Metrics, None) {
        scan(&head.batch)?;
    }
    Ok(out)
}

/// `/api/v1/metadata`: per metric family its type, help (the OTLP description) and unit (the
/// OTLP unit); `metric` selects one family, `limit` caps the families and `limit_per_metric`
/// the entries of each.
pub async fn metadata_handler(
    State(state): State<QueryState>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
    body: Bytes,
) -> Result<PromJson, PromError> {
    let (tenant, params) = request(&state, &headers, query.as_deref(), &body)?;
    let metric = params.get("metric").map(str::to_string);
    let limit = params.limit("limit")?;
    let per_metric = params.limit("limit_per_metric")?;
    let series = select_series_names(&state.store, &tenant, &[], 0, u64::MAX).await?;
    let mut families: BTreeMap<String, BTreeSet<&'static str>> = BTreeMap::new();
    for s in &series {
        let (name, kind) = family(s);
        if metric.as_ref().is_none_or(|m| *m == name) {
            families.entry(name).or_default().insert(kind);
        }
    }
    let descriptions = descriptions(&state.store, &tenant).await?;
    let none = BTreeSet::from([(String::new(), String::new())]);
    let mut data = Map::new();
    for (name, kinds) in families {
        if limit > 0 && data.len() >= limit {
            break;
        }
        let texts = descriptions.get(&name).unwrap_or(&none);
        let mut entries = Vec::new();
        for kind in kinds {
            for (help, unit) in texts {
                entries.push(json!({"type": kind, "help": help, "unit": unit}));
            }
        }
        if per_metric > 0 {
            entries.truncate(per_metric);
        }
        data.insert(name, Json::Array(entries));
    }
    Ok(PromJson::new(Json::Object(data)))
}

/// `/api/v1/query_exemplars`: the exemplars in `start..end` of the series the selectors of
/// `query` select, grouped by series.
pub async fn exemplars_handler(
    State(state): State<QueryState>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
    body: Bytes,
) -> Result<PromJson, PromError> {
    let (tenant, params) = request(&state, &headers, query.as_deref(), &body)?;
    let text = params
        .get("query")
        .ok_or_else(|| PromError::bad_data("invalid parameter \"query\": query is empty"))?;
    let selectors = compile(expression_selectors("query", text)?)?;
    let (start, end) = params.time_range()?;
    if selectors.is_empty() {
        return Ok(PromJson::new(json!([])));
    }
    let mut groups: BTreeMap<SeriesKey, Vec<PromExemplar>> = BTreeMap::new();
    let mut converter = SampleConverter::new();
    let mut visit = |e: PromExemplar| {
        if e.time_ns >= start && e.time_ns <= end && matches_any(&selectors, &e.series) {
            let key = (e.series.name.clone(), e.series.labels.clone());
            groups.entry(key).or_default().push(e);
        }
    };
    let range = Some((start, end));
    let storage = |e| PromError::from(crate::ApiError::from(e));
    // An exemplar is not newer than its point: streams with points from `start` on.
    let mut keep = KeepCache::new(|s: &PromSeries| matches_any(&selectors, s));
    for block in state.store.blocks(&tenant, Signal::Metrics, range) {
        let batches =
            wanted_batches(&mut converter, &block, (start, u64::MAX), &mut keep, true).await?;
        for batch in batches {
            converter
                .exemplars_of_batch(&batch, None, &mut visit)
                .map_err(storage)?;
        }
    }
    for head in state.store.head_batches(&tenant, Signal::Metrics, range) {
        converter
            .exemplars_of_batch(&head.batch, None, &mut visit)
            .map_err(storage)?;
    }
    let data = groups
        .into_values()
        .map(|mut exemplars| {
            exemplars.sort_by_key(|e| e.time_ns);
            exemplars.dedup_by(|a, b| {
                a.time_ns == b.time_ns && a.trace_id == b.trace_id && a.span_id == b.span_id
            });
            let series = labels_object(&exemplars[0].series);
            let exemplars: Vec<Json> = exemplars.iter().map(exemplar_json).collect();
            json!({"seriesLabels": series, "exemplars": exemplars})
        })
        .collect();
    Ok(PromJson::new(Json::Array(data)))
}

fn exemplar_json(e: &PromExemplar) -> Json {
    let mut labels = Map::new();
    for (name, value) in &e.labels {
        labels.insert(name.clone(), Json::from(value.clone()));
    }
    if !e.trace_id.is_empty() {
        labels.insert("trace_id".into(), Json::from(e.trace_id.clone()));
    }
    if !e.span_id.is_empty() {
        labels.insert("span_id".into(), Json::from(e.span_id.clone()));
    }
    json!({
        "labels": labels,
        "value": format_value(e.value),
        "timestamp": unix_seconds(e.time_ns),
    })
}

/// `/api/v1/status/buildinfo`: Prometheus' build information (Grafana reads `version` for
/// feature detection).
pub async fn buildinfo_handler() -> PromJson {
    PromJson::new(json!({
        "version": PROMETHEUS_VERSION,
        "revision": env!("CARGO_PKG_VERSION"),
        "branch": "",
        "buildUser": "sightline",
        "buildDate": "",
        "goVersion": "",
    }))
}
