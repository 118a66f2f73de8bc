//! Requests exercising every OTLP field, and golden files, shared by this crate's tests.

/// Reads the golden file `name` from `storage/testdata/golden/`. With `SIGHTLINE_BLESS=<name>`
/// (or `SIGHTLINE_BLESS=1` for all) it is (re)written from `generate` first; bless only a new
/// format version's file, never an old one's.
pub fn golden_file(name: &str, generate: impl FnOnce() -> Vec<u8>) -> Vec<u8> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("testdata/golden")
        .join(name);
    if let Ok(bless) = std::env::var("SIGHTLINE_BLESS")
        && (bless == "1" || bless.split(',').any(|b| b == name))
    {
        std::fs::write(&path, generate()).unwrap();
    }
    std::fs::read(&path).unwrap_or_else(|e| {
        panic!(
            "golden file {}: {e} (run with SIGHTLINE_BLESS={name} once)",
            path.display()
        )
    })
}

use sightline_proto::otlp::collector::logs::v1::ExportLogsServiceRequest;
use sightline_proto::otlp::collector::metrics::v1::ExportMetricsServiceRequest;
use sightline_proto::otlp::collector::trace::v1::ExportTraceServiceRequest;
use sightline_proto::otlp::common::v1::{
    AnyValue, EntityRef, InstrumentationScope, KeyValue, KeyValueList, any_value,
};
use sightline_proto::otlp::logs::v1::{LogRecord, ResourceLogs, ScopeLogs};
use sightline_proto::otlp::metrics::v1::{
    Exemplar, ExponentialHistogram, ExponentialHistogramDataPoint, Gauge, Histogram,
    HistogramDataPoint, Metric, NumberDataPoint, ResourceMetrics, ScopeMetrics, Sum, Summary,
    SummaryDataPoint, exemplar, exponential_histogram_data_point, metric, number_data_point,
    summary_data_point,
};
use sightline_proto::otlp::resource::v1::Resource;
use sightline_proto::otlp::trace::v1::span::{Event, Link};
use sightline_proto::otlp::trace::v1::{ResourceSpans, ScopeSpans, Span, Status};

/// A key/value.
pub fn kv(key: &str, value: any_value::Value) -> KeyValue {
    KeyValue {
        key: key.into(),
        value: Some(AnyValue { value: Some(value) }),
        key_strindex: 0,
    }
}

/// A string key/value.
pub fn kv_str(key: &str, value: &str) -> KeyValue {
    kv(key, any_value::Value::StringValue(value.into()))
}

/// Key/values of every AnyValue type, nested ones included.
pub fn every_value_type() -> Vec<KeyValue> {
    use any_value::Value::*;
    vec![
        kv("str", StringValue("hello".into())),
        kv("int", IntValue(-42)),
        kv("double", DoubleValue(637.704)),
        kv("bool", BoolValue(true)),
        kv("bytes", BytesValue(vec![0, 159, 146, 150])),
        kv(
            "array",
            ArrayValue(sightline_proto::otlp::common::v1::ArrayValue {
                values: vec![
                    AnyValue {
                        value: Some(StringValue("many".into())),
                    },
                    AnyValue {
                        value: Some(IntValue(2)),
                    },
                ],
            }),
        ),
        kv(
            "kvlist",
            KvlistValue(KeyValueList {
                values: vec![kv(
                    "inner",
                    KvlistValue(KeyValueList {
                        values: vec![kv("deep", BoolValue(false))],
                    }),
                )],
            }),
        ),
        KeyValue {
            key: "empty".into(),
            value: Some(AnyValue { value: None }),
            key_strindex: 0,
        },
    ]
}

fn resource(service: &str) -> Option<Resource> {
    Some(Resource {
        attributes: vec![kv_str("service.name", service), kv_str("host.name", "h1")],
        dropped_attributes_count: 2,
        entity_refs: vec![EntityRef {
            schema_url: "https://entity".into(),
            r#type: "service".into(),
            id_keys: vec!["service.name".into()],
            description_keys: vec!["host.name".into()],
        }],
    })
}

