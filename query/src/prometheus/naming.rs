//! OTLP -> Prometheus names, following the OpenTelemetry specification ("Prometheus and
//! OpenMetrics compatibility", OTLP metric points to Prometheus) and, where it leaves room, the
//! OpenTelemetry Collector's Prometheus translator, so names match what users already see from a
//! Collector feeding Prometheus.
//!
//! Metric names ([`metric_name`]):
//! - every character outside `[a-zA-Z0-9_:]` becomes `_`; runs of `_` collapse, and leading and
//!   trailing `_` are dropped (as the Collector does); a leading digit gets a `_` prefix;
//! - the unit ([`unit_suffixes`]) is converted to Prometheus words (`s` -> `seconds`, `By` ->
//!   `bytes`, `KiBy` -> `kibibytes`, ...), `{...}` annotations are dropped, `a/b` becomes
//!   `a_per_b`, and `1` becomes `ratio` for gauges only; each part is appended unless the name
//!   already has it as one of its `_`-separated words;
//! - monotonic sums get `_total` (after the unit, never twice). Delta monotonic sums get it too:
//!   the specification turns them into cumulative counters, and Prometheus' own OTLP delta
//!   ingestion names them the same way; the evaluator learns the temporality separately.
//!
//! Label names ([`label_name`]): characters outside `[a-zA-Z0-9_]` become `_`, runs of `_`
//! collapse (as the specification requires), a leading digit gets a `key_` prefix and a leading
//! `_` a `key` prefix, so no converted attribute ever starts with `__` (reserved by Prometheus).
//! Attributes whose names collide after conversion are merged as the specification says: values
//! joined with `;`, in the order of the original keys ([`labels_of`]).
//!
//! Resources: `job` is `service.namespace/service.name` (or `service.name`), `instance` is
//! `service.instance.id` ([`job_and_instance`]); every other resource attribute goes to the
//! `target_info` series ([`is_target_info_attribute`]).

use std::fmt::Write as _;

use sightline_proto::otlp::common::v1::{AnyValue, KeyValue, any_value};

/// The name of the series carrying the resource attributes not used for `job` and `instance`.
pub const TARGET_INFO: &str = "target_info";
/// The label of a histogram bucket's upper bound.
pub const LE: &str = "le";
/// The label of a summary quantile.
pub const QUANTILE: &str = "quantile";
/// The label of the metric name.
pub const METRIC_NAME_LABEL: &str = "__name__";
/// The label naming the service (resource `service.namespace` / `service.name`).
pub const JOB: &str = "job";
/// The label naming the service instance (resource `service.instance.id`).
pub const INSTANCE: &str = "instance";
/// The label carrying the instrumentation scope name.
pub const SCOPE_NAME: &str = "otel_scope_name";
/// The label carrying the instrumentation scope version.
pub const SCOPE_VERSION: &str = "otel_scope_version";

/// The OTLP metric kinds that name differently in Prometheus.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MetricKind {
    /// Gauge (unit `1` -> `_ratio`).
    Gauge,
    /// Monotonic sum (a counter: `_total`).
    MonotonicSum,
    /// Non-monotonic sum (a Prometheus gauge).
    NonMonotonicSum,
    /// Explicit-bucket histogram (`_bucket`, `_sum`, `_count` are added per series).
    Histogram,
    /// Exponential histogram (converted to the classic form, like [`MetricKind::Histogram`]).
    ExponentialHistogram,
    /// Summary (`quantile`, `_sum`, `_count`).
    Summary,
}

/// Replaces characters outside `[a-zA-Z0-9_:]` with `_`, collapses runs of `_`, drops leading
/// and trailing `_`, and prefixes a leading digit with `_`. An empty result stays empty.
pub fn sanitize_metric_name(name: &str) -> String {
    let words = metric_words(name);
    finish_metric_name(&words)
}

/// The `_`-separated words of a sanitized metric name (no empty words).
fn metric_words(name: &str) -> Vec<String> {
    name.split(|c: char| !(c.is_ascii_alphanumeric() || c == ':'))
        .filter(|w| !w.is_empty())
        .map(str::to_string)
        .collect()
}

fn finish_metric_name(words: &[String]) -> String {
    let joined = words.join("_");
    if joined.starts_with(|c: char| c.is_ascii_digit()) {
        format!("_{joined}")
    } else {
        joined
    }
}

/// The Prometheus name of an OTLP metric (without the `_bucket`, `_sum`, `_count` of histograms
/// and summaries, which depend on the series): sanitized, with unit suffixes and `_total` for
/// monotonic sums.
pub fn metric_name(name: &str, unit: &str, kind: MetricKind) -> String {
    let mut words = metric_words(name);
    let counter = kind == MetricKind::MonotonicSum;
    if counter && words.last().is_some_and(|w| w == "total") {
        words.pop();
    }
    let (main, per) = unit_suffixes(unit, kind);
    if let Some(main) = main
        && !words.contains(&main)
    {
        words.push(main);
    }
    if let Some(per) = per
        && !words.contains(&per)
    {
        words.push("per".to_string());
        words.push(per);
    }
    if counter {
        words.push("total".to_string());
    }
    finish_metric_name(&words)
}

