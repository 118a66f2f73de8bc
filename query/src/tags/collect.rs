//! Collecting tag names and values from a batch of span rows (a block read or a head batch),
//! optionally only from the rows a filter selected.

use std::collections::BTreeSet;

use arrow::array::{Array, BinaryArray, BooleanArray, Float64Array, Int64Array, StringArray};
use arrow::record_batch::RecordBatch;
use prost::Message;
use sightline_proto::otlp::common::v1::KeyValue;
use sightline_storage::rows::attributes::{OVERFLOW_COLUMN, parse_attribute_column_name};
use sightline_storage::rows::blobs::KeyValueBlob;
use sightline_traceql::{Attribute, AttributeScope, FieldExpression, Intrinsic};

use super::TagScope;
use crate::search::table::{SpanView, TraceGroup};
use crate::search::value::Value;

/// Tag names found, per scope.
#[derive(Debug, Default, Clone)]
pub struct TagNames {
    /// Span attribute keys.
    pub span: BTreeSet<String>,
    /// Resource attribute keys.
    pub resource: BTreeSet<String>,
    /// Event attribute keys.
    pub event: BTreeSet<String>,
    /// Link attribute keys.
    pub link: BTreeSet<String>,
    /// Instrumentation scope attribute keys.
    pub instrumentation: BTreeSet<String>,
}

impl TagNames {
    /// The keys of `scope`.
    pub fn scope_mut(&mut self, scope: TagScope) -> Option<&mut BTreeSet<String>> {
        Some(match scope {
            TagScope::Span => &mut self.span,
            TagScope::Resource => &mut self.resource,
            TagScope::Event => &mut self.event,
            TagScope::Link => &mut self.link,
            TagScope::Instrumentation => &mut self.instrumentation,
            TagScope::Intrinsic => return None,
        })
    }

    /// Adds every name of `other`.
    pub fn extend(&mut self, other: TagNames) {
        self.span.extend(other.span);
        self.resource.extend(other.resource);
        self.event.extend(other.event);
        self.link.extend(other.link);
        self.instrumentation.extend(other.instrumentation);
    }
}

fn keys(attributes: &[KeyValue], into: &mut BTreeSet<String>) {
    into.extend(attributes.iter().map(|kv| kv.key.clone()));
}

/// Collects the tag names of `scopes` from the rows of `batch` where `rows` is true (all rows
/// when `None`).
pub fn names_in(
    batch: &RecordBatch,
    rows: Option<&[bool]>,
    scopes: &[TagScope],
    out: &mut TagNames,
) {
    let selected = |row: usize| rows.is_none_or(|r| r[row]);
    let view = SpanView::new(batch);
    let wants = |scope| scopes.contains(&scope);
    if wants(TagScope::Span) {
        for (field, array) in batch.schema().fields().iter().zip(batch.columns()) {
            if let Some((_, key)) = parse_attribute_column_name(field.name())
                && (0..batch.num_rows()).any(|row| selected(row) && array.is_valid(row))
            {
                out.span.insert(key.to_string());
            }
        }
        if let Some(overflow) = batch
            .column_by_name(OVERFLOW_COLUMN)
            .and_then(|a| a.as_any().downcast_ref::<BinaryArray>())
        {
            for row in (0..batch.num_rows()).filter(|r| selected(*r) && overflow.is_valid(*r)) {
                if let Ok(blob) = KeyValueBlob::decode(overflow.value(row)) {
                    keys(&blob.values, &mut out.span);
                }
            }
        }
    }
    // Resources and scopes repeat on every row: list each distinct one once (the view hands out
    // one shared copy per distinct blob).
    let mut seen_resources = std::collections::HashSet::new();
    let mut seen_scopes = std::collections::HashSet::new();
    for row in (0..batch.num_rows()).filter(|r| selected(*r)) {
        if wants(TagScope::Resource) {
            let resource = view.resource_attributes(row);
            if seen_resources.insert(std::rc::Rc::as_ptr(&resource)) {
                keys(&resource, &mut out.resource);
            }
        }
        if wants(TagScope::Instrumentation) {
            let scope = view.scope(row);
            if seen_scopes.insert(std::rc::Rc::as_ptr(&scope)) {
                keys(&scope.attributes, &mut out.instrumentation);
            }
        }
        if wants(TagScope::Event) {
            for event in view.events(row) {
                keys(&event.attributes, &mut out.event);
            }
        }
        if wants(TagScope::Link) {
            for link in view.links(row) {
                keys(&link.attributes, &mut out.link);
            }
        }
    }
}

