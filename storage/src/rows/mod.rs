//! OTLP <-> Arrow rows, for all three signals.
//!
//! Each signal has one row per item (span, log record, metric data point) with typed columns
//! for hot fields, per-key attribute columns ([`attributes`]), and protobuf blobs for the rest
//! ([`blobs`]), so that OTLP -> rows -> OTLP is lossless. [`SignalRequest`] is the decoded
//! export request of any signal, the unit the WAL and the head work with.

pub mod attributes;
pub mod blobs;
pub mod columns;
pub mod logs;
pub mod metrics;
pub mod spans;

use arrow::record_batch::RecordBatch;
use prost::Message;
use sightline_proto::otlp::collector::logs::v1::ExportLogsServiceRequest;
use sightline_proto::otlp::collector::metrics::v1::ExportMetricsServiceRequest;
use sightline_proto::otlp::collector::trace::v1::ExportTraceServiceRequest;

use crate::error::StorageResult;
use crate::tenant::Signal;

/// A decoded, validated export request of one signal.
#[derive(Debug, Clone, PartialEq)]
pub enum SignalRequest {
    /// Spans.
    Traces(ExportTraceServiceRequest),
    /// Log records.
    Logs(ExportLogsServiceRequest),
    /// Metric data points.
    Metrics(ExportMetricsServiceRequest),
}

impl SignalRequest {
    /// The request's signal.
    pub fn signal(&self) -> Signal {
        match self {
            SignalRequest::Traces(_) => Signal::Traces,
            SignalRequest::Logs(_) => Signal::Logs,
            SignalRequest::Metrics(_) => Signal::Metrics,
        }
    }

    /// Encodes the request as OTLP protobuf (the WAL payload).
    pub fn encode_to_vec(&self) -> Vec<u8> {
        match self {
            SignalRequest::Traces(r) => r.encode_to_vec(),
            SignalRequest::Logs(r) => r.encode_to_vec(),
            SignalRequest::Metrics(r) => r.encode_to_vec(),
        }
    }

    /// Decodes an OTLP protobuf payload of `signal`.
    pub fn decode(signal: Signal, bytes: &[u8]) -> StorageResult<Self> {
        Ok(match signal {
            Signal::Traces => SignalRequest::Traces(ExportTraceServiceRequest::decode(bytes)?),
            Signal::Logs => SignalRequest::Logs(ExportLogsServiceRequest::decode(bytes)?),
            Signal::Metrics => SignalRequest::Metrics(ExportMetricsServiceRequest::decode(bytes)?),
        })
    }

    /// Converts the request to one record batch of rows.
    pub fn to_rows(&self, max_attribute_columns: usize) -> StorageResult<Option<RowBatch>> {
        let finished = match self {
            SignalRequest::Traces(request) => {
                let rows = request
                    .resource_spans
                    .iter()
                    .flat_map(|r| &r.scope_spans)
                    .map(|s| s.spans.len())
                    .sum();
                let mut builder =
                    spans::SpanBatchBuilder::with_capacity(rows, max_attribute_columns);
                for resource_spans in &request.resource_spans {
                    builder.append_resource_spans(resource_spans);
                }
                builder.finish()?
            }
            SignalRequest::Logs(request) => {
                let rows = request
                    .resource_logs
                    .iter()
                    .flat_map(|r| &r.scope_logs)
                    .map(|s| s.log_records.len())
                    .sum();
                let mut builder = logs::LogBatchBuilder::with_capacity(rows, max_attribute_columns);
                for resource_logs in &request.resource_logs {
                    builder.append_resource_logs(resource_logs);
                }
                builder.finish()?
            }
            SignalRequest::Metrics(request) => {
                let rows = request
                    .resource_metrics
                    .iter()
                    .flat_map(|r| &r.scope_metrics)
                    .flat_map(|s| &s.metrics)
                    .map(metrics::point_count)
                    .sum();
                let mut builder =
                    metrics::MetricBatchBuilder::with_capacity(rows, max_attribute_columns);
                for resource_metrics in &request.resource_metrics {
                    builder.append_resource_metrics(resource_metrics);
                }
                builder.finish()?
            }
        };
        Ok(finished.map(|(batch, (min_time, max_time))| RowBatch {
            batch,
            min_time,
            max_time,
        }))
    }
}

/// Rows of one signal with their time range.
#[derive(Debug, Clone)]
pub struct RowBatch {
    /// The rows.
    pub batch: RecordBatch,
    /// Earliest item time (span start, log time, point time), unix nanoseconds.
    pub min_time: u64,
    /// Latest item time (span end, log time, point time), unix nanoseconds.
    pub max_time: u64,
}

#[cfg(test)]
mod round_trip_tests;
