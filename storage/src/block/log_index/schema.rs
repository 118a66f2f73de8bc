//! The fields of the log index.
//!
//! - `body`: the line's words (maximal runs of alphanumeric characters, case kept), doc ids
//!   only. Lines with a word longer than [`MAX_WORD_BYTES`] get the `flags` term `long`, since
//!   such words are not indexed.
//! - `label`: `name=value` for every label a line has: `service_name`, `level` (the severity
//!   text, or the severity number's name), every resource and log attribute under its Loki name.
//! - `trace_id`: lower-case hex.
//! - `span_prefix`: the first [`SPAN_PREFIX_HEX`] hex digits of the span id. Span ids are
//!   unique per line: indexed whole they doubled the index; a 16-bit prefix keeps the term
//!   dictionary at most 65536 terms and still narrows a span's lines to about 1/65536 of a
//!   block, which are then checked exactly. `span_id` stays in the schema, unindexed.
//! - `time`: unix nanoseconds, a fast field (range filters read it column-wise);
//!   `row`: the Parquet row, fast.
//!
//! No field stores fieldnorms (nothing is scored) and no document stores fields. Indexes of
//! blocks written before this layout index `time` and the whole `span_id` and have no
//! `span_prefix`; readers look at the stored schema ([`SpanIdIndexing`]) rather than assume.

use tantivy::schema::{FAST, Field, IndexRecordOption, Schema, TextFieldIndexing, TextOptions};
use tantivy::tokenizer::{SimpleTokenizer, TextAnalyzer};

/// The tokenizer of `body`.
pub const WORDS_TOKENIZER: &str = "sightline_words";

/// Words longer than this many bytes are not indexed; their lines are flagged instead.
pub const MAX_WORD_BYTES: usize = 255;

/// The `flags` term of lines with a word too long to index.
pub const LONG_WORD_FLAG: &str = "long";

/// The index's fields.
#[derive(Debug, Clone, Copy)]
pub struct LogFields {
    /// Words of the line.
    pub body: Field,
    /// `name=value` labels.
    pub label: Field,
    /// Trace id, hex.
    pub trace_id: Field,
    /// Span id, hex.
    pub span_id: Field,
    /// Span id prefix, hex (absent from older indexes).
    pub span_prefix: Option<Field>,
    /// Line markers ([`LONG_WORD_FLAG`]).
    pub flags: Field,
    /// Unix nanoseconds.
    pub time: Field,
    /// Parquet row number.
    pub row: Field,
}

/// Options of an untokenized, unscored text field (doc ids only).
fn raw_terms() -> TextOptions {
    TextOptions::default().set_indexing_options(
        TextFieldIndexing::default()
            .set_tokenizer("raw")
            .set_index_option(IndexRecordOption::Basic)
            .set_fieldnorms(false),
    )
}

/// The schema and its fields.
pub fn log_schema() -> (Schema, LogFields) {
    let mut builder = Schema::builder();
    let words = TextOptions::default().set_indexing_options(
        TextFieldIndexing::default()
            .set_tokenizer(WORDS_TOKENIZER)
            .set_index_option(IndexRecordOption::Basic)
            .set_fieldnorms(false),
    );
    let fields = LogFields {
        body: builder.add_text_field("body", words),
        label: builder.add_text_field("label", raw_terms()),
        trace_id: builder.add_text_field("trace_id", raw_terms()),
        span_id: builder.add_text_field("span_id", TextOptions::default()),
        span_prefix: Some(builder.add_text_field("span_prefix", raw_terms())),
        flags: builder.add_text_field("flags", raw_terms()),
        time: builder.add_u64_field("time", FAST),
        row: builder.add_u64_field("row", FAST),
    };
    (builder.build(), fields)
}

/// Hex digits of the span id indexed in `span_prefix`.
pub const SPAN_PREFIX_HEX: usize = 4;

/// How an index finds span ids.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SpanIdIndexing {
    /// By the `span_prefix` term of the id's first [`SPAN_PREFIX_HEX`] hex digits.
    Prefix(Field),
    /// By the whole id in `span_id` (indexes of older blocks).
    Whole(Field),
    /// Not at all.
    None,
}

/// How the index with this schema finds span ids.
pub fn span_id_indexing(schema: &Schema, fields: &LogFields) -> SpanIdIndexing {
    match fields.span_prefix {
        Some(field) => SpanIdIndexing::Prefix(field),
        None if schema.get_field_entry(fields.span_id).is_indexed() => {
            SpanIdIndexing::Whole(fields.span_id)
        }
        None => SpanIdIndexing::None,
    }
}

