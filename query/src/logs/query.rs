//! Running a LogQL log query: the newest (or oldest) `limit` lines of a time range that pass the
//! stream selector and the pipeline, with their labels.

use std::cell::Cell;

use sightline_logql::{Labels, LogExpr};
use sightline_storage::{StorageResult, TelemetryStore, TenantId};

use super::line::LogLine;
use super::scan::{Direction, LogScan, ScanStats, scan_logs};
use super::select::{CompiledLogExpr, pushdown};
use crate::error::ApiError;

/// One returned line.
#[derive(Debug, Clone, PartialEq)]
pub struct LogEntry {
    /// Unix nanoseconds.
    pub time: u64,
    /// The line after the pipeline.
    pub line: String,
    /// Every label after the pipeline: stream labels, structured metadata, parsed labels.
    pub labels: Labels,
    /// The line's stream labels as stored.
    pub stream: Labels,
    /// The line's structured metadata as stored (with `trace_id` and `span_id`).
    pub metadata: Labels,
}

impl LogEntry {
    /// The labels the pipeline added (parsed or formatted), by difference.
    pub fn parsed(&self) -> Labels {
        self.labels
            .iter()
            .filter(|(name, value)| {
                self.stream.get(name) != Some(value) && self.metadata.get(name) != Some(value)
            })
            .collect()
    }
}

/// A log query to run.
#[derive(Debug, Clone)]
pub struct LogQuery<'a> {
    /// The query.
    pub expr: &'a LogExpr,
    /// Inclusive range, unix nanoseconds.
    pub start: u64,
    /// Inclusive end.
    pub end: u64,
    /// At most this many lines.
    pub limit: usize,
    /// Newest first (backward) or oldest first.
    pub direction: Direction,
}

/// The lines of a log query, sorted in its direction, and what the scan read.
pub fn run_log_query(
    store: &TelemetryStore,
    tenant: &TenantId,
    query: &LogQuery<'_>,
    runtime: &tokio::runtime::Handle,
) -> Result<(Vec<LogEntry>, ScanStats), ApiError> {
    let compiled = CompiledLogExpr::new(query.expr)?;
    let scan = LogScan {
        conditions: pushdown(query.expr, query.start, query.end),
        direction: query.direction,
        stream_labels_only: false,
    };
    let process = |line: LogLine| compiled.entry(&line);
    Ok(collect_lines(
        store,
        tenant,
        &scan,
        query.limit,
        runtime,
        process,
    )?)
}

/// The first `limit` entries in `scan.direction` order (time, then line, then labels) that
/// `process` makes of the scanned lines, and what the scan read. Stops reading once no
/// remaining part can hold a better line.
pub fn collect_lines(
    store: &TelemetryStore,
    tenant: &TenantId,
    scan: &LogScan,
    limit: usize,
    runtime: &tokio::runtime::Handle,
    mut process: impl FnMut(LogLine) -> Option<LogEntry>,
) -> StorageResult<(Vec<LogEntry>, ScanStats)> {
    let limit = limit.max(1);
    let backward = scan.direction == Direction::Backward;
    // Once `limit` lines are kept, the time a line must reach to enter the answer; a part
    // entirely beyond it ends the scan.
    let threshold: Cell<Option<u64>> = Cell::new(None);
    let mut entries: Vec<LogEntry> = Vec::new();
    let mut stop = |min: u64, max: u64| match threshold.get() {
        Some(t) if backward => max < t,
        Some(t) => min > t,
        None => false,
    };
    let mut visit = |line: LogLine| {
        if let Some(t) = threshold.get()
            && ((backward && line.time < t) || (!backward && line.time > t))
        {
            return;
        }
        if let Some(entry) = process(line) {
            entries.push(entry);
            if entries.len() >= 2 * limit {
                threshold.set(Some(trim(&mut entries, limit, backward)));
            }
        }
    };
    let stats = scan_logs(store, tenant, scan, runtime, &mut stop, &mut visit)?;
    trim(&mut entries, limit, backward);
    entries.sort_by(|a, b| order(a, b, backward));
    Ok((entries, stats))
}

/// Answer order: time in the scan's direction, then line and labels (so pages are stable).
fn order(a: &LogEntry, b: &LogEntry, backward: bool) -> std::cmp::Ordering {
    let time = if backward {
        b.time.cmp(&a.time)
    } else {
        a.time.cmp(&b.time)
    };
    time.then_with(|| a.line.cmp(&b.line))
        .then_with(|| a.labels.cmp(&b.labels))
}

/// Keeps the best `limit` entries, returning the worst kept time.
fn trim(entries: &mut Vec<LogEntry>, limit: usize, backward: bool) -> u64 {
    if entries.len() > limit {
        entries.select_nth_unstable_by(limit - 1, |a, b| order(a, b, backward));
        entries.truncate(limit);
    }
    let times = entries.iter().map(|e| e.time);
    if backward {
        times.min().unwrap_or(0)
    } else {
        times.max().unwrap_or(u64::MAX)
    }
}
