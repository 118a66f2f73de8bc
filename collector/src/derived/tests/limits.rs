//! Memory bounds: the pairing store, the series limit, stale series and idle tenants.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use sightline_proto::otlp::trace::v1::span::SpanKind::{Client, Internal, Server};

use super::*;
use crate::derived::{
    DerivedMetrics, DerivedMetricsConfig, GRAPH_DROPPED, GRAPH_REQUESTS, SPANMETRICS_CALLS,
};

#[test]
fn a_full_pairing_store_drops_new_halves_and_counts_them() {
    let processor = DerivedMetrics::new(DerivedMetricsConfig {
        max_pending_edges: 2,
        ..DerivedMetricsConfig::default()
    });
    let start = Instant::now();
    let tenant = tenant("acme");
    let clients = export(vec![(
        "web",
        vec![
            span(1, 1, Some(9), Client, "a", 0, 5),
            span(2, 1, Some(9), Client, "b", 0, 5),
            span(3, 1, Some(9), Client, "c", 0, 5),
        ],
    )]);
    processor.observe(&tenant, &clients, start);
    let servers = export(vec![(
        "api",
        vec![
            // Pairs with a waiting client: accepted although the store is full.
            span(1, 2, Some(1), Server, "a", 1, 3),
            // Its client was dropped; it takes the room the pair above freed.
            span(3, 2, Some(1), Server, "c", 1, 3),
            // No room left.
            span(4, 2, Some(1), Server, "d", 1, 3),
        ],
    )]);
    processor.observe(&tenant, &servers, start);

    let stats = processor.stats();
    assert_eq!(stats.pending_pairs, 2);
    assert_eq!(stats.dropped_spans, 2);
    let collected = processor.collect(start, T0);
    let request = request_of(&collected, &tenant);
    assert_eq!(
        sums(request, GRAPH_DROPPED),
        BTreeMap::from([
            (labels(&[("client", "web")]), 1),
            (labels(&[("server", "api")]), 1),
        ])
    );
    assert_eq!(
        sums(request, GRAPH_REQUESTS),
        BTreeMap::from([(edge("web", "api", "unset"), 1)])
    );
    // Span metrics are not bounded by the pairing store.
    assert_eq!(sums(request, SPANMETRICS_CALLS).values().sum::<i64>(), 6);

    // Expiry frees the store.
    processor.collect(start + Duration::from_secs(10), T0);
    assert_eq!(processor.stats().pending_pairs, 0);
    let more = export(vec![("web", vec![span(5, 1, Some(9), Client, "e", 0, 5)])]);
    processor.observe(&tenant, &more, start + Duration::from_secs(11));
    assert_eq!(processor.stats().pending_pairs, 1);
    assert_eq!(processor.stats().dropped_spans, 2);
}

#[test]
fn observe_expires_old_halves_before_refusing_new_ones() {
    let processor = DerivedMetrics::new(DerivedMetricsConfig {
        max_pending_edges: 1,
        ..DerivedMetricsConfig::default()
    });
    let start = Instant::now();
    let tenant = tenant("acme");
    let first = export(vec![("web", vec![span(1, 1, Some(9), Client, "a", 0, 5)])]);
    processor.observe(&tenant, &first, start);
    let second = export(vec![("web", vec![span(2, 1, Some(9), Client, "b", 0, 5)])]);
    processor.observe(&tenant, &second, start + Duration::from_secs(10));
    let stats = processor.stats();
    assert_eq!(stats.dropped_spans, 0);
    assert_eq!(stats.unpaired_spans, 1);
    assert_eq!(stats.pending_pairs, 1);
}

