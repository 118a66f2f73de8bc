//! Round-trip and encoding tests: the published examples, hand-built requests that set every
//! field, the strict encoding rules and Tempo style.

use serde_json::{Value, json};

use super::*;
use crate::otlp::common::v1::{
    AnyValue, ArrayValue, EntityRef, InstrumentationScope, KeyValue, KeyValueList, any_value,
};
use crate::otlp::logs::v1::{LogRecord, ResourceLogs, ScopeLogs};
use crate::otlp::metrics::v1::{
    Exemplar, ExponentialHistogram, ExponentialHistogramDataPoint, Gauge, Histogram,
    HistogramDataPoint, Metric, NumberDataPoint, ResourceMetrics, ScopeMetrics, Sum, Summary,
    SummaryDataPoint, exemplar, exponential_histogram_data_point::Buckets, metric,
    number_data_point, summary_data_point::ValueAtQuantile,
};
use crate::otlp::resource::v1::Resource;
use crate::otlp::trace::v1::{ResourceSpans, ScopeSpans, Span, Status, span};

pub(super) const TRACE_JSON: &[u8] = include_bytes!("../../../tests/data/otlp-examples/trace.json");
pub(super) const LOGS_JSON: &[u8] = include_bytes!("../../../tests/data/otlp-examples/logs.json");
pub(super) const EVENTS_JSON: &[u8] =
    include_bytes!("../../../tests/data/otlp-examples/events.json");
pub(super) const METRICS_JSON: &[u8] =
    include_bytes!("../../../tests/data/otlp-examples/metrics.json");

fn bytes(v: &Value) -> Vec<u8> {
    serde_json::to_vec(v).unwrap()
}

/// Byte equality of the protobuf encodings: unlike `==`, it treats a NaN as equal to itself.
fn assert_same<M: prost::Message + std::fmt::Debug>(a: &M, b: &M) {
    assert_eq!(a.encode_to_vec(), b.encode_to_vec(), "\n{a:#?}\n!=\n{b:#?}");
}

fn trace_round_trip(req: &ExportTraceServiceRequest) -> ExportTraceServiceRequest {
    decode_trace_request(&bytes(&encode_trace_request(req, JsonStyle::OTLP))).unwrap()
}

fn logs_round_trip(req: &ExportLogsServiceRequest) -> ExportLogsServiceRequest {
    decode_logs_request(&bytes(&encode_logs_request(req, JsonStyle::OTLP))).unwrap()
}

fn metrics_round_trip(req: &ExportMetricsServiceRequest) -> ExportMetricsServiceRequest {
    decode_metrics_request(&bytes(&encode_metrics_request(req, JsonStyle::OTLP))).unwrap()
}

fn any(v: any_value::Value) -> AnyValue {
    AnyValue { value: Some(v) }
}

fn kv(key: &str, v: any_value::Value) -> KeyValue {
    KeyValue {
        key: key.to_string(),
        value: Some(any(v)),
        key_strindex: 0,
    }
}

fn string_attr(key: &str, value: &str) -> KeyValue {
    kv(key, any_value::Value::StringValue(value.to_string()))
}

/// Attributes with every `AnyValue` kind, defaults inside oneofs, nesting and odd doubles.
fn every_any_value() -> Vec<KeyValue> {
    use any_value::Value as V;
    let nested_array = V::ArrayValue(ArrayValue {
        values: vec![
            any(V::StringValue("a".into())),
            any(V::IntValue(-7)),
            any(V::ArrayValue(ArrayValue {
                values: vec![any(V::BoolValue(true))],
            })),
            AnyValue { value: None },
            any(V::ArrayValue(ArrayValue::default())),
        ],
    });
    let nested_map = V::KvlistValue(KeyValueList {
        values: vec![
            kv(
                "inner",
                V::KvlistValue(KeyValueList {
                    values: vec![kv("x", V::DoubleValue(0.5))],
                }),
            ),
            KeyValue {
                key: "no.value".into(),
                value: None,
                key_strindex: 0,
            },
            kv("empty.map", V::KvlistValue(KeyValueList::default())),
        ],
    });
    vec![
        kv("string", V::StringValue("some string".into())),
        kv("empty.string", V::StringValue(String::new())),
        kv("false", V::BoolValue(false)),
        kv("zero", V::IntValue(0)),
        kv("min", V::IntValue(i64::MIN)),
        kv("max", V::IntValue(i64::MAX)),
        kv("double", V::DoubleValue(637.704)),
        kv("double.zero", V::DoubleValue(0.0)),
        kv("nan", V::DoubleValue(f64::NAN)),
        kv("inf", V::DoubleValue(f64::INFINITY)),
        kv("-inf", V::DoubleValue(f64::NEG_INFINITY)),
        kv("bytes", V::BytesValue(vec![0, 1, 2, 0xfb, 0xff])),
        kv("empty.bytes", V::BytesValue(Vec::new())),
        kv("array", nested_array),
        kv("map", nested_map),
        kv("strindex", V::StringValueStrindex(3)),
        KeyValue {
            key: "unset".into(),
            value: Some(AnyValue { value: None }),
            key_strindex: 4,
        },
    ]
}

