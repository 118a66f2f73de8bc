//! Loki metric queries over the logs dataset: `query_range` answers a matrix, `query` a vector
//! or a scalar, in Loki's shapes (`[<unix seconds>, "<value>"]`), with exact values.

use http::StatusCode;
use serde_json::{Value, json};

use super::{Env, uri};
use crate::logs::tests::{LOG_BASE, S};

fn secs(offset: u64) -> String {
    (LOG_BASE / S + offset).to_string()
}

async fn range(env: &Env, query: &str, start: u64, end: u64, step: &str) -> Value {
    let body = env
        .get(&uri(
            "/loki/api/v1/query_range",
            &[
                ("query", query),
                ("start", &secs(start)),
                ("end", &secs(end)),
                ("step", step),
            ],
        ))
        .await
        .ok_json();
    assert_eq!(body["status"], "success", "{body}");
    assert_eq!(body["data"]["resultType"], "matrix", "{query}: {body}");
    body["data"]["result"].clone()
}

async fn instant(env: &Env, query: &str, at: u64) -> Value {
    let body = env
        .get(&uri(
            "/loki/api/v1/query",
            &[("query", query), ("time", &secs(at))],
        ))
        .await
        .ok_json();
    assert_eq!(body["status"], "success", "{body}");
    body["data"].clone()
}

fn t(offset: u64) -> Value {
    json!(LOG_BASE / S + offset)
}

#[tokio::test]
async fn metric_queries_answer_matrices_vectors_and_scalars() {
    let env = Env::with_logs().await;
    env.heads_then_blocks(async |env: &Env, phase: &str| {
        // Windows are (t - 1m, t]: at 60 s lines 10..60, at 120 s lines 70 and 80.
        let counts = range(env, r#"sum by (service_name) (count_over_time({k8s_namespace_name="shop"}[1m]))"#, 60, 120, "60").await;
        assert_eq!(
            counts,
            json!([
                {"metric": {"service_name": "cart"}, "values": [[t(60), "3"], [t(120), "1"]]},
                {"metric": {"service_name": "checkout"}, "values": [[t(60), "3"], [t(120), "1"]]},
            ]),
            "{phase}"
        );
        let rate = range(env, r#"sum(rate({k8s_namespace_name="shop"}[1m]))"#, 60, 60, "1m").await;
        assert_eq!(rate, json!([{"metric": {}, "values": [[t(60), "0.1"]]}]), "{phase}");

        // Instant queries answer vectors.
        let data = instant(env, r#"sum by (service_name) (sum_over_time({service_name="cart"} | logfmt | unwrap qty [2m]))"#, 120).await;
        assert_eq!(data["resultType"], "vector");
        assert_eq!(data["result"], json!([{"metric": {"service_name": "cart"}, "value": [t(120), "3"]}]), "{phase}");
        let data = instant(env, r#"quantile_over_time(0.5, {service_name="cart"} | logfmt | unwrap duration(latency) [2m]) by (service_name)"#, 120).await;
        assert_eq!(data["result"][0]["value"], json!([t(120), "1.06"]), "{phase}");
        let data = instant(env, r#"avg_over_time({service_name="cart"} | logfmt | unwrap qty [2m]) by (service_name)"#, 120).await;
        assert_eq!(data["result"][0]["value"], json!([t(120), "1.5"]), "{phase}");
        let data = instant(env, r#"topk(1, sum by (level) (count_over_time({k8s_namespace_name="shop"}[2m])))"#, 120).await;
        assert_eq!(data["result"], json!([{"metric": {"level": "info"}, "value": [t(120), "4"]}]), "{phase}");
        let data = instant(env, r#"sum(count_over_time({service_name="checkout"}[2m])) / sum(count_over_time({k8s_namespace_name="shop"}[2m]))"#, 120).await;
        assert_eq!(data["result"][0]["value"], json!([t(120), "0.5"]), "{phase}");
        let data = instant(env, r#"sum by (level) (bytes_over_time({service_name="cart", level="debug"}[2m]))"#, 120).await;
        assert_eq!(data["result"][0]["value"], json!([t(120), "22"]), "{phase}: \"cache miss key=cart:42\"");

        // Grafana's data source health check, and a scalar.
        let data = instant(env, "vector(1)+vector(1)", 120).await;
        assert_eq!(data, json!({"resultType": "vector", "result": [{"metric": {}, "value": [t(120), "2"]}], "stats": data["stats"]}));
        let data = instant(env, "1 + 1", 120).await;
        assert_eq!(data["resultType"], "scalar");
        assert_eq!(data["result"], json!([t(120), "2"]));
    })
    .await;

    // A parser failing on some lines fails a metric query unless the error is filtered out.
    env.get(&uri(
        "/loki/api/v1/query",
        &[
            (
                "query",
                r#"sum(count_over_time({service_name="checkout"} | json [2m]))"#,
            ),
            ("time", &secs(120)),
        ],
    ))
    .await
    .assert_text_error(StatusCode::BAD_REQUEST, "pipeline error");
    let data = instant(
        &env,
        r#"sum(count_over_time({service_name="checkout"} | json | __error__="" [2m]))"#,
        120,
    )
    .await;
    assert_eq!(data["result"][0]["value"], json!([t(120), "2"]));
    env.get(&uri(
        "/loki/api/v1/query_range",
        &[
            ("query", "rate({a=\"b\"}[1m])"),
            ("start", "1"),
            ("end", "100000"),
            ("step", "1"),
        ],
    ))
    .await
    .assert_text_error(StatusCode::BAD_REQUEST, "11,000");
    env.shutdown().await;
}
