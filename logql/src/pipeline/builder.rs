//! The label state of one line while it goes through the pipeline, with Loki's precedence
//! rules between the three label categories: labels set by stages (`label_format`, parsers)
//! override structured metadata, which overrides stream labels — although parsers rename what
//! they extract to `<name>_extracted` rather than hide a stream label or structured metadata. The error labels (`__error__`,
//! `__error_details__`) are kept apart, as in Loki, and appended to the final label set.

use std::borrow::Cow;

use crate::labels::Labels;

use super::{ERROR_DETAILS_LABEL, ERROR_LABEL};

/// Suffix Loki appends to an extracted label (or structured metadata) whose name is already a
/// stream label.
pub(crate) const DUPLICATE_SUFFIX: &str = "_extracted";

/// The labels of one line: the stream labels it started with (borrowed, never copied unless
/// the final set differs), its structured metadata, the labels extracted or set by stages, the
/// labels deleted, and the error labels.
#[derive(Debug)]
pub(crate) struct LabelsBuilder<'a> {
    base: &'a Labels,
    metadata: Vec<(Cow<'a, str>, Cow<'a, str>)>,
    parsed: Vec<(String, String)>,
    deleted: Vec<String>,
    /// Names that were set (extracted, formatted or metadata) and then deleted: parsers still
    /// treat them as already extracted.
    forgotten: Vec<String>,
    error: String,
    error_details: String,
}

impl<'a> LabelsBuilder<'a> {
    /// Starts from the stream labels and the entry's structured metadata (names normalized,
    /// `_extracted` added on a clash with a stream label, `__error__` taken as the error).
    pub(crate) fn new(base: &'a Labels, metadata: &'a Labels) -> Self {
        let mut builder = LabelsBuilder {
            base,
            metadata: Vec::with_capacity(metadata.len()),
            parsed: Vec::new(),
            deleted: Vec::new(),
            forgotten: Vec::new(),
            error: String::new(),
            error_details: String::new(),
        };
        for (name, value) in metadata.iter() {
            let mut name = normalize_metadata_name(name);
            if base.contains(&name) {
                name = Cow::Owned(format!("{name}{DUPLICATE_SUFFIX}"));
            }
            if name == ERROR_LABEL {
                builder.error = value.to_string();
            } else if name == ERROR_DETAILS_LABEL {
                builder.error_details = value.to_string();
            } else if let Some(slot) = builder.metadata.iter_mut().find(|(n, _)| *n == name) {
                slot.1 = Cow::Borrowed(value);
            } else {
                builder.metadata.push((name, Cow::Borrowed(value)));
            }
        }
        builder
    }

    /// Whether a label a parser extracts under `name` must be renamed `<name>_extracted`: the
    /// name is a stream label of the entry or one of its structured metadata. (Loki 3.7; before
    /// grafana/loki#19991 extracted labels silently replaced structured metadata.)
    pub(crate) fn conflicts(&self, name: &str) -> bool {
        self.base.contains(name) || self.metadata.iter().any(|(n, _)| n == name)
    }

    /// Whether `name` was already set on this line by a stage or as structured metadata. As in
    /// Loki since 2.9.4 (grafana/loki#11587), the first value extracted under a name wins:
    /// parsers skip names already extracted.
    pub(crate) fn was_extracted(&self, name: &str) -> bool {
        self.parsed.iter().any(|(n, _)| n == name)
            || self.metadata.iter().any(|(n, _)| n == name)
            || self.forgotten.iter().any(|n| n == name)
    }

    /// Records a label a parser found under `name`: renamed `<name>_extracted` when it
    /// [conflicts](Self::conflicts), skipped when that name [was already
    /// extracted](Self::was_extracted) (then `value` is not computed).
    pub(crate) fn extract(&mut self, name: &str, value: impl FnOnce() -> String) {
        // A name not extracted yet is neither parsed nor metadata: it can be appended as is.
        if self.conflicts(name) {
            let renamed = format!("{name}{DUPLICATE_SUFFIX}");
            if !self.was_extracted(&renamed) {
                self.push_parsed(renamed, value());
            }
        } else if !self.was_extracted(name) {
            self.push_parsed(name.to_string(), value());
        }
    }

