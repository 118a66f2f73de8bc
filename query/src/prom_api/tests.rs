//! Contract tests of the Prometheus API's non-query endpoints through [`crate::router`]: a fixed
//! OTLP export (a gauge, a counter over two services, a histogram, exemplars) checked against
//! Prometheus' documented shapes, GET and form POST, from the heads and again from blocks.

use axum::Router;
use axum::body::Body;
use http::header::CONTENT_TYPE;
use http::{Method, Request, StatusCode};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use sightline_proto::otlp::collector::metrics::v1::ExportMetricsServiceRequest;
use sightline_proto::otlp::common::v1::{AnyValue, KeyValue, any_value};
use sightline_proto::otlp::metrics::v1::{
    Exemplar, Gauge, Histogram, HistogramDataPoint, Metric, NumberDataPoint, ResourceMetrics,
    ScopeMetrics, Sum, exemplar, metric, number_data_point,
};
use sightline_proto::otlp::resource::v1::Resource;
use sightline_storage::{MemoryBudget, SignalRequest, StoreConfig, TelemetryStore, TenantId};
use tower::ServiceExt;

use crate::QueryState;

pub(super) const MS: u64 = 1_000_000;
pub(super) const SECOND: u64 = 1_000 * MS;
/// 2023-11-14T22:13:20Z.
pub(super) const T0: u64 = 1_700_000_000 * SECOND;
pub(super) const T1: u64 = T0 + 10 * SECOND;
const CUMULATIVE: i32 = 2;
const H: &str = "http_server_duration_seconds";
const REQUESTS: &str = "http_server_requests_total";
const MEMORY: &str = "system_memory_usage_bytes";

fn s(key: &str, value: &str) -> KeyValue {
    KeyValue {
        key: key.into(),
        value: Some(AnyValue {
            value: Some(any_value::Value::StringValue(value.into())),
        }),
        key_strindex: 0,
    }
}

fn number(time: u64, value: i64, attributes: Vec<KeyValue>) -> NumberDataPoint {
    NumberDataPoint {
        attributes,
        start_time_unix_nano: T0 - 60 * SECOND,
        time_unix_nano: time,
        value: Some(number_data_point::Value::AsInt(value)),
        ..Default::default()
    }
}

fn exemplar(value: f64, time: u64, trace: u8, span: u8, attributes: Vec<KeyValue>) -> Exemplar {
    Exemplar {
        filtered_attributes: attributes,
        time_unix_nano: time,
        value: Some(exemplar::Value::AsDouble(value)),
        span_id: vec![span; 8],
        trace_id: vec![trace; 16],
    }
}

fn metric(name: &str, description: &str, unit: &str, data: metric::Data) -> Metric {
    Metric {
        name: name.into(),
        description: description.into(),
        unit: unit.into(),
        data: Some(data),
        ..Default::default()
    }
}

fn counter(points: Vec<NumberDataPoint>) -> Metric {
    metric(
        "http.server.requests",
        "Requests served.",
        "{request}",
        metric::Data::Sum(Sum {
            data_points: points,
            aggregation_temporality: CUMULATIVE,
            is_monotonic: true,
        }),
    )
}

fn resource(service: &str, instance: &str, metrics: Vec<Metric>) -> ResourceMetrics {
    ResourceMetrics {
        resource: Some(Resource {
            attributes: vec![
                s("service.name", service),
                s("service.instance.id", instance),
            ],
            ..Default::default()
        }),
        scope_metrics: vec![ScopeMetrics {
            scope: None,
            metrics,
            schema_url: String::new(),
        }],
        schema_url: String::new(),
    }
}

