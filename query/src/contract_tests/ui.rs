//! The native UI API (`/api/ui/service-map`, `/api/ui/traces/{id}/waterfall`) and Jaeger's
//! `/jaeger/api/dependencies`, the last two over the metrics the collector derives from the
//! dataset at ingest.

use std::sync::Arc;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use http::StatusCode;
use serde_json::{Value, json};
use sightline_collector::derived::{DerivedMetrics, DerivedMetricsConfig};
use sightline_collector::generator::store_derived_metrics;
use sightline_storage::TenantId;

use super::*;
use crate::search::tests::dataset;

const HOUR_S: u64 = 3600;

fn now_s() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// Derives the service graph and span metrics of the dataset, as the collector does at ingest,
/// and stores them (stamped with the current time).
async fn store_derived(env: &Env) {
    let derived = Arc::new(DerivedMetrics::new(DerivedMetricsConfig::default()));
    derived.observe(&TenantId::single_tenant(), &dataset(), Instant::now());
    let points = store_derived_metrics(&derived, &env.store).await.unwrap();
    assert!(points > 0);
}

fn node(name: &str, kind: &str, requests: u64, errors: u64) -> (String, String, u64, u64) {
    (name.into(), kind.into(), requests, errors)
}

fn edge(
    source: &str,
    target: &str,
    kind: &str,
    requests: u64,
    failed: u64,
) -> (String, String, String, u64, u64) {
    (source.into(), target.into(), kind.into(), requests, failed)
}

/// The service map over one hour up to a minute from now.
async fn service_map(env: &Env, extra: &[(&str, &str)]) -> Value {
    let end = (now_s() + 60).to_string();
    let start = (now_s() + 60 - HOUR_S).to_string();
    let params = [
        [("start", start.as_str()), ("end", end.as_str())].as_slice(),
        extra,
    ]
    .concat();
    env.get(&uri("/api/ui/service-map", &params))
        .await
        .ok_json()
}

fn node_rows(map: &Value) -> Vec<(String, String, u64, u64)> {
    map["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| {
            assert_eq!(
                keys(n),
                [
                    "errorRate",
                    "errors",
                    "id",
                    "kind",
                    "latencySeconds",
                    "name",
                    "requestRate",
                    "requests"
                ]
            );
            assert_eq!(n["id"], n["name"]);
            assert_eq!(keys(&n["latencySeconds"]), ["p50", "p95", "p99"]);
            let requests = n["requests"].as_u64().unwrap();
            assert_close(&n["requestRate"], requests as f64 / HOUR_S as f64);
            (
                n["name"].as_str().unwrap().to_string(),
                n["kind"].as_str().unwrap().to_string(),
                requests,
                n["errors"].as_u64().unwrap(),
            )
        })
        .collect()
}

