//! The native log endpoints of the web UI, under `/api/ui/logs` and `/api/ui/traces/{id}/logs`.
//!
//! - `GET /api/ui/logs/search`: lines matching free text ([`text`], Tantivy query syntax) and
//!   filters (`service`, `level`, repeated `attr=name=value`, `traceId`, `spanId`) in a time
//!   range, newest first, `limit` per page, `cursor` for the next page.
//! - `GET /api/ui/logs/histogram`: matching lines per interval (`buckets`, default 60), split by
//!   level.
//! - `GET /api/ui/logs/facets`: top values of `service_name`, `level` and the `attribute` asked
//!   for among matching lines.
//! - `GET /api/ui/traces/{id}/logs`: the lines of a trace (or of one span, `spanId=`), oldest
//!   first.
//!
//! Every line carries its trace and span ids so the UI links logs and traces both ways. When a
//! search is only label equalities (no free text, attributes or ids), the histogram and the
//! service/level facets are counted from the blocks' indexes without reading rows
//! ([`crate::logs::count`]): a day of 10M lines in about a second instead of twenty.

pub mod text;

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use http::HeaderMap;
use serde_json::{Value as Json, json};
use sightline_storage::block::log_index::LogIndexQuery;
use sightline_storage::{TelemetryStore, TenantId};

use self::text::{TextQuery, words_of};
use crate::QueryState;
use crate::error::ApiError;
use crate::logs::count;
use crate::logs::query::collect_lines;
use crate::logs::{Direction, LogEntry, LogLine, LogScan, ScanStats, scan_logs};
use crate::loki::encode::labels_json;
use crate::loki::request::LokiParams;
use crate::params::{blocking, parse_timestamp, parse_trace_id};

const HOUR: u64 = 3600 * 1_000_000_000;
/// Lines per page unless `limit` says otherwise.
const DEFAULT_PAGE: usize = 100;
/// The most lines a page may ask for.
const MAX_PAGE: usize = 5000;

/// A search's conditions: the free text plus the filters, and the index conditions they imply.
struct LogFilter {
    text: TextQuery,
    conditions: LogIndexQuery,
}

impl LogFilter {
    fn from_params(params: &LokiParams, range: (u64, u64)) -> Result<Self, ApiError> {
        let mut clauses = vec![TextQuery::parse(params.get("q").unwrap_or(""))?];
        let field = |name: &str, value: &str| TextQuery::Field {
            name: name.into(),
            value: value.into(),
            prefix: false,
        };
        if let Some(service) = params.get("service") {
            clauses.push(field("service_name", service));
        }
        if let Some(level) = params.get("level") {
            clauses.push(field("level", level));
        }
        if let Some(id) = params.get("traceId") {
            clauses.push(field("trace_id", id));
        }
        if let Some(id) = params.get("spanId") {
            clauses.push(field("span_id", id));
        }
        for attr in params.all("attr") {
            let (name, value) = attr.split_once('=').ok_or_else(|| {
                ApiError::BadRequest(format!("invalid attr {attr:?}: expected name=value"))
            })?;
            clauses.push(TextQuery::Field {
                name: sightline_storage::block::log_index::loki_label_name(name),
                value: value.into(),
                prefix: false,
            });
        }
        let text = TextQuery::Bool {
            must: clauses,
            should: Vec::new(),
            must_not: Vec::new(),
        };
        let mut conditions = LogIndexQuery {
            time_range: Some(range),
            ..LogIndexQuery::default()
        };
        text.push_down(&mut conditions);
        Ok(Self { text, conditions })
    }

    fn matches(&self, line: &LogLine) -> bool {
        self.text.matches(line, &words_of(&line.line))
    }

    /// True when the blocks' indexes decide the search alone (label equalities and the range).
    fn is_label_only(&self) -> bool {
        self.text.is_exact_in_index() && count::is_label_only(&self.conditions)
    }
}