/// The name suffixes of an OTLP unit: the main unit (`ms` -> `milliseconds`) and the unit after
/// `/` (`s` -> `second`, used as `per_second`). `{...}` annotations are dropped; `1` is `ratio`
/// for gauges and nothing otherwise; units outside the table keep their alphanumeric characters.
pub fn unit_suffixes(unit: &str, kind: MetricKind) -> (Option<String>, Option<String>) {
    let unit = strip_annotations(unit);
    let unit = unit.trim();
    if unit == "1" {
        return (
            (kind == MetricKind::Gauge).then(|| "ratio".to_string()),
            None,
        );
    }
    let (main, per) = match unit.split_once('/') {
        Some((main, per)) => (main.trim(), Some(per.trim())),
        None => (unit, None),
    };
    let main = match main {
        "1" => None,
        m => unit_word(m, main_unit_word),
    };
    let per = per.and_then(|p| unit_word(p, per_unit_word));
    (main, per)
}

fn unit_word(unit: &str, table: fn(&str) -> Option<&'static str>) -> Option<String> {
    let word = match table(unit) {
        Some(word) => word.to_string(),
        None => unit.chars().filter(char::is_ascii_alphanumeric).collect(),
    };
    (!word.is_empty()).then_some(word)
}

/// Removes every `{...}` part of a unit.
fn strip_annotations(unit: &str) -> String {
    let mut out = String::with_capacity(unit.len());
    let mut depth = 0usize;
    for c in unit.chars() {
        match c {
            '{' => depth += 1,
            '}' if depth > 0 => depth -= 1,
            c if depth == 0 => out.push(c),
            _ => {}
        }
    }
    out
}

/// UCUM units and their Prometheus words.
fn main_unit_word(unit: &str) -> Option<&'static str> {
    Some(match unit {
        "d" => "days",
        "h" => "hours",
        "min" => "minutes",
        "s" => "seconds",
        "ms" => "milliseconds",
        "us" => "microseconds",
        "ns" => "nanoseconds",
        "By" => "bytes",
        "KiBy" => "kibibytes",
        "MiBy" => "mebibytes",
        "GiBy" => "gibibytes",
        "TiBy" => "tibibytes",
        "KBy" => "kilobytes",
        "MBy" => "megabytes",
        "GBy" => "gigabytes",
        "TBy" => "terabytes",
        "m" => "meters",
        "V" => "volts",
        "A" => "amperes",
        "J" => "joules",
        "W" => "watts",
        "g" => "grams",
        "Cel" => "celsius",
        "Hz" => "hertz",
        "%" => "percent",
        _ => return None,
    })
}

/// UCUM units after `/` and their Prometheus words.
fn per_unit_word(unit: &str) -> Option<&'static str> {
    Some(match unit {
        "s" => "second",
        "m" => "minute",
        "h" => "hour",
        "d" => "day",
        "w" => "week",
        "mo" => "month",
        "y" => "year",
        _ => return None,
    })
}

/// The Prometheus label name of an attribute key: characters outside `[a-zA-Z0-9_]` become
/// `_`, runs of `_` collapse, a leading digit gets `key_` and a leading `_` gets `key`. Empty
/// keys stay empty (callers drop them).
pub fn label_name(key: &str) -> String {
    let mut out = String::with_capacity(key.len() + 4);
    for c in key.chars() {
        let c = if c.is_ascii_alphanumeric() { c } else { '_' };
        if c == '_' && out.ends_with('_') {
            continue;
        }
        out.push(c);
    }
    if out.starts_with(|c: char| c.is_ascii_digit()) {
        out.insert_str(0, "key_");
    } else if out.starts_with('_') {
        out.insert_str(0, "key");
    }
    out
}

/// The label value of an attribute value, following the attribute specification for
/// non-string values: integers and doubles in decimal, booleans as `true`/`false`, bytes in
/// base64, arrays and maps as JSON.
pub fn attribute_value_string(value: Option<&AnyValue>) -> String {
    let mut out = String::new();
    write_value(&mut out, value.and_then(|v| v.value.as_ref()), false);
    out
}

fn write_value(out: &mut String, value: Option<&any_value::Value>, json: bool) {
    use any_value::Value;
    match value {
        // A profiles dictionary index: not resolvable here.
        None | Some(Value::StringValueStrindex(_)) => {
            if json {
                out.push_str("null");
            }
        }
        Some(Value::StringValue(s)) if json => write_json_string(out, s),
        Some(Value::StringValue(s)) => out.push_str(s),
        Some(Value::BoolValue(b)) => out.push_str(if *b { "true" } else { "false" }),
        Some(Value::IntValue(i)) => {
            let _ = write!(out, "{i}");
        }
        Some(Value::DoubleValue(d)) if json && !d.is_finite() => {
            write_json_string(out, &d.to_string())
        }
        Some(Value::DoubleValue(d)) => {
            let _ = write!(out, "{d}");
        }
        Some(Value::BytesValue(b)) if json => write_json_string(out, &base64(b)),
        Some(Value::BytesValue(b)) => out.push_str(&base64(b)),
        Some(Value::ArrayValue(a)) => {
            out.push('[');
            for (i, v) in a.values.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_value(out, v.value.as_ref(), true);
            }
            out.push(']');
        }
        Some(Value::KvlistValue(kv)) => {
            out.push('{');
            for (i, kv) in kv.values.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_json_string(out, &kv.key);
                out.push(':');
                write_value(out, kv.value.as_ref().and_then(|v| v.value.as_ref()), true);
            }
            out.push('}');
        }
    }
}