#[test]
fn the_series_limit_drops_new_label_sets_and_counts_them() {
    let processor = DerivedMetrics::new(DerivedMetricsConfig {
        max_series_per_tenant: 3,
        ..DerivedMetricsConfig::default()
    });
    let start = Instant::now();
    let tenant = tenant("acme");
    let spans = export(vec![(
        "svc",
        vec![
            span(1, 1, None, Internal, "a", 0, 1),
            span(1, 2, None, Internal, "b", 0, 1),
            span(1, 3, None, Internal, "c", 0, 1),
        ],
    )]);
    processor.observe(&tenant, &spans, start);
    let more = export(vec![(
        "svc",
        vec![
            span(1, 4, None, Internal, "a", 0, 1),
            span(1, 5, None, Internal, "d", 0, 1),
            span(1, 6, None, Internal, "d", 0, 1),
            // A root server span: its edge would be a fourth series.
            span(1, 7, None, Server, "a", 0, 1),
        ],
    )]);
    processor.observe(&tenant, &more, start);

    let stats = processor.stats();
    assert_eq!(stats.series, 3);
    assert_eq!(
        stats.series_limited, 4,
        "two `d` spans, one server span, one edge"
    );
    let collected = processor.collect(start, T0);
    let request = request_of(&collected, &tenant);
    let calls = sums(request, SPANMETRICS_CALLS);
    let names: Vec<&str> = calls.keys().map(|l| l["span_name"].as_str()).collect();
    assert_eq!(names, ["a", "b", "c"]);
    assert_eq!(calls.values().copied().collect::<Vec<_>>(), [2, 1, 1]);
    assert!(sums(request, GRAPH_REQUESTS).is_empty());
}

#[test]
fn stale_series_are_removed_and_restart_from_zero() {
    let processor = DerivedMetrics::new(DerivedMetricsConfig {
        series_stale_after: Duration::from_secs(60),
        ..DerivedMetricsConfig::default()
    });
    let start = Instant::now();
    let tenant = tenant("acme");
    let one = export(vec![("svc", vec![span(1, 1, None, Internal, "a", 0, 1)])]);
    processor.observe(&tenant, &one, start);
    assert_eq!(
        processor.collect(start + Duration::from_secs(59), T0).len(),
        1
    );
    assert!(
        processor
            .collect(start + Duration::from_secs(60), T0)
            .is_empty()
    );
    let stats = processor.stats();
    assert_eq!(stats.series, 0);
    assert_eq!(stats.tenants, 0, "an idle tenant is forgotten");

    let later = start + Duration::from_secs(100);
    processor.observe(&tenant, &one, later);
    let collected = processor.collect(later, T0 + 200 * 1_000_000_000);
    let request = request_of(&collected, &tenant);
    assert_eq!(sums(request, SPANMETRICS_CALLS).values().sum::<i64>(), 1);
}

#[test]
fn tenants_are_isolated_and_returned_in_order() {
    let processor = DerivedMetrics::new(DerivedMetricsConfig {
        max_pending_edges: 1,
        ..DerivedMetricsConfig::default()
    });
    let start = Instant::now();
    let client = export(vec![("web", vec![span(1, 1, Some(9), Client, "a", 0, 5)])]);
    let server = export(vec![("api", vec![span(1, 2, Some(1), Server, "a", 1, 3)])]);
    processor.observe(&tenant("zeta"), &client, start);
    processor.observe(&tenant("alpha"), &client, start);
    // Same ids, other tenant: must not pair with alpha's client.
    processor.observe(&tenant("zeta"), &server, start);

    let collected = processor.collect(start, T0);
    let order: Vec<&str> = collected.iter().map(|(t, _)| t.as_str()).collect();
    assert_eq!(order, ["alpha", "zeta"]);
    assert!(sums(request_of(&collected, &tenant("alpha")), GRAPH_REQUESTS).is_empty());
    assert_eq!(
        sums(request_of(&collected, &tenant("zeta")), GRAPH_REQUESTS),
        BTreeMap::from([(edge("web", "api", "unset"), 1)])
    );
    let stats = processor.stats();
    assert_eq!(stats.pending_pairs, 1);
    assert_eq!(stats.tenants, 2);
    assert_eq!(stats.dropped_spans, 0, "each tenant has its own bound");
}