fn full_resource() -> Resource {
    Resource {
        attributes: vec![string_attr("service.name", "checkout")],
        dropped_attributes_count: 2,
        entity_refs: vec![EntityRef {
            schema_url: "https://opentelemetry.io/schemas/1.30.0".into(),
            r#type: "service".into(),
            id_keys: vec!["service.name".into(), "service.namespace".into()],
            description_keys: vec!["service.version".into()],
        }],
    }
}

fn full_scope() -> InstrumentationScope {
    InstrumentationScope {
        name: "my.library".into(),
        version: "1.0.0".into(),
        attributes: vec![string_attr("scope.attr", "v")],
        dropped_attributes_count: 1,
    }
}

pub(super) fn full_trace_request() -> ExportTraceServiceRequest {
    let span = Span {
        trace_id: (1..=16).collect(),
        span_id: (1..=8).collect(),
        trace_state: "rojo=00f067aa0ba902b7".into(),
        parent_span_id: vec![9; 8],
        flags: 0x301,
        name: "GET /cart".into(),
        kind: span::SpanKind::Server as i32,
        start_time_unix_nano: 1_544_712_660_000_000_000,
        end_time_unix_nano: u64::MAX,
        attributes: every_any_value(),
        dropped_attributes_count: 5,
        events: vec![
            span::Event {
                time_unix_nano: 1_544_712_660_500_000_000,
                name: "exception".into(),
                attributes: vec![string_attr("exception.type", "E")],
                dropped_attributes_count: 1,
            },
            span::Event::default(),
        ],
        dropped_events_count: 6,
        links: vec![
            span::Link {
                trace_id: vec![0xab; 16],
                span_id: vec![0xcd; 8],
                trace_state: "k=v".into(),
                attributes: vec![string_attr("link.attr", "x")],
                dropped_attributes_count: 2,
                flags: 1,
            },
            span::Link::default(),
        ],
        dropped_links_count: 7,
        status: Some(Status {
            message: "boom".into(),
            code: 2,
        }),
    };
    let other = Span {
        kind: 42,
        status: Some(Status::default()),
        ..Span::default()
    };
    ExportTraceServiceRequest {
        resource_spans: vec![
            ResourceSpans {
                resource: Some(full_resource()),
                scope_spans: vec![
                    ScopeSpans {
                        scope: Some(full_scope()),
                        spans: vec![span, other],
                        schema_url: "https://opentelemetry.io/schemas/1.21.0".into(),
                    },
                    ScopeSpans {
                        scope: Some(InstrumentationScope::default()),
                        ..Default::default()
                    },
                ],
                schema_url: "https://opentelemetry.io/schemas/1.22.0".into(),
            },
            ResourceSpans::default(),
        ],
    }
}

fn full_logs_request() -> ExportLogsServiceRequest {
    use any_value::Value as V;
    let record = LogRecord {
        time_unix_nano: 1_544_712_660_300_000_000,
        observed_time_unix_nano: 1_544_712_660_300_000_001,
        severity_number: 17,
        severity_text: "ERROR".into(),
        body: Some(any(V::KvlistValue(KeyValueList {
            values: every_any_value(),
        }))),
        attributes: every_any_value(),
        dropped_attributes_count: 3,
        flags: 1,
        trace_id: vec![0x5b; 16],
        span_id: vec![0xee; 8],
        event_name: "browser.page_view".into(),
    };
    let empty_body = LogRecord {
        body: Some(AnyValue::default()),
        ..Default::default()
    };
    ExportLogsServiceRequest {
        resource_logs: vec![ResourceLogs {
            resource: Some(full_resource()),
            scope_logs: vec![ScopeLogs {
                scope: Some(full_scope()),
                log_records: vec![record, empty_body, LogRecord::default()],
                schema_url: "s".into(),
            }],
            schema_url: "r".into(),
        }],
    }
}

