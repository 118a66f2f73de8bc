//! The log pipeline evaluator: runs the stages of a parsed LogQL pipeline (`|= "x" | json |
//! level="error" | line_format "..."`) over one log line at a time, with Grafana Loki 3.x
//! semantics, and extracts the sample value of `| unwrap` for metric queries.
//!
//! A [`Pipeline`] is compiled once per query (regexes compiled, templates parsed) and is then
//! shared by every thread that scans lines. For each line it starts from the stream labels and
//! the structured metadata of the entry and ends with the (possibly rewritten) line and its final
//! labels: stream labels, structured metadata and extracted labels together, minus dropped ones,
//! plus `__error__` / `__error_details__` when a stage failed — what Loki returns when label
//! categories are not requested.
//!
//! Label rules, as in Loki 3.7: structured metadata whose name is a stream label is renamed
//! `<name>_extracted`; a parser renames what it extracts to `<name>_extracted` when the name is
//! a stream label or structured metadata, and skips a name already extracted on the line (the
//! first value wins; `json a="..."` / `logfmt a` expressions always set); `label_format`
//! overrides whatever it targets; a missing label reads as `""` in string matchers and
//! templates. Conversion failures keep the line and set `__error__` (`JSONParserErr`,
//! `LogfmtParserErr`, `LabelFilterErr`, `TemplateFormatErr`, `SampleExtractionErr`) and
//! `__error_details__`, which `| __error__=""` or `| drop __error__` remove.
//!
//! This module owns the public API and the stage loop; the stages live in submodules:
//! line filters (`line_filter`, `ip`, `pattern`, `re2`), parsers (`json`, `json_scan`,
//! `logfmt`, `extract`), label filters (`label_filter`, `convert`), formatting (`format`,
//! `template`), the per-line label state (`builder`) and `| unwrap` (`unwrap`).
//!
//! ```
//! use sightline_logql::{parse, Labels, LineLabels, Pipeline};
//! let query = parse(r#"{app="api"} |= "GET" | logfmt | status >= 500"#).unwrap();
//! let pipeline = Pipeline::new(&query.as_log().unwrap().pipeline).unwrap();
//! let stream = Labels::from_pairs([("app", "api")]);
//! let metadata = Labels::new();
//! let input = LineLabels { stream: &stream, metadata: &metadata };
//! let (line, labels) = pipeline.process(0, "method=GET status=503", &input).unwrap();
//! assert_eq!(line, "method=GET status=503");
//! assert_eq!(labels.to_string(), r#"{app="api", method="GET", status="503"}"#);
//! assert!(pipeline.process(0, "method=GET status=200", &input).is_none());
//! ```

mod builder;
mod convert;
mod extract;
mod format;
mod ip;
mod json;
mod json_scan;
mod label_filter;
mod line_filter;
mod logfmt;
mod pattern;
mod re2;
mod template;
pub use template::{AlertTemplate, go_query_escape};
mod unwrap;

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_format;

use std::borrow::Cow;

use crate::ast::{Parser, Stage};
use crate::labels::Labels;

use builder::LabelsBuilder;
pub use unwrap::SampleExtractor;

/// `__error__`: the label Loki sets when a stage fails on a line.
pub const ERROR_LABEL: &str = "__error__";
/// `__error_details__`: the reason of the failure, next to [`ERROR_LABEL`].
pub const ERROR_DETAILS_LABEL: &str = "__error_details__";

/// The `__error__` value of a `json` or `unpack` failure.
pub const JSON_PARSER_ERR: &str = "JSONParserErr";
/// The `__error__` value of a `logfmt --strict` failure.
pub const LOGFMT_PARSER_ERR: &str = "LogfmtParserErr";
/// The `__error__` value when a numeric, duration or byte label filter cannot read the label.
pub const LABEL_FILTER_ERR: &str = "LabelFilterErr";
/// The `__error__` value when a `line_format` or `label_format` template fails to execute.
pub const TEMPLATE_FORMAT_ERR: &str = "TemplateFormatErr";
/// The `__error__` value when `| unwrap` cannot convert the label value.
pub const SAMPLE_EXTRACTION_ERR: &str = "SampleExtractionErr";

/// Why a pipeline could not be compiled. Loki answers these with HTTP 400.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PipelineError {
    /// A regular expression does not compile.
    #[error("invalid regular expression {pattern:?}: {reason}")]
    Regex {
        /// The expression as written.
        pattern: String,
        /// Why it is invalid.
        reason: String,
    },
    /// A `|>` pattern or `| pattern` expression is malformed.
    #[error("invalid pattern {pattern:?}: {reason}")]
    Pattern {
        /// The pattern as written.
        pattern: String,
        /// Why it is invalid.
        reason: String,
    },
    /// An `ip("...")` pattern is malformed.
    #[error("ip: invalid pattern: {0:?}")]
    Ip(String),
    /// A `| json label="path"` expression is malformed.
    #[error("cannot parse expression [{expression}]: {reason}")]
    JsonExpression {
        /// The expression as written.
        expression: String,
        /// Why it is invalid.
        reason: String,
    },
    /// A `line_format` template does not parse.
    #[error("invalid line template: {0}")]
    LineTemplate(String),
    /// A `label_format` entry is invalid (template does not parse, or it targets `__error__`).
    #[error("invalid label_format for label '{label}': {reason}")]
    LabelFormat {
        /// The label being set.
        label: String,
        /// Why it is invalid.
        reason: String,
    },
}

