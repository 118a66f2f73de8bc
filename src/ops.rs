//! Operational endpoints on the query port: `/ready` (200 once every listener accepts and the
//! store has recovered, 503 while shutting down), `/health`, and `/metrics` in the Prometheus
//! text format.

use std::fmt::Write;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use axum::Router;
use axum::extract::State;
use axum::response::IntoResponse;
use axum::routing::get;
use http::StatusCode;
use sightline_collector::OtlpReceiver;
use sightline_collector::derived::DerivedStats;
use sightline_storage::{Signal, TelemetryStore};

/// State of the operational endpoints.
#[derive(Clone)]
pub struct OpsState {
    /// Set once every listener is bound and the store is open; cleared on shutdown.
    pub ready: Arc<AtomicBool>,
    /// For store gauges.
    pub store: TelemetryStore,
    /// For receiver counters.
    pub receiver: OtlpReceiver,
}

/// The `/ready`, `/health` and `/metrics` routes.
pub fn routes(state: OpsState) -> Router {
    Router::new()
        .route("/ready", get(ready))
        .route("/health", get(|| async { "ok" }))
        .route("/metrics", get(metrics))
        .with_state(state)
}

async fn ready(State(state): State<OpsState>) -> impl IntoResponse {
    if state.ready.load(Ordering::Acquire) {
        (StatusCode::OK, "ready")
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, "not ready")
    }
}

