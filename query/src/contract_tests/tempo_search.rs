//! Tempo's `/api/search`: TraceQL and legacy tag search, its parameters and errors.

use http::StatusCode;
use serde_json::{Value, json};

use super::*;

/// The last byte of each trace id in a Tempo search answer, in order.
fn found(body: &Value) -> Vec<u8> {
    body["traces"]
        .as_array()
        .unwrap_or_else(|| panic!("no traces: {body}"))
        .iter()
        .map(|t| {
            let id = t["traceID"].as_str().unwrap();
            assert_eq!(id.len(), 32, "{id}");
            assert!(id.starts_with("a0"));
            u8::from_str_radix(&id[30..], 16).unwrap()
        })
        .collect()
}

async fn search(env: &Env, params: &[(&str, &str)]) -> Value {
    env.get(&uri("/api/search", params)).await.ok_json()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn search_answers_in_tempo_shape() {
    let env = Env::with_dataset().await;
    env.heads_then_blocks(async |env, place| {
        let body = search(env, &[("q", r#"{ resource.service.name = "frontend" }"#)]).await;
        assert_eq!(keys(&body), ["metrics", "traces"]);
        assert_eq!(found(&body), [6, 4, 2, 1], "{place}");
        let t1 = body["traces"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["traceID"] == trace_hex(1))
            .unwrap();
        assert_eq!(
            keys(t1),
            [
                "durationMs",
                "rootServiceName",
                "rootTraceName",
                "serviceStats",
                "spanSet",
                "spanSets",
                "startTimeUnixNano",
                "traceID"
            ]
        );
        assert_eq!(t1["rootServiceName"], "frontend");
        assert_eq!(t1["rootTraceName"], "GET /cart");
        assert_eq!(t1["startTimeUnixNano"], u64_string(trace_start(1)));
        assert_eq!(t1["durationMs"], json!(100));
        assert_eq!(
            t1["serviceStats"],
            json!({"frontend": {"spanCount": 2}, "cart": {"spanCount": 2, "errorCount": 1}})
        );
        let sets = t1["spanSets"].as_array().unwrap();
        assert_eq!(sets.len(), 1);
        assert_eq!(
            t1["spanSet"], sets[0],
            "deprecated spanSet is the first spanSets entry"
        );
        assert_eq!(sets[0]["matched"], json!(2));
        let spans = sets[0]["spans"].as_array().unwrap();
        let mut ids: Vec<&str> = spans
            .iter()
            .map(|s| s["spanID"].as_str().unwrap())
            .collect();
        ids.sort_unstable();
        assert_eq!(ids, [span_hex(1, 1), span_hex(1, 2)]);
        let root = spans
            .iter()
            .find(|s| s["spanID"] == span_hex(1, 1))
            .unwrap();
        assert_eq!(
            keys(root),
            [
                "attributes",
                "durationNanos",
                "name",
                "spanID",
                "startTimeUnixNano"
            ]
        );
        assert_eq!(root["name"], "GET /cart");
        assert_eq!(root["startTimeUnixNano"], u64_string(span_start(1, 0)));
        assert_eq!(root["durationNanos"], u64_string(100 * MS));
        assert!(root["attributes"].is_array());

        // A trace whose root never arrived, and an error count.
        let body = search(env, &[("q", r#"{ name = "GetAds" }"#)]).await;
        let t5 = &body["traces"][0];
        assert_eq!(t5["rootServiceName"], "<root span not yet received>");
        assert_eq!(t5["rootTraceName"], "<root span not yet received>");
        assert_eq!(t5["durationMs"], json!(7));
        assert_eq!(t5["serviceStats"], json!({"ad": {"spanCount": 2}}));

        // by() labels the spanset with attributes named as Tempo names them.
        let body = search(
            env,
            &[("q", r#"{ status = error } | by(resource.service.name)"#)],
        )
        .await;
        let t2 = body["traces"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["traceID"] == trace_hex(2))
            .unwrap();
        let labels: Vec<&Value> = t2["spanSets"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| &s["attributes"])
            .collect();
        assert!(
            labels.contains(&&json!([{
                "key": "by(resource.service.name)",
                "value": {"stringValue": "checkout"}
            }])),
            "{place}: {labels:?}"
        );

        let metrics = &body["metrics"];
        assert_eq!(
            keys(metrics),
            [
                "completedJobs",
                "inspectedBytes",
                "inspectedSpans",
                "inspectedTraces",
                "totalBlockBytes",
                "totalBlocks",
                "totalJobs"
            ]
        );
        // uint64 values are strings, uint32 values numbers.
        for key in ["inspectedBytes", "inspectedSpans", "totalBlockBytes"] {
            let text = metrics[key]
                .as_str()
                .unwrap_or_else(|| panic!("{key}: {metrics}"));
            text.parse::<u64>().unwrap();
        }
        for key in [
            "inspectedTraces",
            "totalBlocks",
            "completedJobs",
            "totalJobs",
        ] {
            assert!(metrics[key].is_u64(), "{key}: {metrics}");
        }
        let blocks = if place == "heads" { 0 } else { 1 };
        assert_eq!(metrics["totalBlocks"], json!(blocks), "{place}");
        // At least the matching traces (1 and 2) were inspected, at most all 6 (15 spans).
        let traces = metrics["inspectedTraces"].as_u64().unwrap();
        assert!((2..=6).contains(&traces), "{place}: {metrics}");
        let spans: u64 = metrics["inspectedSpans"].as_str().unwrap().parse().unwrap();
        assert!((4..=15).contains(&spans), "{place}: {metrics}");
    })
    .await;
    env.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn search_parameters() {
    let env = Env::with_dataset().await;
    env.heads_then_blocks(async |env, place| {
        let all = "{ }";
        let cases: Vec<Case<String>> = vec![
            (vec![], vec![6, 5, 4, 3, 2, 1]),
            (vec![("q", all.into()), ("limit", "2".into())], vec![6, 5]),
            (
                vec![("q", all.into()), ("minDuration", "1s".into())],
                vec![2],
            ),
            (
                vec![("q", all.into()), ("maxDuration", "10ms".into())],
                vec![5, 3],
            ),
            (
                vec![
                    ("q", all.into()),
                    ("minDuration", "40ms".into()),
                    ("maxDuration", "100ms".into()),
                ],
                vec![4, 1],
            ),
            (
                vec![
                    ("q", all.into()),
                    ("start", (BASE_S + 25).to_string()),
                    ("end", (BASE_S + 45).to_string()),
                ],
                vec![4, 3],
            ),
            (
                vec![
                    ("q", all.into()),
                    ("order", "slowest".into()),
                    ("limit", "3".into()),
                ],
                vec![2, 1, 4],
            ),
            (
                vec![
                    ("q", "{ } with (most_recent=false)".into()),
                    ("limit", "1".into()),
                ],
                vec![2],
            ),
            // Legacy logfmt tags: case-insensitive substrings, span or resource attributes.
            (vec![("tags", "db.system=POSTGRES".into())], vec![1]),
            (vec![("tags", "service.name=recomm".into())], vec![6]),
            (
                vec![("tags", r#"name="get-ads" service.name=frontend"#.into())],
                vec![4],
            ),
            (vec![("tags", "".into())], vec![6, 5, 4, 3, 2, 1]),
        ];
        for (params, expected) in cases {
            let params: Vec<(&str, &str)> = params.iter().map(|(k, v)| (*k, v.as_str())).collect();
            assert_eq!(
                found(&search(env, &params).await),
                expected,
                "{place}: {params:?}"
            );
        }
        // spss caps the spans per spanset; matched still counts them all.
        let body = search(
            env,
            &[
                ("q", r#"{ resource.service.name = "frontend" }"#),
                ("spss", "1"),
            ],
        )
        .await;
        let t4 = body["traces"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["traceID"] == trace_hex(4))
            .unwrap();
        assert_eq!(t4["spanSets"][0]["spans"].as_array().unwrap().len(), 1);
        assert_eq!(t4["spanSets"][0]["matched"], json!(3));
    })
    .await;
    env.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn search_errors() {
    let env = Env::with_dataset().await;
    let bad = |q: &str| uri("/api/search", &[("q", q)]);
    env.get(&bad("{ status = }")).await.assert_text_error(
        StatusCode::BAD_REQUEST,
        "invalid TraceQL query: parse error at line 1, column 12",
    );
    env.get(&bad("{ } | rate()"))
        .await
        .assert_text_error(StatusCode::BAD_REQUEST, "/api/metrics/query_range");
    for (params, needle) in [
        (vec![("start", "soon")], "invalid start"),
        (
            vec![("start", "20"), ("end", "10")],
            "end must not be before start",
        ),
        (vec![("minDuration", "fast")], "invalid duration"),
        (vec![("maxDuration", "1 hour")], "invalid duration"),
        (vec![("order", "random")], "unknown order"),
        (vec![("tags", "novalue")], "invalid tags"),
        (vec![("tags", "k=\"open")], "unterminated quote"),
    ] {
        env.get(&uri("/api/search", &params))
            .await
            .assert_text_error(StatusCode::BAD_REQUEST, needle);
    }
    // A malformed number is refused by the query-string extractor, also with a 400.
    let reply = env.get(&uri("/api/search", &[("limit", "many")])).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{}", reply.text());
    env.shutdown().await;
}
