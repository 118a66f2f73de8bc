//! Decoding error tests: every malformed input gives an [`OtlpJsonError`] with a precise path,
//! and hostile nesting never overflows the stack.

use serde_json::json;

use super::tests_decode::{bytes, decode_attr, nested_arrays, nested_kvlists, span_error};
use super::*;

fn assert_error(err: OtlpJsonError, path: &str, message_part: &str) {
    assert_eq!(err.path, path, "{err}");
    assert!(err.message.contains(message_part), "{err}");
    assert_eq!(err.to_string(), format!("{}: {}", err.path, err.message));
}

#[test]
fn error_paths_point_at_the_value() {
    let doc = json!({"resource_spans": [{"scopeSpans": [{}, {"spans": [{}, {}, {}, {"traceId": "abc"}]}]}]});
    let err = decode_trace_request(&bytes(&doc)).unwrap_err();
    assert_error(
        err,
        "resourceSpans[0].scopeSpans[1].spans[3].traceId",
        "odd number of hex digits",
    );
    let err = decode_attr(
        json!({"kvlistValue": {"values": [{"key": "a", "value": {"arrayValue": {"values": [{"intValue": 1.5}]}}}]}}),
    );
    let path = "resourceSpans[0].scopeSpans[0].spans[0].attributes[0].value.kvlistValue.values[0].value.arrayValue.values[0].intValue";
    assert_error(err.unwrap_err(), path, "fractional");
}

#[test]
fn bad_ids_are_errors() {
    let base = "resourceSpans[0].scopeSpans[0].spans[0]";
    assert_error(
        span_error(json!({"traceId": "5B8EFFF798038103D269B633813FC60"})),
        &format!("{base}.traceId"),
        "odd",
    );
    assert_error(
        span_error(json!({"traceId": "W47/95gDgQPSabYzgT/GDA=="})),
        &format!("{base}.traceId"),
        "not hexadecimal",
    );
    assert_error(
        span_error(json!({"spanId": 12})),
        &format!("{base}.spanId"),
        "expected a string",
    );
    assert_error(
        span_error(json!({"links": [{"spanId": "xyz1"}]})),
        &format!("{base}.links[0].spanId"),
        "not hexadecimal",
    );
    let logs = json!({"resourceLogs": [{"scopeLogs": [{"logRecords": [{"traceId": "0g"}]}]}]});
    let err = decode_logs_request(&bytes(&logs)).unwrap_err();
    assert_error(
        err,
        "resourceLogs[0].scopeLogs[0].logRecords[0].traceId",
        "not hexadecimal",
    );
    let metrics = json!({"resourceMetrics": [{"scopeMetrics": [{"metrics": [{"gauge": {"dataPoints": [{"exemplars": [{"spanId": "abc"}]}]}}]}]}]});
    let err = decode_metrics_request(&bytes(&metrics)).unwrap_err();
    assert_error(
        err,
        "resourceMetrics[0].scopeMetrics[0].metrics[0].gauge.dataPoints[0].exemplars[0].spanId",
        "odd",
    );
}

#[test]
fn bad_numbers_and_enums_are_errors() {
    let base = "resourceSpans[0].scopeSpans[0].spans[0]";
    assert_error(
        span_error(json!({"kind": "SERVER"})),
        &format!("{base}.kind"),
        "unknown enum value name",
    );
    assert_error(
        span_error(json!({"status": {"code": "STATUS_CODE_BAD"}})),
        &format!("{base}.status.code"),
        "unknown enum",
    );
    assert_error(
        span_error(json!({"startTimeUnixNano": 1.5})),
        &format!("{base}.startTimeUnixNano"),
        "fractional",
    );
    assert_error(
        span_error(json!({"startTimeUnixNano": "12abc"})),
        &format!("{base}.startTimeUnixNano"),
        "expected an integer",
    );
    assert_error(
        span_error(json!({"startTimeUnixNano": -1})),
        &format!("{base}.startTimeUnixNano"),
        "out of range",
    );
    assert_error(
        span_error(json!({"droppedAttributesCount": 4294967296u64})),
        &format!("{base}.droppedAttributesCount"),
        "out of range for u32",
    );
    assert_error(
        span_error(json!({"kind": 2147483648u64})),
        &format!("{base}.kind"),
        "out of range for i32",
    );
    assert_error(
        span_error(json!({"name": 5})),
        &format!("{base}.name"),
        "expected a string",
    );
    assert_error(
        span_error(json!({"attributes": {}})),
        &format!("{base}.attributes"),
        "expected an array",
    );
    assert_error(
        span_error(json!({"status": []})),
        &format!("{base}.status"),
        "expected an object",
    );
    let logs =
        json!({"resourceLogs": [{"scopeLogs": [{"logRecords": [{"severityNumber": "INFO"}]}]}]});
    assert!(
        decode_logs_request(&bytes(&logs))
            .unwrap_err()
            .message
            .contains("unknown enum")
    );
    let metrics = json!({"resourceMetrics": [{"scopeMetrics": [{"metrics": [{"sum": {"isMonotonic": "true", "dataPoints": [{"asDouble": "x"}]}}]}]}]});
    assert!(decode_metrics_request(&bytes(&metrics)).is_err());
    let metrics = json!({"resourceMetrics": [{"scopeMetrics": [{"metrics": [{"histogram": {"dataPoints": [{"bucketCounts": [1, null]}]}}]}]}]});
    let err = decode_metrics_request(&bytes(&metrics)).unwrap_err();
    assert_error(
        err,
        "resourceMetrics[0].scopeMetrics[0].metrics[0].histogram.dataPoints[0].bucketCounts[1]",
        "got null",
    );
}

