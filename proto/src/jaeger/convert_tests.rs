//! Tests of the OTLP → Jaeger conversion on a hand-built trace.

use serde_json::json;

use super::*;
use crate::otlp::common::v1::{ArrayValue, KeyValue as OtlpKeyValue, KeyValueList};
use crate::otlp::trace::v1::{ScopeSpans, Span as OtlpSpan, Status};

const T0: u64 = 1_700_000_000_000_000_123;

fn trace_id() -> Vec<u8> {
    hex::decode("4bf92f3577b34da6a3ce929d0e0e4736").unwrap()
}
fn sid(n: u8) -> Vec<u8> {
    vec![0, 0, 0, 0, 0, 0, 0xa0, n]
}
fn any(value: any_value::Value) -> Option<AnyValue> {
    Some(AnyValue { value: Some(value) })
}
fn kv(key: &str, value: any_value::Value) -> OtlpKeyValue {
    OtlpKeyValue {
        key: key.into(),
        value: any(value),
        ..Default::default()
    }
}
fn s(text: &str) -> any_value::Value {
    any_value::Value::StringValue(text.into())
}
fn i(n: i64) -> any_value::Value {
    any_value::Value::IntValue(n)
}
fn resource(attributes: Vec<OtlpKeyValue>) -> Option<Resource> {
    Some(Resource {
        attributes,
        ..Default::default()
    })
}
fn scope(name: &str, version: &str) -> Option<InstrumentationScope> {
    Some(InstrumentationScope {
        name: name.into(),
        version: version.into(),
        ..Default::default()
    })
}
fn rs(
    resource: Option<Resource>,
    scope: Option<InstrumentationScope>,
    spans: Vec<OtlpSpan>,
) -> ResourceSpans {
    ResourceSpans {
        resource,
        scope_spans: vec![ScopeSpans {
            scope,
            spans,
            ..Default::default()
        }],
        ..Default::default()
    }
}
fn span(
    id: u8,
    parent: Option<Vec<u8>>,
    name: &str,
    kind: span::SpanKind,
    start: u64,
    end: u64,
) -> OtlpSpan {
    OtlpSpan {
        trace_id: trace_id(),
        span_id: sid(id),
        parent_span_id: parent.unwrap_or_default(),
        name: name.into(),
        kind: kind as i32,
        start_time_unix_nano: start,
        end_time_unix_nano: end,
        ..Default::default()
    }
}

