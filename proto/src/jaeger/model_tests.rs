//! Serialization tests of the Jaeger JSON model and envelope.

use super::*;
use serde_json::json;

#[test]
fn key_value_types() {
    let tags = vec![
        KeyValue::string("s", "x"),
        KeyValue::bool("error", true),
        KeyValue::int64("peer.ipv4", 23456),
        KeyValue::int64("max_safe", JS_MAX_SAFE_INTEGER),
        KeyValue::int64("big", 9223372036854775222),
        KeyValue::int64("neg_big", -(1 << 53)),
        KeyValue::float64("temperature", 72.5),
        KeyValue::float64("nan", f64::NAN),
        KeyValue::float64("ninf", f64::NEG_INFINITY),
        KeyValue::binary("blob", vec![0, 0, 0x30, 0x39]),
    ];
    assert_eq!(
        serde_json::to_value(&tags).unwrap(),
        json!([
            {"key": "s", "type": "string", "value": "x"},
            {"key": "error", "type": "bool", "value": true},
            {"key": "peer.ipv4", "type": "int64", "value": 23456},
            {"key": "max_safe", "type": "int64", "value": 9007199254740991_i64},
            {"key": "big", "type": "int64", "value": "9223372036854775222"},
            {"key": "neg_big", "type": "int64", "value": "-9007199254740992"},
            {"key": "temperature", "type": "float64", "value": 72.5},
            {"key": "nan", "type": "float64", "value": "NaN"},
            {"key": "ninf", "type": "float64", "value": "-Infinity"},
            {"key": "blob", "type": "binary", "value": "AAAwOQ=="},
        ])
    );
    // Field order is Go's: key, type, value.
    assert_eq!(
        serde_json::to_string(&tags[0]).unwrap(),
        r#"{"key":"s","type":"string","value":"x"}"#
    );
}

#[test]
fn key_value_round_trip_and_type_inference() {
    let tags = vec![
        KeyValue::string("s", "x"),
        KeyValue::bool("b", false),
        KeyValue::int64("i", -5),
        KeyValue::int64("big", i64::MIN),
        KeyValue::float64("f", 0.25),
        KeyValue::float64("inf", f64::INFINITY),
        KeyValue::binary("bin", b"hello".to_vec()),
    ];
    let text = serde_json::to_string(&tags).unwrap();
    let back: Vec<KeyValue> = serde_json::from_str(&text).unwrap();
    assert_eq!(back, tags);

    let inferred: Vec<KeyValue> = serde_json::from_value(json!([
        {"key": "a", "value": 1},
        {"key": "b", "value": 1.5},
        {"key": "c", "value": true},
        {"key": "d", "value": "x"},
    ]))
    .unwrap();
    assert_eq!(
        inferred,
        vec![
            KeyValue::int64("a", 1),
            KeyValue::float64("b", 1.5),
            KeyValue::bool("c", true),
            KeyValue::string("d", "x"),
        ]
    );
    let err = serde_json::from_value::<KeyValue>(json!({"key": "k", "type": "bool", "value": 1}));
    assert!(err.is_err());
}

#[test]
fn span_omits_zero_flags_and_keeps_null_warnings() {
    let span = Span {
        trace_id: "0000000000000001".into(),
        span_id: "0000000000000002".into(),
        flags: 0,
        operation_name: "op".into(),
        references: vec![],
        start_time: 1485467191639875,
        duration: 5,
        tags: vec![],
        logs: vec![],
        process_id: "p1".into(),
        warnings: None,
    };
    assert_eq!(
        serde_json::to_string(&span).unwrap(),
        concat!(
            r#"{"traceID":"0000000000000001","spanID":"0000000000000002","#,
            r#""operationName":"op","references":[],"startTime":1485467191639875,"#,
            r#""duration":5,"tags":[],"logs":[],"processID":"p1","warnings":null}"#
        )
    );
    let sampled = Span {
        flags: 1,
        warnings: Some(vec!["w".into()]),
        ..span.clone()
    };
    let v = serde_json::to_value(&sampled).unwrap();
    assert_eq!(v["flags"], json!(1));
    assert_eq!(v["warnings"], json!(["w"]));
    let back: Span = serde_json::from_value(v).unwrap();
    assert_eq!(back, sampled);
}

