//! The export path shared by both transports: admission (memory budget), decoding (protobuf or
//! OTLP/JSON) and validation on a blocking thread, then a durable commit to the store.

use std::sync::Arc;

use bytes::Bytes;
use prost::Message;
use sightline_proto::json;
use sightline_proto::otlp::collector::logs::v1::{
    ExportLogsPartialSuccess, ExportLogsServiceRequest, ExportLogsServiceResponse,
};
use sightline_proto::otlp::collector::metrics::v1::{
    ExportMetricsPartialSuccess, ExportMetricsServiceRequest, ExportMetricsServiceResponse,
};
use sightline_proto::otlp::collector::trace::v1::{
    ExportTracePartialSuccess, ExportTraceServiceRequest, ExportTraceServiceResponse,
};
use sightline_storage::{Signal, SignalRequest, TelemetryStore, TenantId};

use crate::config::ReceiverConfig;
use crate::derived::DerivedMetrics;
use crate::error::ExportError;
use crate::generator::DerivedFeed;
use crate::telemetry::ReceiverTelemetry;
use crate::validate::validate;

/// How a request arrived.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Transport {
    /// OTLP/gRPC.
    Grpc = 0,
    /// OTLP/HTTP.
    Http = 1,
}

impl Transport {
    /// Both transports.
    pub const ALL: [Transport; 2] = [Transport::Grpc, Transport::Http];

    /// Label value for metrics.
    pub fn as_str(self) -> &'static str {
        match self {
            Transport::Grpc => "grpc",
            Transport::Http => "http",
        }
    }
}

/// The wire encoding of a request body (and of its reply).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyEncoding {
    /// `application/x-protobuf` (and gRPC).
    Protobuf,
    /// `application/json` (OTLP/JSON).
    Json,
}

/// A successful export: possibly with some items rejected.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ExportOutcome {
    /// Items stored.
    pub accepted: u64,
    /// Items rejected as invalid.
    pub rejected: u64,
    /// Why, when any were rejected.
    pub message: String,
}

impl ExportOutcome {
    /// The `Export*ServiceResponse` for `signal`, encoded as `encoding`. `partial_success` is
    /// set only when items were rejected (a full success is an empty message).
    pub fn encode_response(&self, signal: Signal, encoding: BodyEncoding) -> Vec<u8> {
        let partial = self.rejected > 0 || !self.message.is_empty();
        let rejected = self.rejected as i64;
        let message = self.message.clone();
        match signal {
            Signal::Traces => {
                let response = ExportTraceServiceResponse {
                    partial_success: partial.then_some(ExportTracePartialSuccess {
                        rejected_spans: rejected,
                        error_message: message,
                    }),
                };
                match encoding {
                    BodyEncoding::Protobuf => response.encode_to_vec(),
                    BodyEncoding::Json => json::encode_trace_response(&response),
                }
            }
            Signal::Logs => {
                let response = ExportLogsServiceResponse {
                    partial_success: partial.then_some(ExportLogsPartialSuccess {
                        rejected_log_records: rejected,
                        error_message: message,
                    }),
                };
                match encoding {
                    BodyEncoding::Protobuf => response.encode_to_vec(),
                    BodyEncoding::Json => json::encode_logs_response(&response),
                }
            }
            Signal::Metrics => {
                let response = ExportMetricsServiceResponse {
                    partial_success: partial.then_some(ExportMetricsPartialSuccess {
                        rejected_data_points: rejected,
                        error_message: message,
                    }),
                };
                match encoding {
                    BodyEncoding::Protobuf => response.encode_to_vec(),
                    BodyEncoding::Json => json::encode_metrics_response(&response),
                }
            }
        }
    }
}

