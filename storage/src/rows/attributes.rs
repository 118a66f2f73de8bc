//! Attribute columns: OTLP key/values stored as one typed Arrow column per (key, value type).
//!
//! A span's `http.route = "/cart"` lands in the Utf8 column `a:s:http.route`, an integer in
//! `a:i:<key>`, a double in `a:d:<key>`, a bool in `a:b:<key>`; bytes, arrays, kvlists and empty
//! values are kept as an encoded protobuf `AnyValue` in `a:x:<key>`. Rows without the key hold
//! null. This makes a filter on one attribute read one column, and it compresses like a
//! hand-written schema. Key/values that cannot take a column (beyond the column cap, a duplicate
//! key in one list, a value-less `KeyValue`, or a `key_strindex`) go, encoded, into the overflow
//! column `attrs_other`, so nothing is lost. Attribute order is not kept: OTLP attributes are a
//! map with unique keys, and they come back sorted by column name.

use std::collections::HashMap;
use std::sync::Arc;

use arrow::array::{
    Array, ArrayBuilder, ArrayRef, BinaryArray, BinaryBuilder, BooleanArray, BooleanBuilder,
    Float64Array, Float64Builder, Int64Array, Int64Builder, StringArray, StringBuilder,
};
use arrow::datatypes::{DataType, Field};
use prost::Message;
use sightline_proto::otlp::common::v1::{AnyValue, KeyValue, any_value};

use super::blobs::{KeyValueBlob, encode_repeated};
use crate::error::StorageResult;

/// Prefix of every attribute column name.
pub const ATTRIBUTE_COLUMN_PREFIX: &str = "a:";

/// Name of the column holding key/values without a typed column.
pub const OVERFLOW_COLUMN: &str = "attrs_other";

/// Default cap on typed attribute columns per batch or block.
pub const DEFAULT_MAX_ATTRIBUTE_COLUMNS: usize = 256;

/// The value type of an attribute column.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Debug)]
pub enum AttributeKind {
    /// `stringValue` -> Utf8.
    Str,
    /// `intValue` -> Int64.
    Int,
    /// `doubleValue` -> Float64.
    Double,
    /// `boolValue` -> Boolean.
    Bool,
    /// Anything else (bytes, array, kvlist, empty) -> Binary holding an encoded `AnyValue`.
    Any,
}

impl AttributeKind {
    const ALL: [AttributeKind; 5] = [
        AttributeKind::Str,
        AttributeKind::Int,
        AttributeKind::Double,
        AttributeKind::Bool,
        AttributeKind::Any,
    ];

    fn tag(self) -> char {
        match self {
            AttributeKind::Str => 's',
            AttributeKind::Int => 'i',
            AttributeKind::Double => 'd',
            AttributeKind::Bool => 'b',
            AttributeKind::Any => 'x',
        }
    }

    fn from_tag(tag: char) -> Option<Self> {
        AttributeKind::ALL.into_iter().find(|k| k.tag() == tag)
    }

    fn index(self) -> usize {
        self as usize
    }

    /// The Arrow type of a column of this kind.
    pub fn data_type(self) -> DataType {
        match self {
            AttributeKind::Str => DataType::Utf8,
            AttributeKind::Int => DataType::Int64,
            AttributeKind::Double => DataType::Float64,
            AttributeKind::Bool => DataType::Boolean,
            AttributeKind::Any => DataType::Binary,
        }
    }

    /// The kind a value is stored as.
    pub fn of(value: &AnyValue) -> AttributeKind {
        match &value.value {
            Some(any_value::Value::StringValue(_)) => AttributeKind::Str,
            Some(any_value::Value::IntValue(_)) => AttributeKind::Int,
            Some(any_value::Value::DoubleValue(_)) => AttributeKind::Double,
            Some(any_value::Value::BoolValue(_)) => AttributeKind::Bool,
            _ => AttributeKind::Any,
        }
    }
}

