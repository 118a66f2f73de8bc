//! Windowed waterfalls of large traces: `GET|POST /api/ui/traces/{id}/waterfall`.
//!
//! Only the structural columns of the trace are read (ids, parent links, times, name, service,
//! kind, status: tens of bytes per span, never attributes, events or resources), the span tree is
//! built over compact rows ([`tree`]), and only the requested window of the display order is
//! returned. A 100k-span trace is paged through with a few megabytes of working memory.
//!
//! Display order is depth-first, children by start time (then span id); spans whose parent is
//! missing are shown as roots. A span's children are shown when it is expanded: listed in
//! `expanded`, or shallower than `expandDepth` (default: unlimited when `expanded` is absent,
//! else 0), and not listed in `collapsed`.
//!
//! Every answer marks the spans on the trace's critical path ([`critical`]) with their own time
//! on it. On request it also carries an `overview` of all visible rows for a minimap (`overview`:
//! at most that many bars, neighbouring rows merged), the visible rows matching a `search` (name,
//! service or span id, case-insensitive), and where a span is (`locate`: its row, or the
//! ancestors to expand when it is folded away).

pub mod critical;
pub mod tree;

#[cfg(test)]
mod tests;

use std::collections::HashSet;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use http::{HeaderMap, Method};
use serde::Deserialize;
use serde_json::{Value as Json, json};
use sightline_storage::rows::columns::SERVICE_NAME_COLUMN;
use sightline_storage::rows::spans::col;
use sightline_storage::{TelemetryStore, TenantId};

pub use self::tree::SpanTree;
use self::tree::{Expansion, span_number};
use crate::QueryState;
use crate::error::ApiError;
use crate::params::{parse_span_id, parse_trace_id};
use crate::search::value::{kind_name, status_name};

/// Default window size.
pub const DEFAULT_LIMIT: usize = 500;
/// Largest window.
pub const MAX_LIMIT: usize = 10_000;
/// Most overview bars.
pub const MAX_OVERVIEW: usize = 2_000;
/// Most matching rows listed for a search.
pub const MAX_MATCHES: usize = 10_000;

/// What the caller shows: expanded and collapsed spans and the window.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct WaterfallRequest {
    /// Expanded span ids (hex).
    pub expanded: Option<Vec<String>>,
    /// Collapsed span ids (hex); wins over `expanded` and `expand_depth`.
    pub collapsed: Vec<String>,
    /// Spans shallower than this are expanded.
    pub expand_depth: Option<usize>,
    /// First visible row to return.
    pub offset: usize,
    /// Most rows to return.
    pub limit: Option<usize>,
    /// Bars of the minimap overview (none when absent).
    pub overview: Option<usize>,
    /// Text to find in span names, services and ids.
    pub search: Option<String>,
    /// A span id whose row (or hidden ancestors) to report.
    pub locate: Option<String>,
}

/// Query-string form of [`WaterfallRequest`] (comma-separated id lists).
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct WaterfallParams {
    expanded: Option<String>,
    collapsed: Option<String>,
    expand_depth: Option<usize>,
    offset: Option<usize>,
    limit: Option<usize>,
    overview: Option<usize>,
    search: Option<String>,
    locate: Option<String>,
}

