//! Receiver settings.

use serde::Deserialize;

/// Receiver settings (the `[receiver]` table of the configuration file).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ReceiverConfig {
    /// Largest accepted request, bytes after decompression (the OTLP spec recommends 64 MiB).
    pub max_request_bytes: usize,
    /// Take the tenant from `X-Scope-OrgID`; when off, everything goes to `single-tenant`.
    pub multitenancy_enabled: bool,
    /// Seconds a refused client is asked to wait (`Retry-After`, gRPC `RetryInfo`).
    pub retry_after_seconds: u64,
}

impl Default for ReceiverConfig {
    fn default() -> Self {
        Self {
            max_request_bytes: 64 << 20,
            multitenancy_enabled: false,
            retry_after_seconds: 2,
        }
    }
}