#[test]
fn trace_reads_go_nulls() {
    let trace: Trace = serde_json::from_value(json!({
        "traceID": "1",
        "spans": [{"traceID": "1", "spanID": "2", "operationName": "x",
                   "references": null, "startTime": 1, "duration": 2,
                   "tags": null, "logs": null, "processID": "p1", "warnings": null}],
        "processes": {"p1": {"serviceName": "svc", "tags": null}},
        "warnings": null
    }))
    .unwrap();
    assert_eq!(trace.spans[0].references, vec![]);
    assert_eq!(trace.processes["p1"].service_name, "svc");
    assert_eq!(trace.warnings, None);
}

#[test]
fn envelope_success_and_error() {
    let ok = Response::ok_counted(vec!["frontend", "driver"], 2);
    assert_eq!(
        serde_json::to_string(&ok).unwrap(),
        r#"{"data":["frontend","driver"],"total":2,"limit":0,"offset":0,"errors":null}"#
    );
    let empty: Response<Vec<String>> = Response::ok(vec![]);
    assert_eq!(
        serde_json::to_value(&empty).unwrap(),
        json!({"data": [], "total": 0, "limit": 0, "offset": 0, "errors": null})
    );
    let err = Response::error(404, "trace not found");
    assert_eq!(
        serde_json::to_string(&err).unwrap(),
        r#"{"data":null,"total":0,"limit":0,"offset":0,"errors":[{"code":404,"msg":"trace not found"}]}"#
    );
    let partial = Response::ok(Vec::<Trace>::new()).with_errors(vec![
        ResponseError::new(0, "trace not found").with_trace_id("00000000000000ab"),
    ]);
    assert_eq!(
        serde_json::to_value(&partial).unwrap(),
        json!({"data": [], "total": 0, "limit": 0, "offset": 0,
               "errors": [{"msg": "trace not found", "traceID": "00000000000000ab"}]})
    );
    let back: Response<Option<Vec<Trace>>> =
        serde_json::from_str(&serde_json::to_string(&err).unwrap()).unwrap();
    assert_eq!(back.data, None);
    assert_eq!(
        back.errors.unwrap()[0],
        ResponseError::new(404, "trace not found")
    );
}

#[test]
fn operations_and_dependencies() {
    let ops = Response::ok_counted(
        vec![Operation {
            name: "HTTP GET".into(),
            span_kind: "server".into(),
        }],
        1,
    );
    assert_eq!(
        serde_json::to_value(&ops).unwrap(),
        json!({"data": [{"name": "HTTP GET", "spanKind": "server"}],
               "total": 1, "limit": 0, "offset": 0, "errors": null})
    );
    let deps = vec![Dependency {
        parent: "frontend".into(),
        child: "driver".into(),
        call_count: 123,
    }];
    assert_eq!(
        serde_json::to_value(&deps).unwrap(),
        json!([{"parent": "frontend", "child": "driver", "callCount": 123}])
    );
}

#[test]
fn references_and_processes() {
    let r = Reference {
        ref_type: RefType::FollowsFrom,
        trace_id: "ab".into(),
        span_id: "cd".into(),
    };
    assert_eq!(
        serde_json::to_string(&r).unwrap(),
        r#"{"refType":"FOLLOWS_FROM","traceID":"ab","spanID":"cd"}"#
    );
    let p = Process {
        service_name: "svc".into(),
        tags: vec![KeyValue::string("hostname", "h")],
    };
    assert_eq!(
        serde_json::to_value(&p).unwrap(),
        json!({"serviceName": "svc", "tags": [{"key": "hostname", "type": "string", "value": "h"}]})
    );
}