fn range_of(params: &LokiParams) -> Result<(u64, u64), ApiError> {
    let end = match params.get("end") {
        Some(end) => parse_timestamp("end", end)?,
        None => crate::params::now_nanos(),
    };
    let start = match params.get("start") {
        Some(start) => parse_timestamp("start", start)?,
        None => end.saturating_sub(HOUR),
    };
    if end < start {
        return Err(ApiError::BadRequest("end must not be before start".into()));
    }
    Ok((start, end))
}

fn entry_of(line: LogLine) -> LogEntry {
    let (stream, metadata) = line.label_sets();
    let mut labels = stream.clone();
    for (name, value) in metadata.iter() {
        labels.set(name, value);
    }
    LogEntry {
        time: line.time,
        line: line.line,
        labels,
        stream,
        metadata,
    }
}

/// A line as the UI gets it.
pub fn line_json(entry: &LogEntry) -> Json {
    let mut metadata = entry.metadata.clone();
    let trace_id = metadata.remove("trace_id");
    let span_id = metadata.remove("span_id");
    json!({
        "time": entry.time.to_string(),
        "timestamp": chrono::DateTime::from_timestamp_nanos(entry.time as i64)
            .to_rfc3339_opts(chrono::SecondsFormat::Nanos, true),
        "line": entry.line,
        "service": entry.stream.get("service_name").unwrap_or(""),
        "level": entry.stream.get("level").unwrap_or(""),
        "traceId": trace_id,
        "spanId": span_id,
        "labels": labels_json(&entry.stream),
        "metadata": labels_json(&metadata),
    })
}

/// `cursor` is `<time ns>:<lines already returned at that time>`.
fn parse_cursor(text: &str) -> Result<(u64, usize), ApiError> {
    let invalid = || ApiError::BadRequest(format!("invalid cursor {text:?}"));
    let (time, skip) = text.split_once(':').ok_or_else(invalid)?;
    Ok((
        time.parse().map_err(|_| invalid())?,
        skip.parse().map_err(|_| invalid())?,
    ))
}

