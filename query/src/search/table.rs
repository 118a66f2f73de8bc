//! Span tables: record batches in which the spans of each trace are contiguous and linked to
//! their parents, with per-trace groups and typed access to every field TraceQL can name.
//!
//! Blocks already have this shape (sorted by trace, `parent_offset` stored). Head rows are
//! gathered per trace and linked on the fly, so one evaluator serves both.

use std::cell::RefCell;
use std::collections::HashMap;
use std::ops::Range;
use std::rc::Rc;

use arrow::array::{
    Array, BinaryArray, BooleanArray, FixedSizeBinaryArray, Float64Array, Int32Array, Int64Array,
    StringArray, UInt64Array,
};
use arrow::record_batch::RecordBatch;
use prost::Message;
use sightline_proto::otlp::common::v1::{InstrumentationScope, KeyValue};
use sightline_storage::rows::attributes::{AttributeKind, OVERFLOW_COLUMN, attribute_column_name};
use sightline_storage::rows::blobs::{
    EventList, KeyValueBlob, LinkList, decode_resource, decode_scope,
};
use sightline_storage::rows::columns::{
    BytesColumn, RESOURCE_COLUMN, SCOPE_COLUMN, SERVICE_NAME_COLUMN, TextColumn,
};
use sightline_storage::rows::spans::col;

use super::value::Value;

/// One trace's rows in a span table.
#[derive(Debug, Clone)]
pub struct TraceGroup {
    /// The trace id.
    pub trace_id: [u8; 16],
    /// Its rows (contiguous).
    pub rows: Range<usize>,
    /// Earliest span start, unix nanoseconds.
    pub start: u64,
    /// Latest span end, unix nanoseconds.
    pub end: u64,
    /// The root span's row, if the table has it.
    pub root: Option<usize>,
}

impl TraceGroup {
    /// Trace duration, nanoseconds.
    pub fn duration(&self) -> u64 {
        self.end.saturating_sub(self.start)
    }
}

/// A trace-contiguous batch with its trace groups.
#[derive(Debug, Clone)]
pub struct SpanTable {
    /// The rows.
    pub batch: RecordBatch,
    /// The traces, in row order.
    pub groups: Vec<TraceGroup>,
}

/// The typed columns of one attribute key.
#[derive(Default, Clone, Copy)]
struct AttributeArrays<'a> {
    string: Option<&'a StringArray>,
    int: Option<&'a Int64Array>,
    double: Option<&'a Float64Array>,
    boolean: Option<&'a BooleanArray>,
    any: Option<&'a BinaryArray>,
}

fn downcast<'a, T: 'static>(batch: &'a RecordBatch, name: &str) -> Option<&'a T> {
    batch.column_by_name(name)?.as_any().downcast_ref::<T>()
}

/// Identifies a distinct resource or scope blob: its dictionary key when the column is
/// dictionary-encoded (no hashing of ~1 KB blobs per row), else its bytes.
#[derive(PartialEq, Eq, Hash)]
enum BlobKey {
    Key(i32),
    Bytes(Vec<u8>),
}

fn blob_key(column: BytesColumn<'_>, row: usize) -> Option<(BlobKey, &[u8])> {
    let blob = column.get(row)?;
    Some(match column {
        BytesColumn::Dictionary(dictionary, _) => {
            (BlobKey::Key(dictionary.keys().value(row)), blob)
        }
        BytesColumn::Plain(_) => (BlobKey::Bytes(blob.to_vec()), blob),
    })
}

/// Typed access to a span table's columns. Columns a query did not read are absent and read as
/// `Nil`.
pub struct SpanView<'a> {
    batch: &'a RecordBatch,
    trace_id: Option<&'a FixedSizeBinaryArray>,
    span_id: Option<&'a FixedSizeBinaryArray>,
    parent_span_id: Option<&'a FixedSizeBinaryArray>,
    parent_offset: Option<&'a Int32Array>,
    name: Option<TextColumn<'a>>,
    service: Option<TextColumn<'a>>,
    start: Option<&'a UInt64Array>,
    duration: Option<&'a Int64Array>,
    status_code: Option<&'a Int32Array>,
    status_message: Option<&'a StringArray>,
    kind: Option<&'a Int32Array>,
    resource: Option<BytesColumn<'a>>,
    scope: Option<BytesColumn<'a>>,
    events: Option<&'a BinaryArray>,
    links: Option<&'a BinaryArray>,
    overflow: Option<&'a BinaryArray>,
    attributes: RefCell<HashMap<String, AttributeArrays<'a>>>,
    resource_cache: RefCell<HashMap<BlobKey, Rc<Vec<KeyValue>>>>,
    scope_cache: RefCell<HashMap<BlobKey, Rc<InstrumentationScope>>>,
}

