//! The native log endpoints: search (free text, filters, pages), histogram, facets, the logs
//! of a trace and of a span.

use http::StatusCode;
use serde_json::{Value, json};

use super::{Env, keys, uri};
use crate::logs::tests::{LOG_BASE, S, log_span_hex, log_trace_hex};

fn at(seconds: u64) -> String {
    (LOG_BASE + seconds * S).to_string()
}

fn search(extra: &[(&str, &str)]) -> String {
    let start = (LOG_BASE - S).to_string();
    let end = (LOG_BASE + 100 * S).to_string();
    let mut params = vec![("start", start.as_str()), ("end", end.as_str())];
    params.extend_from_slice(extra);
    uri("/api/ui/logs/search", &params)
}

fn times(body: &Value) -> Vec<String> {
    body["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["time"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn search_pages_newest_first_with_ids() {
    let env = Env::with_logs().await;
    env.heads_then_blocks(async |env: &Env, phase: &str| {
        let body = env.get(&search(&[("q", "ORDER placed")])).await.ok_json();
        assert_eq!(times(&body), [at(60), at(0)], "{phase}");
        let line = &body["lines"][0];
        assert_eq!(
            keys(line),
            [
                "labels",
                "level",
                "line",
                "metadata",
                "service",
                "spanId",
                "time",
                "timestamp",
                "traceId"
            ]
        );
        assert_eq!(line["traceId"], log_trace_hex(1));
        assert_eq!(line["spanId"], log_span_hex(5));
        assert_eq!(line["service"], "checkout");
        assert_eq!(line["level"], "info");
        assert_eq!(line["timestamp"], "2023-11-14T22:14:20.000000000Z");
        assert_eq!(line["metadata"]["http_route"], "/orders");
        assert!(body["nextCursor"].is_null());

        for (q, extra, expected) in [
            ("\"connection refused\"", vec![], vec![at(50)]),
            ("refused OR declined", vec![], vec![at(50), at(10)]),
            ("order -alice", vec![], vec![at(60), at(10)]),
            (
                "",
                vec![("service", "cart"), ("level", "info")],
                vec![at(70), at(30)],
            ),
            ("", vec![("attr", "http.route=/pay")], vec![at(10)]),
            (
                "",
                vec![("traceId", log_trace_hex(2).leak() as &str)],
                vec![at(20), at(10)],
            ),
            ("item*", vec![], vec![at(70), at(30)]),
            ("level:error", vec![], vec![at(50), at(10)]),
        ] {
            let mut params = vec![("q", q)];
            params.extend(extra);
            let body = env.get(&search(&params)).await.ok_json();
            assert_eq!(times(&body), expected, "{phase}: {q} {params:?}");
        }

        // Pages of 4: 9 lines in three pages, none repeated.
        let mut seen = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let mut params = vec![("limit", "4")];
            if let Some(c) = &cursor {
                params.push(("cursor", c.as_str()));
            }
            let body = env.get(&search(&params)).await.ok_json();
            seen.extend(times(&body));
            match body["nextCursor"].as_str() {
                Some(next) => cursor = Some(next.to_string()),
                None => break,
            }
        }
        let all: Vec<String> = [80, 70, 60, 50, 40, 30, 20, 10, 0]
            .iter()
            .map(|s| at(*s))
            .collect();
        assert_eq!(seen, all, "{phase}");
    })
    .await;
    env.get(&search(&[("q", "(unbalanced")]))
        .await
        .assert_text_error(StatusCode::BAD_REQUEST, "invalid search");
    env.shutdown().await;
}

