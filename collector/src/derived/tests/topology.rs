//! A hand-built topology with known answers: frontend -> cart -> postgres, checkout -> kafka ->
//! email, a failing call, a server span that arrives before its client, a call to an
//! uninstrumented payment service, and halves that never pair.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use sightline_proto::otlp::trace::v1::span::SpanKind::{Client, Consumer, Producer, Server};

use super::*;
use crate::derived::{
    DerivedMetrics, DerivedMetricsConfig, GRAPH_CLIENT_SECONDS, GRAPH_FAILED,
    GRAPH_MESSAGING_SECONDS, GRAPH_REQUESTS, GRAPH_SERVER_SECONDS, GRAPH_UNPAIRED,
    SPANMETRICS_CALLS, SPANMETRICS_LATENCY, SPANMETRICS_SIZE,
};

/// Feeds the topology: one export at `start`, then trace 4's server at +1 s and its client at
/// +2 s.
fn feed(processor: &DerivedMetrics, start: Instant) {
    let first = export(vec![
        (
            "frontend",
            vec![
                span(1, 1, None, Server, "GET /", 0, 100),
                span(1, 2, Some(1), Client, "GET /cart", 10, 50),
                span(3, 20, Some(19), Client, "GET /recs", 0, 30),
                span(6, 50, Some(49), Client, "GET /ads", 0, 10),
            ],
        ),
        (
            "cart",
            vec![
                span(1, 3, Some(2), Server, "GET /cart", 15, 40),
                with(
                    span(1, 4, Some(3), Client, "SELECT carts", 20, 10),
                    &[("db.system", "postgresql"), ("db.namespace", "carts")],
                ),
                span(7, 61, Some(60), Server, "GET /internal", 0, 5),
            ],
        ),
        (
            "checkout",
            vec![
                span(2, 10, None, Server, "POST /checkout", 0, 200),
                span(2, 11, Some(10), Producer, "orders publish", 10, 5),
                with(
                    span(5, 40, Some(39), Client, "charge", 0, 80),
                    &[
                        ("peer.service", "payment"),
                        ("server.address", "pay.example"),
                    ],
                ),
            ],
        ),
        (
            "email",
            vec![span(2, 12, Some(11), Consumer, "orders process", 35, 30)],
        ),
        (
            "recommendation",
            vec![failed(span(3, 21, Some(20), Server, "GET /recs", 5, 20))],
        ),
    ]);
    let tenant = tenant("acme");
    processor.observe(&tenant, &first, start);
    let server_first = export(vec![(
        "cart",
        vec![span(4, 31, Some(30), Server, "GET /cart", 5, 20)],
    )]);
    processor.observe(&tenant, &server_first, start + Duration::from_secs(1));
    assert_eq!(processor.stats().pending_pairs, 4, "trace 4's server waits");
    let client_later = export(vec![(
        "frontend",
        vec![span(4, 30, Some(29), Client, "GET /cart", 0, 30)],
    )]);
    processor.observe(&tenant, &client_later, start + Duration::from_secs(2));
}

fn edges_before_expiry() -> BTreeMap<Labels, i64> {
    BTreeMap::from([
        (edge("user", "frontend", "virtual_node"), 1),
        (edge("user", "checkout", "virtual_node"), 1),
        (edge("frontend", "cart", "unset"), 2),
        (edge("cart", "carts", "database"), 1),
        (edge("checkout", "email", "messaging_system"), 1),
        (edge("frontend", "recommendation", "unset"), 1),
    ])
}

