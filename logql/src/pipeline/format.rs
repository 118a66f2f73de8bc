//! The formatting stages: `| line_format "..."`, `| label_format a=b, c="..."`, `| drop ...`,
//! `| keep ...` and `| decolorize`.

use regex::Regex;

use crate::ast::{LabelFormatItem, LabelFormatValue, NamedMatcher};

use super::builder::LabelsBuilder;
use super::label_filter::StringMatcher;
use super::template::{Data, Template};
use super::{ERROR_DETAILS_LABEL, ERROR_LABEL, PipelineError, StageOutcome, TEMPLATE_FORMAT_ERR};

impl Data for LabelsBuilder<'_> {
    fn get(&self, name: &str) -> Option<&str> {
        self.get_with_errors(name)
    }

    fn all(&self) -> Vec<(&str, &str)> {
        LabelsBuilder::all(self)
    }
}

/// `| line_format`: the rendered template becomes the line; when it fails to execute the line
/// is kept and `__error__="TemplateFormatErr"` is set.
#[derive(Debug)]
pub(crate) struct LineFormatter {
    template: Template,
}

impl LineFormatter {
    /// Parses the template.
    pub(crate) fn new(template: &str) -> Result<Self, PipelineError> {
        Ok(LineFormatter {
            template: Template::parse("line", template).map_err(PipelineError::LineTemplate)?,
        })
    }

    /// Renders the line.
    pub(crate) fn process(
        &self,
        ts: i64,
        line: &str,
        labels: &mut LabelsBuilder<'_>,
    ) -> StageOutcome {
        if let Some(field) = self.template.simple_field() {
            let value = labels.get_with_errors(field).unwrap_or("");
            return if value == line {
                StageOutcome::Keep
            } else {
                StageOutcome::Rewrite(value.to_string())
            };
        }
        match self.template.execute(&*labels, line, ts) {
            Ok(text) if text == line => StageOutcome::Keep,
            Ok(text) => StageOutcome::Rewrite(text),
            Err(details) => {
                labels.add_error(TEMPLATE_FORMAT_ERR, Some(details));
                StageOutcome::Keep
            }
        }
    }
}

/// One entry of `| label_format`.
#[derive(Debug)]
enum LabelFormat {
    Rename { to: String, from: String },
    Template { to: String, template: Template },
}

/// `| label_format`: renames (`to=from`, the old label removed) and templates (`to="..."`),
/// applied in order. As in Loki, every template of the stage sees the labels as they were at
/// its first template.
#[derive(Debug)]
pub(crate) struct LabelsFormatter {
    items: Vec<LabelFormat>,
}

impl LabelsFormatter {
    /// Parses the templates; `__error__` cannot be a target.
    pub(crate) fn new(items: &[LabelFormatItem]) -> Result<Self, PipelineError> {
        let items = items
            .iter()
            .map(|item| {
                let invalid = |reason: String| PipelineError::LabelFormat {
                    label: item.name.clone(),
                    reason,
                };
                if item.name == ERROR_LABEL {
                    return Err(invalid(format!("{ERROR_LABEL} cannot be formatted")));
                }
                Ok(match &item.value {
                    LabelFormatValue::Rename(from) => LabelFormat::Rename {
                        to: item.name.clone(),
                        from: from.clone(),
                    },
                    LabelFormatValue::Template(text) => LabelFormat::Template {
                        to: item.name.clone(),
                        template: Template::parse("label", text).map_err(invalid)?,
                    },
                })
            })
            .collect::<Result<_, _>>()?;
        Ok(LabelsFormatter { items })
    }

    /// Applies the entries to `labels`.
    pub(crate) fn process(&self, ts: i64, line: &str, labels: &mut LabelsBuilder<'_>) {
        let first_template = self
            .items
            .iter()
            .position(|item| matches!(item, LabelFormat::Template { .. }))
            .unwrap_or(self.items.len());
        for item in &self.items[..first_template] {
            apply(item, None, labels);
        }
        let rendered: Vec<Option<Result<String, String>>> = self.items[first_template..]
            .iter()
            .map(|item| match item {
                LabelFormat::Template { template, .. } => {
                    Some(template.execute(&*labels, line, ts))
                }
                LabelFormat::Rename { .. } => None,
            })
            .collect();
        for (item, rendered) in self.items[first_template..].iter().zip(rendered) {
            apply(item, rendered, labels);
        }
    }
}

fn apply(
    item: &LabelFormat,
    rendered: Option<Result<String, String>>,
    labels: &mut LabelsBuilder<'_>,
) {
    match (item, rendered) {
        (LabelFormat::Rename { to, from }, _) => {
            if let Some(value) = labels.get(from) {
                let value = value.to_string();
                labels.set_parsed(to, value);
                labels.delete(from);
            }
        }
        (LabelFormat::Template { to, .. }, Some(Ok(value))) => labels.set_parsed(to, value),
        (LabelFormat::Template { .. }, Some(Err(details))) => {
            labels.add_error(TEMPLATE_FORMAT_ERR, Some(details));
        }
        (LabelFormat::Template { .. }, None) => {}
    }
}

