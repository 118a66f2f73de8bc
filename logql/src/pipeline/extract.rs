//! The `| regexp "..."` (named capture groups) and `| pattern "..."` (named captures) parsers.

use regex::Regex;

use super::builder::LabelsBuilder;
use super::pattern::PatternMatcher;
use super::{PipelineError, re2};

/// `| regexp`: when the regex matches, each named group becomes a label (empty when the group
/// did not participate); nothing happens when it does not match.
#[derive(Debug)]
pub(crate) struct RegexpParser {
    regex: Regex,
    /// (group index, label name) of each named group.
    names: Vec<(usize, String)>,
}

impl RegexpParser {
    /// Compiles the regex; it needs at least one named group, each a valid label name, no name
    /// twice.
    pub(crate) fn new(pattern: &str) -> Result<Self, PipelineError> {
        let regex = re2::compile(pattern)?;
        let invalid = |reason: String| PipelineError::Regex {
            pattern: pattern.to_string(),
            reason,
        };
        let mut names: Vec<(usize, String)> = Vec::new();
        for (index, name) in regex.capture_names().enumerate() {
            let Some(name) = name else { continue };
            if !is_label_name(name) {
                return Err(invalid(format!("invalid extracted label name '{name}'")));
            }
            if names.iter().any(|(_, n)| n == name) {
                return Err(invalid(format!("duplicate extracted label name '{name}'")));
            }
            names.push((index, name.to_string()));
        }
        if names.is_empty() {
            return Err(invalid(
                "at least one named capture must be supplied".to_string(),
            ));
        }
        Ok(RegexpParser { regex, names })
    }

    /// Extracts the named groups of the first match in `line`.
    pub(crate) fn process(&self, line: &str, labels: &mut LabelsBuilder<'_>) {
        let Some(captures) = self.regex.captures(line) else {
            return;
        };
        for (index, name) in &self.names {
            let value = captures.get(*index).map_or("", |m| m.as_str());
            labels.extract(name, || value.to_string());
        }
    }
}

/// `| pattern`: the named captures found in the line become labels.
#[derive(Debug)]
pub(crate) struct PatternParser {
    matcher: PatternMatcher,
}

impl PatternParser {
    /// Compiles the pattern.
    pub(crate) fn new(pattern: &str) -> Result<Self, PipelineError> {
        Ok(PatternParser {
            matcher: PatternMatcher::for_parser(pattern)?,
        })
    }

    /// Extracts the captures of `line`.
    pub(crate) fn process(&self, line: &str, labels: &mut LabelsBuilder<'_>) {
        let mut values = Vec::with_capacity(self.matcher.names().len());
        self.matcher.captures(line, &mut values);
        for (name, value) in self.matcher.names().iter().zip(values) {
            labels.extract(name, || value.to_string());
        }
    }
}

/// Whether `name` is a valid label name: `[a-zA-Z_][a-zA-Z0-9_]*`.
pub(crate) fn is_label_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}
