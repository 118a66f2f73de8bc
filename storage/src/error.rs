//! The storage crate's error type.

use std::io;

/// Everything that can go wrong below the receivers and the query APIs.
#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    /// Local file I/O (WAL, data directory).
    #[error("{context}: {source}")]
    Io {
        /// What was being done.
        context: String,
        /// The underlying error.
        #[source]
        source: io::Error,
    },
    /// The object store (local filesystem or S3) failed.
    #[error("object store: {0}")]
    ObjectStore(#[from] object_store::Error),
    /// Parquet encoding or decoding failed.
    #[error("parquet: {0}")]
    Parquet(#[from] parquet::errors::ParquetError),
    /// Arrow array construction failed.
    #[error("arrow: {0}")]
    Arrow(#[from] arrow::error::ArrowError),
    /// A stored file is not in a format this version understands, or is damaged.
    #[error("corrupt {what}: {detail}")]
    Corrupt {
        /// Which file or structure.
        what: String,
        /// What is wrong with it.
        detail: String,
    },
    /// A protobuf payload could not be decoded.
    #[error("protobuf decode: {0}")]
    Decode(#[from] prost::DecodeError),
    /// The store is shutting down or its WAL writer stopped; the write was not made durable.
    #[error("storage unavailable: {0}")]
    Unavailable(String),
    /// A blocking task panicked or was cancelled.
    #[error("background task failed: {0}")]
    Task(String),
    /// The log index (Tantivy) failed.
    #[error("log index: {0}")]
    LogIndex(#[from] tantivy::TantivyError),
}

impl StorageError {
    /// Wraps an I/O error with what was being done.
    pub fn io(context: impl Into<String>, source: io::Error) -> Self {
        StorageError::Io {
            context: context.into(),
            source,
        }
    }

    /// A corruption error.
    pub fn corrupt(what: impl Into<String>, detail: impl Into<String>) -> Self {
        StorageError::Corrupt {
            what: what.into(),
            detail: detail.into(),
        }
    }
}

impl From<tokio::task::JoinError> for StorageError {
    fn from(error: tokio::task::JoinError) -> Self {
        StorageError::Task(error.to_string())
    }
}

/// Shorthand for results in this crate.
pub type StorageResult<T> = Result<T, StorageError>;
