//! A real Alertmanager (Debian's `prometheus-alertmanager`, started here on loopback) as the
//! receiver: Sightline pushes the firing alert to its `/api/v2/alerts`, Alertmanager lists it
//! and its own webhook delivers it onward to a receiver in the test.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::post;
use serde_json::Value;

use crate::harness::Server;

fn alertmanager_bin() -> PathBuf {
    let path = std::env::var_os("E2E_ALERTMANAGER")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/usr/bin/prometheus-alertmanager"));
    assert!(
        path.exists(),
        "{} is missing: `apt-get install prometheus-alertmanager` (bash scripts/test.sh does)",
        path.display()
    );
    path
}

/// A running Alertmanager, killed when dropped.
struct Alertmanager {
    child: Child,
    url: String,
}

impl Drop for Alertmanager {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

async fn start_alertmanager(dir: &std::path::Path, webhook: &str) -> Alertmanager {
    let config = dir.join("alertmanager.yml");
    std::fs::write(
        &config,
        format!(
            "route:\n  receiver: hook\n  group_by: [alertname]\n  group_wait: 0s\n  group_interval: 1s\n  repeat_interval: 1h\nreceivers:\n  - name: hook\n    webhook_configs:\n      - url: {webhook}\n        send_resolved: true\n"
        ),
    )
    .unwrap();
    let port = free_port();
    let log = std::fs::File::create(dir.join("alertmanager.log")).unwrap();
    let child = Command::new(alertmanager_bin())
        .arg(format!("--config.file={}", config.display()))
        .arg(format!("--storage.path={}", dir.join("am-data").display()))
        .arg(format!("--web.listen-address=127.0.0.1:{port}"))
        .arg("--cluster.listen-address=")
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .unwrap();
    let am = Alertmanager {
        child,
        url: format!("http://127.0.0.1:{port}"),
    };
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let ready = reqwest::get(format!("{}/-/ready", am.url)).await;
        if ready.is_ok_and(|r| r.status().is_success()) {
            return am;
        }
        assert!(
            Instant::now() < deadline,
            "alertmanager did not start: {}",
            std::fs::read_to_string(dir.join("alertmanager.log")).unwrap_or_default()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn receive(
    State(bodies): State<Arc<Mutex<Vec<Value>>>>,
    body: axum::Json<Value>,
) -> StatusCode {
    bodies.lock().unwrap().push(body.0);
    StatusCode::OK
}

const RULES: &str = r#"
groups:
  - name: always
    interval: 1s
    rules:
      - alert: AlwaysFiring
        expr: vector(1) > 0
        labels: { severity: page }
        annotations: { summary: "value {{ $value }}" }
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn alerts_reach_a_real_alertmanager_and_its_webhook() {
    let dir = tempfile::tempdir().unwrap();
    let bodies = Arc::new(Mutex::new(Vec::new()));
    let app = axum::Router::new()
        .route("/alert", post(receive))
        .with_state(Arc::clone(&bodies));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let hook = format!("http://{}/alert", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    let am = start_alertmanager(dir.path(), &hook).await;

    let rules = dir.path().join("rules.yaml");
    std::fs::write(&rules, RULES).unwrap();
    let config = format!(
        "[alerting]\nrule_files = [\"{}\"]\nexternal_url = \"http://sightline.test:3200\"\n[[alerting.receivers]]\nname = \"am\"\nalertmanager_url = \"{}\"\n",
        rules.display(),
        am.url
    );
    let _server = Server::start(&dir.path().join("data"), &config).await;

    let deadline = Instant::now() + Duration::from_secs(30);
    let body = loop {
        if let Some(body) = bodies.lock().unwrap().first().cloned() {
            break body;
        }
        assert!(
            Instant::now() < deadline,
            "Alertmanager's webhook never came"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert_eq!(body["version"], "4");
    assert_eq!(body["receiver"], "hook");
    assert_eq!(body["status"], "firing");
    let alert = &body["alerts"][0];
    assert_eq!(alert["labels"]["alertname"], "AlwaysFiring");
    assert_eq!(alert["labels"]["severity"], "page");
    assert_eq!(alert["annotations"]["summary"], "value 1");
    assert_eq!(
        alert["generatorURL"],
        "http://sightline.test:3200/graph?g0.expr=vector%281%29+%3E+0&g0.tab=1"
    );

    let listed: Value = reqwest::get(format!("{}/api/v2/alerts", am.url))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(listed[0]["labels"]["alertname"], "AlwaysFiring");
    assert_eq!(listed[0]["status"]["state"], "active");
}
