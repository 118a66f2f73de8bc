//! Jaeger API v3 (`/jaeger/api/v3/*`): OTLP JSON with lower-case hex ids and integer enums,
//! `{"error":{"httpCode","message"}}` errors.

use std::collections::BTreeSet;

use http::StatusCode;
use serde_json::{Value, json};

use super::*;

#[track_caller]
fn assert_v3_error(reply: &Reply, status: StatusCode, needle: &str) {
    assert_eq!(reply.status, status, "{}", reply.text());
    assert!(reply.content_type.starts_with("application/json"));
    let body = reply.json();
    assert_eq!(keys(&body), ["error"]);
    assert_eq!(keys(&body["error"]), ["httpCode", "message"]);
    assert_eq!(body["error"]["httpCode"], json!(status.as_u16()));
    let message = body["error"]["message"].as_str().unwrap();
    assert!(
        message.contains(needle),
        "{message:?} does not contain {needle:?}"
    );
}

/// Every span of a `{"result":{"resourceSpans":[…]}}` answer.
fn spans(body: &Value) -> Vec<Value> {
    assert_eq!(keys(body), ["result"]);
    assert_eq!(keys(&body["result"]), ["resourceSpans"]);
    body["result"]["resourceSpans"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|rs| rs["scopeSpans"].as_array().unwrap().iter())
        .flat_map(|ss| ss["spans"].as_array().unwrap().iter().cloned())
        .collect()
}