fn edge_rows(map: &Value) -> Vec<(String, String, String, u64, u64)> {
    map["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            assert_eq!(
                keys(e),
                [
                    "connectionType",
                    "errorRate",
                    "failed",
                    "latencySeconds",
                    "requestRate",
                    "requests",
                    "source",
                    "target"
                ]
            );
            let requests = e["requests"].as_u64().unwrap();
            let failed = e["failed"].as_u64().unwrap();
            assert_close(&e["errorRate"], failed as f64 / requests as f64);
            (
                e["source"].as_str().unwrap().to_string(),
                e["target"].as_str().unwrap().to_string(),
                e["connectionType"].as_str().unwrap().to_string(),
                requests,
                failed,
            )
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn service_map_from_derived_metrics() {
    let env = Env::with_dataset().await;
    store_derived(&env).await;
    env.heads_then_blocks(async |env, place| {
        let map = service_map(env, &[]).await;
        assert_eq!(keys(&map), ["edges", "end", "nodes", "start"]);
        let end = (now_s() + 60) * SECOND;
        let map_end: u64 = map["end"].as_str().unwrap().parse().unwrap();
        assert!(map_end.abs_diff(end) <= 2 * SECOND, "{place}");
        assert_eq!(map["start"], u64_string(map_end - HOUR_S * SECOND));
        assert_eq!(
            node_rows(&map),
            [
                node("ad", "service", 1, 0),
                node("cart", "service", 1, 0),
                node("checkout", "service", 1, 1),
                node("email", "service", 0, 0),
                node("frontend", "service", 3, 1),
                node("postgresql", "database", 1, 1),
                node("recommendation", "service", 1, 0),
                node("redis", "database", 1, 0),
                node("user", "virtual", 0, 0),
            ],
            "{place}"
        );
        assert_eq!(
            edge_rows(&map),
            [
                edge("ad", "redis", "database", 1, 0),
                edge("cart", "postgresql", "database", 1, 1),
                edge("frontend", "cart", "unset", 1, 0),
                edge("frontend", "recommendation", "messaging_system", 1, 0),
                edge("user", "frontend", "virtual_node", 3, 1),
            ],
            "{place}"
        );
        let nodes = map["nodes"].as_array().unwrap();
        // No requests, no latency: null quantiles.
        let user = nodes.iter().find(|n| n["name"] == "user").unwrap();
        assert_eq!(
            user["latencySeconds"],
            json!({"p50": null, "p95": null, "p99": null})
        );
        assert_eq!(user["errorRate"], json!(0.0));
        // Latency quantiles interpolate in the histogram buckets (seconds).
        let edges = map["edges"].as_array().unwrap();
        // frontend -> cart: one 58 ms server span in the (0.032, 0.064] bucket.
        assert_close(&edges[2]["latencySeconds"]["p50"], 0.048);
        assert_close(&edges[2]["latencySeconds"]["p99"], 0.032 + 0.032 * 0.99);
        // user -> frontend: 50 ms in (0.032, 0.064], 100 ms in (0.064, 0.128], 2 s in
        // (1.024, 2.048].
        assert_close(&edges[4]["latencySeconds"]["p50"], 0.096);
        assert_close(&edges[4]["latencySeconds"]["p95"], 1.024 + 1.024 * 0.85);
        // frontend's own SERVER spans (span-metrics buckets): 50 ms in (0.032, 0.064],
        // 100 ms in (0.064, 0.128], 2 s in (1.024, 2.048].
        let frontend = nodes.iter().find(|n| n["name"] == "frontend").unwrap();
        assert_close(&frontend["latencySeconds"]["p50"], 0.096);
        assert_close(&frontend["errorRate"], 1.0 / 3.0);

        // Around one service.
        let around = service_map(env, &[("service", "cart")]).await;
        let names: Vec<String> = node_rows(&around).into_iter().map(|n| n.0).collect();
        assert_eq!(names, ["cart", "frontend", "postgresql"], "{place}");
        assert_eq!(around["edges"].as_array().unwrap().len(), 2);
        let around = service_map(env, &[("service", "cart"), ("depth", "2")]).await;
        let names: Vec<String> = node_rows(&around).into_iter().map(|n| n.0).collect();
        assert_eq!(
            names,
            ["cart", "frontend", "postgresql", "recommendation", "user"],
            "{place}"
        );

        // The dataset's own (2023) time range has no derived points.
        let old = env
            .get(&uri(
                "/api/ui/service-map",
                &[
                    ("start", &BASE_S.to_string()),
                    ("end", &(BASE_S + 70).to_string()),
                ],
            ))
            .await
            .ok_json();
        assert_eq!(
            (old["nodes"].clone(), old["edges"].clone()),
            (json!([]), json!([]))
        );
    })
    .await;
    env.get("/api/ui/service-map?start=20&end=10")
        .await
        .assert_text_error(StatusCode::BAD_REQUEST, "end must not be before start");
    env.get("/api/ui/service-map?end=tomorrow")
        .await
        .assert_text_error(StatusCode::BAD_REQUEST, "invalid end");
    let reply = env.get("/api/ui/service-map?depth=-1").await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    env.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn jaeger_dependencies_from_derived_metrics() {
    let env = Env::with_dataset().await;
    store_derived(&env).await;
    let end_ms = ((now_s() + 60) * 1_000).to_string();
    env.heads_then_blocks(async |env, place| {
        let body = env
            .get(&uri(
                "/jaeger/api/dependencies",
                &[("endTs", &end_ms), ("lookback", "3600000")],
            ))
            .await
            .ok_json();
        assert_eq!(keys(&body), ["data", "errors", "limit", "offset", "total"]);
        assert_eq!(body["errors"], Value::Null);
        assert_eq!(body["total"], json!(0));
        assert_eq!(
            body["data"],
            json!([
                {"parent": "ad", "child": "redis", "callCount": 1},
                {"parent": "cart", "child": "postgresql", "callCount": 1},
                {"parent": "frontend", "child": "cart", "callCount": 1},
                {"parent": "frontend", "child": "recommendation", "callCount": 1},
                {"parent": "user", "child": "frontend", "callCount": 3}
            ]),
            "{place}"
        );
        // The default window is the last 24 hours.
        let default = env.get("/jaeger/api/dependencies").await.ok_json();
        assert_eq!(default["data"], body["data"], "{place}");
        let cart = env
            .get(&uri(
                "/jaeger/api/dependencies",
                &[("endTs", &end_ms), ("service", "cart")],
            ))
            .await
            .ok_json();
        assert_eq!(
            cart["data"],
            json!([
                {"parent": "cart", "child": "postgresql", "callCount": 1},
                {"parent": "frontend", "child": "cart", "callCount": 1}
            ])
        );
        // endTs and lookback are milliseconds: a window ending in 2023 is empty.
        let old = env
            .get(&uri(
                "/jaeger/api/dependencies",
                &[
                    ("endTs", &((BASE / MS) + 70_000).to_string()),
                    ("lookback", "3600000"),
                ],
            ))
            .await
            .ok_json();
        assert_eq!(old["data"], json!([]));
    })
    .await;
    let reply = env.get("/jaeger/api/dependencies?endTs=soon").await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert_eq!(reply.json()["errors"][0]["code"], json!(400));
    let reply = env.get("/jaeger/api/dependencies?lookback=-5").await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    env.shutdown().await;
}

fn waterfall_rows(body: &Value) -> Vec<(String, usize, bool)> {
    body["spans"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["spanID"].as_str().unwrap().to_string(),
                s["depth"].as_u64().unwrap() as usize,
                s["expanded"].as_bool().unwrap(),
            )
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn waterfall_get_and_post() {
    let env = Env::with_dataset().await;
    env.heads_then_blocks(async |env, place| {
        let path = format!("/api/ui/traces/{}/waterfall", trace_hex(1));
        let body = env.get(&path).await.ok_json();
        assert_eq!(
            keys(&body),
            [
                "criticalSpanCount",
                "endTimeUnixNano",
                "offset",
                "spanCount",
                "spans",
                "startTimeUnixNano",
                "traceID",
                "visibleCount"
            ]
        );
        assert_eq!(body["traceID"], trace_hex(1));
        assert_eq!(body["spanCount"], json!(4));
        assert_eq!(body["visibleCount"], json!(4));
        assert_eq!(body["offset"], json!(0));
        assert_eq!(body["startTimeUnixNano"], u64_string(span_start(1, 0)));
        assert_eq!(body["endTimeUnixNano"], u64_string(span_start(1, 100)));
        assert_eq!(
            body["spans"][3],
            json!({
                "spanID": span_hex(1, 4), "parentSpanID": span_hex(1, 3), "name": "SELECT carts",
                "serviceName": "cart", "kind": "client", "status": "error",
                "startTimeUnixNano": span_start(1, 10).to_string(),
                "durationNanos": (20 * MS).to_string(),
                "depth": 3, "childCount": 0, "expanded": true,
                "critical": true, "criticalSegments": [[10 * MS, 30 * MS]]
            }),
            "{place}"
        );
        assert_eq!(body["spans"][0]["parentSpanID"], Value::Null);
        assert_eq!(body["spans"][0]["childCount"], json!(1));
        let all = waterfall_rows(&body);
        assert_eq!(
            all,
            [
                (span_hex(1, 1), 0, true),
                (span_hex(1, 2), 1, true),
                (span_hex(1, 3), 2, true),
                (span_hex(1, 4), 3, true)
            ],
            "{place}"
        );

        // Collapsing hides the subtree; offset/limit page through the visible rows.
        let collapsed = env
            .get(&format!("{path}?collapsed={}", span_hex(1, 2)))
            .await
            .ok_json();
        assert_eq!(collapsed["visibleCount"], json!(2));
        assert_eq!(
            waterfall_rows(&collapsed),
            [(span_hex(1, 1), 0, true), (span_hex(1, 2), 1, false)]
        );
        let page = env.get(&format!("{path}?offset=1&limit=2")).await.ok_json();
        assert_eq!(page["offset"], json!(1));
        assert_eq!(page["visibleCount"], json!(4));
        assert_eq!(waterfall_rows(&page), all[1..3].to_vec());

        // POST takes the same request as JSON.
        let posted = env
            .post_json(&path, &json!({"expandDepth": 1}))
            .await
            .ok_json();
        assert_eq!(
            waterfall_rows(&posted),
            [(span_hex(1, 1), 0, true), (span_hex(1, 2), 1, false)],
            "{place}"
        );
        let posted = env
            .post_json(
                &path,
                &json!({"expanded": [span_hex(1, 1), span_hex(1, 2)], "offset": 2}),
            )
            .await
            .ok_json();
        assert_eq!(posted["visibleCount"], json!(3));
        assert_eq!(
            waterfall_rows(&posted),
            [(span_hex(1, 3), 2, false)],
            "{place}"
        );

        // The minimap overview, search within the trace and locating a folded span.
        let found = env
            .get(&format!(
                "{path}?overview=2&search=carts&locate={}&collapsed={}",
                span_hex(1, 4),
                span_hex(1, 3)
            ))
            .await
            .ok_json();
        assert_eq!(found["overview"].as_array().unwrap().len(), 2, "{place}");
        assert_eq!(
            keys(&found["overview"][0]),
            ["critical", "endNanos", "error", "row", "rows", "startNanos"]
        );
        assert_eq!(found["overview"][1]["rows"], json!(1));
        assert_eq!(
            found["search"],
            json!({"rows": [], "total": 1, "hidden": 1})
        );
        assert_eq!(found["located"]["row"], Value::Null);
        assert_eq!(
            found["located"]["ancestors"],
            json!([span_hex(1, 1), span_hex(1, 2), span_hex(1, 3)])
        );

        // One span's details.
        let details = env
            .get(&format!(
                "/api/ui/traces/{}/spans/{}",
                trace_hex(1),
                span_hex(1, 4)
            ))
            .await
            .ok_json();
        assert_eq!(
            keys(&details),
            [
                "attributes",
                "droppedAttributesCount",
                "droppedEventsCount",
                "droppedLinksCount",
                "durationNanos",
                "endTimeUnixNano",
                "events",
                "kind",
                "links",
                "name",
                "parentSpanID",
                "resource",
                "scope",
                "spanID",
                "startTimeUnixNano",
                "status",
                "traceID",
                "traceState"
            ]
        );
        assert_eq!(details["name"], "SELECT carts", "{place}");
        assert_eq!(details["kind"], "client");
        assert_eq!(details["status"]["code"], "error");
        assert_eq!(details["parentSpanID"], span_hex(1, 3));
        let service = details["resource"]["attributes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["key"] == "service.name")
            .cloned();
        assert_eq!(
            service,
            Some(json!({"key": "service.name", "value": "cart", "type": "string"}))
        );
        let missing = env
            .get(&format!(
                "/api/ui/traces/{}/spans/00000000000000ff",
                trace_hex(1)
            ))
            .await;
        assert_eq!(missing.status, StatusCode::NOT_FOUND);
        let bad = env
            .get(&format!("/api/ui/traces/{}/spans/xyz", trace_hex(1)))
            .await;
        assert_eq!(bad.status, StatusCode::BAD_REQUEST);

        // Trace 4: siblings ordered by start; trace 5: a missing parent makes a root.
        let t4 = env
            .get(&format!("/api/ui/traces/{}/waterfall", trace_hex(4)))
            .await
            .ok_json();
        assert_eq!(t4["spans"][0]["childCount"], json!(2));
        let names: Vec<&str> = t4["spans"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["name"].as_str().unwrap())
            .collect();
        assert_eq!(names, ["GET /cart", "get-ads", "get-recs"]);
        let t5 = env
            .get(&format!("/api/ui/traces/{}/waterfall", trace_hex(5)))
            .await
            .ok_json();
        assert_eq!(t5["spans"][0]["parentSpanID"], "0909090909090909");
        assert_eq!(t5["spans"][0]["depth"], json!(0));
        assert_eq!(t5["spans"][1]["depth"], json!(1));
    })
    .await;
    let path = format!("/api/ui/traces/{}/waterfall", trace_hex(1));
    env.get("/api/ui/traces/xyz/waterfall")
        .await
        .assert_text_error(StatusCode::BAD_REQUEST, "invalid trace id");
    env.get(&format!("/api/ui/traces/{}/waterfall", "f".repeat(32)))
        .await
        .assert_text_error(StatusCode::NOT_FOUND, "trace not found");
    env.get(&format!("{path}?collapsed=zz"))
        .await
        .assert_text_error(StatusCode::BAD_REQUEST, "invalid span id");
    env.post_json(&path, &json!({"offset": "first"}))
        .await
        .assert_text_error(StatusCode::BAD_REQUEST, "invalid waterfall request");
    env.shutdown().await;
}
