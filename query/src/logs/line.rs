//! A log line as the query side sees it: time, text, labels (stream labels and structured
//! metadata under Loki names), trace and span ids.

use sightline_logql::Labels;
use sightline_storage::StorageResult;
use sightline_storage::block::log_index::{LabelKind, LogIndexQuery, RowLabel, RowLabeler};
use sightline_storage::rows::logs::{LogColumns, line_text, record_time};

/// One log line.
#[derive(Debug, Clone, PartialEq)]
pub struct LogLine {
    /// Record time (or observed time when unset), unix nanoseconds.
    pub time: u64,
    /// The line's text.
    pub line: String,
    /// Labels: stream labels and structured metadata.
    pub labels: Vec<RowLabel>,
    /// Trace id, when the record has one.
    pub trace_id: Option<[u8; 16]>,
    /// Span id, when the record has one.
    pub span_id: Option<[u8; 8]>,
}

impl LogLine {
    /// Reads row `row` of a logs batch.
    pub fn read(
        columns: &LogColumns<'_>,
        row: usize,
        labeler: &mut RowLabeler,
    ) -> StorageResult<Self> {
        let record = columns.record(row)?;
        let labels = labeler.labels(
            columns.envelope.resource_blob(row),
            columns.envelope.service_name.value(row),
            &record.severity_text,
            record.severity_number,
            &record.attributes,
        )?;
        Ok(Self {
            time: record_time(&record),
            line: line_text(record.body.as_ref()),
            labels,
            trace_id: record.trace_id.as_slice().try_into().ok(),
            span_id: record.span_id.as_slice().try_into().ok(),
        })
    }

    /// Reads row `row` with its stream labels only (no attributes decoded, no structured
    /// metadata), for queries that need nothing else.
    pub fn read_light(
        columns: &LogColumns<'_>,
        row: usize,
        labeler: &mut RowLabeler,
    ) -> StorageResult<Self> {
        let (severity_text, severity_number) = columns.severity(row);
        let labels = labeler.stream_labels(
            columns.envelope.resource_blob(row),
            columns.envelope.service_name.value(row),
            severity_text,
            severity_number,
        )?;
        Ok(Self {
            time: columns.record_time(row),
            line: columns.line(row)?,
            labels,
            trace_id: None,
            span_id: None,
        })
    }

    /// The value of label `name` (stream label or structured metadata).
    pub fn label(&self, name: &str) -> Option<&str> {
        self.labels
            .iter()
            .find(|l| l.name == name)
            .map(|l| l.value.as_str())
    }

    /// The stream labels and the structured metadata (which includes `trace_id` and `span_id`
    /// when the record has them), as LogQL sees them.
    pub fn label_sets(&self) -> (Labels, Labels) {
        let mut stream = Labels::new();
        let mut metadata = Labels::new();
        for label in &self.labels {
            match label.kind {
                LabelKind::Stream => stream.set(label.name.as_str(), label.value.as_str()),
                LabelKind::Metadata => metadata.set(label.name.as_str(), label.value.as_str()),
            }
        }
        if let Some(id) = self.trace_id {
            metadata.set("trace_id", hex::encode(id));
        }
        if let Some(id) = self.span_id {
            metadata.set("span_id", hex::encode(id));
        }
        (stream, metadata)
    }

    /// The stream labels, sorted by name.
    pub fn stream_labels(&self) -> Vec<(&str, &str)> {
        let mut labels: Vec<(&str, &str)> = self
            .labels
            .iter()
            .filter(|l| l.kind == LabelKind::Stream)
            .map(|l| (l.name.as_str(), l.value.as_str()))
            .collect();
        labels.sort_unstable();
        labels.dedup_by(|a, b| a.0 == b.0);
        labels
    }
}

/// The conditions of a [`LogIndexQuery`], compiled once per scan, checked exactly on lines.
pub struct LineConditions<'a> {
    query: &'a LogIndexQuery,
    /// `label_matches`, compiled (anchored); `None` when the pattern does not compile (then
    /// nothing matches).
    label_regexes: Vec<(&'a str, Option<regex::Regex>)>,
}

impl<'a> LineConditions<'a> {
    /// Compiles `query`'s label patterns.
    pub fn new(query: &'a LogIndexQuery) -> Self {
        let label_regexes = query
            .label_matches
            .iter()
            .map(|(name, pattern)| {
                (
                    name.as_str(),
                    regex::Regex::new(&format!("^(?:{pattern})$")).ok(),
                )
            })
            .collect();
        Self {
            query,
            label_regexes,
        }
    }

    /// Whether `line` meets every condition exactly (line substrings, label values and
    /// patterns, ids, time).
    pub fn matches(&self, line: &LogLine) -> bool {
        let query = self.query;
        if let Some((start, end)) = query.time_range
            && (line.time < start || line.time > end)
        {
            return false;
        }
        if !query
            .line_contains
            .iter()
            .all(|n| line.line.contains(n.as_str()))
        {
            return false;
        }
        if !query
            .label_equals
            .iter()
            .all(|(name, value)| line.label(name).unwrap_or("") == value)
        {
            return false;
        }
        let labels_match = self.label_regexes.iter().all(|(name, regex)| {
            regex
                .as_ref()
                .is_some_and(|re| re.is_match(line.label(name).unwrap_or("")))
        });
        if !labels_match {
            return false;
        }
        if let Some(id) = &query.trace_id
            && line.trace_id.map(hex::encode).as_deref() != Some(id.as_str())
        {
            return false;
        }
        if let Some(id) = &query.span_id
            && line.span_id.map(hex::encode).as_deref() != Some(id.as_str())
        {
            return false;
        }
        true
    }
}