#[test]
fn edges_counts_and_histograms_match_the_topology() {
    let processor = DerivedMetrics::new(DerivedMetricsConfig::default());
    let start = Instant::now();
    feed(&processor, start);

    // Before the pairing wait: every pair is counted, three lone halves still wait.
    let collected = processor.collect(start + Duration::from_secs(3), T0);
    let request = request_of(&collected, &tenant("acme"));
    assert_eq!(sums(request, GRAPH_REQUESTS), edges_before_expiry());
    assert_eq!(
        sums(request, GRAPH_FAILED),
        BTreeMap::from([(edge("frontend", "recommendation", "unset"), 1)])
    );
    assert!(sums(request, GRAPH_UNPAIRED).is_empty());
    let stats = processor.stats();
    assert_eq!(stats.pending_pairs, 3);
    assert_eq!(stats.edges, 7);
    assert_eq!(stats.unpaired_spans, 0);

    // After it: the payment call becomes a virtual-node edge, the other two are unpaired.
    let collected = processor.collect(start + Duration::from_secs(10), T0);
    let request = request_of(&collected, &tenant("acme"));
    let mut expected = edges_before_expiry();
    expected.insert(edge("checkout", "payment", "virtual_node"), 1);
    assert_eq!(sums(request, GRAPH_REQUESTS), expected);
    assert_eq!(
        sums(request, GRAPH_UNPAIRED),
        BTreeMap::from([
            (labels(&[("client", "frontend")]), 1),
            (labels(&[("server", "cart")]), 1),
        ])
    );
    let stats = processor.stats();
    assert_eq!(stats.pending_pairs, 0);
    assert_eq!(stats.unpaired_spans, 2);
    assert_eq!(stats.edges, 8);

    let server = histograms(request, GRAPH_SERVER_SECONDS);
    let client = histograms(request, GRAPH_CLIENT_SECONDS);
    assert_eq!(server.len(), 7);
    assert_eq!(client.len(), 7);
    for (labels, count) in &expected {
        assert_eq!(server[labels].count, *count as u64, "{labels:?}");
        assert_eq!(client[labels].count, *count as u64, "{labels:?}");
    }
    let frontend_cart = edge("frontend", "cart", "unset");
    assert_close(client[&frontend_cart].sum.unwrap(), 0.050 + 0.030);
    assert_close(server[&frontend_cart].sum.unwrap(), 0.040 + 0.020);
    // 20 ms in (0.016, 0.032], 40 ms in (0.032, 0.064].
    assert_eq!(
        server[&frontend_cart].bucket_counts,
        [0, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0]
    );
    // A database call has no server span: the client's duration stands for both.
    let database = edge("cart", "carts", "database");
    assert_close(server[&database].sum.unwrap(), 0.010);
    assert_close(client[&database].sum.unwrap(), 0.010);
    // The virtual caller of a root span has no duration; 0.1 s falls in (0.064, 0.128].
    let user_frontend = edge("user", "frontend", "virtual_node");
    assert_close(server[&user_frontend].sum.unwrap(), 0.100);
    assert_eq!(server[&user_frontend].bucket_counts[6], 1);
    assert_close(client[&user_frontend].sum.unwrap(), 0.0);
    let payment = edge("checkout", "payment", "virtual_node");
    assert_close(client[&payment].sum.unwrap(), 0.080);
    assert_close(server[&payment].sum.unwrap(), 0.0);

    // Messaging latency: consumer start (35 ms) - producer end (15 ms), kafka pair only.
    let messaging = histograms(request, GRAPH_MESSAGING_SECONDS);
    let kafka = edge("checkout", "email", "messaging_system");
    assert_eq!(messaging.keys().collect::<Vec<_>>(), [&kafka]);
    assert_eq!(messaging[&kafka].count, 1);
    assert_close(messaging[&kafka].sum.unwrap(), 0.020);
}

#[test]
fn span_metrics_count_every_span_by_service_name_kind_and_status() {
    let processor = DerivedMetrics::new(DerivedMetricsConfig::default());
    let start = Instant::now();
    feed(&processor, start);
    let collected = processor.collect(start + Duration::from_secs(3), T0);
    let request = request_of(&collected, &tenant("acme"));

    let (server, client) = ("SPAN_KIND_SERVER", "SPAN_KIND_CLIENT");
    let (unset, error) = ("STATUS_CODE_UNSET", "STATUS_CODE_ERROR");
    let expected = BTreeMap::from([
        (span_key("frontend", "GET /", server, unset), 1),
        (span_key("frontend", "GET /cart", client, unset), 2),
        (span_key("frontend", "GET /recs", client, unset), 1),
        (span_key("frontend", "GET /ads", client, unset), 1),
        (span_key("cart", "GET /cart", server, unset), 2),
        (span_key("cart", "SELECT carts", client, unset), 1),
        (span_key("cart", "GET /internal", server, unset), 1),
        (span_key("checkout", "POST /checkout", server, unset), 1),
        (
            span_key("checkout", "orders publish", "SPAN_KIND_PRODUCER", unset),
            1,
        ),
        (span_key("checkout", "charge", client, unset), 1),
        (
            span_key("email", "orders process", "SPAN_KIND_CONSUMER", unset),
            1,
        ),
        (span_key("recommendation", "GET /recs", server, error), 1),
    ]);
    assert_eq!(sums(request, SPANMETRICS_CALLS), expected);

    let latency = histograms(request, SPANMETRICS_LATENCY);
    assert_eq!(latency.len(), expected.len());
    let cart = &latency[&span_key("cart", "GET /cart", server, unset)];
    assert_eq!(cart.count, 2);
    assert_close(cart.sum.unwrap(), 0.040 + 0.020);
    // 0.02 s is in (0.016, 0.032], 0.04 s in (0.032, 0.064].
    assert_eq!(
        cart.bucket_counts,
        [0, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0]
    );
    assert_eq!(cart.exemplars.len(), 1);

    let sizes = sums(request, SPANMETRICS_SIZE);
    assert_eq!(sizes.len(), expected.len());
    assert!(sizes.values().all(|bytes| *bytes > 0));
}

