//! Windowed waterfalls of large traces: `GET|POST /api/ui/traces/{id}/waterfall`.
//!
//! Only the structural columns of the trace are read (ids, parent links, times, name, service,
//! kind, status: tens of bytes per span, never attributes, events or resources), the span tree is
//! built over compact rows, and only the requested window of the display order is returned. A
//! 100k-span trace is paged through with a few megabytes of working memory.
//!
//! Display order is depth-first, children by start time (then span id); spans whose parent is
//! missing are shown as roots. A span's children are shown when it is expanded: listed in
//! `expanded`, or shallower than `expandDepth` (default: unlimited when `expanded` is absent,
//! else 0), and not listed in `collapsed`.

use std::collections::{HashMap, HashSet};

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use http::{HeaderMap, Method};
use serde::Deserialize;
use serde_json::{Value as Json, json};
use sightline_storage::rows::columns::SERVICE_NAME_COLUMN;
use sightline_storage::rows::spans::col;
use sightline_storage::{TelemetryStore, TenantId};

use crate::QueryState;
use crate::error::ApiError;
use crate::params::parse_trace_id;
use crate::search::table::SpanView;
use crate::search::value::{kind_name, status_name};

/// Default window size.
pub const DEFAULT_LIMIT: usize = 500;
/// Largest window.
pub const MAX_LIMIT: usize = 10_000;

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
        }
    }
}

/// One span of the trace, compactly.
#[derive(Debug, Clone)]
struct Node {
    span_id: u64,
    parent: Option<u64>,
    start: u64,
    duration: i64,
    name: u32,
    service: u32,
    kind: i32,
    status: i32,
}

/// A visible row: (node, depth, expanded).
type Row = (u32, usize, bool);

/// A trace's span tree in compact form.
pub struct SpanTree {
    nodes: Vec<Node>,
    strings: Vec<String>,
    children: Vec<Vec<u32>>,
    roots: Vec<u32>,
}

