//! Cutting heads into blocks: the background task that decides when, and the block write that
//! makes a frozen head durable in the object store before it is dropped from memory.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use tokio::sync::watch;

use super::heads::{HeadKey, HeadSlot};
use super::{Inner, signal_index};
use crate::block::{BlockOptions, EncodedBlock, WalCoverage, encode_block, upload_block};
use crate::blocklist::BlockHandle;
use crate::error::StorageResult;
use crate::head::Head;
use crate::rows::RowBatch;
use crate::tenant::{Signal, TenantId};

/// Fraction of the memory budget buffered data may take before the largest head is cut early.
const MEMORY_PRESSURE_FRACTION: f64 = 0.5;

/// Starts the task that cuts and writes blocks; stop it by sending `true`.
pub(crate) fn spawn_background(
    inner: Arc<Inner>,
) -> (watch::Sender<bool>, tokio::task::JoinHandle<()>) {
    let (stop_sender, mut stop) = watch::channel(false);
    let task = tokio::spawn(async move {
        let mut backoff = Duration::from_secs(1);
        loop {
            tokio::select! {
                _ = stop.changed() => break,
                _ = inner.heads.cut_wanted.notified() => {}
                _ = tokio::time::sleep(Duration::from_secs(1)) => {}
            }
            cut_due_heads(&inner);
            match write_frozen_heads(&inner).await {
                Ok(()) => backoff = Duration::from_secs(1),
                Err(error) => {
                    inner.stats.flush_failures.fetch_add(1, Ordering::Relaxed);
                    tracing::error!(%error, retry_in = ?backoff, "writing a block failed; the head stays in memory and the WAL keeps its records");
                    tokio::select! {
                        _ = stop.changed() => break,
                        _ = tokio::time::sleep(backoff) => {}
                    }
                    backoff = (backoff * 2).min(Duration::from_secs(30));
                }
            }
        }
    });
    (stop_sender, task)
}

/// Freezes heads that reached a threshold, and the largest one under memory pressure.
fn cut_due_heads(inner: &Inner) {
    let policy = &inner.config.cut;
    let mut largest: Option<(usize, Arc<parking_lot::RwLock<HeadSlot>>)> = None;
    for (_, slot) in inner.heads.all() {
        let (due, bytes) = {
            let s = slot.read();
            let head = &s.active;
            let due = !head.is_empty()
                && (head.rows() >= policy.max_block_rows
                    || head.bytes() >= policy.max_head_bytes
                    || head.age() >= policy.max_block_age);
            (due, head.bytes())
        };
        if due {
            slot.write().freeze();
        } else if bytes > 0 && largest.as_ref().is_none_or(|(b, _)| bytes > *b) {
            largest = Some((bytes, slot));
        }
    }
    // Under memory pressure, cut the largest head early, unless blocks are already being
    // written (cutting more would not free anything sooner; admission control refuses instead).
    let writing = inner
        .heads
        .all()
        .iter()
        .any(|(_, slot)| !slot.read().flushing.is_empty());
    if !writing
        && inner.memory.buffered_above(MEMORY_PRESSURE_FRACTION)
        && let Some((bytes, slot)) = largest
    {
        tracing::info!(
            head_bytes = bytes,
            "memory pressure: cutting the largest head early"
        );
        slot.write().freeze();
    }
}

/// Writes every frozen head to a block, oldest first per slot, then lets the WAL drop what the
/// blocks cover.
async fn write_frozen_heads(inner: &Inner) -> StorageResult<()> {
    let _serialized = inner.flush_lock.lock().await;
    for (key, slot) in inner.heads.all() {
        loop {
            let Some(head) = slot.read().flushing.first().cloned() else {
                break;
            };
            write_block(inner, &key, &head).await?;
            slot.write().flushing.retain(|h| !Arc::ptr_eq(h, &head));
            inner.memory.release_buffered(head.bytes());
        }
    }
    let heads = Arc::clone(&inner.heads);
    inner
        .wal
        .truncate_with(Box::new(move || heads.min_lsn().unwrap_or(u64::MAX)));
    Ok(())
}

async fn write_block(inner: &Inner, (tenant, signal): &HeadKey, head: &Head) -> StorageResult<()> {
    let started = std::time::Instant::now();
    let batches: Vec<_> = head.batches().iter().map(|b| (**b).clone()).collect();
    let coverage = head.min_lsn().map(|min_lsn| WalCoverage {
        wal_id: inner.wal_id.clone(),
        min_lsn,
        max_lsn: head.max_lsn(),
    });
    let options = inner.config.block.clone();
    // Encoding holds a merged copy of the rows next to the head: account for it, so admission
    // control sees it.
    let working_memory = head.bytes();
    inner.memory.add_buffered(working_memory);
    let result = encode_and_upload(inner, tenant, *signal, batches, coverage, options).await;
    inner.memory.release_buffered(working_memory);
    let (encoded, encode_time) = result?;
    let meta = encoded.meta;
    tracing::info!(
        tenant = %tenant,
        signal = %signal,
        block_id = %meta.block_id,
        rows = meta.rows,
        bytes = meta.size_bytes,
        merge_ms = encoded.merge_time.as_millis() as u64,
        parquet_ms = encoded.parquet_time.as_millis() as u64,
        encode_ms = encode_time.as_millis() as u64,
        total_ms = started.elapsed().as_millis() as u64,
        "block written"
    );
    let handle = BlockHandle::new(
        inner.storage.clone(),
        meta,
        encoded.bloom,
        encoded.trace_index,
    )?;
    inner.blocks.add(Arc::new(handle));
    inner.stats.blocks_written[signal_index(*signal)].fetch_add(1, Ordering::Relaxed);
    Ok(())
}

async fn encode_and_upload(
    inner: &Inner,
    tenant: &TenantId,
    signal: Signal,
    batches: Vec<RowBatch>,
    coverage: Option<WalCoverage>,
    options: BlockOptions,
) -> StorageResult<(EncodedBlock, Duration)> {
    let started = std::time::Instant::now();
    let tenant_for_encode = tenant.clone();
    let encoded = tokio::task::spawn_blocking(move || {
        encode_block(&tenant_for_encode, signal, &batches, coverage, &options)
    })
    .await??;
    let encode_time = started.elapsed();
    upload_block(&inner.storage, &encoded).await?;
    Ok((encoded, encode_time))
}

/// Freezes every head and writes them all.
pub(crate) async fn flush_everything(inner: &Inner) -> StorageResult<()> {
    for (_, slot) in inner.heads.all() {
        slot.write().freeze();
    }
    write_frozen_heads(inner).await
}
