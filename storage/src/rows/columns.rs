//! Typed access to the columns of a record batch, and the envelope columns every signal shares
//! (service name, resource, scope).
//!
//! Readers accept both plain and dictionary-encoded string/binary columns, so a batch read back
//! from Parquet and a batch still in the head are handled by the same code.

use std::sync::Arc;

use arrow::array::{
    Array, ArrayRef, BinaryArray, BinaryDictionaryBuilder, DictionaryArray, StringArray,
    StringDictionaryBuilder,
};
use arrow::datatypes::{DataType, Field, Int32Type};
use arrow::record_batch::RecordBatch;
use sightline_proto::otlp::common::v1::{InstrumentationScope, any_value};
use sightline_proto::otlp::resource::v1::Resource;

use super::blobs::{decode_resource, decode_scope};
use crate::error::{StorageError, StorageResult};

/// Column with the `service.name` resource attribute (empty when absent).
pub const SERVICE_NAME_COLUMN: &str = "service_name";
/// Column with the encoded resource blob.
pub const RESOURCE_COLUMN: &str = "resource";
/// Column with the encoded scope blob.
pub const SCOPE_COLUMN: &str = "scope";

/// A dictionary-encoded Utf8 field.
pub fn dictionary_utf8_field(name: &str, nullable: bool) -> Field {
    Field::new(
        name,
        DataType::Dictionary(Box::new(DataType::Int32), Box::new(DataType::Utf8)),
        nullable,
    )
}

/// A dictionary-encoded Binary field.
pub fn dictionary_binary_field(name: &str) -> Field {
    Field::new(
        name,
        DataType::Dictionary(Box::new(DataType::Int32), Box::new(DataType::Binary)),
        false,
    )
}

/// Finds a column by name.
pub fn column<'a>(batch: &'a RecordBatch, name: &str) -> StorageResult<&'a ArrayRef> {
    batch
        .column_by_name(name)
        .ok_or_else(|| StorageError::corrupt("record batch", format!("missing column {name}")))
}

/// Finds a column by name and downcasts it.
pub fn typed<'a, T: Array + 'static>(batch: &'a RecordBatch, name: &str) -> StorageResult<&'a T> {
    column(batch, name)?
        .as_any()
        .downcast_ref::<T>()
        .ok_or_else(|| {
            StorageError::corrupt(
                "record batch",
                format!("column {name} has an unexpected type"),
            )
        })
}

/// A Utf8 column, plain or dictionary-encoded.
#[derive(Debug, Clone, Copy)]
pub enum TextColumn<'a> {
    /// Plain Utf8.
    Plain(&'a StringArray),
    /// Dictionary with Utf8 values.
    Dictionary(&'a DictionaryArray<Int32Type>, &'a StringArray),
}

impl<'a> TextColumn<'a> {
    /// Wraps the column `name` of `batch`.
    pub fn new(batch: &'a RecordBatch, name: &str) -> StorageResult<Self> {
        Self::from_array(column(batch, name)?, name)
    }

    /// Wraps an array.
    pub fn from_array(array: &'a ArrayRef, name: &str) -> StorageResult<Self> {
        if let Some(plain) = array.as_any().downcast_ref::<StringArray>() {
            return Ok(TextColumn::Plain(plain));
        }
        if let Some(dictionary) = array.as_any().downcast_ref::<DictionaryArray<Int32Type>>()
            && let Some(values) = dictionary.values().as_any().downcast_ref::<StringArray>()
        {
            return Ok(TextColumn::Dictionary(dictionary, values));
        }
        Err(StorageError::corrupt(
            "record batch",
            format!("column {name} is not text"),
        ))
    }

    /// The value at `row`, `None` when null.
    pub fn get(&self, row: usize) -> Option<&'a str> {
        match self {
            TextColumn::Plain(array) => array.is_valid(row).then(|| array.value(row)),
            TextColumn::Dictionary(dictionary, values) => {
                let key = dictionary.keys();
                key.is_valid(row)
                    .then(|| values.value(key.value(row) as usize))
            }
        }
    }

    /// The value at `row`, empty when null.
    pub fn value(&self, row: usize) -> &'a str {
        self.get(row).unwrap_or_default()
    }
}