fn span_number(id: &[u8]) -> u64 {
    let mut bytes = [0u8; 8];
    let n = id.len().min(8);
    bytes[8 - n..].copy_from_slice(&id[id.len() - n..]);
    u64::from_be_bytes(bytes)
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

impl SpanTree {
    /// Builds the tree from the trace's column batches (duplicate span ids kept once).
    pub fn build(batches: &[arrow::record_batch::RecordBatch]) -> Self {
        let mut nodes = Vec::new();
        let mut strings: Vec<String> = Vec::new();
        let mut interned: HashMap<String, u32> = HashMap::new();
        let mut intern = |text: &str| -> u32 {
            if let Some(i) = interned.get(text) {
                return *i;
            }
            let i = strings.len() as u32;
            strings.push(text.to_string());
            interned.insert(text.to_string(), i);
            i
        };
        let mut seen = HashSet::new();
        for batch in batches {
            let view = SpanView::new(batch);
            for row in 0..view.len() {
                let Some(id) = view.span_id(row) else {
                    continue;
                };
                let span_id = span_number(id);
                if !seen.insert(span_id) {
                    continue;
                }
                let parent = view
                    .parent_span_id(row)
                    .map(|p| span_number(&p))
                    .filter(|p| *p != 0);
                nodes.push(Node {
                    span_id,
                    parent,
                    start: view.start(row),
                    duration: view.duration(row),
                    name: intern(view.name(row)),
                    service: intern(view.service(row)),
                    kind: view.kind(row),
                    status: view.status(row),
                });
            }
        }
        let index: HashMap<u64, u32> = nodes
            .iter()
            .enumerate()
            .map(|(i, n)| (n.span_id, i as u32))
            .collect();
        let mut children: Vec<Vec<u32>> = vec![Vec::new(); nodes.len()];
        let mut roots = Vec::new();
        for (i, node) in nodes.iter().enumerate() {
            match node.parent.and_then(|p| index.get(&p)) {
                Some(&parent) if parent as usize != i => children[parent as usize].push(i as u32),
                _ => roots.push(i as u32),
            }
        }
        let order = |list: &mut Vec<u32>| {
            list.sort_by_key(|&i| (nodes[i as usize].start, nodes[i as usize].span_id))
        };
        order(&mut roots);
        for list in &mut children {
            order(list);
        }
        Self {
            nodes,
            strings,
            children,
            roots,
        }
    }

    /// Number of spans.
    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    /// True without spans.
    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    /// The window of the display order: (total visible rows, [(node, depth, expanded)]).
    fn window(&self, request: &WaterfallRequest) -> Result<(usize, Vec<Row>), ApiError> {
        let parse = |ids: &[String]| -> Result<HashSet<u64>, ApiError> {
            ids.iter()
                .map(|id| {
                    let bytes = hex::decode(format!("{id:0>16}"))
                        .ok()
                        .filter(|b| b.len() == 8)
                        .ok_or_else(|| ApiError::BadRequest(format!("invalid span id {id:?}")))?;
                    Ok(span_number(&bytes))
                })
                .collect()
        };
        let expanded = parse(request.expanded.as_deref().unwrap_or_default())?;
        let collapsed = parse(&request.collapsed)?;
        let expand_depth = request
            .expand_depth
            .unwrap_or(if request.expanded.is_some() {
                0
            } else {
                usize::MAX
            });
        let limit = request.limit.unwrap_or(DEFAULT_LIMIT).clamp(1, MAX_LIMIT);
        let end = request.offset.saturating_add(limit);
        let mut window = Vec::new();
        let mut visible = 0usize;
        // Iterative depth-first walk; a stack of (node, depth), children pushed in reverse.
        let mut stack: Vec<(u32, usize)> = self.roots.iter().rev().map(|&r| (r, 0)).collect();
        while let Some((node, depth)) = stack.pop() {
            let span_id = self.nodes[node as usize].span_id;
            let is_expanded = !collapsed.contains(&span_id)
                && (depth < expand_depth || expanded.contains(&span_id));
            if visible >= request.offset && visible < end {
                window.push((node, depth, is_expanded));
            }
            visible += 1;
            if is_expanded {
                stack.extend(
                    self.children[node as usize]
                        .iter()
                        .rev()
                        .map(|&c| (c, depth + 1)),
                );
            }
        }
        Ok((visible, window))
    }

    /// The waterfall answer for `request`.
    pub fn render(
        &self,
        trace_id: &[u8; 16],
        request: &WaterfallRequest,
    ) -> Result<Json, ApiError> {
        let (visible, window) = self.window(request)?;
        let start = self.nodes.iter().map(|n| n.start).min().unwrap_or(0);
        let end = self
            .nodes
            .iter()
            .map(|n| n.start.saturating_add(n.duration.max(0) as u64))
            .max()
            .unwrap_or(0);
        let spans: Vec<Json> = window
            .into_iter()
            .map(|(i, depth, expanded)| {
                let node = &self.nodes[i as usize];
                json!({
                    "spanID": format!("{:016x}", node.span_id),
                    "parentSpanID": node.parent.map(|p| format!("{p:016x}")),
                    "name": self.strings[node.name as usize],
                    "serviceName": self.strings[node.service as usize],
                    "kind": kind_name(node.kind),
                    "status": status_name(node.status),
                    "startTimeUnixNano": node.start.to_string(),
                    "durationNanos": node.duration.to_string(),
                    "depth": depth,
                    "childCount": self.children[i as usize].len(),
                    "expanded": expanded,
                })
            })
            .collect();
        Ok(json!({
            "traceID": hex::encode(trace_id),
            "spanCount": self.nodes.len(),
            "visibleCount": visible,
            "offset": request.offset,
            "startTimeUnixNano": start.to_string(),
            "endTimeUnixNano": end.to_string(),
            "spans": spans,
        }))
    }
}

/// Reads the span tree of a trace; `NotFound` when no span is known.
pub async fn span_tree(
    store: &TelemetryStore,
    tenant: &TenantId,
    trace_id: &[u8; 16],
) -> Result<SpanTree, ApiError> {
    let batches = store
        .trace_columns(tenant, trace_id, &WATERFALL_COLUMNS)
        .await?;
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
    let tree = span_tree(&state.store, &tenant, &trace_id).await?;
    Ok(axum::Json(tree.render(&trace_id, &request)?))
}

#[cfg(test)]
mod tests {
    use sightline_proto::otlp::collector::trace::v1::ExportTraceServiceRequest;
    use sightline_proto::otlp::common::v1::{AnyValue, KeyValue, any_value};
    use sightline_proto::otlp::resource::v1::Resource;
    use sightline_proto::otlp::trace::v1::{ResourceSpans, ScopeSpans, Span};
    use sightline_storage::{MemoryBudget, SignalRequest, StoreConfig, TelemetryStore};

    use super::*;

    const TRACE: [u8; 16] = [7; 16];

    fn span(id: u64, parent: u64, start: u64) -> Span {
        Span {
            trace_id: TRACE.to_vec(),
            span_id: id.to_be_bytes().to_vec(),
            parent_span_id: if parent == 0 {
                Vec::new()
            } else {
                parent.to_be_bytes().to_vec()
            },
            name: format!("op-{id}"),
            kind: 2,
            start_time_unix_nano: 1_700_000_000_000_000_000 + start,
            end_time_unix_nano: 1_700_000_000_000_000_000 + start + 1_000,
            ..Default::default()
        }
    }

    fn request(spans: Vec<Span>) -> SignalRequest {
        SignalRequest::Traces(ExportTraceServiceRequest {
            resource_spans: vec![ResourceSpans {
                resource: Some(Resource {
                    attributes: vec![KeyValue {
                        key: "service.name".into(),
                        value: Some(AnyValue {
                            value: Some(any_value::Value::StringValue("svc".into())),
                        }),
                        key_strindex: 0,
                    }],
                    ..Default::default()
                }),
                scope_spans: vec![ScopeSpans {
                    spans,
                    ..Default::default()
                }],
                schema_url: String::new(),
            }],
        })
    }

    async fn store(dir: &std::path::Path, parts: Vec<Vec<Span>>) -> TelemetryStore {
        let (store, _) =
            TelemetryStore::open_local(StoreConfig::new(dir), MemoryBudget::new(4 << 30))
                .await
                .unwrap();
        for spans in parts {
            let prepared = store
                .prepare(TenantId::single_tenant(), &request(spans), None)
                .unwrap();
            store.commit(prepared).await.unwrap();
        }
        store
    }

    fn names(answer: &Json) -> Vec<(String, u64)> {
        answer["spans"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| {
                (
                    s["name"].as_str().unwrap().to_string(),
                    s["depth"].as_u64().unwrap(),
                )
            })
            .collect()
    }

    fn owned(rows: &[(&str, u64)]) -> Vec<(String, u64)> {
        rows.iter().map(|(n, d)| (n.to_string(), *d)).collect()
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn display_order_expansion_and_windows_across_block_and_head() {
        let dir = tempfile::tempdir().unwrap();
        // 1 -> {2 (t=20), 3 (t=10)}; 3 -> 4; 9 has a parent that never arrived.
        let store = store(
            dir.path(),
            vec![vec![span(1, 0, 0), span(2, 1, 20), span(3, 1, 10)]],
        )
        .await;
        store.flush().await.unwrap();
        let prepared = store
            .prepare(
                TenantId::single_tenant(),
                &request(vec![span(4, 3, 15), span(9, 8, 30), span(3, 1, 10)]),
                None,
            )
            .unwrap();
        store.commit(prepared).await.unwrap();
        let tree = span_tree(&store, &TenantId::single_tenant(), &TRACE)
            .await
            .unwrap();
        assert_eq!(tree.len(), 5, "the duplicate of span 3 is kept once");
        let all = tree.render(&TRACE, &WaterfallRequest::default()).unwrap();
        assert_eq!(
            names(&all),
            owned(&[
                ("op-1", 0),
                ("op-3", 1),
                ("op-4", 2),
                ("op-2", 1),
                ("op-9", 0)
            ])
        );
        assert_eq!(all["visibleCount"], 5);
        assert_eq!(all["spans"][0]["childCount"], 2);
        assert_eq!(all["spans"][1]["parentSpanID"], "0000000000000001");
        assert_eq!(all["spans"][0]["kind"], "server");

        let only_root = WaterfallRequest {
            expanded: Some(vec!["1".into()]),
            ..Default::default()
        };
        let answer = tree.render(&TRACE, &only_root).unwrap();
        assert_eq!(
            names(&answer),
            owned(&[("op-1", 0), ("op-3", 1), ("op-2", 1), ("op-9", 0)])
        );
        assert_eq!(answer["spans"][1]["expanded"], false);

        let collapsed = WaterfallRequest {
            collapsed: vec!["0000000000000003".into()],
            offset: 1,
            limit: Some(2),
            ..Default::default()
        };
        let answer = tree.render(&TRACE, &collapsed).unwrap();
        assert_eq!(names(&answer), owned(&[("op-3", 1), ("op-2", 1)]));
        assert_eq!(answer["visibleCount"], 4);

        let bad = WaterfallRequest {
            expanded: Some(vec!["not-hex".into()]),
            ..Default::default()
        };
        assert!(tree.render(&TRACE, &bad).is_err());
        assert!(matches!(
            span_tree(&store, &TenantId::single_tenant(), &[1; 16]).await,
            Err(ApiError::NotFound(_))
        ));
        store.shutdown().await.unwrap();
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_trace_of_100k_spans_is_paged() {
        // Root -> 100 children -> 999 grandchildren each: 100,001 spans.
        let mut spans = vec![span(1, 0, 0)];
        for child in 0..100u64 {
            let child_id = 2 + child;
            spans.push(span(child_id, 1, child * 10_000));
            for grandchild in 0..999u64 {
                let id = 1_000 + child * 1_000 + grandchild;
                spans.push(span(id, child_id, child * 10_000 + grandchild));
            }
        }
        let dir = tempfile::tempdir().unwrap();
        let store = store(dir.path(), vec![spans]).await;
        store.flush().await.unwrap();
        let tree = span_tree(&store, &TenantId::single_tenant(), &TRACE)
            .await
            .unwrap();
        assert_eq!(tree.len(), 100_001);
        // Collapsed children: the root and its 100 children are visible.
        let top = WaterfallRequest {
            expand_depth: Some(1),
            limit: Some(50),
            ..Default::default()
        };
        let answer = tree.render(&TRACE, &top).unwrap();
        assert_eq!(answer["visibleCount"], 101);
        assert_eq!(answer["spans"].as_array().unwrap().len(), 50);
        assert_eq!(answer["spans"][1]["childCount"], 999);
        // Everything expanded, a window deep inside: child 50's grandchildren.
        let deep = WaterfallRequest {
            offset: 1 + 50 * 1_000 + 1,
            limit: Some(3),
            ..Default::default()
        };
        let answer = tree.render(&TRACE, &deep).unwrap();
        assert_eq!(answer["visibleCount"], 100_001);
        assert_eq!(
            names(&answer),
            owned(&[("op-51000", 2), ("op-51001", 2), ("op-51002", 2)])
        );
        store.shutdown().await.unwrap();
    }
}