fn scope() -> Option<InstrumentationScope> {
    Some(InstrumentationScope {
        name: "my.library".into(),
        version: "1.0.0".into(),
        attributes: vec![kv_str("my.scope.attribute", "x")],
        dropped_attributes_count: 1,
    })
}

/// A trace request with two resources and every span field set somewhere.
pub fn rich_trace_request() -> ExportTraceServiceRequest {
    let trace_id = vec![
        0x5b, 0x8e, 0xff, 0xf7, 0x98, 0x03, 0x81, 0x03, 0xd2, 0x69, 0xb6, 0x33, 0x81, 0x3f, 0xc6,
        0x0c,
    ];
    let root = Span {
        trace_id: trace_id.clone(),
        span_id: vec![1, 2, 3, 4, 5, 6, 7, 8],
        trace_state: "rojo=00f067aa0ba902b7".into(),
        parent_span_id: vec![],
        flags: 0x301,
        name: "GET /cart".into(),
        kind: 2,
        start_time_unix_nano: 1_544_712_660_000_000_000,
        end_time_unix_nano: 1_544_712_661_000_000_000,
        attributes: every_value_type(),
        dropped_attributes_count: 3,
        events: vec![Event {
            time_unix_nano: 1_544_712_660_500_000_000,
            name: "exception".into(),
            attributes: vec![kv_str("exception.type", "IOError")],
            dropped_attributes_count: 1,
        }],
        dropped_events_count: 4,
        links: vec![Link {
            trace_id: vec![9; 16],
            span_id: vec![8; 8],
            trace_state: "k=v".into(),
            attributes: vec![kv_str("link.kind", "follows")],
            dropped_attributes_count: 2,
            flags: 1,
        }],
        dropped_links_count: 5,
        status: Some(Status {
            message: "boom".into(),
            code: 2,
        }),
    };
    let child = Span {
        span_id: vec![2; 8],
        parent_span_id: root.span_id.clone(),
        name: "SELECT".into(),
        kind: 3,
        start_time_unix_nano: 1_544_712_660_100_000_000,
        // An end before the start must survive as sent.
        end_time_unix_nano: 1_544_712_660_000_000_000,
        attributes: vec![
            kv_str("db.system", "postgresql"),
            kv("db.rows", any_value::Value::IntValue(3)),
        ],
        status: Some(Status::default()),
        ..root.clone()
    };
    let bare = Span {
        trace_id: vec![7; 16],
        span_id: vec![3; 8],
        name: String::new(),
        ..Default::default()
    };
    let other = Span {
        span_id: vec![4; 8],
        parent_span_id: child.span_id.clone(),
        ..child.clone()
    };
    ExportTraceServiceRequest {
        resource_spans: vec![
            ResourceSpans {
                resource: resource("frontend"),
                scope_spans: vec![
                    ScopeSpans {
                        scope: scope(),
                        spans: vec![root, child],
                        schema_url: "https://scope".into(),
                    },
                    ScopeSpans {
                        scope: None,
                        spans: vec![bare],
                        schema_url: String::new(),
                    },
                ],
                schema_url: "https://opentelemetry.io/schemas/1.26.0".into(),
            },
            ResourceSpans {
                resource: None,
                scope_spans: vec![ScopeSpans {
                    scope: Some(InstrumentationScope::default()),
                    spans: vec![other],
                    schema_url: String::new(),
                }],
                schema_url: String::new(),
            },
        ],
    }
}

