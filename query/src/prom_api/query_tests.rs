//! Contract tests of `/api/v1/query` and `/api/v1/query_range` over the dataset of
//! [`super::tests`]: result types, value and time formats, errors; from heads and from blocks.

use serde_json::{Value, json};

use super::tests::{Env, SECOND, T0, T1};

fn secs(ns: u64) -> String {
    (ns / SECOND).to_string()
}

fn t(ns: u64) -> Value {
    json!(ns / SECOND)
}

/// `(metric labels, value)` pairs of a vector result, for the labels named in `keep`.
fn vector(data: &Value, keep: &[&str]) -> Vec<(Value, String)> {
    assert_eq!(data["resultType"], "vector", "{data}");
    data["result"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            let labels: serde_json::Map<String, Value> = keep
                .iter()
                .filter_map(|k| s["metric"].get(*k).map(|v| (k.to_string(), v.clone())))
                .collect();
            assert!(s["value"][0].is_number());
            (
                Value::Object(labels),
                s["value"][1].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

async fn check(env: &Env, place: &str) {
    let at_t1 = secs(T1);
    let query = |q: &'static str, time: &str| {
        let time = time.to_string();
        async move {
            env.data("/api/v1/query", &[("query", q), ("time", &time)], place)
                .await
        }
    };
    let data = query("system_memory_usage_bytes", &at_t1).await;
    assert_eq!(
        vector(&data, &["__name__", "state"]),
        [(
            json!({"__name__": "system_memory_usage_bytes", "state": "used"}),
            "200".to_string()
        )],
        "{place}"
    );
    assert_eq!(data["result"][0]["value"][0], t(T1));
    let data = query("sum by (job) (http_server_requests_total)", &at_t1).await;
    assert_eq!(
        vector(&data, &["job"]),
        [
            (json!({"job": "cart"}), "15".to_string()),
            (json!({"job": "checkout"}), "7".to_string())
        ],
        "{place}"
    );
    let data = query("sum(http_server_requests_total) * 2", &at_t1).await;
    assert_eq!(
        vector(&data, &[]),
        [(json!({}), "44".to_string())],
        "{place}"
    );
    let data = query(
        "histogram_quantile(0.5, http_server_duration_seconds_bucket)",
        &secs(T0),
    )
    .await;
    assert_eq!(vector(&data, &[])[0].1, "0.5", "{place}");
    let data = query("1 + 1", &at_t1).await;
    assert_eq!(
        data,
        json!({"resultType": "scalar", "result": [t(T1), "2"]})
    );

    let range = env
        .data(
            "/api/v1/query_range",
            &[
                ("query", "system_memory_usage_bytes"),
                ("start", &secs(T0)),
                ("end", &at_t1),
                ("step", "5s"),
            ],
            place,
        )
        .await;
    assert_eq!(range["resultType"], "matrix");
    assert_eq!(
        range["result"][0]["metric"]["__name__"],
        "system_memory_usage_bytes"
    );
    assert_eq!(
        range["result"][0]["values"],
        json!([[t(T0), "100"], [t(T0 + 5 * SECOND), "100"], [t(T1), "200"]]),
        "{place}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn queries_answer_in_prometheus_shapes() {
    let env = Env::new(false).await;
    check(&env, "heads").await;
    env.store.flush().await.unwrap();
    check(&env, "blocks").await;

    assert!(env.bad("/api/v1/query", &[]).await.contains("query"));
    assert!(
        env.bad("/api/v1/query", &[("query", "sum(")])
            .await
            .contains("invalid parameter \"query\"")
    );
    let start = secs(T0);
    assert!(
        env.bad(
            "/api/v1/query_range",
            &[("query", "up"), ("start", &start), ("end", &start)]
        )
        .await
        .contains("step")
    );
    assert!(
        env.bad(
            "/api/v1/query_range",
            &[
                ("query", "up"),
                ("start", &start),
                ("end", &start),
                ("step", "0")
            ]
        )
        .await
        .contains("step")
    );
    assert!(
        env.bad(
            "/api/v1/query_range",
            &[
                ("query", "up"),
                ("start", "0"),
                ("end", &start),
                ("step", "1")
            ]
        )
        .await
        .contains("11,000")
    );
    let reply = env
        .get(
            "/api/v1/query",
            &[("query", r#"label_replace(up, "1bad", "x", "", "")"#)],
        )
        .await;
    assert!(reply.status.is_client_error(), "{}", reply.json);
    assert_eq!(reply.json["status"], "error");
}