/// Resource `frontend` (every attribute type) with a server root whose parent is remote and a
/// client child with events, links and an ERROR status; resource `driver` (listed first, starting
/// later) with one span of each remaining kind; a copy of the `driver` resource; a resource
/// without `service.name`.
fn fixture() -> Vec<ResourceSpans> {
    let frontend = resource(vec![
        kv("service.name", s("frontend")),
        kv("host.name", s("h1")),
        kv("big", i(1 << 60)),
        kv("small", i(-42)),
        kv("ratio", any_value::Value::DoubleValue(0.5)),
        kv("enabled", any_value::Value::BoolValue(true)),
        kv("raw", any_value::Value::BytesValue(vec![0, 0, 0x30, 0x39])),
        kv(
            "list",
            any_value::Value::ArrayValue(ArrayValue {
                values: vec![
                    AnyValue {
                        value: Some(s("a")),
                    },
                    AnyValue { value: Some(i(1)) },
                ],
            }),
        ),
        kv(
            "map",
            any_value::Value::KvlistValue(KeyValueList {
                values: vec![kv("b", i(1)), kv("a", s("x<y"))],
            }),
        ),
        OtlpKeyValue {
            key: "empty".into(),
            value: None,
            ..Default::default()
        },
    ]);
    let mut root = span(
        1,
        Some(sid(0xff)),
        "GET /dispatch",
        span::SpanKind::Server,
        T0,
        T0 + 5_000_000,
    );
    root.status = Some(Status {
        code: status::StatusCode::Ok as i32,
        message: String::new(),
    });
    root.trace_state = "congo=t61rcWkgMzE".into();
    root.flags = 0x1;

    let mut child = span(
        2,
        Some(sid(1)),
        "SELECT",
        span::SpanKind::Client,
        T0 + 1_000_500,
        T0 + 3_000_999,
    );
    child.flags = 0x301; // sampled + "parent is remote" bits: only the sampled bit is kept.
    child.attributes = vec![kv("db.system", s("mysql")), kv("db.rows", i(1 << 60))];
    child.status = Some(Status {
        code: status::StatusCode::Error as i32,
        message: "connection refused".into(),
    });
    child.events = vec![
        span::Event {
            time_unix_nano: T0 + 2_000_000,
            name: "retry".into(),
            attributes: vec![
                kv("attempt", i(2)),
                kv("blob", any_value::Value::BytesValue(vec![1, 2])),
            ],
            ..Default::default()
        },
        span::Event {
            time_unix_nano: T0 + 2_500_999,
            name: "ignored name".into(),
            attributes: vec![kv("event", s("from attribute"))],
            ..Default::default()
        },
        span::Event {
            time_unix_nano: T0 + 2_600_000,
            name: String::new(),
            attributes: vec![],
            ..Default::default()
        },
    ];
    child.links = vec![
        span::Link {
            trace_id: hex::decode("0000000000000000000000000000abcd").unwrap(),
            span_id: sid(9),
            attributes: vec![kv("link.note", s("batch"))],
            ..Default::default()
        },
        span::Link {
            trace_id: trace_id(),
            span_id: sid(1),
            attributes: vec![kv("opentracing.ref_type", s("child_of"))],
            ..Default::default()
        },
        span::Link {
            trace_id: trace_id(),
            span_id: sid(3),
            ..Default::default()
        },
        span::Link {
            trace_id: trace_id(),
            span_id: sid(4),
            attributes: vec![kv("opentracing.ref_type", s("child_of"))],
            ..Default::default()
        },
    ];

    let driver_attrs = || {
        resource(vec![
            kv("k8s.pod.name", s("driver-0")),
            kv("service.name", s("driver")),
        ])
    };
    let producer = span(
        3,
        Some(sid(2)),
        "publish",
        span::SpanKind::Producer,
        T0 + 6_000_000,
        T0 + 7_000_000,
    );
    let consumer = span(
        4,
        Some(sid(3)),
        "consume",
        span::SpanKind::Consumer,
        T0 + 8_000_000,
        T0 + 9_000_000,
    );
    // Ends before it starts: duration 0.
    let internal = span(
        5,
        Some(sid(4)),
        "work",
        span::SpanKind::Internal,
        T0 + 10_000_000,
        T0 + 9_000_000,
    );
    let unspecified = span(
        6,
        Some(sid(4)),
        "misc",
        span::SpanKind::Unspecified,
        T0 + 11_000_000,
        T0 + 11_000_000,
    );
    let orphan = span(
        7,
        None,
        "lonely",
        span::SpanKind::Internal,
        T0 + 12_000_000,
        T0 + 12_000_001,
    );

    vec![
        rs(driver_attrs(), scope("", ""), vec![unspecified, producer]),
        rs(
            frontend,
            scope("io.opentelemetry.http", "1.2.3"),
            vec![child, root],
        ),
        rs(driver_attrs(), None, vec![consumer, internal]),
        rs(resource(vec![kv("host.name", s("h2"))]), None, vec![orphan]),
    ]
}

#[test]
fn empty_input_is_none() {
    assert!(trace_from_otlp(&[]).is_none());
    assert!(trace_from_otlp(&[rs(resource(vec![]), None, vec![])]).is_none());
}

