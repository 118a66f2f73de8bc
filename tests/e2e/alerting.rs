//! Alerting end to end: a gauge exported by the OpenTelemetry Python SDK crosses a rule's
//! threshold; the rule goes pending, then firing; a webhook receiver in the test gets the
//! Alertmanager v4 payload;
//! `/api/v1/alerts`, `/api/v1/rules` and the `ALERTS` series show it; after a kill -9 and a
//! restart the alert is still firing and nobody is notified twice; the gauge falls back, the
//! alert resolves and the receiver gets the resolution. The receiver refuses the first
//! delivery (503), which is retried. A second test creates a LogQL rule over HTTP.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::post;
use prost::Message;
use serde_json::Value;
use sightline_proto::otlp::resource::v1::Resource;

use crate::harness::Server;
use crate::sdk_clients::{python, run_client};
use crate::support::kv;

/// Webhook bodies received, after refusing the first `refuse` deliveries with 503.
#[derive(Default)]
struct Hook {
    bodies: Mutex<Vec<Value>>,
    refuse: Mutex<u32>,
}

async fn receive(State(hook): State<Arc<Hook>>, body: axum::Json<Value>) -> StatusCode {
    let mut refuse = hook.refuse.lock().unwrap();
    if *refuse > 0 {
        *refuse -= 1;
        return StatusCode::SERVICE_UNAVAILABLE;
    }
    hook.bodies.lock().unwrap().push(body.0);
    StatusCode::OK
}

async fn webhook() -> (String, Arc<Hook>) {
    let hook = Arc::new(Hook::default());
    *hook.refuse.lock().unwrap() = 1;
    let app = axum::Router::new()
        .route("/alert", post(receive))
        .with_state(Arc::clone(&hook));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/alert", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (url, hook)
}

/// Sets `queue.depth{queue="emails"}` of service `worker` with the OpenTelemetry Python SDK.
async fn export_depth(server: &Server, dir: &std::path::Path, value: i64) {
    let script =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/clients/python_gauge.py");
    let out = dir.join(format!("gauge-{value}.json"));
    let result = run_client(
        python(),
        vec![
            script.display().to_string(),
            "--http-endpoint".into(),
            format!("http://{}", server.otlp_http),
            "--value".into(),
            value.to_string(),
            "--out".into(),
            out.display().to_string(),
        ],
        &out,
    )
    .await;
    assert_eq!(result["results"], serde_json::json!(["SUCCESS"]));
}

async fn get(server: &Server, path: &str, query: &[(&str, &str)]) -> Value {
    let response = reqwest::Client::new()
        .get(server.url(path))
        .query(query)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200, "{path}");
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["status"], "success", "{path}: {body}");
    body["data"].clone()
}

/// Waits (up to 30 s) until `check` returns something.
/// The first alert of `/api/v1/alerts` once it is firing.
async fn first_alert_firing(server: &Server, what: &str) -> Value {
    eventually(what, async || {
        let alerts = get(server, "/api/v1/alerts", &[]).await;
        let alert = alerts["alerts"].get(0)?.clone();
        (alert["state"] == "firing").then_some(alert)
    })
    .await
}