#[tokio::test]
async fn histogram_and_facets_count_matching_lines() {
    let env = Env::with_logs().await;
    env.heads_then_blocks(async |env: &Env, phase: &str| {
        let start = LOG_BASE.to_string();
        let end = (LOG_BASE + 90 * S - 1).to_string();
        let body = env
            .get(&uri(
                "/api/ui/logs/histogram",
                &[("start", &start), ("end", &end), ("buckets", "3")],
            ))
            .await
            .ok_json();
        assert_eq!(body["step"], (30 * S).to_string());
        let counts: Vec<u64> = body["buckets"]
            .as_array()
            .unwrap()
            .iter()
            .map(|b| b["count"].as_u64().unwrap())
            .collect();
        assert_eq!(counts, [3, 3, 3], "{phase}");
        assert_eq!(
            body["buckets"][0]["levels"],
            json!({"info": 1, "error": 1, "warn": 1})
        );
        assert_eq!(body["buckets"][0]["time"], LOG_BASE.to_string());

        let body = env
            .get(&uri(
                "/api/ui/logs/facets",
                &[
                    ("start", &start),
                    ("end", &end),
                    ("attribute", "http.route"),
                    ("limit", "1"),
                ],
            ))
            .await
            .ok_json();
        assert_eq!(
            body["facets"]["service_name"],
            json!({"values": [{"value": "checkout", "count": 5}], "otherCount": 4}),
            "{phase}"
        );
        assert_eq!(
            body["facets"]["level"]["values"][0],
            json!({"value": "info", "count": 5})
        );
        assert_eq!(
            body["facets"]["http_route"],
            json!({"values": [{"value": "/orders", "count": 2}], "otherCount": 1})
        );

        // Without an attribute and free text the blocks' indexes answer alone: the same counts.
        let by_index = env
            .get(&uri(
                "/api/ui/logs/facets",
                &[("start", &start), ("end", &end), ("limit", "1")],
            ))
            .await
            .ok_json();
        assert_eq!(
            by_index["facets"]["service_name"], body["facets"]["service_name"],
            "{phase}"
        );
        assert_eq!(
            by_index["facets"]["level"], body["facets"]["level"],
            "{phase}"
        );
        let checkout = env
            .get(&uri(
                "/api/ui/logs/histogram",
                &[
                    ("start", &start),
                    ("end", &end),
                    ("buckets", "1"),
                    ("service", "checkout"),
                ],
            ))
            .await
            .ok_json();
        assert_eq!(checkout["buckets"][0]["count"], json!(5), "{phase}");
        let levels = &checkout["buckets"][0]["levels"];
        assert_eq!(
            levels
                .as_object()
                .unwrap()
                .values()
                .map(|v| v.as_u64().unwrap())
                .sum::<u64>(),
            5,
            "{phase}: {levels}"
        );
        let errors = env
            .get(&uri(
                "/api/ui/logs/histogram",
                &[
                    ("start", &start),
                    ("end", &end),
                    ("buckets", "1"),
                    ("q", "level:error"),
                ],
            ))
            .await
            .ok_json();
        assert_eq!(
            errors["buckets"][0]["levels"],
            json!({"error": 2}),
            "{phase}"
        );
    })
    .await;
    env.shutdown().await;
}

#[tokio::test]
async fn the_logs_of_a_trace_and_of_a_span() {
    let env = Env::with_logs().await;
    env.heads_then_blocks(async |env: &Env, phase: &str| {
        let body = env
            .get(&format!("/api/ui/traces/{}/logs", log_trace_hex(2)))
            .await
            .ok_json();
        assert_eq!(times(&body), [at(10), at(20)], "{phase}: oldest first");
        assert!(
            body["lines"]
                .as_array()
                .unwrap()
                .iter()
                .all(|l| l["traceId"] == log_trace_hex(2))
        );
        let body = env
            .get(&format!(
                "/api/ui/traces/{}/logs?spanId={}",
                log_trace_hex(2),
                log_span_hex(3)
            ))
            .await
            .ok_json();
        assert_eq!(times(&body), [at(20)], "{phase}");
        let body = env
            .get(&format!("/api/ui/traces/{}/logs", "ab".repeat(16)))
            .await
            .ok_json();
        assert_eq!(body["lines"], json!([]));
    })
    .await;
    env.get("/api/ui/traces/xyz/logs")
        .await
        .assert_text_error(StatusCode::BAD_REQUEST, "");
    env.get(&format!(
        "/api/ui/traces/{}/logs?spanId=12",
        log_trace_hex(2)
    ))
    .await
    .assert_text_error(StatusCode::BAD_REQUEST, "spanId");
    env.shutdown().await;
}
