//! Spans as rows: the trace schema, OTLP `ResourceSpans` -> Arrow, and rows -> OTLP.
//!
//! One row per span. Hot fields get typed columns; attributes get per-key typed columns
//! ([`super::attributes`]); events, links, resource and scope are protobuf blobs
//! ([`super::blobs`]). `end_time_unix_nano` is stored as a wrapping difference from the start
//! (`duration_nano`), so every pair of timestamps round-trips exactly.

use std::sync::Arc;

use arrow::array::{
    Array, ArrayRef, BinaryArray, BinaryBuilder, FixedSizeBinaryArray, FixedSizeBinaryBuilder,
    Int32Array, Int32Builder, Int64Array, Int64Builder, StringArray, StringBuilder,
    StringDictionaryBuilder, UInt32Array, UInt32Builder, UInt64Array, UInt64Builder,
};
use arrow::datatypes::{DataType, Field, Int32Type};
use arrow::record_batch::RecordBatch;
use prost::Message;
use sightline_proto::otlp::trace::v1::{ResourceSpans, ScopeSpans, Span, Status};

use super::attributes::{AttributeColumns, AttributeColumnsBuilder};
use super::blobs::{EventList, LinkList, encode_repeated, encode_resource, encode_scope};
use super::columns::{
    DecodedEnvelope, EnvelopeColumns, EnvelopeColumnsBuilder, Enveloped, ResourceGroup, TextColumn,
    dictionary_utf8_field, finish_batch, group_by_envelope, service_name_of, typed,
};
use crate::error::StorageResult;

/// Column names of the trace schema.
pub mod col {
    /// FixedSizeBinary(16).
    pub const TRACE_ID: &str = "trace_id";
    /// FixedSizeBinary(8).
    pub const SPAN_ID: &str = "span_id";
    /// FixedSizeBinary(8): null for root spans, and in blocks also when the parent is in the
    /// block (see [`PARENT_OFFSET`]).
    pub const PARENT_SPAN_ID: &str = "parent_span_id";
    /// Int32, blocks only: parent row minus this row, when the parent is in the block.
    pub const PARENT_OFFSET: &str = "parent_offset";
    /// Utf8, null when empty.
    pub const TRACE_STATE: &str = "trace_state";
    /// UInt32.
    pub const FLAGS: &str = "flags";
    /// Dictionary Utf8.
    pub const NAME: &str = "name";
    /// Int32 (`SpanKind`).
    pub const KIND: &str = "kind";
    /// UInt64.
    pub const START_TIME: &str = "start_time_unix_nano";
    /// Int64: `end - start`, wrapping.
    pub const DURATION: &str = "duration_nano";
    /// Int32 (`StatusCode`), null when the span had no `status`.
    pub const STATUS_CODE: &str = "status_code";
    /// Utf8, null when empty.
    pub const STATUS_MESSAGE: &str = "status_message";
    /// UInt32.
    pub const DROPPED_ATTRIBUTES: &str = "dropped_attributes_count";
    /// UInt32.
    pub const DROPPED_EVENTS: &str = "dropped_events_count";
    /// UInt32.
    pub const DROPPED_LINKS: &str = "dropped_links_count";
    /// Binary (encoded `EventList`), null when there are none.
    pub const EVENTS: &str = "events";
    /// Binary (encoded `LinkList`), null when there are none.
    pub const LINKS: &str = "links";
}

/// Why a span cannot be stored.
pub fn validate_span(span: &Span) -> Result<(), &'static str> {
    if span.trace_id.len() != 16 {
        return Err("trace_id must be 16 bytes");
    }
    if span.trace_id.iter().all(|b| *b == 0) {
        return Err("trace_id must not be all zeroes");
    }
    if span.span_id.len() != 8 {
        return Err("span_id must be 8 bytes");
    }
    if span.span_id.iter().all(|b| *b == 0) {
        return Err("span_id must not be all zeroes");
    }
    if !span.parent_span_id.is_empty() && span.parent_span_id.len() != 8 {
        return Err("parent_span_id must be empty or 8 bytes");
    }
    Ok(())
}

