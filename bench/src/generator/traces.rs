//! Trace generation: one end-user request walks the topology from a frontend route, producing
//! server, client, database, cache, producer/consumer and internal spans nested in time, which
//! are then grouped into one `ResourceSpans` per service and one `ScopeSpans` per scope.

use std::mem;

use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::trace::v1::span::{Link, SpanKind};
use opentelemetry_proto::tonic::trace::v1::status::StatusCode;
use opentelemetry_proto::tonic::trace::v1::{ResourceSpans, ScopeSpans, Span, Status};
use rand::Rng;
use rand::rngs::StdRng;

use super::resources::{SCOPE_KINDS, ScopeKind, ServiceScopes};
use super::values::{RequestContext, kv_str, random_span_id, random_trace_id};
use super::{RecentSpan, TrafficGenerator};
use crate::topology::{
    Call, CallTarget, Entry, Operation, Protocol, Repeat, ServiceId, Topology, lat,
};
use attributes::{app_attributes, exception_event, feature_flag_event, server_attributes};

mod attributes;

/// Schema URL stamped on every `ResourceSpans`.
pub(crate) const SCHEMA_URL: &str = "https://opentelemetry.io/schemas/1.34.0";

/// Where a span of the trace being generated was placed, so its times can be shifted.
pub(crate) struct PlacedSpan {
    service: ServiceId,
    slot: usize,
    index: usize,
    /// Set for server and consumer spans: the operation and its failure, if any.
    served: Option<(usize, Option<&'static str>)>,
}

/// Spans grouped by service and scope slot while a request is being filled.
type SpanGroups = Vec<[Vec<Span>; SCOPE_KINDS]>;

impl TrafficGenerator {
    /// Generates whole traces until at least `min_spans` spans exist, ending at about
    /// `now_unix_nano`, grouped into one `ResourceSpans` per service.
    pub fn traces(&mut self, min_spans: usize, now_unix_nano: u64) -> ExportTraceServiceRequest {
        // Size the groups from the previous request's shares: growing large vectors
        // repeatedly is a measurable part of generation cost.
        let mut groups: SpanGroups = self
            .span_shares
            .iter()
            .map(|shares| {
                shares.map(|share| Vec::with_capacity((share * min_spans as f32 * 1.1) as usize))
            })
            .collect();
        let mut generated = 0;
        while generated < min_spans {
            generated += self.generate_trace(now_unix_nano, &mut groups);
        }
        for (shares, spans) in self.span_shares.iter_mut().zip(&groups) {
            *shares =
                std::array::from_fn(|slot| spans[slot].len() as f32 / generated.max(1) as f32);
        }
        let mut resource_spans = Vec::new();
        for (service, scopes) in groups.iter_mut().enumerate() {
            if scopes.iter().all(Vec::is_empty) {
                continue;
            }
            let scope_spans = scopes
                .iter_mut()
                .enumerate()
                .filter(|(_, spans)| !spans.is_empty())
                .map(|(slot, spans)| ScopeSpans {
                    scope: Some(self.scopes[service].unique[slot].clone()),
                    spans: mem::take(spans),
                    schema_url: String::new(),
                })
                .collect();
            resource_spans.push(ResourceSpans {
                resource: Some(self.pod(service)),
                scope_spans,
                schema_url: SCHEMA_URL.to_owned(),
            });
        }
        ExportTraceServiceRequest { resource_spans }
    }

