//! Building the log index of a block's rows, as one bundle file.

use std::collections::HashMap;

use arrow::record_batch::RecordBatch;
use sightline_proto::otlp::common::v1::KeyValue;
use tantivy::directory::RamDirectory;
use tantivy::{Index, IndexSettings, IndexWriter, TantivyDocument};

use super::bundle::{CollectingDirectory, write_bundle};
use super::schema::{
    LONG_WORD_FLAG, LogFields, MAX_WORD_BYTES, WORDS_TOKENIZER, is_word_char, level_of, log_schema,
    loki_label_name, words_analyzer,
};
use crate::error::StorageResult;
use crate::rows::blobs::decode_resource;
use crate::rows::logs::{LogColumns, line_text, record_time};

/// Memory the index writer may buffer before it writes a segment.
const WRITER_MEMORY_BYTES: usize = 64 << 20;

/// `name=value` labels of `attributes` under Loki names.
fn attribute_labels(attributes: &[KeyValue], out: &mut Vec<String>) {
    for kv in attributes {
        if let Some(value) = &kv.value {
            out.push(format!(
                "{}={}",
                loki_label_name(&kv.key),
                line_text(Some(value))
            ));
        }
    }
}

/// True when `line` has a word too long to index.
fn has_long_word(line: &str) -> bool {
    let mut run = 0usize;
    for c in line.chars() {
        if is_word_char(c) {
            run += c.len_utf8();
            if run > MAX_WORD_BYTES {
                return true;
            }
        } else {
            run = 0;
        }
    }
    false
}

fn document(
    columns: &LogColumns<'_>,
    row: usize,
    fields: &LogFields,
    resource_labels: &mut HashMap<Vec<u8>, Vec<String>>,
) -> StorageResult<TantivyDocument> {
    let record = columns.record(row)?;
    let mut doc = TantivyDocument::default();
    let line = line_text(record.body.as_ref());
    if has_long_word(&line) {
        doc.add_text(fields.flags, LONG_WORD_FLAG);
    }
    doc.add_text(fields.body, &line);
    let blob = columns.envelope.resource_blob(row);
    if !resource_labels.contains_key(blob) {
        let mut labels = Vec::new();
        if let Some(resource) = decode_resource(blob)?.resource {
            attribute_labels(&resource.attributes, &mut labels);
        }
        resource_labels.insert(blob.to_vec(), labels);
    }
    for label in &resource_labels[blob] {
        doc.add_text(fields.label, label);
    }
    doc.add_text(
        fields.label,
        format!("service_name={}", columns.envelope.service_name.value(row)),
    );
    doc.add_text(
        fields.label,
        format!(
            "level={}",
            level_of(&record.severity_text, record.severity_number)
        ),
    );
    let mut labels = Vec::new();
    attribute_labels(&record.attributes, &mut labels);
    for label in labels {
        doc.add_text(fields.label, label);
    }
    if !record.trace_id.is_empty() {
        doc.add_text(fields.trace_id, hex::encode(&record.trace_id));
    }
    if !record.span_id.is_empty() {
        doc.add_text(fields.span_id, hex::encode(&record.span_id));
    }
    doc.add_u64(fields.time, record_time(&record));
    doc.add_u64(fields.row, row as u64);
    Ok(doc)
}

/// The log index of every row of a logs block batch (in its final row order), bundled. CPU-heavy:
/// call from a blocking thread.
pub fn build_log_index(batch: &RecordBatch) -> StorageResult<Vec<u8>> {
    let (schema, fields) = log_schema();
    let ram = RamDirectory::create();
    let index = Index::create(ram.clone(), schema, IndexSettings::default())?;
    index
        .tokenizers()
        .register(WORDS_TOKENIZER, words_analyzer());
    let mut writer: IndexWriter<TantivyDocument> =
        index.writer_with_num_threads(1, WRITER_MEMORY_BYTES)?;
    let columns = LogColumns::new(batch)?;
    let mut resource_labels = HashMap::new();
    for row in 0..batch.num_rows() {
        writer.add_document(document(&columns, row, &fields, &mut resource_labels)?)?;
    }
    writer.commit()?;
    let segments = index.searchable_segment_ids()?;
    if segments.len() > 1 {
        writer.merge(&segments).wait()?;
    }
    writer.wait_merging_threads()?;
    let writer: IndexWriter<TantivyDocument> = index.writer_with_num_threads(1, 15 << 20)?;
    writer.garbage_collect_files().wait()?;
    drop(writer);
    let collected = CollectingDirectory::default();
    ram.persist(&collected)?;
    Ok(write_bundle(&collected.into_files()))
}