/// The fields of a schema built by [`log_schema`].
pub fn fields_of(schema: &Schema) -> tantivy::Result<LogFields> {
    Ok(LogFields {
        body: schema.get_field("body")?,
        label: schema.get_field("label")?,
        trace_id: schema.get_field("trace_id")?,
        span_id: schema.get_field("span_id")?,
        span_prefix: schema.get_field("span_prefix").ok(),
        flags: schema.get_field("flags")?,
        time: schema.get_field("time")?,
        row: schema.get_field("row")?,
    })
}

/// The analyzer of `body`: words split on anything not alphanumeric, case kept.
pub fn words_analyzer() -> TextAnalyzer {
    TextAnalyzer::from(SimpleTokenizer::default())
}

/// True for the characters words are made of (as [`SimpleTokenizer`] splits).
pub fn is_word_char(c: char) -> bool {
    c.is_alphanumeric()
}

/// Loki's name for an OpenTelemetry attribute key: every character other than ASCII letters,
/// digits and `_` becomes `_`, and a leading digit gets a `_` prefix (`k8s.pod.name` ->
/// `k8s_pod_name`, `service.name` -> `service_name`).
pub fn loki_label_name(key: &str) -> String {
    let mut name: String = key
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if name.starts_with(|c: char| c.is_ascii_digit()) {
        name.insert(0, '_');
    }
    name
}

/// The `level` label of a record, normalized as Loki detects levels: the range of its severity
/// number (`trace`, `debug`, `info`, `warn`, `error`, `fatal`) when set, else its severity text
/// lower-cased with common spellings folded (`Information` -> `info`, `WARNING` -> `warn`,
/// `err` -> `error`, `critical` -> `fatal`, ...), else `unknown`.
pub fn level_of(severity_text: &str, severity_number: i32) -> String {
    let by_number = match severity_number {
        1..=4 => "trace",
        5..=8 => "debug",
        9..=12 => "info",
        13..=16 => "warn",
        17..=20 => "error",
        21..=24 => "fatal",
        _ => "",
    };
    if !by_number.is_empty() {
        return by_number.to_string();
    }
    let text = severity_text.trim().to_ascii_lowercase();
    match text.as_str() {
        "" => "unknown",
        "trc" | "trace" => "trace",
        "dbg" | "debug" => "debug",
        "inf" | "info" | "information" | "informational" | "notice" => "info",
        "wrn" | "warn" | "warning" => "warn",
        "err" | "eror" | "error" => "error",
        "crit" | "critical" | "fatal" | "panic" | "emerg" | "emergency" | "alert" => "fatal",
        _ => return text,
    }
    .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loki_names_and_levels() {
        assert_eq!(loki_label_name("service.name"), "service_name");
        assert_eq!(loki_label_name("k8s.pod.name"), "k8s_pod_name");
        assert_eq!(loki_label_name("http-route/v2"), "http_route_v2");
        assert_eq!(loki_label_name("1st"), "_1st");
        assert_eq!(level_of("ERROR", 17), "error");
        assert_eq!(level_of("", 10), "info");
        assert_eq!(level_of("", 0), "unknown");
        assert_eq!(level_of("Information", 9), "info");
        assert_eq!(level_of("Information", 0), "info");
        assert_eq!(level_of("WARNING", 0), "warn");
        assert_eq!(level_of("CRITICAL", 0), "fatal");
        assert_eq!(level_of("Custom", 0), "custom");
        assert_eq!(level_of("custom", 21), "fatal");
    }
}

#[cfg(test)]
mod golden {
    use super::*;

    /// The index schema is part of the on-disk format: a change shows up here, and readers must
    /// keep handling the layouts already written (see [`SpanIdIndexing`]).
    #[test]
    fn schema_matches_the_golden_file() {
        let (schema, fields) = log_schema();
        let json = serde_json::to_vec_pretty(&schema).unwrap();
        let golden = crate::test_fixtures::golden_file("log-index-schema-v2.json", || json.clone());
        assert_eq!(
            String::from_utf8(json).unwrap(),
            String::from_utf8(golden).unwrap()
        );
        assert!(matches!(
            span_id_indexing(&schema, &fields),
            SpanIdIndexing::Prefix(_)
        ));
        assert!(!schema.get_field_entry(fields.time).is_indexed());
        assert!(schema.get_field_entry(fields.time).is_fast());
    }
}
