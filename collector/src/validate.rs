//! Which items of a request can be stored. Items that cannot (a trace id that is not 16 bytes, a
//! histogram whose bucket counts do not match its bounds, ...) are removed and reported through
//! OTLP partial success; the rest are stored.

use sightline_proto::otlp::collector::logs::v1::ExportLogsServiceRequest;
use sightline_proto::otlp::collector::metrics::v1::ExportMetricsServiceRequest;
use sightline_proto::otlp::collector::trace::v1::ExportTraceServiceRequest;
use sightline_proto::otlp::metrics::v1::metric;
use sightline_storage::SignalRequest;
use sightline_storage::rows::logs::validate_log_record;
use sightline_storage::rows::metrics::{point_count, validate_histogram_point};
use sightline_storage::rows::spans::validate_span;

/// The outcome of validating a request.
#[derive(Debug, Clone, PartialEq)]
pub struct Validated {
    /// The request with invalid items removed.
    pub request: SignalRequest,
    /// Items kept.
    pub accepted: u64,
    /// Items removed.
    pub rejected: u64,
    /// Why items were removed (first reasons, with a count), empty when none were.
    pub message: String,
}

/// Collects rejection reasons into one readable message.
#[derive(Default)]
struct Rejections {
    count: u64,
    reasons: Vec<(String, u64)>,
}

impl Rejections {
    fn add(&mut self, reason: &str) {
        self.count += 1;
        match self.reasons.iter_mut().find(|(r, _)| r == reason) {
            Some((_, n)) => *n += 1,
            None => self.reasons.push((reason.to_string(), 1)),
        }
    }

    fn message(&self, item: &str) -> String {
        if self.count == 0 {
            return String::new();
        }
        let reasons: Vec<String> = self
            .reasons
            .iter()
            .map(|(r, n)| format!("{n} with {r}"))
            .collect();
        format!("{} {item} rejected: {}", self.count, reasons.join("; "))
    }
}

/// Removes spans that cannot be stored.
pub fn validate_traces(mut request: ExportTraceServiceRequest) -> Validated {
    let mut rejections = Rejections::default();
    let mut accepted = 0;
    for resource_spans in &mut request.resource_spans {
        for scope_spans in &mut resource_spans.scope_spans {
            scope_spans.spans.retain(|span| match validate_span(span) {
                Ok(()) => {
                    accepted += 1;
                    true
                }
                Err(reason) => {
                    rejections.add(reason);
                    false
                }
            });
        }
    }
    Validated {
        message: rejections.message("spans"),
        rejected: rejections.count,
        accepted,
        request: SignalRequest::Traces(request),
    }
}

/// Removes log records that cannot be stored.
pub fn validate_logs(mut request: ExportLogsServiceRequest) -> Validated {
    let mut rejections = Rejections::default();
    let mut accepted = 0;
    for resource_logs in &mut request.resource_logs {
        for scope_logs in &mut resource_logs.scope_logs {
            scope_logs
                .log_records
                .retain(|record| match validate_log_record(record) {
                    Ok(()) => {
                        accepted += 1;
                        true
                    }
                    Err(reason) => {
                        rejections.add(reason);
                        false
                    }
                });
        }
    }
    Validated {
        message: rejections.message("log records"),
        rejected: rejections.count,
        accepted,
        request: SignalRequest::Logs(request),
    }
}

/// Removes data points that cannot be stored.
pub fn validate_metrics(mut request: ExportMetricsServiceRequest) -> Validated {
    let mut rejections = Rejections::default();
    let mut accepted = 0;
    for resource_metrics in &mut request.resource_metrics {
        for scope_metrics in &mut resource_metrics.scope_metrics {
            for metric in &mut scope_metrics.metrics {
                if let Some(metric::Data::Histogram(histogram)) = &mut metric.data {
                    histogram
                        .data_points
                        .retain(|point| match validate_histogram_point(point) {
                            Ok(()) => true,
                            Err(reason) => {
                                rejections.add(reason);
                                false
                            }
                        });
                }
                accepted += point_count(metric) as u64;
            }
        }
    }
    Validated {
        message: rejections.message("data points"),
        rejected: rejections.count,
        accepted,
        request: SignalRequest::Metrics(request),
    }
}

/// Validates a request of any signal.
pub fn validate(request: SignalRequest) -> Validated {
    match request {
        SignalRequest::Traces(r) => validate_traces(r),
        SignalRequest::Logs(r) => validate_logs(r),
        SignalRequest::Metrics(r) => validate_metrics(r),
    }
}

#[cfg(test)]
mod tests {
    use sightline_proto::otlp::trace::v1::{ResourceSpans, ScopeSpans, Span};

    use super::*;

    fn span(trace_id: Vec<u8>) -> Span {
        Span {
            trace_id,
            span_id: vec![1; 8],
            ..Default::default()
        }
    }

    #[test]
    fn invalid_spans_are_removed_and_described() {
        let request = ExportTraceServiceRequest {
            resource_spans: vec![ResourceSpans {
                scope_spans: vec![ScopeSpans {
                    spans: vec![
                        span(vec![1; 16]),
                        span(vec![1; 15]),
                        span(vec![0; 16]),
                        span(vec![2; 17]),
                    ],
                    ..Default::default()
                }],
                ..Default::default()
            }],
        };
        let validated = validate_traces(request);
        assert_eq!((validated.accepted, validated.rejected), (1, 3));
        assert_eq!(
            validated.message,
            "3 spans rejected: 2 with trace_id must be 16 bytes; 1 with trace_id must not be all zeroes"
        );
        let SignalRequest::Traces(kept) = validated.request else {
            panic!()
        };
        assert_eq!(kept.resource_spans[0].scope_spans[0].spans.len(), 1);
    }

    #[test]
    fn a_valid_request_has_no_message() {
        let validated = validate_traces(ExportTraceServiceRequest::default());
        assert_eq!(
            (
                validated.accepted,
                validated.rejected,
                validated.message.as_str()
            ),
            (0, 0, "")
        );
    }
}