async fn metrics(State(state): State<OpsState>) -> impl IntoResponse {
    let mut out = String::with_capacity(8 << 10);
    state.receiver.telemetry().render(&mut out);
    render_store(&state.store, &mut out);
    if let Some(derived) = state.receiver.derived_metrics() {
        render_generator(&derived.stats(), &mut out);
    }
    render_process(&mut out);
    (
        [(
            http::header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        out,
    )
}

fn render_generator(stats: &DerivedStats, out: &mut String) {
    let values = [
        (
            "sightline_generator_pending_pairs",
            "Client and server spans waiting for their partner.",
            "gauge",
            stats.pending_pairs,
        ),
        (
            "sightline_generator_dropped_spans_total",
            "Spans not paired because the pairing store was full.",
            "counter",
            stats.dropped_spans,
        ),
        (
            "sightline_generator_unpaired_spans_total",
            "Spans whose partner never arrived.",
            "counter",
            stats.unpaired_spans,
        ),
        (
            "sightline_generator_edges_total",
            "Service-graph edges recorded.",
            "counter",
            stats.edges,
        ),
        (
            "sightline_generator_series",
            "Derived metric series held.",
            "gauge",
            stats.series,
        ),
        (
            "sightline_generator_series_limited_total",
            "Observations dropped by the per-tenant series limit.",
            "counter",
            stats.series_limited,
        ),
    ];
    for (name, help, kind, value) in values {
        gauge(out, name, help, kind);
        let _ = writeln!(out, "{name} {value}");
    }
}

fn gauge(out: &mut String, name: &str, help: &str, kind: &str) {
    let _ = writeln!(out, "# HELP {name} {help}");
    let _ = writeln!(out, "# TYPE {name} {kind}");
}

fn render_store(store: &TelemetryStore, out: &mut String) {
    let wal = store.wal_stats();
    let load = |a: &std::sync::atomic::AtomicU64| a.load(Ordering::Relaxed);
    for (name, help, kind, value) in [
        (
            "sightline_wal_records_total",
            "Records appended to the WAL.",
            "counter",
            load(&wal.records),
        ),
        (
            "sightline_wal_bytes_total",
            "Bytes appended to the WAL.",
            "counter",
            load(&wal.bytes),
        ),
        (
            "sightline_wal_fsyncs_total",
            "WAL fsyncs (each covers a group of records).",
            "counter",
            load(&wal.syncs),
        ),
        (
            "sightline_wal_fsync_seconds_total",
            "Time spent in WAL fsync.",
            "counter",
            0,
        ),
        (
            "sightline_wal_disk_bytes",
            "Bytes in WAL segment files.",
            "gauge",
            load(&wal.disk_bytes),
        ),
        (
            "sightline_wal_segments",
            "WAL segment files.",
            "gauge",
            load(&wal.segments),
        ),
        (
            "sightline_wal_corruptions_total",
            "Corrupt WAL records found at start-up.",
            "counter",
            load(&wal.corruptions),
        ),
        (
            "sightline_block_write_failures_total",
            "Block writes that failed and will be retried.",
            "counter",
            load(&store.stats().flush_failures),
        ),
    ] {
        gauge(out, name, help, kind);
        if name == "sightline_wal_fsync_seconds_total" {
            let _ = writeln!(out, "{name} {}", load(&wal.sync_micros) as f64 / 1e6);
        } else {
            let _ = writeln!(out, "{name} {value}");
        }
    }
    let memory = store.memory();
    gauge(
        out,
        "sightline_memory_limit_bytes",
        "Memory budget for in-flight and buffered data.",
        "gauge",
    );
    let _ = writeln!(out, "sightline_memory_limit_bytes {}", memory.limit_bytes());
    gauge(
        out,
        "sightline_memory_used_bytes",
        "Memory accounted against the budget.",
        "gauge",
    );
    let _ = writeln!(
        out,
        "sightline_memory_used_bytes{{kind=\"in_flight\"}} {}",
        memory.in_flight_bytes()
    );
    let _ = writeln!(
        out,
        "sightline_memory_used_bytes{{kind=\"buffered\"}} {}",
        memory.buffered_bytes()
    );
    let _ = writeln!(
        out,
        "sightline_memory_used_bytes{{kind=\"retained\"}} {}",
        memory.retained_bytes()
    );
    gauge(
        out,
        "sightline_memory_refusals_total",
        "Exports refused because the memory budget was exhausted.",
        "counter",
    );
    let _ = writeln!(
        out,
        "sightline_memory_refusals_total {}",
        memory.refused_reservations()
    );

    gauge(
        out,
        "sightline_head_rows",
        "Rows held in memory, not yet in a block.",
        "gauge",
    );
    for signal in Signal::ALL {
        let _ = writeln!(
            out,
            "sightline_head_rows{{signal=\"{signal}\"}} {}",
            store.head_totals(signal).0
        );
    }
    gauge(
        out,
        "sightline_head_bytes",
        "Memory held by head rows.",
        "gauge",
    );
    for signal in Signal::ALL {
        let _ = writeln!(
            out,
            "sightline_head_bytes{{signal=\"{signal}\"}} {}",
            store.head_totals(signal).1
        );
    }
    for (name, help, pick) in [
        ("sightline_blocks", "Visible blocks.", 0),
        ("sightline_block_rows", "Rows in visible blocks.", 1),
        ("sightline_block_bytes", "Bytes of visible blocks.", 2),
    ] {
        gauge(out, name, help, "gauge");
        for signal in Signal::ALL {
            let counts = store.block_counts(signal);
            let value = [counts.blocks, counts.rows, counts.bytes][pick];
            let _ = writeln!(out, "{name}{{signal=\"{signal}\"}} {value}");
        }
    }
    gauge(
        out,
        "sightline_blocks_written_total",
        "Blocks written since start.",
        "counter",
    );
    for (index, signal) in Signal::ALL.iter().enumerate() {
        let _ = writeln!(
            out,
            "sightline_blocks_written_total{{signal=\"{signal}\"}} {}",
            load(&store.stats().blocks_written[index])
        );
    }
}

/// The process's resident memory from /proc (Linux); `None` elsewhere.
pub fn resident_memory_bytes() -> Option<u64> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let resident_pages: u64 = statm.split_whitespace().nth(1)?.parse().ok()?;
    Some(resident_pages * 4096)
}

fn render_process(out: &mut String) {
    let Some(resident) = resident_memory_bytes() else {
        return;
    };
    gauge(
        out,
        "process_resident_memory_bytes",
        "Resident memory size in bytes.",
        "gauge",
    );
    let _ = writeln!(out, "process_resident_memory_bytes {resident}");
}