#[test]
fn spans_are_sorted_and_processes_numbered_by_first_use() {
    let trace = trace_from_otlp(&fixture()).unwrap();
    assert_eq!(trace.trace_id, "4bf92f3577b34da6a3ce929d0e0e4736");
    let order: Vec<(&str, &str)> = trace
        .spans
        .iter()
        .map(|s| (s.operation_name.as_str(), s.process_id.as_str()))
        .collect();
    assert_eq!(
        order,
        vec![
            ("GET /dispatch", "p1"),
            ("SELECT", "p1"),
            ("publish", "p2"),
            ("consume", "p2"),
            ("work", "p2"),
            ("misc", "p2"),
            ("lonely", "p3"),
        ]
    );
    assert_eq!(trace.processes.len(), 3);
    assert_eq!(
        serde_json::to_value(&trace.processes["p2"]).unwrap(),
        json!({"serviceName": "driver",
               "tags": [{"key": "k8s.pod.name", "type": "string", "value": "driver-0"}]})
    );
    assert_eq!(
        serde_json::to_value(&trace.processes["p3"]).unwrap(),
        json!({"serviceName": "missing-service-name",
               "tags": [{"key": "host.name", "type": "string", "value": "h2"}]})
    );
    assert_eq!(trace.warnings, None);
    let v = serde_json::to_value(&trace).unwrap();
    assert_eq!(v["warnings"], json!(null));
}

#[test]
fn full_span_and_process_json() {
    let trace = trace_from_otlp(&fixture()).unwrap();
    assert_eq!(
        serde_json::to_value(&trace.processes["p1"]).unwrap(),
        json!({
            "serviceName": "frontend",
            "tags": [
                {"key": "host.name", "type": "string", "value": "h1"},
                {"key": "big", "type": "int64", "value": "1152921504606846976"},
                {"key": "small", "type": "int64", "value": -42},
                {"key": "ratio", "type": "float64", "value": 0.5},
                {"key": "enabled", "type": "bool", "value": true},
                {"key": "raw", "type": "binary", "value": "AAAwOQ=="},
                {"key": "list", "type": "string", "value": "[\"a\",1]"},
                {"key": "map", "type": "string", "value": "{\"a\":\"x\\u003cy\",\"b\":1}"},
                {"key": "empty", "type": "string", "value": ""}
            ]
        })
    );
    let child = &trace.spans[1];
    assert_eq!(
        serde_json::to_value(child).unwrap(),
        json!({
            "traceID": "4bf92f3577b34da6a3ce929d0e0e4736",
            "spanID": "000000000000a002",
            "flags": 1,
            "operationName": "SELECT",
            "references": [
                {"refType": "CHILD_OF", "traceID": "4bf92f3577b34da6a3ce929d0e0e4736",
                 "spanID": "000000000000a001"},
                {"refType": "FOLLOWS_FROM", "traceID": "000000000000abcd",
                 "spanID": "000000000000a009"},
                {"refType": "FOLLOWS_FROM", "traceID": "4bf92f3577b34da6a3ce929d0e0e4736",
                 "spanID": "000000000000a003"},
                {"refType": "CHILD_OF", "traceID": "4bf92f3577b34da6a3ce929d0e0e4736",
                 "spanID": "000000000000a004"}
            ],
            "startTime": 1_700_000_000_001_000_u64,
            "duration": 2000,
            "tags": [
                {"key": "otel.scope.name", "type": "string", "value": "io.opentelemetry.http"},
                {"key": "otel.scope.version", "type": "string", "value": "1.2.3"},
                {"key": "db.system", "type": "string", "value": "mysql"},
                {"key": "db.rows", "type": "int64", "value": "1152921504606846976"},
                {"key": "span.kind", "type": "string", "value": "client"},
                {"key": "otel.status_code", "type": "string", "value": "ERROR"},
                {"key": "error", "type": "bool", "value": true},
                {"key": "otel.status_description", "type": "string", "value": "connection refused"}
            ],
            "logs": [
                {"timestamp": 1_700_000_000_002_000_u64, "fields": [
                    {"key": "event", "type": "string", "value": "retry"},
                    {"key": "attempt", "type": "int64", "value": 2},
                    {"key": "blob", "type": "binary", "value": "AQI="}
                ]},
                {"timestamp": 1_700_000_000_002_501_u64, "fields": [
                    {"key": "event", "type": "string", "value": "from attribute"}
                ]},
                {"timestamp": 1_700_000_000_002_600_u64, "fields": []}
            ],
            "processID": "p1",
            "warnings": null
        })
    );
}

