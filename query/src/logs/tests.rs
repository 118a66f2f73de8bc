//! A fixed logs dataset for the LogQL, Loki and UI tests, and the log query table over it
//! (from the heads, then from blocks).

use sightline_proto::otlp::collector::logs::v1::ExportLogsServiceRequest;
use sightline_proto::otlp::common::v1::{AnyValue, KeyValue, KeyValueList, any_value};
use sightline_proto::otlp::logs::v1::{LogRecord, ResourceLogs, ScopeLogs};
use sightline_proto::otlp::resource::v1::Resource;
use sightline_storage::{MemoryBudget, SignalRequest, StoreConfig, TelemetryStore, TenantId};

/// Time of the dataset's first line, unix nanoseconds (2023-11-14T22:13:20Z).
pub(crate) const LOG_BASE: u64 = 1_700_000_000_000_000_000;
/// One second in nanoseconds.
pub(crate) const S: u64 = 1_000_000_000;

/// Trace id `n` of the dataset, as hex.
pub(crate) fn log_trace_hex(n: u8) -> String {
    format!("{}{n:02x}", "c0".repeat(15))
}

/// Span id `n` of the dataset, as hex.
pub(crate) fn log_span_hex(n: u8) -> String {
    format!("{}{n:02x}", "d0".repeat(7))
}

fn text(value: &str) -> Option<AnyValue> {
    Some(AnyValue {
        value: Some(any_value::Value::StringValue(value.into())),
    })
}

fn kv(key: &str, value: &str) -> KeyValue {
    KeyValue {
        key: key.into(),
        value: text(value),
        key_strindex: 0,
    }
}

/// `(seconds after LOG_BASE, severity, body, attributes, trace and span number)`.
type Line = (
    u64,
    &'static str,
    Option<AnyValue>,
    Vec<KeyValue>,
    Option<(u8, u8)>,
);

fn record((offset, severity, body, attributes, ids): Line) -> LogRecord {
    let (trace_id, span_id) = match ids {
        Some((t, s)) => (
            hex::decode(log_trace_hex(t)).unwrap(),
            hex::decode(log_span_hex(s)).unwrap(),
        ),
        None => (Vec::new(), Vec::new()),
    };
    LogRecord {
        time_unix_nano: LOG_BASE + offset * S,
        severity_text: severity.into(),
        body,
        attributes,
        trace_id,
        span_id,
        ..Default::default()
    }
}

fn resource_logs(service: &str, env: &str, lines: Vec<Line>) -> ResourceLogs {
    ResourceLogs {
        resource: Some(Resource {
            attributes: vec![
                kv("service.name", service),
                kv("k8s.namespace.name", "shop"),
                kv("deployment.environment", env),
                kv("host.name", &format!("{service}-host")),
            ],
            ..Default::default()
        }),
        scope_logs: vec![ScopeLogs {
            log_records: lines.into_iter().map(record).collect(),
            ..Default::default()
        }],
        schema_url: String::new(),
    }
}

