//! The real OpenTelemetry SDKs export to the binary: the Python SDK (traces over gRPC and
//! HTTP/protobuf, logs and metrics over gRPC) and the Node SDK (traces as OTLP/JSON). Each script
//! records the exact requests its exporters sent; every trace is read back through
//! `/api/v2/traces/{id}` and compared field by field, and logs and metrics are read back from the
//! blocks the server writes on shutdown.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::time::Duration;

use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest;
use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::trace::v1::ResourceSpans;
use serde_json::Value;

use crate::harness::Server;
use crate::support::*;

pub(crate) fn python() -> PathBuf {
    std::env::var_os("E2E_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(std::env::var("HOME").unwrap()).join(".cache/sightline-venv/bin/python")
        })
}

/// Runs a client script (with a timeout) and returns its RESULT.json.
pub(crate) async fn run_client(
    program: PathBuf,
    args: Vec<String>,
    out: &std::path::Path,
) -> Value {
    assert!(
        program.exists() || program.to_str() == Some("node"),
        "{} is missing: run `bash scripts/test.sh`, which installs the SDK clients",
        program.display()
    );
    let run = tokio::process::Command::new(&program).args(&args).output();
    let output = tokio::time::timeout(Duration::from_secs(120), run)
        .await
        .expect("client finished within 120 s")
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "{} {args:?} failed:\n{stderr}",
        program.display()
    );
    let result: Value = serde_json::from_slice(&std::fs::read(out).unwrap()).unwrap();
    assert_eq!(
        result["sdk_diagnostics"],
        serde_json::json!([]),
        "the SDK logged problems:\n{stderr}"
    );
    result
}

/// The spans of every exported request, grouped back by trace id.
fn trace_ids(requests: &[ExportTraceServiceRequest]) -> BTreeSet<[u8; 16]> {
    requests
        .iter()
        .flat_map(|r| &r.resource_spans)
        .flat_map(|rs| &rs.scope_spans)
        .flat_map(|ss| &ss.spans)
        .map(|s| s.trace_id.clone().try_into().unwrap())
        .collect()
}

/// The exported spans of one trace, as `flatten_spans` lays them out.
fn sent_spans_of(requests: &[ExportTraceServiceRequest], trace_id: &[u8; 16]) -> Vec<String> {
    let all: Vec<ResourceSpans> = requests
        .iter()
        .flat_map(|r| r.resource_spans.clone())
        .collect();
    flatten_spans(&all)
        .into_iter()
        .filter(|(_, _, s)| s.trace_id == trace_id)
        .map(|t| format!("{t:?}"))
        .collect()
}

async fn check_traces_read_back(server: &Server, requests: &[ExportTraceServiceRequest]) -> usize {
    let mut spans = 0;
    for trace_id in trace_ids(requests) {
        let stored = fetch_trace(&server.url(""), &trace_id, None)
            .await
            .expect("exported trace is found");
        let stored: Vec<String> = flatten_spans(&stored)
            .into_iter()
            .map(|t| format!("{t:?}"))
            .collect();
        let sent = sent_spans_of(requests, &trace_id);
        assert_eq!(
            stored,
            sent,
            "trace {} differs from what the SDK sent",
            hex::encode(trace_id)
        );
        spans += sent.len();
    }
    spans
}

fn entries<'a>(result: &'a Value, signal: &str) -> &'a Vec<Value> {
    let entries = result[signal]
        .as_array()
        .unwrap_or_else(|| panic!("no {signal} in {result}"));
    assert!(!entries.is_empty(), "the SDK exported no {signal}");
    for entry in entries {
        assert_eq!(entry["result"], "SUCCESS", "{entry}");
    }
    entries
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn python_sdk_traces_logs_and_metrics_are_stored_exactly() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = Server::start(dir.path(), "").await;
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
    let result = run_client(python(), args, &out).await;

    let traces = entries(&result, "traces");
    let transports: BTreeSet<&str> = traces
        .iter()
        .map(|e| e["transport"].as_str().unwrap())
        .collect();
    assert_eq!(transports, BTreeSet::from(["grpc", "http/protobuf"]));
    let trace_requests: Vec<ExportTraceServiceRequest> = traces
        .iter()
        .map(|e| decode_hex(e["request_hex"].as_str().unwrap()))
        .collect();
    let spans = check_traces_read_back(&server, &trace_requests).await;
    assert!(
        spans >= 10,
        "both providers exported their traces ({spans} spans)"
    );

    let logs: Vec<ExportLogsServiceRequest> = entries(&result, "logs")
        .iter()
        .map(|e| decode_hex(e["request_hex"].as_str().unwrap()))
        .collect();
    let metrics: Vec<ExportMetricsServiceRequest> = entries(&result, "metrics")
        .iter()
        .map(|e| decode_hex(e["request_hex"].as_str().unwrap()))
        .collect();

    assert!(server.terminate().success());
    let data = server.data_dir.join("data");
    let sent_logs: Vec<_> = logs.into_iter().flat_map(|r| r.resource_logs).collect();
    assert_eq!(
        flatten_logs(&stored_logs(&data, "single-tenant").await),
        flatten_logs(&sent_logs)
    );
    let sent_metrics: Vec<_> = metrics
        .into_iter()
        .flat_map(|r| r.resource_metrics)
        .collect();
    assert_eq!(
        flatten_metrics(&stored_metrics(&data, "single-tenant").await),
        flatten_metrics(&sent_metrics)
    );

    // And the spans are still all there after the restart, now from blocks.
    server.restart().await;
    check_traces_read_back(&server, &trace_requests).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn node_sdk_json_traces_are_stored_exactly() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), "").await;
    let out = dir.path().join("node-result.json");
    let args = vec![
        "tests/clients/node_export.mjs".to_string(),
        "--endpoint".into(),
        server.otlp_url("/v1/traces"),
        "--out".into(),
        out.display().to_string(),
    ];
    let result = run_client(PathBuf::from("node"), args, &out).await;
    let traces = entries(&result, "traces");
    assert!(traces.iter().all(|e| e["transport"] == "http/json"));
    let requests: Vec<ExportTraceServiceRequest> = traces
        .iter()
        .map(|e| {
            sightline_proto::json::decode_trace_request(
                e["request_json"].as_str().unwrap().as_bytes(),
            )
            .unwrap()
        })
        .collect();
    let spans = check_traces_read_back(&server, &requests).await;
    assert!(spans >= 3);
    // The exporter really sent JSON over HTTP.
    let metrics = reqwest::get(server.url("/metrics"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains(&format!(
            "sightline_receiver_accepted_spans_total{{transport=\"http\"}} {spans}"
        )),
        "{metrics}"
    );
}
