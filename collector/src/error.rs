//! Why an export failed, and how each transport reports it (per the OTLP specification: 400 /
//! INVALID_ARGUMENT for bad data, 413 / RESOURCE_EXHAUSTED without retry for oversize requests,
//! 503 + Retry-After / UNAVAILABLE + RetryInfo when overloaded).

use sightline_proto::rpc_status::{self, RetryInfo};
use sightline_storage::StorageError;

/// A failed export.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ExportError {
    /// The body could not be decoded (or used an unsupported encoding). Not retryable.
    #[error("{0}")]
    Decode(String),
    /// The body is larger than the limit after decompression. Not retryable.
    #[error("{0}")]
    TooLarge(String),
    /// The memory budget is exhausted; the client should retry after `retry_after_seconds`.
    #[error("{message}")]
    Overloaded {
        /// Human-readable reason.
        message: String,
        /// Suggested delay.
        retry_after_seconds: u64,
    },
    /// Storage could not make the data durable; retryable.
    #[error("{0}")]
    Unavailable(String),
    /// Multi-tenancy is on and the request has no tenant.
    #[error("{0}")]
    Unauthenticated(String),
    /// The tenant id is not acceptable.
    #[error("{0}")]
    InvalidTenant(String),
    /// A bug or an unexpected internal condition; not retryable.
    #[error("{0}")]
    Internal(String),
}

impl ExportError {
    /// The oversize error for `limit` bytes.
    pub fn too_large(limit: usize) -> Self {
        ExportError::TooLarge(format!(
            "request body exceeds the limit of {limit} bytes after decompression"
        ))
    }

    /// Short label for metrics (`reason`).
    pub fn reason(&self) -> &'static str {
        match self {
            ExportError::Decode(_) => "invalid_request",
            ExportError::TooLarge(_) => "too_large",
            ExportError::Overloaded { .. } => "memory_limit",
            ExportError::Unavailable(_) => "unavailable",
            ExportError::Unauthenticated(_) => "unauthenticated",
            ExportError::InvalidTenant(_) => "invalid_tenant",
            ExportError::Internal(_) => "internal",
        }
    }

    /// The HTTP status code.
    pub fn http_status(&self) -> http::StatusCode {
        use http::StatusCode;
        match self {
            ExportError::Decode(_) | ExportError::InvalidTenant(_) => StatusCode::BAD_REQUEST,
            ExportError::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            ExportError::Overloaded { .. } | ExportError::Unavailable(_) => {
                StatusCode::SERVICE_UNAVAILABLE
            }
            ExportError::Unauthenticated(_) => StatusCode::UNAUTHORIZED,
            ExportError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The gRPC status code.
    pub fn grpc_code(&self) -> tonic::Code {
        use tonic::Code;
        match self {
            ExportError::Decode(_) | ExportError::InvalidTenant(_) => Code::InvalidArgument,
            ExportError::TooLarge(_) => Code::ResourceExhausted,
            ExportError::Overloaded { .. } | ExportError::Unavailable(_) => Code::Unavailable,
            ExportError::Unauthenticated(_) => Code::Unauthenticated,
            ExportError::Internal(_) => Code::Internal,
        }
    }

    /// Seconds to wait before retrying, for retryable errors.
    pub fn retry_after_seconds(&self) -> Option<u64> {
        match self {
            ExportError::Overloaded {
                retry_after_seconds,
                ..
            } => Some(*retry_after_seconds),
            _ => None,
        }
    }

    /// The `google.rpc.Status` body of an error reply (with `RetryInfo` when retryable).
    pub fn to_rpc_status(&self) -> rpc_status::Status {
        rpc_status::Status {
            code: self.grpc_code() as i32,
            message: self.to_string(),
            details: self
                .retry_after_seconds()
                .map(|s| vec![RetryInfo::after_seconds(s as i64).to_any()])
                .unwrap_or_default(),
        }
    }

    /// The gRPC status, with `RetryInfo` details when retryable.
    pub fn to_grpc_status(&self) -> tonic::Status {
        let details = prost::Message::encode_to_vec(&self.to_rpc_status());
        tonic::Status::with_details(self.grpc_code(), self.to_string(), details.into())
    }
}

impl From<StorageError> for ExportError {
    fn from(error: StorageError) -> Self {
        match error {
            StorageError::Arrow(_) | StorageError::Decode(_) | StorageError::Corrupt { .. } => {
                ExportError::Internal(format!("storing the request failed: {error}"))
            }
            other => ExportError::Unavailable(format!("storage unavailable, retry later: {other}")),
        }
    }
}
