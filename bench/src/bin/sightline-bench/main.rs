//! `sightline-bench`: benchmarks that print numbers for BENCHMARKS.md.
//!
//! - `ingest`: decode-only rate, sustained durable ingest, bytes per span, trace-by-id latency and
//!   peak memory, against the real binary.
//! - `lookup-scaling`: trace-by-id latency as the number of blocks grows.
//! - `block-stats`: where the bytes of a block go, per column.
//! - `search`: search, tag, TraceQL metrics, Jaeger and service-map latency over an ingested
//!   data directory.
//! - `waterfall`: paging through a 100k-span trace, latency and server memory.
//! - `logs`: log ingest, Parquet and full-text index sizes, indexing throughput per core, and
//!   Loki and native log query latency over 24 hours of logs.
//! - `metrics`: OTLP metrics ingest, bytes per data point, and PromQL, label values and series
//!   latency over 24 hours of histogram and counter series plus span metrics.

mod block_stats;
mod export;
mod ingest;
mod logs;
mod logs_queries;
mod lookup_scaling;
mod machine;
mod metrics;
mod metrics_queries;
mod search;
mod stats;
mod waterfall;

use clap::{Parser, Subcommand};

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Sightline benchmarks.
#[derive(Debug, Parser)]
#[command(name = "sightline-bench")]
struct Cli {
    #[command(subcommand)]
    command: Benchmark,
}

#[derive(Debug, Subcommand)]
enum Benchmark {
    /// Ingest throughput, storage size, trace-by-id latency and peak memory of the binary.
    Ingest(ingest::IngestArgs),
    /// Trace-by-id latency for stores of 1 to 1000 blocks.
    LookupScaling(lookup_scaling::LookupScalingArgs),
    /// Per-column sizes of a block's Parquet file.
    BlockStats(block_stats::BlockStatsArgs),
    /// TraceQL search latency over an ingested data directory.
    Search(search::SearchArgs),
    /// Waterfall windows of a 100k-span trace versus fetching it whole.
    Waterfall(waterfall::WaterfallArgs),
    /// Log ingest, storage and index sizes, indexing throughput and log query latency.
    Logs(logs::LogsArgs),
    /// Metrics ingest, bytes per data point and PromQL query latency.
    Metrics(metrics::MetricsArgs),
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        match cli.command {
            Benchmark::Ingest(args) => ingest::run(args).await,
            Benchmark::LookupScaling(args) => lookup_scaling::run(args).await,
            Benchmark::BlockStats(args) => block_stats::run(args),
            Benchmark::Search(args) => search::run(args).await,
            Benchmark::Waterfall(args) => waterfall::run(args).await,
            Benchmark::Logs(args) => logs::run(args).await,
            Benchmark::Metrics(args) => metrics::run(args).await,
        }
    })
}
