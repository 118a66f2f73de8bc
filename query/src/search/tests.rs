//! The evaluator against a fixed dataset: every query must return exactly the expected traces,
//! from the heads and again from blocks.

use std::collections::BTreeSet;

use sightline_proto::otlp::collector::trace::v1::ExportTraceServiceRequest;
use sightline_proto::otlp::common::v1::{AnyValue, InstrumentationScope, KeyValue, any_value};
use sightline_proto::otlp::resource::v1::Resource;
use sightline_proto::otlp::trace::v1::span::{Event, Link};
use sightline_proto::otlp::trace::v1::{ResourceSpans, ScopeSpans, Span, Status};
use sightline_storage::{MemoryBudget, SignalRequest, StoreConfig, TelemetryStore, TenantId};

use super::value::Value;
use super::*;

pub(crate) const SECOND: u64 = 1_000_000_000;
pub(crate) const MS: u64 = 1_000_000;
pub(crate) const BASE: u64 = 1_700_000_000 * SECOND;

fn kv(key: &str, value: any_value::Value) -> KeyValue {
    KeyValue {
        key: key.into(),
        value: Some(AnyValue { value: Some(value) }),
        key_strindex: 0,
    }
}

fn s(key: &str, value: &str) -> KeyValue {
    kv(key, any_value::Value::StringValue(value.into()))
}

fn i(key: &str, value: i64) -> KeyValue {
    kv(key, any_value::Value::IntValue(value))
}

fn trace_id(n: u8) -> [u8; 16] {
    let mut id = [0u8; 16];
    id[0] = 0xa0;
    id[15] = n;
    id
}

/// A span description: (trace, span, parent span (0 = root, 99 = remote), service, name, kind,
/// start offset ms, duration ms, status code, attributes).
struct S {
    trace: u8,
    span: u8,
    parent: u8,
    service: &'static str,
    name: &'static str,
    kind: i32,
    start_ms: u64,
    duration_ms: u64,
    status: i32,
    attributes: Vec<KeyValue>,
}

fn span(d: &S) -> Span {
    let start = BASE + d.trace as u64 * 10 * SECOND + d.start_ms * MS;
    Span {
        trace_id: trace_id(d.trace).to_vec(),
        span_id: vec![d.trace, d.span, 0, 0, 0, 0, 0, 1],
        parent_span_id: match d.parent {
            0 => vec![],
            99 => vec![9; 8],
            p => vec![d.trace, p, 0, 0, 0, 0, 0, 1],
        },
        name: d.name.into(),
        kind: d.kind,
        start_time_unix_nano: start,
        end_time_unix_nano: start + d.duration_ms * MS,
        attributes: d.attributes.clone(),
        status: Some(Status {
            code: d.status,
            message: if d.status == 2 {
                "timeout".into()
            } else {
                String::new()
            },
        }),
        ..Default::default()
    }
}

const SERVER: i32 = 2;
const CLIENT: i32 = 3;
const INTERNAL: i32 = 1;
const PRODUCER: i32 = 4;
const CONSUMER: i32 = 5;

