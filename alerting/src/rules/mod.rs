//! Rule files in Prometheus's format: parsing and validation.
//!
//! ```yaml
//! groups:
//!   - name: checkout
//!     interval: 30s              # optional, else the evaluation interval
//!     labels: { team: shop }     # added to every alert of the group
//!     rules:
//!       - alert: HighErrorRate
//!         expr: sum(rate(traces_spanmetrics_calls_total{status_code="STATUS_CODE_ERROR"}[5m])) > 1
//!         for: 5m
//!         keep_firing_for: 2m
//!         labels: { severity: page }
//!         annotations: { summary: "{{ $value }} errors/s" }
//!       - alert: Panics
//!         lang: logql            # or traceql; promql when absent
//!         expr: sum(count_over_time({service_name="checkout"} |= "panic" [5m])) > 0
//! ```
//!
//! Unknown fields are errors (as Prometheus's strict loading makes them). Every error names the
//! file, and the group and rule it is about, with the reason. Recording rules (`record:`) are
//! refused: only alerting rules are evaluated.

use std::collections::{BTreeMap, HashSet};
use std::time::Duration;

use serde::Deserialize;
use sightline_logql::AlertTemplate;

pub mod namespace;
#[cfg(test)]
mod tests;

/// The query language of a rule's `expr`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RuleLang {
    /// PromQL over stored and trace-derived metrics (the default).
    PromQl,
    /// A LogQL metric query over logs.
    LogQl,
    /// A TraceQL metrics query over spans.
    TraceQl,
}

impl RuleLang {
    /// The name used in rule files (`promql`, `logql`, `traceql`).
    pub fn as_str(self) -> &'static str {
        match self {
            RuleLang::PromQl => "promql",
            RuleLang::LogQl => "logql",
            RuleLang::TraceQl => "traceql",
        }
    }
}

/// One alerting rule, validated.
#[derive(Debug, Clone, PartialEq)]
pub struct AlertRule {
    /// `alert`: the alert name (becomes the `alertname` label).
    pub name: String,
    /// `expr`, as written.
    pub expr: String,
    /// The language of `expr`.
    pub lang: RuleLang,
    /// `for`: how long the condition must hold before the alert fires (zero: at once).
    pub hold: Duration,
    /// `keep_firing_for`: how long the alert keeps firing after the condition clears.
    pub keep_firing_for: Duration,
    /// `labels` (templates), sorted by name.
    pub labels: Vec<(String, String)>,
    /// `annotations` (templates), sorted by name.
    pub annotations: Vec<(String, String)>,
}

/// One rule group, validated.
#[derive(Debug, Clone, PartialEq)]
pub struct RuleGroup {
    /// The group name, unique within its file.
    pub name: String,
    /// The file it came from.
    pub file: String,
    /// `interval`, if set (else the evaluation interval applies).
    pub interval: Option<Duration>,
    /// `labels` added to every alert of the group, sorted by name.
    pub labels: Vec<(String, String)>,
    /// `limit`: most alerts one rule may produce per evaluation (0: no limit).
    pub limit: usize,
    /// The rules, in file order.
    pub rules: Vec<AlertRule>,
}

