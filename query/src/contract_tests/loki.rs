//! Loki's query API: `query_range` with log queries (streams, categorized labels, direction,
//! limit, times), `query`, `labels`, `label/{name}/values`, `series`, errors.

use http::StatusCode;
use serde_json::{Value, json};

use super::{Env, keys, uri};
use crate::logs::tests::{LOG_BASE, S, log_span_hex, log_trace_hex};

fn range() -> Vec<(&'static str, String)> {
    vec![
        ("start", (LOG_BASE - S).to_string()),
        ("end", (LOG_BASE + 100 * S).to_string()),
    ]
}

fn query_uri(path: &str, query: &str, extra: &[(&str, &str)]) -> String {
    let range = range();
    let mut params: Vec<(&str, &str)> = range.iter().map(|(k, v)| (*k, v.as_str())).collect();
    params.push(("query", query));
    params.extend_from_slice(extra);
    uri(path, &params)
}

/// Every `[ts, line]` value of a streams result, in answer order per stream, flattened and
/// sorted newest first.
fn lines(body: &Value) -> Vec<(u64, String)> {
    assert_eq!(body["status"], "success");
    assert_eq!(body["data"]["resultType"], "streams");
    let mut out = Vec::new();
    for stream in body["data"]["result"].as_array().unwrap() {
        assert_eq!(keys(stream), ["stream", "values"]);
        for (name, value) in stream["stream"].as_object().unwrap() {
            assert!(value.is_string(), "label {name} is not a string");
        }
        for value in stream["values"].as_array().unwrap() {
            let ts = value[0].as_str().expect("timestamps are strings");
            out.push((
                ts.parse::<u64>().unwrap(),
                value[1].as_str().unwrap().to_string(),
            ));
        }
    }
    out.sort_by_key(|line| std::cmp::Reverse(line.0));
    out
}

fn at(seconds: u64) -> u64 {
    LOG_BASE + seconds * S
}

