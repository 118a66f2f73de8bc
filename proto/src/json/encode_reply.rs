//! The JSON bodies of OTLP/HTTP replies: `Export*ServiceResponse` (success and partial success)
//! and `google.rpc.Status` (errors).

use base64::Engine as _;
use serde_json::Value;

use super::JsonStyle;
use super::encode::{BASE64, Obj, int64};
use crate::otlp::collector::logs::v1::ExportLogsServiceResponse;
use crate::otlp::collector::metrics::v1::ExportMetricsServiceResponse;
use crate::otlp::collector::trace::v1::ExportTraceServiceResponse;
use crate::rpc_status::{self, RetryInfo};

/// `{}` without a partial success, else `{"partialSuccess":{"<rejected_key>":"N","errorMessage":..}}`.
fn export_response(partial: Option<(i64, &str)>, rejected_key: &str) -> Vec<u8> {
    let mut o = Obj::new(JsonStyle::OTLP);
    if let Some((rejected, message)) = partial {
        let mut p = Obj::new(JsonStyle::OTLP);
        if rejected != 0 {
            p.put(rejected_key, int64(rejected));
        }
        p.string("errorMessage", message);
        o.put("partialSuccess", p.done());
    }
    to_bytes(&o.done())
}

fn to_bytes(value: &Value) -> Vec<u8> {
    // Serializing a `Value` to memory cannot fail: its keys are strings and its numbers finite.
    serde_json::to_vec(value).unwrap_or_default()
}

/// The JSON body of an OTLP/HTTP traces reply: `{}` on full success, else
/// `{"partialSuccess":{"rejectedSpans":"3","errorMessage":"..."}}`.
pub fn encode_trace_response(r: &ExportTraceServiceResponse) -> Vec<u8> {
    let partial = r.partial_success.as_ref();
    export_response(
        partial.map(|p| (p.rejected_spans, p.error_message.as_str())),
        "rejectedSpans",
    )
}

/// The JSON body of an OTLP/HTTP logs reply (`rejectedLogRecords`).
pub fn encode_logs_response(r: &ExportLogsServiceResponse) -> Vec<u8> {
    let partial = r.partial_success.as_ref();
    export_response(
        partial.map(|p| (p.rejected_log_records, p.error_message.as_str())),
        "rejectedLogRecords",
    )
}

/// The JSON body of an OTLP/HTTP metrics reply (`rejectedDataPoints`).
pub fn encode_metrics_response(r: &ExportMetricsServiceResponse) -> Vec<u8> {
    let partial = r.partial_success.as_ref();
    export_response(
        partial.map(|p| (p.rejected_data_points, p.error_message.as_str())),
        "rejectedDataPoints",
    )
}

/// A `google.protobuf.Duration` in proto3 JSON form: `"5s"`, `"1.500s"`, `"-0.000000001s"`.
fn duration(d: &rpc_status::Duration) -> String {
    let sign = if d.seconds < 0 || d.nanos < 0 {
        "-"
    } else {
        ""
    };
    let (secs, nanos) = (d.seconds.unsigned_abs(), d.nanos.unsigned_abs());
    if nanos == 0 {
        format!("{sign}{secs}s")
    } else if nanos % 1_000_000 == 0 {
        format!("{sign}{secs}.{:03}s", nanos / 1_000_000)
    } else if nanos % 1_000 == 0 {
        format!("{sign}{secs}.{:06}s", nanos / 1_000)
    } else {
        format!("{sign}{secs}.{nanos:09}s")
    }
}

/// One `google.protobuf.Any` detail: `RetryInfo` is expanded (`"retryDelay":"5s"`), other types
/// are written as `{"@type":...,"value":"<base64 of the encoded message>"}`.
fn status_detail(any: &rpc_status::Any) -> Value {
    let mut o = Obj::new(JsonStyle::OTLP);
    o.put("@type", Value::String(any.type_url.clone()));
    let retry = (any.type_url == rpc_status::RETRY_INFO_TYPE_URL)
        .then(|| <RetryInfo as prost::Message>::decode(any.value.as_slice()).ok())
        .flatten();
    match retry {
        Some(info) => {
            if let Some(delay) = &info.retry_delay {
                o.put("retryDelay", Value::String(duration(delay)));
            }
        }
        None => o.string("value", &BASE64.encode(&any.value)),
    }
    o.done()
}