/// A logs request covering every log record field and body type.
pub fn rich_logs_request() -> ExportLogsServiceRequest {
    let full = LogRecord {
        time_unix_nano: 1_544_712_660_300_000_000,
        observed_time_unix_nano: 1_544_712_660_300_000_001,
        severity_number: 10,
        severity_text: "Information".into(),
        body: Some(AnyValue {
            value: Some(any_value::Value::StringValue("Example log record".into())),
        }),
        attributes: every_value_type(),
        dropped_attributes_count: 1,
        flags: 1,
        trace_id: vec![5; 16],
        span_id: vec![6; 8],
        event_name: "browser.page_view".into(),
    };
    let kvlist_body = LogRecord {
        body: Some(AnyValue {
            value: Some(any_value::Value::KvlistValue(KeyValueList {
                values: every_value_type(),
            })),
        }),
        trace_id: vec![],
        span_id: vec![],
        event_name: String::new(),
        ..full.clone()
    };
    let empty_body = LogRecord {
        body: Some(AnyValue { value: None }),
        attributes: vec![],
        ..LogRecord::default()
    };
    let no_body = LogRecord {
        time_unix_nano: 0,
        observed_time_unix_nano: 5,
        ..LogRecord::default()
    };
    ExportLogsServiceRequest {
        resource_logs: vec![ResourceLogs {
            resource: resource("cart"),
            scope_logs: vec![ScopeLogs {
                scope: scope(),
                log_records: vec![full, kvlist_body, empty_body, no_body],
                schema_url: "https://scope".into(),
            }],
            schema_url: "https://resource".into(),
        }],
    }
}

/// A metrics request with all five point types, exemplars and every optional field.
pub fn rich_metrics_request() -> ExportMetricsServiceRequest {
    let exemplar = Exemplar {
        filtered_attributes: vec![kv_str("user", "u1")],
        time_unix_nano: 1_000_000_123,
        span_id: vec![1; 8],
        trace_id: vec![2; 16],
        value: Some(exemplar::Value::AsDouble(0.25)),
    };
    let number = |attributes: Vec<KeyValue>, value| NumberDataPoint {
        attributes,
        start_time_unix_nano: 1_000_000_000,
        time_unix_nano: 2_000_000_000,
        exemplars: vec![exemplar.clone()],
        flags: 0,
        value,
    };
    let metrics = vec![
        Metric {
            name: "my.gauge".into(),
            description: "a gauge".into(),
            unit: "1".into(),
            metadata: vec![kv_str("meta", "data")],
            data: Some(metric::Data::Gauge(Gauge {
                data_points: vec![
                    number(
                        vec![kv_str("a", "1"), kv_str("b", "2")],
                        Some(number_data_point::Value::AsDouble(10.0)),
                    ),
                    number(
                        vec![kv_str("b", "2"), kv_str("a", "1")],
                        Some(number_data_point::Value::AsDouble(11.0)),
                    ),
                    number(vec![kv_str("a", "other")], None),
                ],
            })),
        },
        Metric {
            name: "my.counter".into(),
            description: String::new(),
            unit: "{request}".into(),
            metadata: vec![],
            data: Some(metric::Data::Sum(Sum {
                data_points: vec![number(vec![], Some(number_data_point::Value::AsInt(5)))],
                aggregation_temporality: 1,
                is_monotonic: true,
            })),
        },
        Metric {
            name: "my.histogram".into(),
            description: String::new(),
            unit: "s".into(),
            metadata: vec![],
            data: Some(metric::Data::Histogram(Histogram {
                data_points: vec![
                    HistogramDataPoint {
                        attributes: vec![kv_str("route", "/")],
                        start_time_unix_nano: 1,
                        time_unix_nano: 2,
                        count: 2,
                        sum: Some(2.0),
                        bucket_counts: vec![1, 1],
                        explicit_bounds: vec![1.0],
                        exemplars: vec![exemplar.clone()],
                        flags: 1,
                        min: Some(0.0),
                        max: Some(2.0),
                    },
                    HistogramDataPoint {
                        count: 0,
                        sum: None,
                        min: None,
                        max: None,
                        ..Default::default()
                    },
                ],
                aggregation_temporality: 2,
            })),
        },
        Metric {
            name: "my.exponential.histogram".into(),
            description: String::new(),
            unit: String::new(),
            metadata: vec![],
            data: Some(metric::Data::ExponentialHistogram(ExponentialHistogram {
                data_points: vec![
                    ExponentialHistogramDataPoint {
                        attributes: vec![],
                        start_time_unix_nano: 1,
                        time_unix_nano: 3,
                        count: 3,
                        sum: Some(10.0),
                        scale: -1,
                        zero_count: 1,
                        positive: Some(exponential_histogram_data_point::Buckets {
                            offset: 1,
                            bucket_counts: vec![0, 2],
                        }),
                        negative: Some(exponential_histogram_data_point::Buckets {
                            offset: -2,
                            bucket_counts: vec![],
                        }),
                        flags: 0,
                        exemplars: vec![],
                        min: Some(0.0),
                        max: Some(5.0),
                        zero_threshold: 0.001,
                    },
                    ExponentialHistogramDataPoint {
                        positive: None,
                        negative: None,
                        ..Default::default()
                    },
                ],
                aggregation_temporality: 1,
            })),
        },
        Metric {
            name: "my.summary".into(),
            description: String::new(),
            unit: "ms".into(),
            metadata: vec![],
            data: Some(metric::Data::Summary(Summary {
                data_points: vec![SummaryDataPoint {
                    attributes: vec![kv_str("q", "1")],
                    start_time_unix_nano: 1,
                    time_unix_nano: 4,
                    count: 10,
                    sum: 55.5,
                    quantile_values: vec![
                        summary_data_point::ValueAtQuantile {
                            quantile: 0.5,
                            value: 5.0,
                        },
                        summary_data_point::ValueAtQuantile {
                            quantile: 0.99,
                            value: 9.5,
                        },
                    ],
                    flags: 1,
                }],
            })),
        },
    ];
    ExportMetricsServiceRequest {
        resource_metrics: vec![ResourceMetrics {
            resource: resource("payment"),
            scope_metrics: vec![ScopeMetrics {
                scope: scope(),
                metrics,
                schema_url: "https://scope".into(),
            }],
            schema_url: String::new(),
        }],
    }
}

