//! Decoding tests: the published examples field by field, every leniency rule and every error.

use serde_json::{Map, Value, json};

use super::tests::{EVENTS_JSON, LOGS_JSON, METRICS_JSON, TRACE_JSON, full_trace_request};
use super::*;
use crate::otlp::common::v1::{AnyValue, any_value};
use crate::otlp::metrics::v1::{exemplar, metric, number_data_point};
use crate::otlp::trace::v1::Span;

pub(super) fn bytes(v: &Value) -> Vec<u8> {
    serde_json::to_vec(v).unwrap()
}

/// A trace request with one span made of `span`'s fields.
fn one_span(span: Value) -> Vec<u8> {
    bytes(&json!({"resourceSpans": [{"scopeSpans": [{"spans": [span]}]}]}))
}

fn decode_span(span: Value) -> Result<Span, OtlpJsonError> {
    let mut req = decode_trace_request(&one_span(span))?;
    Ok(req
        .resource_spans
        .remove(0)
        .scope_spans
        .remove(0)
        .spans
        .remove(0))
}

pub(super) fn span_error(span: Value) -> OtlpJsonError {
    decode_span(span).unwrap_err()
}

/// Decodes one attribute value placed on a span.
pub(super) fn decode_attr(value: Value) -> Result<AnyValue, OtlpJsonError> {
    let mut span = decode_span(json!({"attributes": [{"key": "k", "value": value}]}))?;
    Ok(span.attributes.remove(0).value.unwrap())
}

pub(super) fn nested_arrays(levels: usize) -> Value {
    let mut v = json!({"stringValue": "leaf"});
    for _ in 0..levels {
        v = json!({"arrayValue": {"values": [v]}});
    }
    v
}

pub(super) fn nested_kvlists(levels: usize) -> Value {
    let mut v = json!({"intValue": "1"});
    for _ in 0..levels {
        v = json!({"kvlistValue": {"values": [{"key": "k", "value": v}]}});
    }
    v
}

/// Rewrites every object key with `f`, at every level.
fn map_keys(v: &Value, f: &dyn Fn(&str) -> String) -> Value {
    match v {
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| (f(k), map_keys(v, f)))
                .collect::<Map<_, _>>(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(|v| map_keys(v, f)).collect()),
        other => other.clone(),
    }
}

