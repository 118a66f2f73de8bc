//! Series conversion over a fixed OTLP export: every metric type, delta and cumulative, a
//! `NO_RECORDED_VALUE` point, exemplars and resource attributes; read back from the heads and
//! again from blocks.

use sightline_proto::otlp::collector::metrics::v1::ExportMetricsServiceRequest;
use sightline_proto::otlp::common::v1::{AnyValue, InstrumentationScope, KeyValue, any_value};
use sightline_proto::otlp::metrics::v1::{
    Exemplar, ExponentialHistogram, ExponentialHistogramDataPoint, Gauge, Histogram,
    HistogramDataPoint, Metric, NumberDataPoint, ResourceMetrics, ScopeMetrics, Sum, Summary,
    SummaryDataPoint, exemplar, exponential_histogram_data_point, metric, number_data_point,
    summary_data_point,
};
use sightline_proto::otlp::resource::v1::Resource;
use sightline_storage::{MemoryBudget, SignalRequest, StoreConfig, TelemetryStore, TenantId};

use super::*;
use sightline_storage::Signal;

pub(super) const SECOND: u64 = 1_000_000_000;
pub(super) const BASE: u64 = 1_700_000_000 * SECOND;
pub(super) const T0: u64 = BASE;
pub(super) const T1: u64 = BASE + 10 * SECOND;
pub(super) const T2: u64 = BASE + 20 * SECOND;
const DELTA: i32 = 1;
const CUMULATIVE: i32 = 2;

fn s(key: &str, value: &str) -> KeyValue {
    KeyValue {
        key: key.into(),
        value: Some(AnyValue {
            value: Some(any_value::Value::StringValue(value.into())),
        }),
        key_strindex: 0,
    }
}

fn number(
    time: u64,
    value: number_data_point::Value,
    attributes: Vec<KeyValue>,
) -> NumberDataPoint {
    NumberDataPoint {
        attributes,
        start_time_unix_nano: BASE - 60 * SECOND,
        time_unix_nano: time,
        value: Some(value),
        ..Default::default()
    }
}

fn exemplar(value: f64, span: u8) -> Exemplar {
    Exemplar {
        filtered_attributes: vec![s("user.id", "u1")],
        time_unix_nano: T1 - SECOND,
        value: Some(exemplar::Value::AsDouble(value)),
        span_id: vec![span; 8],
        trace_id: vec![0xab; 16],
    }
}

fn metric(name: &str, unit: &str, data: metric::Data) -> Metric {
    Metric {
        name: name.into(),
        unit: unit.into(),
        data: Some(data),
        ..Default::default()
    }
}