fn sort_attributes(attributes: &mut [KeyValue]) {
    attributes.sort_by(|a, b| a.key.cmp(&b.key));
}

/// Sorts span attributes by key (attribute order is not kept by storage).
pub fn normalize_traces(mut request: ExportTraceServiceRequest) -> ExportTraceServiceRequest {
    for rs in &mut request.resource_spans {
        for ss in &mut rs.scope_spans {
            for span in &mut ss.spans {
                sort_attributes(&mut span.attributes);
            }
        }
    }
    request
}

/// Sorts log record attributes by key.
pub fn normalize_logs(mut request: ExportLogsServiceRequest) -> ExportLogsServiceRequest {
    for rl in &mut request.resource_logs {
        for sl in &mut rl.scope_logs {
            for record in &mut sl.log_records {
                sort_attributes(&mut record.attributes);
            }
        }
    }
    request
}

/// Sorts data point attributes by key.
pub fn normalize_metrics(mut request: ExportMetricsServiceRequest) -> ExportMetricsServiceRequest {
    for rm in &mut request.resource_metrics {
        for sm in &mut rm.scope_metrics {
            for m in &mut sm.metrics {
                match &mut m.data {
                    Some(metric::Data::Gauge(g)) => g
                        .data_points
                        .iter_mut()
                        .for_each(|p| sort_attributes(&mut p.attributes)),
                    Some(metric::Data::Sum(s)) => s
                        .data_points
                        .iter_mut()
                        .for_each(|p| sort_attributes(&mut p.attributes)),
                    Some(metric::Data::Histogram(h)) => h
                        .data_points
                        .iter_mut()
                        .for_each(|p| sort_attributes(&mut p.attributes)),
                    Some(metric::Data::ExponentialHistogram(e)) => e
                        .data_points
                        .iter_mut()
                        .for_each(|p| sort_attributes(&mut p.attributes)),
                    Some(metric::Data::Summary(s)) => s
                        .data_points
                        .iter_mut()
                        .for_each(|p| sort_attributes(&mut p.attributes)),
                    None => {}
                }
            }
        }
    }
    request
}