/// The JSON body of an OTLP/HTTP error reply, e.g.
/// `{"code":8,"message":"...","details":[{"@type":"type.googleapis.com/google.rpc.RetryInfo","retryDelay":"5s"}]}`.
/// `code` and `message` are omitted when 0 / empty, as proto3 JSON does.
pub fn encode_status(s: &rpc_status::Status) -> Vec<u8> {
    let mut o = Obj::new(JsonStyle::OTLP);
    o.i32("code", s.code);
    o.string("message", &s.message);
    o.list("details", &s.details, |any, _| status_detail(any));
    to_bytes(&o.done())
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::*;
    use crate::otlp::collector::logs::v1::ExportLogsPartialSuccess;
    use crate::otlp::collector::metrics::v1::ExportMetricsPartialSuccess;
    use crate::otlp::collector::trace::v1::ExportTracePartialSuccess;

    #[test]
    fn export_responses() {
        assert_eq!(
            encode_trace_response(&ExportTraceServiceResponse::default()),
            b"{}"
        );
        assert_eq!(
            encode_logs_response(&ExportLogsServiceResponse::default()),
            b"{}"
        );
        assert_eq!(
            encode_metrics_response(&ExportMetricsServiceResponse::default()),
            b"{}"
        );

        let trace = ExportTraceServiceResponse {
            partial_success: Some(ExportTracePartialSuccess {
                rejected_spans: 3,
                error_message: "3 spans had an invalid trace id".into(),
            }),
        };
        let body: Value = serde_json::from_slice(&encode_trace_response(&trace)).unwrap();
        assert_eq!(
            body,
            json!({"partialSuccess": {"rejectedSpans": "3", "errorMessage": "3 spans had an invalid trace id"}})
        );
        let logs = ExportLogsServiceResponse {
            partial_success: Some(ExportLogsPartialSuccess {
                rejected_log_records: 2,
                error_message: String::new(),
            }),
        };
        let body: Value = serde_json::from_slice(&encode_logs_response(&logs)).unwrap();
        assert_eq!(body, json!({"partialSuccess": {"rejectedLogRecords": "2"}}));
        let metrics = ExportMetricsServiceResponse {
            partial_success: Some(ExportMetricsPartialSuccess {
                rejected_data_points: 0,
                error_message: "warning only".into(),
            }),
        };
        let body: Value = serde_json::from_slice(&encode_metrics_response(&metrics)).unwrap();
        assert_eq!(
            body,
            json!({"partialSuccess": {"errorMessage": "warning only"}})
        );
    }

    #[test]
    fn status_bodies() {
        let status = rpc_status::Status {
            code: 8,
            message: "rate limited".into(),
            details: vec![RetryInfo::after_seconds(5).to_any()],
        };
        let body: Value = serde_json::from_slice(&encode_status(&status)).unwrap();
        assert_eq!(
            body,
            json!({"code": 8, "message": "rate limited", "details": [
                {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "5s"}
            ]})
        );
        let delay = |seconds, nanos| {
            let info = RetryInfo {
                retry_delay: Some(rpc_status::Duration { seconds, nanos }),
            };
            let body: Value = serde_json::from_slice(&encode_status(&rpc_status::Status {
                details: vec![info.to_any()],
                ..Default::default()
            }))
            .unwrap();
            body["details"][0]["retryDelay"]
                .as_str()
                .unwrap()
                .to_string()
        };
        assert_eq!(delay(1, 500_000_000), "1.500s");
        assert_eq!(delay(0, 1_000), "0.000001s");
        assert_eq!(delay(0, -1), "-0.000000001s");
        assert_eq!(delay(-2, 0), "-2s");

        let other = rpc_status::Status {
            code: 0,
            message: String::new(),
            details: vec![rpc_status::Any {
                type_url: "type.example/x".into(),
                value: vec![1, 2],
            }],
        };
        let body: Value = serde_json::from_slice(&encode_status(&other)).unwrap();
        assert_eq!(
            body,
            json!({"details": [{"@type": "type.example/x", "value": "AQI="}]})
        );
        assert_eq!(encode_status(&rpc_status::Status::default()), b"{}");
    }
}
