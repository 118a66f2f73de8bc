use std::sync::Arc;

use super::*;
use crate::test_fixtures::{rich_logs_request, rich_metrics_request, rich_trace_request};

fn config(dir: &std::path::Path) -> StoreConfig {
    StoreConfig::new(dir)
}

async fn open(dir: &std::path::Path) -> (TelemetryStore, RecoveryReport) {
    TelemetryStore::open_local(config(dir), MemoryBudget::new(1 << 30))
        .await
        .unwrap()
}

async fn append(store: &TelemetryStore, tenant: &TenantId, request: SignalRequest) {
    let prepared = store.prepare(tenant.clone(), &request, None).unwrap();
    store.commit(prepared).await.unwrap();
}

fn trace_id() -> [u8; 16] {
    rich_trace_request().resource_spans[0].scope_spans[0].spans[0]
        .trace_id
        .clone()
        .try_into()
        .unwrap()
}

#[tokio::test]
async fn committed_spans_are_readable_at_once_then_from_a_block() {
    let dir = tempfile::tempdir().unwrap();
    let (store, _) = open(dir.path()).await;
    let tenant = TenantId::single_tenant();
    append(&store, &tenant, SignalRequest::Traces(rich_trace_request())).await;

    let found = store.find_trace(&tenant, &trace_id(), None).await.unwrap();
    assert_eq!(found.spans, 3);
    assert_eq!(found.blocks_inspected, 0);

    store.flush().await.unwrap();
    assert_eq!(store.head_totals(Signal::Traces), (0, 0));
    assert_eq!(store.block_counts(Signal::Traces).blocks, 1);
    let found = store.find_trace(&tenant, &trace_id(), None).await.unwrap();
    assert_eq!(found.spans, 3);
    assert_eq!(found.blocks_inspected, 1);
    // A time range that excludes the block skips it.
    let missed = store
        .find_trace(
            &tenant,
            &trace_id(),
            Some((2_000_000_000_000_000_000, 3_000_000_000_000_000_000)),
        )
        .await
        .unwrap();
    assert_eq!((missed.spans, missed.blocks_considered), (0, 0));
    // Unknown ids are answered by the bloom filter without reading the block (almost always).
    let unknown = store.find_trace(&tenant, &[0x42; 16], None).await.unwrap();
    assert_eq!(unknown.spans, 0);
    store.shutdown().await.unwrap();
}

#[tokio::test]
async fn unflushed_data_is_replayed_after_a_crash() {
    let dir = tempfile::tempdir().unwrap();
    let tenant = TenantId::new("team-a").unwrap();
    {
        let (store, _) = open(dir.path()).await;
        append(&store, &tenant, SignalRequest::Traces(rich_trace_request())).await;
        append(&store, &tenant, SignalRequest::Logs(rich_logs_request())).await;
        store.abandon().await;
    }
    let (store, report) = open(dir.path()).await;
    assert_eq!(report.replay.records, 2);
    assert_eq!(report.rows_replayed, 4 + 4);
    let found = store.find_trace(&tenant, &trace_id(), None).await.unwrap();
    assert_eq!(found.spans, 3);
    store.shutdown().await.unwrap();
}

