//! Blocks: the immutable, durable unit of storage. A block is a directory
//! `<tenant>/<signal>/<block-id>/` holding `data.parquet`, for traces a `trace-index` and a
//! `bloom` sidecar, for logs a full-text index, for metrics a series index, and `meta.json`,
//! written last.

pub mod bloom;
mod dictionary;
pub mod log_index;
pub mod merge;
pub mod meta;
pub mod reader;
pub mod series_index;
pub mod structure;
pub mod trace_index;
pub mod writer;

pub use bloom::TraceIdBloom;
pub use meta::{BlockMeta, WalCoverage};
pub use reader::BlockReader;
pub use series_index::{SeriesIndex, SeriesIndexEntry};
pub use trace_index::{TraceEntry, TraceIndex};
pub use writer::{BlockOptions, EncodedBlock, encode_block, upload_block};

#[cfg(test)]
mod tests;
