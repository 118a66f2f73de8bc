//! TraceQL search over the store: every block whose time range overlaps the query and the heads,
//! each read as a span table ([`table`]), evaluated trace by trace ([`spansets`]), then merged,
//! ordered (most recent or slowest first) and limited.
//!
//! Results are deterministic: traces are ordered by start time (or duration), ties broken by
//! trace id.

pub mod eval;
pub mod mask;
pub mod phases;
pub mod plan;
pub mod run;
pub mod sources;
pub mod spansets;
pub mod split;
pub mod table;
pub mod value;

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use futures::StreamExt;

use sightline_storage::block::TraceEntry;
use sightline_storage::{Signal, TelemetryStore, TenantId};

use crate::error::ApiError;
pub use plan::Plan;
pub use run::{Inspected, SpanMatch, SpansetMatch, TraceBounds, TraceMatch};

/// How results are ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Order {
    /// Latest trace start first (the default).
    #[default]
    MostRecent,
    /// Longest trace first.
    Slowest,
}

/// A search request.
pub struct SearchRequest {
    /// The prepared query.
    pub plan: Plan,
    /// Trace-level bounds.
    pub bounds: TraceBounds,
    /// Maximum traces returned.
    pub limit: usize,
    /// Maximum spans shown per spanset.
    pub spans_per_spanset: usize,
    /// Result order.
    pub order: Order,
}

/// Search results with what was looked at.
#[derive(Debug, Clone, Default)]
pub struct SearchOutcome {
    /// Matched traces, ordered and limited.
    pub traces: Vec<TraceMatch>,
    /// Traces and spans inspected.
    pub inspected: Inspected,
    /// Blocks searched.
    pub blocks: usize,
    /// Bytes of the blocks searched.
    pub block_bytes: u64,
}

/// The sort key of a trace under `order` (larger first).
fn sort_key(order: Order, start: u64, end: u64) -> u64 {
    match order {
        Order::MostRecent => start,
        Order::Slowest => end.saturating_sub(start),
    }
}

/// Runs a search for `tenant`.
pub async fn search(
    store: &TelemetryStore,
    tenant: &TenantId,
    request: SearchRequest,
) -> Result<SearchOutcome, ApiError> {
    let request = Arc::new(request);
    let task_failed =
        |e: tokio::task::JoinError| ApiError::Internal(format!("search task failed: {e}"));
    let blocks = store.blocks(tenant, Signal::Traces, request.bounds.time_range);
    let mut outcome = SearchOutcome {
        blocks: blocks.len(),
        block_bytes: blocks.iter().map(|b| b.meta.size_bytes).sum(),
        ..Default::default()
    };
    let mut confirmed: Vec<TraceMatch> = Vec::new();
    // Traces with spans in several parts, evaluated once on all their spans.
    let mut merged: HashSet<[u8; 16]> = HashSet::new();

    // Heads hold the newest data and are small: evaluate them completely.
    let head_batches = store.head_batches(tenant, Signal::Traces, request.bounds.time_range);
    if !head_batches.is_empty() {
        let (head_store, head_tenant, head_request) =
            (store.clone(), tenant.clone(), Arc::clone(&request));
        let result = tokio::task::spawn_blocking(move || {
            let table =
                sources::head_table(&head_store, &head_tenant, &head_request.plan, &head_batches)?;
            Ok::<_, ApiError>(table.map(|t| {
                let ids: Vec<[u8; 16]> = t.groups.iter().map(|g| g.trace_id).collect();
                let found = run::search_table(
                    &t,
                    &head_request.plan,
                    &head_request.bounds,
                    head_request.spans_per_spanset,
                );
                (ids, found)
            }))
        })
        .await
        .map_err(task_failed)??;
        if let Some((ids, (matches, inspected))) = result {
            outcome.inspected.traces += inspected.traces;
            outcome.inspected.spans += inspected.spans;
            let split = split::split_trace_ids(store, tenant, ids).await?;
            confirmed.extend(matches.into_iter().filter(|m| !split.contains(&m.trace_id)));
            let mut split: Vec<[u8; 16]> = split.into_iter().collect();
            split.sort_unstable();
            confirmed.extend(evaluate_merged(store, tenant, &request, &split).await?);
            merged.extend(split);
        }
    }

    // Phase 1 on every block, two at a time (one per core), off the async workers: candidate
    // traces with their start and end.
    let runtime = tokio::runtime::Handle::current();
    let mut phase1 = futures::stream::iter(blocks.iter().cloned().enumerate())
        .map(|(position, block)| {
            let (request, runtime) = (Arc::clone(&request), runtime.clone());
            tokio::task::spawn_blocking(move || {
                let found =
                    runtime.block_on(phases::candidates(&block, &request.plan, &request.bounds))?;
                Ok::<_, ApiError>((position, found))
            })
        })
        .buffer_unordered(2);
    let mut candidates: Vec<(usize, TraceEntry)> = Vec::new();
    while let Some(result) = phase1.next().await {
        let (position, (entries, scanned)) = result.map_err(task_failed)??;
        outcome.inspected.spans += scanned;
        candidates.extend(entries.into_iter().map(|e| (position, e)));
    }
    let order = request.order;
    candidates.sort_by(|a, b| {
        sort_key(order, b.1.start_unix_nano, b.1.end_unix_nano)
            .cmp(&sort_key(order, a.1.start_unix_nano, a.1.end_unix_nano))
            .then(a.1.trace_id.cmp(&b.1.trace_id))
    });

    // Phase 2 on candidates, best first, until no remaining candidate can enter the results.
    let chunk = (request.limit * 2).max(32);
    let mut next = 0;
    while next < candidates.len() {
        let threshold = sort_key(
            order,
            candidates[next].1.start_unix_nano,
            candidates[next].1.end_unix_nano,
        );
        let ahead = merge_and_order(
            confirmed.clone(),
            order,
            usize::MAX,
            request.spans_per_spanset,
        )
        .iter()
        .filter(|t| sort_key(order, t.start, t.end) >= threshold)
        .count();
        if ahead >= request.limit {
            break;
        }
        let batch = &candidates[next..(next + chunk).min(candidates.len())];
        next += batch.len();
        let unmerged: Vec<[u8; 16]> = batch
            .iter()
            .map(|(_, e)| e.trace_id)
            .filter(|id| !merged.contains(id))
            .collect();
        let split = split::split_trace_ids(store, tenant, unmerged).await?;
        let mut split: Vec<[u8; 16]> = split.into_iter().collect();
        split.sort_unstable();
        confirmed.extend(evaluate_merged(store, tenant, &request, &split).await?);
        merged.extend(split);
        let mut by_block: HashMap<usize, Vec<TraceEntry>> = HashMap::new();
        for (position, entry) in batch {
            if !merged.contains(&entry.trace_id) {
                by_block.entry(*position).or_default().push(*entry);
            }
        }
        let mut phase2 = futures::stream::iter(by_block)
            .map(|(position, entries)| {
                let (request, runtime, block) = (
                    Arc::clone(&request),
                    runtime.clone(),
                    Arc::clone(&blocks[position]),
                );
                tokio::task::spawn_blocking(move || {
                    let plan = &request.plan;
                    let evaluated = phases::evaluate(
                        block,
                        entries,
                        plan,
                        &request.bounds,
                        request.spans_per_spanset,
                    );
                    Ok::<_, ApiError>(runtime.block_on(evaluated)?)
                })
            })
            .buffer_unordered(2);
        while let Some(result) = phase2.next().await {
            let (matches, inspected) = result.map_err(task_failed)??;
            outcome.inspected.traces += inspected.traces;
            confirmed.extend(matches);
        }
    }

    outcome.traces = merge_and_order(confirmed, order, request.limit, request.spans_per_spanset);
    Ok(outcome)
}

