//! The web UI is served by the binary: `/` and every page path answer with the app's
//! `index.html` (deep links), its assets with their content types, and unknown API paths stay
//! 404s.

use crate::harness::Server;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_web_ui_is_embedded_and_deep_links_work() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&dir.path().join("data"), "").await;
    let client = reqwest::Client::new();
    let index = client.get(server.url("/")).send().await.unwrap();
    assert_eq!(index.status(), 200);
    assert_eq!(index.headers()["content-type"], "text/html; charset=utf-8");
    let html = index.text().await.unwrap();
    assert!(html.contains(r#"<div id="root"></div>"#), "{html}");
    let script = html
        .split('"')
        .find(|part| part.starts_with("/assets/") && part.ends_with(".js"))
        .unwrap_or_else(|| panic!("no script in {html}"));
    let asset = client.get(server.url(script)).send().await.unwrap();
    assert_eq!(asset.status(), 200);
    assert_eq!(asset.headers()["content-type"], "text/javascript");
    assert!(asset.text().await.unwrap().contains("Sightline"));

    for page in ["/traces?q=%7B%7D&since=3600", "/alerts"] {
        let deep = client.get(server.url(page)).send().await.unwrap();
        assert_eq!(deep.status(), 200, "{page}");
        assert_eq!(deep.text().await.unwrap(), html, "{page} is the app");
    }
    let missing = client.get(server.url("/api/nope")).send().await.unwrap();
    assert_eq!(missing.status(), 404);
    let missing = client
        .get(server.url("/assets/nope.js"))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
}

/// Spans of the big trace: a root, 100 children, 99 grandchildren each.
const BIG_TRACE_SPANS: usize = 10_001;

/// Exports a 10,001-span trace over OTLP/HTTP (in 5 requests, as a batching SDK would) and
/// returns its id and the name of its last span in display order.
async fn export_big_trace(server: &Server) -> (String, String) {
    use crate::support::{random_trace_id, trace_request};
    use opentelemetry_proto::tonic::trace::v1::{Span, Status};
    use prost::Message;
    let trace_id = random_trace_id();
    let base = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64
        - 60_000_000_000;
    let span = |id: u64, parent: u64, name: String, start: u64, duration: u64| Span {
        trace_id: trace_id.to_vec(),
        span_id: id.to_be_bytes().to_vec(),
        parent_span_id: if parent == 0 {
            Vec::new()
        } else {
            parent.to_be_bytes().to_vec()
        },
        name,
        kind: if parent == 0 { 2 } else { 1 },
        start_time_unix_nano: base + start,
        end_time_unix_nano: base + start + duration,
        status: id.is_multiple_of(997).then(|| Status {
            code: 2,
            message: "failed".into(),
        }),
        ..Default::default()
    };
    let mut spans = vec![span(1, 0, "GET /big".into(), 0, 10_000_000_000)];
    for child in 0..100u64 {
        let child_id = 2 + child;
        let start = child * 90_000_000;
        spans.push(span(
            child_id,
            1,
            format!("step-{}", child % 10),
            start,
            80_000_000,
        ));
        for grandchild in 0..99u64 {
            // Few distinct names, as real operations have: each name is a span-metrics series.
            let name = if child == 99 && grandchild == 98 {
                "final-write".to_string()
            } else {
                format!("work-{}", grandchild % 10)
            };
            spans.push(span(
                1_000 + child * 100 + grandchild,
                child_id,
                name,
                start + grandchild * 800_000,
                700_000,
            ));
        }
    }
    assert_eq!(spans.len(), BIG_TRACE_SPANS);
    let client = reqwest::Client::new();
    for part in spans.chunks(2_001) {
        let body = trace_request("bigtrace", part.to_vec()).encode_to_vec();
        let response = client
            .post(server.otlp_url("/v1/traces"))
            .header("content-type", "application/x-protobuf")
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
    }
    (hex::encode(trace_id), "final-write".into())
}

/// Where the browser test leaves its screenshots: `SIGHTLINE_SCREENSHOTS`, else
/// `~/.cache/sightline-screenshots` (kept between CI runs on the machine).
fn screenshots_dir() -> std::path::PathBuf {
    std::env::var_os("SIGHTLINE_SCREENSHOTS")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| {
            std::path::PathBuf::from(std::env::var("HOME").unwrap())
                .join(".cache/sightline-screenshots")
        })
}

