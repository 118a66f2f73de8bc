//! Label filter stages: `| level="error"`, `| status >= 500`, `| latency > 1.5s`,
//! `| size < 5MB`, `| addr = ip("10.0.0.0/8")`, combined with `and`, `or` and `,`.
//!
//! As in Loki, a missing label reads as the empty string for string matchers but fails
//! numeric, duration, byte and IP comparisons; a value that does not convert keeps the line and
//! sets `__error__="LabelFilterErr"` (unless an error is already set), so that
//! `| __error__=""` can drop it.

use regex::Regex;

use crate::ast::{ComparisonOp, LabelFilterExpr, MatchOp, Matcher};
use crate::labels::Labels;

use super::builder::LabelsBuilder;
use super::ip::IpMatcher;
use super::{ERROR_DETAILS_LABEL, ERROR_LABEL, LABEL_FILTER_ERR, PipelineError, convert, re2};

/// The labels a filter reads, and where it records a conversion error.
pub(crate) trait FilterLabels {
    /// The value of `name`, `__error__` and `__error_details__` included.
    fn value(&self, name: &str) -> Option<&str>;
    /// Whether `__error__` is set.
    fn has_error(&self) -> bool;
    /// Sets `__error__` and `__error_details__`.
    fn set_error(&mut self, error: &str, details: String);
}

impl FilterLabels for LabelsBuilder<'_> {
    fn value(&self, name: &str) -> Option<&str> {
        self.get_with_errors(name)
    }

    fn has_error(&self) -> bool {
        LabelsBuilder::has_error(self)
    }

    fn set_error(&mut self, error: &str, details: String) {
        self.add_error(error, Some(details));
    }
}

impl FilterLabels for Labels {
    fn value(&self, name: &str) -> Option<&str> {
        self.get(name)
    }

    fn has_error(&self) -> bool {
        self.get(ERROR_LABEL).is_some_and(|e| !e.is_empty())
    }

    fn set_error(&mut self, error: &str, details: String) {
        self.set(ERROR_LABEL, error);
        self.set(ERROR_DETAILS_LABEL, details);
    }
}

/// A compiled label matcher (`=`, `!=`, anchored `=~`, `!~`).
#[derive(Debug)]
pub(crate) enum StringMatcher {
    Eq(String),
    Neq(String),
    Re(Regex),
    Nre(Regex),
}

impl StringMatcher {
    /// Compiles the matcher's operator and value.
    pub(crate) fn new(matcher: &Matcher) -> Result<Self, PipelineError> {
        Ok(match matcher.op {
            MatchOp::Eq => StringMatcher::Eq(matcher.value.clone()),
            MatchOp::Neq => StringMatcher::Neq(matcher.value.clone()),
            MatchOp::Re => StringMatcher::Re(re2::compile_anchored(&matcher.value)?),
            MatchOp::Nre => StringMatcher::Nre(re2::compile_anchored(&matcher.value)?),
        })
    }

    /// Whether `value` matches.
    pub(crate) fn matches(&self, value: &str) -> bool {
        match self {
            StringMatcher::Eq(s) => value == s,
            StringMatcher::Neq(s) => value != s,
            StringMatcher::Re(re) => re.is_match(value),
            StringMatcher::Nre(re) => !re.is_match(value),
        }
    }
}

/// A compiled label filter expression.
#[derive(Debug)]
pub(crate) enum LabelFilter {
    And(Box<LabelFilter>, Box<LabelFilter>),
    Or(Box<LabelFilter>, Box<LabelFilter>),
    String {
        name: String,
        matcher: StringMatcher,
    },
    Number {
        name: String,
        op: ComparisonOp,
        value: f64,
    },
    Duration {
        name: String,
        op: ComparisonOp,
        nanos: i64,
    },
    Bytes {
        name: String,
        op: ComparisonOp,
        bytes: u64,
    },
    Ip {
        name: String,
        negated: bool,
        matcher: IpMatcher,
    },
}

impl LabelFilter {
    /// Compiles a label filter expression.
    pub(crate) fn new(expr: &LabelFilterExpr) -> Result<Self, PipelineError> {
        Ok(match expr {
            LabelFilterExpr::And(a, b) => {
                LabelFilter::And(Box::new(Self::new(a)?), Box::new(Self::new(b)?))
            }
            LabelFilterExpr::Or(a, b) => {
                LabelFilter::Or(Box::new(Self::new(a)?), Box::new(Self::new(b)?))
            }
            LabelFilterExpr::String(m) => LabelFilter::String {
                name: m.name.clone(),
                matcher: StringMatcher::new(m)?,
            },
            LabelFilterExpr::Number { label, op, value } => LabelFilter::Number {
                name: label.clone(),
                op: *op,
                value: *value,
            },
            LabelFilterExpr::Duration { label, op, nanos } => LabelFilter::Duration {
                name: label.clone(),
                op: *op,
                nanos: *nanos,
            },
            LabelFilterExpr::Bytes { label, op, bytes } => LabelFilter::Bytes {
                name: label.clone(),
                op: *op,
                bytes: *bytes,
            },
            LabelFilterExpr::Ip {
                label,
                negated,
                pattern,
            } => LabelFilter::Ip {
                name: label.clone(),
                negated: *negated,
                matcher: IpMatcher::new(pattern)?,
            },
        })
    }

    /// Whether the line passes, possibly recording a conversion error in `labels`.
    pub(crate) fn process(&self, labels: &mut impl FilterLabels) -> bool {
        match self {
            LabelFilter::And(a, b) => {
                // Loki evaluates both sides (the right one may record an error).
                let left = a.process(labels);
                let right = b.process(labels);
                left && right
            }
            LabelFilter::Or(a, b) => a.process(labels) || b.process(labels),
            LabelFilter::String { name, matcher } => {
                matcher.matches(labels.value(name).unwrap_or(""))
            }
            LabelFilter::Number { name, op, value } => {
                compare_converted(labels, name, *op, value, convert::parse_float)
            }
            LabelFilter::Duration { name, op, nanos } => {
                compare_converted(labels, name, *op, nanos, convert::parse_duration)
            }
            LabelFilter::Bytes { name, op, bytes } => {
                compare_converted(labels, name, *op, bytes, convert::parse_bytes)
            }
            LabelFilter::Ip {
                name,
                negated,
                matcher,
            } => {
                if labels.has_error() {
                    return true;
                }
                match labels.value(name) {
                    None => false,
                    Some(value) => matcher.matches_in(value) != *negated,
                }
            }
        }
    }
}

/// Reads `name`, converts it and compares it with `expected`: false when the label is missing,
/// true (with `__error__` recorded if none is set) when it does not convert.
fn compare_converted<T: PartialOrd>(
    labels: &mut impl FilterLabels,
    name: &str,
    op: ComparisonOp,
    expected: &T,
    parse: impl Fn(&str) -> Result<T, String>,
) -> bool {
    let Some(text) = labels.value(name) else {
        return false;
    };
    match parse(text) {
        Ok(actual) => compare(op, &actual, expected),
        Err(details) => {
            if !labels.has_error() {
                labels.set_error(LABEL_FILTER_ERR, details);
            }
            true
        }
    }
}

fn compare<T: PartialOrd>(op: ComparisonOp, actual: &T, expected: &T) -> bool {
    match op {
        ComparisonOp::Eq => actual == expected,
        ComparisonOp::Neq => actual != expected,
        ComparisonOp::Gt => actual > expected,
        ComparisonOp::Gte => actual >= expected,
        ComparisonOp::Lt => actual < expected,
        ComparisonOp::Lte => actual <= expected,
    }
}