/// A crash after a block's meta.json is written but before the WAL segments it covers are
/// deleted leaves records in the WAL that a block already holds: replay must skip them.
#[tokio::test]
async fn records_already_in_blocks_are_not_replayed_twice() {
    let dir = tempfile::tempdir().unwrap();
    let tenant = TenantId::single_tenant();
    let wal_dir = dir.path().join("wal");
    let saved = dir.path().join("saved-wal");
    {
        let (store, _) = open(dir.path()).await;
        append(&store, &tenant, SignalRequest::Traces(rich_trace_request())).await;
        // The WAL as it is before the block is written.
        std::fs::create_dir_all(&saved).unwrap();
        for entry in std::fs::read_dir(&wal_dir).unwrap() {
            let entry = entry.unwrap();
            std::fs::copy(entry.path(), saved.join(entry.file_name())).unwrap();
        }
        store.flush().await.unwrap();
        append(
            &store,
            &tenant,
            SignalRequest::Metrics(rich_metrics_request()),
        )
        .await;
        store.abandon().await;
    }
    // Put the deleted segment back, as if the crash came before its deletion.
    for entry in std::fs::read_dir(&saved).unwrap() {
        let entry = entry.unwrap();
        let target = wal_dir.join(entry.file_name());
        if !target.exists() {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
    let (store, report) = open(dir.path()).await;
    assert_eq!(report.records_already_in_blocks, 1);
    assert_eq!(report.rows_replayed, 9);
    let found = store.find_trace(&tenant, &trace_id(), None).await.unwrap();
    assert_eq!(found.spans, 3, "no duplicate spans from replay");
    assert_eq!(store.head_totals(Signal::Traces).0, 0);
    store.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_clean_shutdown_leaves_nothing_to_replay() {
    let dir = tempfile::tempdir().unwrap();
    let tenant = TenantId::single_tenant();
    {
        let (store, _) = open(dir.path()).await;
        append(&store, &tenant, SignalRequest::Traces(rich_trace_request())).await;
        store.shutdown().await.unwrap();
    }
    let (store, report) = open(dir.path()).await;
    assert_eq!(
        (report.replay.records, report.records_already_in_blocks),
        (0, 0)
    );
    assert_eq!(
        store
            .find_trace(&tenant, &trace_id(), None)
            .await
            .unwrap()
            .spans,
        3
    );
    store.shutdown().await.unwrap();
}

#[tokio::test]
async fn tenants_never_see_each_other() {
    let dir = tempfile::tempdir().unwrap();
    let (store, _) = open(dir.path()).await;
    let a = TenantId::new("a").unwrap();
    let b = TenantId::new("b").unwrap();
    append(&store, &a, SignalRequest::Traces(rich_trace_request())).await;
    assert_eq!(
        store.find_trace(&b, &trace_id(), None).await.unwrap().spans,
        0
    );
    store.flush().await.unwrap();
    assert_eq!(
        store.find_trace(&b, &trace_id(), None).await.unwrap().spans,
        0
    );
    assert_eq!(
        store.find_trace(&a, &trace_id(), None).await.unwrap().spans,
        3
    );
    assert!(dir.path().join("blocks/a/traces").exists());
    assert!(!dir.path().join("blocks/b").exists());
    store.shutdown().await.unwrap();
}

#[tokio::test]
async fn unfinished_blocks_are_deleted_and_blocks_reload() {
    let dir = tempfile::tempdir().unwrap();
    let tenant = TenantId::single_tenant();
    {
        let (store, _) = open(dir.path()).await;
        append(&store, &tenant, SignalRequest::Traces(rich_trace_request())).await;
        store.shutdown().await.unwrap();
    }
    // A block directory without meta.json, as a crash during a block write leaves it.
    let orphan = dir
        .path()
        .join("blocks/single-tenant/traces/0190f5a2-0000-7000-8000-000000000000");
    std::fs::create_dir_all(&orphan).unwrap();
    std::fs::write(orphan.join("data.parquet"), b"partial").unwrap();
    let (store, report) = open(dir.path()).await;
    assert_eq!(report.blocks.orphans_deleted, 1);
    assert_eq!(report.blocks.blocks, 1);
    assert!(!orphan.exists());
    assert_eq!(
        store
            .find_trace(&tenant, &trace_id(), None)
            .await
            .unwrap()
            .spans,
        3
    );
    store.shutdown().await.unwrap();
}

#[tokio::test]
async fn heads_are_cut_when_they_reach_the_row_limit() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = config(dir.path());
    config.cut.max_block_rows = 4;
    let (store, _) = TelemetryStore::open_local(config, MemoryBudget::new(1 << 30))
        .await
        .unwrap();
    let tenant = TenantId::single_tenant();
    append(&store, &tenant, SignalRequest::Traces(rich_trace_request())).await;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while store.block_counts(Signal::Traces).blocks == 0 {
        assert!(std::time::Instant::now() < deadline, "no block was cut");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(store.memory().buffered_bytes(), 0);
    store.shutdown().await.unwrap();
    let stats = Arc::clone(store.wal_stats());
    assert!(stats.records.load(std::sync::atomic::Ordering::Relaxed) >= 1);
}