impl<'a> SpanView<'a> {
    /// Resolves the columns of `batch`.
    pub fn new(batch: &'a RecordBatch) -> Self {
        Self {
            batch,
            trace_id: downcast(batch, col::TRACE_ID),
            span_id: downcast(batch, col::SPAN_ID),
            parent_span_id: downcast(batch, col::PARENT_SPAN_ID),
            parent_offset: downcast(batch, col::PARENT_OFFSET),
            name: batch
                .column_by_name(col::NAME)
                .and_then(|a| TextColumn::from_array(a, col::NAME).ok()),
            service: batch
                .column_by_name(SERVICE_NAME_COLUMN)
                .and_then(|a| TextColumn::from_array(a, SERVICE_NAME_COLUMN).ok()),
            start: downcast(batch, col::START_TIME),
            duration: downcast(batch, col::DURATION),
            status_code: downcast(batch, col::STATUS_CODE),
            status_message: downcast(batch, col::STATUS_MESSAGE),
            kind: downcast(batch, col::KIND),
            resource: BytesColumn::new(batch, RESOURCE_COLUMN).ok(),
            scope: BytesColumn::new(batch, SCOPE_COLUMN).ok(),
            events: downcast(batch, col::EVENTS),
            links: downcast(batch, col::LINKS),
            overflow: downcast(batch, OVERFLOW_COLUMN),
            attributes: RefCell::new(HashMap::new()),
            resource_cache: RefCell::new(HashMap::new()),
            scope_cache: RefCell::new(HashMap::new()),
        }
    }

    /// Rows in the batch.
    pub fn len(&self) -> usize {
        self.batch.num_rows()
    }

    /// True when the batch has no rows.
    pub fn is_empty(&self) -> bool {
        self.batch.num_rows() == 0
    }