fn exemplars() -> Vec<Exemplar> {
    vec![
        Exemplar {
            filtered_attributes: vec![string_attr("user", "u1")],
            time_unix_nano: 1_544_712_660_000_000_001,
            span_id: vec![0x11; 8],
            trace_id: vec![0x22; 16],
            value: Some(exemplar::Value::AsDouble(f64::NAN)),
        },
        Exemplar {
            value: Some(exemplar::Value::AsInt(0)),
            ..Default::default()
        },
        Exemplar::default(),
    ]
}

fn full_metrics_request() -> ExportMetricsServiceRequest {
    let number_points = vec![
        NumberDataPoint {
            attributes: every_any_value(),
            start_time_unix_nano: 1,
            time_unix_nano: 2,
            exemplars: exemplars(),
            flags: 1,
            value: Some(number_data_point::Value::AsInt(0)),
        },
        NumberDataPoint {
            value: Some(number_data_point::Value::AsDouble(0.0)),
            ..Default::default()
        },
        NumberDataPoint {
            value: Some(number_data_point::Value::AsDouble(f64::NAN)),
            ..Default::default()
        },
        NumberDataPoint {
            value: Some(number_data_point::Value::AsInt(i64::MIN)),
            ..Default::default()
        },
        NumberDataPoint::default(),
    ];
    let histogram_point = HistogramDataPoint {
        attributes: vec![string_attr("h", "1")],
        start_time_unix_nano: 3,
        time_unix_nano: 4,
        count: 5,
        sum: Some(0.0),
        bucket_counts: vec![0, 2, 3, u64::MAX],
        explicit_bounds: vec![-1.5, 0.0, 10.0],
        exemplars: exemplars(),
        flags: 1,
        min: Some(-2.0),
        max: Some(f64::INFINITY),
    };
    let exp_point = ExponentialHistogramDataPoint {
        attributes: vec![string_attr("e", "1")],
        start_time_unix_nano: 5,
        time_unix_nano: 6,
        count: 7,
        sum: Some(12.5),
        scale: -3,
        zero_count: 1,
        positive: Some(Buckets {
            offset: -2,
            bucket_counts: vec![0, 4],
        }),
        negative: Some(Buckets::default()),
        flags: 1,
        exemplars: exemplars(),
        min: Some(0.0),
        max: Some(0.0),
        zero_threshold: 1e-9,
    };
    let summary_point = SummaryDataPoint {
        attributes: vec![string_attr("s", "1")],
        start_time_unix_nano: 7,
        time_unix_nano: 8,
        count: 9,
        sum: 99.5,
        quantile_values: vec![
            ValueAtQuantile {
                quantile: 0.0,
                value: 0.0,
            },
            ValueAtQuantile {
                quantile: 0.99,
                value: f64::NEG_INFINITY,
            },
        ],
        flags: 1,
    };
    let metric = |name: &str, data: Option<metric::Data>| Metric {
        name: name.into(),
        description: format!("{name} description"),
        unit: "ms".into(),
        metadata: vec![string_attr("prometheus.type", "x")],
        data,
    };
    let metrics = vec![
        metric(
            "gauge",
            Some(metric::Data::Gauge(Gauge {
                data_points: number_points.clone(),
            })),
        ),
        metric(
            "sum",
            Some(metric::Data::Sum(Sum {
                data_points: number_points,
                aggregation_temporality: 2,
                is_monotonic: true,
            })),
        ),
        metric(
            "histogram",
            Some(metric::Data::Histogram(Histogram {
                data_points: vec![histogram_point, HistogramDataPoint::default()],
                aggregation_temporality: 1,
            })),
        ),
        metric(
            "exp",
            Some(metric::Data::ExponentialHistogram(ExponentialHistogram {
                data_points: vec![exp_point, ExponentialHistogramDataPoint::default()],
                aggregation_temporality: 2,
            })),
        ),
        metric(
            "summary",
            Some(metric::Data::Summary(Summary {
                data_points: vec![summary_point, SummaryDataPoint::default()],
            })),
        ),
        metric("empty.gauge", Some(metric::Data::Gauge(Gauge::default()))),
        Metric::default(),
    ];
    ExportMetricsServiceRequest {
        resource_metrics: vec![ResourceMetrics {
            resource: Some(full_resource()),
            scope_metrics: vec![ScopeMetrics {
                scope: Some(full_scope()),
                metrics,
                schema_url: "s".into(),
            }],
            schema_url: "r".into(),
        }],
    }
}

#[test]
fn examples_round_trip_exactly() {
    let trace = decode_trace_request(TRACE_JSON).unwrap();
    assert_eq!(trace_round_trip(&trace), trace);
    for body in [LOGS_JSON, EVENTS_JSON] {
        let logs = decode_logs_request(body).unwrap();
        assert_eq!(logs_round_trip(&logs), logs);
    }
    let metrics = decode_metrics_request(METRICS_JSON).unwrap();
    assert_eq!(metrics_round_trip(&metrics), metrics);
}

