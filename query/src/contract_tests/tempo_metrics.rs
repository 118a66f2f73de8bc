//! Tempo's TraceQL metrics: `/api/metrics/query_range` and `/api/metrics/query`.

use http::StatusCode;
use serde_json::{Value, json};

use super::*;

const BY_SERVICE: &str = "{ } | count_over_time() by (resource.service.name)";

fn service_label(name: &str) -> Value {
    json!([{"key": "resource.service.name", "value": {"stringValue": name}}])
}

/// Timestamps (ms, as strings) of the 7 ten-second steps from `BASE`.
fn step_ms(index: u64) -> Value {
    u64_string((BASE + index * 10 * SECOND) / 1_000_000)
}

fn samples(values: [f64; 7]) -> Value {
    Value::Array(
        values
            .iter()
            .enumerate()
            .map(|(i, v)| json!({"timestampMs": step_ms(i as u64), "value": v}))
            .collect(),
    )
}

async fn range(env: &Env, params: &[(&str, &str)]) -> Value {
    env.get(&uri("/api/metrics/query_range", params))
        .await
        .ok_json()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn query_range_series_samples_and_exemplars() {
    let env = Env::with_dataset().await;
    let start = BASE_S.to_string();
    let end = (BASE_S + 70).to_string();
    env.heads_then_blocks(async |env, place| {
        let params = [
            ("q", BY_SERVICE),
            ("start", start.as_str()),
            ("end", end.as_str()),
            ("step", "10s"),
        ];
        let body = range(env, &params).await;
        assert_eq!(keys(&body), ["message", "metrics", "series", "status"]);
        assert_eq!(body["status"], "COMPLETE");
        assert_eq!(body["message"], "");
        let series = body["series"].as_array().unwrap();
        let expected = [
            ("ad", [0.0, 0.0, 0.0, 0.0, 0.0, 2.0, 0.0]),
            ("cart", [0.0, 2.0, 0.0, 0.0, 0.0, 0.0, 0.0]),
            ("checkout", [0.0, 0.0, 2.0, 0.0, 0.0, 0.0, 0.0]),
            ("email", [0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0]),
            ("frontend", [0.0, 2.0, 1.0, 0.0, 3.0, 0.0, 1.0]),
            ("recommendation", [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0]),
        ];
        assert_eq!(series.len(), expected.len(), "{place}: {body}");
        for (s, (service, values)) in series.iter().zip(expected) {
            assert_eq!(keys(s), ["exemplars", "labels", "promLabels", "samples"]);
            assert_eq!(s["labels"], service_label(service), "{place}");
            assert_eq!(
                s["promLabels"],
                json!(format!("{{resource.service.name=\"{service}\"}}"))
            );
            assert_eq!(s["samples"], samples(values), "{place}: {service}");
        }
        // Exemplars: one per matching span, trace id in hex, timestamps as strings.
        let frontend = &series[4]["exemplars"];
        assert_eq!(frontend.as_array().unwrap().len(), 7, "{place}");
        let mut exemplar_traces: Vec<&str> = frontend
            .as_array()
            .unwrap()
            .iter()
            .map(|e| {
                assert_eq!(keys(e), ["labels", "timestampMs", "value"]);
                assert_eq!(e["value"], json!(1.0));
                assert_eq!(e["labels"][0]["key"], "trace:id");
                let ms: u64 = e["timestampMs"].as_str().unwrap().parse().unwrap();
                assert!((BASE / 1_000_000..BASE / 1_000_000 + 70_000).contains(&ms));
                e["labels"][0]["value"]["stringValue"].as_str().unwrap()
            })
            .collect();
        exemplar_traces.sort_unstable();
        exemplar_traces.dedup();
        assert_eq!(
            exemplar_traces,
            [trace_hex(1), trace_hex(2), trace_hex(4), trace_hex(6)]
        );
        let none = range(env, &[params.as_slice(), &[("exemplars", "0")]].concat()).await;
        assert_eq!(none["series"][4]["exemplars"], json!([]));

        // The same range as RFC 3339 and unix nanoseconds; a step in bare seconds.
        let same = range(
            env,
            &[
                ("q", BY_SERVICE),
                ("start", "2023-11-14T22:13:20Z"),
                ("end", "1700000070000000000"),
                ("step", "10"),
            ],
        )
        .await;
        assert_eq!(same["series"], body["series"], "{place}");

        // Without a step: about 100 points, at least a second apart.
        let fine = range(env, &[("q", BY_SERVICE), ("start", &start), ("end", &end)]).await;
        assert_eq!(fine["series"][0]["samples"].as_array().unwrap().len(), 70);
    })
    .await;
    env.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn query_range_rate_and_quantiles() {
    let env = Env::with_dataset().await;
    let start = BASE_S.to_string();
    let end = (BASE_S + 70).to_string();
    env.heads_then_blocks(async |env, place| {
        let window = [
            ("start", start.as_str()),
            ("end", end.as_str()),
            ("step", "10s"),
        ];
        let with_q = |q: &'static str| [&[("q", q)], window.as_slice()].concat();
        let body = range(env, &with_q("{ status = error } | rate()")).await;
        let series = body["series"].as_array().unwrap();
        assert_eq!(series.len(), 1, "{place}: {body}");
        assert_eq!(
            series[0]["labels"],
            json!([{"key": "__name__", "value": {"stringValue": "rate"}}])
        );
        let values: Vec<f64> = series[0]["samples"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["value"].as_f64().unwrap())
            .collect();
        assert_eq!(values.len(), 7);
        for (value, expected) in values.iter().zip([0.0, 0.1, 0.3, 0.0, 0.0, 0.0, 0.0]) {
            assert!((value - expected).abs() < 1e-12, "{place}: {values:?}");
        }

        let body = range(
            env,
            &with_q(r#"{ resource.service.name = "cart" } | quantile_over_time(duration, 0.5)"#),
        )
        .await;
        let series = body["series"].as_array().unwrap();
        assert_eq!(series.len(), 1, "{place}: {body}");
        assert_eq!(
            series[0]["labels"],
            json!([{"key": "p", "value": {"doubleValue": 0.5}}])
        );
        let samples = series[0]["samples"].as_array().unwrap();
        assert_eq!(samples.len(), 1, "{place}: {body}");
        assert_eq!(samples[0]["timestampMs"], step_ms(1));
        // The median of 58 ms and 20 ms, in seconds.
        assert_close(&samples[0]["value"], 0.039);
        // Each quantile series carries the exemplars of the spans it summarizes.
        let mut exemplars: Vec<(f64, Value)> = series[0]["exemplars"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| {
                (
                    e["value"].as_f64().unwrap(),
                    e["labels"][0]["value"]["stringValue"].clone(),
                )
            })
            .collect();
        exemplars.sort_by(|a, b| a.0.total_cmp(&b.0));
        assert_eq!(
            exemplars,
            [(0.02, json!(trace_hex(1))), (0.058, json!(trace_hex(1)))],
            "{place}: {body}"
        );
    })
    .await;
    env.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn instant_query() {
    let env = Env::with_dataset().await;
    let start = BASE_S.to_string();
    let end = (BASE_S + 70).to_string();
    env.heads_then_blocks(async |env, place| {
        let params = [("q", BY_SERVICE), ("start", &start), ("end", &end)];
        let body = env.get(&uri("/api/metrics/query", &params)).await.ok_json();
        assert_eq!(keys(&body), ["metrics", "series"]);
        let series = body["series"].as_array().unwrap();
        let expected = [
            ("ad", 2.0),
            ("cart", 2.0),
            ("checkout", 2.0),
            ("email", 1.0),
            ("frontend", 7.0),
            ("recommendation", 1.0),
        ];
        assert_eq!(series.len(), expected.len(), "{place}: {body}");
        for (s, (service, value)) in series.iter().zip(expected) {
            assert_eq!(keys(s), ["labels", "promLabels", "value"]);
            assert_eq!(s["labels"], service_label(service));
            assert_eq!(s["value"], json!(value), "{place}: {service}");
        }
        let rate = env
            .get(&uri(
                "/api/metrics/query",
                &[
                    ("q", "{ status = error } | rate()"),
                    ("start", &start),
                    ("end", &end),
                ],
            ))
            .await
            .ok_json();
        assert_close(&rate["series"][0]["value"], 4.0 / 70.0);
    })
    .await;
    env.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_errors() {
    let env = Env::with_dataset().await;
    let start = BASE_S.to_string();
    let end = (BASE_S + 70).to_string();
    for path in ["/api/metrics/query_range", "/api/metrics/query"] {
        let cases: Vec<(Vec<(&str, &str)>, &str)> = vec![
            (vec![], "missing q"),
            (vec![("q", "{ }")], "not a metrics query"),
            (
                vec![("q", "{ } | rate("), ("start", &start)],
                "parse error at line 1",
            ),
            (
                vec![("q", "{ } | rate()"), ("start", &end), ("end", &start)],
                "end must be after start",
            ),
            (
                vec![("q", "{ } | rate()"), ("start", "noon"), ("end", &end)],
                "invalid start",
            ),
            (
                vec![("q", "{ } | rate()"), ("since", "a while")],
                "invalid duration",
            ),
            (
                vec![
                    ("q", "{ } | compare({ status = error })"),
                    ("start", &start),
                    ("end", &end),
                ],
                "compare() is not supported",
            ),
        ];
        for (params, needle) in cases {
            env.get(&uri(path, &params))
                .await
                .assert_text_error(StatusCode::BAD_REQUEST, needle);
        }
    }
    let range = |step: &'static str| {
        uri(
            "/api/metrics/query_range",
            &[
                ("q", "{ } | rate()"),
                ("start", "1"),
                ("end", "1000000"),
                ("step", step),
            ],
        )
    };
    env.get(&range("soon"))
        .await
        .assert_text_error(StatusCode::BAD_REQUEST, "invalid duration");
    env.get(&range("0"))
        .await
        .assert_text_error(StatusCode::BAD_REQUEST, "must be positive");
    env.get(&range("1s"))
        .await
        .assert_text_error(StatusCode::BAD_REQUEST, "too many steps");
    env.shutdown().await;
}
