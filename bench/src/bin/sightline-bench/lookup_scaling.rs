//! How trace-by-id cost grows with the number of blocks, in-process through the storage engine:
//! stores with 1, 10, 100 and 1000 blocks of the same size, each looked up without a time range
//! for traces that exist and traces that do not. The trace-id bloom filters keep the blocks a
//! lookup opens at about one, whatever the count.

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
    /// Lookups per configuration (half known traces, half unknown).
    #[arg(long, default_value_t = 1_000)]
    lookups: usize,
}

/// Runs the benchmark and prints one line per block count.
pub async fn run(args: LookupScalingArgs) -> anyhow::Result<()> {
    println!("machine: {}", describe());
    println!(
        "blocks | spans | known trace: p50 / p99 | unknown trace: p50 / p99 | blocks read per known lookup"
    );
    for &blocks in &args.blocks {
        let dir = tempfile::tempdir()?;
        let mut config = StoreConfig::new(dir.path());
        config.wal_fsync = false;
        config.cut.max_block_rows = usize::MAX;
        config.cut.max_head_bytes = usize::MAX;
        config.cut.max_block_age = Duration::from_secs(86_400);
        let (store, _) = TelemetryStore::open_local(config, MemoryBudget::new(8 << 30)).await?;
        let tenant = TenantId::single_tenant();
        let now = SystemTime::now().duration_since(UNIX_EPOCH)?.as_nanos() as u64;
        let mut generator = TrafficGenerator::with_start_time(blocks as u64, now);
        let mut known = Vec::new();
        let mut spans = 0;
        for _ in 0..blocks {
            let request = generator.traces(args.spans_per_block, now);
            for rs in &request.resource_spans {
                for span in rs.scope_spans.iter().flat_map(|s| &s.spans) {
                    spans += 1;
                    if known.len() < 100_000 && span.parent_span_id.is_empty() {
                        known.push(<[u8; 16]>::try_from(span.trace_id.as_slice())?);
                    }
                }
            }
            let prepared = store.prepare(tenant.clone(), &SignalRequest::Traces(request), None)?;
            store.commit(prepared).await?;
            store.flush().await?;
        }
        let store = Arc::new(store);
        let mut hit = Vec::new();
        let mut miss = Vec::new();
        let mut blocks_read = 0;
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
                blocks_read += found.blocks_inspected;
            }
        }
        let hit = Percentiles::of(&mut hit);
        let miss = Percentiles::of(&mut miss);
        let ms = |d: Duration| d.as_secs_f64() * 1000.0;
        println!(
            "{blocks} | {spans} | {:.3} / {:.3} ms | {:.3} / {:.3} ms | {:.2}",
            ms(hit.p50),
            ms(hit.p99),
            ms(miss.p50),
            ms(miss.p99),
            blocks_read as f64 / (args.lookups as f64 / 2.0)
        );
        store.shutdown().await?;
    }
    Ok(())
}
