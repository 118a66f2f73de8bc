//! A micro-benchmark: `observe` over ~100k spans. Prints spans per second; asserts only the
//! counts (timings are for BENCHMARKS.md, never for assertions).

use std::time::{Duration, Instant};

use sightline_proto::otlp::trace::v1::span::SpanKind::{Client, Internal, Server};

use super::*;
use crate::derived::{DerivedMetrics, DerivedMetricsConfig};

/// One export of 10 traces x 10 spans across three services.
fn traffic(export_index: u64) -> ExportTraceServiceRequest {
    let mut frontend = Vec::new();
    let mut cart = Vec::new();
    let mut checkout = Vec::new();
    for t in 0..10u64 {
        let trace = export_index * 10 + t + 1;
        let route = format!("GET /route-{}", trace % 20);
        frontend.push(span(trace, 1, None, Server, &route, 0, 120));
        frontend.push(span(trace, 2, Some(1), Internal, "render", 1, 3));
        frontend.push(span(trace, 3, Some(1), Client, "GET /cart", 5, 60));
        frontend.push(span(trace, 4, Some(1), Client, "POST /checkout", 70, 40));
        cart.push(span(trace, 5, Some(3), Server, "GET /cart", 6, 55));
        cart.push(with(
            span(trace, 6, Some(5), Client, "SELECT carts", 10, 8),
            &[("db.system", "postgresql"), ("db.namespace", "carts")],
        ));
        cart.push(span(trace, 7, Some(5), Internal, "serialize", 20, 2));
        checkout.push(span(trace, 8, Some(4), Server, "POST /checkout", 72, 35));
        checkout.push(with(
            span(trace, 9, Some(8), Client, "charge", 75, 20),
            &[("peer.service", "payment")],
        ));
        checkout.push(span(trace, 10, Some(8), Internal, "validate", 73, 1));
    }
    export(vec![
        ("frontend", frontend),
        ("cart", cart),
        ("checkout", checkout),
    ])
}

#[test]
fn observe_handles_100k_spans_quickly() {
    let exports: Vec<ExportTraceServiceRequest> = (0..1_000).map(traffic).collect();
    let span_count: usize = exports
        .iter()
        .flat_map(|e| &e.resource_spans)
        .flat_map(|r| &r.scope_spans)
        .map(|s| s.spans.len())
        .sum();
    let processor = DerivedMetrics::new(DerivedMetricsConfig::default());
    let tenant = tenant("bench");
    let start = Instant::now();
    let clock = Instant::now();
    for (i, request) in exports.iter().enumerate() {
        processor.observe(&tenant, request, start + Duration::from_millis(i as u64));
    }
    let elapsed = clock.elapsed();
    let collect_clock = Instant::now();
    let collected = processor.collect(start + Duration::from_secs(60), T0);
    let collect_elapsed = collect_clock.elapsed();
    println!(
        "derived metrics: observe {span_count} spans in {:.1} ms = {:.0} spans/s; collect {:.2} ms",
        elapsed.as_secs_f64() * 1e3,
        span_count as f64 / elapsed.as_secs_f64(),
        collect_elapsed.as_secs_f64() * 1e3,
    );

    assert_eq!(span_count, 100_000);
    let stats = processor.stats();
    // Per trace: user->frontend, frontend->cart, frontend->checkout, cart->carts, and the
    // payment call as a virtual node once expired.
    assert_eq!(stats.edges, 10_000 * 5);
    assert_eq!(stats.pending_pairs, 0);
    assert_eq!(stats.unpaired_spans, 0);
    let request = request_of(&collected, &tenant);
    let calls: i64 = sums(request, crate::derived::SPANMETRICS_CALLS)
        .values()
        .sum();
    assert_eq!(calls, 100_000);
}