/// The column name for attribute `key` of `kind`, e.g. `a:s:http.route`.
pub fn attribute_column_name(kind: AttributeKind, key: &str) -> String {
    format!("{ATTRIBUTE_COLUMN_PREFIX}{}:{key}", kind.tag())
}

/// Splits an attribute column name into kind and key; `None` for other columns.
pub fn parse_attribute_column_name(name: &str) -> Option<(AttributeKind, &str)> {
    let rest = name.strip_prefix(ATTRIBUTE_COLUMN_PREFIX)?;
    let mut chars = rest.chars();
    let kind = AttributeKind::from_tag(chars.next()?)?;
    let key = chars.as_str().strip_prefix(':')?;
    Some((kind, key))
}

/// The Arrow field of an attribute column.
pub fn attribute_field(kind: AttributeKind, key: &str) -> Field {
    Field::new(attribute_column_name(kind, key), kind.data_type(), true)
}

/// The Arrow field of the overflow column.
pub fn overflow_field() -> Field {
    Field::new(OVERFLOW_COLUMN, DataType::Binary, true)
}

enum TypedBuilder {
    Str(StringBuilder),
    Int(Int64Builder),
    Double(Float64Builder),
    Bool(BooleanBuilder),
    Any(BinaryBuilder),
}

impl TypedBuilder {
    fn new(kind: AttributeKind, rows: usize) -> Self {
        match kind {
            AttributeKind::Str => TypedBuilder::Str(StringBuilder::with_capacity(rows, rows * 8)),
            AttributeKind::Int => TypedBuilder::Int(Int64Builder::with_capacity(rows)),
            AttributeKind::Double => TypedBuilder::Double(Float64Builder::with_capacity(rows)),
            AttributeKind::Bool => TypedBuilder::Bool(BooleanBuilder::with_capacity(rows)),
            AttributeKind::Any => TypedBuilder::Any(BinaryBuilder::with_capacity(rows, 0)),
        }
    }

    fn len(&self) -> usize {
        match self {
            TypedBuilder::Str(b) => b.len(),
            TypedBuilder::Int(b) => b.len(),
            TypedBuilder::Double(b) => b.len(),
            TypedBuilder::Bool(b) => b.len(),
            TypedBuilder::Any(b) => b.len(),
        }
    }

    fn pad_to(&mut self, rows: usize) {
        let missing = rows - self.len();
        if missing == 0 {
            return;
        }
        match self {
            TypedBuilder::Str(b) => b.append_nulls(missing),
            TypedBuilder::Int(b) => b.append_nulls(missing),
            TypedBuilder::Double(b) => b.append_nulls(missing),
            TypedBuilder::Bool(b) => b.append_nulls(missing),
            TypedBuilder::Any(b) => b.append_nulls(missing),
        }
    }

    fn append(&mut self, value: &AnyValue) {
        match (self, &value.value) {
            (TypedBuilder::Str(b), Some(any_value::Value::StringValue(v))) => b.append_value(v),
            (TypedBuilder::Int(b), Some(any_value::Value::IntValue(v))) => b.append_value(*v),
            (TypedBuilder::Double(b), Some(any_value::Value::DoubleValue(v))) => b.append_value(*v),
            (TypedBuilder::Bool(b), Some(any_value::Value::BoolValue(v))) => b.append_value(*v),
            (TypedBuilder::Any(b), _) => b.append_value(value.encode_to_vec()),
            _ => unreachable!("attribute routed to a column of another kind"),
        }
    }

    fn finish(&mut self) -> ArrayRef {
        match self {
            TypedBuilder::Str(b) => Arc::new(b.finish()),
            TypedBuilder::Int(b) => Arc::new(b.finish()),
            TypedBuilder::Double(b) => Arc::new(b.finish()),
            TypedBuilder::Bool(b) => Arc::new(b.finish()),
            TypedBuilder::Any(b) => Arc::new(b.finish()),
        }
    }
}

const NO_COLUMN: u32 = u32::MAX;