/// Why a rule file was refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{file}: {message}")]
pub struct RuleFileError {
    /// The file.
    pub file: String,
    /// What is wrong and where.
    pub message: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    #[serde(default)]
    groups: Vec<RawGroup>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawGroup {
    #[serde(default)]
    name: String,
    interval: Option<String>,
    #[serde(default)]
    labels: BTreeMap<String, String>,
    #[serde(default)]
    limit: usize,
    #[serde(default)]
    rules: Vec<RawRule>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRule {
    alert: Option<String>,
    record: Option<String>,
    #[serde(default)]
    expr: String,
    lang: Option<String>,
    #[serde(rename = "for")]
    hold: Option<String>,
    keep_firing_for: Option<String>,
    #[serde(default)]
    labels: BTreeMap<String, String>,
    #[serde(default)]
    annotations: BTreeMap<String, String>,
}

/// Parses and validates the rule file `file` with contents `text`.
pub fn parse_rule_file(file: &str, text: &str) -> Result<Vec<RuleGroup>, RuleFileError> {
    let error = |message: String| RuleFileError {
        file: file.to_string(),
        message,
    };
    // An empty file (or one with only comments) has no groups, as in Prometheus.
    if text.trim().is_empty() || text.lines().all(|l| l.trim_start().starts_with('#')) {
        return Ok(Vec::new());
    }
    let raw: RawFile = serde_yaml_ng::from_str(text).map_err(|e| error(e.to_string()))?;
    let mut names = HashSet::new();
    let mut groups = Vec::with_capacity(raw.groups.len());
    for (index, group) in raw.groups.into_iter().enumerate() {
        let at = format!("group {} ({:?})", index + 1, group.name);
        if group.name.trim().is_empty() {
            return Err(error(format!(
                "group {}: name must not be empty",
                index + 1
            )));
        }
        if !names.insert(group.name.clone()) {
            return Err(error(format!(
                "{at}: group name {:?} is repeated in the same file",
                group.name
            )));
        }
        let interval = match &group.interval {
            None => None,
            Some(text) => match duration(text) {
                Ok(d) if d.is_zero() => {
                    return Err(error(format!("{at}: interval must be greater than 0")));
                }
                Ok(d) => Some(d),
                Err(e) => return Err(error(format!("{at}: interval: {e}"))),
            },
        };
        let labels = label_map(&group.labels).map_err(|e| error(format!("{at}: labels: {e}")))?;
        let mut rules = Vec::with_capacity(group.rules.len());
        for (number, rule) in group.rules.into_iter().enumerate() {
            let name = rule
                .alert
                .clone()
                .or(rule.record.clone())
                .unwrap_or_default();
            let at = format!("{at}, rule {} ({name:?})", number + 1);
            rules.push(validate_rule(rule).map_err(|e| error(format!("{at}: {e}")))?);
        }
        groups.push(RuleGroup {
            name: group.name,
            file: file.to_string(),
            interval,
            labels,
            limit: group.limit,
            rules,
        });
    }
    Ok(groups)
}

fn validate_rule(rule: RawRule) -> Result<AlertRule, String> {
    let name = match (rule.alert, rule.record) {
        (Some(_), Some(_)) => return Err("only one of 'record' and 'alert' must be set".into()),
        (None, None) => return Err("one of 'record' or 'alert' must be set".into()),
        (None, Some(_)) => {
            return Err("recording rules are not supported; use an alerting rule ('alert')".into());
        }
        (Some(name), None) if name.trim().is_empty() => {
            return Err("'alert' must not be empty".into());
        }
        (Some(name), None) => name,
    };
    if rule.expr.trim().is_empty() {
        return Err("field 'expr' must be set in rule".into());
    }
    let lang = match rule.lang.as_deref() {
        None | Some("promql") => RuleLang::PromQl,
        Some("logql") => RuleLang::LogQl,
        Some("traceql") => RuleLang::TraceQl,
        Some(other) => {
            return Err(format!("unknown lang {other:?} (promql, logql or traceql)"));
        }
    };
    check_expr(lang, &rule.expr)?;
    let hold = optional_duration(rule.hold.as_deref()).map_err(|e| format!("for: {e}"))?;
    let keep_firing_for = optional_duration(rule.keep_firing_for.as_deref())
        .map_err(|e| format!("keep_firing_for: {e}"))?;
    let labels = label_map(&rule.labels).map_err(|e| format!("labels: {e}"))?;
    if labels.iter().any(|(n, _)| n == "__name__") {
        return Err("labels: __name__ is not allowed".into());
    }
    let annotations = label_map(&rule.annotations).map_err(|e| format!("annotations: {e}"))?;
    for (what, map) in [("labels", &labels), ("annotations", &annotations)] {
        for (name, template) in map {
            AlertTemplate::parse(template).map_err(|e| format!("{what}: {name}: {e}"))?;
        }
    }
    Ok(AlertRule {
        name,
        expr: rule.expr,
        lang,
        hold,
        keep_firing_for,
        labels,
        annotations,
    })
}

/// Checks that `expr` parses in `lang` and yields an instant vector (or a scalar).
fn check_expr(lang: RuleLang, expr: &str) -> Result<(), String> {
    match lang {
        RuleLang::PromQl => {
            let parsed = promql_parser::parser::parse(expr)
                .map_err(|e| format!("could not parse expression: {e}"))?;
            match parsed.value_type() {
                promql_parser::parser::value::ValueType::Vector
                | promql_parser::parser::value::ValueType::Scalar => Ok(()),
                other => Err(format!(
                    "expression must be an instant vector or a scalar, not a {other}"
                )),
            }
        }
        RuleLang::LogQl => {
            let parsed = sightline_logql::parse(expr)
                .map_err(|e| format!("could not parse expression: {e}"))?;
            if parsed.is_metric() {
                Ok(())
            } else {
                Err(
                    "a logql rule needs a metric query (e.g. count_over_time), not a log query"
                        .into(),
                )
            }
        }
        RuleLang::TraceQl => {
            let parsed = sightline_traceql::parse(expr)
                .map_err(|e| format!("could not parse expression: {e}"))?;
            if parsed.is_metrics() {
                Ok(())
            } else {
                Err("a traceql rule needs a metrics query (e.g. `| rate()`), not a search".into())
            }
        }
    }
}

/// A Prometheus duration (`90s`, `1h30m`, `2d`); zero allowed.
pub fn duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    // Zero in any unit (`0`, `0s`, `0m`): Prometheus accepts it, the parser below does not.
    if text.starts_with('0') && text.chars().all(|c| c == '0' || c.is_ascii_alphabetic()) {
        return Ok(Duration::ZERO);
    }
    promql_parser::util::parse_duration(text)
        .map_err(|e| format!("not a valid duration {text:?}: {e}"))
}

fn optional_duration(text: Option<&str>) -> Result<Duration, String> {
    text.map_or(Ok(Duration::ZERO), duration)
}

/// Validates label (or annotation) names: Prometheus's legacy names.
fn label_map(map: &BTreeMap<String, String>) -> Result<Vec<(String, String)>, String> {
    for name in map.keys() {
        if !valid_label_name(name) {
            return Err(format!("invalid label name {name:?}"));
        }
    }
    Ok(map.iter().map(|(n, v)| (n.clone(), v.clone())).collect())
}

/// Whether `name` matches `[a-zA-Z_][a-zA-Z0-9_]*`.
pub fn valid_label_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}