/// The labels a log entry enters the pipeline with.
#[derive(Debug, Clone, Copy)]
pub struct LineLabels<'a> {
    /// The labels of the stream the entry belongs to.
    pub stream: &'a Labels,
    /// The entry's structured metadata (e.g. `trace_id`, `span_id` and other OTel log
    /// attributes). Names are normalized the way Loki does (invalid characters become `_`); a
    /// name that is also a stream label gets the `_extracted` suffix, and so does a label a
    /// parser extracts under the name of a structured metadata.
    pub metadata: &'a Labels,
}

/// A compiled pipeline: regexes compiled and templates parsed once, reusable across lines and
/// threads (`Send + Sync`).
#[derive(Debug)]
pub struct Pipeline {
    stages: Vec<CompiledStage>,
    /// How many stages at the start are line filters (evaluated without any label work).
    leading_line_filters: usize,
    filter_only: bool,
}

/// One compiled stage.
#[derive(Debug)]
enum CompiledStage {
    LineFilter(line_filter::LineFilterStage),
    Json(json::JsonParser),
    JsonExpressions(json::JsonExpressionParser),
    Unpack(json::UnpackParser),
    Logfmt(logfmt::LogfmtParser),
    LogfmtExpressions(logfmt::LogfmtExpressionParser),
    Regexp(extract::RegexpParser),
    Pattern(extract::PatternParser),
    LabelFilter(label_filter::LabelFilter),
    LineFormat(format::LineFormatter),
    LabelFormat(format::LabelsFormatter),
    Drop(format::DropLabels),
    Keep(format::KeepLabels),
    Decolorize(format::Decolorizer),
}

/// What a stage did to a line.
pub(crate) enum StageOutcome {
    /// The line goes on unchanged.
    Keep,
    /// The line is filtered out.
    Drop,
    /// The line goes on, rewritten.
    Rewrite(String),
}

impl Pipeline {
    /// Compiles the stages of a log query (`LogExpr::pipeline`).
    pub fn new(stages: &[Stage]) -> Result<Self, PipelineError> {
        let stages = stages
            .iter()
            .map(CompiledStage::new)
            .collect::<Result<Vec<_>, _>>()?;
        let leading_line_filters = stages
            .iter()
            .take_while(|s| matches!(s, CompiledStage::LineFilter(_)))
            .count();
        let filter_only = stages.iter().all(|s| {
            matches!(
                s,
                CompiledStage::LineFilter(_) | CompiledStage::LabelFilter(_)
            )
        });
        Ok(Pipeline {
            stages,
            leading_line_filters,
            filter_only,
        })
    }

    /// Whether the pipeline only filters: line filters and label filters on the labels the
    /// entry already has (no parser, no formatting, no drop/keep). The line then comes out
    /// unchanged, and the labels too unless a label filter sets `__error__`.
    pub fn is_filter_only(&self) -> bool {
        self.filter_only
    }

    /// Whether the pipeline has no stage at all.
    pub fn is_empty(&self) -> bool {
        self.stages.is_empty()
    }

    /// Runs the stages over one line stamped `timestamp_nanos` (used by `{{ __timestamp__ }}`).
    ///
    /// Returns `None` when the line is filtered out, else the (possibly rewritten) line and its
    /// final labels. Both are borrowed when nothing changed them (pure line filters over an entry
    /// without structured metadata allocate nothing).
    pub fn process<'a>(
        &self,
        timestamp_nanos: i64,
        line: &'a str,
        input: &LineLabels<'a>,
    ) -> Option<(Cow<'a, str>, Cow<'a, Labels>)> {
        for stage in &self.stages[..self.leading_line_filters] {
            let CompiledStage::LineFilter(filter) = stage else {
                unreachable!("counted as a line filter");
            };
            if !filter.matches(line) {
                return None;
            }
        }
        if self.leading_line_filters == self.stages.len() && input.metadata.is_empty() {
            return Some((Cow::Borrowed(line), Cow::Borrowed(input.stream)));
        }
        let mut labels = LabelsBuilder::new(input.stream, input.metadata);
        let mut line = Cow::Borrowed(line);
        for stage in &self.stages[self.leading_line_filters..] {
            match stage.process(timestamp_nanos, &line, &mut labels) {
                StageOutcome::Keep => {}
                StageOutcome::Drop => return None,
                StageOutcome::Rewrite(new_line) => line = Cow::Owned(new_line),
            }
        }
        Some((line, labels.finish()))
    }
}