/// Builds attribute columns row by row.
pub struct AttributeColumnsBuilder {
    slots: HashMap<String, [u32; 5], ahash::RandomState>,
    columns: Vec<(AttributeKind, String, TypedBuilder)>,
    overflow: BinaryBuilder,
    row_overflow: Vec<KeyValue>,
    rows: usize,
    max_columns: usize,
    capacity: usize,
}

impl AttributeColumnsBuilder {
    /// A builder for about `rows` rows creating at most `max_columns` typed columns.
    pub fn with_capacity(rows: usize, max_columns: usize) -> Self {
        Self {
            capacity: rows,
            slots: HashMap::default(),
            columns: Vec::new(),
            overflow: BinaryBuilder::with_capacity(rows, 0),
            row_overflow: Vec::new(),
            rows: 0,
            max_columns,
        }
    }

    /// Rows appended so far.
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// Appends one row's key/values.
    pub fn append_row(&mut self, attributes: &[KeyValue]) {
        for attribute in attributes {
            if !self.try_append_typed(attribute) {
                self.row_overflow.push(attribute.clone());
            }
        }
        if self.row_overflow.is_empty() {
            self.overflow.append_null();
        } else {
            self.overflow
                .append_value(encode_repeated(&self.row_overflow));
            self.row_overflow.clear();
        }
        self.rows += 1;
    }

    fn try_append_typed(&mut self, attribute: &KeyValue) -> bool {
        let Some(value) = &attribute.value else {
            return false;
        };
        if attribute.key_strindex != 0 {
            return false;
        }
        let kind = AttributeKind::of(value);
        let index = match self.slots.get(attribute.key.as_str()) {
            Some(slots) if slots[kind.index()] != NO_COLUMN => slots[kind.index()] as usize,
            _ => {
                if self.columns.len() >= self.max_columns {
                    return false;
                }
                let index = self.columns.len();
                self.columns.push((
                    kind,
                    attribute.key.clone(),
                    TypedBuilder::new(kind, self.capacity),
                ));
                self.slots
                    .entry(attribute.key.clone())
                    .or_insert([NO_COLUMN; 5])[kind.index()] = index as u32;
                index
            }
        };
        let builder = &mut self.columns[index].2;
        if builder.len() > self.rows {
            // The same key twice in one list: keep the second copy in the overflow column.
            return false;
        }
        builder.pad_to(self.rows);
        builder.append(value);
        true
    }

    /// Finishes the columns, sorted by name, with the overflow column last.
    pub fn finish(mut self) -> Vec<(Field, ArrayRef)> {
        let rows = self.rows;
        let mut out: Vec<(Field, ArrayRef)> = self
            .columns
            .iter_mut()
            .map(|(kind, key, builder)| {
                builder.pad_to(rows);
                (attribute_field(*kind, key), builder.finish())
            })
            .collect();
        out.sort_by(|a, b| a.0.name().cmp(b.0.name()));
        out.push((overflow_field(), Arc::new(self.overflow.finish())));
        out
    }
}

/// One typed attribute column of a batch, ready for reading.
#[derive(Debug, Clone)]
pub struct AttributeColumn {
    /// The attribute key.
    pub key: String,
    /// The value type.
    pub kind: AttributeKind,
    /// The column.
    pub array: ArrayRef,
}

impl AttributeColumn {
    /// The value at `row`, or `None` when the row has no such attribute.
    pub fn value(&self, row: usize) -> StorageResult<Option<AnyValue>> {
        if self.array.is_null(row) {
            return Ok(None);
        }
        let any = self.array.as_any();
        let value = match self.kind {
            AttributeKind::Str => {
                any_value::Value::StringValue(downcast::<StringArray>(any).value(row).to_string())
            }
            AttributeKind::Int => {
                any_value::Value::IntValue(downcast::<Int64Array>(any).value(row))
            }
            AttributeKind::Double => {
                any_value::Value::DoubleValue(downcast::<Float64Array>(any).value(row))
            }
            AttributeKind::Bool => {
                any_value::Value::BoolValue(downcast::<BooleanArray>(any).value(row))
            }
            AttributeKind::Any => {
                return Ok(Some(AnyValue::decode(
                    downcast::<BinaryArray>(any).value(row),
                )?));
            }
        };
        Ok(Some(AnyValue { value: Some(value) }))
    }
}