pub(crate) fn dataset() -> ExportTraceServiceRequest {
    #[rustfmt::skip]
    let spans = vec![
        // T1: frontend GET /cart -> cart (client -> server) -> postgres query failing.
        S { trace: 1, span: 1, parent: 0, service: "frontend", name: "GET /cart", kind: SERVER, start_ms: 0, duration_ms: 100, status: 0, attributes: vec![s("http.route", "/cart"), i("http.response.status_code", 200)] },
        S { trace: 1, span: 2, parent: 1, service: "frontend", name: "POST /cart/add", kind: CLIENT, start_ms: 5, duration_ms: 60, status: 0, attributes: vec![] },
        S { trace: 1, span: 3, parent: 2, service: "cart", name: "POST /cart/add", kind: SERVER, start_ms: 6, duration_ms: 58, status: 0, attributes: vec![] },
        S { trace: 1, span: 4, parent: 3, service: "cart", name: "SELECT carts", kind: CLIENT, start_ms: 10, duration_ms: 20, status: 2, attributes: vec![s("db.system", "postgresql")] },
        // T2: a slow failing checkout.
        S { trace: 2, span: 1, parent: 0, service: "frontend", name: "GET /checkout", kind: SERVER, start_ms: 0, duration_ms: 2000, status: 2, attributes: vec![i("http.response.status_code", 503)] },
        S { trace: 2, span: 2, parent: 1, service: "checkout", name: "PlaceOrder", kind: SERVER, start_ms: 10, duration_ms: 1900, status: 2, attributes: vec![] },
        S { trace: 2, span: 3, parent: 2, service: "checkout", name: "POST /charge", kind: CLIENT, start_ms: 20, duration_ms: 1800, status: 2, attributes: vec![i("http.response.status_code", 500)] },
        // T3: one internal span with an exception event and a user.
        S { trace: 3, span: 1, parent: 0, service: "email", name: "lonely", kind: INTERNAL, start_ms: 0, duration_ms: 5, status: 0, attributes: vec![s("app.user.id", "u3")] },
        // T4: frontend GET /cart with two sibling clients, linked to T1.
        S { trace: 4, span: 1, parent: 0, service: "frontend", name: "GET /cart", kind: SERVER, start_ms: 0, duration_ms: 50, status: 1, attributes: vec![] },
        S { trace: 4, span: 2, parent: 1, service: "frontend", name: "get-ads", kind: CLIENT, start_ms: 1, duration_ms: 10, status: 0, attributes: vec![] },
        S { trace: 4, span: 3, parent: 1, service: "frontend", name: "get-recs", kind: CLIENT, start_ms: 2, duration_ms: 10, status: 0, attributes: vec![] },
        // T5: spans whose parent never arrived.
        S { trace: 5, span: 1, parent: 99, service: "ad", name: "GetAds", kind: SERVER, start_ms: 0, duration_ms: 7, status: 0, attributes: vec![] },
        S { trace: 5, span: 2, parent: 1, service: "ad", name: "cache get", kind: CLIENT, start_ms: 1, duration_ms: 1, status: 0, attributes: vec![s("db.system", "redis")] },
        // T6: kafka producer in frontend, consumer in recommendation.
        S { trace: 6, span: 1, parent: 0, service: "frontend", name: "publish orders", kind: PRODUCER, start_ms: 0, duration_ms: 3, status: 0, attributes: vec![] },
        S { trace: 6, span: 2, parent: 1, service: "recommendation", name: "consume orders", kind: CONSUMER, start_ms: 5, duration_ms: 30, status: 0, attributes: vec![] },
    ];
    let mut resource_spans: Vec<ResourceSpans> = Vec::new();
    for d in &spans {
        let mut built = span(d);
        if d.trace == 3 {
            built.events.push(Event {
                time_unix_nano: built.start_time_unix_nano + MS,
                name: "exception".into(),
                attributes: vec![s("exception.type", "Boom")],
                dropped_attributes_count: 0,
            });
        }
        if d.trace == 4 && d.span == 1 {
            built.links.push(Link {
                trace_id: trace_id(1).to_vec(),
                span_id: vec![1, 1, 0, 0, 0, 0, 0, 1],
                ..Default::default()
            });
        }
        let index = match resource_spans.iter().position(|rs| {
            rs.resource.as_ref().unwrap().attributes[0].value == s("service.name", d.service).value
        }) {
            Some(index) => index,
            None => {
                resource_spans.push(ResourceSpans {
                    resource: Some(Resource {
                        attributes: vec![
                            s("service.name", d.service),
                            s("deployment.environment.name", "test"),
                        ],
                        ..Default::default()
                    }),
                    scope_spans: vec![ScopeSpans {
                        scope: Some(InstrumentationScope {
                            name: "test.lib".into(),
                            version: "1.2".into(),
                            ..Default::default()
                        }),
                        spans: vec![],
                        schema_url: String::new(),
                    }],
                    schema_url: String::new(),
                });
                resource_spans.len() - 1
            }
        };
        resource_spans[index].scope_spans[0].spans.push(built);
    }
    ExportTraceServiceRequest { resource_spans }
}

