//! Jaeger v1 trace search (`/jaeger/api/traces?service=…`) and multi-get (`traceID=`).

use http::StatusCode;
use serde_json::{Value, json};

use super::jaeger::{assert_v1_error, data, trace_1};
use super::*;

/// The last byte of each trace id in a v1 trace list, in order.
fn trace_numbers(traces: &Value) -> Vec<u8> {
    traces
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            let id = t["traceID"].as_str().unwrap();
            u8::from_str_radix(&id[30..], 16).unwrap()
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn trace_search() {
    let env = Env::with_dataset().await;
    let start = BASE_US.to_string();
    let end = (BASE_US + 70_000_000).to_string();
    env.heads_then_blocks(async |env, place| {
        let window = [("start", start.as_str()), ("end", end.as_str())];
        let cases: Vec<Case> = vec![
            (vec![("service", "frontend")], vec![6, 4, 2, 1]),
            (vec![("service", "frontend"), ("limit", "2")], vec![6, 4]),
            (
                vec![("service", "frontend"), ("operation", "GET /cart")],
                vec![4, 1],
            ),
            (
                vec![("service", "frontend"), ("tags", r#"{"error":"true"}"#)],
                vec![2],
            ),
            (
                vec![("service", "cart"), ("tags", r#"{"error":"true"}"#)],
                vec![1],
            ),
            (
                vec![
                    ("service", "frontend"),
                    ("tag", "http.response.status_code:200"),
                ],
                vec![1],
            ),
            (
                vec![
                    ("service", "frontend"),
                    ("tags", r#"{"http.response.status_code":503}"#),
                ],
                vec![2],
            ),
            (
                vec![("service", "frontend"), ("tag", "span.kind:producer")],
                vec![6],
            ),
            (
                vec![("service", "frontend"), ("tag", "otel.status_code:OK")],
                vec![4],
            ),
            // Process (resource) tags match too; every tag must hold.
            (
                vec![
                    ("service", "email"),
                    ("tag", "deployment.environment.name:test"),
                    ("tag", "app.user.id:u3"),
                ],
                vec![3],
            ),
            (
                vec![("service", "email"), ("tag", "app.user.id:u4")],
                vec![],
            ),
            // Log fields (event attributes) match too.
            (
                vec![("service", "email"), ("tag", "exception.type:Boom")],
                vec![3],
            ),
            (
                vec![("service", "frontend"), ("minDuration", "1s")],
                vec![2],
            ),
            (
                vec![("service", "frontend"), ("maxDuration", "5ms")],
                vec![6],
            ),
            (
                vec![
                    ("service", "frontend"),
                    ("minDuration", "50ms"),
                    ("maxDuration", "60ms"),
                ],
                vec![4, 1],
            ),
            (vec![("service", "nobody")], vec![]),
        ];
        for (params, expected) in cases {
            let all = [params.as_slice(), window.as_slice()].concat();
            let traces = data(&env.get(&uri("/jaeger/api/traces", &all)).await, 0);
            assert_eq!(trace_numbers(&traces), expected, "{place}: {params:?}");
        }
        // Results are whole traces in the trace JSON.
        let traces = data(
            &env.get(&uri(
                "/jaeger/api/traces",
                &[("service", "cart"), ("start", &start), ("end", &end)],
            ))
            .await,
            0,
        );
        assert_eq!(traces, json!([trace_1()]), "{place}");
        // start/end are microseconds: a window around trace 3 only.
        let around_3 = [
            ("service", "email"),
            ("start", &(BASE_US + 29_000_000).to_string()),
            ("end", &(BASE_US + 31_000_000).to_string()),
        ]
        .map(|(k, v)| (k, v.to_string()));
        let params: Vec<(&str, &str)> = around_3.iter().map(|(k, v)| (*k, v.as_str())).collect();
        assert_eq!(
            trace_numbers(&data(
                &env.get(&uri("/jaeger/api/traces", &params)).await,
                0
            )),
            [3]
        );
        // Without start/end: the last two days, which the 2023 data is not in.
        assert_eq!(
            data(&env.get("/jaeger/api/traces?service=frontend").await, 0),
            json!([])
        );

        // Multi-get by traceID: found traces, and an error per missing one (no code).
        let multi = uri(
            "/jaeger/api/traces",
            &[
                ("traceID", &trace_hex(1)),
                ("traceID", "ffff"),
                ("traceID", &trace_hex(6)),
            ],
        );
        let body = env.get(&multi).await.ok_json();
        assert_eq!(trace_numbers(&body["data"]), [1, 6], "{place}");
        assert_eq!(
            body["errors"],
            json!([{"msg": "trace not found", "traceID": "000000000000ffff"}])
        );
        assert_eq!(body["total"], json!(0));
    })
    .await;
    for (params, needle) in [
        (vec![], "parameter 'service' is required"),
        (
            vec![("operation", "GET /cart")],
            "parameter 'service' is required",
        ),
        (
            vec![
                ("service", "a"),
                ("minDuration", "2s"),
                ("maxDuration", "1s"),
            ],
            "'maxDuration' should be greater than 'minDuration'",
        ),
        (
            vec![("service", "a"), ("minDuration", "fast")],
            "unable to parse param 'minDuration'",
        ),
        (
            vec![("service", "a"), ("start", "yesterday")],
            "unable to parse param 'start'",
        ),
        (
            vec![("service", "a"), ("end", "-1")],
            "unable to parse param 'end'",
        ),
        (
            vec![("service", "a"), ("limit", "x")],
            "unable to parse param 'limit'",
        ),
        (
            vec![("service", "a"), ("tags", "notjson")],
            "malformed 'tags' parameter",
        ),
        (
            vec![("service", "a"), ("tag", "nocolon")],
            "malformed 'tag' parameter",
        ),
        (
            vec![("service", "a"), ("tag", "error:maybe")],
            "invalid tag error",
        ),
        (vec![("traceID", "xyz")], "malformed trace id"),
    ] {
        assert_v1_error(
            &env.get(&uri("/jaeger/api/traces", &params)).await,
            StatusCode::BAD_REQUEST,
            needle,
        );
    }
    env.shutdown().await;
}
