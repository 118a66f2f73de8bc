//! The OTLP protocol's own example payloads (opentelemetry-proto `examples/`), posted as they are,
//! must come back exactly: the trace through the Tempo API, logs and metrics from the blocks the
//! server writes on shutdown.

use prost::Message;

use crate::harness::Server;
use crate::support::*;

fn example(name: &str) -> Vec<u8> {
    std::fs::read(format!("tests/data/otlp-examples/{name}")).unwrap()
}

#[tokio::test]
async fn examples_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = Server::start(dir.path(), "").await;
    let client = reqwest::Client::new();
    for (path, file) in [
        ("/v1/traces", "trace.json"),
        ("/v1/logs", "logs.json"),
        ("/v1/logs", "events.json"),
        ("/v1/metrics", "metrics.json"),
    ] {
        let response = client
            .post(server.otlp_url(path))
            .header("Content-Type", "application/json")
            .body(example(file))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "{file}");
        assert_eq!(response.text().await.unwrap(), "{}", "{file}: full success");
    }

    // The trace, through the API, equals the example decoded.
    let expected = sightline_proto::json::decode_trace_request(&example("trace.json")).unwrap();
    let trace_id: [u8; 16] = hex::decode("5B8EFFF798038103D269B633813FC60C")
        .unwrap()
        .try_into()
        .unwrap();
    let stored = fetch_trace(&server.url(""), &trace_id, None).await.unwrap();
    assert_eq!(
        flatten_spans(&stored),
        flatten_spans(&expected.resource_spans)
    );
    let span = &stored[0].scope_spans[0].spans[0];
    assert_eq!(hex::encode_upper(&span.span_id), "EEE19B7EC3C1B174");
    assert_eq!(hex::encode_upper(&span.parent_span_id), "EEE19B7EC3C1B173");
    assert_eq!(
        (span.start_time_unix_nano, span.end_time_unix_nano),
        (1544712660000000000, 1544712661000000000)
    );
    assert_eq!(span.kind, 2);
    assert_eq!(
        stored[0].scope_spans[0].scope.as_ref().unwrap().version,
        "1.0.0"
    );

    // Shut down cleanly (heads are written to blocks), then read the blocks back.
    assert!(server.terminate().success());
    let data = server.data_dir.join("data");
    let mut expected_logs = sightline_proto::json::decode_logs_request(&example("logs.json"))
        .unwrap()
        .resource_logs;
    expected_logs.extend(
        sightline_proto::json::decode_logs_request(&example("events.json"))
            .unwrap()
            .resource_logs,
    );
    let stored_logs = stored_logs(&data, "single-tenant").await;
    assert_eq!(flatten_logs(&stored_logs), flatten_logs(&expected_logs));
    let example_record = stored_logs
        .iter()
        .flat_map(|r| &r.scope_logs)
        .flat_map(|s| &s.log_records)
        .find(|r| r.severity_text == "Information")
        .unwrap();
    assert_eq!(example_record.time_unix_nano, 1544712660300000000);
    assert_eq!(
        example_record.attributes.len(),
        6,
        "every AnyValue type is kept"
    );

    let expected_metrics = sightline_proto::json::decode_metrics_request(&example("metrics.json"))
        .unwrap()
        .resource_metrics;
    let stored_metrics = stored_metrics(&data, "single-tenant").await;
    assert_eq!(
        flatten_metrics(&stored_metrics),
        flatten_metrics(&expected_metrics)
    );
    // Byte-exact protobuf of every metric (bucket counts, bounds, exponential offsets, flags).
    let encode = |m: &[opentelemetry_proto::tonic::metrics::v1::ResourceMetrics]| {
        let mut all: Vec<Vec<u8>> = m
            .iter()
            .flat_map(|r| &r.scope_metrics)
            .flat_map(|s| &s.metrics)
            .map(|m| m.encode_to_vec())
            .collect();
        all.sort();
        all
    };
    assert_eq!(encode(&stored_metrics), encode(&expected_metrics));
}
