//! The log index over real log rows: every condition returns a superset of the rows it holds on,
//! and usually exactly them.

use rand::{Rng, SeedableRng};
use sightline_proto::otlp::common::v1::{AnyValue, KeyValue, KeyValueList, any_value};
use sightline_proto::otlp::logs::v1::{LogRecord, ResourceLogs, ScopeLogs};
use sightline_proto::otlp::resource::v1::Resource;
use tantivy::directory::OwnedBytes;

use super::*;
use crate::rows::logs::{LogBatchBuilder, LogColumns, line_text};

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

fn record(body: Option<AnyValue>, severity: &str, attributes: Vec<KeyValue>) -> LogRecord {
    LogRecord {
        time_unix_nano: 1_700_000_000_000_000_000,
        severity_text: severity.into(),
        body,
        attributes,
        ..Default::default()
    }
}

fn batch(services: Vec<(&str, Vec<LogRecord>)>) -> arrow::record_batch::RecordBatch {
    let mut builder = LogBatchBuilder::with_capacity(16, 64);
    for (service, records) in services {
        builder.append_resource_logs(&ResourceLogs {
            resource: Some(Resource {
                attributes: vec![kv("service.name", service), kv("k8s.pod.name", "pod-1")],
                ..Default::default()
            }),
            scope_logs: vec![ScopeLogs {
                log_records: records,
                ..Default::default()
            }],
            schema_url: String::new(),
        });
    }
    builder.finish().unwrap().unwrap().0
}

fn open(batch: &arrow::record_batch::RecordBatch) -> LogIndex {
    LogIndex::open(OwnedBytes::new(build_log_index(batch).unwrap())).unwrap()
}

fn lines(batch: &arrow::record_batch::RecordBatch) -> Vec<String> {
    let columns = LogColumns::new(batch).unwrap();
    (0..batch.num_rows())
        .map(|row| line_text(columns.record(row).unwrap().body.as_ref()))
        .collect()
}