async fn eventually<T>(what: &str, mut check: impl AsyncFnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Some(found) = check().await {
            return found;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

const RULES: &str = r#"
groups:
  - name: worker
    interval: 1s
    labels:
      team: backend
    rules:
      - alert: QueueBacklog
        expr: queue_depth > 5
        for: 2s
        labels:
          severity: page
        annotations:
          summary: "{{ $labels.queue }} has {{ $value }} waiting"
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rule_fires_notifies_and_resolves() {
    let dir = tempfile::tempdir().unwrap();
    let rules = dir.path().join("rules.yaml");
    std::fs::write(&rules, RULES).unwrap();
    let (hook_url, hook) = webhook().await;
    let config = format!(
        r#"
[alerting]
rule_files = ["{}"]
external_url = "http://sightline.test:3200"
[[alerting.receivers]]
name = "ops"
webhook_url = "{hook_url}"
group_by = ["alertname"]
group_wait = "0s"
group_interval = "1s"
"#,
        rules.display()
    );
    let server = Server::start(&dir.path().join("data"), &config).await;

    // Loaded, not yet evaluated with data.
    let loaded = get(&server, "/api/v1/rules", &[]).await;
    assert_eq!(loaded["groups"][0]["name"], "worker");
    assert_eq!(loaded["groups"][0]["rules"][0]["duration"], 2.0);

    export_depth(&server, dir.path(), 9).await;
    let pending = eventually("a pending alert", async || {
        let alerts = get(&server, "/api/v1/alerts", &[]).await;
        alerts["alerts"].get(0).cloned()
    })
    .await;
    assert_eq!(pending["state"], "pending", "for: 2s holds it first");
    let firing = first_alert_firing(&server, "a firing alert").await;
    assert_eq!(firing["labels"]["alertname"], "QueueBacklog");
    assert_eq!(firing["labels"]["queue"], "emails");
    assert_eq!(firing["labels"]["team"], "backend");
    assert_eq!(firing["labels"]["severity"], "page");
    assert_eq!(firing["annotations"]["summary"], "emails has 9 waiting");
    assert_eq!(firing["value"], "9e+00");

    // The first delivery was refused (503) and retried.
    let body = eventually("the firing notification", async || {
        hook.bodies.lock().unwrap().first().cloned()
    })
    .await;
    assert_eq!(body["version"], "4");
    assert_eq!(body["status"], "firing");
    assert_eq!(body["receiver"], "ops");
    assert_eq!(body["groupKey"], "{}:{alertname=\"QueueBacklog\"}");
    assert_eq!(
        body["groupLabels"],
        serde_json::json!({"alertname": "QueueBacklog"})
    );
    assert_eq!(body["externalURL"], "http://sightline.test:3200");
    let alert = &body["alerts"][0];
    assert_eq!(alert["status"], "firing");
    assert_eq!(alert["labels"]["queue"], "emails");
    assert_eq!(alert["annotations"]["summary"], "emails has 9 waiting");
    assert_eq!(alert["endsAt"], "0001-01-01T00:00:00Z");
    assert_eq!(
        alert["generatorURL"],
        "http://sightline.test:3200/graph?g0.expr=queue_depth+%3E+5&g0.tab=1"
    );
    assert_eq!(alert["fingerprint"].as_str().unwrap().len(), 16);
    assert_eq!(body["commonLabels"]["job"], "worker");
    assert_eq!(body["commonLabels"]["instance"], "worker-1");

    let rules = get(&server, "/api/v1/rules", &[("type", "alert")]).await;
    let rule = &rules["groups"][0]["rules"][0];
    assert_eq!(rule["state"], "firing");
    assert_eq!(rule["health"], "ok");
    let series = get(
        &server,
        "/api/v1/query",
        &[(
            "query",
            r#"ALERTS{alertname="QueueBacklog",alertstate="firing"}"#,
        )],
    )
    .await;
    assert_eq!(series["result"][0]["metric"]["queue"], "emails");

    // Killed (-9) and restarted: the firing alert and what the receiver was told are kept, so
    // there is no second notification.
    let mut server = server;
    server.kill9();
    server.restart().await;
    let after = get(&server, "/api/v1/alerts", &[]).await;
    assert_eq!(after["alerts"][0]["state"], "firing", "restored: {after}");
    assert_eq!(after["alerts"][0]["activeAt"], firing["activeAt"]);
    tokio::time::sleep(Duration::from_secs(3)).await;
    let told = hook.bodies.lock().unwrap().len();
    assert_eq!(told, 1, "notified once across the restart");

    // Back under the threshold: resolved, and the receiver is told.
    export_depth(&server, dir.path(), 1).await;
    let resolved = eventually("the resolved notification", async || {
        let bodies = hook.bodies.lock().unwrap();
        bodies.iter().find(|b| b["status"] == "resolved").cloned()
    })
    .await;
    assert_eq!(resolved["alerts"][0]["status"], "resolved");
    assert_ne!(resolved["alerts"][0]["endsAt"], "0001-01-01T00:00:00Z");
    let alerts = get(&server, "/api/v1/alerts", &[]).await;
    assert_eq!(alerts["alerts"], serde_json::json!([]));
}

async fn export_panic_line(server: &Server) {
    use sightline_proto::otlp::collector::logs::v1::ExportLogsServiceRequest;
    use sightline_proto::otlp::common::v1::{AnyValue, any_value};
    use sightline_proto::otlp::logs::v1::{LogRecord, ResourceLogs, ScopeLogs};
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64;
    let request = ExportLogsServiceRequest {
        resource_logs: vec![ResourceLogs {
            resource: Some(Resource {
                attributes: vec![kv("service.name", "checkout")],
                ..Default::default()
            }),
            scope_logs: vec![ScopeLogs {
                log_records: vec![LogRecord {
                    time_unix_nano: now,
                    severity_text: "ERROR".into(),
                    body: Some(AnyValue {
                        value: Some(any_value::Value::StringValue(
                            "panic: assignment to entry in nil map".into(),
                        )),
                    }),
                    ..Default::default()
                }],
                ..Default::default()
            }],
            ..Default::default()
        }],
    };
    let response = reqwest::Client::new()
        .post(server.otlp_url("/v1/logs"))
        .header("Content-Type", "application/x-protobuf")
        .body(request.encode_to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
}

const LOG_GROUP: &str = r#"
name: checkout-logs
interval: 1s
rules:
  - alert: Panics
    lang: logql
    expr: sum by (service_name) (count_over_time({service_name="checkout"} |= "panic" [5m])) > 0
    annotations:
      summary: "{{ $value }} panics in {{ $labels.service_name }}"
"#;

/// A log rule created over the rule-group API fires; its receiver is down at first (nothing
/// listens on its port) and still gets the notification once it comes up.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_log_rule_created_over_http_reaches_a_receiver_that_comes_up_late() {
    let dir = tempfile::tempdir().unwrap();
    let reserved = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let hook_addr = reserved.local_addr().unwrap();
    drop(reserved);
    let config = format!(
        "[alerting]\nevaluation_interval = \"1s\"\n[[alerting.receivers]]\nname = \"oncall\"\nwebhook_url = \"http://{hook_addr}/alert\"\ngroup_wait = \"0s\"\ngroup_interval = \"1s\"\n"
    );
    let server = Server::start(&dir.path().join("data"), &config).await;
    let client = reqwest::Client::new();

    let bad = client
        .post(server.url("/api/v1/rules/shop"))
        .body("name: broken\nrules:\n  - alert: X\n    expr: sum(\n")
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 400);
    assert!(
        bad.text()
            .await
            .unwrap()
            .contains("could not parse expression")
    );
    let created = client
        .post(server.url("/api/v1/rules/shop"))
        .body(LOG_GROUP)
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 202);
    let file = client
        .get(server.url("/api/v1/rules/shop"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(file.contains("alert: Panics"), "{file}");
    let rules = get(&server, "/api/v1/rules", &[]).await;
    assert_eq!(rules["groups"][0]["name"], "checkout-logs");
    assert!(
        rules["groups"][0]["file"]
            .as_str()
            .unwrap()
            .ends_with("shop.yaml")
    );

    export_panic_line(&server).await;
    let firing = first_alert_firing(&server, "the log rule firing").await;
    assert_eq!(firing["labels"]["service_name"], "checkout");
    assert_eq!(firing["annotations"]["summary"], "1 panics in checkout");

    // Deliveries to the closed port have failed by now; the receiver comes up.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let hook = Arc::new(Hook::default());
    let app = axum::Router::new()
        .route("/alert", post(receive))
        .with_state(Arc::clone(&hook));
    let listener = tokio::net::TcpListener::bind(hook_addr).await.unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    let body = eventually("the delayed notification", async || {
        hook.bodies.lock().unwrap().first().cloned()
    })
    .await;
    assert_eq!(body["receiver"], "oncall");
    assert_eq!(body["alerts"][0]["labels"]["alertname"], "Panics");

    let deleted = client
        .delete(server.url("/api/v1/rules/shop/checkout-logs"))
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status(), 202);
    let rules = get(&server, "/api/v1/rules", &[]).await;
    assert_eq!(rules["groups"], serde_json::json!([]));
    let missing = client
        .get(server.url("/api/v1/rules/shop"))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
}

/// Rule files are reloaded on `POST /-/reload` and on SIGHUP; an invalid file is refused with
/// the reason and the loaded rules stay; at start an invalid file stops the server.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rule_files_reload_on_request_and_on_sighup() {
    let dir = tempfile::tempdir().unwrap();
    let rules = dir.path().join("rules.yaml");
    let write_rule = |name: &str| {
        let text = format!(
            "groups:\n  - name: g\n    rules:\n      - alert: {name}\n        expr: vector(0) > 1\n"
        );
        std::fs::write(&rules, text).unwrap();
    };
    let names = async |server: &Server| -> Vec<String> {
        let data = get(server, "/api/v1/rules", &[]).await;
        data["groups"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|g| g["rules"].as_array().unwrap().clone())
            .map(|r| r["name"].as_str().unwrap().to_string())
            .collect()
    };
    write_rule("First");
    let config = format!("[alerting]\nrule_files = [\"{}\"]\n", rules.display());
    let server = Server::start(&dir.path().join("data"), &config).await;
    assert_eq!(names(&server).await, ["First"]);

    write_rule("Second");
    let client = reqwest::Client::new();
    let reload = client.post(server.url("/-/reload")).send().await.unwrap();
    assert_eq!(reload.status(), 200);
    assert_eq!(names(&server).await, ["Second"]);

    std::fs::write(
        &rules,
        "groups:\n  - name: g\n    rules:\n      - alert: Bad\n        expr: rate(\n",
    )
    .unwrap();
    let reload = client.post(server.url("/-/reload")).send().await.unwrap();
    assert_eq!(reload.status(), 500);
    let reason = reload.text().await.unwrap();
    assert!(reason.contains("could not parse expression"), "{reason}");
    assert_eq!(names(&server).await, ["Second"], "the loaded rules stay");

    write_rule("Third");
    server.sighup();
    eventually("the SIGHUP reload", async || {
        (names(&server).await == ["Third"]).then_some(())
    })
    .await;

    std::fs::write(
        &rules,
        "groups:\n  - name: g\n    rules:\n      - alert: Bad\n",
    )
    .unwrap();
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_sightline"))
        .args(["serve", "--data-dir"])
        .arg(dir.path().join("other"))
        .args([
            "--http-addr",
            "127.0.0.1:0",
            "--otlp-grpc-addr",
            "127.0.0.1:0",
        ])
        .args(["--otlp-http-addr", "127.0.0.1:0", "--rules"])
        .arg(&rules)
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("field 'expr' must be set in rule"),
        "{stderr}"
    );
}

