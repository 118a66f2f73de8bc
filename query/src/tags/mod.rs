//! Tag discovery: which attribute keys exist (per scope), and which values a tag takes, over the
//! blocks and heads of a time range, optionally only among spans matching a TraceQL filter.

mod collect;

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, LazyLock};

use parking_lot::Mutex;

use arrow::compute::concat_batches;
use arrow::record_batch::RecordBatch;
use futures::StreamExt;
use sightline_storage::blocklist::BlockHandle;
use sightline_storage::rows::attributes::parse_attribute_column_name;
use sightline_storage::rows::columns::{RESOURCE_COLUMN, SCOPE_COLUMN, SERVICE_NAME_COLUMN};
use sightline_storage::rows::spans::col;
use sightline_storage::{Signal, StorageResult, TelemetryStore, TenantId};
use sightline_traceql::{FieldExpression, Query, SpansetExpression};

pub use collect::{TagNames, intrinsic_names};
use collect::{names_in, values_in};

use crate::error::ApiError;
use crate::search::Plan;
use crate::search::eval::SpanContext;
use crate::search::mask::leaf_mask;
use crate::search::table::{SpanView, TraceGroup};
use crate::search::value::Value;

/// The scopes tags are listed under (Tempo's `scope=` values).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum TagScope {
    /// Resource attributes.
    Resource,
    /// Span attributes.
    Span,
    /// Event attributes.
    Event,
    /// Link attributes.
    Link,
    /// Instrumentation scope attributes.
    Instrumentation,
    /// Intrinsic fields.
    Intrinsic,
}

impl TagScope {
    /// Every scope, in the order Tempo lists them.
    pub const ALL: [TagScope; 6] = [
        TagScope::Resource,
        TagScope::Span,
        TagScope::Intrinsic,
        TagScope::Event,
        TagScope::Link,
        TagScope::Instrumentation,
    ];

    /// Parses a `scope=` value.
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.name() == text)
    }

    /// The scope's name.
    pub fn name(self) -> &'static str {
        match self {
            TagScope::Resource => "resource",
            TagScope::Span => "span",
            TagScope::Event => "event",
            TagScope::Link => "link",
            TagScope::Instrumentation => "instrumentation",
            TagScope::Intrinsic => "intrinsic",
        }
    }
}

/// A filter narrowing tag discovery to matching spans (one spanset filter, as Tempo allows).
pub struct TagFilter {
    plan: Plan,
    condition: FieldExpression,
}

impl TagFilter {
    /// A filter from a spanset expression; only a single `{ ... }` filters.
    pub fn new(expression: SpansetExpression) -> Result<Option<Self>, ApiError> {
        let SpansetExpression::Filter(condition) = &expression else {
            return Ok(None);
        };
        if expression.is_match_all() {
            return Ok(None);
        }
        let condition = condition.clone();
        let query = Query {
            expression,
            pipeline: Vec::new(),
            metrics: None,
            hints: Vec::new(),
        };
        Ok(Some(Self {
            plan: Plan::new(query)?,
            condition,
        }))
    }

    fn mask(&self, batch: &RecordBatch) -> Vec<bool> {
        if let Some(mask) = leaf_mask(batch, &self.condition, self.plan.regexes.by_pattern()) {
            return mask;
        }
        let view = SpanView::new(batch);
        (0..batch.num_rows())
            .map(|row| {
                let group = TraceGroup {
                    trace_id: [0; 16],
                    rows: row..row + 1,
                    start: 0,
                    end: 0,
                    root: None,
                };
                let ctx = SpanContext {
                    view: &view,
                    group: &group,
                    child_counts: None,
                    regexes: &self.plan.regexes,
                };
                ctx.matches(&self.condition, row)
            })
            .collect()
    }

    /// Columns the filter reads.
    fn filter_columns(&self) -> &[String] {
        &self.plan.leaf_columns
    }
}

/// Columns holding the attributes of `scopes`, given a block's column names.
fn scope_columns(scopes: &[TagScope], available: &[String]) -> Vec<String> {
    let mut out = Vec::new();
    for scope in scopes {
        match scope {
            TagScope::Span => out.extend(
                available
                    .iter()
                    .filter(|n| {
                        parse_attribute_column_name(n).is_some()
                            || *n == sightline_storage::rows::attributes::OVERFLOW_COLUMN
                    })
                    .cloned(),
            ),
            TagScope::Resource => out.push(RESOURCE_COLUMN.to_string()),
            TagScope::Instrumentation => out.push(SCOPE_COLUMN.to_string()),
            TagScope::Event => out.push(col::EVENTS.to_string()),
            TagScope::Link => out.push(col::LINKS.to_string()),
            TagScope::Intrinsic => {}
        }
    }
    out
}

async fn read_block(
    block: &BlockHandle,
    columns: &BTreeSet<String>,
) -> StorageResult<Option<RecordBatch>> {
    let names: Vec<&str> = columns.iter().map(String::as_str).collect();
    let batches = block
        .reader()
        .read_columns(0..block.meta.rows, &names)
        .await?;
    let Some(first) = batches.first() else {
        return Ok(None);
    };
    Ok(Some(concat_batches(&first.schema(), &batches)?))
}

/// Tag names of whole blocks (no filter) by block id and scopes: blocks never change, and
/// Grafana asks for tag names every time a query editor opens.
static BLOCK_TAG_NAMES: LazyLock<Mutex<BlockTagNames>> = LazyLock::new(Default::default);

/// (block id, scopes) -> the block's tag names.
type BlockTagNames = HashMap<(String, Vec<TagScope>), Arc<TagNames>>;

/// Entries kept in [`BLOCK_TAG_NAMES`] before it starts over.
const MAX_CACHED_BLOCKS: usize = 10_000;