    fn push_parsed(&mut self, name: String, value: String) {
        if self.parsed.capacity() == 0 {
            // Parsers usually extract several labels: grow once.
            self.parsed.reserve(16);
        }
        self.parsed.push((name, value));
    }

    /// Records a label extracted by an explicit expression (`| json a="x"`): renamed when it
    /// conflicts, but always set (the last value wins).
    pub(crate) fn extract_always(&mut self, name: &str, value: String) {
        if self.conflicts(name) {
            self.set_parsed(&format!("{name}{DUPLICATE_SUFFIX}"), value);
        } else {
            self.set_parsed(name, value);
        }
    }

    /// The current value of `name` (not the error labels, as in Loki).
    pub(crate) fn get(&self, name: &str) -> Option<&str> {
        if let Some((_, v)) = self.parsed.iter().find(|(n, _)| n == name) {
            return Some(v);
        }
        if let Some((_, v)) = self.metadata.iter().find(|(n, _)| n == name) {
            return Some(v);
        }
        if self.deleted.iter().any(|d| d == name) {
            return None;
        }
        self.base.get(name)
    }

    /// The value of `name` as label filters and templates see it: the error labels included.
    pub(crate) fn get_with_errors(&self, name: &str) -> Option<&str> {
        match name {
            ERROR_LABEL => (!self.error.is_empty()).then_some(self.error.as_str()),
            ERROR_DETAILS_LABEL => {
                (!self.error_details.is_empty()).then_some(self.error_details.as_str())
            }
            _ => self.get(name),
        }
    }

    /// Sets a label from a stage; it overrides metadata and stream labels of the same name.
    pub(crate) fn set_parsed(&mut self, name: &str, value: String) {
        self.metadata.retain(|(n, _)| n != name);
        match self.parsed.iter_mut().find(|(n, _)| n == name) {
            Some(slot) => slot.1 = value,
            None => self.push_parsed(name.to_string(), value),
        }
    }

    /// Deletes `name` from every category.
    pub(crate) fn delete(&mut self, name: &str) {
        let before = self.parsed.len() + self.metadata.len();
        self.parsed.retain(|(n, _)| n != name);
        self.metadata.retain(|(n, _)| n != name);
        if self.parsed.len() + self.metadata.len() < before {
            self.forgotten.push(name.to_string());
        }
        if !self.deleted.iter().any(|d| d == name) {
            self.deleted.push(name.to_string());
        }
    }

    /// The `__error__` value, empty when there is none.
    pub(crate) fn error(&self) -> &str {
        &self.error
    }

    /// The `__error_details__` value, empty when there is none.
    pub(crate) fn error_details(&self) -> &str {
        &self.error_details
    }

    /// Whether `__error__` is set.
    pub(crate) fn has_error(&self) -> bool {
        !self.error.is_empty()
    }

    /// Sets `__error__` (replacing any earlier error).
    pub(crate) fn set_error(&mut self, error: &str) {
        self.error.clear();
        self.error.push_str(error);
    }

    /// Sets `__error__` and, when `details` is not empty, `__error_details__`, like Loki's
    /// `addErrLabel`.
    pub(crate) fn add_error(&mut self, error: &str, details: Option<String>) {
        self.set_error(error);
        if let Some(details) = details {
            self.error_details = details;
        }
    }

    /// Removes `__error__`.
    pub(crate) fn reset_error(&mut self) {
        self.error.clear();
    }

    /// Removes `__error_details__`.
    pub(crate) fn reset_error_details(&mut self) {
        self.error_details.clear();
    }

