//! Running a search over one span table: find candidate traces with the leaf filters, evaluate
//! the whole query on each, and describe the matches.

use std::collections::BTreeMap;

use super::eval::{SpanContext, child_counts};
use super::plan::Plan;
use super::spansets::{Spanset, evaluate_trace};
use super::table::{SpanTable, SpanView, TraceGroup};
use super::value::Value;

/// Trace-level conditions of a search besides TraceQL (`start`/`end`, `minDuration`,
/// `maxDuration`).
#[derive(Debug, Clone, Copy, Default)]
pub struct TraceBounds {
    /// Traces must overlap `[start, end]`, unix nanoseconds.
    pub time_range: Option<(u64, u64)>,
    /// Minimum trace duration, nanoseconds.
    pub min_duration: Option<u64>,
    /// Maximum trace duration, nanoseconds.
    pub max_duration: Option<u64>,
}

impl TraceBounds {
    fn admits(&self, group: &TraceGroup) -> bool {
        self.time_range
            .is_none_or(|(start, end)| group.start <= end && group.end >= start)
            && self.min_duration.is_none_or(|min| group.duration() >= min)
            && self.max_duration.is_none_or(|max| group.duration() <= max)
    }
}

/// A matched span, as search results show it.
#[derive(Debug, Clone, PartialEq)]
pub struct SpanMatch {
    /// Span id.
    pub span_id: Vec<u8>,
    /// Span name.
    pub name: String,
    /// Start, unix nanoseconds.
    pub start: u64,
    /// Duration, nanoseconds.
    pub duration: u64,
    /// Values of the fields the query names (`key`, value), non-nil only.
    pub attributes: Vec<(String, Value)>,
}

/// A matched spanset.
#[derive(Debug, Clone, PartialEq)]
pub struct SpansetMatch {
    /// Up to `spss` spans, earliest first.
    pub spans: Vec<SpanMatch>,
    /// How many spans matched in total.
    pub matched: usize,
    /// Pipeline labels (`by(...)`, aggregates).
    pub labels: Vec<(String, Value)>,
}

/// A trace that matched.
#[derive(Debug, Clone, PartialEq)]
pub struct TraceMatch {
    /// Trace id.
    pub trace_id: [u8; 16],
    /// Service of the root span (`None` when the root has not been received).
    pub root_service: Option<String>,
    /// Name of the root span.
    pub root_name: Option<String>,
    /// Trace start, unix nanoseconds.
    pub start: u64,
    /// Trace end, unix nanoseconds.
    pub end: u64,
    /// The matched spansets.
    pub spansets: Vec<SpansetMatch>,
    /// Spans and error spans per service, over the trace's spans in this table.
    pub service_stats: BTreeMap<String, (u32, u32)>,
}

/// What a table search looked at.
#[derive(Debug, Clone, Copy, Default)]
pub struct Inspected {
    /// Traces considered.
    pub traces: u64,
    /// Spans scanned.
    pub spans: u64,
}

/// Searches one table.
pub fn search_table(
    table: &SpanTable,
    plan: &Plan,
    bounds: &TraceBounds,
    spss: usize,
) -> (Vec<TraceMatch>, Inspected) {
    let mut matches = Vec::new();
    let inspected = for_each_match(table, plan, bounds, |ctx, spansets| {
        matches.push(describe(ctx, plan, spansets, spss))
    });
    (matches, inspected)
}

/// Evaluates `plan` on every trace of `table` within `bounds` and calls `visit` with the
/// spansets of each matching trace.
pub fn for_each_match(
    table: &SpanTable,
    plan: &Plan,
    bounds: &TraceBounds,
    mut visit: impl FnMut(&SpanContext<'_, '_>, Vec<Spanset>),
) -> Inspected {
    let view = SpanView::new(&table.batch);
    let counts = plan.uses_child_count.then(|| child_counts(&view));
    let inspected = Inspected {
        traces: table.groups.len() as u64,
        spans: table.batch.num_rows() as u64,
    };
    for group in table.groups.iter().filter(|g| bounds.admits(g)) {
        let ctx = SpanContext {
            view: &view,
            group,
            child_counts: counts.as_deref(),
            regexes: &plan.regexes,
        };
        if !plan.matches_all
            && !group
                .rows
                .clone()
                .any(|row| plan.leaves.iter().any(|leaf| ctx.matches(leaf, row)))
        {
            continue;
        }
        let spansets = evaluate_trace(&ctx, &plan.query);
        if !spansets.is_empty() {
            visit(&ctx, spansets);
        }
    }
    inspected
}

fn describe(
    ctx: &SpanContext<'_, '_>,
    plan: &Plan,
    spansets: Vec<Spanset>,
    spss: usize,
) -> TraceMatch {
    let view = ctx.view;
    let group = ctx.group;
    let mut service_stats: BTreeMap<String, (u32, u32)> = BTreeMap::new();
    for row in group.rows.clone() {
        let stats = service_stats
            .entry(view.service(row).to_string())
            .or_default();
        stats.0 += 1;
        stats.1 += u32::from(view.status(row) == 2);
    }
    let spansets = spansets
        .into_iter()
        .map(|set| {
            let mut rows = set.rows.clone();
            rows.sort_by_key(|&row| view.start(row));
            let spans = rows
                .iter()
                .take(spss)
                .map(|&row| SpanMatch {
                    span_id: view.span_id(row).unwrap_or_default().to_vec(),
                    name: view.name(row).to_string(),
                    start: view.start(row),
                    duration: view.duration(row).max(0) as u64,
                    attributes: reported(ctx, plan, row),
                })
                .collect();
            SpansetMatch {
                spans,
                matched: set.rows.len(),
                labels: set.labels,
            }
        })
        .collect();
    TraceMatch {
        trace_id: group.trace_id,
        root_service: group.root.map(|r| view.service(r).to_string()),
        root_name: group.root.map(|r| view.name(r).to_string()),
        start: group.start,
        end: group.end,
        spansets,
        service_stats,
    }
}

/// The values of the query's fields for `row`, named as Tempo names them in results (the
/// attribute key without scope; intrinsics by their TraceQL name), plus `service.name`.
fn reported(ctx: &SpanContext<'_, '_>, plan: &Plan, row: usize) -> Vec<(String, Value)> {
    let mut out: Vec<(String, Value)> = Vec::new();
    for field in &plan.reported {
        let key = match field {
            sightline_traceql::FieldExpression::Attribute(attribute) => attribute.name.clone(),
            sightline_traceql::FieldExpression::Intrinsic(intrinsic) => {
                intrinsic.canonical_name().to_string()
            }
            _ => continue,
        };
        let value = ctx.eval(field, row);
        if value.is_present() && !out.iter().any(|(k, _)| *k == key) {
            out.push((key, value));
        }
    }
    if !out.iter().any(|(k, _)| k == "service.name") {
        out.push((
            "service.name".into(),
            Value::Str(ctx.view.service(row).to_string()),
        ));
    }
    out
}