impl CompiledStage {
    fn new(stage: &Stage) -> Result<Self, PipelineError> {
        Ok(match stage {
            Stage::LineFilter(filter) => {
                CompiledStage::LineFilter(line_filter::LineFilterStage::new(filter)?)
            }
            Stage::Parser(Parser::Json(fields)) if fields.is_empty() => {
                CompiledStage::Json(json::JsonParser)
            }
            Stage::Parser(Parser::Json(fields)) => {
                CompiledStage::JsonExpressions(json::JsonExpressionParser::new(fields)?)
            }
            Stage::Parser(Parser::Unpack) => CompiledStage::Unpack(json::UnpackParser),
            Stage::Parser(Parser::Logfmt {
                strict,
                keep_empty,
                fields,
            }) if fields.is_empty() => CompiledStage::Logfmt(logfmt::LogfmtParser {
                strict: *strict,
                keep_empty: *keep_empty,
            }),
            Stage::Parser(Parser::Logfmt { strict, fields, .. }) => {
                CompiledStage::LogfmtExpressions(logfmt::LogfmtExpressionParser::new(
                    fields, *strict,
                ))
            }
            Stage::Parser(Parser::Regexp(re)) => {
                CompiledStage::Regexp(extract::RegexpParser::new(re)?)
            }
            Stage::Parser(Parser::Pattern(p)) => {
                CompiledStage::Pattern(extract::PatternParser::new(p)?)
            }
            Stage::LabelFilter(expr) => {
                CompiledStage::LabelFilter(label_filter::LabelFilter::new(expr)?)
            }
            Stage::LineFormat(template) => {
                CompiledStage::LineFormat(format::LineFormatter::new(template)?)
            }
            Stage::LabelFormat(items) => {
                CompiledStage::LabelFormat(format::LabelsFormatter::new(items)?)
            }
            Stage::Drop(items) => CompiledStage::Drop(format::DropLabels::new(items)?),
            Stage::Keep(items) => CompiledStage::Keep(format::KeepLabels::new(items)?),
            Stage::Decolorize => CompiledStage::Decolorize(format::Decolorizer::new()),
        })
    }

    fn process(&self, ts: i64, line: &str, labels: &mut LabelsBuilder<'_>) -> StageOutcome {
        let keep = |ok: bool| {
            if ok {
                StageOutcome::Keep
            } else {
                StageOutcome::Drop
            }
        };
        match self {
            CompiledStage::LineFilter(filter) => keep(filter.matches(line)),
            CompiledStage::Json(parser) => {
                parser.process(line, labels);
                StageOutcome::Keep
            }
            CompiledStage::JsonExpressions(parser) => {
                parser.process(line, labels);
                StageOutcome::Keep
            }
            CompiledStage::Unpack(parser) => parser.process(line, labels),
            CompiledStage::Logfmt(parser) => {
                parser.process(line, labels);
                StageOutcome::Keep
            }
            CompiledStage::LogfmtExpressions(parser) => {
                parser.process(line, labels);
                StageOutcome::Keep
            }
            CompiledStage::Regexp(parser) => {
                parser.process(line, labels);
                StageOutcome::Keep
            }
            CompiledStage::Pattern(parser) => {
                parser.process(line, labels);
                StageOutcome::Keep
            }
            CompiledStage::LabelFilter(filter) => keep(filter.process(labels)),
            CompiledStage::LineFormat(formatter) => formatter.process(ts, line, labels),
            CompiledStage::LabelFormat(formatter) => {
                formatter.process(ts, line, labels);
                StageOutcome::Keep
            }
            CompiledStage::Drop(drop) => {
                drop.process(labels);
                StageOutcome::Keep
            }
            CompiledStage::Keep(keep_labels) => {
                keep_labels.process(labels);
                StageOutcome::Keep
            }
            CompiledStage::Decolorize(decolorizer) => decolorizer.process(line),
        }
    }
}

/// Makes a label name out of a parsed key the way Loki's parsers do: surrounding whitespace
/// trimmed, every character outside `[a-zA-Z0-9_]` replaced by `_`, and `_` prepended when the
/// key starts with a digit.
pub(crate) fn sanitize_label_key(key: &str) -> Cow<'_, str> {
    let key = key.trim();
    let valid = |c: char| c.is_ascii_alphanumeric() || c == '_';
    let starts_with_digit = key.as_bytes().first().is_some_and(u8::is_ascii_digit);
    if !starts_with_digit && key.chars().all(valid) {
        return Cow::Borrowed(key);
    }
    let mut out = String::with_capacity(key.len() + 1);
    append_sanitized(&mut out, key);
    Cow::Owned(out)
}

/// Appends `key` sanitized as by [`sanitize_label_key`] (trimmed, `_` before a leading digit,
/// invalid characters replaced); appends nothing for a blank key.
pub(crate) fn append_sanitized(out: &mut String, key: &str) {
    let key = key.trim();
    if key.as_bytes().first().is_some_and(u8::is_ascii_digit) {
        out.push('_');
    }
    out.extend(key.chars().map(|c| {
        if c.is_ascii_alphanumeric() || c == '_' {
            c
        } else {
            '_'
        }
    }));
}