    /// Every label currently set, unsorted, the error labels last.
    pub(crate) fn all(&self) -> Vec<(&str, &str)> {
        let mut out = Vec::with_capacity(self.base.len() + self.metadata.len() + self.parsed.len());
        for (name, value) in self.base.iter() {
            if !self.overrides_base(name) {
                out.push((name, value));
            }
        }
        out.extend(self.metadata.iter().map(|(n, v)| (n.as_ref(), v.as_ref())));
        out.extend(self.parsed.iter().map(|(n, v)| (n.as_str(), v.as_str())));
        if !self.error.is_empty() {
            out.push((ERROR_LABEL, self.error.as_str()));
        }
        if !self.error_details.is_empty() {
            out.push((ERROR_DETAILS_LABEL, self.error_details.as_str()));
        }
        out
    }

    fn overrides_base(&self, name: &str) -> bool {
        self.deleted.iter().any(|d| d == name)
            || self.metadata.iter().any(|(n, _)| n == name)
            || self.parsed.iter().any(|(n, _)| n == name)
    }

    fn unchanged(&self) -> bool {
        self.metadata.is_empty()
            && self.parsed.is_empty()
            && self.deleted.is_empty()
            && self.error.is_empty()
            && self.error_details.is_empty()
    }

    /// The final label set; the stream labels themselves when nothing changed.
    pub(crate) fn finish(self) -> Cow<'a, Labels> {
        if self.unchanged() {
            return Cow::Borrowed(self.base);
        }
        let mut pairs: Vec<(String, String)> =
            Vec::with_capacity(self.base.len() + self.metadata.len() + self.parsed.len() + 2);
        for (name, value) in self.base.iter() {
            if !self.overrides_base(name) {
                pairs.push((name.to_string(), value.to_string()));
            }
        }
        pairs.extend(
            self.metadata
                .into_iter()
                .map(|(n, v)| (n.into_owned(), v.into_owned())),
        );
        pairs.extend(self.parsed);
        if !self.error.is_empty() {
            pairs.push((ERROR_LABEL.to_string(), self.error));
        }
        if !self.error_details.is_empty() {
            pairs.push((ERROR_DETAILS_LABEL.to_string(), self.error_details));
        }
        // Sorted (stable, so a later duplicate stays later and wins), each `set` then appends.
        pairs.sort_by(|a, b| a.0.cmp(&b.0));
        Cow::Owned(Labels::from_pairs(pairs))
    }
}

/// Normalizes a structured metadata name as Loki does before the pipeline runs (Prometheus'
/// OTLP label normalization): invalid characters become `_`, a leading digit gets `key_`, a
/// single leading `_` gets `key`.
fn normalize_metadata_name(name: &str) -> Cow<'_, str> {
    let valid = |c: char| c.is_ascii_alphanumeric() || c == '_';
    let mut out: Cow<'_, str> = if name.chars().all(valid) {
        Cow::Borrowed(name)
    } else {
        Cow::Owned(
            name.chars()
                .map(|c| if valid(c) { c } else { '_' })
                .collect(),
        )
    };
    if out.as_bytes().first().is_some_and(u8::is_ascii_digit) {
        out = Cow::Owned(format!("key_{out}"));
    } else if out.starts_with('_') && !out.starts_with("__") {
        out = Cow::Owned(format!("key{out}"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn precedence_and_errors() {
        let stream = Labels::from_pairs([("app", "a"), ("level", "s")]);
        let metadata = Labels::from_pairs([("level", "m"), ("trace.id", "t"), ("_x", "1")]);
        let mut b = LabelsBuilder::new(&stream, &metadata);
        assert_eq!(b.get("level"), Some("s"));
        assert_eq!(b.get("level_extracted"), Some("m"));
        assert_eq!(b.get("trace_id"), Some("t"));
        assert_eq!(b.get("key_x"), Some("1"));
        b.set_parsed("trace_id", "p".into());
        b.set_parsed("app", "parsed".into());
        b.delete("level");
        b.set_error("E");
        assert_eq!(
            b.finish().to_string(),
            r#"{__error__="E", app="parsed", key_x="1", level_extracted="m", trace_id="p"}"#
        );
    }

    #[test]
    fn unchanged_is_borrowed() {
        let stream = Labels::from_pairs([("app", "a")]);
        let metadata = Labels::new();
        let b = LabelsBuilder::new(&stream, &metadata);
        assert!(matches!(b.finish(), Cow::Borrowed(_)));
    }
}
