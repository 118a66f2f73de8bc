//! OTLP/HTTP against the real binary: content types, the OTLP error cases (415, 405, 400, 413,
//! partial success), gzip, hostile bodies, and multi-tenancy.

use std::io::Write;

use opentelemetry_proto::tonic::collector::trace::v1::{
    ExportTraceServiceRequest, ExportTraceServiceResponse,
};
use opentelemetry_proto::tonic::common::v1::{AnyValue, KeyValue, KeyValueList, any_value};
use prost::Message;
use sightline_proto::rpc_status::Status;

use crate::harness::Server;
use crate::support::*;

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    encoder.write_all(data).unwrap();
    encoder.finish().unwrap()
}

async fn post(server: &Server, path: &str, content_type: &str, body: Vec<u8>) -> reqwest::Response {
    reqwest::Client::new()
        .post(server.otlp_url(path))
        .header("Content-Type", content_type)
        .body(body)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn content_types_methods_and_partial_success() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), "").await;

    // Full success over protobuf: 200, same content type, empty message (no partial_success).
    let trace_id = random_trace_id();
    let request = trace_request(
        "checkout",
        vec![span(trace_id, 1, "GET /a"), span(trace_id, 2, "SELECT")],
    );
    let response = post(
        &server,
        "/v1/traces",
        "application/x-protobuf",
        request.encode_to_vec(),
    )
    .await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "application/x-protobuf");
    assert!(
        response.bytes().await.unwrap().is_empty(),
        "full success carries no partial_success"
    );
    assert_eq!(
        fetch_trace(&server.url(""), &trace_id, None).await.unwrap()[0].scope_spans[0]
            .spans
            .len(),
        2
    );

    // JSON with parameters in the content type: answered in JSON.
    let json = std::fs::read("tests/data/otlp-examples/trace.json").unwrap();
    let response = post(
        &server,
        "/v1/traces",
        "application/json; charset=utf-8",
        json,
    )
    .await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "application/json");
    assert_eq!(response.text().await.unwrap(), "{}");

    // Partial success: one span has a 15-byte trace id, one an all-zero span id.
    let good = random_trace_id();
    let mut bad = span(good, 4, "bad");
    bad.trace_id.pop();
    let mut zero = span(good, 5, "zero");
    zero.span_id = vec![0; 8];
    let request = trace_request("checkout", vec![span(good, 3, "ok"), bad, zero]);
    let response = post(
        &server,
        "/v1/traces",
        "application/x-protobuf",
        request.encode_to_vec(),
    )
    .await;
    assert_eq!(response.status(), 200);
    let reply = ExportTraceServiceResponse::decode(response.bytes().await.unwrap()).unwrap();
    let partial = reply.partial_success.expect("partial_success is set");
    assert_eq!(partial.rejected_spans, 2);
    assert!(
        partial.error_message.contains("trace_id must be 16 bytes"),
        "{}",
        partial.error_message
    );
    assert_eq!(
        fetch_trace(&server.url(""), &good, None).await.unwrap()[0].scope_spans[0]
            .spans
            .len(),
        1
    );

    // Partial success in JSON.
    let body = serde_json::json!({"resourceSpans":[{"scopeSpans":[{"spans":[
        {"traceId":"0123456789abcdef0123456789abcdef","spanId":"0123456789abcdef","name":"ok"},
        {"traceId":"","spanId":"0123456789abcdef","name":"no trace id"}]}]}]});
    let response = post(
        &server,
        "/v1/traces",
        "application/json",
        body.to_string().into_bytes(),
    )
    .await;
    assert_eq!(response.status(), 200);
    let reply: serde_json::Value = response.json().await.unwrap();
    assert_eq!(reply["partialSuccess"]["rejectedSpans"], "1");

    // Wrong content type -> 415 text/plain; wrong method -> 405.
    let response = post(&server, "/v1/traces", "text/plain", b"hello".to_vec()).await;
    assert_eq!(response.status(), 415);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain")
    );
    let response = reqwest::get(server.otlp_url("/v1/traces")).await.unwrap();
    assert_eq!(response.status(), 405);

    // Undecodable bodies -> 400 with a google.rpc.Status in the request's encoding.
    let response = post(
        &server,
        "/v1/logs",
        "application/x-protobuf",
        vec![0xff, 0xff, 0xff],
    )
    .await;
    assert_eq!(response.status(), 400);
    let status = Status::decode(response.bytes().await.unwrap()).unwrap();
    assert_eq!(status.code, 3);
    assert!(
        status.message.contains("invalid protobuf"),
        "{}",
        status.message
    );
    let response = post(
        &server,
        "/v1/metrics",
        "application/json",
        b"{not json".to_vec(),
    )
    .await;
    assert_eq!(response.status(), 400);
    let status: serde_json::Value = response.json().await.unwrap();
    assert!(
        status["message"].as_str().unwrap().contains("OTLP/JSON"),
        "{status}"
    );
    // A base64 trace id is not OTLP/JSON.
    let body = br#"{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"W47/95gDgQPSabYzgT/GDA==","spanId":"EEE19B7EC3C1B174"}]}]}]}"#;
    assert_eq!(
        post(&server, "/v1/traces", "application/json", body.to_vec())
            .await
            .status(),
        400
    );

    // Unsupported content encoding -> 400.
    let response = reqwest::Client::new()
        .post(server.otlp_url("/v1/traces"))
        .header("Content-Type", "application/x-protobuf")
        .header("Content-Encoding", "br")
        .body(vec![1, 2, 3])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);

    // gzip-compressed protobuf and JSON are accepted.
    let trace_id = random_trace_id();
    let request = trace_request("gzip", vec![span(trace_id, 9, "compressed")]);
    let response = reqwest::Client::new()
        .post(server.otlp_url("/v1/traces"))
        .header("Content-Type", "application/x-protobuf")
        .header("Content-Encoding", "gzip")
        .body(gzip(&request.encode_to_vec()))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert!(
        fetch_trace(&server.url(""), &trace_id, None)
            .await
            .is_some()
    );
    let response = reqwest::Client::new()
        .post(server.otlp_url("/v1/logs"))
        .header("Content-Type", "application/json")
        .header("Content-Encoding", "gzip")
        .body(gzip(
            &std::fs::read("tests/data/otlp-examples/logs.json").unwrap(),
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
}

#[tokio::test]
async fn size_limits_and_hostile_bodies() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), "[receiver]\nmax_request_bytes = 1048576\n").await;

    // One byte over the limit, uncompressed -> 413 with a non-retryable status.
    let response = post(
        &server,
        "/v1/traces",
        "application/x-protobuf",
        vec![0u8; (1 << 20) + 1],
    )
    .await;
    assert_eq!(response.status(), 413);
    assert!(response.headers().get("retry-after").is_none());
    assert_eq!(
        Status::decode(response.bytes().await.unwrap())
            .unwrap()
            .code,
        8
    );

    // A gzip bomb: 50 KiB on the wire, 64 MiB inflated -> cut off at the limit, 413.
    let bomb = gzip(&vec![0u8; 64 << 20]);
    assert!(bomb.len() < 100 << 10);
    let response = reqwest::Client::new()
        .post(server.otlp_url("/v1/traces"))
        .header("Content-Type", "application/x-protobuf")
        .header("Content-Encoding", "gzip")
        .body(bomb)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 413);

    // Deeply nested AnyValue (beyond the protobuf recursion limit) -> 400, no crash.
    let mut value = AnyValue {
        value: Some(any_value::Value::StringValue("leaf".into())),
    };
    for _ in 0..200 {
        value = AnyValue {
            value: Some(any_value::Value::KvlistValue(KeyValueList {
                values: vec![KeyValue {
                    key: "k".into(),
                    value: Some(value),
                    key_strindex: 0,
                }],
            })),
        };
    }
    let trace_id = random_trace_id();
    let mut deep = span(trace_id, 1, "deep");
    deep.attributes.push(KeyValue {
        key: "deep".into(),
        value: Some(value),
        key_strindex: 0,
    });
    let response = post(
        &server,
        "/v1/traces",
        "application/x-protobuf",
        trace_request("deep", vec![deep]).encode_to_vec(),
    )
    .await;
    assert_eq!(response.status(), 400);

    // Deeply nested JSON -> 400.
    let deep_json = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    assert_eq!(
        post(
            &server,
            "/v1/traces",
            "application/json",
            deep_json.into_bytes()
        )
        .await
        .status(),
        400
    );

    // 20,000 attributes on one span are stored.
    let trace_id = random_trace_id();
    let mut wide = span(trace_id, 2, "wide");
    wide.attributes = (0..20_000).map(|i| kv(&format!("attr.{i}"), "v")).collect();
    let response = post(
        &server,
        "/v1/traces",
        "application/x-protobuf",
        trace_request("wide", vec![wide]).encode_to_vec(),
    )
    .await;
    assert_eq!(response.status(), 200);
    let stored = fetch_trace(&server.url(""), &trace_id, None).await.unwrap();
    assert_eq!(stored[0].scope_spans[0].spans[0].attributes.len(), 20_000);

    // Invalid UTF-8 in a protobuf string field -> 400.
    let mut bytes = trace_request("utf8", vec![span(random_trace_id(), 3, "NAME")]).encode_to_vec();
    let at = bytes.windows(4).position(|w| w == b"NAME").unwrap();
    bytes[at] = 0xff;
    assert_eq!(
        post(&server, "/v1/traces", "application/x-protobuf", bytes)
            .await
            .status(),
        400
    );

    // The server is still healthy and accepting.
    let trace_id = random_trace_id();
    let ok = trace_request("after", vec![span(trace_id, 4, "after")]);
    assert_eq!(
        post(
            &server,
            "/v1/traces",
            "application/x-protobuf",
            ok.encode_to_vec()
        )
        .await
        .status(),
        200
    );
    assert!(
        fetch_trace(&server.url(""), &trace_id, None)
            .await
            .is_some()
    );
    let metrics = reqwest::get(server.url("/metrics"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(metrics.contains("sightline_receiver_requests_total{signal=\"traces\",transport=\"http\",outcome=\"too_large\"} 2"), "{metrics}");
}

#[tokio::test]
async fn tenants_are_required_and_isolated() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), "[receiver]\nmultitenancy_enabled = true\n").await;
    let trace_id = random_trace_id();
    let body = trace_request("tenant-a-svc", vec![span(trace_id, 1, "a")]).encode_to_vec();

    let response = post(
        &server,
        "/v1/traces",
        "application/x-protobuf",
        body.clone(),
    )
    .await;
    assert_eq!(response.status(), 401);
    let send = |tenant: &'static str, body: Vec<u8>| {
        reqwest::Client::new()
            .post(server.otlp_url("/v1/traces"))
            .header("Content-Type", "application/x-protobuf")
            .header("X-Scope-OrgID", tenant)
            .body(body)
            .send()
    };
    assert_eq!(send("../x", body.clone()).await.unwrap().status(), 400);
    assert_eq!(send("..", body.clone()).await.unwrap().status(), 400);
    assert_eq!(send("team-a", body.clone()).await.unwrap().status(), 200);

    let base = server.url("");
    assert!(
        fetch_trace(&base, &trace_id, Some("team-a"))
            .await
            .is_some()
    );
    assert!(
        fetch_trace(&base, &trace_id, Some("team-b"))
            .await
            .is_none(),
        "tenant b must not see a's trace"
    );
    let response = reqwest::get(server.url(&format!("/api/v2/traces/{}", hex::encode(trace_id))))
        .await
        .unwrap();
    assert_eq!(response.status(), 401, "queries need a tenant too");
}