/// Tag names of `scopes` for `tenant` in `time_range`.
pub async fn tag_names(
    store: &TelemetryStore,
    tenant: &TenantId,
    time_range: Option<(u64, u64)>,
    scopes: &[TagScope],
    filter: Option<TagFilter>,
) -> Result<TagNames, ApiError> {
    let filter = filter.map(Arc::new);
    let scopes: Arc<Vec<TagScope>> = Arc::new(scopes.to_vec());
    let mut names = TagNames::default();
    for batch in store.head_batches(tenant, Signal::Traces, time_range) {
        let mask = filter.as_ref().map(|f| f.mask(&batch.batch));
        names_in(&batch.batch, mask.as_deref(), &scopes, &mut names);
    }
    let runtime = tokio::runtime::Handle::current();
    let mut results = futures::stream::iter(store.blocks(tenant, Signal::Traces, time_range))
        .map(|block| {
            let (filter, scopes, runtime) = (filter.clone(), Arc::clone(&scopes), runtime.clone());
            tokio::task::spawn_blocking(move || {
                let cache_key = (block.meta.block_id.clone(), scopes.to_vec());
                if filter.is_none()
                    && let Some(cached) = BLOCK_TAG_NAMES.lock().get(&cache_key)
                {
                    return Ok::<_, ApiError>(TagNames::clone(cached));
                }
                let found = runtime.block_on(async {
                    let available = block.reader().column_names().await?;
                    let mut found = TagNames::default();
                    let mut columns: BTreeSet<String> =
                        scope_columns(&scopes, &available).into_iter().collect();
                    if filter.is_none() && scopes.contains(&TagScope::Span) {
                        // Without a filter the schema says which span keys exist.
                        found.span.extend(available.iter().filter_map(|n| {
                            parse_attribute_column_name(n).map(|(_, k)| k.to_string())
                        }));
                        columns.retain(|c| parse_attribute_column_name(c).is_none());
                    }
                    if let Some(filter) = &filter {
                        columns.extend(filter.filter_columns().iter().cloned());
                    }
                    if columns.is_empty() {
                        return Ok::<_, ApiError>(found);
                    }
                    if let Some(batch) = read_block(&block, &columns).await? {
                        let mask = filter.as_ref().map(|f| f.mask(&batch));
                        names_in(&batch, mask.as_deref(), &scopes, &mut found);
                    }
                    Ok::<_, ApiError>(found)
                })?;
                if filter.is_none() {
                    let mut cache = BLOCK_TAG_NAMES.lock();
                    if cache.len() >= MAX_CACHED_BLOCKS {
                        cache.clear();
                    }
                    cache.insert(cache_key, Arc::new(found.clone()));
                }
                Ok(found)
            })
        })
        .buffer_unordered(2);
    while let Some(result) = results.next().await {
        names.extend(result.map_err(|e| ApiError::Internal(format!("tag task failed: {e}")))??);
    }
    Ok(names)
}

/// The distinct values of `field` (an attribute or intrinsic) for `tenant` in `time_range`, up
/// to `limit`, sorted.
pub async fn tag_values(
    store: &TelemetryStore,
    tenant: &TenantId,
    time_range: Option<(u64, u64)>,
    field: FieldExpression,
    filter: Option<TagFilter>,
    limit: usize,
) -> Result<Vec<Value>, ApiError> {
    let filter = filter.map(Arc::new);
    let field_plan = Plan::new(Query {
        expression: SpansetExpression::Filter(FieldExpression::Binary {
            op: sightline_traceql::BinaryOperator::Comparison(
                sightline_traceql::ComparisonOp::NotEq,
            ),
            left: Box::new(field.clone()),
            right: Box::new(FieldExpression::Literal(sightline_traceql::Literal::Nil)),
        }),
        pipeline: Vec::new(),
        metrics: None,
        hints: Vec::new(),
    })?;
    let mut columns: BTreeSet<String> = if collect::is_service_name(&field) {
        // Its own dictionary column: no resource to decode.
        BTreeSet::from([SERVICE_NAME_COLUMN.to_string()])
    } else {
        field_plan.leaf_columns.iter().cloned().collect()
    };
    if let Some(filter) = &filter {
        columns.extend(filter.filter_columns().iter().cloned());
    }
    let (field, columns) = (Arc::new(field), Arc::new(columns));
    let mut values: Vec<Value> = Vec::new();
    for batch in store.head_batches(tenant, Signal::Traces, time_range) {
        let mask = filter.as_ref().map(|f| f.mask(&batch.batch));
        values_in(&batch.batch, mask.as_deref(), &field, limit, &mut values);
    }
    let runtime = tokio::runtime::Handle::current();
    let mut results = futures::stream::iter(store.blocks(tenant, Signal::Traces, time_range))
        .map(|block| {
            let (filter, field, columns, runtime) = (
                filter.clone(),
                Arc::clone(&field),
                Arc::clone(&columns),
                runtime.clone(),
            );
            tokio::task::spawn_blocking(move || {
                let mut found = Vec::new();
                if let Some(batch) = runtime.block_on(read_block(&block, &columns))? {
                    let mask = filter.as_ref().map(|f| f.mask(&batch));
                    values_in(&batch, mask.as_deref(), &field, limit, &mut found);
                }
                Ok::<_, ApiError>(found)
            })
        })
        .buffer_unordered(2);
    while let Some(result) = results.next().await {
        for value in result.map_err(|e| ApiError::Internal(format!("tag task failed: {e}")))?? {
            if values.len() < limit && !values.contains(&value) {
                values.push(value);
            }
        }
    }
    values.sort_by_key(Value::label);
    Ok(values)
}