fn snake_case(key: &str) -> String {
    let mut out = String::new();
    for c in key.chars() {
        if c.is_ascii_uppercase() {
            out.push('_');
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

/// Adds unknown members (including ones that look like known fields) to every object.
fn add_unknown_fields(v: &mut Value) {
    match v {
        Value::Object(map) => {
            map.values_mut().for_each(add_unknown_fields);
            map.insert(
                "fooBar".into(),
                json!({"traceId": "zz", "list": [1, {"x": null}]}),
            );
            map.insert("foo_baz".into(), json!([[["deep"]]]));
            map.insert("fooNull".into(), Value::Null);
        }
        Value::Array(items) => items.iter_mut().for_each(add_unknown_fields),
        _ => {}
    }
}

#[test]
fn trace_example_fields() {
    let req = decode_trace_request(TRACE_JSON).unwrap();
    let rs = &req.resource_spans[0];
    let resource = rs.resource.as_ref().unwrap();
    assert_eq!(resource.attributes[0].key, "service.name");
    let scope = rs.scope_spans[0].scope.as_ref().unwrap();
    assert_eq!(
        (scope.name.as_str(), scope.version.as_str()),
        ("my.library", "1.0.0")
    );
    assert_eq!(scope.attributes[0].key, "my.scope.attribute");
    let span = &rs.scope_spans[0].spans[0];
    assert_eq!(
        hex::encode(&span.trace_id),
        "5b8efff798038103d269b633813fc60c"
    );
    assert_eq!(hex::encode(&span.span_id), "eee19b7ec3c1b174");
    assert_eq!(hex::encode(&span.parent_span_id), "eee19b7ec3c1b173");
    assert_eq!(span.name, "I'm a server span");
    assert_eq!(span.start_time_unix_nano, 1_544_712_660_000_000_000);
    assert_eq!(span.end_time_unix_nano, 1_544_712_661_000_000_000);
    assert_eq!(span.kind, 2);
    let attr = &span.attributes[0];
    assert_eq!(attr.key, "my.span.attr");
    assert_eq!(
        attr.value.as_ref().unwrap().value,
        Some(any_value::Value::StringValue("some value".into()))
    );
}

#[test]
fn logs_and_events_example_fields() {
    use any_value::Value as V;
    let req = decode_logs_request(LOGS_JSON).unwrap();
    let record = &req.resource_logs[0].scope_logs[0].log_records[0];
    assert_eq!(record.time_unix_nano, 1_544_712_660_300_000_000);
    assert_eq!(record.observed_time_unix_nano, 1_544_712_660_300_000_000);
    assert_eq!(
        (record.severity_number, record.severity_text.as_str()),
        (10, "Information")
    );
    assert_eq!(
        hex::encode(&record.trace_id),
        "5b8efff798038103d269b633813fc60c"
    );
    assert_eq!(hex::encode(&record.span_id), "eee19b7ec3c1b174");
    assert_eq!(
        record.body.as_ref().unwrap().value,
        Some(V::StringValue("Example log record".into()))
    );
    let values: Vec<_> = record
        .attributes
        .iter()
        .map(|kv| kv.value.clone().unwrap().value.unwrap())
        .collect();
    assert_eq!(values[0], V::StringValue("some string".into()));
    assert_eq!(values[1], V::BoolValue(true));
    assert_eq!(values[2], V::IntValue(10));
    assert_eq!(values[3], V::DoubleValue(637.704));
    let V::ArrayValue(array) = &values[4] else {
        panic!("{:?}", values[4])
    };
    assert_eq!(array.values[1].value, Some(V::StringValue("values".into())));
    let V::KvlistValue(map) = &values[5] else {
        panic!("{:?}", values[5])
    };
    assert_eq!(map.values[0].key, "some.map.key");

    let events = decode_logs_request(EVENTS_JSON).unwrap();
    let event = &events.resource_logs[0].scope_logs[0].log_records[0];
    assert_eq!(
        (event.event_name.as_str(), event.severity_number),
        ("browser.page_view", 9)
    );
    let Some(V::KvlistValue(body)) = &event.body.as_ref().unwrap().value else {
        panic!()
    };
    assert_eq!(body.values[0].key, "type");
    assert_eq!(
        body.values[0].value.as_ref().unwrap().value,
        Some(V::IntValue(0))
    );
    assert_eq!(body.values.len(), 4);
}

#[test]
fn metrics_example_fields() {
    let req = decode_metrics_request(METRICS_JSON).unwrap();
    let metrics = &req.resource_metrics[0].scope_metrics[0].metrics;
    assert_eq!(metrics.len(), 4);
    let Some(metric::Data::Sum(sum)) = &metrics[0].data else {
        panic!()
    };
    assert_eq!((sum.aggregation_temporality, sum.is_monotonic), (1, true));
    assert_eq!(
        sum.data_points[0].value,
        Some(number_data_point::Value::AsDouble(5.0))
    );
    assert_eq!(
        sum.data_points[0].start_time_unix_nano,
        1_544_712_660_300_000_000
    );
    let Some(metric::Data::Gauge(gauge)) = &metrics[1].data else {
        panic!()
    };
    assert_eq!(
        gauge.data_points[0].value,
        Some(number_data_point::Value::AsDouble(10.0))
    );
    let Some(metric::Data::Histogram(h)) = &metrics[2].data else {
        panic!()
    };
    let p = &h.data_points[0];
    assert_eq!(
        (p.count, p.sum, p.min, p.max),
        (2, Some(2.0), Some(0.0), Some(2.0))
    );
    assert_eq!(
        (p.bucket_counts.as_slice(), p.explicit_bounds.as_slice()),
        (&[1, 1][..], &[1.0][..])
    );
    let Some(metric::Data::ExponentialHistogram(e)) = &metrics[3].data else {
        panic!()
    };
    let p = &e.data_points[0];
    assert_eq!(
        (p.count, p.sum, p.scale, p.zero_count),
        (3, Some(10.0), 0, 1)
    );
    let positive = p.positive.as_ref().unwrap();
    assert_eq!(
        (positive.offset, positive.bucket_counts.as_slice()),
        (1, &[0, 2][..])
    );
    assert_eq!(
        (p.min, p.max, p.zero_threshold, p.negative.is_none()),
        (Some(0.0), Some(5.0), 0.0, true)
    );
}

#[test]
fn snake_case_keys_are_accepted_everywhere() {
    let doc: Value = serde_json::from_slice(TRACE_JSON).unwrap();
    let snake = bytes(&map_keys(&doc, &snake_case));
    assert!(snake.windows(14).any(|w| w == b"resource_spans"));
    assert_eq!(
        decode_trace_request(&snake).unwrap(),
        decode_trace_request(TRACE_JSON).unwrap()
    );
    for body in [LOGS_JSON, EVENTS_JSON] {
        let doc: Value = serde_json::from_slice(body).unwrap();
        let snake = bytes(&map_keys(&doc, &snake_case));
        assert_eq!(
            decode_logs_request(&snake).unwrap(),
            decode_logs_request(body).unwrap()
        );
    }
    let doc: Value = serde_json::from_slice(METRICS_JSON).unwrap();
    let snake = bytes(&map_keys(&doc, &snake_case));
    assert_eq!(
        decode_metrics_request(&snake).unwrap(),
        decode_metrics_request(METRICS_JSON).unwrap()
    );
    // The full request exercises every field name, including the rare ones.
    let full = full_trace_request();
    let doc = encode_trace_request(&full, JsonStyle::OTLP);
    let decoded = decode_trace_request(&bytes(&map_keys(&doc, &snake_case))).unwrap();
    assert_eq!(
        decoded.resource_spans[0].resource,
        full.resource_spans[0].resource
    );
}

#[test]
fn unknown_fields_are_ignored_at_every_level() {
    let check = |body: &[u8], decode: &dyn Fn(&[u8]) -> Value| {
        let mut doc: Value = serde_json::from_slice(body).unwrap();
        add_unknown_fields(&mut doc);
        assert_eq!(decode(&bytes(&doc)), decode(body));
    };
    check(TRACE_JSON, &|b| {
        encode_trace_request(&decode_trace_request(b).unwrap(), JsonStyle::OTLP)
    });
    check(LOGS_JSON, &|b| {
        encode_logs_request(&decode_logs_request(b).unwrap(), JsonStyle::OTLP)
    });
    check(EVENTS_JSON, &|b| {
        encode_logs_request(&decode_logs_request(b).unwrap(), JsonStyle::OTLP)
    });
    check(METRICS_JSON, &|b| {
        encode_metrics_request(&decode_metrics_request(b).unwrap(), JsonStyle::OTLP)
    });
}

#[test]
fn null_means_absent() {
    let req = decode_trace_request(
        &bytes(&json!({"resourceSpans": [{"resource": null, "schemaUrl": null, "scopeSpans": [
            {"scope": null, "spans": [null, {"traceId": null, "status": null, "kind": null, "attributes": null}]}
        ]}]})),
    )
    .unwrap();
    let rs = &req.resource_spans[0];
    assert_eq!(rs.resource, None);
    assert_eq!(rs.scope_spans[0].scope, None);
    assert_eq!(
        rs.scope_spans[0].spans,
        vec![Span::default(), Span::default()]
    );
    assert_eq!(
        decode_trace_request(b"{\"resourceSpans\":null}").unwrap(),
        Default::default()
    );
    assert!(
        decode_trace_request(b"{}")
            .unwrap()
            .resource_spans
            .is_empty()
    );
    assert!(
        decode_span(json!({"attributes": [{"key": "k", "value": null}]}))
            .unwrap()
            .attributes[0]
            .value
            .is_none()
    );
}

#[test]
fn ids_are_case_insensitive_hex_and_kept_at_any_even_length() {
    let upper = decode_span(json!({"traceId": "5B8EFFF798038103D269B633813FC60C"})).unwrap();
    let lower = decode_span(json!({"traceId": "5b8efff798038103d269b633813fc60c"})).unwrap();
    assert_eq!(upper, lower);
    let odd_sizes = decode_span(
        json!({"traceId": "0102", "spanId": "01020304050607080910", "parentSpanId": ""}),
    );
    let span = odd_sizes.unwrap();
    assert_eq!(span.trace_id, vec![1, 2]);
    assert_eq!(span.span_id.len(), 10);
    assert!(span.parent_span_id.is_empty());
    let link = decode_span(json!({"links": [{"traceId": "AB", "spanId": "cd"}]})).unwrap();
    assert_eq!(
        (
            link.links[0].trace_id.clone(),
            link.links[0].span_id.clone()
        ),
        (vec![0xab], vec![0xcd])
    );
}

#[test]
fn integers_accept_numbers_and_strings() {
    let as_numbers = decode_span(json!({
        "startTimeUnixNano": 1544712660000000000u64, "endTimeUnixNano": 1544712661000000000u64,
        "droppedAttributesCount": 3, "flags": 257, "kind": 2, "droppedEventsCount": 1,
        "attributes": [{"key": "i", "value": {"intValue": -5}}],
        "events": [{"timeUnixNano": 7, "droppedAttributesCount": 2}],
        "links": [{"flags": 1, "droppedAttributesCount": 4}], "droppedLinksCount": 9,
        "status": {"code": 2}
    }))
    .unwrap();
    let as_strings = decode_span(json!({
        "startTimeUnixNano": "1544712660000000000", "endTimeUnixNano": "1544712661000000000",
        "droppedAttributesCount": "3", "flags": "257", "kind": "2", "droppedEventsCount": "1",
        "attributes": [{"key": "i", "value": {"intValue": "-5"}}],
        "events": [{"timeUnixNano": "7", "droppedAttributesCount": "2"}],
        "links": [{"flags": "1", "droppedAttributesCount": "4"}], "droppedLinksCount": "9",
        "status": {"code": "2"}
    }))
    .unwrap();
    assert_eq!(as_numbers, as_strings);
    assert_eq!(as_numbers.start_time_unix_nano, 1_544_712_660_000_000_000);
    assert_eq!((as_numbers.flags, as_numbers.dropped_links_count), (257, 9));

    let metrics = |point: Value| {
        let doc = json!({"resourceMetrics": [{"scopeMetrics": [{"metrics": [
            {"exponentialHistogram": {"dataPoints": [point], "aggregationTemporality": "2"}}
        ]}]}]});
        decode_metrics_request(&bytes(&doc)).unwrap()
    };
    let numbers = metrics(json!({"count": 3, "zeroCount": 1, "scale": -2, "flags": 1,
        "positive": {"offset": -1, "bucketCounts": [0, 2]}, "exemplars": [{"asInt": 4}]}));
    let strings = metrics(
        json!({"count": "3", "zeroCount": "1", "scale": "-2", "flags": "1",
        "positive": {"offset": "-1", "bucketCounts": ["0", "2"]}, "exemplars": [{"asInt": "4"}]}),
    );
    assert_eq!(numbers, strings);
    let Some(metric::Data::ExponentialHistogram(h)) =
        &numbers.resource_metrics[0].scope_metrics[0].metrics[0].data
    else {
        panic!()
    };
    assert_eq!((h.aggregation_temporality, h.data_points[0].scale), (2, -2));
    assert_eq!(
        h.data_points[0].exemplars[0].value,
        Some(exemplar::Value::AsInt(4))
    );
}

#[test]
fn doubles_accept_numbers_strings_and_non_finite_names() {
    use any_value::Value as V;
    assert_eq!(
        decode_attr(json!({"doubleValue": "1.5"})).unwrap().value,
        Some(V::DoubleValue(1.5))
    );
    assert_eq!(
        decode_attr(json!({"doubleValue": 3})).unwrap().value,
        Some(V::DoubleValue(3.0))
    );
    let Some(V::DoubleValue(nan)) = decode_attr(json!({"doubleValue": "NaN"})).unwrap().value
    else {
        panic!()
    };
    assert!(nan.is_nan());
    let doc = json!({"resourceMetrics": [{"scopeMetrics": [{"metrics": [
        {"histogram": {"dataPoints": [{"sum": "Infinity", "min": "-Infinity", "max": "2.5",
            "explicitBounds": [1, "2", "Infinity"]}]}},
        {"summary": {"dataPoints": [{"sum": "NaN", "quantileValues": [{"quantile": "0.5", "value": 1}]}]}}
    ]}]}]});
    let req = decode_metrics_request(&bytes(&doc)).unwrap();
    let metrics = &req.resource_metrics[0].scope_metrics[0].metrics;
    let Some(metric::Data::Histogram(h)) = &metrics[0].data else {
        panic!()
    };
    let p = &h.data_points[0];
    assert_eq!(
        (p.sum, p.min, p.max),
        (Some(f64::INFINITY), Some(f64::NEG_INFINITY), Some(2.5))
    );
    assert_eq!(p.explicit_bounds, vec![1.0, 2.0, f64::INFINITY]);
    let Some(metric::Data::Summary(s)) = &metrics[1].data else {
        panic!()
    };
    assert!(s.data_points[0].sum.is_nan());
    assert_eq!(s.data_points[0].quantile_values[0].quantile, 0.5);
}

#[test]
fn enum_names_are_accepted() {
    let span =
        decode_span(json!({"kind": "SPAN_KIND_SERVER", "status": {"code": "STATUS_CODE_ERROR"}}))
            .unwrap();
    assert_eq!((span.kind, span.status.unwrap().code), (2, 2));
    let logs = json!({"resourceLogs": [{"scopeLogs": [{"logRecords": [{"severityNumber": "SEVERITY_NUMBER_INFO"}]}]}]});
    let req = decode_logs_request(&bytes(&logs)).unwrap();
    assert_eq!(
        req.resource_logs[0].scope_logs[0].log_records[0].severity_number,
        9
    );
    let metrics = json!({"resourceMetrics": [{"scopeMetrics": [{"metrics": [
        {"sum": {"aggregationTemporality": "AGGREGATION_TEMPORALITY_DELTA"}}]}]}]});
    let req = decode_metrics_request(&bytes(&metrics)).unwrap();
    let Some(metric::Data::Sum(sum)) = &req.resource_metrics[0].scope_metrics[0].metrics[0].data
    else {
        panic!()
    };
    assert_eq!(sum.aggregation_temporality, 1);
    assert_eq!(
        decode_span(json!({"kind": 9})).unwrap().kind,
        9,
        "unknown integers are kept"
    );
}

#[test]
fn any_value_leniency() {
    use any_value::Value as V;
    assert_eq!(decode_attr(json!({})).unwrap(), AnyValue { value: None });
    assert_eq!(
        decode_attr(json!({"bytesValue": "AQID"})).unwrap().value,
        Some(V::BytesValue(vec![1, 2, 3]))
    );
    assert_eq!(
        decode_attr(json!({"bytesValue": "AQI"})).unwrap().value,
        Some(V::BytesValue(vec![1, 2]))
    );
    assert_eq!(
        decode_attr(json!({"bytesValue": "-_8="})).unwrap().value,
        Some(V::BytesValue(vec![0xfb, 0xff]))
    );
    assert_eq!(
        decode_attr(json!({"int_value": 3})).unwrap().value,
        Some(V::IntValue(3))
    );
    assert_eq!(
        decode_attr(json!({"arrayValue": {}})).unwrap().value,
        Some(V::ArrayValue(Default::default()))
    );
    assert_eq!(
        decode_attr(json!({"stringValue": null, "boolValue": false}))
            .unwrap()
            .value,
        Some(V::BoolValue(false))
    );
    assert!(matches!(
        decode_attr(nested_arrays(64)).unwrap().value,
        Some(V::ArrayValue(_))
    ));
    assert!(matches!(
        decode_attr(nested_kvlists(64)).unwrap().value,
        Some(V::KvlistValue(_))
    ));
}

#[test]
fn deepest_allowed_value_fits_the_json_nesting_limit() {
    // A 64-level kvlist in an exemplar's filtered attributes is the deepest legitimate document.
    let doc = json!({"resourceMetrics": [{"scopeMetrics": [{"metrics": [{"histogram": {"dataPoints": [
        {"exemplars": [{"filteredAttributes": [{"key": "k", "value": nested_kvlists(64)}]}]}
    ]}}]}]}]});
    let req = decode_metrics_request(&bytes(&doc)).unwrap();
    let again = encode_metrics_request(&req, JsonStyle::OTLP);
    assert_eq!(again, doc);
}