/// Decodes a request body of `signal`.
pub fn decode_request(
    signal: Signal,
    encoding: BodyEncoding,
    body: &[u8],
) -> Result<SignalRequest, ExportError> {
    let protobuf_error = |e: prost::DecodeError, name: &str| {
        ExportError::Decode(format!("invalid protobuf {name}: {e}"))
    };
    let json_error =
        |e: json::OtlpJsonError| ExportError::Decode(format!("invalid OTLP/JSON: {e}"));
    Ok(match (signal, encoding) {
        (Signal::Traces, BodyEncoding::Protobuf) => SignalRequest::Traces(
            ExportTraceServiceRequest::decode(body)
                .map_err(|e| protobuf_error(e, "ExportTraceServiceRequest"))?,
        ),
        (Signal::Logs, BodyEncoding::Protobuf) => SignalRequest::Logs(
            ExportLogsServiceRequest::decode(body)
                .map_err(|e| protobuf_error(e, "ExportLogsServiceRequest"))?,
        ),
        (Signal::Metrics, BodyEncoding::Protobuf) => SignalRequest::Metrics(
            ExportMetricsServiceRequest::decode(body)
                .map_err(|e| protobuf_error(e, "ExportMetricsServiceRequest"))?,
        ),
        (Signal::Traces, BodyEncoding::Json) => {
            SignalRequest::Traces(json::decode_trace_request(body).map_err(json_error)?)
        }
        (Signal::Logs, BodyEncoding::Json) => {
            SignalRequest::Logs(json::decode_logs_request(body).map_err(json_error)?)
        }
        (Signal::Metrics, BodyEncoding::Json) => {
            SignalRequest::Metrics(json::decode_metrics_request(body).map_err(json_error)?)
        }
    })
}

/// How much memory a request body of `len` bytes is assumed to need while it is decoded and
/// converted (decoded messages plus Arrow rows).
fn working_memory(len: usize, encoding: BodyEncoding) -> usize {
    match encoding {
        BodyEncoding::Protobuf => len * 4,
        BodyEncoding::Json => len * 2,
    }
}

struct ReceiverInner {
    store: TelemetryStore,
    config: ReceiverConfig,
    telemetry: ReceiverTelemetry,
    derived: Option<DerivedFeed>,
}

/// The OTLP receiver, shared by the gRPC and HTTP servers. Cheap to clone.
#[derive(Clone)]
pub struct OtlpReceiver {
    inner: Arc<ReceiverInner>,
}

impl OtlpReceiver {
    /// A receiver storing into `store`.
    pub fn new(store: TelemetryStore, config: ReceiverConfig) -> Self {
        Self::with_derived_metrics(store, config, None)
    }

    /// A receiver that also feeds every stored span export to `derived` (span metrics and the
    /// service graph), through a [`DerivedFeed`].
    pub fn with_derived_metrics(
        store: TelemetryStore,
        config: ReceiverConfig,
        derived: Option<Arc<DerivedMetrics>>,
    ) -> Self {
        let derived =
            derived.map(|metrics| DerivedFeed::start(metrics, Arc::clone(store.memory())));
        Self {
            inner: Arc::new(ReceiverInner {
                store,
                config,
                telemetry: ReceiverTelemetry::default(),
                derived,
            }),
        }
    }

    /// The derived-metrics processor, when there is one.
    pub fn derived_metrics(&self) -> Option<&Arc<DerivedMetrics>> {
        self.inner.derived.as_ref().map(DerivedFeed::metrics)
    }

    /// Waits until every stored export has reached the derived-metrics processor.
    pub async fn drain_derived_metrics(&self, timeout: std::time::Duration) -> bool {
        match &self.inner.derived {
            Some(feed) => feed.drain(timeout).await,
            None => true,
        }
    }

    /// The receiver's settings.
    pub fn config(&self) -> &ReceiverConfig {
        &self.inner.config
    }

    /// The receiver's counters.
    pub fn telemetry(&self) -> &ReceiverTelemetry {
        &self.inner.telemetry
    }

