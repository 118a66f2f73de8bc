//! The service map of a time range, read from the metrics Sightline derives at ingest (Tempo's
//! `traces_service_graph_*` and `traces_spanmetrics_*`), so it needs no batch job and covers any
//! past range the metrics cover.
//!
//! Edges come from the service-graph counters: requests and failures are the counters' growth
//! over the range, latency quantiles come from the server-side histogram (the client-side one
//! when the callee is uninstrumented). Instrumented services take their stats from span metrics
//! (their SERVER and CONSUMER spans); virtual nodes (databases, `user`, uninstrumented peers)
//! from the edges into them.

pub mod counters;
pub mod scan;

use std::collections::{BTreeMap, BTreeSet};

use sightline_storage::{TelemetryStore, TenantId};

use crate::error::ApiError;
use counters::{Buckets, by_series, increase};
use scan::{PointScan, StoredPoint, scan_points};

/// `traces_service_graph_request_total`.
pub const GRAPH_REQUESTS: &str = "traces_service_graph_request_total";
/// `traces_service_graph_request_failed_total`.
pub const GRAPH_FAILED: &str = "traces_service_graph_request_failed_total";
/// `traces_service_graph_request_server_seconds`.
pub const GRAPH_SERVER_SECONDS: &str = "traces_service_graph_request_server_seconds";
/// `traces_service_graph_request_client_seconds`.
pub const GRAPH_CLIENT_SECONDS: &str = "traces_service_graph_request_client_seconds";
/// `traces_spanmetrics_calls_total`.
pub const SPANMETRICS_CALLS: &str = "traces_spanmetrics_calls_total";
/// `traces_spanmetrics_latency`.
pub const SPANMETRICS_LATENCY: &str = "traces_spanmetrics_latency";

/// How far before a range points are read, to know where cumulative counters stood at its start.
const LOOKBEHIND: u64 = 15 * 60 * 1_000_000_000;

/// Latency quantiles, seconds.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Latency {
    /// Median.
    pub p50: Option<f64>,
    /// 95th percentile.
    pub p95: Option<f64>,
    /// 99th percentile.
    pub p99: Option<f64>,
}

impl Latency {
    fn of(buckets: &Buckets) -> Self {
        Self {
            p50: buckets.quantile(0.5),
            p95: buckets.quantile(0.95),
            p99: buckets.quantile(0.99),
        }
    }
}

/// What kind of node a service-map node is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum NodeKind {
    /// An instrumented service (it has span metrics).
    Service,
    /// A database, named by `db.namespace`/`db.name` or `db.system`.
    Database,
    /// A queue or topic producers publish to and no instrumented consumer reads (yet), named by
    /// `peer.service` or `messaging.system`.
    Queue,
    /// An uninstrumented caller or callee (`user`, `peer.service`, `server.address`, ...).
    Virtual,
}

impl NodeKind {
    /// The kind's name in the API.
    pub fn as_str(self) -> &'static str {
        match self {
            NodeKind::Service => "service",
            NodeKind::Database => "database",
            NodeKind::Queue => "queue",
            NodeKind::Virtual => "virtual",
        }
    }
}

/// A node with its stats over the range.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    /// Service or virtual node name.
    pub name: String,
    /// What it is.
    pub kind: NodeKind,
    /// Requests served (SERVER and CONSUMER spans; for virtual nodes, calls into them).
    pub requests: u64,
    /// Of which failed.
    pub errors: u64,
    /// Latency of those requests.
    pub latency: Latency,
}

/// An edge with its stats over the range.
#[derive(Debug, Clone, PartialEq)]
pub struct Edge {
    /// Caller.
    pub client: String,
    /// Callee.
    pub server: String,
    /// Tempo's `connection_type`: empty (`unset`), `virtual_node`, `messaging_system` or
    /// `database`.
    pub connection_type: String,
    /// Requests.
    pub requests: u64,
    /// Failed requests.
    pub failed: u64,
    /// Request latency (server side when the callee is instrumented).
    pub latency: Latency,
}

/// The service map of a range.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ServiceMap {
    /// Range start, unix nanoseconds.
    pub start: u64,
    /// Range end, unix nanoseconds.
    pub end: u64,
    /// Nodes, by name.
    pub nodes: Vec<Node>,
    /// Edges, by (client, server).
    pub edges: Vec<Edge>,
}

