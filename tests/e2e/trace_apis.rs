//! A known topology exported by the OpenTelemetry Python SDK (`tests/clients/python_topology.py`)
//! is found through TraceQL, the Tempo API and the Jaeger API, and its service map (through the
//! native API and Jaeger's dependencies) is exact: nodes, edges, connection types, request and
//! error counts; before and after a restart (from blocks and stored metrics).

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::harness::Server;
use crate::sdk_clients::{python, run_client};
use crate::support::derived_metrics;

const REQUESTS: usize = 12;
const FAIL_EVERY: usize = 4;

async fn get(server: &Server, path: &str, query: &[(&str, &str)]) -> (u16, Value) {
    let response = reqwest::Client::new()
        .get(server.url(path))
        .query(query)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let text = response.text().await.unwrap();
    let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
    (status, body)
}

fn ids(values: &[Value]) -> BTreeSet<String> {
    values
        .iter()
        .map(|v| v.as_str().unwrap().to_string())
        .collect()
}

/// Tempo's search: trace ids, left-padded back to 32 digits.
async fn tempo_search(server: &Server, q: &str) -> BTreeSet<String> {
    let (status, body) = get(server, "/api/search", &[("q", q), ("limit", "100")]).await;
    assert_eq!(status, 200, "{q}: {body}");
    body["traces"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| format!("{:0>32}", t["traceID"].as_str().unwrap()))
        .collect()
}

/// The service map's edges as (client, server, connection type, requests, failed).
fn edges(map: &Value) -> BTreeSet<(String, String, String, u64, u64)> {
    map["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["source"].as_str().unwrap().to_string(),
                e["target"].as_str().unwrap().to_string(),
                e["connectionType"].as_str().unwrap().to_string(),
                e["requests"].as_u64().unwrap(),
                e["failed"].as_u64().unwrap(),
            )
        })
        .collect()
}

/// The service map's nodes as (name, kind, requests, errors).
fn nodes(map: &Value) -> BTreeSet<(String, String, u64, u64)> {
    map["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| {
            (
                n["name"].as_str().unwrap().to_string(),
                n["kind"].as_str().unwrap().to_string(),
                n["requests"].as_u64().unwrap(),
                n["errors"].as_u64().unwrap(),
            )
        })
        .collect()
}

fn owned<const N: usize>(
    rows: [(&str, &str, &str, u64, u64); N],
) -> BTreeSet<(String, String, String, u64, u64)> {
    rows.iter()
        .map(|(a, b, c, d, e)| (a.to_string(), b.to_string(), c.to_string(), *d, *e))
        .collect()
}

fn expected_edges() -> BTreeSet<(String, String, String, u64, u64)> {
    let n = REQUESTS as u64;
    let failed = (REQUESTS / FAIL_EVERY) as u64;
    owned([
        ("user", "web", "virtual_node", n, 0),
        ("web", "orders", "unset", n, failed),
        ("orders", "shop", "database", n, 0),
        ("orders", "mailer", "messaging_system", n, 0),
    ])
}

fn expected_nodes() -> BTreeSet<(String, String, u64, u64)> {
    let n = REQUESTS as u64;
    let failed = (REQUESTS / FAIL_EVERY) as u64;
    [
        ("mailer", "service", n, 0),
        ("orders", "service", n, failed),
        ("shop", "database", n, 0),
        ("user", "virtual", 0, 0),
        ("web", "service", n, 0),
    ]
    .iter()
    .map(|(a, b, c, d)| (a.to_string(), b.to_string(), *c, *d))
    .collect()
}

