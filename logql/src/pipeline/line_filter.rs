//! Line filter stages: `|= "x"`, `!= "x"`, `|~ "re"`, `!~ "re"`, `|> "<_> x"`, `!> "..."`,
//! `|= ip("...")`, each with `or` alternatives. They only read the line: no allocation.

use regex::Regex;

use crate::ast::{LineFilter, LineFilterOp, LineFilterValue};

use super::PipelineError;
use super::ip::IpMatcher;
use super::pattern::PatternMatcher;
use super::re2;

/// A compiled line filter stage. A positive filter keeps lines matching any alternative, a
/// negative one lines matching none.
#[derive(Debug)]
pub(crate) struct LineFilterStage {
    negative: bool,
    matchers: Vec<LineMatcher>,
}

/// One way of matching a line.
#[derive(Debug)]
enum LineMatcher {
    /// The line contains the string.
    Contains(String),
    /// The (unanchored) regex matches somewhere; `or`-joined strings and regexes are merged
    /// into one alternation.
    Regex(Regex),
    /// The line matches the pattern.
    Pattern(PatternMatcher),
    /// An address matching the pattern appears in the line.
    Ip(IpMatcher),
}

impl LineFilterStage {
    /// Compiles a line filter.
    pub(crate) fn new(filter: &LineFilter) -> Result<Self, PipelineError> {
        let mut matchers = Vec::with_capacity(filter.values.len());
        let mut strings: Vec<&str> = Vec::new();
        let mut ips = Vec::new();
        for value in &filter.values {
            match value {
                LineFilterValue::String(s) => strings.push(s),
                LineFilterValue::Ip(pattern) => ips.push(IpMatcher::new(pattern)?),
            }
        }
        match filter.op {
            LineFilterOp::Contains | LineFilterOp::NotContains => {
                if strings.len() > 1 && strings.iter().all(|s| !s.is_empty()) {
                    let alternation: Vec<String> =
                        strings.iter().map(|s| regex::escape(s)).collect();
                    matchers.push(LineMatcher::Regex(re2::compile(&alternation.join("|"))?));
                } else {
                    matchers.extend(strings.iter().map(|s| LineMatcher::Contains(s.to_string())));
                }
            }
            LineFilterOp::Match | LineFilterOp::NotMatch => {
                for s in &strings {
                    re2::compile(s)?;
                }
                let source = match strings.as_slice() {
                    [one] => one.to_string(),
                    many => many
                        .iter()
                        .map(|s| format!("(?:{s})"))
                        .collect::<Vec<_>>()
                        .join("|"),
                };
                matchers.push(LineMatcher::Regex(re2::compile(&source)?));
            }
            LineFilterOp::Pattern | LineFilterOp::NotPattern => {
                for s in &strings {
                    matchers.push(LineMatcher::Pattern(PatternMatcher::for_line_filter(s)?));
                }
            }
        }
        matchers.extend(ips.into_iter().map(LineMatcher::Ip));
        Ok(LineFilterStage {
            negative: filter.op.is_negative(),
            matchers,
        })
    }

    /// Whether the line passes the filter.
    pub(crate) fn matches(&self, line: &str) -> bool {
        let any = self.matchers.iter().any(|m| match m {
            LineMatcher::Contains(s) => line.contains(s.as_str()),
            LineMatcher::Regex(re) => re.is_match(line),
            LineMatcher::Pattern(p) => p.test(line),
            LineMatcher::Ip(ip) => ip.matches_in(line),
        });
        any != self.negative
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn filter(op: LineFilterOp, values: &[&str]) -> LineFilterStage {
        LineFilterStage::new(&LineFilter {
            op,
            values: values
                .iter()
                .map(|v| LineFilterValue::String(v.to_string()))
                .collect(),
        })
        .unwrap()
    }

    #[test]
    fn alternatives() {
        let f = filter(LineFilterOp::Contains, &["a.b", "c"]);
        assert!(f.matches("xa.by") && f.matches("c") && !f.matches("axb"));
        let f = filter(LineFilterOp::NotContains, &["a", "b"]);
        assert!(!f.matches("a") && !f.matches("b") && f.matches("c"));
        let f = filter(LineFilterOp::Match, &["(?i)err", "^x$"]);
        assert!(f.matches("ERROR") && f.matches("x") && !f.matches("xx"));
        assert!(filter(LineFilterOp::Contains, &[""]).matches("anything"));
        assert!(!filter(LineFilterOp::NotContains, &[""]).matches("anything"));
    }
}