#[test]
fn full_requests_round_trip_exactly() {
    let trace = full_trace_request();
    assert_same(&trace_round_trip(&trace), &trace);
    let logs = full_logs_request();
    assert_same(&logs_round_trip(&logs), &logs);
    let metrics = full_metrics_request();
    assert_same(&metrics_round_trip(&metrics), &metrics);
    // The structural comparison agrees wherever no NaN is involved.
    let decoded = trace_round_trip(&trace);
    assert_eq!(
        decoded.resource_spans[0].resource,
        trace.resource_spans[0].resource
    );
    assert_eq!(
        decoded.resource_spans[0].scope_spans[0].spans[1],
        trace.resource_spans[0].scope_spans[0].spans[1]
    );
}

#[test]
fn encoding_writes_strict_otlp_json() {
    let trace = full_trace_request();
    let json = encode_trace_request(&trace, JsonStyle::OTLP);
    let rs = &json["resourceSpans"][0];
    let span = &rs["scopeSpans"][0]["spans"][0];
    assert_eq!(span["traceId"], "0102030405060708090a0b0c0d0e0f10");
    assert_eq!(span["spanId"], "0102030405060708");
    assert_eq!(span["parentSpanId"], "0909090909090909");
    assert_eq!(span["kind"], 2);
    assert_eq!(span["flags"], 0x301);
    assert_eq!(span["startTimeUnixNano"], "1544712660000000000");
    assert_eq!(span["endTimeUnixNano"], "18446744073709551615");
    assert_eq!(span["status"], json!({"message": "boom", "code": 2}));
    assert_eq!(span["links"][1], json!({}));
    assert_eq!(
        rs["resource"]["entityRefs"][0]["idKeys"][1],
        "service.namespace"
    );
    let attrs = &span["attributes"];
    let value = |key: &str| {
        attrs
            .as_array()
            .unwrap()
            .iter()
            .find(|kv| kv["key"] == key)
            .unwrap()["value"]
            .clone()
    };
    assert_eq!(value("zero"), json!({"intValue": "0"}));
    assert_eq!(value("false"), json!({"boolValue": false}));
    assert_eq!(value("empty.string"), json!({"stringValue": ""}));
    assert_eq!(value("double.zero"), json!({"doubleValue": 0.0}));
    assert_eq!(value("nan"), json!({"doubleValue": "NaN"}));
    assert_eq!(value("inf"), json!({"doubleValue": "Infinity"}));
    assert_eq!(value("-inf"), json!({"doubleValue": "-Infinity"}));
    assert_eq!(value("bytes"), json!({"bytesValue": "AAEC+/8="}));
    assert_eq!(value("min"), json!({"intValue": "-9223372036854775808"}));
    assert_eq!(value("unset"), json!({}));
    // Defaults are omitted: the second span only has its (unknown) kind and an empty status.
    assert_eq!(
        rs["scopeSpans"][0]["spans"][1],
        json!({"kind": 42, "status": {}})
    );
    assert_eq!(json["resourceSpans"][1], json!({}));
    let empty_scope = &rs["scopeSpans"][1];
    assert_eq!(empty_scope, &json!({"scope": {}}));
}

#[test]
fn metrics_encoding_keeps_oneofs_and_optionals() {
    let json = encode_metrics_request(&full_metrics_request(), JsonStyle::OTLP);
    let metrics = &json["resourceMetrics"][0]["scopeMetrics"][0]["metrics"];
    let points = &metrics[0]["gauge"]["dataPoints"];
    assert_eq!(points[0]["asInt"], "0");
    assert_eq!(points[0]["exemplars"][0]["asDouble"], "NaN");
    assert_eq!(points[0]["exemplars"][1], json!({"asInt": "0"}));
    assert_eq!(points[1], json!({"asDouble": 0.0}));
    assert_eq!(points[4], json!({}));
    assert_eq!(metrics[1]["sum"]["aggregationTemporality"], 2);
    assert_eq!(metrics[1]["sum"]["isMonotonic"], true);
    let h = &metrics[2]["histogram"]["dataPoints"][0];
    assert_eq!(h["sum"], 0.0);
    assert_eq!(h["count"], "5");
    assert_eq!(
        h["bucketCounts"],
        json!(["0", "2", "3", "18446744073709551615"])
    );
    assert_eq!(h["explicitBounds"], json!([-1.5, 0.0, 10.0]));
    assert_eq!(h["max"], "Infinity");
    assert_eq!(metrics[2]["histogram"]["dataPoints"][1], json!({}));
    let e = &metrics[3]["exponentialHistogram"]["dataPoints"][0];
    assert_eq!(e["scale"], -3);
    assert_eq!(e["zeroCount"], "1");
    assert_eq!(
        e["positive"],
        json!({"offset": -2, "bucketCounts": ["0", "4"]})
    );
    assert_eq!(e["negative"], json!({}));
    assert_eq!(
        (e["min"].clone(), e["max"].clone()),
        (json!(0.0), json!(0.0))
    );
    let s = &metrics[4]["summary"]["dataPoints"][0];
    assert_eq!(
        s["quantileValues"],
        json!([{}, {"quantile": 0.99, "value": "-Infinity"}])
    );
    assert_eq!(
        metrics[5],
        json!({"name": "empty.gauge", "description": "empty.gauge description", "unit": "ms", "metadata": [{"key": "prometheus.type", "value": {"stringValue": "x"}}], "gauge": {}})
    );
    assert_eq!(metrics[6], json!({}));
}

