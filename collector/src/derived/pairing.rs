//! The pairing store of one tenant: CLIENT/PRODUCER and SERVER/CONSUMER halves keyed by
//! (trace id, client span id), each waiting until its partner arrives (in either order) or
//! `pairing_wait` passes, and Tempo's rules for what an expired half becomes.
//!
//! Expiry is first-in first-out: halves are queued in arrival order, and the queue is compacted
//! whenever completed pairs leave it more than half stale, so it stays proportional to the
//! number of waiting halves.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::extract::fixed;

/// `connection_type` label of an edge.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(super) enum ConnectionType {
    /// A CLIENT span paired with its SERVER span.
    Unset,
    /// A PRODUCER span paired with its CONSUMER span.
    MessagingSystem,
    /// A CLIENT span with database attributes.
    Database,
    /// An edge to or from a node that sent no spans.
    VirtualNode,
}

impl ConnectionType {
    /// The label value.
    pub fn as_str(self) -> &'static str {
        match self {
            ConnectionType::Unset => "unset",
            ConnectionType::MessagingSystem => "messaging_system",
            ConnectionType::Database => "database",
            ConnectionType::VirtualNode => "virtual_node",
        }
    }
}

/// Which half of an edge a span is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(super) enum Side {
    /// CLIENT or PRODUCER.
    Client,
    /// SERVER or CONSUMER.
    Server,
}

/// The pairing key: trace id and the client's span id (the server's parent span id).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(super) struct PairKey {
    pub trace_id: [u8; 16],
    pub span_id: [u8; 8],
}

impl PairKey {
    /// The key from raw OTLP ids (validated spans have 16 and 8 bytes).
    pub fn new(trace_id: &[u8], span_id: &[u8]) -> Self {
        Self {
            trace_id: fixed(trace_id),
            span_id: fixed(span_id),
        }
    }
}

/// What a CLIENT or PRODUCER span contributes to an edge.
#[derive(Debug, Clone)]
pub(super) struct ClientHalf {
    pub service: Arc<str>,
    pub seconds: f64,
    pub end_unix_nano: u64,
    pub failed: bool,
    pub messaging: bool,
    /// The callee named by the span's peer attributes, used if no server span arrives.
    pub peer: Option<Arc<str>>,
}

/// What a SERVER or CONSUMER span contributes to an edge.
#[derive(Debug, Clone)]
pub(super) struct ServerHalf {
    pub service: Arc<str>,
    pub seconds: f64,
    pub start_unix_nano: u64,
    pub failed: bool,
    pub messaging: bool,
}

/// One request between two nodes, ready to be counted.
#[derive(Debug, Clone)]
pub(super) struct EdgeSample {
    pub client: Arc<str>,
    pub server: Arc<str>,
    pub connection: ConnectionType,
    /// Either side has status ERROR.
    pub failed: bool,
    pub client_seconds: f64,
    pub server_seconds: f64,
    /// Consumer start minus producer end, when positive (messaging pairs only).
    pub messaging_seconds: Option<f64>,
    /// Trace and span ids for the exemplar.
    pub key: PairKey,
}

/// Service-graph work for one span.
#[derive(Debug, Clone)]
pub(super) enum EdgeOp {
    /// A CLIENT or PRODUCER half.
    Client { key: PairKey, half: ClientHalf },
    /// A SERVER or CONSUMER half with a parent.
    Server { key: PairKey, half: ServerHalf },
    /// An edge that needs no partner (a database call, a root server span).
    Complete(EdgeSample),
}

/// What the store produced: edges to count, unpaired and dropped halves (by side and service).
#[derive(Debug, Default)]
pub(super) struct PairingOutput {
    pub edges: Vec<EdgeSample>,
    pub unpaired: Vec<(Side, Arc<str>)>,
    pub dropped: Vec<(Side, Arc<str>)>,
}

struct Pending {
    seq: u64,
    expires_at: Instant,
    client: Option<ClientHalf>,
    server: Option<ServerHalf>,
}

/// Halves waiting for their partner, bounded.
pub(super) struct PairingStore {
    pending: HashMap<PairKey, Pending, ahash::RandomState>,
    /// Arrival order; entries whose `seq` no longer matches `pending` are stale.
    order: VecDeque<(PairKey, u64)>,
    next_seq: u64,
    wait: Duration,
    max_pending: usize,
}

impl PairingStore {
    /// An empty store.
    pub fn new(wait: Duration, max_pending: usize) -> Self {
        Self {
            pending: HashMap::default(),
            order: VecDeque::new(),
            next_seq: 0,
            wait,
            max_pending,
        }
    }

    /// Halves waiting.
    pub fn len(&self) -> usize {
        self.pending.len()
    }