    /// Generates one trace into `groups` and returns its span count.
    pub(crate) fn generate_trace(&mut self, now_unix_nano: u64, groups: &mut SpanGroups) -> usize {
        let mut placed = mem::take(&mut self.scratch);
        let trace_id = random_trace_id(&mut self.rng);
        let context = RequestContext::random(&mut self.rng);
        let trace_state = if self.rng.random_bool(0.05) {
            "ot=th:0"
        } else {
            ""
        };
        let follows = match self.recent.back() {
            Some(previous) if self.rng.random_bool(0.01) => {
                Some((previous.trace_id, previous.span_id))
            }
            _ => None,
        };
        let entry = self.topology.pick_entry_point(&mut self.rng);
        let mut writer = TraceWriter {
            topology: &self.topology,
            scopes: &self.scopes,
            rng: &mut self.rng,
            groups,
            placed: &mut placed,
            extent: 0,
            trace_id,
            trace_state,
            context,
            message: (0, 0),
        };
        writer.serve(entry, None, 0, follows);

        // Spans were generated relative to the trace start; move the trace to end near now.
        let extent = writer.extent;
        let jitter = self.rng.random_range(0..250_000_000);
        let base = now_unix_nano.saturating_sub(extent + jitter);
        let count = placed.len();
        for place in placed.drain(..) {
            let span = &mut groups[place.service][place.slot][place.index];
            span.start_time_unix_nano += base;
            span.end_time_unix_nano += base;
            for event in &mut span.events {
                event.time_unix_nano += base;
            }
            if let Some((operation, failure)) = place.served {
                let mut span_id = [0; 8];
                span_id.copy_from_slice(&span.span_id);
                let recent = RecentSpan {
                    trace_id,
                    span_id,
                    service: place.service,
                    operation,
                    start: span.start_time_unix_nano,
                    end: span.end_time_unix_nano,
                    failure,
                    context,
                };
                self.remember(recent);
            }
        }
        self.scratch = placed;
        count
    }
}

/// The result of a call or an operation, as seen by its caller.
struct Outcome {
    end: u64,
    error: Option<&'static str>,
    /// HTTP status code or gRPC status code of the server.
    code: i64,
}

/// Walks the topology for one trace, appending spans with times relative to the trace start.
struct TraceWriter<'a> {
    topology: &'a Topology,
    rng: &'a mut StdRng,
    scopes: &'a [ServiceScopes],
    groups: &'a mut SpanGroups,
    placed: &'a mut Vec<PlacedSpan>,
    /// Latest end time so far.
    extent: u64,
    trace_id: [u8; 16],
    trace_state: &'static str,
    context: RequestContext,
    /// Kafka partition and offset of the message being consumed.
    message: (i64, i64),
}