/// `GET /api/ui/logs/search`.
pub async fn search_handler(
    State(state): State<QueryState>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Result<axum::Json<Json>, ApiError> {
    let tenant = state.tenant(&headers)?;
    let params = LokiParams::new(query.as_deref(), &headers, &Bytes::new())?;
    let (start, mut end) = range_of(&params)?;
    let limit = params.usize("limit", DEFAULT_PAGE)?.min(MAX_PAGE);
    let mut skip = 0;
    if let Some(cursor) = params.get("cursor") {
        let (time, already) = parse_cursor(cursor)?;
        end = end.min(time);
        skip = already;
    }
    let filter = LogFilter::from_params(&params, (start, end))?;
    let store = state.store.clone();
    let (mut entries, stats) = blocking(move |runtime| {
        let scan = LogScan {
            conditions: filter.conditions.clone(),
            direction: Direction::Backward,
            stream_labels_only: false,
        };
        let process = |line: LogLine| filter.matches(&line).then(|| entry_of(line));
        Ok(collect_lines(
            &store,
            &tenant,
            &scan,
            limit + skip + 1,
            runtime,
            process,
        )?)
    })
    .await?;
    let skipped = skip.min(entries.iter().filter(|e| e.time == end).count());
    entries.drain(..skipped);
    let more = entries.len() > limit;
    entries.truncate(limit);
    let next_cursor = more.then(|| {
        let last = entries.last().map_or(end, |e| e.time);
        let at_last = entries.iter().filter(|e| e.time == last).count();
        let carried = if last == end { skipped } else { 0 };
        format!("{last}:{}", at_last + carried)
    });
    Ok(axum::Json(json!({
        "lines": entries.iter().map(line_json).collect::<Vec<_>>(),
        "nextCursor": next_cursor,
        "stats": scan_stats_json(&stats),
    })))
}

fn scan_stats_json(stats: &ScanStats) -> Json {
    json!({
        "blocksRead": stats.blocks_read,
        "rowsRead": stats.rows_read,
        "linesMatched": stats.lines,
    })
}

/// Visits every matching line of a search.
fn visit_matching(
    store: &TelemetryStore,
    tenant: &TenantId,
    filter: &LogFilter,
    runtime: &tokio::runtime::Handle,
    visit: &mut dyn FnMut(&LogLine),
) -> Result<ScanStats, ApiError> {
    let scan = LogScan {
        conditions: filter.conditions.clone(),
        direction: Direction::Backward,
        stream_labels_only: false,
    };
    Ok(scan_logs(
        store,
        tenant,
        &scan,
        runtime,
        &mut |_, _| false,
        &mut |line| {
            if filter.matches(&line) {
                visit(&line);
            }
        },
    )?)
}

/// `GET /api/ui/logs/histogram`.
pub async fn histogram_handler(
    State(state): State<QueryState>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Result<axum::Json<Json>, ApiError> {
    let tenant = state.tenant(&headers)?;
    let params = LokiParams::new(query.as_deref(), &headers, &Bytes::new())?;
    let (start, end) = range_of(&params)?;
    let buckets = params.usize("buckets", 60)?.min(1000);
    let step = (end - start + 1)
        .div_ceil(buckets as u64)
        .max(1_000_000_000);
    let filter = LogFilter::from_params(&params, (start, end))?;
    let store = state.store.clone();
    let (counts, stats) = blocking(move |runtime| {
        let mut counts: Vec<(u64, HashMap<String, u64>)> = Vec::new();
        let n = (end - start + 1).div_ceil(step) as usize;
        counts.resize_with(n, Default::default);
        let mut add = |time: u64, level: &str| {
            let bucket = (time.saturating_sub(start) / step) as usize;
            if let Some((count, levels)) = counts.get_mut(bucket) {
                *count += 1;
                match levels.get_mut(level) {
                    Some(n) => *n += 1,
                    None => {
                        levels.insert(level.to_string(), 1);
                    }
                }
            }
        };
        if filter.is_label_only()
            && let Some(stats) = count::visit_label_times(
                &store,
                &tenant,
                &filter.conditions,
                "level",
                runtime,
                &mut add,
            )?
        {
            return Ok((counts, stats));
        }
        let stats = visit_matching(&store, &tenant, &filter, runtime, &mut |line| {
            add(line.time, line.label("level").unwrap_or(""))
        })?;
        Ok((counts, stats))
    })
    .await?;
    let buckets: Vec<Json> = counts
        .into_iter()
        .enumerate()
        .map(|(i, (count, levels))| {
            json!({ "time": (start + i as u64 * step).to_string(), "count": count, "levels": levels })
        })
        .collect();
    Ok(axum::Json(json!({
        "start": start.to_string(),
        "end": end.to_string(),
        "step": step.to_string(),
        "buckets": buckets,
        "stats": scan_stats_json(&stats),
    })))
}

/// Facet counts from the blocks' indexes alone (label-only searches); `None` when a block has
/// no index (and `counts` is untouched).
fn index_facets(
    store: &TelemetryStore,
    tenant: &TenantId,
    filter: &LogFilter,
    names: &[String],
    runtime: &tokio::runtime::Handle,
    counts: &mut [HashMap<String, u64>],
) -> Result<Option<ScanStats>, ApiError> {
    let mut found: Vec<HashMap<String, u64>> = vec![HashMap::new(); names.len()];
    let mut stats = ScanStats::default();
    for (name, counts) in names.iter().zip(found.iter_mut()) {
        let visited = count::visit_label_times(
            store,
            tenant,
            &filter.conditions,
            name,
            runtime,
            &mut |_, value| {
                if !value.is_empty() {
                    *counts.entry(value.to_string()).or_default() += 1;
                }
            },
        )?;
        let Some(visited) = visited else {
            return Ok(None);
        };
        stats = visited;
    }
    counts.clone_from_slice(&found);
    Ok(Some(stats))
}

/// `GET /api/ui/logs/facets`.
pub async fn facets_handler(
    State(state): State<QueryState>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Result<axum::Json<Json>, ApiError> {
    let tenant = state.tenant(&headers)?;
    let params = LokiParams::new(query.as_deref(), &headers, &Bytes::new())?;
    let range = range_of(&params)?;
    let top = params.usize("limit", 10)?;
    let mut names = vec!["service_name".to_string(), "level".to_string()];
    if let Some(attribute) = params.get("attribute") {
        names.push(sightline_storage::block::log_index::loki_label_name(
            attribute,
        ));
    }
    let filter = LogFilter::from_params(&params, range)?;
    let store = state.store.clone();
    let facet_names = names.clone();
    let with_attribute = params.get("attribute").is_some();
    let (counts, stats) = blocking(move |runtime| {
        let mut counts: Vec<HashMap<String, u64>> = vec![HashMap::new(); facet_names.len()];
        // An attribute may be structured metadata, which the index does not hold as a label.
        if !with_attribute
            && filter.is_label_only()
            && let Some(stats) =
                index_facets(&store, &tenant, &filter, &facet_names, runtime, &mut counts)?
        {
            return Ok((counts, stats));
        }
        let stats = visit_matching(&store, &tenant, &filter, runtime, &mut |line| {
            for (name, counts) in facet_names.iter().zip(counts.iter_mut()) {
                if let Some(value) = line.label(name) {
                    *counts.entry(value.to_string()).or_default() += 1;
                }
            }
        })?;
        Ok((counts, stats))
    })
    .await?;
    let mut facets = serde_json::Map::new();
    for (name, counts) in names.into_iter().zip(counts) {
        let mut values: Vec<(String, u64)> = counts.into_iter().collect();
        values.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        let others: u64 = values.iter().skip(top).map(|v| v.1).sum();
        values.truncate(top);
        facets.insert(
            name,
            json!({
                "values": values.iter().map(|(v, c)| json!({"value": v, "count": c})).collect::<Vec<_>>(),
                "otherCount": others,
            }),
        );
    }
    Ok(axum::Json(
        json!({ "facets": facets, "stats": scan_stats_json(&stats) }),
    ))
}

/// `GET /api/ui/traces/{id}/logs`: the lines of a trace (optionally of one span), oldest first,
/// from any time.
pub async fn trace_logs_handler(
    State(state): State<QueryState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Result<axum::Json<Json>, ApiError> {
    let tenant = state.tenant(&headers)?;
    let params = LokiParams::new(query.as_deref(), &headers, &Bytes::new())?;
    let trace_id = parse_trace_id(&id)?.to_hex();
    let span_id = params
        .get("spanId")
        .map(|s| s.trim().to_ascii_lowercase())
        .filter(|s| s.len() == 16 && s.bytes().all(|b| b.is_ascii_hexdigit()));
    if params.get("spanId").is_some() && span_id.is_none() {
        return Err(ApiError::BadRequest("spanId must be 16 hex digits".into()));
    }
    let limit = params.usize("limit", 1000)?.min(MAX_PAGE);
    let store = state.store.clone();
    let (entries, _) = blocking(move |runtime| {
        let scan = LogScan {
            conditions: LogIndexQuery {
                trace_id: Some(trace_id),
                span_id,
                ..LogIndexQuery::default()
            },
            direction: Direction::Forward,
            stream_labels_only: false,
        };
        Ok(collect_lines(
            &store,
            &tenant,
            &scan,
            limit,
            runtime,
            |line| Some(entry_of(line)),
        )?)
    })
    .await?;
    Ok(axum::Json(json!({
        "lines": entries.iter().map(line_json).collect::<Vec<_>>(),
    })))
}