#[tokio::test]
async fn log_queries_answer_streams() {
    let env = Env::with_logs().await;
    env.heads_then_blocks(async |env: &Env, phase: &str| {
        let path = "/loki/api/v1/query_range";
        let body = env
            .get(&query_uri(
                path,
                r#"{service_name="checkout"} |= "order""#,
                &[],
            ))
            .await
            .ok_json();
        let found = lines(&body);
        assert_eq!(
            found.iter().map(|l| l.0).collect::<Vec<_>>(),
            [at(60), at(20), at(10), at(0)],
            "{phase}: \"orders\" contains \"order\""
        );
        assert!(body["data"]["stats"]["summary"]["totalLinesProcessed"].is_u64());
        // Without categorized labels a stream carries every label of its line.
        let stream = &body["data"]["result"][0]["stream"];
        assert_eq!(
            keys(stream),
            [
                "deployment_environment",
                "host_name",
                "http_route",
                "k8s_namespace_name",
                "level",
                "service_name",
                "span_id",
                "trace_id"
            ],
            "{phase}"
        );
        assert_eq!(stream["trace_id"], log_trace_hex(1));
        assert_eq!(stream["span_id"], log_span_hex(5));

        // Direction, limit, RFC 3339 times.
        let forward = uri(
            path,
            &[
                ("query", r#"{k8s_namespace_name="shop"}"#),
                ("start", "2023-11-14T22:13:20Z"),
                ("end", "2023-11-14T22:15:00Z"),
                ("direction", "forward"),
                ("limit", "2"),
            ],
        );
        let found = lines(&env.get(&forward).await.ok_json());
        assert_eq!(
            found.iter().map(|l| l.0).collect::<Vec<_>>(),
            [at(10), at(0)],
            "{phase}"
        );

        // Seconds as start/end, a regex selector, a negative filter.
        let seconds = uri(
            path,
            &[
                (
                    "query",
                    r#"{service_name=~"ca.*", level!="debug"} != "item""#,
                ),
                ("start", &(LOG_BASE / S).to_string()),
                ("end", &(LOG_BASE / S + 100).to_string()),
            ],
        );
        let found = lines(&env.get(&seconds).await.ok_json());
        assert_eq!(
            found,
            [(
                at(50),
                "connection refused by upstream 10.0.0.7:5432".to_string()
            )],
            "{phase}"
        );

        // A map body is a JSON line.
        let refund = env
            .get(&query_uri(
                path,
                r#"{service_name="checkout"} |= "refund""#,
                &[],
            ))
            .await
            .ok_json();
        assert_eq!(lines(&refund)[0].1, r#"{"amount":12,"event":"refund"}"#);

        // Structured metadata filters, including the trace id.
        let traced = query_uri(
            path,
            &format!(
                r#"{{service_name="checkout"}} | trace_id="{}""#,
                log_trace_hex(2)
            ),
            &[],
        );
        let found = lines(&env.get(&traced).await.ok_json());
        assert_eq!(
            found.iter().map(|l| l.0).collect::<Vec<_>>(),
            [at(20), at(10)],
            "{phase}"
        );

        // POST with a form body answers the same.
        let range = range();
        let posted = env
            .post_form(
                path,
                &[
                    ("query", r#"{service_name="checkout"} |= "order""#),
                    ("start", &range[0].1),
                    ("end", &range[1].1),
                ],
            )
            .await
            .ok_json();
        assert_eq!(lines(&posted).len(), 4);
    })
    .await;
    env.shutdown().await;
}

#[tokio::test]
async fn categorized_labels_ride_on_each_value() {
    let env = Env::with_logs().await;
    env.heads_then_blocks(async |env: &Env, phase: &str| {
        let query = query_uri(
            "/loki/api/v1/query_range",
            r#"{service_name="cart"} |= "refused""#,
            &[],
        );
        let body = env
            .get_with_header(
                &query,
                "X-Loki-Response-Encoding-Flags",
                "categorize-labels",
            )
            .await
            .ok_json();
        assert_eq!(
            body["data"]["encodingFlags"],
            json!(["categorize-labels"]),
            "{phase}"
        );
        let result = body["data"]["result"].as_array().unwrap();
        assert_eq!(result.len(), 1);
        assert_eq!(
            result[0]["stream"],
            json!({
                "deployment_environment": "dev",
                "k8s_namespace_name": "shop",
                "level": "error",
                "service_name": "cart",
            })
        );
        let value = &result[0]["values"][0];
        assert_eq!(value[0], at(50).to_string());
        assert_eq!(value[2]["structuredMetadata"]["trace_id"], log_trace_hex(3));
        assert_eq!(value[2]["structuredMetadata"]["span_id"], log_span_hex(4));
        assert_eq!(value[2]["structuredMetadata"]["host_name"], "cart-host");
    })
    .await;
    env.shutdown().await;
}

#[tokio::test]
async fn labels_values_and_series() {
    let env = Env::with_logs().await;
    env.heads_then_blocks(async |env: &Env, phase: &str| {
        let range = range();
        let params: Vec<(&str, &str)> = range.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let body = env
            .get(&uri("/loki/api/v1/labels", &params))
            .await
            .ok_json();
        assert_eq!(body["status"], "success");
        assert_eq!(
            body["data"],
            json!([
                "deployment_environment",
                "k8s_namespace_name",
                "level",
                "service_name"
            ]),
            "{phase}"
        );
        let body = env
            .get(&uri("/loki/api/v1/label/level/values", &params))
            .await
            .ok_json();
        assert_eq!(
            body["data"],
            json!(["debug", "error", "info", "warn"]),
            "{phase}"
        );
        let mut selected = params.clone();
        selected.push(("query", r#"{level="error"}"#));
        let body = env
            .get(&uri("/loki/api/v1/label/service_name/values", &selected))
            .await
            .ok_json();
        assert_eq!(body["data"], json!(["cart", "checkout"]), "{phase}");
        let body = env
            .get(&uri("/loki/api/v1/labels", &selected))
            .await
            .ok_json();
        assert_eq!(body["data"].as_array().unwrap().len(), 4);

        let mut series = params.clone();
        series.push(("match[]", r#"{service_name="cart"}"#));
        let body = env
            .get(&uri("/loki/api/v1/series", &series))
            .await
            .ok_json();
        assert_eq!(body["status"], "success");
        let levels: Vec<&str> = body["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| {
                assert_eq!(
                    keys(s),
                    [
                        "deployment_environment",
                        "k8s_namespace_name",
                        "level",
                        "service_name"
                    ]
                );
                s["level"].as_str().unwrap()
            })
            .collect();
        assert_eq!(levels, ["debug", "error", "info"], "{phase}");

        // An empty range has no labels.
        let empty = env
            .get(&uri("/loki/api/v1/labels", &[("start", "1"), ("end", "2")]))
            .await
            .ok_json();
        assert_eq!(empty["data"], json!([]));
    })
    .await;
    env.shutdown().await;
}

#[tokio::test]
async fn bad_requests_are_400_with_the_reason() {
    let env = Env::with_logs().await;
    let path = "/loki/api/v1/query_range";
    env.get(&query_uri(path, r#"{service_name="checkout"} |= "#, &[]))
        .await
        .assert_text_error(StatusCode::BAD_REQUEST, "parse error at line 1, column ");
    env.get(&query_uri(
        path,
        r#"{service_name="checkout"}"#,
        &[("limit", "5001")],
    ))
    .await
    .assert_text_error(StatusCode::BAD_REQUEST, "max entries limit");
    env.get(&query_uri(
        path,
        r#"{service_name="checkout"}"#,
        &[("direction", "up")],
    ))
    .await
    .assert_text_error(StatusCode::BAD_REQUEST, "invalid direction");
    env.get(&uri(path, &[("query", r#"{a="b"}"#), ("start", "soon")]))
        .await
        .assert_text_error(StatusCode::BAD_REQUEST, "invalid start");
    env.get(&uri(path, &[]))
        .await
        .assert_text_error(StatusCode::BAD_REQUEST, "query parameter is required");
    env.get(&query_uri(
        "/loki/api/v1/query",
        r#"{service_name="checkout"}"#,
        &[],
    ))
    .await
    .assert_text_error(
        StatusCode::BAD_REQUEST,
        "log queries are not supported as an instant query",
    );
    env.get(&uri("/loki/api/v1/series", &[]))
        .await
        .assert_text_error(StatusCode::BAD_REQUEST, "match[]");
    env.get(&uri(
        "/loki/api/v1/labels",
        &[("query", "rate({a=\"b\"}[1m])")],
    ))
    .await
    .assert_text_error(StatusCode::BAD_REQUEST, "stream selector");
    env.shutdown().await;
}

#[tokio::test]
async fn logs_are_per_tenant_and_an_empty_store_answers_empty_lists() {
    let mut env = Env::with_logs().await;
    env.app = crate::router(crate::QueryState {
        store: env.store.clone(),
        multitenancy_enabled: true,
    });
    let query = query_uri("/loki/api/v1/query_range", r#"{service_name="cart"}"#, &[]);
    for path in [
        query.as_str(),
        "/loki/api/v1/labels",
        "/loki/api/v1/label/level/values",
        "/api/ui/logs/search",
    ] {
        env.get(path)
            .await
            .assert_text_error(StatusCode::UNAUTHORIZED, "");
    }
    let mine = env.get_as(&query, "single-tenant").await.ok_json();
    assert_eq!(lines(&mine).len(), 4);
    let theirs = env.get_as(&query, "other").await.ok_json();
    assert_eq!(theirs["data"]["result"], json!([]));
    let labels = env.get_as("/loki/api/v1/labels", "other").await.ok_json();
    assert_eq!(labels["data"], json!([]));
    env.shutdown().await;

    let empty = Env::empty().await;
    let body = empty.get(&query).await.ok_json();
    assert_eq!(body["data"]["result"], json!([]));
    let series = uri("/loki/api/v1/series", &[("match[]", r#"{a="b"}"#)]);
    assert_eq!(empty.get(&series).await.ok_json()["data"], json!([]));
    let metric = query_uri("/loki/api/v1/query_range", r#"sum(rate({a="b"}[1m]))"#, &[]);
    assert_eq!(
        empty.get(&metric).await.ok_json()["data"]["result"],
        json!([])
    );
    empty.shutdown().await;
}