pub(super) fn request() -> ExportMetricsServiceRequest {
    use number_data_point::Value::{AsDouble, AsInt};
    let cpu = vec![s("cpu", "0")];
    let get = vec![s("http.method", "GET")];
    let mut gauge_point = number(T0, AsDouble(0.25), cpu.clone());
    gauge_point.exemplars.push(exemplar(0.25, 9)); // Dropped: gauges have no exemplars.
    let mut counter_t1 = number(T1, AsInt(15), get.clone());
    counter_t1.exemplars.push(exemplar(1.0, 1));
    let mut stale = number(T2, AsInt(0), get.clone());
    stale.value = None;
    stale.flags = FLAG_NO_RECORDED_VALUE;
    let mut delta = number(T0, AsInt(4), vec![]);
    delta.start_time_unix_nano = T0 - 10 * SECOND;
    let metrics = vec![
        metric(
            "system.cpu.utilization",
            "1",
            metric::Data::Gauge(Gauge {
                data_points: vec![gauge_point, number(T1, AsDouble(0.5), cpu)],
            }),
        ),
        metric(
            "http.server.requests",
            "{request}",
            metric::Data::Sum(Sum {
                data_points: vec![number(T0, AsInt(10), get.clone()), counter_t1, stale],
                aggregation_temporality: CUMULATIVE,
                is_monotonic: true,
            }),
        ),
        metric(
            "queue.depth",
            "{item}",
            metric::Data::Sum(Sum {
                data_points: vec![number(T0, AsInt(3), vec![])],
                aggregation_temporality: CUMULATIVE,
                is_monotonic: false,
            }),
        ),
        metric(
            "jobs.processed",
            "",
            metric::Data::Sum(Sum {
                data_points: vec![delta],
                aggregation_temporality: DELTA,
                is_monotonic: true,
            }),
        ),
        metric(
            "http.server.request.duration",
            "s",
            metric::Data::Histogram(Histogram {
                data_points: vec![
                    HistogramDataPoint {
                        attributes: vec![s("job", "batch")],
                        start_time_unix_nano: BASE - 60 * SECOND,
                        time_unix_nano: T0,
                        count: 6,
                        sum: Some(4.2),
                        bucket_counts: vec![1, 2, 3],
                        explicit_bounds: vec![0.1, 0.5],
                        exemplars: vec![exemplar(0.3, 2)],
                        ..Default::default()
                    },
                    HistogramDataPoint {
                        // No recorded value: no buckets, no sum.
                        attributes: vec![s("job", "batch")],
                        time_unix_nano: T1,
                        flags: FLAG_NO_RECORDED_VALUE,
                        ..Default::default()
                    },
                ],
                aggregation_temporality: CUMULATIVE,
            }),
        ),
        metric(
            "rpc.duration",
            "ms",
            metric::Data::ExponentialHistogram(ExponentialHistogram {
                data_points: vec![ExponentialHistogramDataPoint {
                    time_unix_nano: T0,
                    count: 7,
                    sum: Some(10.0),
                    scale: 0,
                    zero_count: 1,
                    positive: Some(exponential_histogram_data_point::Buckets {
                        offset: 0,
                        bucket_counts: vec![2, 3],
                    }),
                    negative: Some(exponential_histogram_data_point::Buckets {
                        offset: 1,
                        bucket_counts: vec![1],
                    }),
                    ..Default::default()
                }],
                aggregation_temporality: CUMULATIVE,
            }),
        ),
        metric(
            "rpc.latency",
            "s",
            metric::Data::Summary(Summary {
                data_points: vec![SummaryDataPoint {
                    time_unix_nano: T0,
                    count: 40,
                    sum: 12.5,
                    quantile_values: vec![
                        summary_data_point::ValueAtQuantile {
                            quantile: 0.5,
                            value: 0.2,
                        },
                        summary_data_point::ValueAtQuantile {
                            quantile: 0.99,
                            value: 0.9,
                        },
                    ],
                    ..Default::default()
                }],
            }),
        ),
    ];
    ExportMetricsServiceRequest {
        resource_metrics: vec![ResourceMetrics {
            resource: Some(Resource {
                attributes: vec![
                    s("service.name", "cart"),
                    s("service.namespace", "shop"),
                    s("service.instance.id", "pod-1"),
                    s("host.name", "node-7"),
                    s("deployment.environment.name", "prod"),
                ],
                ..Default::default()
            }),
            scope_metrics: vec![ScopeMetrics {
                scope: Some(InstrumentationScope {
                    name: "app.meter".into(),
                    version: "2.0".into(),
                    ..Default::default()
                }),
                metrics,
                schema_url: String::new(),
            }],
            schema_url: String::new(),
        }],
    }
}

/// `name{labels}` with the resource and scope labels every point series has.
fn series(name: &str, extra: &[(&str, &str)]) -> String {
    let mut labels: Vec<(&str, &str)> = vec![
        ("instance", "pod-1"),
        ("job", "shop/cart"),
        ("otel_scope_name", "app.meter"),
        ("otel_scope_version", "2.0"),
    ];
    labels.extend_from_slice(extra);
    render(name, labels.into_iter())
}

fn render<'a>(name: &str, labels: impl Iterator<Item = (&'a str, &'a str)>) -> String {
    let mut labels: Vec<_> = labels.map(|(k, v)| format!("{k}={v:?}")).collect();
    labels.sort();
    format!("{name}{{{}}}", labels.join(","))
}

type Expected = Vec<(String, Temporality, Vec<(u64, f64)>)>;
/// Like [`Expected`], values as bits.
type Rendered = Vec<(String, Temporality, Vec<(u64, u64)>)>;
/// An exemplar as (series, trace id, span id, value, time, labels).
type ExemplarRow = (String, String, String, f64, u64, Vec<(String, String)>);