/// `cart` (pod-1): a gauge, a counter with an exemplar, a histogram with an exemplar;
/// `checkout` (pod-2): the counter.
fn export() -> ExportMetricsServiceRequest {
    let get = vec![s("http.method", "GET")];
    let mut requests_t1 = number(T1, 15, get.clone());
    requests_t1.exemplars.push(exemplar(
        1.5,
        T1 - 877 * MS,
        0xab,
        0x01,
        vec![s("user.id", "u1")],
    ));
    let cart = vec![
        metric(
            "system.memory.usage",
            "Memory in use.",
            "By",
            metric::Data::Gauge(Gauge {
                data_points: vec![
                    number(T0, 100, vec![s("state", "used")]),
                    number(T1, 200, vec![s("state", "used")]),
                ],
            }),
        ),
        counter(vec![number(T0, 10, get), requests_t1]),
        metric(
            "http.server.duration",
            "Request time.",
            "s",
            metric::Data::Histogram(Histogram {
                data_points: vec![HistogramDataPoint {
                    start_time_unix_nano: T0 - 60 * SECOND,
                    time_unix_nano: T0,
                    count: 6,
                    sum: Some(4.2),
                    bucket_counts: vec![1, 2, 3],
                    explicit_bounds: vec![0.1, 0.5],
                    exemplars: vec![exemplar(0.3, T0 - 500 * MS, 0xcd, 0x02, vec![])],
                    ..Default::default()
                }],
                aggregation_temporality: CUMULATIVE,
            }),
        ),
    ];
    let checkout = vec![counter(vec![number(T1, 7, vec![s("http.method", "POST")])])];
    ExportMetricsServiceRequest {
        resource_metrics: vec![
            resource("cart", "pod-1", cart),
            resource("checkout", "pod-2", checkout),
        ],
    }
}

pub(super) struct Env {
    pub(super) store: TelemetryStore,
    app: Router,
    _dir: tempfile::TempDir,
}

pub(super) struct Reply {
    pub(super) status: StatusCode,
    pub(super) content_type: String,
    pub(super) json: Value,
}

impl Env {
    pub(super) async fn new(multitenancy_enabled: bool) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let (store, _) =
            TelemetryStore::open_local(StoreConfig::new(dir.path()), MemoryBudget::new(1 << 30))
                .await
                .unwrap();
        let prepared = store
            .prepare(
                TenantId::single_tenant(),
                &SignalRequest::Metrics(export()),
                None,
            )
            .unwrap();
        store.commit(prepared).await.unwrap();
        let app = crate::router(QueryState {
            store: store.clone(),
            multitenancy_enabled,
        });
        Self {
            store,
            app,
            _dir: dir,
        }
    }

    async fn send(&self, request: Request<Body>) -> Reply {
        let response = self.app.clone().oneshot(request).await.unwrap();
        let status = response.status();
        let content_type = response
            .headers()
            .get(CONTENT_TYPE)
            .map(|v| v.to_str().unwrap().to_string())
            .unwrap_or_default();
        let body = response.into_body().collect().await.unwrap().to_bytes();
        let json = serde_json::from_slice(&body)
            .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&body)));
        Reply {
            status,
            content_type,
            json,
        }
    }

    pub(super) async fn get(&self, path: &str, params: &[(&str, &str)]) -> Reply {
        let query = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(params)
            .finish();
        let uri = if query.is_empty() {
            path.to_string()
        } else {
            format!("{path}?{query}")
        };
        self.send(Request::get(uri).body(Body::empty()).unwrap())
            .await
    }

    async fn post(&self, path: &str, params: &[(&str, &str)]) -> Reply {
        let body = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(params)
            .finish();
        let request = Request::builder()
            .method(Method::POST)
            .uri(path)
            .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(body))
            .unwrap();
        self.send(request).await
    }

    /// The `data` of a successful reply, the same by GET and by POST.
    pub(super) async fn data(&self, path: &str, params: &[(&str, &str)], place: &str) -> Value {
        let get = self.get(path, params).await;
        assert_eq!(
            get.status,
            StatusCode::OK,
            "{place} GET {path} {params:?}: {}",
            get.json
        );
        assert_eq!(get.content_type, "application/json");
        assert_eq!(get.json["status"], "success", "{place} {path}");
        let post = self.post(path, params).await;
        assert_eq!(post.json, get.json, "{place} POST {path} {params:?}");
        get.json["data"].clone()
    }

    /// Asserts a `bad_data` reply (400), GET and POST; returns the error text.
    pub(super) async fn bad(&self, path: &str, params: &[(&str, &str)]) -> String {
        for reply in [self.get(path, params).await, self.post(path, params).await] {
            assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{path} {params:?}");
            assert_eq!(reply.json["status"], "error");
            assert_eq!(reply.json["errorType"], "bad_data", "{path} {params:?}");
            assert_eq!(reply.json.as_object().unwrap().len(), 3);
        }
        self.get(path, params).await.json["error"]
            .as_str()
            .unwrap()
            .to_string()
    }
}