    /// Applies one span's work.
    pub fn apply(&mut self, op: EdgeOp, now: Instant, out: &mut PairingOutput) {
        match op {
            EdgeOp::Complete(sample) => out.edges.push(sample),
            EdgeOp::Client { key, half } => {
                if let Some(pending) = self.pending.get_mut(&key) {
                    if pending.server.is_some() {
                        let pending = self.pending.remove(&key).expect("present");
                        let server = pending.server.expect("checked");
                        out.edges.push(paired(key, &half, &server));
                    } else {
                        // A second client span with the same id: the latest wins, as in Tempo.
                        pending.client = Some(half);
                    }
                } else if self.pending.len() >= self.max_pending {
                    out.dropped.push((Side::Client, half.service));
                } else {
                    self.insert(key, now, Some(half), None);
                }
            }
            EdgeOp::Server { key, half } => {
                if let Some(pending) = self.pending.get_mut(&key) {
                    if pending.client.is_some() {
                        let pending = self.pending.remove(&key).expect("present");
                        let client = pending.client.expect("checked");
                        out.edges.push(paired(key, &client, &half));
                    } else {
                        pending.server = Some(half);
                    }
                } else if self.pending.len() >= self.max_pending {
                    out.dropped.push((Side::Server, half.service));
                } else {
                    self.insert(key, now, None, Some(half));
                }
            }
        }
        self.compact_if_stale();
    }

    /// Removes every half that has waited `wait` as of `now`. A client half with a peer
    /// attribute becomes an edge to that virtual node; any other half is unpaired.
    pub fn expire(&mut self, now: Instant, out: &mut PairingOutput) {
        while let Some(&(key, seq)) = self.order.front() {
            match self.pending.get(&key) {
                Some(pending) if pending.seq == seq => {
                    if pending.expires_at > now {
                        break;
                    }
                    let pending = self.pending.remove(&key).expect("present");
                    self.order.pop_front();
                    expired(key, pending, out);
                }
                _ => {
                    self.order.pop_front();
                }
            }
        }
    }

    fn insert(
        &mut self,
        key: PairKey,
        now: Instant,
        client: Option<ClientHalf>,
        server: Option<ServerHalf>,
    ) {
        let seq = self.next_seq;
        self.next_seq += 1;
        let expires_at = now.checked_add(self.wait).unwrap_or(now);
        self.pending.insert(
            key,
            Pending {
                seq,
                expires_at,
                client,
                server,
            },
        );
        self.order.push_back((key, seq));
    }

    /// Drops queue entries of completed pairs once they are more than half the queue.
    fn compact_if_stale(&mut self) {
        if self.order.len() <= 2 * self.pending.len() + 1024 {
            return;
        }
        let pending = &self.pending;
        self.order
            .retain(|(key, seq)| pending.get(key).is_some_and(|p| p.seq == *seq));
    }
}

/// The edge of a client half and its server half.
fn paired(key: PairKey, client: &ClientHalf, server: &ServerHalf) -> EdgeSample {
    let messaging = client.messaging || server.messaging;
    let messaging_seconds = messaging
        .then(|| super::extract::duration_seconds(client.end_unix_nano, server.start_unix_nano))
        // Tempo skips the observation when the consumer starts before the producer ends.
        .filter(|seconds| *seconds > 0.0);
    EdgeSample {
        client: Arc::clone(&client.service),
        server: Arc::clone(&server.service),
        connection: if messaging {
            ConnectionType::MessagingSystem
        } else {
            ConnectionType::Unset
        },
        failed: client.failed || server.failed,
        client_seconds: client.seconds,
        server_seconds: server.seconds,
        messaging_seconds,
        key,
    }
}

/// Tempo's `onExpire`: a lone client naming its peer is a call to a virtual node; anything else
/// is an unpaired span. (Root server spans, Tempo's other virtual-node case, never wait here.)
/// A lone producer's peer is a queue nobody consumed from yet: its edge is `messaging_system`
/// (Tempo says `virtual_node`), so the service map can draw the queue as a queue.
fn expired(key: PairKey, pending: Pending, out: &mut PairingOutput) {
    match (pending.client, pending.server) {
        (Some(client), _) => match client.peer {
            Some(peer) => out.edges.push(EdgeSample {
                client: client.service,
                server: peer,
                connection: if client.messaging {
                    ConnectionType::MessagingSystem
                } else {
                    ConnectionType::VirtualNode
                },
                failed: client.failed,
                client_seconds: client.seconds,
                server_seconds: 0.0,
                messaging_seconds: None,
                key,
            }),
            None => out.unpaired.push((Side::Client, client.service)),
        },
        (None, Some(server)) => out.unpaired.push((Side::Server, server.service)),
        (None, None) => debug_assert!(false, "a pending entry always holds a half"),
    }
}
