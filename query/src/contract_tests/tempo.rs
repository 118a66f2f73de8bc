//! Tempo: echo, buildinfo and trace by id (v1 JSON, v2 JSON, protobuf).

use http::StatusCode;
use prost::Message;
use serde_json::{Value, json};
use sightline_proto::tempopb;

use super::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn echo_and_buildinfo() {
    let env = Env::empty().await;
    let echo = env.get("/api/echo").await;
    assert_eq!(echo.status, StatusCode::OK);
    assert_eq!(echo.text(), "echo");
    assert!(echo.content_type.starts_with("text/plain"));

    let info = env.get("/api/status/buildinfo").await.ok_json();
    assert_eq!(
        keys(&info),
        [
            "branch",
            "buildDate",
            "buildUser",
            "goVersion",
            "revision",
            "version"
        ]
    );
    assert_eq!(info["version"], json!(env!("CARGO_PKG_VERSION")));
    assert!(info.as_object().unwrap().values().all(Value::is_string));
    env.shutdown().await;
}

/// Every span of a Tempo/OTLP JSON `ResourceSpans` list, with its resource's service name.
fn spans_by_service(batches: &Value) -> Vec<(String, Value)> {
    let mut out = Vec::new();
    for batch in batches.as_array().unwrap() {
        let service = batch["resource"]["attributes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|kv| kv["key"] == "service.name")
            .map(|kv| kv["value"]["stringValue"].as_str().unwrap().to_string())
            .unwrap();
        for scope_spans in batch["scopeSpans"].as_array().unwrap() {
            for span in scope_spans["spans"].as_array().unwrap() {
                out.push((service.clone(), span.clone()));
            }
        }
    }
    out
}

/// Checks the v1 `batches` (or v2 `resourceSpans`) of trace 1, base64 ids and enum names.
fn assert_trace_1_tempo_json(batches: &Value, place: &str) {
    for batch in batches.as_array().unwrap() {
        assert_eq!(keys(batch), ["resource", "scopeSpans"], "{place}");
        let attributes = &batch["resource"]["attributes"];
        assert_eq!(
            attributes[1],
            json!({"key": "deployment.environment.name", "value": {"stringValue": "test"}})
        );
        for scope_spans in batch["scopeSpans"].as_array().unwrap() {
            assert_eq!(
                scope_spans["scope"],
                json!({"name": "test.lib", "version": "1.2"})
            );
        }
    }
    let spans = spans_by_service(batches);
    let mut ids: Vec<(&str, &str)> = spans
        .iter()
        .map(|(service, span)| (service.as_str(), span["spanId"].as_str().unwrap()))
        .collect();
    ids.sort_unstable();
    assert_eq!(
        ids,
        [
            ("cart", "AQMAAAAAAAE="),
            ("cart", "AQQAAAAAAAE="),
            ("frontend", "AQEAAAAAAAE="),
            ("frontend", "AQIAAAAAAAE="),
        ],
        "{place}"
    );
    let span = |id: &str| {
        spans
            .iter()
            .find(|(_, s)| s["spanId"] == id)
            .unwrap()
            .1
            .clone()
    };
    assert_eq!(
        span("AQEAAAAAAAE="),
        json!({
            "traceId": "oAAAAAAAAAAAAAAAAAAAAQ==",
            "spanId": "AQEAAAAAAAE=",
            "name": "GET /cart",
            "kind": "SPAN_KIND_SERVER",
            "startTimeUnixNano": span_start(1, 0).to_string(),
            "endTimeUnixNano": span_start(1, 100).to_string(),
            // The store keeps attributes sorted by key.
            "attributes": [
                {"key": "http.response.status_code", "value": {"intValue": "200"}},
                {"key": "http.route", "value": {"stringValue": "/cart"}}
            ],
            "status": {}
        }),
        "{place}"
    );
    assert_eq!(
        span("AQQAAAAAAAE="),
        json!({
            "traceId": "oAAAAAAAAAAAAAAAAAAAAQ==",
            "spanId": "AQQAAAAAAAE=",
            "parentSpanId": "AQMAAAAAAAE=",
            "name": "SELECT carts",
            "kind": "SPAN_KIND_CLIENT",
            "startTimeUnixNano": span_start(1, 10).to_string(),
            "endTimeUnixNano": span_start(1, 30).to_string(),
            "attributes": [{"key": "db.system", "value": {"stringValue": "postgresql"}}],
            "status": {"code": "STATUS_CODE_ERROR", "message": "timeout"}
        }),
        "{place}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn trace_by_id_v1_v2_json_and_protobuf() {
    let env = Env::with_dataset().await;
    env.heads_then_blocks(async |env, place| {
        let id = trace_hex(1);
        let v1 = env.get(&format!("/api/traces/{id}")).await.ok_json();
        assert_eq!(keys(&v1), ["batches"], "{place}");
        assert_trace_1_tempo_json(&v1["batches"], place);
        // Upper-case and shortened ids are the same trace.
        let upper = env.get(&format!("/api/traces/{}", id.to_uppercase())).await;
        assert_eq!(upper.ok_json(), v1, "{place}");

        let v2 = env.get(&format!("/api/v2/traces/{id}")).await.ok_json();
        assert_eq!(keys(&v2), ["status", "trace"], "{place}");
        assert_eq!(v2["status"], "COMPLETE");
        assert_eq!(keys(&v2["trace"]), ["resourceSpans"]);
        assert_eq!(v2["trace"]["resourceSpans"], v1["batches"], "{place}");

        // Trace 4's link: base64 ids, no parent.
        let v1 = env
            .get(&format!("/api/traces/{}", trace_hex(4)))
            .await
            .ok_json();
        let root = spans_by_service(&v1["batches"])
            .into_iter()
            .find(|(_, s)| s["name"] == "GET /cart")
            .unwrap()
            .1;
        assert_eq!(
            root["links"],
            json!([{"traceId": "oAAAAAAAAAAAAAAAAAAAAQ==", "spanId": "AQEAAAAAAAE="}])
        );
        assert_eq!(root["status"], json!({"code": "STATUS_CODE_OK"}));
        assert!(root.get("parentSpanId").is_none());

        let proto = env.get_protobuf(&format!("/api/traces/{id}")).await;
        assert_eq!(proto.status, StatusCode::OK, "{place}");
        assert_eq!(proto.content_type, "application/protobuf");
        let trace = tempopb::Trace::decode(proto.body.as_slice()).unwrap();
        let mut names: Vec<String> = trace
            .resource_spans
            .iter()
            .flat_map(|rs| &rs.scope_spans)
            .flat_map(|ss| &ss.spans)
            .map(|s| s.name.clone())
            .collect();
        names.sort();
        assert_eq!(
            names,
            [
                "GET /cart",
                "POST /cart/add",
                "POST /cart/add",
                "SELECT carts"
            ]
        );

        let proto = env.get_protobuf(&format!("/api/v2/traces/{id}")).await;
        assert_eq!(proto.status, StatusCode::OK, "{place}");
        assert_eq!(proto.content_type, "application/protobuf");
        let response = tempopb::TraceByIdResponse::decode(proto.body.as_slice()).unwrap();
        assert_eq!(response.status, 0);
        assert_eq!(response.trace.unwrap(), trace);
    })
    .await;
    env.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn trace_by_id_time_range_and_errors() {
    let env = Env::with_dataset().await;
    env.heads_then_blocks(async |env, place| {
        let id = trace_hex(1);
        for version in ["", "/v2"] {
            let path = format!("/api{version}/traces/{id}");
            let inside = (BASE_S + 10).to_string();
            let end = (BASE_S + 11).to_string();
            let found = env
                .get(&uri(&path, &[("start", &inside), ("end", &end)]))
                .await;
            assert_eq!(found.status, StatusCode::OK, "{place} {path}");
            let outside = env.get(&uri(&path, &[("start", "1"), ("end", "2")])).await;
            outside.assert_text_error(StatusCode::NOT_FOUND, "trace not found");
            env.get(&uri(&path, &[("start", "yesterday")]))
                .await
                .assert_text_error(StatusCode::BAD_REQUEST, "invalid start");
            env.get(&uri(&path, &[("start", "20"), ("end", "10")]))
                .await
                .assert_text_error(StatusCode::BAD_REQUEST, "end must not be before start");
            for bad in ["xyz", &"a".repeat(33)] {
                env.get(&format!("/api{version}/traces/{bad}"))
                    .await
                    .assert_text_error(StatusCode::BAD_REQUEST, "invalid trace id");
            }
            env.get(&format!("/api{version}/traces/{}", "f".repeat(32)))
                .await
                .assert_text_error(StatusCode::NOT_FOUND, "trace not found");
            // A protobuf client gets the same status for an unknown trace.
            let proto = env
                .get_protobuf(&format!("/api{version}/traces/ffff"))
                .await;
            assert_eq!(proto.status, StatusCode::NOT_FOUND);
        }
    })
    .await;
    env.shutdown().await;
}