/// A store in `dir` holding [`dataset`] in its heads.
pub(crate) async fn store_with_dataset(dir: &std::path::Path) -> TelemetryStore {
    let (store, _) = TelemetryStore::open_local(StoreConfig::new(dir), MemoryBudget::new(1 << 30))
        .await
        .unwrap();
    let prepared = store
        .prepare(
            TenantId::single_tenant(),
            &SignalRequest::Traces(dataset()),
            None,
        )
        .unwrap();
    store.commit(prepared).await.unwrap();
    store
}

/// Each query and the traces it must return.
#[rustfmt::skip]
pub(crate) fn cases() -> Vec<(&'static str, Vec<u8>)> {
    vec![
        (r#"{ resource.service.name = "frontend" }"#, vec![1, 2, 4, 6]),
        (r#"{ status = error }"#, vec![1, 2]),
        (r#"{ resource.service.name = "checkout" && status = error }"#, vec![2]),
        (r#"{ span.http.response.status_code >= 500 }"#, vec![2]),
        (r#"{ span.http.response.status_code = 200 }"#, vec![1]),
        (r#"{ duration > 1s }"#, vec![2]),
        (r#"{ duration > 1s && duration < 1900ms }"#, vec![2]),
        (r#"{ name =~ "GET.*" }"#, vec![1, 2, 4]),
        (r#"{ name !~ "GET.*" && kind = server }"#, vec![1, 2, 5]),
        (r#"{ kind = server } >> { span.db.system = "postgresql" }"#, vec![1]),
        (r#"{ kind = server } > { kind = client }"#, vec![1, 2, 4, 5]),
        (r#"{ kind = client } < { kind = server }"#, vec![1, 2, 4, 5]),
        (r#"{ span.db.system != nil } << { name = "GET /cart" }"#, vec![1]),
        (r#"{ name = "get-ads" } ~ { name = "get-recs" }"#, vec![4]),
        (r#"{ kind = producer } > { kind = consumer }"#, vec![6]),
        (r#"{ kind = producer } !> { kind = consumer }"#, vec![]),
        (r#"{ kind = server } !>> { span.db.system != nil }"#, vec![]),
        (r#"{ event:name = "exception" }"#, vec![3]),
        (r#"{ event.exception.type = "Boom" }"#, vec![3]),
        (r#"{ link:traceID = "a0000000000000000000000000000001" }"#, vec![4]),
        (r#"{ .app.user.id = "u3" }"#, vec![3]),
        (r#"{ .service.name = "email" }"#, vec![3]),
        (r#"{ resource.deployment.environment.name = "test" && name = "lonely" }"#, vec![3]),
        (r#"{ instrumentation:name = "test.lib" && name = "lonely" }"#, vec![3]),
        (r#"{ trace:rootService = "frontend" }"#, vec![1, 2, 4, 6]),
        (r#"{ trace:rootName = "GET /cart" }"#, vec![1, 4]),
        (r#"{ trace:duration > 1s }"#, vec![2]),
        (r#"{ statusMessage = "timeout" }"#, vec![1, 2]),
        (r#"{ status = ok }"#, vec![4]),
        (r#"{ span:parentID = "0909090909090909" }"#, vec![5]),
        (r#"{ span:childCount = 2 }"#, vec![4]),
        (r#"{ status = error } || { name = "lonely" }"#, vec![1, 2, 3]),
        (r#"{ resource.service.name = "frontend" } && { resource.service.name = "recommendation" }"#, vec![6]),
        (r#"{ } | count() > 3"#, vec![1]),
        (r#"{ } | count() >= 3"#, vec![1, 2, 4]),
        (r#"{ kind = client } | count() = 2"#, vec![1, 4]),
        (r#"{ } | by(resource.service.name) | count() > 2"#, vec![4]),
        (r#"{ } | avg(duration) > 1s"#, vec![2]),
        (r#"{ } | max(duration) < 10ms"#, vec![3, 5]),
        (r#"{ status = error } | select(span.http.route)"#, vec![1, 2]),
        (r#"{ span.nothing = "x" }"#, vec![]),
        (r#"{ }"#, vec![1, 2, 3, 4, 5, 6]),
    ]
}

pub(crate) async fn run(store: &TelemetryStore, query: &str) -> BTreeSet<u8> {
    let request = SearchRequest {
        plan: Plan::new(sightline_traceql::parse(query).unwrap()).unwrap(),
        bounds: TraceBounds::default(),
        limit: 100,
        spans_per_spanset: 3,
        order: Order::MostRecent,
    };
    let outcome = search(store, &TenantId::single_tenant(), request)
        .await
        .unwrap();
    outcome.traces.iter().map(|t| t.trace_id[15]).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_query_returns_exactly_the_expected_traces_from_heads_and_blocks() {
    let dir = tempfile::tempdir().unwrap();
    let store = store_with_dataset(dir.path()).await;
    for (place, flush) in [("heads", false), ("blocks", true)] {
        if flush {
            store.flush().await.unwrap();
        }
        for (query, expected) in cases() {
            let expected: BTreeSet<u8> = expected.into_iter().collect();
            assert_eq!(run(&store, query).await, expected, "{query} (from {place})");
        }
    }
    store.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn results_are_ordered_and_described() {
    let dir = tempfile::tempdir().unwrap();
    let (store, _) =
        TelemetryStore::open_local(StoreConfig::new(dir.path()), MemoryBudget::new(1 << 30))
            .await
            .unwrap();
    let prepared = store
        .prepare(
            TenantId::single_tenant(),
            &SignalRequest::Traces(dataset()),
            None,
        )
        .unwrap();
    store.commit(prepared).await.unwrap();
    store.flush().await.unwrap();
    let search_with = |order| SearchRequest {
        plan: Plan::new(
            sightline_traceql::parse(r#"{ resource.service.name = "frontend" }"#).unwrap(),
        )
        .unwrap(),
        bounds: TraceBounds::default(),
        limit: 3,
        spans_per_spanset: 2,
        order,
    };
    let recent = search(
        &store,
        &TenantId::single_tenant(),
        search_with(Order::MostRecent),
    )
    .await
    .unwrap();
    assert_eq!(
        recent
            .traces
            .iter()
            .map(|t| t.trace_id[15])
            .collect::<Vec<_>>(),
        vec![6, 4, 2]
    );
    let slowest = search(
        &store,
        &TenantId::single_tenant(),
        search_with(Order::Slowest),
    )
    .await
    .unwrap();
    assert_eq!(
        slowest
            .traces
            .iter()
            .map(|t| t.trace_id[15])
            .collect::<Vec<_>>(),
        vec![2, 1, 4]
    );

    let t1 = search(
        &store,
        &TenantId::single_tenant(),
        SearchRequest {
            limit: 10,
            ..search_with(Order::MostRecent)
        },
    )
    .await
    .unwrap()
    .traces
    .into_iter()
    .find(|t| t.trace_id[15] == 1)
    .unwrap();
    assert_eq!(t1.root_service.as_deref(), Some("frontend"));
    assert_eq!(t1.root_name.as_deref(), Some("GET /cart"));
    assert_eq!(t1.end - t1.start, 100 * MS);
    assert_eq!(t1.spansets[0].matched, 2);
    assert_eq!(t1.spansets[0].spans.len(), 2);
    assert_eq!(t1.service_stats.get("cart"), Some(&(2, 1)));
    assert_eq!(t1.service_stats.get("frontend"), Some(&(2, 0)));

    // A trace without its root span says so.
    let bounds = TraceBounds::default();
    let t5 = search(
        &store,
        &TenantId::single_tenant(),
        SearchRequest {
            plan: Plan::new(sightline_traceql::parse(r#"{ name = "GetAds" }"#).unwrap()).unwrap(),
            bounds,
            limit: 5,
            spans_per_spanset: 3,
            order: Order::MostRecent,
        },
    )
    .await
    .unwrap();
    assert_eq!(t5.traces[0].root_service, None);

    // Time bounds and duration bounds apply to whole traces.
    let only_t2 = TraceBounds {
        time_range: None,
        min_duration: Some(SECOND),
        max_duration: None,
    };
    let request = SearchRequest {
        plan: Plan::new(sightline_traceql::parse("{}").unwrap()).unwrap(),
        bounds: only_t2,
        limit: 10,
        spans_per_spanset: 3,
        order: Order::MostRecent,
    };
    assert_eq!(
        search(&store, &TenantId::single_tenant(), request)
            .await
            .unwrap()
            .traces
            .len(),
        1
    );
    let window = TraceBounds {
        time_range: Some((BASE + 25 * SECOND, BASE + 45 * SECOND)),
        min_duration: None,
        max_duration: None,
    };
    let request = SearchRequest {
        plan: Plan::new(sightline_traceql::parse("{}").unwrap()).unwrap(),
        bounds: window,
        limit: 10,
        spans_per_spanset: 3,
        order: Order::MostRecent,
    };
    let found: Vec<u8> = search(&store, &TenantId::single_tenant(), request)
        .await
        .unwrap()
        .traces
        .iter()
        .map(|t| t.trace_id[15])
        .collect();
    assert_eq!(found, vec![4, 3]);
    store.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tag_names_and_values_from_heads_and_blocks() {
    use crate::tags::{TagFilter, TagScope, tag_names, tag_values};
    use sightline_traceql::{Attribute, AttributeScope, FieldExpression, Intrinsic};

    let dir = tempfile::tempdir().unwrap();
    let (store, _) =
        TelemetryStore::open_local(StoreConfig::new(dir.path()), MemoryBudget::new(1 << 30))
            .await
            .unwrap();
    let prepared = store
        .prepare(
            TenantId::single_tenant(),
            &SignalRequest::Traces(dataset()),
            None,
        )
        .unwrap();
    store.commit(prepared).await.unwrap();
    let tenant = TenantId::single_tenant();
    let filter = |q: &str| TagFilter::new(sightline_traceql::parse(q).unwrap().expression).unwrap();
    let labels = |values: Vec<Value>| values.iter().map(Value::label).collect::<Vec<_>>();
    for place in ["heads", "blocks"] {
        if place == "blocks" {
            store.flush().await.unwrap();
        }
        let names = tag_names(&store, &tenant, None, &TagScope::ALL, None)
            .await
            .unwrap();
        assert!(
            names.span.contains("http.route") && names.span.contains("db.system"),
            "{place}: {:?}",
            names.span
        );
        assert!(
            names.resource.contains("service.name")
                && names.resource.contains("deployment.environment.name")
        );
        assert!(
            names.event.contains("exception.type"),
            "{place}: {:?}",
            names.event
        );
        let filtered = tag_names(
            &store,
            &tenant,
            None,
            &[TagScope::Span],
            filter(r#"{ resource.service.name = "cart" }"#),
        )
        .await
        .unwrap();
        assert_eq!(
            filtered.span.into_iter().collect::<Vec<_>>(),
            vec!["db.system".to_string()],
            "{place}"
        );

        let service = FieldExpression::Attribute(Attribute {
            scope: AttributeScope::Resource,
            name: "service.name".into(),
        });
        let values = tag_values(&store, &tenant, None, service, None, 100)
            .await
            .unwrap();
        assert_eq!(
            labels(values),
            vec![
                "ad",
                "cart",
                "checkout",
                "email",
                "frontend",
                "recommendation"
            ],
            "{place}"
        );
        let db = FieldExpression::Attribute(Attribute {
            scope: AttributeScope::Span,
            name: "db.system".into(),
        });
        let values = tag_values(
            &store,
            &tenant,
            None,
            db.clone(),
            filter(r#"{ resource.service.name = "cart" }"#),
            100,
        )
        .await
        .unwrap();
        assert_eq!(labels(values), vec!["postgresql"], "{place}");
        assert_eq!(
            labels(
                tag_values(&store, &tenant, None, db, None, 1)
                    .await
                    .unwrap()
            )
            .len(),
            1,
            "limit"
        );
        let status = tag_values(
            &store,
            &tenant,
            None,
            FieldExpression::Intrinsic(Intrinsic::Status),
            None,
            100,
        )
        .await
        .unwrap();
        assert_eq!(labels(status), vec!["error", "ok", "unset"], "{place}");
        let codes = FieldExpression::Attribute(Attribute {
            scope: AttributeScope::Span,
            name: "http.response.status_code".into(),
        });
        assert_eq!(
            tag_values(&store, &tenant, None, codes, None, 100)
                .await
                .unwrap(),
            vec![Value::Int(200), Value::Int(500), Value::Int(503)]
        );
    }
    store.shutdown().await.unwrap();
}