    /// The overload error with the configured retry delay.
    fn overloaded(&self) -> ExportError {
        let budget = self.inner.store.memory();
        ExportError::Overloaded {
            message: format!(
                "data refused due to high memory usage ({} of {} bytes in use); retry later",
                budget.used_bytes(),
                budget.limit_bytes()
            ),
            retry_after_seconds: self.inner.config.retry_after_seconds,
        }
    }

    /// Refuses early, before reading a body, when `expected_bytes` would not fit the budget.
    pub fn check_admission(&self, expected_bytes: usize) -> Result<(), ExportError> {
        let budget = self.inner.store.memory();
        if budget.used_bytes() + expected_bytes > budget.limit_bytes() {
            return Err(self.overloaded());
        }
        Ok(())
    }

    /// Counts a request that failed before it reached [`OtlpReceiver::export`].
    pub fn record_failure(&self, signal: Signal, transport: Transport, error: &ExportError) {
        self.inner
            .telemetry
            .request(signal, transport, error.reason());
    }

    /// Decodes, validates and durably stores one export request body.
    pub async fn export(
        &self,
        signal: Signal,
        transport: Transport,
        tenant: TenantId,
        body: Bytes,
        encoding: BodyEncoding,
    ) -> Result<ExportOutcome, ExportError> {
        let telemetry = &self.inner.telemetry;
        match self.export_inner(signal, tenant, body, encoding).await {
            Ok(outcome) => {
                telemetry.accepted(signal, transport, outcome.accepted);
                telemetry.refused(signal, transport, "invalid", outcome.rejected);
                let label = if outcome.rejected > 0 {
                    "partial_success"
                } else {
                    "success"
                };
                telemetry.request(signal, transport, label);
                Ok(outcome)
            }
            Err((error, items)) => {
                telemetry.refused(signal, transport, error.reason(), items);
                telemetry.request(signal, transport, error.reason());
                if matches!(
                    error,
                    ExportError::Internal(_) | ExportError::Unavailable(_)
                ) {
                    tracing::error!(%error, signal = %signal, "export failed");
                }
                Err(error)
            }
        }
    }

    /// The export; errors carry the number of items known to be lost (0 when not decoded).
    async fn export_inner(
        &self,
        signal: Signal,
        tenant: TenantId,
        body: Bytes,
        encoding: BodyEncoding,
    ) -> Result<ExportOutcome, (ExportError, u64)> {
        let budget = self.inner.store.memory();
        let _reservation = budget
            .try_reserve(working_memory(body.len(), encoding))
            .ok_or_else(|| (self.overloaded(), 0))?;
        let store = self.inner.store.clone();
        let derive = self.inner.derived.is_some() && signal == Signal::Traces;
        let committed_tenant = tenant.clone();
        let (prepared, outcome, request) = tokio::task::spawn_blocking(move || {
            let request = decode_request(signal, encoding, &body).map_err(|e| (e, 0))?;
            let validated = validate(request);
            let outcome = ExportOutcome {
                accepted: validated.accepted,
                rejected: validated.rejected,
                message: validated.message,
            };
            // The protobuf body is the WAL payload as is, unless items were removed.
            let raw = (encoding == BodyEncoding::Protobuf && validated.rejected == 0)
                .then(|| body.to_vec());
            let prepared = store
                .prepare(tenant, &validated.request, raw)
                .map_err(|e| (e.into(), outcome.accepted))?;
            let request = (derive && outcome.accepted > 0).then_some(validated.request);
            Ok((prepared, outcome, request))
        })
        .await
        .map_err(|e| (ExportError::Internal(format!("export task failed: {e}")), 0))??;
        self.inner
            .store
            .commit(prepared)
            .await
            .map_err(|e| (e.into(), outcome.accepted))?;
        // Only durably stored spans feed the derived metrics.
        if let (Some(feed), Some(SignalRequest::Traces(request))) = (&self.inner.derived, request) {
            feed.send(committed_tenant, request).await;
        }
        Ok(outcome)
    }
}