fn downcast<T: 'static>(any: &dyn std::any::Any) -> &T {
    any.downcast_ref::<T>()
        .expect("attribute column has the type its name declares")
}

/// The attribute columns of a batch, for turning rows back into key/values.
#[derive(Debug, Clone, Default)]
pub struct AttributeColumns {
    columns: Vec<AttributeColumn>,
    overflow: Option<BinaryArray>,
}

impl AttributeColumns {
    /// The attribute and overflow columns of `batch`.
    pub fn of_batch(batch: &arrow::record_batch::RecordBatch) -> Self {
        Self::from_columns(
            batch
                .schema_ref()
                .fields()
                .iter()
                .map(|f| f.as_ref())
                .zip(batch.columns()),
        )
    }

    /// Finds the attribute and overflow columns among `fields`/`arrays` (a batch's schema and
    /// columns).
    pub fn from_columns<'a>(columns: impl IntoIterator<Item = (&'a Field, &'a ArrayRef)>) -> Self {
        let mut out = AttributeColumns::default();
        for (field, array) in columns {
            if field.name() == OVERFLOW_COLUMN {
                out.overflow = array.as_any().downcast_ref::<BinaryArray>().cloned();
            } else if let Some((kind, key)) = parse_attribute_column_name(field.name())
                && array.data_type() == &kind.data_type()
            {
                out.columns.push(AttributeColumn {
                    key: key.to_string(),
                    kind,
                    array: Arc::clone(array),
                });
            }
        }
        out
    }

    /// The typed columns.
    pub fn columns(&self) -> &[AttributeColumn] {
        &self.columns
    }

    /// Rebuilds the key/values of `row`.
    pub fn row(&self, row: usize) -> StorageResult<Vec<KeyValue>> {
        let mut out = Vec::new();
        for column in &self.columns {
            if let Some(value) = column.value(row)? {
                out.push(KeyValue {
                    key: column.key.clone(),
                    value: Some(value),
                    key_strindex: 0,
                });
            }
        }
        if let Some(overflow) = &self.overflow
            && overflow.is_valid(row)
        {
            out.extend(KeyValueBlob::decode(overflow.value(row))?.values);
        }
        Ok(out)
    }
}

