//! Sightline's OTLP receivers: OTLP/gRPC (`TraceService`, `LogsService`, `MetricsService`
//! `Export`) and OTLP/HTTP (`POST /v1/traces`, `/v1/logs`, `/v1/metrics`, protobuf or JSON,
//! gzip), with the OTLP error model: partial success for invalid items, 400 for undecodable
//! bodies, 413 above the size limit, retryable refusals when the memory budget is exhausted.
//!
//! - [`receiver`]: the transport-independent export path (admission, decode, validate, store).
//! - [`validate`]: which items can be stored, and the partial-success message for the rest.
//! - [`grpc`] and [`http`]: the two transports.
//! - [`tenancy`]: the tenant of a request.
//! - [`telemetry`]: the receiver's own counters.
//! - [`derived`]: span metrics and service-graph edges derived from received spans;
//!   [`generator`]: the task that stores them as metrics.

pub mod config;
mod decompress;
pub mod derived;
pub mod error;
pub mod generator;
pub mod grpc;
pub mod http;
pub mod receiver;
pub mod telemetry;
pub mod tenancy;
pub mod validate;

pub use config::ReceiverConfig;
pub use error::ExportError;
pub use receiver::{OtlpReceiver, Transport};