/// The fixed (non-attribute) fields of the trace schema, in column order.
pub fn fixed_fields() -> Vec<Field> {
    vec![
        Field::new(col::TRACE_ID, DataType::FixedSizeBinary(16), false),
        Field::new(col::SPAN_ID, DataType::FixedSizeBinary(8), false),
        Field::new(col::PARENT_SPAN_ID, DataType::FixedSizeBinary(8), true),
        Field::new(col::TRACE_STATE, DataType::Utf8, true),
        Field::new(col::FLAGS, DataType::UInt32, false),
        dictionary_utf8_field(col::NAME, false),
        Field::new(col::KIND, DataType::Int32, false),
        Field::new(col::START_TIME, DataType::UInt64, false),
        Field::new(col::DURATION, DataType::Int64, false),
        Field::new(col::STATUS_CODE, DataType::Int32, true),
        Field::new(col::STATUS_MESSAGE, DataType::Utf8, true),
        Field::new(col::DROPPED_ATTRIBUTES, DataType::UInt32, false),
        Field::new(col::DROPPED_EVENTS, DataType::UInt32, false),
        Field::new(col::DROPPED_LINKS, DataType::UInt32, false),
        Field::new(col::EVENTS, DataType::Binary, true),
        Field::new(col::LINKS, DataType::Binary, true),
    ]
}

/// Builds a record batch of spans.
pub struct SpanBatchBuilder {
    trace_id: FixedSizeBinaryBuilder,
    span_id: FixedSizeBinaryBuilder,
    parent_span_id: FixedSizeBinaryBuilder,
    trace_state: StringBuilder,
    flags: UInt32Builder,
    name: StringDictionaryBuilder<Int32Type>,
    kind: Int32Builder,
    start: UInt64Builder,
    duration: Int64Builder,
    status_code: Int32Builder,
    status_message: StringBuilder,
    dropped_attributes: UInt32Builder,
    dropped_events: UInt32Builder,
    dropped_links: UInt32Builder,
    events: BinaryBuilder,
    links: BinaryBuilder,
    envelope: EnvelopeColumnsBuilder,
    attributes: AttributeColumnsBuilder,
    min_time: u64,
    max_time: u64,
}

impl SpanBatchBuilder {
    /// A builder for about `rows` rows, creating at most `max_attribute_columns` attribute
    /// columns.
    pub fn with_capacity(rows: usize, max_attribute_columns: usize) -> Self {
        Self {
            trace_id: FixedSizeBinaryBuilder::with_capacity(rows, 16),
            span_id: FixedSizeBinaryBuilder::with_capacity(rows, 8),
            parent_span_id: FixedSizeBinaryBuilder::with_capacity(rows, 8),
            trace_state: StringBuilder::with_capacity(rows, rows * 8),
            flags: UInt32Builder::with_capacity(rows),
            name: StringDictionaryBuilder::new(),
            kind: Int32Builder::with_capacity(rows),
            start: UInt64Builder::with_capacity(rows),
            duration: Int64Builder::with_capacity(rows),
            status_code: Int32Builder::with_capacity(rows),
            status_message: StringBuilder::with_capacity(rows, rows * 8),
            dropped_attributes: UInt32Builder::with_capacity(rows),
            dropped_events: UInt32Builder::with_capacity(rows),
            dropped_links: UInt32Builder::with_capacity(rows),
            events: BinaryBuilder::with_capacity(rows, 0),
            links: BinaryBuilder::with_capacity(rows, 0),
            envelope: EnvelopeColumnsBuilder::default(),
            attributes: AttributeColumnsBuilder::with_capacity(rows, max_attribute_columns),
            min_time: u64::MAX,
            max_time: 0,
        }
    }

    /// Rows appended so far.
    pub fn rows(&self) -> usize {
        self.attributes.rows()
    }

    /// Appends every valid span of `resource_spans` (invalid ones are skipped; the receiver
    /// has already rejected them through partial success).
    pub fn append_resource_spans(&mut self, resource_spans: &ResourceSpans) {
        let resource_blob = encode_resource(&resource_spans.resource, &resource_spans.schema_url);
        let service = service_name_of(resource_spans.resource.as_ref());
        for scope_spans in &resource_spans.scope_spans {
            let scope_blob = encode_scope(&scope_spans.scope, &scope_spans.schema_url);
            for span in &scope_spans.spans {
                if validate_span(span).is_ok() {
                    self.append_span(span, service, &resource_blob, &scope_blob);
                }
            }
        }
    }