/// Evaluates each of `ids` on all of its spans, gathered from every part of the store.
async fn evaluate_merged(
    store: &TelemetryStore,
    tenant: &TenantId,
    request: &Arc<SearchRequest>,
    ids: &[[u8; 16]],
) -> Result<Vec<TraceMatch>, ApiError> {
    let mut matches = Vec::new();
    for id in ids {
        let Some(table) = split::merged_trace(store, tenant, id, &request.plan).await? else {
            continue;
        };
        let request = Arc::clone(request);
        let (found, _) = tokio::task::spawn_blocking(move || {
            run::search_table(
                &table,
                &request.plan,
                &request.bounds,
                request.spans_per_spanset,
            )
        })
        .await
        .map_err(|e| ApiError::Internal(format!("search task failed: {e}")))?;
        matches.extend(found);
    }
    Ok(matches)
}

/// Merges matches of the same trace from different tables, orders, and limits.
pub fn merge_and_order(
    matches: Vec<TraceMatch>,
    order: Order,
    limit: usize,
    spss: usize,
) -> Vec<TraceMatch> {
    let mut by_trace: HashMap<[u8; 16], TraceMatch> = HashMap::new();
    for found in matches {
        match by_trace.get_mut(&found.trace_id) {
            None => {
                by_trace.insert(found.trace_id, found);
            }
            Some(existing) => {
                existing.start = existing.start.min(found.start);
                existing.end = existing.end.max(found.end);
                existing.root_service = existing.root_service.take().or(found.root_service);
                existing.root_name = existing.root_name.take().or(found.root_name);
                for (service, (spans, errors)) in found.service_stats {
                    let stats = existing.service_stats.entry(service).or_default();
                    stats.0 += spans;
                    stats.1 += errors;
                }
                existing.spansets.extend(found.spansets);
                for set in &mut existing.spansets {
                    set.spans.truncate(spss);
                }
            }
        }
    }
    let mut traces: Vec<TraceMatch> = by_trace.into_values().collect();
    match order {
        Order::MostRecent => {
            traces.sort_by(|a, b| b.start.cmp(&a.start).then(a.trace_id.cmp(&b.trace_id)))
        }
        Order::Slowest => traces.sort_by(|a, b| {
            (b.end - b.start)
                .cmp(&(a.end - a.start))
                .then(a.trace_id.cmp(&b.trace_id))
        }),
    }
    traces.truncate(limit);
    traces
}

#[cfg(test)]
pub(crate) mod tests;
