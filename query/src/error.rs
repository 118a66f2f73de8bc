//! Query API errors and their HTTP replies (plain text, as Tempo answers).

use axum::response::{IntoResponse, Response};
use http::StatusCode;
use http::header::CONTENT_TYPE;
use sightline_storage::{StorageError, TenantHeaderError};

/// A failed query.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// A parameter is missing or malformed (400).
    #[error("{0}")]
    BadRequest(String),
    /// Nothing matches (404).
    #[error("{0}")]
    NotFound(String),
    /// Multi-tenancy is on and the request has no tenant (401).
    #[error("{0}")]
    Unauthorized(String),
    /// Storage failed (500).
    #[error("internal error: {0}")]
    Storage(#[from] StorageError),
    /// Something else went wrong inside (500).
    #[error("internal error: {0}")]
    Internal(String),
}

impl From<TenantHeaderError> for ApiError {
    fn from(error: TenantHeaderError) -> Self {
        match error {
            TenantHeaderError::Missing => ApiError::Unauthorized(error.to_string()),
            TenantHeaderError::Invalid(_) => ApiError::BadRequest(error.to_string()),
        }
    }
}

impl ApiError {
    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            ApiError::Storage(_) | ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if matches!(self, ApiError::Storage(_) | ApiError::Internal(_)) {
            tracing::error!(error = %self, "query failed");
        }
        (
            self.status(),
            [(CONTENT_TYPE, "text/plain; charset=utf-8")],
            format!("{self}\n"),
        )
            .into_response()
    }
}
