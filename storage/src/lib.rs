//! Sightline storage: everything between a validated OTLP export and bytes on disk.
//!
//! - [`rows`]: OTLP <-> Arrow rows for traces, logs and metrics (lossless).
//! - [`wal`]: the write-ahead log (checksummed records, group-committed fsync, replay).
//! - [`head`]: recent rows in memory, queryable at once.
//! - [`block`]: immutable blocks (Parquet + trace-id index + bloom filter + `meta.json`).
//! - [`backend`]: where blocks live (`object_store`: local filesystem or S3).
//! - [`blocklist`]: the blocks known per tenant and signal.
//! - [`store`]: [`TelemetryStore`], which ties them together: append, cut, recover, find.
//! - [`memory`]: the memory budget admission control checks.

pub mod backend;
pub mod block;
pub mod blocklist;
pub mod error;
pub mod head;
pub mod memory;
pub mod rows;
pub mod store;
pub mod tenant;
pub mod wal;

#[cfg(test)]
pub(crate) mod test_fixtures;

pub use error::{StorageError, StorageResult};
pub use memory::{MemoryBudget, MemoryReservation};
pub use rows::{RowBatch, SignalRequest};
pub use store::{
    CutPolicy, PreparedAppend, RecoveryReport, StoreConfig, TelemetryStore, TraceLookup,
};
pub use tenant::{
    Signal, TENANT_HEADER, TenantError, TenantHeaderError, TenantId, tenant_from_header,
};
