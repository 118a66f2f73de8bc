//! Reading one export: span-metric aggregates keyed by strings borrowed from the request (so
//! the tenant's series are updated once per distinct key, not once per span), and the
//! service-graph halves of CLIENT/PRODUCER and SERVER/CONSUMER spans. Nothing here takes a lock.

use std::collections::HashMap;
use std::sync::Arc;

use prost::Message;
use sightline_proto::otlp::collector::trace::v1::ExportTraceServiceRequest;
use sightline_proto::otlp::common::v1::KeyValue;
use sightline_proto::otlp::common::v1::any_value::Value;
use sightline_proto::otlp::trace::v1::Span;
use sightline_proto::otlp::trace::v1::span::SpanKind;

use super::pairing::{ClientHalf, ConnectionType, EdgeOp, EdgeSample, PairKey, ServerHalf};
use super::series::{ExemplarSample, Histogram};

/// Client name Tempo gives the caller of a root SERVER span without a peer attribute.
pub(super) const USER_NODE: &str = "user";

/// One export, read.
pub(super) struct Batch<'a> {
    /// Span-metric aggregates of this export.
    pub spans: HashMap<SpanKeyRef<'a>, LocalSpanSeries, ahash::RandomState>,
    /// Service-graph work, in span order.
    pub edge_ops: Vec<EdgeOp>,
}

/// A span-metrics label set borrowed from the request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(super) struct SpanKeyRef<'a> {
    pub service: &'a str,
    pub span_name: &'a str,
    pub kind: i32,
    pub status: i32,
}

/// Span-metric values of one label set within one export.
pub(super) struct LocalSpanSeries {
    pub calls: u64,
    pub size_bytes: u64,
    pub latency: Histogram,
}

/// Database attributes of a span or resource; each the first value found.
#[derive(Default, Clone)]
struct DbAttributes {
    namespace: Option<String>,
    name: Option<String>,
    system: Option<String>,
    system_name: Option<String>,
}

impl DbAttributes {
    fn is_database(&self) -> bool {
        self.namespace.is_some()
            || self.name.is_some()
            || self.system.is_some()
            || self.system_name.is_some()
    }

    /// The database node's name: `db.namespace`, else `db.name`, else `db.system`, else
    /// `db.system.name`. A namespace that is only a number (a Redis database index) says little
    /// on its own and is prefixed with the system: `redis/0`.
    fn node_name(self) -> Option<String> {
        let system = self.system.clone().or(self.system_name.clone());
        let namespace = match (self.namespace, &system) {
            (Some(index), Some(system))
                if !index.is_empty() && index.bytes().all(|b| b.is_ascii_digit()) =>
            {
                Some(format!("{system}/{index}"))
            }
            (namespace, _) => namespace,
        };
        namespace.or(self.name).or(system)
    }

    /// Fills unset fields from `attributes`; returns true when the key was a database key.
    fn absorb(&mut self, key: &str, value: &Value) -> bool {
        let slot = match key {
            "db.namespace" => &mut self.namespace,
            "db.name" => &mut self.name,
            "db.system" => &mut self.system,
            "db.system.name" => &mut self.system_name,
            _ => return false,
        };
        if slot.is_none() {
            *slot = stringify(value);
        }
        true
    }

    /// `self` (resource attributes, which Tempo reads first) completed by `span`.
    fn or(self, span: DbAttributes) -> DbAttributes {
        DbAttributes {
            namespace: self.namespace.or(span.namespace),
            name: self.name.or(span.name),
            system: self.system.or(span.system),
            system_name: self.system_name.or(span.system_name),
        }
    }
}

/// Peer attributes that name a virtual node, in order of preference: Tempo's (`peer.service`,
/// `db.name`, `db.system`), `db.namespace` and `db.system.name` from newer conventions, then the
/// messaging system and the server address an uninstrumented callee is reached at.
const PEER_ATTRIBUTES: [&str; 7] = [
    "peer.service",
    "db.namespace",
    "db.name",
    "db.system",
    "db.system.name",
    "messaging.system",
    "server.address",
];

/// Root SERVER and CONSUMER spans name their caller by Tempo's peer attributes only (the ones
/// before `messaging.system`): `server.address` is the server itself, and a root consumer's
/// caller is `user`, as in Tempo.
const CALLER_ATTRIBUTES: usize = 5;