/// The dataset: two services, nine lines over 80 seconds, text, JSON, logfmt and map bodies.
///
/// | s  | service  | level | line                                                   | trace/span |
/// |----|----------|-------|--------------------------------------------------------|------------|
/// | 0  | checkout | info  | order 1001 placed amount=25.50 user=alice              | 1/1        |
/// | 10 | checkout | error | payment failed: card declined for order 1002           | 2/2        |
/// | 20 | checkout | warn  | {"msg":"slow query","duration":"1.5s","db":{"table":"orders"}} | 2/3 |
/// | 30 | cart     | info  | level=info msg="item added" sku=A-7 qty=2 latency=120ms |           |
/// | 40 | cart     | debug | cache miss key=cart:42                                 |            |
/// | 50 | cart     | error | connection refused by upstream 10.0.0.7:5432           | 3/4        |
/// | 60 | checkout | info  | order 1003 placed amount=99.00 user=bob                | 1/5        |
/// | 70 | cart     | info  | level=info msg="item removed" sku=B-1 qty=1 latency=2s |            |
/// | 80 | checkout | info  | {"amount":12,"event":"refund"} (a map body)            |            |
///
/// Attributes: `http.route` on lines 0 (`/orders`), 1 and 6 (`/pay`, `/orders`).
pub(crate) fn log_dataset() -> ExportLogsServiceRequest {
    let refund = Some(AnyValue {
        value: Some(any_value::Value::KvlistValue(KeyValueList {
            values: vec![
                KeyValue {
                    key: "event".into(),
                    value: text("refund"),
                    key_strindex: 0,
                },
                KeyValue {
                    key: "amount".into(),
                    value: Some(AnyValue {
                        value: Some(any_value::Value::IntValue(12)),
                    }),
                    key_strindex: 0,
                },
            ],
        })),
    });
    let checkout: Vec<Line> = vec![
        (
            0,
            "INFO",
            text("order 1001 placed amount=25.50 user=alice"),
            vec![kv("http.route", "/orders")],
            Some((1, 1)),
        ),
        (
            10,
            "ERROR",
            text("payment failed: card declined for order 1002"),
            vec![kv("http.route", "/pay")],
            Some((2, 2)),
        ),
        (
            20,
            "WARN",
            text(r#"{"msg":"slow query","duration":"1.5s","db":{"table":"orders"}}"#),
            vec![],
            Some((2, 3)),
        ),
        (
            60,
            "INFO",
            text("order 1003 placed amount=99.00 user=bob"),
            vec![kv("http.route", "/orders")],
            Some((1, 5)),
        ),
        (80, "INFO", refund, vec![], None),
    ];
    let cart: Vec<Line> = vec![
        (
            30,
            "INFO",
            text(r#"level=info msg="item added" sku=A-7 qty=2 latency=120ms"#),
            vec![],
            None,
        ),
        (40, "DEBUG", text("cache miss key=cart:42"), vec![], None),
        (
            50,
            "ERROR",
            text("connection refused by upstream 10.0.0.7:5432"),
            vec![],
            Some((3, 4)),
        ),
        (
            70,
            "INFO",
            text(r#"level=info msg="item removed" sku=B-1 qty=1 latency=2s"#),
            vec![],
            None,
        ),
    ];
    ExportLogsServiceRequest {
        resource_logs: vec![
            resource_logs("checkout", "prod", checkout),
            resource_logs("cart", "dev", cart),
        ],
    }
}

/// A store holding the dataset in its head.
pub(crate) async fn store_with_logs(dir: &std::path::Path) -> TelemetryStore {
    let (store, _) = TelemetryStore::open_local(StoreConfig::new(dir), MemoryBudget::new(1 << 30))
        .await
        .unwrap();
    let prepared = store
        .prepare(
            TenantId::single_tenant(),
            &SignalRequest::Logs(log_dataset()),
            None,
        )
        .unwrap();
    store.commit(prepared).await.unwrap();
    store
}

use super::{Direction, LogQuery, run_log_query};

/// A line a query returns: seconds after [`LOG_BASE`], and its text when the pipeline changed it.
type ExpectedLine = (u64, Option<&'static str>);

/// Each log query and the lines it returns, newest first: `(seconds, line)` where the line is
/// `None` when it is the stored line unchanged.
#[rustfmt::skip]
fn log_cases() -> Vec<(String, Vec<ExpectedLine>)> {
    let t2 = log_trace_hex(2);
    vec![
        (r#"{service_name="checkout"}"#.into(), vec![(80, None), (60, None), (20, None), (10, None), (0, None)]),
        (r#"{service_name="cart", level=~"info|debug"}"#.into(), vec![(70, None), (40, None), (30, None)]),
        (r#"{k8s_namespace_name="shop"} |= "order" != "1003""#.into(), vec![(20, None), (10, None), (0, None)]),
        (r#"{k8s_namespace_name="shop"} |~ "order \\d{4}""#.into(), vec![(60, None), (10, None), (0, None)]),
        (r#"{k8s_namespace_name="shop"} |= "placed" or "refused""#.into(), vec![(60, None), (50, None), (0, None)]),
        (r#"{service_name=~".+"} != "order" !~ "item|cache""#.into(), vec![(80, None), (50, None)]),
        (r#"{service_name=~".+"} |> "<_> refused <_>""#.into(), vec![(50, None)]),
        (r#"{service_name="cart"} |= ip("10.0.0.0/24")"#.into(), vec![(50, None)]),
        (r#"{service_name="cart"} | level="error""#.into(), vec![(50, None)]),
        (r#"{service_name="cart"} | logfmt | qty > 1"#.into(), vec![(30, None)]),
        (r#"{service_name="cart"} | logfmt | latency > 1s"#.into(), vec![(70, None)]),
        (r#"{service_name="cart"} | logfmt | msg=~"item.*" | qty >= 2"#.into(), vec![(30, None)]),
        (r#"{service_name="cart"} | logfmt | sku != "" | line_format "{{.sku}}:{{.qty}}""#.into(), vec![(70, Some("B-1:1")), (30, Some("A-7:2"))]),
        (r#"{service_name="checkout"} | json | db_table="orders""#.into(), vec![(20, None)]),
        (r#"{service_name="checkout"} | json | event="refund" | line_format "refund of {{.amount}}""#.into(), vec![(80, Some("refund of 12"))]),
        (r#"{service_name="checkout"} | json | __error__="" | line_format "{{.msg | ToUpper}}""#.into(), vec![(80, Some("")), (20, Some("SLOW QUERY"))]),
        (r#"{service_name="checkout"} | regexp "order (?P<order>\\d+)" | order > 1001"#.into(), vec![(60, None), (10, None)]),
        (r#"{service_name="checkout"} | pattern "order <id> placed <_>" | id="1003""#.into(), vec![(60, None)]),
        (format!(r#"{{service_name="checkout"}} | trace_id="{t2}""#), vec![(20, None), (10, None)]),
        (r#"{service_name="checkout"} | http_route="/pay""#.into(), vec![(10, None)]),
        (r#"{service_name="checkout"} | http_route="/orders" or level="warn""#.into(), vec![(60, None), (20, None), (0, None)]),
        (r#"{service_name="nothing"}"#.into(), vec![]),
    ]
}

fn stored_line(seconds: u64) -> String {
    let dataset = log_dataset();
    let record = dataset
        .resource_logs
        .iter()
        .flat_map(|r| &r.scope_logs)
        .flat_map(|s| &s.log_records)
        .find(|r| r.time_unix_nano == LOG_BASE + seconds * S)
        .unwrap();
    sightline_storage::rows::logs::line_text(record.body.as_ref())
}

async fn check_log_cases(store: &TelemetryStore, phase: &str) {
    let runtime = tokio::runtime::Handle::current();
    for (query, expected) in log_cases() {
        let expr = sightline_logql::parse(&query).unwrap();
        let expr = expr.as_log().unwrap().clone();
        let store = store.clone();
        let q = query.clone();
        let runtime = runtime.clone();
        let (entries, _) = tokio::task::spawn_blocking(move || {
            let query = LogQuery {
                expr: &expr,
                start: LOG_BASE,
                end: LOG_BASE + 100 * S,
                limit: 100,
                direction: Direction::Backward,
            };
            run_log_query(&store, &TenantId::single_tenant(), &query, &runtime)
        })
        .await
        .unwrap()
        .unwrap_or_else(|e| panic!("{q}: {e}"));
        let found: Vec<(u64, String)> = entries
            .iter()
            .map(|e| ((e.time - LOG_BASE) / S, e.line.clone()))
            .collect();
        let expected: Vec<(u64, String)> = expected
            .into_iter()
            .map(|(s, line)| (s, line.map_or_else(|| stored_line(s), str::to_string)))
            .collect();
        assert_eq!(found, expected, "{phase}: {query}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn log_queries_return_exactly_their_lines_from_heads_and_blocks() {
    let dir = tempfile::tempdir().unwrap();
    let store = store_with_logs(dir.path()).await;
    check_log_cases(&store, "heads").await;
    store.flush().await.unwrap();
    assert!(
        store
            .head_batches(
                &TenantId::single_tenant(),
                sightline_storage::Signal::Logs,
                None
            )
            .is_empty()
    );
    check_log_cases(&store, "blocks").await;
    store.shutdown().await.unwrap();
}
