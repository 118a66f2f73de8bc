//! Table tests of the OTLP -> Prometheus naming rules.

use sightline_proto::otlp::common::v1::{AnyValue, ArrayValue as Array, KeyValue, any_value};

use super::MetricKind::*;
use super::*;

#[test]
#[rustfmt::skip]
fn metric_names() {
    let cases: &[(&str, &str, MetricKind, &str)] = &[
        // Sanitization.
        ("http.server.request.duration", "s", Histogram, "http_server_request_duration_seconds"),
        ("system.memory.usage", "By", NonMonotonicSum, "system_memory_usage_bytes"),
        ("(lambda).function.executions(#)", "", Gauge, "lambda_function_executions"),
        ("a..b--c", "", Gauge, "a_b_c"),
        ("__private__metric__", "", Gauge, "private_metric"),
        ("ns:metric.name", "", Gauge, "ns:metric_name"),
        ("2xx.responses", "", Gauge, "_2xx_responses"),
        ("température", "", Gauge, "temp_rature"),
        ("already_valid_name", "", Gauge, "already_valid_name"),
        ("", "", Gauge, ""),
        // Unit words.
        ("latency", "ms", Gauge, "latency_milliseconds"),
        ("latency", "us", Gauge, "latency_microseconds"),
        ("latency", "ns", Gauge, "latency_nanoseconds"),
        ("uptime", "d", Gauge, "uptime_days"),
        ("uptime", "h", Gauge, "uptime_hours"),
        ("uptime", "min", Gauge, "uptime_minutes"),
        ("heap", "KiBy", Gauge, "heap_kibibytes"),
        ("heap", "MiBy", Gauge, "heap_mebibytes"),
        ("heap", "GiBy", Gauge, "heap_gibibytes"),
        ("disk", "TBy", Gauge, "disk_terabytes"),
        ("distance", "m", Gauge, "distance_meters"),
        ("cpu.temperature", "Cel", Gauge, "cpu_temperature_celsius"),
        ("clock", "Hz", Gauge, "clock_hertz"),
        ("load", "%", Gauge, "load_percent"),
        ("power", "W", Gauge, "power_watts"),
        // `1`, annotations, rates, unknown units.
        ("system.cpu.utilization", "1", Gauge, "system_cpu_utilization_ratio"),
        ("hit.ratio", "1", Gauge, "hit_ratio"),
        ("errors", "1", MonotonicSum, "errors_total"),
        ("queue.size", "1", NonMonotonicSum, "queue_size"),
        ("system.network.dropped", "{packets}", MonotonicSum, "system_network_dropped_total"),
        ("requests", "{request}/s", Gauge, "requests_per_second"),
        ("throughput", "By/s", Gauge, "throughput_bytes_per_second"),
        ("rate", "1/s", Gauge, "rate_per_second"),
        ("usage", "By/mo", Gauge, "usage_bytes_per_month"),
        ("network.dropped", "packets", Gauge, "network_dropped_packets"),
        ("flow", "l/min", Gauge, "flow_l_per_min"),
        ("odd", "k$g", Gauge, "odd_kg"),
        // No duplicate suffixes.
        ("request.duration.seconds", "s", Histogram, "request_duration_seconds"),
        ("request_duration_seconds_total", "s", MonotonicSum, "request_duration_seconds_total"),
        ("bytes.sent", "By", MonotonicSum, "bytes_sent_total"),
        ("rate_per_second", "1/s", Gauge, "rate_per_second"),
        // Counters and `_total`.
        ("http.requests", "", MonotonicSum, "http_requests_total"),
        ("http.requests.total", "", MonotonicSum, "http_requests_total"),
        ("http_requests_total", "{request}", MonotonicSum, "http_requests_total"),
        ("total.requests", "", MonotonicSum, "total_requests_total"),
        ("process.cpu.time", "s", MonotonicSum, "process_cpu_time_seconds_total"),
        ("active.requests.total", "", NonMonotonicSum, "active_requests_total"),
        ("queue.depth", "{item}", NonMonotonicSum, "queue_depth"),
        ("rpc.server.duration", "ms", ExponentialHistogram, "rpc_server_duration_milliseconds"),
        ("rpc.latency", "s", Summary, "rpc_latency_seconds"),
    ];
    for (name, unit, kind, expected) in cases {
        assert_eq!(metric_name(name, unit, *kind), *expected, "{name} [{unit}] {kind:?}");
    }
    assert!(cases.len() >= 40);
}

