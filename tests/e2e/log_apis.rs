//! Logs exported by the OpenTelemetry Python SDK (`tests/clients/python_logs.py`) are found by
//! word, by label and by trace id through the Loki API (LogQL) and the native log endpoints,
//! first from the head, then after a restart from blocks (with their full-text index).

use std::collections::BTreeSet;

use serde_json::Value;

use crate::harness::Server;
use crate::sdk_clients::{python, run_client};

const ORDERS: usize = 6;

async fn get(server: &Server, path: &str, query: &[(&str, &str)]) -> Value {
    let response = reqwest::Client::new()
        .get(server.url(path))
        .query(query)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let text = response.text().await.unwrap();
    assert_eq!(status, 200, "{path} {query:?}: {text}");
    serde_json::from_str(&text).unwrap()
}

/// Lines of a Loki streams answer, newest first, with their `trace_id` label.
async fn loki_lines(server: &Server, query: &str) -> Vec<(String, String)> {
    let body = get(
        server,
        "/loki/api/v1/query_range",
        &[("query", query), ("since", "1h"), ("limit", "1000")],
    )
    .await;
    assert_eq!(body["data"]["resultType"], "streams");
    let mut lines: Vec<(u64, String, String)> = Vec::new();
    for stream in body["data"]["result"].as_array().unwrap() {
        let trace_id = stream["stream"]["trace_id"]
            .as_str()
            .unwrap_or("")
            .to_string();
        for value in stream["values"].as_array().unwrap() {
            lines.push((
                value[0].as_str().unwrap().parse().unwrap(),
                value[1].as_str().unwrap().to_string(),
                trace_id.clone(),
            ));
        }
    }
    lines.sort_by_key(|line| std::cmp::Reverse(line.0));
    lines.into_iter().map(|(_, line, id)| (line, id)).collect()
}

async fn check(server: &Server, result: &Value, phase: &str) {
    let trace_ids: Vec<&str> = result["trace_ids"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    let span_ids: Vec<&str> = result["span_ids"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    let declined: BTreeSet<&str> = result["declined_trace_ids"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();

    // By word, through LogQL: every declined charge, each with its trace id.
    let found = loki_lines(server, r#"{service_name="payments"} |= "declined""#).await;
    assert_eq!(found.len(), declined.len(), "{phase}: {found:?}");
    let found_ids: BTreeSet<&str> = found.iter().map(|(_, id)| id.as_str()).collect();
    assert_eq!(found_ids, declined, "{phase}");

    // By label: the stream labels Loki derives from OTLP resources and severities.
    let errors = loki_lines(server, r#"{deployment_environment="e2e", level="error"}"#).await;
    assert_eq!(errors.len(), declined.len(), "{phase}");
    let warnings = loki_lines(server, r#"{k8s_namespace_name="billing", level="warn"}"#).await;
    assert_eq!(warnings.len(), 1, "{phase}");
    assert_eq!(
        warnings[0],
        ("settlement batch delayed".to_string(), String::new())
    );
    let all = loki_lines(server, r#"{service_name="payments"}"#).await;
    assert_eq!(all.len(), ORDERS + declined.len() + 1, "{phase}");

    // By trace id: a structured metadata filter, and the native trace-logs endpoint.
    let first = trace_ids[0];
    let by_trace = loki_lines(
        server,
        &format!(r#"{{service_name="payments"}} | trace_id="{first}""#),
    )
    .await;
    assert_eq!(
        by_trace,
        [(
            "charge accepted order=o-0 amount=10".to_string(),
            first.to_string()
        )],
        "{phase}"
    );
    let body = get(server, &format!("/api/ui/traces/{first}/logs"), &[]).await;
    let lines = body["lines"].as_array().unwrap();
    assert_eq!(lines.len(), 1, "{phase}: {body}");
    assert_eq!(lines[0]["spanId"], span_ids[0]);
    assert_eq!(lines[0]["service"], "payments");

    // Native free-text search, newest first, with the ids that link to the trace.
    let body = get(
        server,
        "/api/ui/logs/search",
        &[("q", "INSUFFICIENT_FUNDS"), ("limit", "100")],
    )
    .await;
    let lines = body["lines"].as_array().unwrap();
    assert_eq!(lines.len(), declined.len(), "{phase}: {body}");
    let last_declined = trace_ids
        .iter()
        .rev()
        .find(|id| declined.contains(*id))
        .unwrap();
    assert_eq!(lines[0]["traceId"], *last_declined, "{phase}: newest first");
    assert_eq!(lines[0]["level"], "error");

    // The labels API sees the stream labels.
    let body = get(server, "/loki/api/v1/labels", &[("since", "1h")]).await;
    let labels: BTreeSet<&str> = body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    for label in [
        "service_name",
        "level",
        "deployment_environment",
        "k8s_namespace_name",
    ] {
        assert!(
            labels.contains(label),
            "{phase}: {label} missing from {labels:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sdk_logs_found_by_word_label_and_trace_in_head_and_blocks() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = Server::start(dir.path(), "").await;
    let out = dir.path().join("logs.json");
    let args = vec![
        "tests/clients/python_logs.py".to_string(),
        "--http-endpoint".into(),
        format!("http://{}", server.otlp_http),
        "--out".into(),
        out.display().to_string(),
        "--orders".into(),
        ORDERS.to_string(),
    ];
    let result = run_client(python(), args, &out).await;
    assert!(
        result["results"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r == "SUCCESS"),
        "{result}"
    );
    check(&server, &result, "head").await;

    // A clean stop cuts the head into a block; after the restart lines come from blocks.
    assert!(server.terminate().success());
    let blocks = std::fs::read_dir(server.data_dir.join("data/blocks/single-tenant/logs"))
        .map(|entries| entries.count())
        .unwrap_or(0);
    assert!(blocks >= 1, "no logs block was written");
    server.restart().await;
    check(&server, &result, "blocks").await;
}
