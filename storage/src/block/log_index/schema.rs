//! The fields of the log index.
//!
//! - `body`: the line's words (maximal runs of alphanumeric characters, case kept), doc ids
//!   only. Lines with a word longer than [`MAX_WORD_BYTES`] get the `flags` term `long`, since
//!   such words are not indexed.
//! - `label`: `name=value` for every label a line has: `service_name`, `level` (the severity
//!   text, or the severity number's name), every resource and log attribute under its Loki name.
//! - `trace_id`, `span_id`: lower-case hex.
//! - `time`: unix nanoseconds, indexed and fast; `row`: the Parquet row, fast.

use tantivy::schema::{
    FAST, Field, INDEXED, IndexRecordOption, STRING, Schema, TextFieldIndexing, TextOptions,
};
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
    /// Line markers ([`LONG_WORD_FLAG`]).
    pub flags: Field,
    /// Unix nanoseconds.
    pub time: Field,
    /// Parquet row number.
    pub row: Field,
}

/// The schema and its fields.
pub fn log_schema() -> (Schema, LogFields) {
    let mut builder = Schema::builder();
    let words = TextOptions::default().set_indexing_options(
        TextFieldIndexing::default()
            .set_tokenizer(WORDS_TOKENIZER)
            .set_index_option(IndexRecordOption::Basic),
    );
    let fields = LogFields {
        body: builder.add_text_field("body", words),
        label: builder.add_text_field("label", STRING),
        trace_id: builder.add_text_field("trace_id", STRING),
        span_id: builder.add_text_field("span_id", STRING),
        flags: builder.add_text_field("flags", STRING),
        time: builder.add_u64_field("time", INDEXED | FAST),
        row: builder.add_u64_field("row", FAST),
    };
    (builder.build(), fields)
}

/// The fields of a schema built by [`log_schema`].
pub fn fields_of(schema: &Schema) -> tantivy::Result<LogFields> {
    Ok(LogFields {
        body: schema.get_field("body")?,
        label: schema.get_field("label")?,
        trace_id: schema.get_field("trace_id")?,
        span_id: schema.get_field("span_id")?,
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

/// The `level` label of a record: its severity text, else the name of its severity number's
/// range (`trace`, `debug`, `info`, `warn`, `error`, `fatal`), else `unknown`.
pub fn level_of(severity_text: &str, severity_number: i32) -> String {
    if !severity_text.is_empty() {
        return severity_text.to_ascii_lowercase();
    }
    match severity_number {
        1..=4 => "trace",
        5..=8 => "debug",
        9..=12 => "info",
        13..=16 => "warn",
        17..=20 => "error",
        21..=24 => "fatal",
        _ => "unknown",
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
    }
}