#[tokio::test]
async fn trace_by_id_api_shapes() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), "").await;
    let trace_id = random_trace_id();
    let mut root = span(trace_id, 1, "GET /cart");
    root.attributes = vec![
        kv("http.route", "/cart"),
        KeyValue {
            key: "http.response.status_code".into(),
            value: Some(AnyValue {
                value: Some(any_value::Value::IntValue(200)),
            }),
            key_strindex: 0,
        },
        KeyValue {
            key: "ratio".into(),
            value: Some(AnyValue {
                value: Some(any_value::Value::DoubleValue(0.5)),
            }),
            key_strindex: 0,
        },
        KeyValue {
            key: "cached".into(),
            value: Some(AnyValue {
                value: Some(any_value::Value::BoolValue(true)),
            }),
            key_strindex: 0,
        },
    ];
    let request: ExportTraceServiceRequest = trace_request("cart", vec![root]);
    assert_eq!(
        post(
            &server,
            "/v1/traces",
            "application/x-protobuf",
            request.encode_to_vec()
        )
        .await
        .status(),
        200
    );
    let hex_id = hex::encode(trace_id);

    // Tempo v2 JSON: {"trace":{"resourceSpans":[...]},"status":"COMPLETE"}, base64 ids.
    let v2: serde_json::Value = reqwest::get(server.url(&format!("/api/v2/traces/{hex_id}")))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(v2["status"], "COMPLETE");
    let span_json = &v2["trace"]["resourceSpans"][0]["scopeSpans"][0]["spans"][0];
    use base64::Engine;
    assert_eq!(
        span_json["traceId"],
        base64::engine::general_purpose::STANDARD.encode(trace_id)
    );
    assert_eq!(span_json["kind"], "SPAN_KIND_SERVER");
    let attributes = span_json["attributes"].as_array().unwrap();
    let find = |key: &str| attributes.iter().find(|a| a["key"] == key).unwrap()["value"].clone();
    assert_eq!(
        find("http.response.status_code"),
        serde_json::json!({"intValue": "200"})
    );
    assert_eq!(find("ratio"), serde_json::json!({"doubleValue": 0.5}));
    assert_eq!(find("cached"), serde_json::json!({"boolValue": true}));

    // Tempo legacy JSON: {"batches":[...]}; protobuf tempopb.Trace on request.
    let v1: serde_json::Value = reqwest::get(server.url(&format!("/api/traces/{hex_id}")))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        v1["batches"][0]["scopeSpans"][0]["spans"][0]["name"],
        "GET /cart"
    );
    let response = reqwest::Client::new()
        .get(server.url(&format!("/api/traces/{hex_id}")))
        .header("Accept", "application/protobuf")
        .send()
        .await
        .unwrap();
    let trace = sightline_proto::tempopb::Trace::decode(response.bytes().await.unwrap()).unwrap();
    assert_eq!(
        trace.resource_spans[0].scope_spans[0].spans[0].name,
        "GET /cart"
    );

    // Time range: a range that excludes the trace finds nothing.
    let status = reqwest::get(server.url(&format!("/api/v2/traces/{hex_id}?start=100&end=200")))
        .await
        .unwrap()
        .status();
    assert_eq!(status, 404);
    let status = reqwest::get(server.url(&format!(
        "/api/v2/traces/{hex_id}?start=1699999990&end=1700000010"
    )))
    .await
    .unwrap()
    .status();
    assert_eq!(status, 200);
    // Unknown -> 404, invalid -> 400.
    assert_eq!(
        reqwest::get(server.url("/api/v2/traces/0123456789abcdef"))
            .await
            .unwrap()
            .status(),
        404
    );
    assert_eq!(
        reqwest::get(server.url("/api/traces/not-hex"))
            .await
            .unwrap()
            .status(),
        400
    );
    assert_eq!(
        reqwest::get(server.url(&format!("/api/v2/traces/{hex_id}?start=x")))
            .await
            .unwrap()
            .status(),
        400
    );
    assert_eq!(
        reqwest::get(server.url("/api/echo"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap(),
        "echo"
    );
}
