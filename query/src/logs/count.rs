//! Counting the lines of a label-only search by the value of one label, from the blocks'
//! full-text indexes alone.
//!
//! When a search has no free text, no line filter, no regex and no trace or span id, its
//! conditions are a time range and label equalities: exactly what a block's index answers
//! (label terms and the `time` fast field), so no Parquet row is read. The Logs page's volume
//! histogram and service/level facets over a day of logs take this path. The heads, which have
//! no index, are read as usual. Blocks written before they had an index make the caller fall
//! back to reading rows.

use sightline_storage::block::log_index::LogIndexQuery;
use sightline_storage::{Signal, StorageResult, TelemetryStore, TenantId};

use super::ScanStats;
use super::scan::Scanner;

/// True when the index alone decides `conditions`: a time range and label equalities.
pub fn is_label_only(conditions: &LogIndexQuery) -> bool {
    conditions.line_contains.is_empty()
        && conditions.words_any_case.is_empty()
        && conditions.label_matches.is_empty()
        && conditions.trace_id.is_none()
        && conditions.span_id.is_none()
}

/// Visits `(time, value of label)` of every line meeting the label-only `conditions` (`""` for
/// lines without the label). `None` when a block in the range has no index (nothing was
/// visited then). Call from a blocking thread: index reads run on `runtime`.
pub fn visit_label_times(
    store: &TelemetryStore,
    tenant: &TenantId,
    conditions: &LogIndexQuery,
    label: &str,
    runtime: &tokio::runtime::Handle,
    visit: &mut dyn FnMut(u64, &str),
) -> StorageResult<Option<ScanStats>> {
    debug_assert!(is_label_only(conditions));
    let range = conditions.time_range;
    let mut indexed = Vec::new();
    for block in store.blocks(tenant, Signal::Logs, range) {
        match runtime.block_on(block.log_index())? {
            Some(index) => indexed.push((block, index)),
            None => return Ok(None),
        }
    }
    let mut stats = ScanStats::default();
    let mut block_lines = 0u64;
    for (block, index) in indexed {
        let all = index.rows_and_times(conditions)?;
        if all.is_empty() {
            continue;
        }
        stats.blocks_read += 1;
        let mut labeled = vec![false; block.meta.rows as usize];
        for value in index.label_values(label, usize::MAX)? {
            let mut with_value = conditions.clone();
            with_value
                .label_equals
                .push((label.to_string(), value.clone()));
            for (row, time) in index.rows_and_times(&with_value)? {
                if let Some(seen) = labeled.get_mut(row as usize) {
                    *seen = true;
                }
                block_lines += 1;
                visit(time, &value);
            }
        }
        for (row, time) in all {
            if !labeled.get(row as usize).copied().unwrap_or(false) {
                block_lines += 1;
                visit(time, "");
            }
        }
    }
    let mut scanner = Scanner::new(conditions, true);
    for batch in store.head_batches(tenant, Signal::Logs, range) {
        scanner.visit_batch(&batch.batch, &mut |line| {
            visit(line.time, line.label(label).unwrap_or(""));
        })?;
    }
    stats.rows_read = scanner.stats.rows_read;
    stats.lines = block_lines + scanner.stats.lines;
    Ok(Some(stats))
}
