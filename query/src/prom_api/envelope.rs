//! The Prometheus API envelope: `{"status":"success","data":…}` (with optional `warnings`) and
//! `{"status":"error","errorType":…,"error":…}` with the status code Prometheus uses for each
//! error type.

use axum::response::{IntoResponse, Response};
use http::StatusCode;
use http::header::CONTENT_TYPE;
use serde_json::{Value as Json, json};

use crate::ApiError;

/// Prometheus' `errorType`s.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorType {
    /// A parameter is missing or malformed (400).
    BadData,
    /// The query cannot be executed (422).
    Execution,
    /// The query timed out or was cancelled (503).
    Timeout,
    /// Something failed inside (500).
    Internal,
    /// Nothing by that name (404).
    NotFound,
    /// Multi-tenancy is on and the request names no tenant (401; Sightline's own, Prometheus
    /// has no tenants).
    Unauthorized,
}

impl ErrorType {
    /// The `errorType` string.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorType::BadData => "bad_data",
            ErrorType::Execution => "execution",
            ErrorType::Timeout => "timeout",
            ErrorType::Internal => "internal",
            ErrorType::NotFound => "not_found",
            ErrorType::Unauthorized => "unauthorized",
        }
    }

    /// The HTTP status Prometheus answers with.
    pub fn status(self) -> StatusCode {
        match self {
            ErrorType::BadData => StatusCode::BAD_REQUEST,
            ErrorType::Execution => StatusCode::UNPROCESSABLE_ENTITY,
            ErrorType::Timeout => StatusCode::SERVICE_UNAVAILABLE,
            ErrorType::Internal => StatusCode::INTERNAL_SERVER_ERROR,
            ErrorType::NotFound => StatusCode::NOT_FOUND,
            ErrorType::Unauthorized => StatusCode::UNAUTHORIZED,
        }
    }
}

/// A failed Prometheus API request, answered in the Prometheus error envelope.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct PromError {
    /// What kind of failure.
    pub error_type: ErrorType,
    /// The `error` text.
    pub message: String,
}

impl PromError {
    /// An error of `error_type`.
    pub fn new(error_type: ErrorType, message: impl Into<String>) -> Self {
        Self {
            error_type,
            message: message.into(),
        }
    }

    /// A `bad_data` error (400).
    pub fn bad_data(message: impl Into<String>) -> Self {
        Self::new(ErrorType::BadData, message)
    }

    /// An `execution` error (422).
    pub fn execution(message: impl Into<String>) -> Self {
        Self::new(ErrorType::Execution, message)
    }

    /// A `timeout` error (503).
    pub fn timeout(message: impl Into<String>) -> Self {
        Self::new(ErrorType::Timeout, message)
    }

    /// An `internal` error (500).
    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(ErrorType::Internal, message)
    }

    /// A `not_found` error (404).
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(ErrorType::NotFound, message)
    }

    /// The error envelope.
    pub fn to_json(&self) -> Json {
        json!({
            "status": "error",
            "errorType": self.error_type.as_str(),
            "error": self.message,
        })
    }
}

impl From<ApiError> for PromError {
    fn from(error: ApiError) -> Self {
        let error_type = match &error {
            ApiError::BadRequest(_) => ErrorType::BadData,
            ApiError::NotFound(_) => ErrorType::NotFound,
            ApiError::Unauthorized(_) => ErrorType::Unauthorized,
            ApiError::Storage(_) | ApiError::Internal(_) => ErrorType::Internal,
        };
        let message = match error {
            ApiError::BadRequest(m)
            | ApiError::NotFound(m)
            | ApiError::Unauthorized(m)
            | ApiError::Internal(m) => m,
            ApiError::Storage(e) => e.to_string(),
        };
        Self::new(error_type, message)
    }
}

impl IntoResponse for PromError {
    fn into_response(self) -> Response {
        if self.error_type == ErrorType::Internal {
            tracing::error!(error = %self.message, "prometheus api request failed");
        }
        json_response(self.error_type.status(), &self.to_json())
    }
}

/// The success envelope around `data`, with `warnings` when there are any.
pub fn success(data: Json, warnings: &[String]) -> Json {
    let mut body = json!({"status": "success", "data": data});
    if !warnings.is_empty() {
        body["warnings"] = Json::from(warnings.to_vec());
    }
    body
}

/// A successful reply.
#[derive(Debug, Clone, PartialEq)]
pub struct PromJson {
    /// The `data`.
    pub data: Json,
    /// The `warnings` (omitted when empty).
    pub warnings: Vec<String>,
}

impl PromJson {
    /// `data` without warnings.
    pub fn new(data: Json) -> Self {
        Self {
            data,
            warnings: Vec::new(),
        }
    }
}

impl IntoResponse for PromJson {
    fn into_response(self) -> Response {
        json_response(StatusCode::OK, &success(self.data, &self.warnings))
    }
}

fn json_response(status: StatusCode, body: &Json) -> Response {
    (
        status,
        [(CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response()
}

/// A sample value as Prometheus writes it (Go's `FormatFloat(v, 'f', -1, 64)`, with `NaN`,
/// `+Inf` and `-Inf`).
pub fn format_value(value: f64) -> String {
    if value.is_nan() {
        "NaN".into()
    } else if value == f64::INFINITY {
        "+Inf".into()
    } else if value == f64::NEG_INFINITY {
        "-Inf".into()
    } else {
        format!("{value}")
    }
}

/// Unix ns as Prometheus' float seconds (millisecond precision, as Prometheus stores).
pub fn unix_seconds(time_ns: u64) -> Json {
    let ms = time_ns / 1_000_000;
    if ms.is_multiple_of(1000) {
        // Whole seconds print without a fraction, as Prometheus writes them.
        return Json::from(ms / 1000);
    }
    serde_json::Number::from_f64(ms as f64 / 1000.0)
        .map(Json::Number)
        .unwrap_or(Json::Null)
}

#[cfg(test)]
mod unit_tests {
    use super::*;

    #[test]
    fn values_and_errors() {
        assert_eq!(format_value(1.5), "1.5");
        assert_eq!(format_value(1e21), "1000000000000000000000");
        assert_eq!(format_value(f64::NAN), "NaN");
        assert_eq!(format_value(f64::NEG_INFINITY), "-Inf");
        assert_eq!(
            unix_seconds(1_700_000_000_123_456_789).to_string(),
            "1700000000.123"
        );
        let e = PromError::from(ApiError::BadRequest("x".into()));
        assert_eq!(e.error_type.status(), StatusCode::BAD_REQUEST);
        assert_eq!(
            e.to_json(),
            json!({"status":"error","errorType":"bad_data","error":"x"})
        );
        assert_eq!(PromError::execution("q").error_type.status().as_u16(), 422);
        assert_eq!(PromError::timeout("q").error_type.status().as_u16(), 503);
        assert_eq!(PromError::not_found("q").error_type.status().as_u16(), 404);
        assert_eq!(PromError::internal("q").error_type.status().as_u16(), 500);
    }
}