#[test]
fn a_server_span_waits_for_its_client_and_pairs_in_either_order() {
    let processor = DerivedMetrics::new(DerivedMetricsConfig::default());
    let start = Instant::now();
    let tenant = tenant("acme");
    let server = export(vec![(
        "api",
        vec![span(9, 2, Some(1), Server, "GET /x", 1, 8)],
    )]);
    processor.observe(&tenant, &server, start);
    let collected = processor.collect(start + Duration::from_secs(5), T0);
    assert!(sums(request_of(&collected, &tenant), GRAPH_REQUESTS).is_empty());
    assert_eq!(processor.stats().pending_pairs, 1);

    let client = export(vec![(
        "web",
        vec![failed(span(9, 1, None, Client, "GET /x", 0, 10))],
    )]);
    processor.observe(&tenant, &client, start + Duration::from_secs(6));
    let collected = processor.collect(start + Duration::from_secs(20), T0);
    let request = request_of(&collected, &tenant);
    let web_api = edge("web", "api", "unset");
    assert_eq!(
        sums(request, GRAPH_REQUESTS),
        BTreeMap::from([(web_api.clone(), 1)])
    );
    // The client side failed: the edge counts as failed too.
    assert_eq!(sums(request, GRAPH_FAILED), BTreeMap::from([(web_api, 1)]));
    assert_eq!(processor.stats().pending_pairs, 0);
    assert_eq!(processor.stats().unpaired_spans, 0);
}

#[test]
fn halves_expire_exactly_at_the_pairing_wait() {
    let config = DerivedMetricsConfig {
        pairing_wait: Duration::from_secs(10),
        ..DerivedMetricsConfig::default()
    };
    let processor = DerivedMetrics::new(config);
    let start = Instant::now();
    let tenant = tenant("acme");
    let lone = export(vec![(
        "web",
        vec![with(
            span(1, 1, Some(9), Client, "pay", 0, 10),
            &[("peer.service", "payment")],
        )],
    )]);
    processor.observe(&tenant, &lone, start);

    let just_before = start + Duration::from_millis(9_999);
    let collected = processor.collect(just_before, T0);
    assert!(sums(request_of(&collected, &tenant), GRAPH_REQUESTS).is_empty());
    assert_eq!(processor.stats().pending_pairs, 1);

    let collected = processor.collect(start + Duration::from_secs(10), T0);
    assert_eq!(
        sums(request_of(&collected, &tenant), GRAPH_REQUESTS),
        BTreeMap::from([(edge("web", "payment", "virtual_node"), 1)])
    );
    assert_eq!(processor.stats().pending_pairs, 0);

    // A server span arriving after its client expired pairs with nothing.
    let late = export(vec![(
        "payment",
        vec![span(1, 2, Some(1), Server, "pay", 1, 5)],
    )]);
    processor.observe(&tenant, &late, start + Duration::from_secs(11));
    let collected = processor.collect(start + Duration::from_secs(30), T0);
    let request = request_of(&collected, &tenant);
    assert_eq!(
        sums(request, GRAPH_UNPAIRED),
        BTreeMap::from([(labels(&[("server", "payment")]), 1)])
    );
}

#[test]
fn root_server_spans_get_a_virtual_caller_named_by_peer_attributes_or_user() {
    let processor = DerivedMetrics::new(DerivedMetricsConfig::default());
    let start = Instant::now();
    let tenant = tenant("acme");
    let roots = export(vec![(
        "frontend",
        vec![
            span(1, 1, None, Server, "GET /", 0, 10),
            with(
                span(2, 2, None, Server, "GET /", 0, 10),
                &[("peer.service", "mobile-app")],
            ),
            // Some SDKs send an all-zero parent id for roots.
            span(3, 3, Some(0), Server, "GET /", 0, 10),
        ],
    )]);
    processor.observe(&tenant, &roots, start);
    // A root never waits: its edge is counted at once.
    assert_eq!(processor.stats().pending_pairs, 0);
    let collected = processor.collect(start, T0);
    assert_eq!(
        sums(request_of(&collected, &tenant), GRAPH_REQUESTS),
        BTreeMap::from([
            (edge("user", "frontend", "virtual_node"), 2),
            (edge("mobile-app", "frontend", "virtual_node"), 1),
        ])
    );
}