#[test]
fn oneof_conflicts_are_errors() {
    let err = decode_attr(json!({"stringValue": "a", "intValue": 1})).unwrap_err();
    assert!(err.message.contains("only one of"), "{err}");
    let metrics =
        json!({"resourceMetrics": [{"scopeMetrics": [{"metrics": [{"gauge": {}, "sum": {}}]}]}]});
    assert!(
        decode_metrics_request(&bytes(&metrics))
            .unwrap_err()
            .message
            .contains("only one of")
    );
    let metrics = json!({"resourceMetrics": [{"scopeMetrics": [{"metrics": [{"gauge": {"dataPoints": [{"asInt": 1, "asDouble": 1}]}}]}]}]});
    assert!(
        decode_metrics_request(&bytes(&metrics))
            .unwrap_err()
            .message
            .contains("asDouble, asInt")
    );
}

#[test]
fn nesting_beyond_64_is_an_error() {
    let attr = "resourceSpans[0].scopeSpans[0].spans[0].attributes[0].value";
    let err = decode_attr(nested_arrays(65)).unwrap_err();
    assert!(
        err.path.starts_with(attr) && err.path.ends_with("arrayValue"),
        "{err}"
    );
    assert!(err.message.contains("deeper than 64"), "{err}");
    let err = decode_attr(nested_kvlists(65)).unwrap_err();
    assert!(err.message.contains("deeper than 64"), "{err}");
    let logs =
        json!({"resourceLogs": [{"scopeLogs": [{"logRecords": [{"body": nested_arrays(65)}]}]}]});
    assert!(
        decode_logs_request(&bytes(&logs))
            .unwrap_err()
            .message
            .contains("deeper than 64")
    );
}

#[test]
fn hostile_nesting_never_overflows_the_stack() {
    for body in [
        "[".repeat(1_000_000),
        format!("{{\"fooBar\":{}", "{\"a\":".repeat(100_000)),
        format!("{{\"resourceSpans\":{}", "[".repeat(MAX_JSON_NESTING)),
    ] {
        let err = decode_trace_request(body.as_bytes()).unwrap_err();
        assert_error(err, "$", "nested deeper than");
    }
}

#[test]
fn document_level_errors() {
    assert_error(
        decode_trace_request(b"{\"resourceSpans\": [").unwrap_err(),
        "$",
        "invalid JSON",
    );
    assert_error(decode_logs_request(b"").unwrap_err(), "$", "invalid JSON");
    assert_error(
        decode_metrics_request(b"{} trailing").unwrap_err(),
        "$",
        "invalid JSON",
    );
    assert_error(
        decode_trace_request(b"\xff\xfe").unwrap_err(),
        "$",
        "invalid JSON",
    );
    assert_error(
        decode_trace_request(b"[]").unwrap_err(),
        "$",
        "expected a JSON object at the top level, got an array",
    );
    assert_error(decode_trace_request(b"null").unwrap_err(), "$", "got null");
    assert_error(
        decode_logs_request(b"\"x\"").unwrap_err(),
        "$",
        "got a string",
    );
    let err = decode_trace_request(b"{\"resourceSpans\": {}}").unwrap_err();
    assert_error(err, "resourceSpans", "expected an array, got an object");
}
