//! Log records as rows: the logs schema, OTLP `ResourceLogs` -> Arrow, and rows -> OTLP.
//!
//! One row per log record. A string body goes to `body_str` (what full-text search reads); any
//! other body is an encoded `AnyValue` in `body_any`; both are null when the record had no body.

use std::sync::Arc;

use arrow::array::{
    Array, ArrayRef, BinaryArray, BinaryBuilder, FixedSizeBinaryArray, FixedSizeBinaryBuilder,
    Int32Array, Int32Builder, StringArray, StringBuilder, StringDictionaryBuilder, UInt32Array,
    UInt32Builder, UInt64Array, UInt64Builder,
};
use arrow::datatypes::{DataType, Field, Int32Type};
use arrow::record_batch::RecordBatch;
use prost::Message;
use sightline_proto::otlp::common::v1::{AnyValue, any_value};
use sightline_proto::otlp::logs::v1::{LogRecord, ResourceLogs, ScopeLogs};

use super::attributes::{AttributeColumns, AttributeColumnsBuilder};
use super::blobs::{encode_resource, encode_scope};
use super::columns::{
    DecodedEnvelope, EnvelopeColumns, EnvelopeColumnsBuilder, Enveloped, ResourceGroup, TextColumn,
    dictionary_utf8_field, finish_batch, group_by_envelope, service_name_of, typed,
};
use super::spans::{append_optional_text, optional_blob, optional_text};
use crate::error::StorageResult;

/// Column names of the logs schema.
pub mod col {
    /// UInt64.
    pub const TIME: &str = "time_unix_nano";
    /// UInt64.
    pub const OBSERVED_TIME: &str = "observed_time_unix_nano";
    /// Int32 (`SeverityNumber`).
    pub const SEVERITY_NUMBER: &str = "severity_number";
    /// Dictionary Utf8.
    pub const SEVERITY_TEXT: &str = "severity_text";
    /// Utf8: the body when it is a string.
    pub const BODY_STR: &str = "body_str";
    /// Binary: the body as an encoded `AnyValue` when it is not a string.
    pub const BODY_ANY: &str = "body_any";
    /// UInt32.
    pub const DROPPED_ATTRIBUTES: &str = "dropped_attributes_count";
    /// UInt32.
    pub const FLAGS: &str = "flags";
    /// FixedSizeBinary(16), null when absent.
    pub const TRACE_ID: &str = "trace_id";
    /// FixedSizeBinary(8), null when absent.
    pub const SPAN_ID: &str = "span_id";
    /// Utf8, null when empty.
    pub const EVENT_NAME: &str = "event_name";
}

/// Why a log record cannot be stored.
pub fn validate_log_record(record: &LogRecord) -> Result<(), &'static str> {
    if !record.trace_id.is_empty() && record.trace_id.len() != 16 {
        return Err("trace_id must be empty or 16 bytes");
    }
    if !record.span_id.is_empty() && record.span_id.len() != 8 {
        return Err("span_id must be empty or 8 bytes");
    }
    Ok(())
}

/// The time a record is filed under: its event time, or its observed time when unset.
pub fn record_time(record: &LogRecord) -> u64 {
    if record.time_unix_nano != 0 {
        record.time_unix_nano
    } else {
        record.observed_time_unix_nano
    }
}

/// The fixed (non-attribute) fields of the logs schema, in column order.
pub fn fixed_fields() -> Vec<Field> {
    vec![
        Field::new(col::TIME, DataType::UInt64, false),
        Field::new(col::OBSERVED_TIME, DataType::UInt64, false),
        Field::new(col::SEVERITY_NUMBER, DataType::Int32, false),
        dictionary_utf8_field(col::SEVERITY_TEXT, false),
        Field::new(col::BODY_STR, DataType::Utf8, true),
        Field::new(col::BODY_ANY, DataType::Binary, true),
        Field::new(col::DROPPED_ATTRIBUTES, DataType::UInt32, false),
        Field::new(col::FLAGS, DataType::UInt32, false),
        Field::new(col::TRACE_ID, DataType::FixedSizeBinary(16), true),
        Field::new(col::SPAN_ID, DataType::FixedSizeBinary(8), true),
        Field::new(col::EVENT_NAME, DataType::Utf8, true),
    ]
}

