//! Metrics exported by the OpenTelemetry Python SDK (`tests/clients/python_export.py`: a
//! counter, an up-down counter, histograms and an observable gauge) are queried back through
//! the Prometheus API with their Prometheus names, labels and values; the span metrics derived
//! from traces are queryable the same way; before and after a restart (from blocks).

use std::time::{Duration, Instant};

use serde_json::Value;

use crate::harness::Server;
use crate::sdk_clients::{python, run_client};

async fn query(server: &Server, promql: &str) -> Vec<Value> {
    let response = reqwest::Client::new()
        .get(server.url("/api/v1/query"))
        .query(&[("query", promql)])
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let body: Value = response.json().await.unwrap();
    assert_eq!(status, 200, "{promql}: {body}");
    assert_eq!(body["status"], "success");
    assert_eq!(body["data"]["resultType"], "vector", "{promql}: {body}");
    body["data"]["result"].as_array().unwrap().clone()
}

/// The single value of an instant query.
async fn value(server: &Server, promql: &str) -> String {
    let result = query(server, promql).await;
    assert_eq!(result.len(), 1, "{promql}: {result:?}");
    result[0]["value"][1].as_str().unwrap().to_string()
}

async fn check(server: &Server, phase: &str) {
    let job = "sightline-e2e/py-metrics-service";
    let ok = query(
        server,
        r#"e2e_requests_total{http_response_status_code="200"}"#,
    )
    .await;
    assert_eq!(ok.len(), 1, "{phase}: {ok:?}");
    let metric = &ok[0]["metric"];
    assert_eq!(metric["__name__"], "e2e_requests_total");
    assert_eq!(metric["job"], job);
    assert_eq!(metric["http_route"], "/api/checkout");
    assert_eq!(ok[0]["value"][1], "3", "{phase}");
    let failed = format!(r#"e2e_requests_total{{job="{job}", error_type="timeout"}}"#);
    assert_eq!(value(server, &failed).await, "1", "{phase}");
    assert_eq!(
        value(server, "sum(e2e_requests_total)").await,
        "4",
        "{phase}"
    );
    assert_eq!(
        value(server, r#"e2e_queue_depth{queue_name="orders"}"#).await,
        "3",
        "{phase}: an up-down counter is a gauge-like sum"
    );
    assert_eq!(
        value(server, "e2e_request_duration_milliseconds_count").await,
        "6",
        "{phase}"
    );
    assert_eq!(
        value(server, "e2e_request_duration_milliseconds_sum").await,
        "490.5",
        "{phase}"
    );
    assert_eq!(
        value(
            server,
            r#"e2e_request_duration_milliseconds_bucket{le="10"}"#
        )
        .await,
        "2",
        "{phase}"
    );
    assert_eq!(
        value(server, r#"e2e_cpu_temperature_celsius{cpu_id="0"}"#).await,
        "61.5",
        "{phase}"
    );
    // The span metrics derived from the SDK's traces are metrics like any other, and their
    // latency histogram's exemplars point at traces.
    let calls = query(server, "sum by (service) (traces_spanmetrics_calls_total)").await;
    assert!(!calls.is_empty(), "{phase}: no span metrics");
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let response = reqwest::Client::new()
        .get(server.url("/api/v1/query_exemplars"))
        .query(&[
            ("query", "traces_spanmetrics_latency_bucket"),
            ("start", &(now - 3600).to_string()),
            ("end", &(now + 60).to_string()),
        ])
        .send()
        .await
        .unwrap();
    let body: Value = response.json().await.unwrap();
    let exemplars: Vec<&Value> = body["data"]
        .as_array()
        .unwrap_or_else(|| panic!("{phase}: {body}"))
        .iter()
        .flat_map(|s| s["exemplars"].as_array().unwrap())
        .collect();
    assert!(!exemplars.is_empty(), "{phase}: no exemplars: {body}");
    for exemplar in exemplars {
        let trace_id = exemplar["labels"]["trace_id"].as_str().unwrap();
        assert_eq!(trace_id.len(), 32, "{phase}: {exemplar}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sdk_metrics_through_promql() {
    let dir = tempfile::tempdir().unwrap();
    let config = "[metrics_generator]\ncollection_interval_seconds = 1\n";
    let mut server = Server::start(dir.path(), config).await;
    let out = dir.path().join("python-result.json");
    let args = vec![
        "tests/clients/python_export.py".to_string(),
        "--grpc-endpoint".into(),
        server.grpc_endpoint(),
        "--http-endpoint".into(),
        format!("http://{}", server.otlp_http),
        "--out".into(),
        out.display().to_string(),
    ];
    run_client(python(), args, &out).await;
    // The derived span metrics are stored every second.
    let deadline = Instant::now() + Duration::from_secs(30);
    while query(&server, "traces_spanmetrics_calls_total")
        .await
        .is_empty()
    {
        assert!(Instant::now() < deadline, "span metrics never appeared");
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    check(&server, "head").await;
    assert!(server.terminate().success());
    server.restart().await;
    check(&server, "blocks").await;
}