/// Polls the service map of the last hour until its edges are complete (the generator stores
/// its counters every second in this test).
async fn settled_service_map(server: &Server, extra: &[(&str, &str)]) -> Value {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let (status, map) = get(server, "/api/ui/service-map", extra).await;
        assert_eq!(status, 200, "{map}");
        if edges(&map) == expected_edges() || Instant::now() > deadline {
            return map;
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
}

async fn check_service_map(server: &Server) {
    let map = settled_service_map(server, &[]).await;
    assert_eq!(edges(&map), expected_edges(), "{map:#}");
    assert_eq!(nodes(&map), expected_nodes(), "{map:#}");
    let orders = map["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["name"] == "orders")
        .unwrap();
    assert_eq!(orders["errorRate"], json!(0.25));
    // orders' SERVER spans take 70 ms: all in span metrics' (64 ms, 128 ms] bucket.
    let p50 = orders["latencySeconds"]["p50"].as_f64().unwrap();
    assert!((0.064..=0.128).contains(&p50), "{orders}");

    // Around one service: its neighbours only.
    let (status, around) = get(server, "/api/ui/service-map", &[("service", "mailer")]).await;
    assert_eq!(status, 200, "{around}");
    let names: BTreeSet<&str> = around["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, BTreeSet::from(["mailer", "orders"]));

    // Jaeger's dependencies: the same edges.
    let (status, body) = get(server, "/jaeger/api/dependencies", &[]).await;
    assert_eq!(status, 200, "{body}");
    let dependencies: BTreeSet<(String, String, u64)> = body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["parent"].as_str().unwrap().to_string(),
                d["child"].as_str().unwrap().to_string(),
                d["callCount"].as_u64().unwrap(),
            )
        })
        .collect();
    let expected: BTreeSet<(String, String, u64)> = expected_edges()
        .into_iter()
        .map(|(c, s, _, n, _)| (c, s, n))
        .collect();
    assert_eq!(dependencies, expected);
}