#[test]
fn uninstrumented_callees_are_named_by_messaging_system_or_server_address() {
    let processor = DerivedMetrics::new(DerivedMetricsConfig::default());
    let start = Instant::now();
    let tenant = tenant("acme");
    let calls = export(vec![(
        "shop",
        vec![
            with(
                span(1, 1, Some(9), Client, "POST /charge", 0, 20),
                &[("server.address", "api.stripe.com")],
            ),
            with(
                span(2, 2, Some(9), Producer, "publish", 0, 2),
                &[
                    ("messaging.system", "kafka"),
                    ("server.address", "broker-1"),
                ],
            ),
            // A root server's own address never names its caller.
            with(
                span(3, 3, None, Server, "GET /", 0, 10),
                &[("server.address", "shop.example")],
            ),
        ],
    )]);
    processor.observe(&tenant, &calls, start);
    let collected = processor.collect(start + Duration::from_secs(10), T0);
    assert_eq!(
        sums(request_of(&collected, &tenant), GRAPH_REQUESTS),
        BTreeMap::from([
            (edge("shop", "api.stripe.com", "virtual_node"), 1),
            // A queue nobody consumed from: a messaging edge to a virtual node.
            (edge("shop", "kafka", "messaging_system"), 1),
            (edge("user", "shop", "virtual_node"), 1),
        ])
    );
}

#[test]
fn database_edges_are_named_by_namespace_then_name_then_system() {
    let processor = DerivedMetrics::new(DerivedMetricsConfig::default());
    let start = Instant::now();
    let tenant = tenant("acme");
    let calls = export(vec![(
        "api",
        vec![
            with(
                span(1, 1, Some(9), Client, "q", 0, 1),
                &[
                    ("db.system", "postgresql"),
                    ("db.name", "old"),
                    ("db.namespace", "new"),
                ],
            ),
            with(
                span(1, 2, Some(9), Client, "q", 0, 1),
                &[("db.system", "redis"), ("db.name", "cache")],
            ),
            with(
                span(1, 3, Some(9), Client, "q", 0, 1),
                &[("db.system", "mysql")],
            ),
            with(
                span(1, 4, Some(9), Client, "q", 0, 1),
                &[("db.system.name", "mongodb")],
            ),
            // A Redis database index is no name on its own.
            with(
                span(1, 6, Some(9), Client, "GET", 0, 1),
                &[("db.system.name", "redis"), ("db.namespace", "0")],
            ),
            failed(with(
                span(1, 5, Some(9), Producer, "q", 0, 1),
                &[("db.system", "mysql")],
            )),
        ],
    )]);
    processor.observe(&tenant, &calls, start);
    assert_eq!(
        processor.stats().pending_pairs,
        0,
        "database calls never wait"
    );
    let collected = processor.collect(start, T0);
    let request = request_of(&collected, &tenant);
    assert_eq!(
        sums(request, GRAPH_REQUESTS),
        BTreeMap::from([
            (edge("api", "new", "database"), 1),
            (edge("api", "cache", "database"), 1),
            (edge("api", "mysql", "database"), 2),
            (edge("api", "mongodb", "database"), 1),
            (edge("api", "redis/0", "database"), 1),
        ])
    );
    assert_eq!(
        sums(request, GRAPH_FAILED),
        BTreeMap::from([(edge("api", "mysql", "database"), 1)])
    );
}

#[test]
fn a_consumer_that_starts_before_its_producer_ends_records_no_messaging_latency() {
    let processor = DerivedMetrics::new(DerivedMetricsConfig::default());
    let start = Instant::now();
    let tenant = tenant("acme");
    let pair = export(vec![
        (
            "shop",
            vec![span(1, 1, Some(7), Producer, "publish", 0, 50)],
        ),
        (
            "mailer",
            vec![span(1, 2, Some(1), Consumer, "process", 10, 5)],
        ),
    ]);
    processor.observe(&tenant, &pair, start);
    let collected = processor.collect(start, T0);
    let request = request_of(&collected, &tenant);
    assert_eq!(
        sums(request, GRAPH_REQUESTS),
        BTreeMap::from([(edge("shop", "mailer", "messaging_system"), 1)])
    );
    assert!(histograms(request, GRAPH_MESSAGING_SECONDS).is_empty());
}

#[test]
fn spans_without_a_service_name_feed_span_metrics_but_not_the_graph() {
    let processor = DerivedMetrics::new(DerivedMetricsConfig::default());
    let start = Instant::now();
    let tenant = tenant("acme");
    let anonymous = export(vec![("", vec![span(1, 1, Some(7), Client, "call", 0, 5)])]);
    processor.observe(&tenant, &anonymous, start);
    assert_eq!(processor.stats().pending_pairs, 0);
    let collected = processor.collect(start, T0);
    let request = request_of(&collected, &tenant);
    assert_eq!(
        sums(request, SPANMETRICS_CALLS),
        BTreeMap::from([(
            labels(&[
                ("span_name", "call"),
                ("span_kind", "SPAN_KIND_CLIENT"),
                ("status_code", "STATUS_CODE_UNSET"),
            ]),
            1
        )])
    );
    assert!(sums(request, GRAPH_REQUESTS).is_empty());
}