fn cart(name: &str, extra: &[(&str, &str)]) -> Value {
    let mut labels = json!({"__name__": name, "instance": "pod-1", "job": "cart"});
    for (k, v) in extra {
        labels[*k] = json!(v);
    }
    labels
}

fn checkout_post() -> Value {
    json!({"__name__": REQUESTS, "http_method": "POST", "instance": "pod-2", "job": "checkout"})
}

fn all_series() -> Vec<Value> {
    vec![
        cart(&format!("{H}_bucket"), &[("le", "+Inf")]),
        cart(&format!("{H}_bucket"), &[("le", "0.1")]),
        cart(&format!("{H}_bucket"), &[("le", "0.5")]),
        cart(&format!("{H}_count"), &[]),
        cart(&format!("{H}_sum"), &[]),
        cart(REQUESTS, &[("http_method", "GET")]),
        checkout_post(),
        cart(MEMORY, &[("state", "used")]),
    ]
}

async fn check_series(env: &Env, place: &str) {
    let series = async |params: &[(&str, &str)]| env.data("/api/v1/series", params, place).await;
    let all = all_series();
    assert_eq!(
        series(&[("match[]", r#"{__name__=~".+"}"#)]).await,
        json!(all)
    );
    assert_eq!(
        series(&[("match[]", REQUESTS)]).await,
        json!([all[5], all[6]])
    );
    // `=`
    assert_eq!(
        series(&[(
            "match[]",
            r#"{__name__="http_server_requests_total",job="checkout"}"#
        )])
        .await,
        json!([all[6]])
    );
    // `!=`
    assert_eq!(
        series(&[("match[]", r#"http_server_requests_total{job!="checkout"}"#)]).await,
        json!([all[5]])
    );
    // `=~`, fully anchored.
    assert_eq!(
        series(&[(
            "match[]",
            r#"{__name__=~"http_server_duration_seconds_(sum|count)"}"#
        )])
        .await,
        json!([all[3], all[4]])
    );
    assert_eq!(
        series(&[("match[]", r#"{__name__=~"http_server_duration"}"#)]).await,
        json!([])
    );
    // `!~`, fully anchored: "car" does not exclude "cart".
    assert_eq!(
        series(&[("match[]", r#"http_server_requests_total{job!~"car"}"#)]).await,
        json!([all[5], all[6]])
    );
    assert_eq!(
        series(&[(
            "match[]",
            r#"http_server_requests_total{job!~"cart|other"}"#
        )])
        .await,
        json!([all[6]])
    );
    // A missing label is "".
    assert_eq!(
        series(&[("match[]", r#"{__name__=~"http.+",le="",http_method=""}"#)]).await,
        json!([all[3], all[4]])
    );
    // Several match[]: the union, each series once.
    assert_eq!(
        series(&[
            ("match[]", MEMORY),
            ("match[]", r#"{job="checkout"}"#),
            ("match[]", r#"{__name__=~"system.*"}"#),
        ])
        .await,
        json!([all[6], all[7]])
    );
    // `or` inside a selector.
    assert_eq!(
        series(&[("match[]", r#"{job="checkout" or state="used"}"#)]).await,
        json!([all[6], all[7]])
    );
    // Time range: T1 only (float seconds and RFC 3339).
    assert_eq!(
        series(&[
            ("match[]", r#"{job=~".+"}"#),
            ("start", "1700000010"),
            ("end", "2023-11-14T22:13:30Z"),
        ])
        .await,
        json!([all[5], all[6], all[7]])
    );
    assert_eq!(
        series(&[("match[]", r#"{job=~".+"}"#), ("end", "1699999999.999")]).await,
        json!([])
    );
    // limit: truncated with Prometheus' warning.
    let reply = env
        .get("/api/v1/series", &[("match[]", REQUESTS), ("limit", "1")])
        .await;
    assert_eq!(
        reply.json,
        json!({"status": "success", "data": [all[5]], "warnings": ["results truncated due to limit"]}),
        "{place}"
    );
}

async fn check_labels(env: &Env, place: &str) {
    let labels = async |params: &[(&str, &str)]| env.data("/api/v1/labels", params, place).await;
    assert_eq!(
        labels(&[]).await,
        json!(["__name__", "http_method", "instance", "job", "le", "state"])
    );
    assert_eq!(
        labels(&[("match[]", MEMORY)]).await,
        json!(["__name__", "instance", "job", "state"])
    );
    assert_eq!(
        labels(&[("match[]", MEMORY), ("match[]", r#"{le="0.1"}"#)]).await,
        json!(["__name__", "instance", "job", "le", "state"])
    );
    // After the last point. (Between two points of a stream, a block answers with the
    // stream's series, as a Prometheus block overlapping the range does.)
    assert_eq!(
        labels(&[("start", "1700000011"), ("end", "1700000012")]).await,
        json!([])
    );
    let values = async |name: &str, params: &[(&str, &str)]| {
        let path = format!("/api/v1/label/{name}/values");
        env.data(&path, params, place).await
    };
    assert_eq!(
        values("__name__", &[]).await,
        json!([
            format!("{H}_bucket"),
            format!("{H}_count"),
            format!("{H}_sum"),
            REQUESTS,
            MEMORY
        ])
    );
    assert_eq!(values("job", &[]).await, json!(["cart", "checkout"]));
    assert_eq!(values("le", &[]).await, json!(["+Inf", "0.1", "0.5"]));
    assert_eq!(
        values("job", &[("match[]", r#"{http_method="POST"}"#)]).await,
        json!(["checkout"])
    );
    assert_eq!(
        values(
            "__name__",
            &[("match[]", r#"{job="cart",__name__!~"http.*"}"#)]
        )
        .await,
        json!([MEMORY])
    );
    assert_eq!(values("nope", &[]).await, json!([]));
    assert_eq!(
        values("job", &[("start", "1700000010")]).await,
        json!(["cart", "checkout"])
    );
    assert_eq!(values("le", &[("start", "1700000010")]).await, json!([]));
}

async fn check_metadata(env: &Env, place: &str) {
    let metadata =
        async |params: &[(&str, &str)]| env.data("/api/v1/metadata", params, place).await;
    let histogram = json!([{"type": "histogram", "help": "Request time.", "unit": "s"}]);
    let requests = json!([{"type": "counter", "help": "Requests served.", "unit": "{request}"}]);
    let memory = json!([{"type": "gauge", "help": "Memory in use.", "unit": "By"}]);
    assert_eq!(
        metadata(&[]).await,
        json!({H: histogram, REQUESTS: requests, MEMORY: memory})
    );
    assert_eq!(
        metadata(&[("metric", MEMORY)]).await,
        json!({MEMORY: memory})
    );
    assert_eq!(metadata(&[("metric", "nope")]).await, json!({}));
    assert_eq!(metadata(&[("limit", "1")]).await, json!({H: histogram}));
}

async fn check_exemplars(env: &Env, place: &str) {
    let exemplars =
        async |params: &[(&str, &str)]| env.data("/api/v1/query_exemplars", params, place).await;
    let bucket = json!({
        "seriesLabels": cart(&format!("{H}_bucket"), &[("le", "0.5")]),
        "exemplars": [{
            "labels": {"trace_id": "cd".repeat(16), "span_id": "02".repeat(8)},
            "value": "0.3",
            "timestamp": 1699999999.5,
        }],
    });
    let counter = json!({
        "seriesLabels": cart(REQUESTS, &[("http_method", "GET")]),
        "exemplars": [{
            "labels": {"trace_id": "ab".repeat(16), "span_id": "01".repeat(8), "user_id": "u1"},
            "value": "1.5",
            "timestamp": 1700000009.123,
        }],
    });
    let range = [("start", "1699999990"), ("end", "1700000020")];
    let with = |query: &'static str| {
        let mut params = vec![("query", query)];
        params.extend(range);
        params
    };
    assert_eq!(
        exemplars(&with(
            "histogram_quantile(0.9, rate(http_server_duration_seconds_bucket[5m])) + on() group_left sum(rate(http_server_requests_total[1m]))"
        ))
        .await,
        json!([bucket, counter])
    );
    assert_eq!(
        exemplars(&with(r#"http_server_duration_seconds_bucket{le="0.5"}"#)).await,
        json!([bucket])
    );
    assert_eq!(
        exemplars(&with(r#"http_server_duration_seconds_bucket{le!="0.5"}"#)).await,
        json!([])
    );
    assert_eq!(
        exemplars(&with(r#"{job=~"c.*"}"#)).await,
        json!([bucket, counter])
    );
    // Gauges carry none; the exemplar time decides the range.
    assert_eq!(exemplars(&with(MEMORY)).await, json!([]));
    assert_eq!(
        exemplars(&[("query", r#"{job="cart"}"#), ("start", "1700000000")]).await,
        json!([counter])
    );
    assert_eq!(exemplars(&[("query", "1 + 1")]).await, json!([]));
}

async fn check_bad_params(env: &Env) {
    assert_eq!(
        env.bad("/api/v1/series", &[]).await,
        "no match[] parameter provided"
    );
    assert_eq!(
        env.bad(
            "/api/v1/series",
            &[("match[]", "up"), ("start", "yesterday")]
        )
        .await,
        "invalid parameter \"start\": cannot parse \"yesterday\" to a valid timestamp"
    );
    assert_eq!(
        env.bad(
            "/api/v1/series",
            &[("match[]", "up"), ("start", "20"), ("end", "10")]
        )
        .await,
        "invalid parameter \"end\": end timestamp must not be before start time"
    );
    env.bad("/api/v1/series", &[("match[]", "sum(up)")]).await;
    env.bad("/api/v1/series", &[("match[]", "{")]).await;
    env.bad("/api/v1/series", &[("match[]", r#"{job!~"x"}"#)])
        .await;
    env.bad("/api/v1/labels", &[("match[]", "up{")]).await;
    env.bad("/api/v1/labels", &[("limit", "-1")]).await;
    env.bad("/api/v1/labels", &[("end", "soon")]).await;
    assert_eq!(
        env.bad("/api/v1/label/not-a-name/values", &[]).await,
        "invalid label name: \"not-a-name\""
    );
    env.bad("/api/v1/label/job/values", &[("match[]", "rate(up[5m])")])
        .await;
    env.bad("/api/v1/metadata", &[("limit", "x")]).await;
    assert_eq!(
        env.bad("/api/v1/query_exemplars", &[]).await,
        "invalid parameter \"query\": query is empty"
    );
    env.bad("/api/v1/query_exemplars", &[("query", "sum(")])
        .await;
    env.bad(
        "/api/v1/query_exemplars",
        &[("query", "up"), ("start", "x")],
    )
    .await;
    // A body that is not a form.
    let request = Request::builder()
        .method(Method::POST)
        .uri("/api/v1/series")
        .header(CONTENT_TYPE, "application/json")
        .body(Body::from("{}"))
        .unwrap();
    let reply = env.send(request).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert_eq!(reply.json["errorType"], "bad_data");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn endpoints_from_heads_and_blocks() {
    let env = Env::new(false).await;
    for (place, flush) in [("heads", false), ("blocks", true)] {
        if flush {
            env.store.flush().await.unwrap();
            let tenant = TenantId::single_tenant();
            let blocks = env
                .store
                .blocks(&tenant, sightline_storage::Signal::Metrics, None);
            assert!(!blocks.is_empty());
            let heads = env
                .store
                .head_batches(&tenant, sightline_storage::Signal::Metrics, None);
            assert!(heads.is_empty(), "{place}");
        }
        check_series(&env, place).await;
        check_labels(&env, place).await;
        check_metadata(&env, place).await;
        check_exemplars(&env, place).await;
        check_bad_params(&env).await;
    }
    env.store.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn buildinfo() {
    let env = Env::new(false).await;
    let reply = env.get("/api/v1/status/buildinfo", &[]).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(
        reply.json,
        json!({"status": "success", "data": {
            "version": "2.53.0-sightline",
            "revision": env!("CARGO_PKG_VERSION"),
            "branch": "",
            "buildUser": "sightline",
            "buildDate": "",
            "goVersion": "",
        }})
    );
    env.store.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tenants() {
    let env = Env::new(true).await;
    // No tenant with multi-tenancy on: 401 in the Prometheus envelope.
    let reply = env.get("/api/v1/labels", &[]).await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    assert_eq!(reply.json["status"], "error");
    assert_eq!(reply.json["errorType"], "unauthorized");
    let as_tenant = async |tenant: &str| {
        let request = Request::get("/api/v1/label/job/values")
            .header(sightline_storage::TENANT_HEADER, tenant)
            .body(Body::empty())
            .unwrap();
        env.send(request).await.json
    };
    let single = TenantId::single_tenant();
    assert_eq!(
        as_tenant(single.as_str()).await,
        json!({"status": "success", "data": ["cart", "checkout"]})
    );
    assert_eq!(
        as_tenant("someone-else").await,
        json!({"status": "success", "data": []})
    );
    env.store.shutdown().await.unwrap();
}
