//! `google.rpc.Status` and `google.rpc.RetryInfo`: the error body of OTLP/HTTP and the detail a
//! gRPC client reads to learn when to retry.

/// `google.rpc.Status`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct Status {
    /// gRPC status code (may be left 0 over HTTP).
    #[prost(int32, tag = "1")]
    pub code: i32,
    /// Developer-facing message.
    #[prost(string, tag = "2")]
    pub message: String,
    /// Typed details such as `RetryInfo`.
    #[prost(message, repeated, tag = "3")]
    pub details: Vec<Any>,
}

/// `google.protobuf.Any`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct Any {
    /// Type URL, e.g. `type.googleapis.com/google.rpc.RetryInfo`.
    #[prost(string, tag = "1")]
    pub type_url: String,
    /// The encoded message.
    #[prost(bytes = "vec", tag = "2")]
    pub value: Vec<u8>,
}

/// `google.protobuf.Duration`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct Duration {
    /// Whole seconds.
    #[prost(int64, tag = "1")]
    pub seconds: i64,
    /// Nanoseconds within the second.
    #[prost(int32, tag = "2")]
    pub nanos: i32,
}

/// `google.rpc.RetryInfo`: how long a client should wait before retrying.
#[derive(Clone, PartialEq, prost::Message)]
pub struct RetryInfo {
    /// Delay before the next attempt.
    #[prost(message, optional, tag = "1")]
    pub retry_delay: Option<Duration>,
}

/// Type URL of [`RetryInfo`] inside an `Any`.
pub const RETRY_INFO_TYPE_URL: &str = "type.googleapis.com/google.rpc.RetryInfo";

impl RetryInfo {
    /// A `RetryInfo` asking the client to wait `seconds`.
    pub fn after_seconds(seconds: i64) -> Self {
        Self {
            retry_delay: Some(Duration { seconds, nanos: 0 }),
        }
    }

    /// Wraps this message in an `Any` for `Status.details`.
    pub fn to_any(&self) -> Any {
        Any {
            type_url: RETRY_INFO_TYPE_URL.to_string(),
            value: prost::Message::encode_to_vec(self),
        }
    }
}