/// Collects the distinct values of `field` over the selected rows of `batch`, up to `limit`.
pub fn values_in(
    batch: &RecordBatch,
    rows: Option<&[bool]>,
    field: &FieldExpression,
    limit: usize,
    out: &mut Vec<Value>,
) {
    let selected = |row: usize| rows.is_none_or(|r| r[row]);
    // Fast paths: `resource.service.name` has its own column, a typed attribute column is read
    // directly.
    if is_service_name(field) {
        let view = SpanView::new(batch);
        let mut distinct = std::collections::BTreeSet::new();
        for row in (0..batch.num_rows()).filter(|r| selected(*r)) {
            let service = view.service(row);
            if !service.is_empty() && !distinct.contains(service) {
                distinct.insert(service);
            }
        }
        for service in distinct {
            push_distinct(out, Value::Str(service.to_string()), limit);
        }
        return;
    }
    if let FieldExpression::Attribute(Attribute {
        scope: AttributeScope::Span,
        name,
    }) = field
    {
        for (field, array) in batch.schema().fields().iter().zip(batch.columns()) {
            if parse_attribute_column_name(field.name()).is_some_and(|(_, key)| key == name) {
                for row in (0..batch.num_rows()).filter(|r| selected(*r) && array.is_valid(*r)) {
                    let any = array.as_any();
                    let value = if let Some(a) = any.downcast_ref::<StringArray>() {
                        Value::Str(a.value(row).to_string())
                    } else if let Some(a) = any.downcast_ref::<Int64Array>() {
                        Value::Int(a.value(row))
                    } else if let Some(a) = any.downcast_ref::<Float64Array>() {
                        Value::Float(a.value(row))
                    } else if let Some(a) = any.downcast_ref::<BooleanArray>() {
                        Value::Bool(a.value(row))
                    } else {
                        continue;
                    };
                    push_distinct(out, value, limit);
                    if out.len() >= limit {
                        return;
                    }
                }
            }
        }
        // Keys beyond a block's column cap live in the overflow column.
        if let Some(overflow) = batch
            .column_by_name(OVERFLOW_COLUMN)
            .and_then(|a| a.as_any().downcast_ref::<BinaryArray>())
        {
            for row in (0..batch.num_rows()).filter(|r| selected(*r) && overflow.is_valid(*r)) {
                let Ok(blob) = KeyValueBlob::decode(overflow.value(row)) else {
                    continue;
                };
                for kv in blob.values.iter().filter(|kv| kv.key == *name) {
                    push_distinct(out, Value::from_any(kv.value.as_ref()), limit);
                }
            }
        }
        return;
    }
    let view = SpanView::new(batch);
    let regexes = crate::search::eval::Regexes::default();
    for row in (0..batch.num_rows()).filter(|r| selected(*r)) {
        let group = TraceGroup {
            trace_id: [0; 16],
            rows: row..row + 1,
            start: 0,
            end: 0,
            root: None,
        };
        let ctx = crate::search::eval::SpanContext {
            view: &view,
            group: &group,
            child_counts: None,
            regexes: &regexes,
        };
        match ctx.eval(field, row) {
            Value::Nil => {}
            Value::Array(values) => values
                .into_iter()
                .for_each(|v| push_distinct(out, v, limit)),
            value => push_distinct(out, value, limit),
        }
        if out.len() >= limit {
            return;
        }
    }
}

/// True for `resource.service.name`, which has its own column.
pub fn is_service_name(field: &FieldExpression) -> bool {
    matches!(field, FieldExpression::Attribute(Attribute { scope: AttributeScope::Resource, name }) if name == "service.name")
}

fn push_distinct(out: &mut Vec<Value>, value: Value, limit: usize) {
    if out.len() < limit && !out.contains(&value) {
        out.push(value);
    }
}

/// The intrinsic tag names Tempo lists (scope `intrinsic`).
pub fn intrinsic_names() -> Vec<String> {
    let mut names: BTreeSet<String> = Intrinsic::ALL
        .iter()
        .map(|i| i.canonical_name().to_string())
        .collect();
    names.extend(Intrinsic::ALL.iter().map(|i| i.scoped_name().to_string()));
    names.into_iter().collect()
}