/// Builds a record batch of log records.
pub struct LogBatchBuilder {
    time: UInt64Builder,
    observed_time: UInt64Builder,
    severity_number: Int32Builder,
    severity_text: StringDictionaryBuilder<Int32Type>,
    body_str: StringBuilder,
    body_any: BinaryBuilder,
    dropped_attributes: UInt32Builder,
    flags: UInt32Builder,
    trace_id: FixedSizeBinaryBuilder,
    span_id: FixedSizeBinaryBuilder,
    event_name: StringBuilder,
    envelope: EnvelopeColumnsBuilder,
    attributes: AttributeColumnsBuilder,
    min_time: u64,
    max_time: u64,
}

impl LogBatchBuilder {
    /// A builder for about `rows` rows, creating at most `max_attribute_columns` attribute
    /// columns.
    pub fn with_capacity(rows: usize, max_attribute_columns: usize) -> Self {
        Self {
            time: UInt64Builder::with_capacity(rows),
            observed_time: UInt64Builder::with_capacity(rows),
            severity_number: Int32Builder::with_capacity(rows),
            severity_text: StringDictionaryBuilder::new(),
            body_str: StringBuilder::with_capacity(rows, rows * 8),
            body_any: BinaryBuilder::with_capacity(rows, 0),
            dropped_attributes: UInt32Builder::with_capacity(rows),
            flags: UInt32Builder::with_capacity(rows),
            trace_id: FixedSizeBinaryBuilder::with_capacity(rows, 16),
            span_id: FixedSizeBinaryBuilder::with_capacity(rows, 8),
            event_name: StringBuilder::with_capacity(rows, rows * 8),
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

    /// Appends every valid record of `resource_logs`.
    pub fn append_resource_logs(&mut self, resource_logs: &ResourceLogs) {
        let resource_blob = encode_resource(&resource_logs.resource, &resource_logs.schema_url);
        let service = service_name_of(resource_logs.resource.as_ref());
        for scope_logs in &resource_logs.scope_logs {
            let scope_blob = encode_scope(&scope_logs.scope, &scope_logs.schema_url);
            for record in &scope_logs.log_records {
                if validate_log_record(record).is_ok() {
                    self.append_record(record, service, &resource_blob, &scope_blob);
                }
            }
        }
    }

    fn append_record(&mut self, record: &LogRecord, service: &str, resource: &[u8], scope: &[u8]) {
        self.time.append_value(record.time_unix_nano);
        self.observed_time
            .append_value(record.observed_time_unix_nano);
        self.severity_number.append_value(record.severity_number);
        self.severity_text.append_value(&record.severity_text);
        match &record.body {
            Some(AnyValue {
                value: Some(any_value::Value::StringValue(text)),
            }) => {
                self.body_str.append_value(text);
                self.body_any.append_null();
            }
            Some(other) => {
                self.body_str.append_null();
                self.body_any.append_value(other.encode_to_vec());
            }
            None => {
                self.body_str.append_null();
                self.body_any.append_null();
            }
        }
        self.dropped_attributes
            .append_value(record.dropped_attributes_count);
        self.flags.append_value(record.flags);
        if record.trace_id.is_empty() {
            self.trace_id.append_null();
        } else {
            self.trace_id
                .append_value(&record.trace_id)
                .expect("validated length");
        }
        if record.span_id.is_empty() {
            self.span_id.append_null();
        } else {
            self.span_id
                .append_value(&record.span_id)
                .expect("validated length");
        }
        append_optional_text(&mut self.event_name, &record.event_name);
        self.envelope.append(service, resource, scope);
        self.attributes.append_row(&record.attributes);
        let time = record_time(record);
        self.min_time = self.min_time.min(time);
        self.max_time = self.max_time.max(time);
    }

    /// The finished batch and its time range; `None` when empty.
    pub fn finish(mut self) -> StorageResult<Option<(RecordBatch, (u64, u64))>> {
        if self.rows() == 0 {
            return Ok(None);
        }
        let fields = fixed_fields();
        let columns: Vec<ArrayRef> = vec![
            Arc::new(self.time.finish()),
            Arc::new(self.observed_time.finish()),
            Arc::new(self.severity_number.finish()),
            Arc::new(self.severity_text.finish()),
            Arc::new(self.body_str.finish()),
            Arc::new(self.body_any.finish()),
            Arc::new(self.dropped_attributes.finish()),
            Arc::new(self.flags.finish()),
            Arc::new(self.trace_id.finish()),
            Arc::new(self.span_id.finish()),
            Arc::new(self.event_name.finish()),
        ];
        let batch = finish_batch(fields, columns, self.envelope, self.attributes)?;
        Ok(Some((batch, (self.min_time, self.max_time))))
    }
}

/// Typed views of a log batch's columns, for rebuilding records.
pub struct LogColumns<'a> {
    /// `time_unix_nano`.
    pub time: &'a UInt64Array,
    observed_time: &'a UInt64Array,
    severity_number: &'a Int32Array,
    severity_text: TextColumn<'a>,
    /// `body_str`.
    pub body_str: &'a StringArray,
    body_any: &'a BinaryArray,
    dropped_attributes: &'a UInt32Array,
    flags: &'a UInt32Array,
    /// `trace_id`.
    pub trace_id: &'a FixedSizeBinaryArray,
    /// `span_id`.
    pub span_id: &'a FixedSizeBinaryArray,
    event_name: &'a StringArray,
    /// Service name, resource and scope.
    pub envelope: EnvelopeColumns<'a>,
    attributes: AttributeColumns,
}

impl<'a> LogColumns<'a> {
    /// Finds the log columns of `batch`.
    pub fn new(batch: &'a RecordBatch) -> StorageResult<Self> {
        Ok(Self {
            time: typed(batch, col::TIME)?,
            observed_time: typed(batch, col::OBSERVED_TIME)?,
            severity_number: typed(batch, col::SEVERITY_NUMBER)?,
            severity_text: TextColumn::new(batch, col::SEVERITY_TEXT)?,
            body_str: typed(batch, col::BODY_STR)?,
            body_any: typed(batch, col::BODY_ANY)?,
            dropped_attributes: typed(batch, col::DROPPED_ATTRIBUTES)?,
            flags: typed(batch, col::FLAGS)?,
            trace_id: typed(batch, col::TRACE_ID)?,
            span_id: typed(batch, col::SPAN_ID)?,
            event_name: typed(batch, col::EVENT_NAME)?,
            envelope: EnvelopeColumns::new(batch)?,
            attributes: AttributeColumns::of_batch(batch),
        })
    }

