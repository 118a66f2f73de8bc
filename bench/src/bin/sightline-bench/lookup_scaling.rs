//! How trace-by-id cost grows with the number of blocks, in-process through the storage engine:
//! stores with 1, 10, 100 and 1000 blocks of the same size, each looked up without a time range
//! for traces that exist and traces that do not. The trace-id bloom filters keep the blocks a
//! lookup consults to the one holding the trace plus rare false positives, whatever the count.

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use clap::Args;
use sightline_bench::TrafficGenerator;
use sightline_storage::{MemoryBudget, SignalRequest, StoreConfig, TelemetryStore, TenantId};

use crate::machine::describe;
use crate::stats::Percentiles;

/// Options of `sightline-bench lookup-scaling`.
#[derive(Debug, Args)]
pub struct LookupScalingArgs {
    /// Block counts to measure.
    #[arg(long, value_delimiter = ',', default_value = "1,10,100,1000")]
    blocks: Vec<usize>,
    /// Spans per block.
    #[arg(long, default_value_t = 2_000)]
    spans_per_block: usize,
    /// Spans per export request (a block is cut from many requests, as in production).
    #[arg(long, default_value_t = 512)]
    request_spans: usize,
    /// Lookups per configuration (half known traces, half unknown).
    #[arg(long, default_value_t = 1_000)]
    lookups: usize,
    /// Block encoding: zstd level.
    #[arg(long)]
    zstd_level: Option<i32>,
    /// Block encoding: Parquet data page size limit, bytes.
    #[arg(long)]
    page_bytes: Option<usize>,
    /// Block encoding: Parquet data page row limit.
    #[arg(long)]
    page_rows: Option<usize>,
    /// Block encoding: rows per row group.
    #[arg(long)]
    row_group_rows: Option<usize>,
    /// Block encoding: dictionary page size limit, bytes.
    #[arg(long)]
    dictionary_page_bytes: Option<usize>,
}

/// Runs the benchmark and prints one line per block count.
pub async fn run(args: LookupScalingArgs) -> anyhow::Result<()> {
    println!("machine: {}", describe());
    println!(
        "blocks | spans | bytes/span | known trace p50 / p99 | unknown trace p50 / p99 | per known lookup: bloom \"maybe\" / data files read"
    );
    for &blocks in &args.blocks {
        let dir = tempfile::tempdir()?;
        let mut config = StoreConfig::new(dir.path());
        config.wal_fsync = false;
        config.cut.max_block_rows = usize::MAX;
        config.cut.max_head_bytes = usize::MAX;
        config.cut.max_block_age = Duration::from_secs(86_400);
        let block = &mut config.block;
        block.zstd_level = args.zstd_level.unwrap_or(block.zstd_level);
        block.data_page_bytes = args.page_bytes.unwrap_or(block.data_page_bytes);
        block.data_page_rows = args.page_rows.unwrap_or(block.data_page_rows);
        block.row_group_rows = args.row_group_rows.unwrap_or(block.row_group_rows);
        block.dictionary_page_bytes = args
            .dictionary_page_bytes
            .unwrap_or(block.dictionary_page_bytes);
        let blocks_dir = config.blocks_dir();
        let (store, _) = TelemetryStore::open_local(config, MemoryBudget::new(8 << 30)).await?;
        let tenant = TenantId::single_tenant();
        let now = SystemTime::now().duration_since(UNIX_EPOCH)?.as_nanos() as u64;
        let mut generator = TrafficGenerator::with_start_time(blocks as u64, now);
        let mut known = Vec::new();
        let mut spans = 0;
        let mut encode_time = Duration::ZERO;
        for _ in 0..blocks {
            let mut block_spans = 0;
            while block_spans < args.spans_per_block {
                let request = generator.traces(
                    args.request_spans.min(args.spans_per_block - block_spans),
                    now,
                );
                for rs in &request.resource_spans {
                    for span in rs.scope_spans.iter().flat_map(|s| &s.spans) {
                        block_spans += 1;
                        if known.len() < 100_000 && span.parent_span_id.is_empty() {
                            known.push(<[u8; 16]>::try_from(span.trace_id.as_slice())?);
                        }
                    }
                }
                let prepared =
                    store.prepare(tenant.clone(), &SignalRequest::Traces(request), None)?;
                store.commit(prepared).await?;
            }
            spans += block_spans;
            let started = Instant::now();
            store.flush().await?;
            encode_time += started.elapsed();
        }
        eprintln!(
            "  {blocks} blocks written in {:.2}s ({:.2} µs/span)",
            encode_time.as_secs_f64(),
            encode_time.as_secs_f64() * 1e6 / spans as f64
        );
        let bytes_per_span = crate::stats::dir_size(&blocks_dir) as f64 / spans as f64;
        let store = Arc::new(store);
        let mut hit = Vec::new();
        let mut miss = Vec::new();
        let mut blocks_read = 0;
        let mut blocks_inspected = 0;
        for i in 0..args.lookups {
            let (id, samples) = if i % 2 == 0 {
                (known[(i * 7919) % known.len()], &mut hit)
            } else {
                let mut id = [0u8; 16];
                id[..8].copy_from_slice(&(i as u64).to_le_bytes());
                id[15] = 0xfe;
                (id, &mut miss)
            };
            let started = Instant::now();
            let found = store.find_trace(&tenant, &id, None).await?;
            samples.push(started.elapsed());
            if i % 2 == 0 {
                blocks_read += found.blocks_read;
                blocks_inspected += found.blocks_inspected;
            }
        }
        let hit = Percentiles::of(&mut hit);
        let miss = Percentiles::of(&mut miss);
        let ms = |d: Duration| d.as_secs_f64() * 1000.0;
        println!(
            "{blocks} | {spans} | {bytes_per_span:.1} | {:.3} / {:.3} ms | {:.3} / {:.3} ms | {:.2} / {:.2}",
            ms(hit.p50),
            ms(hit.p99),
            ms(miss.p50),
            ms(miss.p99),
            blocks_inspected as f64 / (args.lookups as f64 / 2.0),
            blocks_read as f64 / (args.lookups as f64 / 2.0)
        );
        store.shutdown().await?;
    }
    Ok(())
}