/// What one pass over a span's attributes finds.
#[derive(Default)]
struct SpanAttributes {
    db: DbAttributes,
    /// Best peer attribute so far and its rank in [`PEER_ATTRIBUTES`].
    peer: Option<(usize, String)>,
}

impl SpanAttributes {
    fn read(attributes: &[KeyValue]) -> Self {
        let mut found = SpanAttributes::default();
        for kv in attributes {
            let Some(value) = kv.value.as_ref().and_then(|v| v.value.as_ref()) else {
                continue;
            };
            found.db.absorb(&kv.key, value);
            if let Some(rank) = PEER_ATTRIBUTES.iter().position(|p| *p == kv.key)
                && found.peer.as_ref().is_none_or(|(best, _)| rank < *best)
                && let Some(text) = stringify(value)
            {
                found.peer = Some((rank, text));
            }
        }
        found
    }

    /// The callee an unpaired CLIENT or PRODUCER span names.
    fn peer(&self) -> Option<Arc<str>> {
        self.peer.as_ref().map(|(_, name)| Arc::from(name.as_str()))
    }

    /// The caller a root SERVER or CONSUMER span names.
    fn caller(&self) -> Option<Arc<str>> {
        self.peer
            .as_ref()
            .filter(|(rank, _)| *rank < CALLER_ATTRIBUTES)
            .map(|(_, name)| Arc::from(name.as_str()))
    }
}

impl<'a> Batch<'a> {
    /// Reads every span of `request`. `now_unix_nano` stamps exemplars.
    pub fn read(
        request: &'a ExportTraceServiceRequest,
        latency_bounds: &[f64],
        now_unix_nano: u64,
    ) -> Self {
        let mut batch = Batch {
            spans: HashMap::default(),
            edge_ops: Vec::new(),
        };
        for resource_spans in &request.resource_spans {
            let resource_attributes: &[KeyValue] = resource_spans
                .resource
                .as_ref()
                .map_or(&[], |r| r.attributes.as_slice());
            let service_value = resource_attributes
                .iter()
                .find(|kv| kv.key == "service.name")
                .and_then(|kv| kv.value.as_ref())
                .and_then(|v| v.value.as_ref());
            // Span metrics borrow the name; a non-string `service.name` labels nothing there.
            let service_label: &'a str = match service_value {
                Some(Value::StringValue(s)) => s.as_str(),
                _ => "",
            };
            // Tempo's service-graph processor skips resources without a service name.
            let graph = service_value
                .and_then(stringify)
                .filter(|name| !name.is_empty())
                .map(|name| ResourceContext {
                    service: Arc::from(name.as_str()),
                    db: resource_db_attributes(resource_attributes),
                });
            for scope_spans in &resource_spans.scope_spans {
                for span in &scope_spans.spans {
                    batch.add_span_metrics(span, service_label, latency_bounds, now_unix_nano);
                    if let Some(context) = &graph {
                        batch.add_edge_half(span, context);
                    }
                }
            }
        }
        batch
    }

    /// True when the export had no spans.
    pub fn is_empty(&self) -> bool {
        self.spans.is_empty() && self.edge_ops.is_empty()
    }

    fn add_span_metrics(
        &mut self,
        span: &'a Span,
        service: &'a str,
        bounds: &[f64],
        now_unix_nano: u64,
    ) {
        let key = SpanKeyRef {
            service,
            span_name: &span.name,
            kind: span.kind,
            status: span.status.as_ref().map_or(0, |s| s.code),
        };
        let local = self.spans.entry(key).or_insert_with(|| LocalSpanSeries {
            calls: 0,
            size_bytes: 0,
            latency: Histogram::new(bounds.len()),
        });
        local.calls += 1;
        local.size_bytes += span.encoded_len() as u64;
        let seconds = duration_seconds(span.start_time_unix_nano, span.end_time_unix_nano);
        local.latency.observe(
            bounds,
            seconds,
            Some(exemplar(span, seconds, now_unix_nano)),
        );
    }

    fn add_edge_half(&mut self, span: &Span, context: &ResourceContext) {
        let kind = SpanKind::try_from(span.kind).unwrap_or(SpanKind::Unspecified);
        let failed = span.status.as_ref().is_some_and(|s| s.code == 2);
        let seconds = duration_seconds(span.start_time_unix_nano, span.end_time_unix_nano);
        match kind {
            SpanKind::Client | SpanKind::Producer => {
                let attributes = SpanAttributes::read(&span.attributes);
                let key = PairKey::new(&span.trace_id, &span.span_id);
                let db = context.db.clone().or(attributes.db.clone());
                if db.is_database() {
                    // A database call has no server span: the edge is complete at once, the
                    // client's duration standing for the server's (Tempo's rule).
                    let server = db.node_name().unwrap_or_default();
                    self.edge_ops.push(EdgeOp::Complete(EdgeSample {
                        client: Arc::clone(&context.service),
                        server: Arc::from(server.as_str()),
                        connection: ConnectionType::Database,
                        failed,
                        client_seconds: seconds,
                        server_seconds: seconds,
                        messaging_seconds: None,
                        key,
                    }));
                    return;
                }
                self.edge_ops.push(EdgeOp::Client {
                    key,
                    half: ClientHalf {
                        service: Arc::clone(&context.service),
                        seconds,
                        end_unix_nano: span.end_time_unix_nano,
                        failed,
                        messaging: kind == SpanKind::Producer,
                        peer: attributes.peer(),
                    },
                });
            }
            SpanKind::Server | SpanKind::Consumer => {
                if is_root(&span.parent_span_id) {
                    // A root span has no client to wait for: Tempo turns it into an edge from
                    // a virtual caller when it expires; nothing can pair with it, so do it now.
                    let attributes = SpanAttributes::read(&span.attributes);
                    let client = attributes.caller().unwrap_or_else(|| Arc::from(USER_NODE));
                    self.edge_ops.push(EdgeOp::Complete(EdgeSample {
                        client,
                        server: Arc::clone(&context.service),
                        connection: ConnectionType::VirtualNode,
                        failed,
                        client_seconds: 0.0,
                        server_seconds: seconds,
                        messaging_seconds: None,
                        key: PairKey::new(&span.trace_id, &span.span_id),
                    }));
                    return;
                }
                self.edge_ops.push(EdgeOp::Server {
                    key: PairKey::new(&span.trace_id, &span.parent_span_id),
                    half: ServerHalf {
                        service: Arc::clone(&context.service),
                        seconds,
                        start_unix_nano: span.start_time_unix_nano,
                        failed,
                        messaging: kind == SpanKind::Consumer,
                    },
                });
            }
            SpanKind::Internal | SpanKind::Unspecified => {}
        }
    }
}