fn write_json_string(out: &mut String, s: &str) {
    out.push_str(&serde_json::Value::String(s.to_string()).to_string());
}

fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = (u32::from(chunk[0]) << 16)
            | (u32::from(*chunk.get(1).unwrap_or(&0)) << 8)
            | u32::from(*chunk.get(2).unwrap_or(&0));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Converts attributes to Prometheus labels, sorted by name: names through [`label_name`],
/// values through [`attribute_value_string`]; attributes with an empty name or value are
/// dropped (an empty label is no label in Prometheus); names that collide get their values
/// joined with `;` in the order of the original keys.
pub fn labels_of<'a>(attributes: impl IntoIterator<Item = &'a KeyValue>) -> Vec<(String, String)> {
    let mut converted: Vec<(String, &str, String)> = attributes
        .into_iter()
        .filter_map(|kv| {
            let name = label_name(&kv.key);
            let value = attribute_value_string(kv.value.as_ref());
            (!name.is_empty() && !value.is_empty()).then_some((name, kv.key.as_str(), value))
        })
        .collect();
    converted.sort_by(|a, b| a.0.cmp(&b.0).then_with(|| a.1.cmp(b.1)));
    let mut out: Vec<(String, String)> = Vec::with_capacity(converted.len());
    for (name, _, value) in converted {
        match out.last_mut() {
            Some((last, joined)) if *last == name => {
                joined.push(';');
                joined.push_str(&value);
            }
            _ => out.push((name, value)),
        }
    }
    out
}

/// The resource attributes that make `job` and `instance` rather than `target_info` labels.
pub const IDENTITY_ATTRIBUTES: [&str; 3] =
    ["service.name", "service.namespace", "service.instance.id"];

/// Whether a resource attribute belongs on `target_info` (every one but `service.name`,
/// `service.namespace` and `service.instance.id`).
pub fn is_target_info_attribute(key: &str) -> bool {
    !IDENTITY_ATTRIBUTES.contains(&key)
}

/// The `job` (`service.namespace/service.name`, or `service.name` without a namespace) and
/// `instance` (`service.instance.id`) of a resource; `None` when empty.
pub fn job_and_instance(resource_attributes: &[KeyValue]) -> (Option<String>, Option<String>) {
    let get = |key: &str| {
        resource_attributes
            .iter()
            .find(|kv| kv.key == key)
            .map(|kv| attribute_value_string(kv.value.as_ref()))
            .filter(|v| !v.is_empty())
    };
    let job = match (get("service.namespace"), get("service.name")) {
        (Some(namespace), Some(name)) => Some(format!("{namespace}/{name}")),
        (Some(namespace), None) => Some(format!("{namespace}/")),
        (None, name) => name,
    };
    (job, get("service.instance.id"))
}

/// The labels of a resource's `target_info` series: `job`, `instance` and every other resource
/// attribute, sorted; `None` when the resource has no attribute for it (the specification emits
/// `target_info` only for resources with more than their identity).
pub fn target_info_labels(resource_attributes: &[KeyValue]) -> Option<Vec<(String, String)>> {
    let mut labels = labels_of(
        resource_attributes
            .iter()
            .filter(|kv| is_target_info_attribute(&kv.key)),
    );
    if labels.is_empty() {
        return None;
    }
    labels.retain(|(name, _)| name != JOB && name != INSTANCE);
    let (job, instance) = job_and_instance(resource_attributes);
    labels.extend(job.map(|j| (JOB.to_string(), j)));
    labels.extend(instance.map(|i| (INSTANCE.to_string(), i)));
    labels.sort();
    Some(labels)
}

/// Formats a bucket bound or quantile as a label value: `+Inf`/`-Inf`/`NaN`, else the shortest
/// decimal that reads back as the same float (`0.005`, `1`, `250`).
pub fn float_label(value: f64) -> String {
    if value.is_nan() {
        "NaN".to_string()
    } else if value == f64::INFINITY {
        "+Inf".to_string()
    } else if value == f64::NEG_INFINITY {
        "-Inf".to_string()
    } else {
        // Rust prints the shortest round-tripping form; `-0` reads as `0` in Prometheus.
        let text = format!("{value}");
        if text == "-0" { "0".to_string() } else { text }
    }
}

#[cfg(test)]
mod tests;
