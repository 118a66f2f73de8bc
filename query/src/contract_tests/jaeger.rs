//! Jaeger v1 (`/jaeger/api/*`): the `{data,total,limit,offset,errors}` envelope, services,
//! operations and trace by id in Jaeger's trace JSON.

use http::StatusCode;
use serde_json::{Value, json};

use super::*;

/// Asserts a successful v1 envelope with `total` and returns its `data`.
#[track_caller]
pub(super) fn data(reply: &Reply, total: u64) -> Value {
    let body = reply.ok_json();
    assert_eq!(keys(&body), ["data", "errors", "limit", "offset", "total"]);
    assert_eq!(body["total"], json!(total), "{body}");
    assert_eq!(body["limit"], json!(0));
    assert_eq!(body["offset"], json!(0));
    assert_eq!(body["errors"], Value::Null, "{body}");
    body["data"].clone()
}

/// Asserts a v1 error envelope.
#[track_caller]
pub(super) fn assert_v1_error(reply: &Reply, status: StatusCode, msg: &str) {
    assert_eq!(reply.status, status, "{}", reply.text());
    assert!(reply.content_type.starts_with("application/json"));
    let body = reply.json();
    assert_eq!(keys(&body), ["data", "errors", "limit", "offset", "total"]);
    assert_eq!(body["data"], Value::Null);
    assert_eq!(body["total"], json!(0));
    let errors = body["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 1, "{body}");
    assert_eq!(keys(&errors[0]), ["code", "msg"]);
    assert_eq!(errors[0]["code"], json!(status.as_u16()));
    let text = errors[0]["msg"].as_str().unwrap();
    assert!(text.contains(msg), "{text:?} does not contain {msg:?}");
}

fn tag(key: &str, kind: &str, value: Value) -> Value {
    json!({"key": key, "type": kind, "value": value})
}

fn scope_tags() -> Vec<Value> {
    vec![
        tag("otel.scope.name", "string", json!("test.lib")),
        tag("otel.scope.version", "string", json!("1.2")),
    ]
}

fn process(service: &str) -> Value {
    json!({
        "serviceName": service,
        "tags": [tag("deployment.environment.name", "string", json!("test"))]
    })
}

fn child_of(t: u8, s: u8) -> Value {
    json!({"refType": "CHILD_OF", "traceID": trace_hex(t), "spanID": span_hex(t, s)})
}

/// The Jaeger JSON of trace 1, span for span.
pub(super) fn trace_1() -> Value {
    let us = |ms: u64| json!(span_start(1, ms) / 1_000);
    let tags = |extra: Vec<Value>| Value::Array([scope_tags(), extra].concat());
    json!({
        "traceID": trace_hex(1),
        "spans": [
            {
                "traceID": trace_hex(1), "spanID": span_hex(1, 1), "operationName": "GET /cart",
                "references": [], "startTime": us(0), "duration": 100_000,
                // The store keeps attributes sorted by key.
                "tags": tags(vec![
                    tag("http.response.status_code", "int64", json!(200)),
                    tag("http.route", "string", json!("/cart")),
                    tag("span.kind", "string", json!("server")),
                ]),
                "logs": [], "processID": "p1", "warnings": null
            },
            {
                "traceID": trace_hex(1), "spanID": span_hex(1, 2),
                "operationName": "POST /cart/add",
                "references": [child_of(1, 1)], "startTime": us(5), "duration": 60_000,
                "tags": tags(vec![tag("span.kind", "string", json!("client"))]),
                "logs": [], "processID": "p1", "warnings": null
            },
            {
                "traceID": trace_hex(1), "spanID": span_hex(1, 3),
                "operationName": "POST /cart/add",
                "references": [child_of(1, 2)], "startTime": us(6), "duration": 58_000,
                "tags": tags(vec![tag("span.kind", "string", json!("server"))]),
                "logs": [], "processID": "p2", "warnings": null
            },
            {
                "traceID": trace_hex(1), "spanID": span_hex(1, 4), "operationName": "SELECT carts",
                "references": [child_of(1, 3)], "startTime": us(10), "duration": 20_000,
                "tags": tags(vec![
                    tag("db.system", "string", json!("postgresql")),
                    tag("span.kind", "string", json!("client")),
                    tag("otel.status_code", "string", json!("ERROR")),
                    tag("error", "bool", json!(true)),
                    tag("otel.status_description", "string", json!("timeout")),
                ]),
                "logs": [], "processID": "p2", "warnings": null
            }
        ],
        "processes": {"p1": process("frontend"), "p2": process("cart")},
        "warnings": null
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn services_and_operations() {
    let env = Env::with_dataset().await;
    env.heads_then_blocks(async |env, place| {
        let services = data(&env.get("/jaeger/api/services").await, 6);
        assert_eq!(
            services,
            json!([
                "ad",
                "cart",
                "checkout",
                "email",
                "frontend",
                "recommendation"
            ]),
            "{place}"
        );
        let names = data(
            &env.get("/jaeger/api/services/frontend/operations").await,
            6,
        );
        assert_eq!(
            names,
            json!([
                "GET /cart",
                "GET /checkout",
                "POST /cart/add",
                "get-ads",
                "get-recs",
                "publish orders"
            ]),
            "{place}"
        );
        let names = data(&env.get("/jaeger/api/services/cart/operations").await, 2);
        assert_eq!(names, json!(["POST /cart/add", "SELECT carts"]), "{place}");
        assert_eq!(
            data(&env.get("/jaeger/api/services/nobody/operations").await, 0),
            json!([])
        );

        let operations = data(&env.get("/jaeger/api/operations?service=frontend").await, 6);
        assert_eq!(
            operations,
            json!([
                {"name": "GET /cart", "spanKind": "server"},
                {"name": "GET /checkout", "spanKind": "server"},
                {"name": "POST /cart/add", "spanKind": "client"},
                {"name": "get-ads", "spanKind": "client"},
                {"name": "get-recs", "spanKind": "client"},
                {"name": "publish orders", "spanKind": "producer"}
            ]),
            "{place}"
        );
        let clients = data(
            &env.get("/jaeger/api/operations?service=frontend&spanKind=client")
                .await,
            3,
        );
        assert_eq!(
            clients,
            json!([
                {"name": "POST /cart/add", "spanKind": "client"},
                {"name": "get-ads", "spanKind": "client"},
                {"name": "get-recs", "spanKind": "client"}
            ])
        );
        let internal = data(
            &env.get("/jaeger/api/operations?service=email&spanKind=internal")
                .await,
            1,
        );
        assert_eq!(
            internal,
            json!([{"name": "lonely", "spanKind": "internal"}])
        );
        let consumers = data(
            &env.get("/jaeger/api/operations?service=recommendation")
                .await,
            1,
        );
        assert_eq!(
            consumers,
            json!([{"name": "consume orders", "spanKind": "consumer"}])
        );
    })
    .await;
    assert_v1_error(
        &env.get("/jaeger/api/operations").await,
        StatusCode::BAD_REQUEST,
        "parameter 'service' is required",
    );
    assert_v1_error(
        &env.get("/jaeger/api/operations?service=cart&spanKind=sideways")
            .await,
        StatusCode::BAD_REQUEST,
        "unsupported spanKind",
    );
    env.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn empty_lists_are_arrays() {
    let env = Env::empty().await;
    assert_eq!(data(&env.get("/jaeger/api/services").await, 0), json!([]));
    assert_eq!(
        data(&env.get("/jaeger/api/operations?service=x").await, 0),
        json!([])
    );
    assert_eq!(
        data(&env.get("/jaeger/api/traces?service=x").await, 0),
        json!([])
    );
    env.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn trace_by_id_is_jaeger_json() {
    let env = Env::with_dataset().await;
    env.heads_then_blocks(async |env, place| {
        let traces = data(
            &env.get(&format!("/jaeger/api/traces/{}", trace_hex(1)))
                .await,
            0,
        );
        assert_eq!(traces, json!([trace_1()]), "{place}");
        // Upper case ids are the same trace.
        let upper = data(
            &env.get(&format!(
                "/jaeger/api/traces/{}",
                trace_hex(1).to_uppercase()
            ))
            .await,
            0,
        );
        assert_eq!(upper, traces);

        // Trace 3: an event becomes a log (µs timestamp, `event` field first).
        let t3 = data(
            &env.get(&format!("/jaeger/api/traces/{}", trace_hex(3)))
                .await,
            0,
        );
        let span = &t3[0]["spans"][0];
        assert_eq!(
            span["logs"],
            json!([{
                "timestamp": span_start(3, 1) / 1_000,
                "fields": [
                    tag("event", "string", json!("exception")),
                    tag("exception.type", "string", json!("Boom"))
                ]
            }]),
            "{place}"
        );
        assert_eq!(
            span["tags"],
            Value::Array(
                [
                    scope_tags(),
                    vec![
                        tag("app.user.id", "string", json!("u3")),
                        tag("span.kind", "string", json!("internal")),
                    ]
                ]
                .concat()
            )
        );

        // Trace 4: the link is a FOLLOWS_FROM reference into trace 1; status OK is a tag.
        let t4 = data(
            &env.get(&format!("/jaeger/api/traces/{}", trace_hex(4)))
                .await,
            0,
        );
        let root = &t4[0]["spans"][0];
        assert_eq!(root["operationName"], "GET /cart");
        assert_eq!(
            root["references"],
            json!([{"refType": "FOLLOWS_FROM", "traceID": trace_hex(1), "spanID": span_hex(1, 1)}])
        );
        assert!(root["tags"].as_array().unwrap().contains(&tag(
            "otel.status_code",
            "string",
            json!("OK")
        )));
        assert_eq!(t4[0]["spans"][1]["references"], json!([child_of(4, 1)]));

        // Trace 5: a remote parent is still a CHILD_OF reference.
        let t5 = data(
            &env.get(&format!("/jaeger/api/traces/{}", trace_hex(5)))
                .await,
            0,
        );
        assert_eq!(
            t5[0]["spans"][0]["references"],
            json!([{"refType": "CHILD_OF", "traceID": trace_hex(5), "spanID": "0909090909090909"}])
        );

        // Trace 6: two processes; the consumer is the producer's child.
        let t6 = data(
            &env.get(&format!("/jaeger/api/traces/{}", trace_hex(6)))
                .await,
            0,
        );
        assert_eq!(
            t6[0]["processes"],
            json!({
                "p1": process("frontend"),
                "p2": process("recommendation")
            })
        );
        assert_eq!(t6[0]["spans"][1]["references"], json!([child_of(6, 1)]));
        assert_eq!(t6[0]["spans"][1]["processID"], "p2");
    })
    .await;
    assert_v1_error(
        &env.get(&format!("/jaeger/api/traces/{}", "f".repeat(32)))
            .await,
        StatusCode::NOT_FOUND,
        "trace not found",
    );
    // The exact error body Jaeger documents.
    assert_eq!(
        env.get("/jaeger/api/traces/ffff").await.json(),
        json!({
            "data": null, "total": 0, "limit": 0, "offset": 0,
            "errors": [{"code": 404, "msg": "trace not found"}]
        })
    );
    for bad in ["xyz", &"a".repeat(33)] {
        assert_v1_error(
            &env.get(&format!("/jaeger/api/traces/{bad}")).await,
            StatusCode::BAD_REQUEST,
            "malformed trace id",
        );
    }
    env.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pretty_print() {
    let env = Env::with_dataset().await;
    let reply = env.get("/jaeger/api/services?prettyPrint=true").await;
    assert!(reply.text().contains("\n  \"data\": ["), "{}", reply.text());
    assert_eq!(data(&reply, 6)[0], "ad");
    env.shutdown().await;
}