/// Moves the attribute columns named in `demote` into the overflow column, row by row, so a
/// block can cap its column count without losing values.
pub fn demote_to_overflow(
    batch: &arrow::record_batch::RecordBatch,
    demote: &std::collections::HashSet<String>,
) -> StorageResult<arrow::record_batch::RecordBatch> {
    let schema = batch.schema();
    let demoted = AttributeColumns::from_columns(
        schema
            .fields()
            .iter()
            .zip(batch.columns())
            .filter(|(field, _)| demote.contains(field.name()))
            .map(|(field, array)| (field.as_ref(), array)),
    );
    if demoted.columns.is_empty() {
        return Ok(batch.clone());
    }
    let existing = batch
        .column_by_name(OVERFLOW_COLUMN)
        .and_then(|a| a.as_any().downcast_ref::<BinaryArray>().cloned());
    let mut overflow = BinaryBuilder::new();
    for row in 0..batch.num_rows() {
        let mut values = match &existing {
            Some(array) if array.is_valid(row) => KeyValueBlob::decode(array.value(row))?.values,
            _ => Vec::new(),
        };
        for column in &demoted.columns {
            if let Some(value) = column.value(row)? {
                values.push(KeyValue {
                    key: column.key.clone(),
                    value: Some(value),
                    key_strindex: 0,
                });
            }
        }
        if values.is_empty() {
            overflow.append_null();
        } else {
            overflow.append_value(encode_repeated(&values));
        }
    }
    let overflow: ArrayRef = Arc::new(overflow.finish());
    let mut fields = Vec::new();
    let mut columns = Vec::new();
    for (field, array) in schema.fields().iter().zip(batch.columns()) {
        if demote.contains(field.name()) || field.name() == OVERFLOW_COLUMN {
            continue;
        }
        fields.push(field.as_ref().clone());
        columns.push(Arc::clone(array));
    }
    fields.push(overflow_field());
    columns.push(overflow);
    Ok(arrow::record_batch::RecordBatch::try_new(
        Arc::new(arrow::datatypes::Schema::new(fields)),
        columns,
    )?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kv(key: &str, value: any_value::Value) -> KeyValue {
        KeyValue {
            key: key.into(),
            value: Some(AnyValue { value: Some(value) }),
            key_strindex: 0,
        }
    }

    fn round_trip(rows: &[Vec<KeyValue>], max_columns: usize) -> Vec<Vec<KeyValue>> {
        let mut builder = AttributeColumnsBuilder::with_capacity(rows.len(), max_columns);
        for row in rows {
            builder.append_row(row);
        }
        let columns = builder.finish();
        let reader = AttributeColumns::from_columns(columns.iter().map(|(f, a)| (f, a)));
        (0..rows.len())
            .map(|row| reader.row(row).unwrap())
            .collect()
    }

    fn sorted(mut kvs: Vec<KeyValue>) -> Vec<KeyValue> {
        kvs.sort_by(|a, b| {
            a.key
                .cmp(&b.key)
                .then(format!("{a:?}").cmp(&format!("{b:?}")))
        });
        kvs
    }

    #[test]
    fn every_value_type_round_trips() {
        use any_value::Value::*;
        let nested = AnyValue {
            value: Some(KvlistValue(
                sightline_proto::otlp::common::v1::KeyValueList {
                    values: vec![kv("inner", ArrayValue(Default::default()))],
                },
            )),
        };
        let rows = vec![
            vec![
                kv("s", StringValue("x".into())),
                kv("i", IntValue(-3)),
                kv("d", DoubleValue(f64::NAN)),
                kv("b", BoolValue(false)),
                kv("bytes", BytesValue(vec![0, 1, 2])),
                KeyValue {
                    key: "nested".into(),
                    value: Some(nested),
                    key_strindex: 0,
                },
                KeyValue {
                    key: "empty".into(),
                    value: Some(AnyValue { value: None }),
                    key_strindex: 0,
                },
                KeyValue {
                    key: "valueless".into(),
                    value: None,
                    key_strindex: 0,
                },
                kv("i", IntValue(4)),
            ],
            vec![],
            vec![kv("s", IntValue(5)), kv("strindex", IntValue(1))],
        ];
        let mut rows = rows;
        rows[2][1].key_strindex = 9;
        let back = round_trip(&rows, 256);
        for (original, back) in rows.iter().zip(back) {
            // NaN != NaN, so compare the debug rendering.
            assert_eq!(
                format!("{:?}", sorted(original.clone())),
                format!("{:?}", sorted(back))
            );
        }
    }

    #[test]
    fn columns_beyond_the_cap_overflow_losslessly() {
        let rows: Vec<Vec<KeyValue>> = (0..10)
            .map(|i| {
                vec![
                    kv(&format!("k{i}"), any_value::Value::IntValue(i)),
                    kv("common", any_value::Value::BoolValue(true)),
                ]
            })
            .collect();
        let back = round_trip(&rows, 3);
        for (original, back) in rows.iter().zip(back) {
            assert_eq!(sorted(original.clone()), sorted(back));
        }
    }

    #[test]
    fn column_names_parse() {
        let name = attribute_column_name(AttributeKind::Str, "http.route");
        assert_eq!(name, "a:s:http.route");
        assert_eq!(
            parse_attribute_column_name(&name),
            Some((AttributeKind::Str, "http.route"))
        );
        assert_eq!(
            parse_attribute_column_name("a:x:a:b"),
            Some((AttributeKind::Any, "a:b"))
        );
        assert_eq!(parse_attribute_column_name("name"), None);
        assert_eq!(parse_attribute_column_name("a:q:x"), None);
    }
}
