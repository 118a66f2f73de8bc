//! Log lines for LogQL, the Loki API and the native log endpoints.
//!
//! - [`scan`]: candidate lines of a time range from heads and blocks, part by part in time
//!   order, narrowed by each block's full-text index.
//! - [`count`]: lines of a label-only search counted by a label from the indexes alone.
//! - [`select`]: what of a LogQL query the index can narrow by; the exact stream selector.
//! - [`query`]: running a LogQL log query (selector, pipeline, limit, direction).
//! - [`metric`]: running a LogQL metric query over the store.
//! - [`labels`]: label names and values of a time range.
//! - [`line`]: a log line with its labels, as the evaluators see it.

pub mod count;
pub mod labels;
pub mod line;
pub mod metric;
pub mod query;
pub mod scan;
pub mod select;

#[cfg(test)]
pub(crate) mod tests;

pub use line::{LineConditions, LogLine};
pub use query::{LogEntry, LogQuery, run_log_query};
pub use scan::{Direction, LogScan, ScanStats, scan_logs};
pub use select::{CompiledLogExpr, StreamSelector, pushdown};