#[rustfmt::skip]
fn expected() -> Expected {
    let stale = stale_nan();
    let ex = [("exported_job", "batch")];
    let bucket = |le| [("exported_job", "batch"), ("le", le)];
    let (u, c, d) = (Temporality::Unspecified, Temporality::Cumulative, Temporality::Delta);
    let target_info = render("target_info", [
        ("deployment_environment_name", "prod"), ("host_name", "node-7"),
        ("instance", "pod-1"), ("job", "shop/cart"),
    ].into_iter());
    let h = "http_server_request_duration_seconds";
    let r = "rpc_duration_milliseconds";
    let mut out: Expected = vec![
        (series("system_cpu_utilization_ratio", &[("cpu", "0")]), u, vec![(T0, 0.25), (T1, 0.5)]),
        (series("http_server_requests_total", &[("http_method", "GET")]), c, vec![(T0, 10.0), (T1, 15.0), (T2, stale)]),
        (series("queue_depth", &[]), u, vec![(T0, 3.0)]),
        (series("jobs_processed_total", &[]), d, vec![(T0, 4.0)]),
        (series(&format!("{h}_bucket"), &bucket("0.1")), c, vec![(T0, 1.0)]),
        (series(&format!("{h}_bucket"), &bucket("0.5")), c, vec![(T0, 3.0)]),
        (series(&format!("{h}_bucket"), &bucket("+Inf")), c, vec![(T0, 6.0), (T1, stale)]),
        (series(&format!("{h}_sum"), &ex), c, vec![(T0, 4.2), (T1, stale)]),
        (series(&format!("{h}_count"), &ex), c, vec![(T0, 6.0), (T1, stale)]),
        (series(&format!("{r}_bucket"), &[("le", "-2")]), c, vec![(T0, 1.0)]),
        (series(&format!("{r}_bucket"), &[("le", "0")]), c, vec![(T0, 2.0)]),
        (series(&format!("{r}_bucket"), &[("le", "2")]), c, vec![(T0, 4.0)]),
        (series(&format!("{r}_bucket"), &[("le", "4")]), c, vec![(T0, 7.0)]),
        (series(&format!("{r}_bucket"), &[("le", "+Inf")]), c, vec![(T0, 7.0)]),
        (series(&format!("{r}_sum"), &[]), c, vec![(T0, 10.0)]),
        (series(&format!("{r}_count"), &[]), c, vec![(T0, 7.0)]),
        (series("rpc_latency_seconds", &[("quantile", "0.5")]), u, vec![(T0, 0.2)]),
        (series("rpc_latency_seconds", &[("quantile", "0.99")]), u, vec![(T0, 0.9)]),
        (series("rpc_latency_seconds_sum", &[]), u, vec![(T0, 12.5)]),
        (series("rpc_latency_seconds_count", &[]), u, vec![(T0, 40.0)]),
        (target_info, u, vec![(T0, 1.0), (T1, 1.0), (T2, 1.0)]),
    ];
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

/// Renders listed series like [`expected`], values compared by bits (the stale NaN included).
fn actual(listed: &[SeriesSamples]) -> Rendered {
    let mut out: Vec<_> = listed
        .iter()
        .map(|s| {
            let labels = s
                .series
                .labels
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str()));
            let points = s
                .points
                .iter()
                .map(|p| (p.time_ns, p.value.to_bits()))
                .collect();
            (render(&s.series.name, labels), s.series.temporality, points)
        })
        .collect();
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

fn bits(expected: Expected) -> Rendered {
    expected
        .into_iter()
        .map(|(s, t, points)| {
            (
                s,
                t,
                points.into_iter().map(|(t, v)| (t, v.to_bits())).collect(),
            )
        })
        .collect()
}