impl TraceWriter<'_> {
    fn span(
        &mut self,
        kind: SpanKind,
        name: String,
        parent: &[u8],
        id: [u8; 8],
        start: u64,
        end: u64,
    ) -> Span {
        Span {
            trace_id: self.trace_id.to_vec(),
            span_id: id.to_vec(),
            trace_state: self.trace_state.to_owned(),
            parent_span_id: parent.to_vec(),
            flags: 1,
            name,
            kind: kind as i32,
            start_time_unix_nano: start,
            end_time_unix_nano: end,
            ..Default::default()
        }
    }

    fn push(&mut self, service: ServiceId, scope: ScopeKind, span: Span) {
        self.place(service, scope, span, None);
    }

    fn place(
        &mut self,
        service: ServiceId,
        scope: ScopeKind,
        span: Span,
        served: Option<(usize, Option<&'static str>)>,
    ) {
        self.extent = self.extent.max(span.end_time_unix_nano);
        let slot = self.scopes[service].slot[scope as usize];
        let group = &mut self.groups[service][slot];
        self.placed.push(PlacedSpan {
            service,
            slot,
            index: group.len(),
            served,
        });
        group.push(span);
    }

    /// Serves `op_id` starting at `start`: its downstream calls, then its own server span.
    /// `link` is the producer span of a consumed message or a span of a previous trace.
    fn serve(
        &mut self,
        op_id: usize,
        parent: Option<[u8; 8]>,
        start: u64,
        link: Option<([u8; 16], [u8; 8])>,
    ) -> Outcome {
        let topology = self.topology;
        let op = &topology.operations[op_id];
        let service = &topology.services[op.service];
        let span_id = random_span_id(self.rng);
        let self_time = op.self_latency.sample_ns(self.rng);
        let before = (self_time as f64 * self.rng.random_range(0.15..0.6)) as u64;
        let calls_start = start + before;
        let mut cursor = calls_start;
        let mut calls_end = calls_start;
        let mut downstream_error = None;
        for call in &op.calls {
            if call.probability < 1.0 && !self.rng.random_bool(call.probability) {
                continue;
            }
            for _ in 0..self.repetitions(call) {
                let call_start = if op.parallel {
                    calls_start + self.rng.random_range(0..40_000)
                } else {
                    cursor
                };
                let outcome = self.call(call, op.service, span_id, call_start);
                if !op.parallel {
                    cursor = outcome.end + self.rng.random_range(5_000..60_000);
                }
                calls_end = calls_end.max(outcome.end);
                downstream_error = downstream_error.or(outcome.error);
            }
        }
        let end = cursor.max(calls_end) + (self_time - before);

        let own_failure = op
            .failures
            .iter()
            .find(|f| self.rng.random_bool(f.probability));
        let error = match (own_failure, downstream_error) {
            (Some(failure), _) => Some(failure.message),
            (None, Some(message)) if self.rng.random_bool(0.8) => Some(message),
            _ => None,
        };
        let code = match (op.entry, own_failure, error) {
            (Entry::Http { .. }, Some(failure), _) => failure.code,
            (Entry::Http { .. }, None, Some(_)) => 500,
            (Entry::Http { method, .. }, None, None) => self.http_success_code(method),
            (_, Some(failure), _) => failure.code,
            (_, None, Some(_)) => 2,
            _ => 0,
        };

        let (kind, scope) = match op.entry {
            Entry::Http { .. } => (SpanKind::Server, ScopeKind::HttpServer),
            Entry::Grpc { .. } => (SpanKind::Server, ScopeKind::Grpc),
            Entry::Consumer { .. } => (SpanKind::Consumer, ScopeKind::Messaging),
        };
        let parent_bytes = parent.as_ref().map_or(&[][..], |p| &p[..]);
        let mut span = self.span(kind, op.name.clone(), parent_bytes, span_id, start, end);
        // Exact sizing keeps most attribute vectors below the allocator's large-chunk size.
        let mut attributes = Vec::with_capacity(attributes::server_attribute_count(op) + 1);
        server_attributes(
            &mut attributes,
            op,
            service,
            code,
            self.message,
            &self.context,
            self.rng,
        );
        app_attributes(&mut attributes, op.app_attributes, &self.context, self.rng);
        if let Some(failure) = own_failure {
            attributes.push(kv_str("error.type", failure.exception_type));
            let at = end - (self_time - before) / 2;
            span.events.push(exception_event(service, op, failure, at));
        } else if error.is_some() {
            attributes.push(kv_str("error.type", "_OTHER"));
        }
        if parent.is_none() && self.rng.random_bool(0.3) {
            span.events
                .push(feature_flag_event(&self.context, start + before / 2));
        }
        if let Some(message) = error {
            span.status = Some(Status {
                message: message.to_owned(),
                code: StatusCode::Error as i32,
            });
        }
        span.attributes = attributes;
        if let Some((trace_id, span_id)) = link {
            let mut link_attributes = Vec::new();
            if trace_id != self.trace_id {
                link_attributes.push(kv_str("link.type", "follows_from"));
            }
            span.links.push(Link {
                trace_id: trace_id.to_vec(),
                span_id: span_id.to_vec(),
                attributes: link_attributes,
                flags: 1,
                ..Default::default()
            });
        }
        self.place(op.service, scope, span, Some((op_id, error)));
        Outcome { end, error, code }
    }

    fn http_success_code(&mut self, method: &str) -> i64 {
        let roll: f64 = self.rng.random();
        match method {
            "GET" if roll < 0.01 => 404,
            "GET" if roll < 0.03 => 304,
            "POST" if roll < 0.01 => 400,
            _ => 200,
        }
    }

    fn repetitions(&mut self, call: &Call) -> u8 {
        match call.repeat {
            Repeat::Once => 1,
            Repeat::Range(min, max) => self.rng.random_range(min..=max),
            Repeat::PerCartItem => self.context.cart_items,
        }
    }

    /// Makes `call` from `caller` (whose current span is `parent`) starting at `start`.
    fn call(&mut self, call: &Call, caller: ServiceId, parent: [u8; 8], start: u64) -> Outcome {
        let id = random_span_id(self.rng);
        match &call.target {
            CallTarget::Operation(target) => self.rpc(*target, caller, parent, id, start),
            CallTarget::Database(db) => {
                let end = start + db.latency.sample_ns(self.rng);
                let mut name = String::with_capacity(db.operation.len() + db.collection.len() + 1);
                name.push_str(db.operation);
                name.push(' ');
                name.push_str(db.collection);
                let mut span = self.span(SpanKind::Client, name, &parent, id, start, end);
                let failed = self.rng.random_bool(db.error_probability);
                attributes::db_attributes(&mut span.attributes, db, failed, self.rng);
                let error = failed.then_some(attributes::DB_ERROR);
                if let Some(message) = error {
                    span.status = Some(Status {
                        message: message.to_owned(),
                        code: StatusCode::Error as i32,
                    });
                }
                self.push(caller, ScopeKind::Db, span);
                Outcome {
                    end,
                    error,
                    code: 0,
                }
            }
            CallTarget::Cache(cache) => {
                let end = start + cache.latency.sample_ns(self.rng);
                let mut span = self.span(
                    SpanKind::Client,
                    cache.command.to_owned(),
                    &parent,
                    id,
                    start,
                    end,
                );
                attributes::cache_attributes(&mut span.attributes, cache, &self.context);
                self.push(caller, ScopeKind::Cache, span);
                Outcome {
                    end,
                    error: None,
                    code: 0,
                }
            }
            CallTarget::Produce { topic, consumer } => {
                let end = start + lat(350, 0.5).sample_ns(self.rng);
                let mut name = String::with_capacity(topic.len() + 5);
                name.push_str("send ");
                name.push_str(topic);
                let mut span = self.span(SpanKind::Producer, name, &parent, id, start, end);
                self.message = (
                    self.rng.random_range(0..12),
                    self.rng.random_range(1_000_000..90_000_000),
                );
                attributes::producer_attributes(
                    &mut span.attributes,
                    topic,
                    self.message,
                    &self.context,
                    self.rng,
                );
                self.push(caller, ScopeKind::Messaging, span);
                let delivered = end + lat(3_000, 0.8).sample_ns(self.rng);
                let trace_id = self.trace_id;
                self.serve(*consumer, Some(id), delivered, Some((trace_id, id)));
                Outcome {
                    end,
                    error: None,
                    code: 0,
                }
            }
            CallTarget::Internal { name, latency } => {
                let end = start + latency.sample_ns(self.rng);
                let mut span = self.span(
                    SpanKind::Internal,
                    (*name).to_owned(),
                    &parent,
                    id,
                    start,
                    end,
                );
                span.attributes.push(kv_str("code.function.name", *name));
                if self.rng.random_bool(0.05) {
                    span.status = Some(Status {
                        message: String::new(),
                        code: StatusCode::Ok as i32,
                    });
                }
                self.push(caller, ScopeKind::Internal, span);
                Outcome {
                    end,
                    error: None,
                    code: 0,
                }
            }
        }
    }

    /// A client span in `caller` around the server span of `target` in its own service.
    fn rpc(
        &mut self,
        target: usize,
        caller: ServiceId,
        parent: [u8; 8],
        id: [u8; 8],
        start: u64,
    ) -> Outcome {
        let topology = self.topology;
        let callee_op: &Operation = &topology.operations[target];
        let callee = &topology.services[callee_op.service];
        let request_latency = self.rng.random_range(80_000..450_000);
        let server = self.serve(target, Some(id), start + request_latency, None);
        let end = server.end + self.rng.random_range(60_000..400_000);
        let (name, scope) = match (callee.protocol, callee_op.entry) {
            (Protocol::Http, Entry::Http { method, .. }) => {
                (method.to_owned(), ScopeKind::HttpClient)
            }
            _ => (callee_op.name.clone(), ScopeKind::Grpc),
        };
        let mut span = self.span(SpanKind::Client, name, &parent, id, start, end);
        attributes::client_attributes(
            &mut span.attributes,
            callee_op,
            callee,
            server.code,
            &self.context,
        );
        if let Some(message) = server.error {
            let message = if scope == ScopeKind::Grpc {
                message.to_owned()
            } else {
                String::new()
            };
            span.status = Some(Status {
                message,
                code: StatusCode::Error as i32,
            });
        }
        self.push(caller, scope, span);
        Outcome {
            end,
            error: server.error,
            code: server.code,
        }
    }
}

#[cfg(test)]
mod tests;