#[test]
#[rustfmt::skip]
fn label_names() {
    let cases = [
        ("http.method", "http_method"),
        ("http.response.status_code", "http_response_status_code"),
        ("valid_name", "valid_name"),
        ("a-b/c d", "a_b_c_d"),
        ("a..b", "a_b"),
        ("2xx", "key_2xx"),
        ("_private", "key_private"),
        ("__reserved", "key_reserved"),
        ("__name__", "key_name_"),
        ("ümlaut", "key_mlaut"),
        ("trailing.", "trailing_"),
        ("", ""),
    ];
    for (key, expected) in cases {
        assert_eq!(label_name(key), expected, "{key}");
    }
}

fn s(key: &str, value: &str) -> KeyValue {
    v(key, any_value::Value::StringValue(value.into()))
}

fn v(key: &str, value: any_value::Value) -> KeyValue {
    KeyValue {
        key: key.into(),
        value: Some(AnyValue { value: Some(value) }),
        key_strindex: 0,
    }
}

#[test]
fn attribute_values() {
    use any_value::Value::*;
    let array = Array {
        values: vec![
            AnyValue {
                value: Some(StringValue("a\"b".into())),
            },
            AnyValue {
                value: Some(IntValue(2)),
            },
            AnyValue {
                value: Some(BoolValue(false)),
            },
        ],
    };
    let cases = [
        (StringValue("GET".into()), "GET"),
        (IntValue(-42), "-42"),
        (DoubleValue(0.25), "0.25"),
        (DoubleValue(3.0), "3"),
        (BoolValue(true), "true"),
        (BytesValue(b"hello".to_vec()), "aGVsbG8="),
        (BytesValue(b"hi!".to_vec()), "aGkh"),
        (ArrayValue(array), r#"["a\"b",2,false]"#),
    ];
    for (value, expected) in cases {
        let text = attribute_value_string(Some(&AnyValue {
            value: Some(value.clone()),
        }));
        assert_eq!(text, expected, "{value:?}");
    }
    assert_eq!(attribute_value_string(None), "");
}

#[test]
fn colliding_labels_are_joined_in_key_order() {
    let labels = labels_of(&[
        s("foo.bar", "dot"),
        s("foo_bar", "underscore"),
        s("foo-bar", "dash"),
        s("empty", ""),
        v("code", any_value::Value::IntValue(200)),
    ]);
    assert_eq!(
        labels,
        vec![
            ("code".to_string(), "200".to_string()),
            ("foo_bar".to_string(), "dash;dot;underscore".to_string()),
        ]
    );
}

#[test]
fn job_instance_and_target_info() {
    let full = [
        s("service.name", "cart"),
        s("service.namespace", "shop"),
        s("service.instance.id", "pod-1"),
        s("host.name", "node-7"),
        s("deployment.environment.name", "prod"),
    ];
    assert_eq!(
        job_and_instance(&full),
        (Some("shop/cart".into()), Some("pod-1".into()))
    );
    assert_eq!(
        target_info_labels(&full).unwrap(),
        vec![
            ("deployment_environment_name".into(), "prod".into()),
            ("host_name".into(), "node-7".into()),
            ("instance".into(), "pod-1".into()),
            ("job".into(), "shop/cart".into()),
        ]
    );
    let bare = [s("service.name", "cart")];
    assert_eq!(job_and_instance(&bare), (Some("cart".into()), None));
    assert_eq!(target_info_labels(&bare), None);
    assert_eq!(job_and_instance(&[]), (None, None));
    assert!(is_target_info_attribute("host.name"));
    assert!(!is_target_info_attribute("service.instance.id"));
}

#[test]
fn float_labels() {
    let cases = [
        (0.005, "0.005"),
        (1.0, "1"),
        (250.0, "250"),
        (-0.0, "0"),
        (0.99, "0.99"),
        (f64::INFINITY, "+Inf"),
        (f64::NEG_INFINITY, "-Inf"),
    ];
    for (value, expected) in cases {
        assert_eq!(float_label(value), expected);
    }
}