async fn check_search(server: &Server, all: &BTreeSet<String>, failed: &BTreeSet<String>) {
    // TraceQL through Tempo's search.
    assert_eq!(
        &tempo_search(
            server,
            r#"{ resource.service.name = "orders" && status = error }"#
        )
        .await,
        failed
    );
    assert_eq!(
        &tempo_search(
            server,
            r#"{ resource.service.name = "web" } >> { span.db.system = "postgresql" }"#
        )
        .await,
        all
    );
    assert_eq!(
        &tempo_search(
            server,
            r#"{ kind = producer } > { kind = consumer && resource.service.name = "mailer" }"#
        )
        .await,
        all
    );
    assert_eq!(
        &tempo_search(server, r#"{ trace:rootService = "web" } | count() = 6"#).await,
        all
    );
    // Legacy tag search.
    let (status, body) = get(
        server,
        "/api/search",
        &[("tags", "service.name=mailer"), ("limit", "100")],
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(body["traces"].as_array().unwrap().len(), REQUESTS);

    // TraceQL metrics: one count per orders SERVER span over the last hour.
    let (status, body) = get(
        server,
        "/api/metrics/query",
        &[("q", r#"{ resource.service.name = "orders" && kind = server } | count_over_time() by (status)"#), ("since", "1h")],
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let counts: BTreeSet<(String, u64)> = body["series"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["labels"][0]["value"]["stringValue"]
                    .as_str()
                    .unwrap_or("?")
                    .to_string(),
                s["value"].as_f64().unwrap() as u64,
            )
        })
        .collect();
    let failures = (REQUESTS / FAIL_EVERY) as u64;
    assert_eq!(
        counts,
        BTreeSet::from([
            ("error".to_string(), failures),
            ("unset".to_string(), REQUESTS as u64 - failures)
        ]),
        "{body}"
    );

    // Tag values.
    let (_, body) = get(
        server,
        "/api/v2/search/tag/resource.service.name/values",
        &[],
    )
    .await;
    let services: BTreeSet<&str> = body["tagValues"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["value"].as_str().unwrap())
        .collect();
    assert_eq!(services, BTreeSet::from(["mailer", "orders", "web"]));

    // Jaeger v1: services, operations, search with tags, trace by id.
    let (_, body) = get(server, "/jaeger/api/services", &[]).await;
    assert_eq!(body["data"], json!(["mailer", "orders", "web"]));
    assert_eq!(body["total"], 3);
    let (_, body) = get(
        server,
        "/jaeger/api/operations",
        &[("service", "orders"), ("spanKind", "server")],
    )
    .await;
    assert_eq!(
        body["data"],
        json!([{ "name": "POST /orders", "spanKind": "server" }])
    );
    let (status, body) = get(
        server,
        "/jaeger/api/traces",
        &[
            ("service", "orders"),
            ("tags", r#"{"error":"true"}"#),
            ("lookback", "1h"),
        ],
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let found: BTreeSet<String> = body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| format!("{:0>32}", t["traceID"].as_str().unwrap()))
        .collect();
    assert_eq!(&found, failed);
    let first = failed.iter().next().unwrap();
    let (status, body) = get(server, &format!("/jaeger/api/traces/{first}"), &[]).await;
    assert_eq!(status, 200);
    let trace = &body["data"][0];
    assert_eq!(trace["spans"].as_array().unwrap().len(), 6);
    assert_eq!(trace["processes"].as_object().unwrap().len(), 3);
    let server_span = trace["spans"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| {
            s["operationName"] == "POST /orders"
                && s["tags"]
                    .as_array()
                    .unwrap()
                    .contains(&json!({"key":"span.kind","type":"string","value":"server"}))
        })
        .unwrap();
    assert_eq!(server_span["duration"], 70_000);
    assert!(
        server_span["tags"]
            .as_array()
            .unwrap()
            .contains(&json!({"key":"error","type":"bool","value":true}))
    );

    // Jaeger v3: OTLP JSON with hex ids.
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let (start, end) = ((now - 3600).to_string(), (now + 60).to_string());
    let (status, body) = get(
        server,
        "/jaeger/api/v3/traces",
        &[
            ("query.service_name", "mailer"),
            ("query.start_time_min", &start),
            ("query.start_time_max", &end),
        ],
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let v3_ids: BTreeSet<String> = body["result"]["resourceSpans"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|rs| rs["scopeSpans"].as_array().unwrap())
        .flat_map(|ss| ss["spans"].as_array().unwrap())
        .map(|s| s["traceId"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(&v3_ids, all);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sdk_topology_through_traceql_tempo_jaeger_and_the_service_map() {
    let dir = tempfile::tempdir().unwrap();
    let config = "[metrics_generator]\ncollection_interval_seconds = 1\n";
    let mut server = Server::start(dir.path(), config).await;
    let out = dir.path().join("topology.json");
    let requests = REQUESTS.to_string();
    let fail_every = FAIL_EVERY.to_string();
    let args = vec![
        "tests/clients/python_topology.py".to_string(),
        "--grpc-endpoint".into(),
        server.grpc_endpoint(),
        "--out".into(),
        out.display().to_string(),
        "--requests".into(),
        requests,
        "--fail-every".into(),
        fail_every,
    ];
    let result = run_client(python(), args, &out).await;
    let all = ids(result["trace_ids"].as_array().unwrap());
    let failed = ids(result["failed_trace_ids"].as_array().unwrap());
    assert_eq!(all.len(), REQUESTS);
    assert_eq!(failed.len(), REQUESTS / FAIL_EVERY);

    check_search(&server, &all, &failed).await;
    check_service_map(&server).await;

    // After a restart everything comes from blocks and stored metrics.
    assert!(server.terminate().success());
    let derived = derived_metrics(&server.data_dir.join("data"), "single-tenant").await;
    let names: BTreeSet<String> = derived
        .iter()
        .flat_map(|rm| &rm.scope_metrics)
        .flat_map(|sm| &sm.metrics)
        .map(|m| m.name.clone())
        .collect();
    for name in [
        "traces_service_graph_request_total",
        "traces_service_graph_request_failed_total",
        "traces_service_graph_request_server_seconds",
        "traces_service_graph_request_client_seconds",
        "traces_spanmetrics_calls_total",
        "traces_spanmetrics_latency",
    ] {
        assert!(names.contains(name), "{name} missing from {names:?}");
    }
    server.restart().await;
    check_search(&server, &all, &failed).await;
    check_service_map(&server).await;
}
