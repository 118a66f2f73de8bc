//! The shape of the OTLP output and its determinism.

use std::time::{Duration, Instant};

use prost::Message;
use sightline_proto::otlp::common::v1::any_value::Value;
use sightline_proto::otlp::metrics::v1::{AggregationTemporality, metric};
use sightline_proto::otlp::trace::v1::span::SpanKind::{Client, Internal, Server};

use super::*;
use crate::derived::{
    DerivedMetrics, DerivedMetricsConfig, GENERATOR_SERVICE_NAME, GRAPH_CLIENT_SECONDS,
    GRAPH_REQUESTS, GRAPH_SERVER_SECONDS, SCOPE_NAME, SPANMETRICS_CALLS, SPANMETRICS_LATENCY,
    SPANMETRICS_SIZE,
};

fn sample() -> ExportTraceServiceRequest {
    export(vec![
        (
            "web",
            vec![
                span(1, 1, None, Server, "GET /", 0, 30),
                span(1, 2, Some(1), Client, "GET /api", 5, 20),
                span(1, 5, Some(1), Internal, "render", 2, 1),
            ],
        ),
        ("api", vec![span(1, 3, Some(2), Server, "GET /api", 6, 18)]),
    ])
}

#[test]
fn metrics_are_cumulative_with_tempo_names_and_a_generator_resource() {
    let processor = DerivedMetrics::new(DerivedMetricsConfig::default());
    let start = Instant::now();
    processor.observe(&tenant("acme"), &sample(), start);
    let now_unix_nano = T0 + 3_600 * 1_000_000_000;
    let collected = processor.collect(start, now_unix_nano);
    let request = request_of(&collected, &tenant("acme"));

    let resource = request.resource_metrics[0].resource.as_ref().unwrap();
    assert_eq!(
        attributes_of(&resource.attributes),
        labels(&[("service.name", GENERATOR_SERVICE_NAME)])
    );
    let scope = request.resource_metrics[0].scope_metrics[0]
        .scope
        .as_ref()
        .unwrap();
    assert_eq!(scope.name, SCOPE_NAME);

    let names: Vec<&str> = metrics(request).iter().map(|m| m.name.as_str()).collect();
    assert_eq!(
        names,
        [
            SPANMETRICS_CALLS,
            SPANMETRICS_LATENCY,
            SPANMETRICS_SIZE,
            GRAPH_REQUESTS,
            GRAPH_SERVER_SECONDS,
            GRAPH_CLIENT_SECONDS,
        ],
        "no failed, messaging, unpaired or dropped series exist yet"
    );
    let cumulative = AggregationTemporality::Cumulative as i32;
    for m in metrics(request) {
        match m.data.as_ref().unwrap() {
            metric::Data::Sum(sum) => {
                assert!(sum.is_monotonic, "{}", m.name);
                assert_eq!(sum.aggregation_temporality, cumulative);
                for p in &sum.data_points {
                    assert_eq!(p.time_unix_nano, now_unix_nano);
                    assert!(p.start_time_unix_nano <= p.time_unix_nano);
                    assert!(p.start_time_unix_nano > 0);
                }
            }
            metric::Data::Histogram(histogram) => {
                assert_eq!(histogram.aggregation_temporality, cumulative);
                let bounds = if m.name == SPANMETRICS_LATENCY {
                    DerivedMetricsConfig::default().span_metrics_buckets
                } else {
                    DerivedMetricsConfig::default().service_graph_buckets
                };
                for p in &histogram.data_points {
                    assert_eq!(p.explicit_bounds, bounds);
                    assert_eq!(p.bucket_counts.len(), bounds.len() + 1);
                    assert_eq!(p.bucket_counts.iter().sum::<u64>(), p.count);
                    assert_eq!(p.time_unix_nano, now_unix_nano);
                    assert!(p.start_time_unix_nano <= p.time_unix_nano);
                    let exemplar = &p.exemplars[0];
                    assert_eq!(exemplar.trace_id.len(), 16);
                    assert_eq!(exemplar.span_id.len(), 8);
                }
            }
            other => panic!("unexpected data {other:?}"),
        }
        for p in data_point_attributes(m) {
            for kv in p {
                let value = kv.value.as_ref().and_then(|v| v.value.as_ref());
                assert!(matches!(value, Some(Value::StringValue(s)) if !s.is_empty()));
            }
        }
    }
    // The web -> api edge's exemplar points at the client span.
    let server = histograms(request, GRAPH_SERVER_SECONDS);
    let exemplar = &server[&edge("web", "api", "unset")].exemplars[0];
    assert_eq!(exemplar.span_id, 2u64.to_be_bytes());
}

fn data_point_attributes(
    m: &sightline_proto::otlp::metrics::v1::Metric,
) -> Vec<&[sightline_proto::otlp::common::v1::KeyValue]> {
    match m.data.as_ref().unwrap() {
        metric::Data::Sum(s) => s.data_points.iter().map(|p| &p.attributes[..]).collect(),
        metric::Data::Histogram(h) => h.data_points.iter().map(|p| &p.attributes[..]).collect(),
        _ => Vec::new(),
    }
}