#[test]
fn root_with_remote_parent_ok_status_and_tracestate() {
    let trace = trace_from_otlp(&fixture()).unwrap();
    let root = &trace.spans[0];
    assert_eq!(
        serde_json::to_value(root).unwrap(),
        json!({
            "traceID": "4bf92f3577b34da6a3ce929d0e0e4736",
            "spanID": "000000000000a001",
            "flags": 1,
            "operationName": "GET /dispatch",
            "references": [
                {"refType": "CHILD_OF", "traceID": "4bf92f3577b34da6a3ce929d0e0e4736",
                 "spanID": "000000000000a0ff"}
            ],
            "startTime": 1_700_000_000_000_000_u64,
            "duration": 5000,
            "tags": [
                {"key": "otel.scope.name", "type": "string", "value": "io.opentelemetry.http"},
                {"key": "otel.scope.version", "type": "string", "value": "1.2.3"},
                {"key": "span.kind", "type": "string", "value": "server"},
                {"key": "otel.status_code", "type": "string", "value": "OK"},
                {"key": "w3c.tracestate", "type": "string", "value": "congo=t61rcWkgMzE"}
            ],
            "logs": [],
            "processID": "p1",
            "warnings": null
        })
    );
}

#[test]
fn kinds_durations_and_orphans() {
    let trace = trace_from_otlp(&fixture()).unwrap();
    let kind_of = |name: &str| {
        let span = trace
            .spans
            .iter()
            .find(|s| s.operation_name == name)
            .unwrap();
        span.tags
            .iter()
            .find(|t| t.key == "span.kind")
            .map(|t| t.value.clone())
    };
    assert_eq!(
        kind_of("publish"),
        Some(TagValue::String("producer".into()))
    );
    assert_eq!(
        kind_of("consume"),
        Some(TagValue::String("consumer".into()))
    );
    assert_eq!(kind_of("work"), Some(TagValue::String("internal".into())));
    assert_eq!(kind_of("misc"), None);

    let work = &trace.spans[4];
    assert_eq!(work.duration, 0);
    assert_eq!(work.flags, 0);
    // No scope name or version: no scope tags at all; no status: no status tags.
    let misc = &trace.spans[5];
    assert!(misc.tags.is_empty());
    let lonely = &trace.spans[6];
    assert!(lonely.references.is_empty());
    assert_eq!(lonely.duration, 0); // 1 ns rounds down to 0 µs
    let text = serde_json::to_string(misc).unwrap();
    assert!(!text.contains("flags"), "{text}");
    assert!(text.contains(r#""tags":[],"logs":[]"#), "{text}");
}

#[test]
fn short_trace_ids_and_service_name_placeholders() {
    let mut one = span(1, None, "x", span::SpanKind::Server, 5_000, 9_000);
    one.trace_id = hex::decode("00000000000000000000000000000001").unwrap();
    let wrong_type = resource(vec![kv("service.name", i(3))]);
    let trace = trace_from_otlp(&[rs(wrong_type, None, vec![one.clone()])]).unwrap();
    assert_eq!(trace.trace_id, "0000000000000001");
    assert_eq!(trace.spans[0].trace_id, "0000000000000001");
    assert_eq!(trace.spans[0].start_time, 5);
    assert_eq!(trace.spans[0].duration, 4);
    assert_eq!(trace.processes["p1"].service_name, SERVICE_NAME_WRONG_TYPE);
    // The non-string service.name is not repeated as a tag.
    assert!(trace.processes["p1"].tags.is_empty());

    let empty = resource(vec![kv("service.name", s(""))]);
    let trace = trace_from_otlp(&[rs(empty, None, vec![one.clone()])]).unwrap();
    assert_eq!(trace.processes["p1"].service_name, EMPTY_SERVICE_NAME);
    let trace = trace_from_otlp(&[rs(None, None, vec![one])]).unwrap();
    assert_eq!(trace.processes["p1"].service_name, MISSING_SERVICE_NAME);
    assert_eq!(service_name(None), MISSING_SERVICE_NAME);
}

#[test]
fn zero_parent_is_no_parent_and_link_to_parent_sets_its_type() {
    let mut a = span(1, Some(vec![0; 8]), "a", span::SpanKind::Internal, 1, 2);
    assert!(span_from_otlp(&a, None).references.is_empty());
    a.parent_span_id = sid(7);
    a.links = vec![span::Link {
        trace_id: trace_id(),
        span_id: sid(7),
        ..Default::default()
    }];
    assert_eq!(
        span_from_otlp(&a, None).references,
        vec![Reference {
            ref_type: RefType::FollowsFrom,
            trace_id: "4bf92f3577b34da6a3ce929d0e0e4736".into(),
            span_id: "000000000000a007".into(),
        }]
    );
}

#[test]
fn status_message_without_error_code_is_still_a_tag() {
    let mut a = span(1, None, "a", span::SpanKind::Unspecified, 1, 2);
    a.status = Some(Status {
        code: status::StatusCode::Unset as i32,
        message: "odd".into(),
    });
    let tags = span_from_otlp(&a, scope("lib", "").as_ref()).tags;
    assert_eq!(
        tags,
        vec![
            KeyValue::string("otel.scope.name", "lib"),
            KeyValue::string("otel.status_description", "odd"),
        ]
    );
}

#[test]
fn otlp_json_to_v1_envelope_byte_for_byte() {
    let body = br#"{"resourceSpans":[{
        "resource":{"attributes":[{"key":"service.name","value":{"stringValue":"loadgen"}}]},
        "scopeSpans":[{"scope":{"name":"loadgen"},"spans":[{
            "traceId":"5b8efff798038103d269b633813fc60c","spanId":"eee19b7ec3c1b174",
            "parentSpanId":"eee19b7ec3c1b173","name":"op","kind":2,
            "startTimeUnixNano":"1706678909209712000","endTimeUnixNano":"1706678909209835000",
            "attributes":[{"key":"peer.service","value":{"stringValue":"client"}}],
            "status":{}}]}]}]}"#;
    let request = crate::json::decode_trace_request(body).unwrap();
    let trace = trace_from_otlp(&request.resource_spans).unwrap();
    let text = serde_json::to_string(&crate::jaeger::Response::ok(vec![trace])).unwrap();
    assert_eq!(
        text,
        concat!(
            r#"{"data":[{"traceID":"5b8efff798038103d269b633813fc60c","spans":[{"#,
            r#""traceID":"5b8efff798038103d269b633813fc60c","spanID":"eee19b7ec3c1b174","#,
            r#""operationName":"op","references":[{"refType":"CHILD_OF","#,
            r#""traceID":"5b8efff798038103d269b633813fc60c","spanID":"eee19b7ec3c1b173"}],"#,
            r#""startTime":1706678909209712,"duration":123,"tags":["#,
            r#"{"key":"otel.scope.name","type":"string","value":"loadgen"},"#,
            r#"{"key":"peer.service","type":"string","value":"client"},"#,
            r#"{"key":"span.kind","type":"string","value":"server"}],"#,
            r#""logs":[],"processID":"p1","warnings":null}],"#,
            r#""processes":{"p1":{"serviceName":"loadgen","tags":[]}},"warnings":null}],"#,
            r#""total":0,"limit":0,"offset":0,"errors":null}"#
        )
    );
}
