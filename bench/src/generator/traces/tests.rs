//! Structural checks of generated traces.

use std::collections::{HashMap, HashSet};

use opentelemetry_proto::tonic::common::v1::any_value::Value;
use opentelemetry_proto::tonic::trace::v1::Span;
use opentelemetry_proto::tonic::trace::v1::span::SpanKind;

use crate::generator::{TrafficGenerator, spans_in};

const NOW: u64 = 1_750_000_000_000_000_000;

/// Spans with the `service.name` of their resource.
fn flatten(generator: &mut TrafficGenerator, min_spans: usize) -> Vec<(String, Span)> {
    let request = generator.traces(min_spans, NOW);
    assert!(spans_in(&request) >= min_spans);
    let mut spans = Vec::new();
    for resource_spans in request.resource_spans {
        let resource = resource_spans.resource.expect("resource");
        let service = resource
            .attributes
            .iter()
            .find(|kv| kv.key == "service.name")
            .and_then(|kv| match kv.value.as_ref()?.value.as_ref()? {
                Value::StringValue(s) => Some(s.clone()),
                _ => None,
            })
            .expect("service.name");
        let mut scopes = HashSet::new();
        for scope_spans in resource_spans.scope_spans {
            let scope = scope_spans.scope.expect("scope");
            assert!(!scope.name.is_empty());
            assert!(
                scopes.insert(scope.name.clone()),
                "scope {} repeated in {service}",
                scope.name
            );
            spans.extend(
                scope_spans
                    .spans
                    .into_iter()
                    .map(|span| (service.clone(), span)),
            );
        }
    }
    spans
}

/// Spans (with their service) by trace id and span id.
type SpanIndex<'a> = HashMap<(&'a [u8], &'a [u8]), &'a (String, Span)>;

fn has_attribute(span: &Span, key: &str) -> bool {
    span.attributes.iter().any(|kv| kv.key == key)
}

#[test]
fn spans_form_well_nested_traces() {
    let mut generator = TrafficGenerator::new(11);
    let spans = flatten(&mut generator, 5_000);
    let by_id: SpanIndex<'_> = spans
        .iter()
        .map(|entry| ((&entry.1.trace_id[..], &entry.1.span_id[..]), entry))
        .collect();
    assert_eq!(by_id.len(), spans.len(), "span ids are unique");

    let mut roots = 0;
    for (service, span) in &spans {
        assert_eq!(span.trace_id.len(), 16);
        assert_eq!(span.span_id.len(), 8);
        assert_eq!(span.flags, 1);
        assert!(span.start_time_unix_nano <= span.end_time_unix_nano);
        assert!(span.end_time_unix_nano <= NOW);
        assert!(span.start_time_unix_nano > NOW - 60_000_000_000);
        assert!(span.attributes.len() <= 32);
        if span.parent_span_id.is_empty() {
            roots += 1;
            assert_eq!(service, "frontend");
            assert_eq!(span.kind, SpanKind::Server as i32);
            continue;
        }
        let (parent_service, parent) = by_id
            .get(&(&span.trace_id[..], &span.parent_span_id[..]))
            .unwrap_or_else(|| panic!("parent of {} missing", span.name));
        if span.kind == SpanKind::Consumer as i32 {
            // Asynchronous: processed after the producer span ended; it also links to it.
            assert_eq!(parent.kind, SpanKind::Producer as i32);
            assert!(span.start_time_unix_nano >= parent.end_time_unix_nano);
            assert_eq!(span.links[0].span_id, parent.span_id);
            assert_ne!(service, parent_service);
        } else {
            assert!(
                span.start_time_unix_nano >= parent.start_time_unix_nano,
                "{} starts before parent",
                span.name
            );
            assert!(
                span.end_time_unix_nano <= parent.end_time_unix_nano,
                "{} ends after parent",
                span.name
            );
        }
        if span.kind == SpanKind::Server as i32 {
            assert_eq!(parent.kind, SpanKind::Client as i32);
            assert_ne!(
                service, parent_service,
                "server span in the calling service"
            );
        }
    }
    assert!(roots > 100, "too few traces: {roots}");
    let average = spans.len() / roots;
    assert!(
        (8..=30).contains(&average),
        "average trace has {average} spans"
    );
}

#[test]
fn rpc_client_spans_have_a_server_child_in_another_service() {
    let mut generator = TrafficGenerator::new(12);
    let spans = flatten(&mut generator, 3_000);
    let mut children: HashMap<&[u8], Vec<&(String, Span)>> = HashMap::new();
    for entry in &spans {
        children
            .entry(&entry.1.parent_span_id[..])
            .or_default()
            .push(entry);
    }
    let mut clients = 0;
    for (service, span) in &spans {
        let is_rpc =
            has_attribute(span, "rpc.system") || has_attribute(span, "http.request.method");
        if span.kind != SpanKind::Client as i32 || !is_rpc {
            continue;
        }
        clients += 1;
        let child = children
            .get(&span.span_id[..])
            .and_then(|c| c.first())
            .expect("client span without child");
        assert_eq!(child.1.kind, SpanKind::Server as i32);
        assert_ne!(&child.0, service);
        assert_eq!(child.1.parent_span_id, span.span_id);
    }
    assert!(clients > 500);
}

#[test]
fn traffic_is_varied_and_uses_the_expected_vocabulary() {
    let mut generator = TrafficGenerator::new(13);
    let spans = flatten(&mut generator, 20_000);
    let services: HashSet<&str> = spans.iter().map(|(s, _)| s.as_str()).collect();
    assert_eq!(services.len(), 10, "{services:?}");
    let kinds: HashSet<i32> = spans.iter().map(|(_, s)| s.kind).collect();
    assert_eq!(
        kinds.len(),
        5,
        "server, client, producer, consumer, internal"
    );
    let names: HashSet<&str> = spans.iter().map(|(_, s)| s.name.as_str()).collect();
    assert!(names.len() > 30, "only {} span names", names.len());
    let keys: HashSet<&str> = spans
        .iter()
        .flat_map(|(_, s)| &s.attributes)
        .map(|kv| kv.key.as_str())
        .collect();
    for key in [
        "http.request.method",
        "http.route",
        "url.full",
        "http.response.status_code",
        "user_agent.original",
        "rpc.service",
        "db.system",
        "db.query.text",
        "messaging.destination.name",
        "app.user.id",
        "app.order.id",
        "app.cart.items",
        "app.total",
        "app.recommendation.product_ids",
    ] {
        assert!(keys.contains(key), "{key} never generated");
    }
    assert!(
        keys.len() < 90,
        "attribute vocabulary should stay bounded: {}",
        keys.len()
    );
    let errors = spans
        .iter()
        .filter(|(_, s)| s.status.as_ref().is_some_and(|st| st.code == 2))
        .count();
    let exceptions = spans
        .iter()
        .flat_map(|(_, s)| &s.events)
        .filter(|e| e.name == "exception")
        .count();
    assert!(errors > 0 && exceptions > 0);
    assert!(errors * 10 < spans.len(), "too many errors: {errors}");
    let durations: Vec<u64> = spans
        .iter()
        .filter(|(_, s)| {
            s.name == "oteldemo.CartService/GetCart" && s.kind == SpanKind::Server as i32
        })
        .map(|(_, s)| s.end_time_unix_nano - s.start_time_unix_nano)
        .collect();
    let max = *durations.iter().max().unwrap();
    let mut sorted = durations.clone();
    sorted.sort_unstable();
    assert!(max > 5 * sorted[sorted.len() / 2], "latency has no tail");
}