impl ServiceMap {
    /// Range length in seconds (at least 1 ns).
    pub fn seconds(&self) -> f64 {
        (self.end.saturating_sub(self.start).max(1)) as f64 / 1e9
    }

    /// Keeps the nodes within `depth` edges of `service` (either direction) and the edges among
    /// them.
    pub fn around(mut self, service: &str, depth: usize) -> Self {
        let mut kept: BTreeSet<String> = BTreeSet::from([service.to_string()]);
        let mut frontier = kept.clone();
        for _ in 0..depth {
            let mut next = BTreeSet::new();
            for edge in &self.edges {
                if frontier.contains(&edge.client) && !kept.contains(&edge.server) {
                    next.insert(edge.server.clone());
                }
                if frontier.contains(&edge.server) && !kept.contains(&edge.client) {
                    next.insert(edge.client.clone());
                }
            }
            if next.is_empty() {
                break;
            }
            kept.extend(next.iter().cloned());
            frontier = next;
        }
        self.nodes.retain(|n| kept.contains(&n.name));
        self.edges
            .retain(|e| kept.contains(&e.client) && kept.contains(&e.server));
        self
    }
}

/// Labels read from the derived metrics, in this order.
const LABELS: [&str; 6] = [
    "client",
    "server",
    "connection_type",
    "service",
    "span_kind",
    "status_code",
];
const CLIENT: usize = 0;
const SERVER: usize = 1;
const CONNECTION_TYPE: usize = 2;
const SERVICE: usize = 3;
const SPAN_KIND: usize = 4;
const STATUS_CODE: usize = 5;

const METRICS: [&str; 6] = [
    GRAPH_REQUESTS,
    GRAPH_FAILED,
    GRAPH_SERVER_SECONDS,
    GRAPH_CLIENT_SECONDS,
    SPANMETRICS_CALLS,
    SPANMETRICS_LATENCY,
];

#[derive(Default)]
struct EdgeTotals {
    requests: f64,
    failed: f64,
    server: Buckets,
    client: Buckets,
}

#[derive(Default)]
struct NodeTotals {
    requests: f64,
    errors: f64,
    latency: Buckets,
}

/// Builds the service map of `[start, end]` (unix nanoseconds) from stored points.
pub fn build(points: &[StoredPoint], start: u64, end: u64) -> ServiceMap {
    let mut edges: BTreeMap<(String, String), (String, EdgeTotals)> = BTreeMap::new();
    let mut services: BTreeMap<String, NodeTotals> = BTreeMap::new();
    for (_, mut series) in by_series(points) {
        let first = series[0];
        let grown = increase(&mut series, start);
        if grown.is_empty() {
            continue;
        }
        let labels = &first.labels;
        let name = METRICS[first.metric];
        if name.starts_with("traces_service_graph") {
            let key = (labels[CLIENT].clone(), labels[SERVER].clone());
            let (connection_type, totals) = edges.entry(key).or_default();
            if connection_type.is_empty() {
                connection_type.clone_from(&labels[CONNECTION_TYPE]);
            }
            match name {
                GRAPH_REQUESTS => totals.requests += grown[0],
                GRAPH_FAILED => totals.failed += grown[0],
                GRAPH_SERVER_SECONDS => totals.server.add(&first.bounds, &grown[1..]),
                _ => totals.client.add(&first.bounds, &grown[1..]),
            }
            continue;
        }
        let service = services.entry(labels[SERVICE].clone()).or_default();
        if !matches!(
            labels[SPAN_KIND].as_str(),
            "SPAN_KIND_SERVER" | "SPAN_KIND_CONSUMER"
        ) {
            continue;
        }
        if name == SPANMETRICS_CALLS {
            service.requests += grown[0];
            if labels[STATUS_CODE] == "STATUS_CODE_ERROR" {
                service.errors += grown[0];
            }
        } else {
            service.latency.add(&first.bounds, &grown[1..]);
        }
    }

    let mut nodes: BTreeMap<String, Node> = services
        .into_iter()
        .map(|(name, totals)| {
            let node = Node {
                name: name.clone(),
                kind: NodeKind::Service,
                requests: totals.requests.round() as u64,
                errors: totals.errors.round() as u64,
                latency: Latency::of(&totals.latency),
            };
            (name, node)
        })
        .collect();
    let mut virtual_totals: BTreeMap<String, (NodeKind, NodeTotals)> = BTreeMap::new();
    let mut out_edges = Vec::new();
    for ((client, server), (connection_type, totals)) in edges {
        let connection_type = if connection_type == "unset" {
            String::new()
        } else {
            connection_type
        };
        let server_instrumented = nodes.contains_key(&server);
        let latency_buckets = if server_instrumented || totals.client.counts.is_empty() {
            &totals.server
        } else {
            &totals.client
        };
        for (name, callee) in [(&client, false), (&server, true)] {
            if nodes.contains_key(name) {
                continue;
            }
            let kind = match connection_type.as_str() {
                "database" if callee => NodeKind::Database,
                "messaging_system" if callee => NodeKind::Queue,
                _ => NodeKind::Virtual,
            };
            let entry = virtual_totals
                .entry(name.clone())
                .or_insert_with(|| (kind, NodeTotals::default()));
            if callee {
                entry.0 = entry.0.min(kind);
                entry.1.requests += totals.requests;
                entry.1.errors += totals.failed;
                entry
                    .1
                    .latency
                    .add(&totals.client.bounds, &totals.client.counts);
            }
        }
        out_edges.push(Edge {
            client,
            server,
            connection_type,
            requests: totals.requests.round() as u64,
            failed: totals.failed.round() as u64,
            latency: Latency::of(latency_buckets),
        });
    }
    for (name, (kind, totals)) in virtual_totals {
        nodes.insert(
            name.clone(),
            Node {
                name,
                kind,
                requests: totals.requests.round() as u64,
                errors: totals.errors.round() as u64,
                latency: Latency::of(&totals.latency),
            },
        );
    }
    ServiceMap {
        start,
        end,
        nodes: nodes.into_values().collect(),
        edges: out_edges,
    }
}