/// A compiled `drop` / `keep` entry.
#[derive(Debug)]
enum Entry {
    Name(String),
    Matcher {
        name: String,
        matcher: StringMatcher,
    },
}

fn compile_entries(items: &[NamedMatcher]) -> Result<Vec<Entry>, PipelineError> {
    items
        .iter()
        .map(|item| {
            Ok(match item {
                NamedMatcher::Name(name) => Entry::Name(name.clone()),
                NamedMatcher::Matcher(m) => Entry::Matcher {
                    name: m.name.clone(),
                    matcher: StringMatcher::new(m)?,
                },
            })
        })
        .collect()
}

/// `| drop a, b="v"`: removes the labels (the error labels included).
#[derive(Debug)]
pub(crate) struct DropLabels {
    entries: Vec<Entry>,
}

impl DropLabels {
    /// Compiles the entries.
    pub(crate) fn new(items: &[NamedMatcher]) -> Result<Self, PipelineError> {
        Ok(DropLabels {
            entries: compile_entries(items)?,
        })
    }

    /// Drops the labels from `labels`.
    pub(crate) fn process(&self, labels: &mut LabelsBuilder<'_>) {
        for entry in &self.entries {
            match entry {
                Entry::Name(name) if name == ERROR_LABEL => labels.reset_error(),
                Entry::Name(name) if name == ERROR_DETAILS_LABEL => labels.reset_error_details(),
                Entry::Name(name) => {
                    if labels.get(name).is_some() {
                        labels.delete(name);
                    }
                }
                Entry::Matcher { name, matcher } if name == ERROR_LABEL => {
                    if matcher.matches(labels.error()) {
                        labels.reset_error();
                    }
                }
                Entry::Matcher { name, matcher } if name == ERROR_DETAILS_LABEL => {
                    if matcher.matches(labels.error_details()) {
                        labels.reset_error_details();
                    }
                }
                Entry::Matcher { name, matcher } => {
                    if matcher.matches(labels.get(name).unwrap_or("")) {
                        labels.delete(name);
                    }
                }
            }
        }
    }
}

/// `| keep a, b="v"`: removes every label not listed (the error labels always stay).
#[derive(Debug)]
pub(crate) struct KeepLabels {
    entries: Vec<Entry>,
}

impl KeepLabels {
    /// Compiles the entries.
    pub(crate) fn new(items: &[NamedMatcher]) -> Result<Self, PipelineError> {
        Ok(KeepLabels {
            entries: compile_entries(items)?,
        })
    }

    /// Removes the other labels from `labels`.
    pub(crate) fn process(&self, labels: &mut LabelsBuilder<'_>) {
        if self.entries.is_empty() {
            return;
        }
        let doomed: Vec<String> = labels
            .all()
            .into_iter()
            .filter(|(name, value)| {
                if *name == ERROR_LABEL || *name == ERROR_DETAILS_LABEL {
                    return false;
                }
                !self.entries.iter().any(|entry| match entry {
                    Entry::Name(n) => n == name,
                    Entry::Matcher { name: n, matcher } => n == name && matcher.matches(value),
                })
            })
            .map(|(name, _)| name.to_string())
            .collect();
        for name in doomed {
            labels.delete(&name);
        }
    }
}

/// `| decolorize`: removes ANSI escape sequences (colors, cursor moves) from the line.
#[derive(Debug)]
pub(crate) struct Decolorizer {
    ansi: Regex,
}

/// Loki's pattern (from `acarl005/stripansi`), with ASCII digits spelled out.
const ANSI_PATTERN: &str = r"[\x{1B}\x{9B}][\[\]()#;?]*(?:(?:(?:[a-zA-Z0-9]*(?:;[a-zA-Z0-9]*)*)?\x{07})|(?:(?:[0-9]{1,4}(?:;[0-9]{0,4})*)?[0-9A-PRZcf-ntqry=><~]))";

impl Decolorizer {
    /// Compiles the escape sequence pattern.
    pub(crate) fn new() -> Self {
        Decolorizer {
            ansi: Regex::new(ANSI_PATTERN).expect("valid ANSI pattern"),
        }
    }

    /// Strips the escapes from `line`.
    pub(crate) fn process(&self, line: &str) -> StageOutcome {
        if !line.contains(['\u{1B}', '\u{9B}']) {
            return StageOutcome::Keep;
        }
        StageOutcome::Rewrite(self.ansi.replace_all(line, "").into_owned())
    }
}