    /// The record time of `row` (its time, or its observed time when unset).
    pub fn record_time(&self, row: usize) -> u64 {
        match self.time.value(row) {
            0 => self.observed_time.value(row),
            time => time,
        }
    }

    /// The severity text and number of `row`.
    pub fn severity(&self, row: usize) -> (&str, i32) {
        (
            self.severity_text.value(row),
            self.severity_number.value(row),
        )
    }

    /// The line of `row` as [`line_text`] renders its body, without rebuilding the record.
    pub fn line(&self, row: usize) -> StorageResult<String> {
        if self.body_str.is_valid(row) {
            return Ok(self.body_str.value(row).to_string());
        }
        Ok(match optional_blob(self.body_any, row) {
            Some(bytes) => line_text(Some(&AnyValue::decode(bytes)?)),
            None => String::new(),
        })
    }

    /// Rebuilds the record at `row`.
    pub fn record(&self, row: usize) -> StorageResult<LogRecord> {
        let body = if self.body_str.is_valid(row) {
            Some(AnyValue {
                value: Some(any_value::Value::StringValue(
                    self.body_str.value(row).to_string(),
                )),
            })
        } else {
            match optional_blob(self.body_any, row) {
                Some(bytes) => Some(AnyValue::decode(bytes)?),
                None => None,
            }
        };
        Ok(LogRecord {
            time_unix_nano: self.time.value(row),
            observed_time_unix_nano: self.observed_time.value(row),
            severity_number: self.severity_number.value(row),
            severity_text: self.severity_text.value(row).to_string(),
            body,
            attributes: self.attributes.row(row)?,
            dropped_attributes_count: self.dropped_attributes.value(row),
            flags: self.flags.value(row),
            trace_id: fixed_or_empty(self.trace_id, row),
            span_id: fixed_or_empty(self.span_id, row),
            event_name: optional_text(self.event_name, row),
        })
    }
}

fn fixed_or_empty(array: &FixedSizeBinaryArray, row: usize) -> Vec<u8> {
    if array.is_valid(row) {
        array.value(row).to_vec()
    } else {
        Vec::new()
    }
}

/// Reads every record of `batch` at `rows` as (resource blob, scope blob, record).
pub fn records_at(batch: &RecordBatch, rows: &[usize]) -> StorageResult<Vec<Enveloped<LogRecord>>> {
    let columns = LogColumns::new(batch)?;
    rows.iter()
        .map(|&row| {
            Ok(Enveloped {
                resource: columns.envelope.resource_blob(row).to_vec(),
                scope: columns.envelope.scope_blob(row).to_vec(),
                item: columns.record(row)?,
            })
        })
        .collect()
}

/// Rebuilds OTLP `ResourceLogs`, grouping records by resource and scope in first-seen order.
pub fn assemble_resource_logs(rows: Vec<Enveloped<LogRecord>>) -> StorageResult<Vec<ResourceLogs>> {
    let mut out = Vec::new();
    for ResourceGroup {
        resource: resource_blob,
        scopes,
    } in group_by_envelope(rows)
    {
        let mut resource_logs = None;
        for (scope_blob, log_records) in scopes {
            let envelope = DecodedEnvelope::decode(&resource_blob, &scope_blob)?;
            let target = resource_logs.get_or_insert_with(|| ResourceLogs {
                resource: envelope.resource.clone(),
                scope_logs: Vec::new(),
                schema_url: envelope.resource_schema_url.clone(),
            });
            target.scope_logs.push(ScopeLogs {
                scope: envelope.scope,
                log_records,
                schema_url: envelope.scope_schema_url,
            });
        }
        out.extend(resource_logs);
    }
    Ok(out)
}

/// The text of a log line: a string body as is; any other body as Loki shows OTLP bodies (maps
/// and arrays as compact JSON of their plain values, bytes as base64, numbers and booleans as
/// text); empty without a body. Full-text search indexes and matches this text.
pub fn line_text(body: Option<&AnyValue>) -> String {
    match body.and_then(|b| b.value.as_ref()) {
        None => String::new(),
        Some(any_value::Value::StringValue(s)) => s.clone(),
        Some(other) => match plain_value(other) {
            serde_json::Value::String(s) => s,
            value => value.to_string(),
        },
    }
}

/// An OTLP value as plain JSON (no `stringValue` wrappers).
fn plain_value(value: &any_value::Value) -> serde_json::Value {
    use base64::Engine as _;
    let plain = |v: &AnyValue| {
        v.value
            .as_ref()
            .map_or(serde_json::Value::Null, plain_value)
    };
    match value {
        any_value::Value::StringValue(s) => serde_json::Value::String(s.clone()),
        any_value::Value::BoolValue(b) => serde_json::Value::Bool(*b),
        any_value::Value::IntValue(i) => serde_json::Value::from(*i),
        any_value::Value::DoubleValue(d) => serde_json::Number::from_f64(*d)
            .map_or(serde_json::Value::Null, serde_json::Value::Number),
        any_value::Value::BytesValue(b) => {
            serde_json::Value::String(base64::engine::general_purpose::STANDARD.encode(b))
        }
        any_value::Value::ArrayValue(a) => {
            serde_json::Value::Array(a.values.iter().map(plain).collect())
        }
        any_value::Value::KvlistValue(kv) => serde_json::Value::Object(
            kv.values
                .iter()
                .map(|kv| {
                    (
                        kv.key.clone(),
                        kv.value.as_ref().map_or(serde_json::Value::Null, plain),
                    )
                })
                .collect(),
        ),
        #[allow(unreachable_patterns)]
        _ => serde_json::Value::Null,
    }
}