#[test]
fn values_accumulate_and_keep_their_start_time() {
    let processor = DerivedMetrics::new(DerivedMetricsConfig::default());
    let start = Instant::now();
    let tenant = tenant("acme");
    processor.observe(&tenant, &sample(), start);
    let first = processor.collect(start, u64::MAX);
    processor.observe(&tenant, &sample(), start + Duration::from_secs(30));
    let second = processor.collect(start + Duration::from_secs(30), u64::MAX);

    let before = sums(request_of(&first, &tenant), GRAPH_REQUESTS);
    let after = sums(request_of(&second, &tenant), GRAPH_REQUESTS);
    for (labels, value) in &before {
        assert_eq!(after[labels], value * 2);
    }
    let start_times = |collected: &[(TenantId, ExportMetricsServiceRequest)]| -> Vec<u64> {
        let request = request_of(collected, &tenant);
        histograms(request, SPANMETRICS_LATENCY)
            .values()
            .map(|p| p.start_time_unix_nano)
            .collect()
    };
    assert_eq!(start_times(&first), start_times(&second));
}

#[test]
fn collect_output_is_deterministic() {
    let start = Instant::now();
    let feed = |processor: &DerivedMetrics| {
        for (i, tenant_name) in ["b", "a", "c"].iter().enumerate() {
            let mut request = sample();
            // Vary span names so the series are many and hash order would differ.
            for n in 0..50u64 {
                request.resource_spans[0].scope_spans[0].spans.push(span(
                    2 + n,
                    7,
                    Some(1),
                    Internal,
                    &format!("op-{}", (n * 37 + i as u64) % 50),
                    0,
                    n,
                ));
            }
            processor.observe(&tenant(tenant_name), &request, start);
        }
    };
    let one = DerivedMetrics::new(DerivedMetricsConfig::default());
    let two = DerivedMetrics::new(DerivedMetricsConfig::default());
    feed(&one);
    feed(&two);
    let at = start + Duration::from_secs(1);
    let encode = |processor: &DerivedMetrics| -> Vec<(String, Vec<u8>)> {
        processor
            .collect(at, T0)
            .into_iter()
            .map(|(t, mut r)| {
                // Start times come from each processor's own clock; compare everything else.
                for rm in &mut r.resource_metrics {
                    for sm in &mut rm.scope_metrics {
                        for m in &mut sm.metrics {
                            match m.data.as_mut().unwrap() {
                                metric::Data::Sum(s) => s
                                    .data_points
                                    .iter_mut()
                                    .for_each(|p| p.start_time_unix_nano = 0),
                                metric::Data::Histogram(h) => {
                                    h.data_points.iter_mut().for_each(|p| {
                                        p.start_time_unix_nano = 0;
                                        p.exemplars.iter_mut().for_each(|e| e.time_unix_nano = 0);
                                    })
                                }
                                _ => {}
                            }
                        }
                    }
                }
                (t.as_str().to_string(), r.encode_to_vec())
            })
            .collect()
    };
    let first = encode(&one);
    assert_eq!(first.len(), 3);
    assert_eq!(first, encode(&two));
    assert_eq!(first, encode(&one), "collecting again changes nothing");
    let calls = sums(
        request_of(&one.collect(at, T0), &tenant("a")),
        SPANMETRICS_CALLS,
    );
    assert_eq!(calls.len(), 4 + 50);
}

#[test]
fn the_processor_is_send_and_sync() {
    fn shared<T: Send + Sync>() {}
    shared::<DerivedMetrics>();
}

#[test]
fn new_series_start_with_a_zero_point_so_rates_count_their_first_spans() {
    let processor = DerivedMetrics::new(DerivedMetricsConfig::default());
    let start = Instant::now();
    let tenant = tenant("acme");
    processor.observe(&tenant, &sample(), start);
    // Collections happen after the series started (their start is the wall clock at the
    // first observation).
    let wall_now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64;
    let first_time = wall_now + 15_000_000_000;
    let first = processor.collect(start + Duration::from_secs(15), first_time);
    let request = request_of(&first, &tenant);
    let points = sum_points(request, SPANMETRICS_CALLS);
    // Each series: a zero at its start, then its value now.
    assert_eq!(points.len() % 2, 0);
    for pair in points.chunks(2) {
        assert_eq!(pair[0].0, pair[1].0);
        assert_eq!(pair[0].2, 0);
        assert!(pair[0].1 < pair[1].1);
        assert_eq!(pair[1].1, first_time);
        assert!(pair[1].2 > 0);
    }
    let latency = metric(request, SPANMETRICS_LATENCY).unwrap();
    let Some(metric::Data::Histogram(histogram)) = &latency.data else {
        panic!("latency is not a histogram");
    };
    let zero = &histogram.data_points[0];
    assert_eq!((zero.count, zero.sum), (0, Some(0.0)));
    assert!(zero.bucket_counts.iter().all(|c| *c == 0));
    assert!(zero.exemplars.is_empty());
    assert_eq!(zero.time_unix_nano, zero.start_time_unix_nano);
    assert_eq!(histogram.data_points[1].time_unix_nano, first_time);

    // The next collection repeats no zero, except for a series that is new since.
    let later = start + Duration::from_secs(30);
    processor.observe(
        &tenant,
        &export(vec![(
            "batch",
            vec![span(2, 9, None, Server, "nightly", 0, 5)],
        )]),
        later,
    );
    let second_time = first_time + 15_000_000_000;
    let second = processor.collect(later + Duration::from_secs(1), second_time);
    let points = sum_points(request_of(&second, &tenant), SPANMETRICS_CALLS);
    let zeros: Vec<&Labels> = points
        .iter()
        .filter(|(_, _, v)| *v == 0)
        .map(|(l, _, _)| l)
        .collect();
    assert_eq!(
        zeros,
        [&span_key(
            "batch",
            "nightly",
            "SPAN_KIND_SERVER",
            "STATUS_CODE_UNSET"
        )]
    );
    assert_eq!(
        points.len(),
        sum_points(request, SPANMETRICS_CALLS).len() / 2 + 2
    );
}