/// The pages in a real browser (Debian's chromium driven by playwright-core): the Traces page
/// finds a trace the Python SDK exported, its URL reloads to the same result, the trace opens
/// with one waterfall row per span and folds, the Logs page
/// finds a line the Python SDK logged and links its trace, the Metrics page
/// charts the `ALERTS` series of a firing rule, the Alerts page lists the rule, and the service
/// map shows the services and calls of the exported topology. A 10,001-span trace opens and
/// scrolls to its last row (timings printed). Screenshots of each page are written to
/// [`screenshots_dir`].
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_in_a_real_browser() {
    use crate::sdk_clients::{python, run_client};
    let dir = tempfile::tempdir().unwrap();
    let rules = dir.path().join("rules.yaml");
    std::fs::write(
        &rules,
        "groups:\n  - name: shop\n    rules:\n      - alert: CheckoutErrors\n        expr: vector(1) > 0\n",
    )
    .unwrap();
    let config = format!(
        "[metrics_generator]\ncollection_interval_seconds = 1\n[alerting]\nrule_files = [\"{}\"]\n",
        rules.display()
    );
    let server = Server::start(&dir.path().join("data"), &config).await;
    let out = dir.path().join("topology.json");
    let args = vec![
        "tests/clients/python_topology.py".to_string(),
        "--grpc-endpoint".into(),
        server.grpc_endpoint(),
        "--out".into(),
        out.display().to_string(),
        "--requests".into(),
        "3".into(),
    ];
    let exported = run_client(python(), args, &out).await;
    let trace = exported["trace_ids"][0].as_str().unwrap().to_string();
    let logs_out = dir.path().join("logs.json");
    let args = vec![
        "tests/clients/python_logs.py".to_string(),
        "--http-endpoint".into(),
        format!("http://{}", server.otlp_http),
        "--out".into(),
        logs_out.display().to_string(),
        "--orders".into(),
        "3".into(),
    ];
    run_client(python(), args, &logs_out).await;
    // The same logs again, this time with their spans exported: a trace with logs inline.
    let logs_with_spans_out = dir.path().join("logs-with-spans.json");
    let args = vec![
        "tests/clients/python_logs.py".to_string(),
        "--http-endpoint".into(),
        format!("http://{}", server.otlp_http),
        "--out".into(),
        logs_with_spans_out.display().to_string(),
        "--orders".into(),
        "3".into(),
        "--export-spans".into(),
    ];
    let with_spans = run_client(python(), args, &logs_with_spans_out).await;
    let traced = with_spans["declined_trace_ids"][0]
        .as_str()
        .unwrap()
        .to_string();
    let (big_trace, big_last) = export_big_trace(&server).await;

    // The rule's first evaluation has written ALERTS (and a second has passed, so a range
    // query ending now, in whole seconds, covers it).
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let body: serde_json::Value = reqwest::Client::new()
            .get(server.url("/api/v1/query"))
            .query(&[("query", "ALERTS")])
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        if body["data"]["result"]
            .as_array()
            .is_some_and(|r| !r.is_empty())
        {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "ALERTS never appeared"
        );
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    tokio::time::sleep(std::time::Duration::from_secs(1)).await;

    let shots = screenshots_dir().join("web-ui");
    let run = tokio::process::Command::new("node")
        .arg("ui/e2e/browser.mjs")
        .args(["--url", &server.url("")])
        .arg("--out")
        .arg(&shots)
        .args([
            "--service",
            "web",
            "--trace",
            &trace,
            "--rule",
            "CheckoutErrors",
            "--metric",
            "ALERTS",
            "--log-word",
            "declined",
            "--callee",
            "orders",
            "--big-trace",
            &big_trace,
            "--big-spans",
            &BIG_TRACE_SPANS.to_string(),
            "--big-last",
            &big_last,
            "--traced-log",
            &traced,
        ])
        .output();
    let output = tokio::time::timeout(std::time::Duration::from_secs(120), run)
        .await
        .expect("the browser run finished within 120 s")
        .unwrap();
    if !output.status.success() {
        let log = server.log_text();
        let tail = &log[log.len().saturating_sub(6000)..];
        let metrics = reqwest::get(server.url("/metrics"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let memory: Vec<&str> = metrics
            .lines()
            .filter(|l| l.starts_with("sightline_memory") || l.contains("head"))
            .collect();
        panic!(
            "browser checks failed:\n{}\n{}\nserver memory:\n{}\nserver log (tail):\n{tail}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr),
            memory.join("\n")
        );
    }
    for shot in [
        "traces.png",
        "trace.png",
        "logs.png",
        "metrics.png",
        "alerts.png",
        "service-map.png",
    ] {
        assert!(shots.join(shot).metadata().unwrap().len() > 1000, "{shot}");
    }
    eprintln!("screenshots: {}", shots.display());
    eprintln!("{}", String::from_utf8_lossy(&output.stdout));
}