/// A Binary column, plain or dictionary-encoded.
#[derive(Debug, Clone, Copy)]
pub enum BytesColumn<'a> {
    /// Plain Binary.
    Plain(&'a BinaryArray),
    /// Dictionary with Binary values.
    Dictionary(&'a DictionaryArray<Int32Type>, &'a BinaryArray),
}

impl<'a> BytesColumn<'a> {
    /// Wraps the column `name` of `batch`.
    pub fn new(batch: &'a RecordBatch, name: &str) -> StorageResult<Self> {
        let array = column(batch, name)?;
        if let Some(plain) = array.as_any().downcast_ref::<BinaryArray>() {
            return Ok(BytesColumn::Plain(plain));
        }
        if let Some(dictionary) = array.as_any().downcast_ref::<DictionaryArray<Int32Type>>()
            && let Some(values) = dictionary.values().as_any().downcast_ref::<BinaryArray>()
        {
            return Ok(BytesColumn::Dictionary(dictionary, values));
        }
        Err(StorageError::corrupt(
            "record batch",
            format!("column {name} is not binary"),
        ))
    }

    /// The value at `row`, `None` when null.
    pub fn get(&self, row: usize) -> Option<&'a [u8]> {
        match self {
            BytesColumn::Plain(array) => array.is_valid(row).then(|| array.value(row)),
            BytesColumn::Dictionary(dictionary, values) => {
                let key = dictionary.keys();
                key.is_valid(row)
                    .then(|| values.value(key.value(row) as usize))
            }
        }
    }
}

/// The `service.name` string attribute of a resource, empty when absent.
pub fn service_name_of(resource: Option<&Resource>) -> &str {
    resource
        .and_then(|r| r.attributes.iter().find(|kv| kv.key == "service.name"))
        .and_then(|kv| kv.value.as_ref())
        .and_then(|v| match &v.value {
            Some(any_value::Value::StringValue(s)) => Some(s.as_str()),
            _ => None,
        })
        .unwrap_or("")
}

/// Builds the envelope columns: service name, resource blob and scope blob, each
/// dictionary-encoded since they repeat for every record of an envelope.
#[derive(Default)]
pub struct EnvelopeColumnsBuilder {
    service_name: StringDictionaryBuilder<Int32Type>,
    resource: BinaryDictionaryBuilder<Int32Type>,
    scope: BinaryDictionaryBuilder<Int32Type>,
}

impl EnvelopeColumnsBuilder {
    /// Appends one row.
    pub fn append(&mut self, service_name: &str, resource_blob: &[u8], scope_blob: &[u8]) {
        self.service_name.append_value(service_name);
        self.resource.append_value(resource_blob);
        self.scope.append_value(scope_blob);
    }

    /// The finished columns.
    pub fn finish(mut self) -> Vec<(Field, ArrayRef)> {
        vec![
            (
                dictionary_utf8_field(SERVICE_NAME_COLUMN, false),
                Arc::new(self.service_name.finish()),
            ),
            (
                dictionary_binary_field(RESOURCE_COLUMN),
                Arc::new(self.resource.finish()),
            ),
            (
                dictionary_binary_field(SCOPE_COLUMN),
                Arc::new(self.scope.finish()),
            ),
        ]
    }
}

/// Assembles a signal's batch: its fixed columns, then the envelope columns, then the attribute
/// columns. Arrays whose type differs only in inner field names (list builders name their item
/// field "item") are cast to the declared type.
pub fn finish_batch(
    mut fields: Vec<Field>,
    mut columns: Vec<ArrayRef>,
    envelope: EnvelopeColumnsBuilder,
    attributes: super::attributes::AttributeColumnsBuilder,
) -> StorageResult<arrow::record_batch::RecordBatch> {
    for (field, array) in envelope.finish().into_iter().chain(attributes.finish()) {
        fields.push(field);
        columns.push(array);
    }
    let columns = columns
        .into_iter()
        .zip(&fields)
        .map(|(array, field)| {
            if array.data_type() == field.data_type() {
                Ok(array)
            } else {
                Ok(arrow::compute::cast(&array, field.data_type())?)
            }
        })
        .collect::<StorageResult<Vec<_>>>()?;
    Ok(arrow::record_batch::RecordBatch::try_new(
        Arc::new(arrow::datatypes::Schema::new(fields)),
        columns,
    )?)
}