fn trace_numbers(body: &Value) -> BTreeSet<u8> {
    spans(body)
        .iter()
        .map(|s| {
            let id = s["traceId"].as_str().unwrap();
            u8::from_str_radix(&id[30..], 16).unwrap()
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn services_and_operations() {
    let env = Env::with_dataset().await;
    env.heads_then_blocks(async |env, place| {
        let body = env.get("/jaeger/api/v3/services").await.ok_json();
        assert_eq!(
            body,
            json!({"services": ["ad", "cart", "checkout", "email", "frontend", "recommendation"]}),
            "{place}"
        );
        let body = env
            .get("/jaeger/api/v3/operations?service=cart")
            .await
            .ok_json();
        assert_eq!(
            body,
            json!({"operations": [
                {"name": "POST /cart/add", "spanKind": "server"},
                {"name": "SELECT carts", "spanKind": "client"}
            ]}),
            "{place}"
        );
        for kind in ["span_kind", "spanKind"] {
            let body = env
                .get(&format!(
                    "/jaeger/api/v3/operations?service=frontend&{kind}=producer"
                ))
                .await
                .ok_json();
            assert_eq!(
                body,
                json!({"operations": [{"name": "publish orders", "spanKind": "producer"}]})
            );
        }
        let body = env
            .get("/jaeger/api/v3/operations?service=nobody")
            .await
            .ok_json();
        assert_eq!(body, json!({"operations": []}));
    })
    .await;
    assert_v3_error(
        &env.get("/jaeger/api/v3/operations").await,
        StatusCode::BAD_REQUEST,
        "parameter 'service' is required",
    );
    assert_v3_error(
        &env.get("/jaeger/api/v3/operations?service=cart&span_kind=up")
            .await,
        StatusCode::BAD_REQUEST,
        "unsupported span_kind",
    );
    env.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn trace_by_id_is_otlp_json_with_hex_ids() {
    let env = Env::with_dataset().await;
    env.heads_then_blocks(async |env, place| {
        let body = env
            .get(&format!("/jaeger/api/v3/traces/{}", trace_hex(1)))
            .await
            .ok_json();
        let resource_spans = body["result"]["resourceSpans"].as_array().unwrap();
        for rs in resource_spans {
            assert_eq!(keys(rs), ["resource", "scopeSpans"]);
            assert_eq!(
                rs["scopeSpans"][0]["scope"],
                json!({"name": "test.lib", "version": "1.2"})
            );
        }
        let all = spans(&body);
        assert_eq!(all.len(), 4, "{place}");
        let select = all.iter().find(|s| s["name"] == "SELECT carts").unwrap();
        assert_eq!(
            select,
            &json!({
                "traceId": trace_hex(1),
                "spanId": span_hex(1, 4),
                "parentSpanId": span_hex(1, 3),
                "name": "SELECT carts",
                "kind": 3,
                "startTimeUnixNano": span_start(1, 10).to_string(),
                "endTimeUnixNano": span_start(1, 30).to_string(),
                "attributes": [{"key": "db.system", "value": {"stringValue": "postgresql"}}],
                "status": {"code": 2, "message": "timeout"}
            }),
            "{place}"
        );
        let root = all.iter().find(|s| s["spanId"] == span_hex(1, 1)).unwrap();
        assert_eq!(root["kind"], json!(2));
        assert_eq!(
            root["attributes"][0],
            json!({"key": "http.response.status_code", "value": {"intValue": "200"}})
        );

        // Trace 4's link, in hex.
        let body = env
            .get(&format!(
                "/jaeger/api/v3/traces/{}",
                trace_hex(4).to_uppercase()
            ))
            .await
            .ok_json();
        let root = spans(&body)
            .into_iter()
            .find(|s| s["name"] == "GET /cart")
            .unwrap();
        assert_eq!(
            root["links"],
            json!([{"traceId": trace_hex(1), "spanId": span_hex(1, 1)}])
        );
        assert_eq!(root["status"], json!({"code": 1}));
    })
    .await;
    assert_v3_error(
        &env.get(&format!("/jaeger/api/v3/traces/{}", "f".repeat(32)))
            .await,
        StatusCode::NOT_FOUND,
        "trace not found",
    );
    assert_v3_error(
        &env.get("/jaeger/api/v3/traces/not-hex").await,
        StatusCode::BAD_REQUEST,
        "malformed trace_id",
    );
    env.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn trace_search() {
    let env = Env::with_dataset().await;
    let window = [
        ("query.start_time_min", "2023-11-14T22:13:20Z"),
        ("query.start_time_max", "2023-11-14T22:14:30.000000000Z"),
    ];
    env.heads_then_blocks(async |env, place| {
        let cases: Vec<Case> = vec![
            (vec![("query.service_name", "frontend")], vec![1, 2, 4, 6]),
            (vec![("query.serviceName", "frontend")], vec![1, 2, 4, 6]),
            (
                vec![
                    ("query.service_name", "frontend"),
                    ("query.search_depth", "1"),
                ],
                vec![6],
            ),
            (
                vec![
                    ("query.service_name", "frontend"),
                    ("query.num_traces", "2"),
                ],
                vec![4, 6],
            ),
            (
                vec![
                    ("query.service_name", "frontend"),
                    ("query.operation_name", "GET /checkout"),
                ],
                vec![2],
            ),
            (
                vec![
                    ("query.service_name", "checkout"),
                    ("query.attributes", r#"{"http.response.status_code":"500"}"#),
                ],
                vec![2],
            ),
            (
                vec![
                    ("query.service_name", "frontend"),
                    ("query.duration_min", "1s"),
                ],
                vec![2],
            ),
            (
                vec![
                    ("query.service_name", "frontend"),
                    ("query.duration_max", "5ms"),
                ],
                vec![6],
            ),
            (
                vec![("query.attributes", r#"{"db.system":"redis"}"#)],
                vec![5],
            ),
        ];
        for (params, expected) in cases {
            let all = [params.as_slice(), window.as_slice()].concat();
            let body = env.get(&uri("/jaeger/api/v3/traces", &all)).await.ok_json();
            let expected: BTreeSet<u8> = expected.into_iter().collect();
            assert_eq!(trace_numbers(&body), expected, "{place}: {params:?}");
        }
        // Whole traces: every span of trace 1 for a search matching one of them.
        let body = env
            .get(&uri(
                "/jaeger/api/v3/traces",
                &[
                    [("query.service_name", "cart")].as_slice(),
                    window.as_slice(),
                ]
                .concat(),
            ))
            .await
            .ok_json();
        assert_eq!(spans(&body).len(), 4, "{place}");
        // No match is a 404.
        assert_v3_error(
            &env.get(&uri(
                "/jaeger/api/v3/traces",
                &[
                    [("query.service_name", "nobody")].as_slice(),
                    window.as_slice(),
                ]
                .concat(),
            ))
            .await,
            StatusCode::NOT_FOUND,
            "no traces found",
        );
    })
    .await;
    for (params, needle) in [
        (
            vec![("query.service_name", "cart")],
            "parameter 'query.start_time_min' is required",
        ),
        (
            vec![
                ("query.service_name", "cart"),
                ("query.start_time_min", "2023-11-14T22:13:20Z"),
            ],
            "parameter 'query.start_time_max' is required",
        ),
        (
            vec![
                ("query.start_time_min", "2023-11-14T22:14:20Z"),
                ("query.start_time_max", "2023-11-14T22:13:20Z"),
            ],
            "must not be before",
        ),
        (
            vec![
                ("query.start_time_min", "yesterday"),
                ("query.start_time_max", "2023-11-14T22:13:20Z"),
            ],
            "invalid query.start_time_min",
        ),
        (
            [
                window.as_slice(),
                &[("query.duration_min", "2s"), ("query.duration_max", "1s")],
            ]
            .concat(),
            "must not be below",
        ),
        (
            [window.as_slice(), &[("query.attributes", "x")]].concat(),
            "malformed 'query.attributes' parameter",
        ),
        (
            [window.as_slice(), &[("query.search_depth", "-1")]].concat(),
            "invalid query.search_depth",
        ),
    ] {
        assert_v3_error(
            &env.get(&uri("/jaeger/api/v3/traces", &params)).await,
            StatusCode::BAD_REQUEST,
            needle,
        );
    }
    env.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn trace_summaries() {
    let env = Env::with_dataset().await;
    env.heads_then_blocks(async |env, place| {
        let params = [
            ("query.service_name", "checkout"),
            ("query.start_time_min", "2023-11-14T22:13:20Z"),
            ("query.start_time_max", "2023-11-14T22:14:30Z"),
        ];
        let body = env
            .get(&uri("/jaeger/api/v3/trace-summaries", &params))
            .await
            .ok_json();
        let t0 = crate::search::tests::BASE + 20 * crate::search::tests::SECOND;
        let ms = crate::search::tests::MS;
        assert_eq!(
            body,
            json!({ "summaries": [{
                "traceId": "a0000000000000000000000000000002",
                "rootServiceName": "frontend",
                "rootOperationName": "GET /checkout",
                "minStartTimeUnixNano": t0.to_string(),
                "maxEndTimeUnixNano": (t0 + 2000 * ms).to_string(),
                "spanCount": 3,
                "errorSpanCount": 3,
                "services": [
                    { "name": "checkout", "spanCount": 2, "errorSpanCount": 2 },
                    { "name": "frontend", "spanCount": 1, "errorSpanCount": 1 },
                ],
            }]}),
            "{place}"
        );
    })
    .await;
}
