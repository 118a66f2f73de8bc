//! The full-text index of a logs block: a Tantivy index beside the block's Parquet file, one
//! document per row, no stored fields (the Parquet file holds the data; a document carries its
//! row number in a fast field).
//!
//! - [`schema`]: the fields and how each is tokenized; Loki label names.
//! - [`labels`]: a row's labels under Loki's OpenTelemetry conventions.
//! - [`build`]: the index of a block's rows, as one file.
//! - [`bundle`]: that file's format (versioned) and a read-only Tantivy directory over it.
//! - [`search`]: conditions on lines, labels, trace and span ids, resolved to row numbers.
//!
//! The index answers a superset: every row a condition holds on is returned, possibly with a few
//! more; callers check the rows they read. Line conditions become word terms, prefix and suffix
//! patterns over the block's term dictionary, so a substring filter never misses a line.

pub mod build;
pub mod bundle;
pub mod labels;
pub mod schema;
pub mod search;

#[cfg(test)]
mod tests;

pub use build::build_log_index;
pub use bundle::{BUNDLE_FORMAT_VERSION, BundleDirectory};
pub use labels::{LabelKind, PROMOTED_RESOURCE_ATTRIBUTES, RowLabel, RowLabeler, is_stream_label};
pub use schema::loki_label_name;
pub use search::{LineCondition, LogIndex, LogIndexQuery};

/// File name of the index beside `data.parquet`.
pub const LOG_INDEX_FILE: &str = "logs.index";