#[test]
fn tempo_style_writes_base64_ids_and_enum_names() {
    let trace = full_trace_request();
    let rs = encode_resource_spans(&trace.resource_spans[0], JsonStyle::TEMPO);
    let span = &rs["scopeSpans"][0]["spans"][0];
    assert_eq!(span["traceId"], "AQIDBAUGBwgJCgsMDQ4PEA==");
    assert_eq!(span["spanId"], "AQIDBAUGBwg=");
    assert_eq!(span["kind"], "SPAN_KIND_SERVER");
    assert_eq!(span["status"]["code"], "STATUS_CODE_ERROR");
    assert_eq!(
        rs["scopeSpans"][0]["spans"][1]["kind"], 42,
        "unknown values stay integers"
    );
    let logs = full_logs_request();
    let rl = encode_resource_logs(&logs.resource_logs[0], JsonStyle::TEMPO);
    assert_eq!(
        rl["scopeLogs"][0]["logRecords"][0]["severityNumber"],
        "SEVERITY_NUMBER_ERROR"
    );
    let metrics = full_metrics_request();
    let rm = encode_resource_metrics(&metrics.resource_metrics[0], JsonStyle::TEMPO);
    let sum = &rm["scopeMetrics"][0]["metrics"][1]["sum"];
    assert_eq!(
        sum["aggregationTemporality"],
        "AGGREGATION_TEMPORALITY_CUMULATIVE"
    );

    // Names are accepted when decoding, so a Tempo document without ids decodes identically.
    let mut doc = json!({"resourceSpans": [rs]});
    let span = &mut doc["resourceSpans"][0]["scopeSpans"][0]["spans"][0];
    for key in ["traceId", "spanId", "parentSpanId"] {
        span.as_object_mut().unwrap().remove(key);
    }
    span["links"] = json!([]);
    let decoded = decode_trace_request(&bytes(&doc)).unwrap();
    let got = &decoded.resource_spans[0].scope_spans[0].spans[0];
    let want = &trace.resource_spans[0].scope_spans[0].spans[0];
    assert_eq!((got.kind, &got.status), (want.kind, &want.status));
}

#[test]
fn encode_helpers() {
    let kvs = vec![
        string_attr("a", "b"),
        kv("n", any_value::Value::IntValue(3)),
    ];
    assert_eq!(
        encode_key_values(&kvs, JsonStyle::OTLP),
        json!([{"key": "a", "value": {"stringValue": "b"}}, {"key": "n", "value": {"intValue": "3"}}])
    );
    assert_eq!(encode_key_values(&[], JsonStyle::OTLP), json!([]));
    let nested = any(any_value::Value::ArrayValue(ArrayValue {
        values: vec![any(any_value::Value::BytesValue(vec![1, 2, 3]))],
    }));
    assert_eq!(
        encode_any_value(&nested, JsonStyle::TEMPO),
        json!({"arrayValue": {"values": [{"bytesValue": "AQID"}]}})
    );
    assert_eq!(
        encode_any_value(&AnyValue::default(), JsonStyle::OTLP),
        json!({})
    );
    let empty = ExportTraceServiceRequest::default();
    assert_eq!(encode_trace_request(&empty, JsonStyle::OTLP), json!({}));
    assert_eq!(
        encode_logs_request(&Default::default(), JsonStyle::OTLP),
        json!({})
    );
    assert_eq!(
        encode_metrics_request(&Default::default(), JsonStyle::OTLP),
        json!({})
    );
}