    fn append_span(&mut self, span: &Span, service: &str, resource: &[u8], scope: &[u8]) {
        self.trace_id
            .append_value(&span.trace_id)
            .expect("validated length");
        self.span_id
            .append_value(&span.span_id)
            .expect("validated length");
        if span.parent_span_id.is_empty() {
            self.parent_span_id.append_null();
        } else {
            self.parent_span_id
                .append_value(&span.parent_span_id)
                .expect("validated length");
        }
        append_optional_text(&mut self.trace_state, &span.trace_state);
        self.flags.append_value(span.flags);
        self.name.append_value(&span.name);
        self.kind.append_value(span.kind);
        self.start.append_value(span.start_time_unix_nano);
        self.duration.append_value(
            span.end_time_unix_nano
                .wrapping_sub(span.start_time_unix_nano) as i64,
        );
        match &span.status {
            Some(status) => {
                self.status_code.append_value(status.code);
                append_optional_text(&mut self.status_message, &status.message);
            }
            None => {
                self.status_code.append_null();
                self.status_message.append_null();
            }
        }
        self.dropped_attributes
            .append_value(span.dropped_attributes_count);
        self.dropped_events.append_value(span.dropped_events_count);
        self.dropped_links.append_value(span.dropped_links_count);
        append_optional_blob(
            &mut self.events,
            (!span.events.is_empty()).then(|| encode_repeated(&span.events)),
        );
        append_optional_blob(
            &mut self.links,
            (!span.links.is_empty()).then(|| encode_repeated(&span.links)),
        );
        self.envelope.append(service, resource, scope);
        self.attributes.append_row(&span.attributes);
        self.min_time = self.min_time.min(span.start_time_unix_nano);
        self.max_time = self
            .max_time
            .max(span.end_time_unix_nano.max(span.start_time_unix_nano));
    }

    /// The finished batch and its (min start, max end) time range; `None` when empty.
    pub fn finish(mut self) -> StorageResult<Option<(RecordBatch, (u64, u64))>> {
        if self.rows() == 0 {
            return Ok(None);
        }
        let fields = fixed_fields();
        let columns: Vec<ArrayRef> = vec![
            Arc::new(self.trace_id.finish()),
            Arc::new(self.span_id.finish()),
            Arc::new(self.parent_span_id.finish()),
            Arc::new(self.trace_state.finish()),
            Arc::new(self.flags.finish()),
            Arc::new(self.name.finish()),
            Arc::new(self.kind.finish()),
            Arc::new(self.start.finish()),
            Arc::new(self.duration.finish()),
            Arc::new(self.status_code.finish()),
            Arc::new(self.status_message.finish()),
            Arc::new(self.dropped_attributes.finish()),
            Arc::new(self.dropped_events.finish()),
            Arc::new(self.dropped_links.finish()),
            Arc::new(self.events.finish()),
            Arc::new(self.links.finish()),
        ];
        let batch = finish_batch(fields, columns, self.envelope, self.attributes)?;
        Ok(Some((batch, (self.min_time, self.max_time))))
    }
}

pub(crate) fn append_optional_text(builder: &mut StringBuilder, text: &str) {
    if text.is_empty() {
        builder.append_null();
    } else {
        builder.append_value(text);
    }
}

pub(crate) fn append_optional_blob(builder: &mut BinaryBuilder, blob: Option<Vec<u8>>) {
    match blob {
        Some(bytes) => builder.append_value(bytes),
        None => builder.append_null(),
    }
}

/// Typed views of a span batch's columns, for rebuilding spans.
pub struct SpanColumns<'a> {
    /// `trace_id`.
    pub trace_id: &'a FixedSizeBinaryArray,
    /// `span_id`.
    pub span_id: &'a FixedSizeBinaryArray,
    parent_span_id: &'a FixedSizeBinaryArray,
    parent_offset: Option<&'a Int32Array>,
    trace_state: &'a StringArray,
    flags: &'a UInt32Array,
    /// `name`.
    pub name: TextColumn<'a>,
    kind: &'a Int32Array,
    /// `start_time_unix_nano`.
    pub start: &'a UInt64Array,
    duration: &'a Int64Array,
    status_code: &'a Int32Array,
    status_message: &'a StringArray,
    dropped_attributes: &'a UInt32Array,
    dropped_events: &'a UInt32Array,
    dropped_links: &'a UInt32Array,
    events: &'a BinaryArray,
    links: &'a BinaryArray,
    /// Service name, resource and scope.
    pub envelope: EnvelopeColumns<'a>,
    attributes: AttributeColumns,
}

impl<'a> SpanColumns<'a> {
    /// Finds the span columns of `batch`.
    pub fn new(batch: &'a RecordBatch) -> StorageResult<Self> {
        Ok(Self {
            trace_id: typed(batch, col::TRACE_ID)?,
            span_id: typed(batch, col::SPAN_ID)?,
            parent_span_id: typed(batch, col::PARENT_SPAN_ID)?,
            parent_offset: match batch.column_by_name(col::PARENT_OFFSET) {
                Some(_) => Some(typed(batch, col::PARENT_OFFSET)?),
                None => None,
            },
            trace_state: typed(batch, col::TRACE_STATE)?,
            flags: typed(batch, col::FLAGS)?,
            name: TextColumn::new(batch, col::NAME)?,
            kind: typed(batch, col::KIND)?,
            start: typed(batch, col::START_TIME)?,
            duration: typed(batch, col::DURATION)?,
            status_code: typed(batch, col::STATUS_CODE)?,
            status_message: typed(batch, col::STATUS_MESSAGE)?,
            dropped_attributes: typed(batch, col::DROPPED_ATTRIBUTES)?,
            dropped_events: typed(batch, col::DROPPED_EVENTS)?,
            dropped_links: typed(batch, col::DROPPED_LINKS)?,
            events: typed(batch, col::EVENTS)?,
            links: typed(batch, col::LINKS)?,
            envelope: EnvelopeColumns::new(batch)?,
            attributes: AttributeColumns::of_batch(batch),
        })
    }