struct ResourceContext {
    service: Arc<str>,
    db: DbAttributes,
}

fn resource_db_attributes(attributes: &[KeyValue]) -> DbAttributes {
    let mut db = DbAttributes::default();
    for kv in attributes {
        if let Some(value) = kv.value.as_ref().and_then(|v| v.value.as_ref()) {
            db.absorb(&kv.key, value);
        }
    }
    db
}

/// A span without a parent (or with an all-zero parent id, which some SDKs send).
fn is_root(parent_span_id: &[u8]) -> bool {
    parent_span_id.iter().all(|b| *b == 0)
}

/// An attribute value as a label value, as Tempo stringifies scalars; arrays, maps and bytes
/// do not name anything and are ignored.
fn stringify(value: &Value) -> Option<String> {
    match value {
        Value::StringValue(s) => Some(s.clone()),
        Value::BoolValue(b) => Some(b.to_string()),
        Value::IntValue(i) => Some(i.to_string()),
        Value::DoubleValue(d) => Some(d.to_string()),
        _ => None,
    }
}

/// Span duration in seconds; a span that ends before it starts lasts 0 s.
pub(super) fn duration_seconds(start_unix_nano: u64, end_unix_nano: u64) -> f64 {
    end_unix_nano.saturating_sub(start_unix_nano) as f64 / 1e9
}

fn exemplar(span: &Span, seconds: f64, now_unix_nano: u64) -> ExemplarSample {
    ExemplarSample {
        value: seconds,
        time_unix_nano: now_unix_nano,
        trace_id: fixed(&span.trace_id),
        span_id: fixed(&span.span_id),
    }
}

/// The first `N` bytes of `bytes`, zero-padded.
pub(super) fn fixed<const N: usize>(bytes: &[u8]) -> [u8; N] {
    let mut out = [0u8; N];
    let n = bytes.len().min(N);
    out[..n].copy_from_slice(&bytes[..n]);
    out
}