/// Reads the service map of `[start, end]` for `tenant`.
pub async fn read_service_map(
    store: &TelemetryStore,
    tenant: &TenantId,
    (start, end): (u64, u64),
) -> Result<ServiceMap, ApiError> {
    if end < start {
        return Err(ApiError::BadRequest("end must not be before start".into()));
    }
    let scan = PointScan {
        metrics: METRICS.to_vec(),
        labels: LABELS.to_vec(),
        time_range: (start.saturating_sub(LOOKBEHIND), end),
    };
    let points = scan_points(store, tenant, scan).await?;
    tokio::task::spawn_blocking(move || build(&points, start, end))
        .await
        .map_err(|e| ApiError::Internal(format!("service map failed: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINUTE: u64 = 60_000_000_000;

    /// A `traces_service_graph_request_total` series growing from 0 to `requests` in the range.
    fn edge_points(
        id: u64,
        client: &str,
        server: &str,
        kind: &str,
        requests: f64,
    ) -> Vec<StoredPoint> {
        [(MINUTE, 0.0), (2 * MINUTE, requests)]
            .into_iter()
            .map(|(time, value)| StoredPoint {
                metric: 0,
                series_id: id,
                start: MINUTE,
                time,
                values: vec![value],
                bounds: Vec::new(),
                labels: vec![
                    client.into(),
                    server.into(),
                    kind.into(),
                    String::new(),
                    String::new(),
                    String::new(),
                ],
            })
            .collect()
    }

    #[test]
    fn uninstrumented_callees_are_databases_queues_or_virtual_nodes() {
        let mut points = edge_points(1, "orders", "postgres", "database", 4.0);
        points.extend(edge_points(2, "orders", "kafka", "messaging_system", 3.0));
        points.extend(edge_points(
            3,
            "orders",
            "api.stripe.com",
            "virtual_node",
            2.0,
        ));
        points.extend(edge_points(4, "user", "orders", "virtual_node", 5.0));
        let map = build(&points, 0, 3 * MINUTE);
        let kinds: Vec<(&str, &str, u64)> = map
            .nodes
            .iter()
            .map(|n| (n.name.as_str(), n.kind.as_str(), n.requests))
            .collect();
        assert!(kinds.contains(&("postgres", "database", 4)), "{kinds:?}");
        assert!(kinds.contains(&("kafka", "queue", 3)), "{kinds:?}");
        assert!(
            kinds.contains(&("api.stripe.com", "virtual", 2)),
            "{kinds:?}"
        );
        assert!(kinds.contains(&("user", "virtual", 0)), "{kinds:?}");
    }
}