/// A TraceQL rule fires per service with failing spans in the last 5 minutes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_traceql_rule_fires_per_failing_service() {
    use sightline_proto::otlp::trace::v1::Status;
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(
        &dir.path().join("data"),
        "[alerting]\nevaluation_interval = \"1s\"\n",
    )
    .await;
    let group = "name: traces\nrules:\n  - alert: FailingSpans\n    lang: traceql\n    expr: '{ status = error } | count_over_time() by (resource.service.name)'\n";
    let created = reqwest::Client::new()
        .post(server.url("/api/v1/rules/tracing"))
        .body(group)
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 202);

    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64;
    let mut failed = crate::support::span(crate::support::random_trace_id(), 1, "charge");
    failed.start_time_unix_nano = now - 50_000_000;
    failed.end_time_unix_nano = now;
    failed.status = Some(Status {
        code: 2,
        ..Default::default()
    });
    let mut fine = crate::support::span(crate::support::random_trace_id(), 2, "browse");
    fine.start_time_unix_nano = now - 50_000_000;
    fine.end_time_unix_nano = now;
    for request in [
        crate::support::trace_request("payments", vec![failed]),
        crate::support::trace_request("catalog", vec![fine]),
    ] {
        let response = reqwest::Client::new()
            .post(server.otlp_url("/v1/traces"))
            .header("Content-Type", "application/x-protobuf")
            .body(request.encode_to_vec())
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
    }
    let alerts = eventually("the TraceQL alert", async || {
        let alerts = get(&server, "/api/v1/alerts", &[]).await;
        let list = alerts["alerts"].as_array()?.clone();
        (!list.is_empty()).then_some(list)
    })
    .await;
    assert_eq!(alerts.len(), 1, "only the failing service: {alerts:?}");
    assert_eq!(alerts[0]["labels"]["resource_service_name"], "payments");
    assert_eq!(alerts[0]["labels"]["alertname"], "FailingSpans");
    assert_eq!(alerts[0]["state"], "firing");
}