pub(super) async fn store(dir: &std::path::Path) -> TelemetryStore {
    let (store, _) = TelemetryStore::open_local(StoreConfig::new(dir), MemoryBudget::new(1 << 30))
        .await
        .unwrap();
    let prepared = store
        .prepare(
            TenantId::single_tenant(),
            &SignalRequest::Metrics(request()),
            None,
        )
        .unwrap();
    store.commit(prepared).await.unwrap();
    store
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn series_from_heads_and_blocks() {
    let dir = tempfile::tempdir().unwrap();
    let store = store(dir.path()).await;
    let tenant = TenantId::single_tenant();
    let range = (BASE - 3600 * SECOND, BASE + 3600 * SECOND);
    for (place, flush) in [("heads", false), ("blocks", true)] {
        if flush {
            store.flush().await.unwrap();
            assert!(!store.blocks(&tenant, Signal::Metrics, None).is_empty());
        }
        let listed = list_series(&store, &tenant, range).await.unwrap();
        assert_eq!(actual(&listed), bits(expected()), "from {place}");
        let kinds: Vec<SeriesKind> = listed.iter().map(|s| s.series.kind).collect();
        assert!(kinds.contains(&SeriesKind::Info) && kinds.contains(&SeriesKind::Counter));
        let delta = listed
            .iter()
            .find(|s| s.series.name == "jobs_processed_total")
            .unwrap();
        assert_eq!(delta.points[0].start_time_ns, T0 - 10 * SECOND);
        // Outside the range: nothing.
        let later = list_series(&store, &tenant, (T2 + 1, T2 + SECOND))
            .await
            .unwrap();
        assert!(later.is_empty(), "from {place}: {later:?}");
        // Only T1: the gauge, the counter, the stale histogram and target_info.
        let at_t1 = list_series(&store, &tenant, (T1, T1)).await.unwrap();
        let names: Vec<&str> = at_t1.iter().map(|s| s.series.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "http_server_request_duration_seconds_bucket",
                "http_server_request_duration_seconds_count",
                "http_server_request_duration_seconds_sum",
                "http_server_requests_total",
                "system_cpu_utilization_ratio",
                "target_info"
            ],
            "from {place}"
        );
    }
    store.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exemplars_and_staleness_of_a_batch() {
    let dir = tempfile::tempdir().unwrap();
    let store = store(dir.path()).await;
    let heads = store.head_batches(&TenantId::single_tenant(), Signal::Metrics, None);
    let mut converter = SampleConverter::new();
    let mut exemplars = Vec::new();
    let (mut samples, mut stale) = (0, 0);
    for head in &heads {
        converter
            .exemplars_of_batch(&head.batch, None, &mut |e| exemplars.push(e))
            .unwrap();
        samples_of_batch(&head.batch, |sample| {
            samples += 1;
            if is_stale(sample.value) {
                stale += 1;
                let name = sample.series.name.as_str();
                let time = if name == "http_server_requests_total" {
                    T2
                } else {
                    T1
                };
                assert_eq!(sample.time_ns, time, "{name}");
            }
        })
        .unwrap();
    }
    assert_eq!((samples, stale), (29, 4));
    exemplars.sort_by_key(|e| e.span_id.clone());
    let rendered: Vec<ExemplarRow> = exemplars
        .into_iter()
        .map(|e| {
            let labels = e
                .series
                .labels
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str()));
            (
                render(&e.series.name, labels),
                e.trace_id,
                e.span_id,
                e.value,
                e.time_ns,
                e.labels,
            )
        })
        .collect();
    let user = vec![("user_id".to_string(), "u1".to_string())];
    let trace = "ab".repeat(16);
    assert_eq!(
        rendered,
        vec![
            (
                series("http_server_requests_total", &[("http_method", "GET")]),
                trace.clone(),
                "01".repeat(8),
                1.0,
                T1 - SECOND,
                user.clone()
            ),
            (
                series(
                    "http_server_request_duration_seconds_bucket",
                    &[("exported_job", "batch"), ("le", "0.5")]
                ),
                trace,
                "02".repeat(8),
                0.3,
                T1 - SECOND,
                user
            ),
        ]
    );
    store.shutdown().await.unwrap();
}

/// Compile-time check: the listing can run in a `Send` handler future.
#[allow(dead_code)]
fn listing_is_send(store: &TelemetryStore, tenant: &TenantId) {
    fn send<T: Send>(_: T) {}
    send(list_series(store, tenant, (0, 1)));
}

#[test]
fn stale_marker_is_the_prometheus_bit_pattern() {
    assert!(stale_nan().is_nan());
    assert!(is_stale(f64::from_bits(0x7ff0_0000_0000_0002)));
    assert!(!is_stale(f64::NAN));
    assert_eq!(Temporality::from_code(1), Temporality::Delta);
    assert_eq!(Temporality::from_code(2), Temporality::Cumulative);
    assert_eq!(Temporality::from_code(0), Temporality::Unspecified);
}