    /// The trace id of `row`.
    pub fn trace_id(&self, row: usize) -> Option<&'a [u8]> {
        self.trace_id.map(|a| a.value(row))
    }

    /// The span id of `row`.
    pub fn span_id(&self, row: usize) -> Option<&'a [u8]> {
        self.span_id.map(|a| a.value(row))
    }

    /// The row of `row`'s parent, when it is in the table.
    pub fn parent_row(&self, row: usize) -> Option<usize> {
        let offsets = self.parent_offset?;
        offsets
            .is_valid(row)
            .then(|| (row as i64 + offsets.value(row) as i64) as usize)
    }

    /// The parent span id of `row` (stored, or the span id of the parent row).
    pub fn parent_span_id(&self, row: usize) -> Option<Vec<u8>> {
        if let Some(parents) = self.parent_span_id
            && parents.is_valid(row)
        {
            return Some(parents.value(row).to_vec());
        }
        self.parent_row(row)
            .and_then(|p| self.span_id(p))
            .map(<[u8]>::to_vec)
    }

    /// Span start, unix nanoseconds.
    pub fn start(&self, row: usize) -> u64 {
        self.start.map_or(0, |a| a.value(row))
    }

    /// Span duration, nanoseconds.
    pub fn duration(&self, row: usize) -> i64 {
        self.duration.map_or(0, |a| a.value(row))
    }

    /// Span name.
    pub fn name(&self, row: usize) -> &'a str {
        self.name.map_or("", |c| c.value(row))
    }

    /// The `service.name` of the span's resource.
    pub fn service(&self, row: usize) -> &'a str {
        self.service.map_or("", |c| c.value(row))
    }

    /// Status code (0 unset).
    pub fn status(&self, row: usize) -> i32 {
        self.status_code
            .filter(|a| a.is_valid(row))
            .map_or(0, |a| a.value(row))
    }

    /// Status message.
    pub fn status_message(&self, row: usize) -> &'a str {
        self.status_message
            .filter(|a| a.is_valid(row))
            .map_or("", |a| a.value(row))
    }

    /// Span kind.
    pub fn kind(&self, row: usize) -> i32 {
        self.kind.map_or(0, |a| a.value(row))
    }

    fn attribute_arrays(&self, key: &str) -> AttributeArrays<'a> {
        if let Some(arrays) = self.attributes.borrow().get(key) {
            return *arrays;
        }
        let name = |kind| attribute_column_name(kind, key);
        let arrays = AttributeArrays {
            string: downcast(self.batch, &name(AttributeKind::Str)),
            int: downcast(self.batch, &name(AttributeKind::Int)),
            double: downcast(self.batch, &name(AttributeKind::Double)),
            boolean: downcast(self.batch, &name(AttributeKind::Bool)),
            any: downcast(self.batch, &name(AttributeKind::Any)),
        };
        self.attributes.borrow_mut().insert(key.to_string(), arrays);
        arrays
    }

    /// A span attribute of `row` (`Nil` when absent).
    pub fn span_attribute(&self, key: &str, row: usize) -> Value {
        let a = self.attribute_arrays(key);
        if let Some(c) = a.string.filter(|c| c.is_valid(row)) {
            return Value::Str(c.value(row).to_string());
        }
        if let Some(c) = a.int.filter(|c| c.is_valid(row)) {
            return Value::Int(c.value(row));
        }
        if let Some(c) = a.double.filter(|c| c.is_valid(row)) {
            return Value::Float(c.value(row));
        }
        if let Some(c) = a.boolean.filter(|c| c.is_valid(row)) {
            return Value::Bool(c.value(row));
        }
        if let Some(c) = a.any.filter(|c| c.is_valid(row)) {
            let decoded = sightline_proto::otlp::common::v1::AnyValue::decode(c.value(row)).ok();
            return Value::from_any(decoded.as_ref());
        }
        if let Some(overflow) = self.overflow.filter(|o| o.is_valid(row))
            && let Ok(blob) = KeyValueBlob::decode(overflow.value(row))
            && let Some(kv) = blob.values.iter().find(|kv| kv.key == key)
        {
            return Value::from_any(kv.value.as_ref());
        }
        Value::Nil
    }

    /// The attributes of `row`'s resource (decoded once per distinct resource).
    pub fn resource_attributes(&self, row: usize) -> Rc<Vec<KeyValue>> {
        let Some((key, blob)) = self.resource.and_then(|c| blob_key(c, row)) else {
            return Rc::default();
        };
        if let Some(cached) = self.resource_cache.borrow().get(&key) {
            return Rc::clone(cached);
        }
        let attributes = Rc::new(
            decode_resource(blob)
                .ok()
                .and_then(|b| b.resource)
                .map(|r| r.attributes)
                .unwrap_or_default(),
        );
        self.resource_cache
            .borrow_mut()
            .insert(key, Rc::clone(&attributes));
        attributes
    }

    /// A resource attribute of `row`.
    pub fn resource_attribute(&self, key: &str, row: usize) -> Value {
        let attributes = self.resource_attributes(row);
        attributes
            .iter()
            .find(|kv| kv.key == key)
            .map_or(Value::Nil, |kv| Value::from_any(kv.value.as_ref()))
    }

    /// The instrumentation scope of `row` (decoded once per distinct scope).
    pub fn scope(&self, row: usize) -> Rc<InstrumentationScope> {
        let Some((key, blob)) = self.scope.and_then(|c| blob_key(c, row)) else {
            return Rc::default();
        };
        if let Some(cached) = self.scope_cache.borrow().get(&key) {
            return Rc::clone(cached);
        }
        let scope = Rc::new(
            decode_scope(blob)
                .ok()
                .and_then(|b| b.scope)
                .unwrap_or_default(),
        );
        self.scope_cache.borrow_mut().insert(key, Rc::clone(&scope));
        scope
    }

    /// The events of `row`.
    pub fn events(&self, row: usize) -> Vec<sightline_proto::otlp::trace::v1::span::Event> {
        self.events
            .filter(|c| c.is_valid(row))
            .and_then(|c| EventList::decode(c.value(row)).ok())
            .map(|list| list.events)
            .unwrap_or_default()
    }

    /// The links of `row`.
    pub fn links(&self, row: usize) -> Vec<sightline_proto::otlp::trace::v1::span::Link> {
        self.links
            .filter(|c| c.is_valid(row))
            .and_then(|c| LinkList::decode(c.value(row)).ok())
            .map(|list| list.links)
            .unwrap_or_default()
    }
}

/// Groups the rows of a trace-sorted batch, with summaries computed from the rows.
pub fn group_rows(batch: &RecordBatch) -> Vec<TraceGroup> {
    let view = SpanView::new(batch);
    let mut groups: Vec<TraceGroup> = Vec::new();
    for row in 0..batch.num_rows() {
        let Some(id) = view.trace_id(row) else { break };
        let start = view.start(row);
        let end = start.saturating_add(view.duration(row).max(0) as u64);
        let is_root = view.parent_span_id(row).is_none();
        match groups.last_mut() {
            Some(group) if group.trace_id.as_slice() == id => {
                group.rows.end = row + 1;
                group.start = group.start.min(start);
                group.end = group.end.max(end);
            }
            _ => groups.push(TraceGroup {
                trace_id: id.try_into().expect("16-byte trace id"),
                rows: row..row + 1,
                start,
                end,
                root: None,
            }),
        }
        let group = groups.last_mut().expect("pushed above");
        if is_root && group.root.is_none_or(|r| view.start(r) > start) {
            group.root = Some(row);
        }
    }
    groups
}