fn id_list(text: &str) -> Vec<String> {
    text.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

impl From<WaterfallParams> for WaterfallRequest {
    fn from(p: WaterfallParams) -> Self {
        Self {
            expanded: p.expanded.as_deref().map(id_list),
            collapsed: p.collapsed.as_deref().map(id_list).unwrap_or_default(),
            expand_depth: p.expand_depth,
            offset: p.offset.unwrap_or(0),
            limit: p.limit,
            overview: p.overview,
            search: p.search,
            locate: p.locate,
        }
    }
}

/// Columns a waterfall reads.
pub const WATERFALL_COLUMNS: [&str; 9] = [
    col::SPAN_ID,
    col::PARENT_SPAN_ID,
    col::PARENT_OFFSET,
    col::START_TIME,
    col::DURATION,
    col::NAME,
    SERVICE_NAME_COLUMN,
    col::KIND,
    col::STATUS_CODE,
];

fn parse_span(id: &str) -> Result<u64, ApiError> {
    Ok(span_number(&parse_span_id(id)?))
}

fn parse_ids(ids: &[String]) -> Result<HashSet<u64>, ApiError> {
    ids.iter().map(|id| parse_span(id)).collect()
}

/// One merged bar of the overview.
struct Bar {
    row: usize,
    rows: usize,
    start: u64,
    end: u64,
    error: bool,
    critical: bool,
}

impl Bar {
    fn json(&self, trace_start: u64) -> Json {
        json!({
            "row": self.row,
            "rows": self.rows,
            "startNanos": self.start.saturating_sub(trace_start),
            "endNanos": self.end.saturating_sub(trace_start),
            "error": self.error,
            "critical": self.critical,
        })
    }
}

impl SpanTree {
    fn matches(&self, node: u32, needle: &str) -> bool {
        let n = &self.nodes[node as usize];
        self.text(n.name).to_lowercase().contains(needle)
            || self.text(n.service).to_lowercase().contains(needle)
            || format!("{:016x}", n.span_id).contains(needle)
    }

    /// The waterfall answer for `request`.
    pub fn render(
        &self,
        trace_id: &[u8; 16],
        request: &WaterfallRequest,
    ) -> Result<Json, ApiError> {
        let expansion = Expansion {
            expanded: parse_ids(request.expanded.as_deref().unwrap_or_default())?,
            collapsed: parse_ids(&request.collapsed)?,
            depth: request
                .expand_depth
                .unwrap_or(if request.expanded.is_some() {
                    0
                } else {
                    usize::MAX
                }),
        };
        let located = match request.locate.as_deref().filter(|s| !s.trim().is_empty()) {
            Some(id) => Some(
                self.node_of(parse_span(id.trim())?)
                    .ok_or_else(|| ApiError::NotFound(format!("span {id} is not in the trace")))?,
            ),
            None => None,
        };
        let needle = request
            .search
            .as_deref()
            .map(|s| s.trim().to_lowercase())
            .filter(|s| !s.is_empty());
        let limit = request.limit.unwrap_or(DEFAULT_LIMIT).clamp(1, MAX_LIMIT);
        let end = request.offset.saturating_add(limit);
        let critical = self.critical_path();
        let (trace_start, trace_end) = self.bounds();

        let mut window = Vec::new();
        let mut matches = Vec::new();
        let mut visible_matches = 0usize;
        let mut located_row = None;
        let mut rows = Vec::new();
        let visible = self.walk(&expansion, |row, node, depth, expanded| {
            if row >= request.offset && row < end {
                window.push((node, depth, expanded));
            }
            if let Some(needle) = &needle
                && self.matches(node, needle)
            {
                visible_matches += 1;
                if matches.len() < MAX_MATCHES {
                    matches.push(row);
                }
            }
            if located == Some(node) {
                located_row = Some(row);
            }
            if request.overview.is_some() {
                rows.push(node);
            }
        });
        let overview = request.overview.map(|bars| {
            let per_bar = rows.len().div_ceil(bars.clamp(1, MAX_OVERVIEW)).max(1);
            rows.chunks(per_bar)
                .enumerate()
                .map(|(i, chunk)| {
                    let nodes = chunk.iter().map(|&n| &self.nodes[n as usize]);
                    Bar {
                        row: i * per_bar,
                        rows: chunk.len(),
                        start: nodes.clone().map(|n| n.start).min().unwrap_or(0),
                        end: nodes.clone().map(|n| n.end()).max().unwrap_or(0),
                        error: nodes.clone().any(|n| n.status == 2),
                        critical: chunk.iter().any(|&n| critical.on_path[n as usize]),
                    }
                    .json(trace_start)
                })
                .collect::<Vec<_>>()
        });

        let spans: Vec<Json> = window
            .into_iter()
            .map(|(i, depth, expanded)| {
                let node = &self.nodes[i as usize];
                let segments: Vec<[u64; 2]> = critical.segments[i as usize]
                    .iter()
                    .rev()
                    .map(|&(s, e)| [s - trace_start, e - trace_start])
                    .collect();
                json!({
                    "spanID": format!("{:016x}", node.span_id),
                    "parentSpanID": node.parent.map(|p| format!("{p:016x}")),
                    "name": self.text(node.name),
                    "serviceName": self.text(node.service),
                    "kind": kind_name(node.kind),
                    "status": status_name(node.status),
                    "startTimeUnixNano": node.start.to_string(),
                    "durationNanos": node.duration.to_string(),
                    "depth": depth,
                    "childCount": self.children[i as usize].len(),
                    "expanded": expanded,
                    "critical": critical.on_path[i as usize],
                    "criticalSegments": segments,
                })
            })
            .collect();
        let mut answer = json!({
            "traceID": hex::encode(trace_id),
            "spanCount": self.nodes.len(),
            "visibleCount": visible,
            "offset": request.offset,
            "startTimeUnixNano": trace_start.to_string(),
            "endTimeUnixNano": trace_end.to_string(),
            "criticalSpanCount": critical.on_path.iter().filter(|c| **c).count(),
            "spans": spans,
        });
        if let Some(overview) = overview {
            answer["overview"] = Json::Array(overview);
        }
        if let Some(needle) = &needle {
            let total = (0..self.nodes.len() as u32)
                .filter(|&n| self.matches(n, needle))
                .count();
            answer["search"] = json!({
                "rows": matches,
                "total": total,
                "hidden": total.saturating_sub(visible_matches),
            });
        }
        if let Some(node) = located {
            let ancestors: Vec<String> = self
                .ancestors(node)
                .into_iter()
                .map(|a| format!("{:016x}", self.nodes[a as usize].span_id))
                .collect();
            answer["located"] = json!({ "row": located_row, "ancestors": ancestors });
        }
        Ok(answer)
    }
}

/// Reads the structural columns of a trace; `NotFound` when no span is known.
async fn trace_batches(
    store: &TelemetryStore,
    tenant: &TenantId,
    trace_id: &[u8; 16],
) -> Result<Vec<arrow::record_batch::RecordBatch>, ApiError> {
    let batches = store
        .trace_columns(tenant, trace_id, &WATERFALL_COLUMNS)
        .await?;
    if batches.iter().all(|b| b.num_rows() == 0) {
        return Err(ApiError::NotFound("trace not found".into()));
    }
    Ok(batches)
}

/// Reads the span tree of a trace; `NotFound` when no span is known.
pub async fn span_tree(
    store: &TelemetryStore,
    tenant: &TenantId,
    trace_id: &[u8; 16],
) -> Result<SpanTree, ApiError> {
    let batches = trace_batches(store, tenant, trace_id).await?;
    let tree = tokio::task::spawn_blocking(move || SpanTree::build(&batches))
        .await
        .map_err(|e| ApiError::Internal(format!("waterfall failed: {e}")))?;
    if tree.is_empty() {
        return Err(ApiError::NotFound("trace not found".into()));
    }
    Ok(tree)
}

/// Handles `GET` (query string) and `POST` (JSON body) `/api/ui/traces/{id}/waterfall`.
pub async fn waterfall_handler(
    State(state): State<QueryState>,
    Path(id): Path<String>,
    Query(params): Query<WaterfallParams>,
    method: Method,
    headers: HeaderMap,
    body: Bytes,
) -> Result<axum::Json<Json>, ApiError> {
    let tenant = state.tenant(&headers)?;
    let trace_id = *parse_trace_id(&id)?.as_bytes();
    let request = if method == Method::POST && !body.is_empty() {
        serde_json::from_slice::<WaterfallRequest>(&body)
            .map_err(|e| ApiError::BadRequest(format!("invalid waterfall request: {e}")))?
    } else {
        WaterfallRequest::from(params)
    };
    let batches = trace_batches(&state.store, &tenant, &trace_id).await?;
    // Building the tree and walking it are CPU work over every span: off the async runtime.
    let answer = tokio::task::spawn_blocking(move || {
        let tree = SpanTree::build(&batches);
        if tree.is_empty() {
            return Err(ApiError::NotFound("trace not found".into()));
        }
        tree.render(&trace_id, &request)
    })
    .await
    .map_err(|e| ApiError::Internal(format!("waterfall failed: {e}")))??;
    Ok(axum::Json(answer))
}