/// Reads the envelope columns of a batch.
#[derive(Debug, Clone, Copy)]
pub struct EnvelopeColumns<'a> {
    /// `service_name`.
    pub service_name: TextColumn<'a>,
    /// `resource` blobs.
    pub resource: BytesColumn<'a>,
    /// `scope` blobs.
    pub scope: BytesColumn<'a>,
}

impl<'a> EnvelopeColumns<'a> {
    /// Finds the envelope columns of `batch`.
    pub fn new(batch: &'a RecordBatch) -> StorageResult<Self> {
        Ok(Self {
            service_name: TextColumn::new(batch, SERVICE_NAME_COLUMN)?,
            resource: BytesColumn::new(batch, RESOURCE_COLUMN)?,
            scope: BytesColumn::new(batch, SCOPE_COLUMN)?,
        })
    }

    /// The resource blob of `row`.
    pub fn resource_blob(&self, row: usize) -> &'a [u8] {
        self.resource.get(row).unwrap_or_default()
    }

    /// The scope blob of `row`.
    pub fn scope_blob(&self, row: usize) -> &'a [u8] {
        self.scope.get(row).unwrap_or_default()
    }
}

/// An envelope (resource and scope with their schema URLs) decoded from blobs.
#[derive(Debug, Clone, PartialEq)]
pub struct DecodedEnvelope {
    /// The resource.
    pub resource: Option<Resource>,
    /// The resource envelope's schema URL.
    pub resource_schema_url: String,
    /// The scope.
    pub scope: Option<InstrumentationScope>,
    /// The scope envelope's schema URL.
    pub scope_schema_url: String,
}

impl DecodedEnvelope {
    /// Decodes a (resource blob, scope blob) pair.
    pub fn decode(resource_blob: &[u8], scope_blob: &[u8]) -> StorageResult<Self> {
        let resource = decode_resource(resource_blob)?;
        let scope = decode_scope(scope_blob)?;
        Ok(Self {
            resource: resource.resource,
            resource_schema_url: resource.schema_url,
            scope: scope.scope,
            scope_schema_url: scope.schema_url,
        })
    }
}

/// An item (span, log record, data point) with the encoded resource and scope it belongs to.
#[derive(Debug, Clone, PartialEq)]
pub struct Enveloped<T> {
    /// Resource blob.
    pub resource: Vec<u8>,
    /// Scope blob.
    pub scope: Vec<u8>,
    /// The item.
    pub item: T,
}

/// The items of one resource, grouped by scope blob.
#[derive(Debug, Clone, PartialEq)]
pub struct ResourceGroup<T> {
    /// Resource blob.
    pub resource: Vec<u8>,
    /// (scope blob, items), in first-seen order.
    pub scopes: Vec<(Vec<u8>, Vec<T>)>,
}

/// Groups items by resource, then scope, keeping first-seen order.
pub fn group_by_envelope<T>(items: Vec<Enveloped<T>>) -> Vec<ResourceGroup<T>> {
    let mut out: Vec<ResourceGroup<T>> = Vec::new();
    for Enveloped {
        resource,
        scope,
        item,
    } in items
    {
        let index = match out.iter().position(|group| group.resource == resource) {
            Some(index) => index,
            None => {
                out.push(ResourceGroup {
                    resource,
                    scopes: Vec::new(),
                });
                out.len() - 1
            }
        };
        let scopes = &mut out[index].scopes;
        match scopes.iter_mut().find(|(s, _)| *s == scope) {
            Some((_, list)) => list.push(item),
            None => scopes.push((scope, vec![item])),
        }
    }
    out
}