#[test]
fn lines_labels_ids_and_times_select_rows() {
    let mut traced = record(text("payment failed: card declined"), "ERROR", vec![]);
    traced.trace_id = vec![0xab; 16];
    traced.span_id = vec![0xcd; 8];
    let map_body = Some(AnyValue {
        value: Some(any_value::Value::KvlistValue(KeyValueList {
            values: vec![kv("event", "checkout"), kv("user", "u-42")],
        })),
    });
    let long_word = format!("token={}", "x".repeat(300));
    let batch = batch(vec![
        (
            "checkout",
            vec![
                traced,
                record(
                    text("connection refused by upstream"),
                    "WARN",
                    vec![kv("http.route", "/pay")],
                ),
                record(map_body, "INFO", vec![]),
            ],
        ),
        (
            "cart",
            vec![
                record(text("user 42 logged in"), "info", vec![]),
                record(text(&long_word), "DEBUG", vec![]),
            ],
        ),
    ]);
    let index = open(&batch);
    assert_eq!(index.docs(), 5);
    let rows = |query: LogIndexQuery| index.rows(&query).unwrap();
    let line = |needle: &str| LogIndexQuery {
        line_contains: vec![needle.into()],
        ..Default::default()
    };
    // Row order is the batch's: checkout's three records, then cart's two. The long-word line
    // (row 4) is returned for every line filter.
    assert_eq!(rows(line("card declined")), vec![0, 4]);
    assert_eq!(rows(line("refused")), vec![1, 4]);
    assert_eq!(rows(line("efuse")), vec![1, 4]);
    assert_eq!(rows(line("\"user\":\"u-42\"")), vec![2, 4]);
    assert_eq!(rows(line("nothing like this")), vec![4]);
    assert_eq!(rows(line("xxxxxxxx")), vec![4]);
    let any_case = |word: &str| LogIndexQuery {
        words_any_case: vec![word.into()],
        ..Default::default()
    };
    assert_eq!(rows(any_case("DECLINED")), vec![0, 4]);
    assert_eq!(rows(any_case("Conn*")), vec![1, 4]);
    assert_eq!(rows(any_case("onnection")), vec![4]);
    let label = |name: &str, value: &str| LogIndexQuery {
        label_equals: vec![(name.into(), value.into())],
        ..Default::default()
    };
    assert_eq!(rows(label("service_name", "cart")), vec![3, 4]);
    assert_eq!(rows(label("k8s_pod_name", "pod-1")), vec![0, 1, 2, 3, 4]);
    assert_eq!(rows(label("level", "error")), vec![0]);
    assert_eq!(rows(label("level", "info")), vec![2, 3]);
    assert_eq!(rows(label("http_route", "/pay")), vec![1]);
    let regex = LogIndexQuery {
        label_matches: vec![("service_name".into(), "check.*".into())],
        ..Default::default()
    };
    assert_eq!(rows(regex), vec![0, 1, 2]);
    let traced = LogIndexQuery {
        trace_id: Some("ab".repeat(16)),
        span_id: Some("cd".repeat(8)),
        ..Default::default()
    };
    assert_eq!(rows(traced), vec![0]);
    let span_only = |id: &str| LogIndexQuery {
        span_id: Some(id.into()),
        ..Default::default()
    };
    assert_eq!(rows(span_only(&"cd".repeat(8))), vec![0]);
    assert!(rows(span_only(&"ab".repeat(8))).is_empty());
    assert_eq!(
        rows(span_only("é")),
        vec![0, 1, 2, 3, 4],
        "no usable prefix: no condition"
    );
    let combined = LogIndexQuery {
        line_contains: vec!["logged".into()],
        label_equals: vec![("service_name".into(), "cart".into())],
        time_range: Some((1_700_000_000_000_000_000, 1_700_000_000_000_000_000)),
        ..Default::default()
    };
    assert_eq!(rows(combined), vec![3, 4]);
    let later = LogIndexQuery {
        time_range: Some((1_700_000_000_000_000_001, u64::MAX)),
        ..Default::default()
    };
    assert!(rows(later).is_empty());
    assert_eq!(rows(LogIndexQuery::default()), vec![0, 1, 2, 3, 4]);
    assert_eq!(
        index.label_names().unwrap(),
        vec!["http_route", "k8s_pod_name", "level", "service_name"]
    );
    assert_eq!(
        index.label_values("level", 10).unwrap(),
        vec!["debug", "error", "info", "warn"]
    );
    assert_eq!(index.label_values("service_name", 1).unwrap(), vec!["cart"]);
}

#[test]
fn every_substring_of_every_line_finds_its_line() {
    let mut rng = rand::rngs::StdRng::seed_from_u64(7);
    let words = [
        "alpha", "Beta", "gam-ma", "42", "x_y", "été", "ünï", "id=7f", "::", " ", "/",
    ];
    let records: Vec<LogRecord> = (0..200)
        .map(|_| {
            let line: String = (0..rng.random_range(1..8))
                .map(|_| words[rng.random_range(0..words.len())])
                .collect::<Vec<_>>()
                .join(if rng.random_bool(0.5) { " " } else { "" });
            record(text(&line), "INFO", vec![])
        })
        .collect();
    let batch = batch(vec![("svc", records)]);
    let index = open(&batch);
    let lines = lines(&batch);
    for _ in 0..400 {
        let line = &lines[rng.random_range(0..lines.len())];
        let chars: Vec<char> = line.chars().collect();
        if chars.is_empty() {
            continue;
        }
        let start = rng.random_range(0..chars.len());
        let end = rng.random_range(start + 1..=chars.len());
        let needle: String = chars[start..end].iter().collect();
        let found = index
            .rows(&LogIndexQuery {
                line_contains: vec![needle.clone()],
                ..Default::default()
            })
            .unwrap();
        for (row, candidate) in lines.iter().enumerate() {
            if candidate.contains(&needle) {
                assert!(
                    found.contains(&(row as u32)),
                    "{needle:?} misses row {row}: {candidate:?}"
                );
            }
        }
    }
}
