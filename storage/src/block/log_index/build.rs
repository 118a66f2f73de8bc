//! Building the log index of a block's rows, as one bundle file.

use arrow::record_batch::RecordBatch;
use tantivy::directory::RamDirectory;
use tantivy::store::Compressor;
use tantivy::{Index, IndexSettings, IndexWriter, TantivyDocument};

use super::bundle::{CollectingDirectory, write_bundle};
use super::labels::RowLabeler;
use super::schema::{
    LONG_WORD_FLAG, LogFields, MAX_WORD_BYTES, SPAN_PREFIX_HEX, WORDS_TOKENIZER, is_word_char,
    log_schema, words_analyzer,
};
use crate::error::StorageResult;
use crate::rows::logs::{LogColumns, line_text, record_time};

/// Memory the index writer may buffer before it writes a segment. Fewer segments mean less
/// merging: on a block of a million generated lines, 64 MiB indexed 78k rows per CPU-second,
/// 128 MiB 108k (`sightline-bench logs`).
const WRITER_MEMORY_BYTES: usize = 128 << 20;

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
    labeler: &mut RowLabeler,
) -> StorageResult<TantivyDocument> {
    let record = columns.record(row)?;
    let mut doc = TantivyDocument::default();
    let line = line_text(record.body.as_ref());
    if has_long_word(&line) {
        doc.add_text(fields.flags, LONG_WORD_FLAG);
    }
    doc.add_text(fields.body, &line);
    let labels = labeler.labels(
        columns.envelope.resource_blob(row),
        columns.envelope.service_name.value(row),
        &record.severity_text,
        record.severity_number,
        &record.attributes,
    )?;
    for label in labels {
        doc.add_text(fields.label, format!("{}={}", label.name, label.value));
    }
    if !record.trace_id.is_empty() {
        doc.add_text(fields.trace_id, hex::encode(&record.trace_id));
    }
    if record.span_id.len() >= SPAN_PREFIX_HEX / 2
        && let Some(field) = fields.span_prefix
    {
        doc.add_text(field, hex::encode(&record.span_id[..SPAN_PREFIX_HEX / 2]));
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
    let settings = IndexSettings {
        docstore_compression: Compressor::Lz4,
        ..IndexSettings::default()
    };
    let index = Index::create(ram.clone(), schema, settings)?;
    index
        .tokenizers()
        .register(WORDS_TOKENIZER, words_analyzer());
    let mut writer: IndexWriter<TantivyDocument> =
        index.writer_with_num_threads(1, WRITER_MEMORY_BYTES)?;
    let columns = LogColumns::new(batch)?;
    let mut labeler = RowLabeler::default();
    for row in 0..batch.num_rows() {
        writer.add_document(document(&columns, row, &fields, &mut labeler)?)?;
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