    /// The parent span id of `row`: stored, or (in blocks) the span id of the row
    /// `parent_offset` away, which must be in the same batch.
    pub fn parent_span_id_of(&self, row: usize) -> StorageResult<Vec<u8>> {
        if self.parent_span_id.is_valid(row) {
            return Ok(self.parent_span_id.value(row).to_vec());
        }
        match self.parent_offset {
            Some(offsets) if offsets.is_valid(row) => {
                let parent = row as i64 + offsets.value(row) as i64;
                if !(0..self.span_id.len() as i64).contains(&parent) {
                    return Err(crate::error::StorageError::corrupt(
                        "span batch",
                        "a parent row lies outside the rows read (read whole traces)",
                    ));
                }
                Ok(self.span_id.value(parent as usize).to_vec())
            }
            _ => Ok(Vec::new()),
        }
    }

    /// Rebuilds the span at `row`.
    pub fn span(&self, row: usize) -> StorageResult<Span> {
        let start = self.start.value(row);
        let status = self.status_code.is_valid(row).then(|| Status {
            code: self.status_code.value(row),
            message: optional_text(self.status_message, row),
        });
        Ok(Span {
            trace_id: self.trace_id.value(row).to_vec(),
            span_id: self.span_id.value(row).to_vec(),
            trace_state: optional_text(self.trace_state, row),
            parent_span_id: self.parent_span_id_of(row)?,
            flags: self.flags.value(row),
            name: self.name.value(row).to_string(),
            kind: self.kind.value(row),
            start_time_unix_nano: start,
            end_time_unix_nano: start.wrapping_add(self.duration.value(row) as u64),
            attributes: self.attributes.row(row)?,
            dropped_attributes_count: self.dropped_attributes.value(row),
            events: match optional_blob(self.events, row) {
                Some(bytes) => EventList::decode(bytes)?.events,
                None => Vec::new(),
            },
            dropped_events_count: self.dropped_events.value(row),
            links: match optional_blob(self.links, row) {
                Some(bytes) => LinkList::decode(bytes)?.links,
                None => Vec::new(),
            },
            dropped_links_count: self.dropped_links.value(row),
            status,
        })
    }
}

pub(crate) fn optional_text(array: &StringArray, row: usize) -> String {
    if array.is_valid(row) {
        array.value(row).to_string()
    } else {
        String::new()
    }
}

pub(crate) fn optional_blob(array: &BinaryArray, row: usize) -> Option<&[u8]> {
    array.is_valid(row).then(|| array.value(row))
}

/// Rebuilds OTLP `ResourceSpans` from rows of one or more batches: spans are grouped by resource
/// and scope, in first-seen order.
pub fn assemble_resource_spans(rows: Vec<Enveloped<Span>>) -> StorageResult<Vec<ResourceSpans>> {
    let mut out = Vec::new();
    for ResourceGroup {
        resource: resource_blob,
        scopes,
    } in group_by_envelope(rows)
    {
        let mut resource_spans = None;
        for (scope_blob, spans) in scopes {
            let envelope = DecodedEnvelope::decode(&resource_blob, &scope_blob)?;
            let target = resource_spans.get_or_insert_with(|| ResourceSpans {
                resource: envelope.resource.clone(),
                scope_spans: Vec::new(),
                schema_url: envelope.resource_schema_url.clone(),
            });
            target.scope_spans.push(ScopeSpans {
                scope: envelope.scope,
                spans,
                schema_url: envelope.scope_schema_url,
            });
        }
        out.extend(resource_spans);
    }
    Ok(out)
}

/// Reads every span of `batch` at `rows` as (resource blob, scope blob, span).
pub fn spans_at(batch: &RecordBatch, rows: &[usize]) -> StorageResult<Vec<Enveloped<Span>>> {
    let columns = SpanColumns::new(batch)?;
    rows.iter()
        .map(|&row| {
            Ok(Enveloped {
                resource: columns.envelope.resource_blob(row).to_vec(),
                scope: columns.envelope.scope_blob(row).to_vec(),
                item: columns.span(row)?,
            })
        })
        .collect()
}
