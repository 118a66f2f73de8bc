//! Prometheus request parameters: the query string plus a form body for `POST` (parameters may
//! repeat: `match[]`), times (RFC 3339 or unix float seconds), durations (`5m`, `1h30m` or float
//! seconds) and series selectors (parsed with `promql-parser`).

use std::time::Duration;

use axum::body::Bytes;
use http::HeaderMap;
use http::header::CONTENT_TYPE;
use promql_parser::label::{MatchOp, Matcher, Matchers};
use promql_parser::parser::{self, Expr, VectorSelector};
use promql_parser::util::{ExprVisitor, walk_expr};

use super::envelope::PromError;
use super::select::{LabelMatcher, MatchKind};
use crate::prometheus::naming::METRIC_NAME_LABEL;

/// The parameters of a request, in order.
#[derive(Debug, Clone, Default)]
pub struct PromParams(Vec<(String, String)>);

impl PromParams {
    /// Reads the query string and, for a form body, the body.
    pub fn new(query: Option<&str>, headers: &HeaderMap, body: &Bytes) -> Result<Self, PromError> {
        let mut pairs: Vec<(String, String)> = query
            .map(|q| form_urlencoded::parse(q.as_bytes()).into_owned().collect())
            .unwrap_or_default();
        if !body.is_empty() {
            let is_form = headers
                .get(CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
            if !is_form {
                return Err(PromError::bad_data(
                    "a request body must be application/x-www-form-urlencoded",
                ));
            }
            pairs.extend(form_urlencoded::parse(body).into_owned());
        }
        Ok(Self(pairs))
    }

    /// The last non-blank value of `name`.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .rev()
            .find(|(n, v)| n == name && !v.trim().is_empty())
            .map(|(_, v)| v.as_str())
    }

    /// Every non-blank value of `name`, in order.
    pub fn all(&self, name: &str) -> Vec<&str> {
        self.0
            .iter()
            .filter(|(n, v)| n == name && !v.trim().is_empty())
            .map(|(_, v)| v.as_str())
            .collect()
    }

    /// `name` as a non-negative integer (0 = no limit), or 0 when absent.
    pub fn limit(&self, name: &str) -> Result<usize, PromError> {
        match self.get(name) {
            None => Ok(0),
            Some(text) => text.trim().parse::<usize>().map_err(|_| {
                PromError::bad_data(format!(
                    "invalid parameter \"{name}\": cannot parse \"{text}\" to a valid limit"
                ))
            }),
        }
    }

    /// `start` and `end` (unix ns, inclusive), each defaulting to the whole time line.
    pub fn time_range(&self) -> Result<(u64, u64), PromError> {
        let start = self
            .get("start")
            .map(|t| parse_time("start", t))
            .transpose()?;
        let end = self.get("end").map(|t| parse_time("end", t)).transpose()?;
        let (start, end) = (start.unwrap_or(0), end.unwrap_or(u64::MAX));
        if end < start {
            return Err(PromError::bad_data(
                "invalid parameter \"end\": end timestamp must not be before start time",
            ));
        }
        Ok((start, end))
    }

    /// Every `match[]` selector, each as its alternatives (`{a="1" or b="2"}` has two).
    pub fn selectors(&self) -> Result<Vec<Vec<Vec<LabelMatcher>>>, PromError> {
        self.all("match[]")
            .into_iter()
            .map(|text| parse_selector("match[]", text))
            .collect()
    }
}

/// A time: RFC 3339 or unix seconds (float), as unix ns (clamped to `0..=u64::MAX`).
pub fn parse_time(name: &str, text: &str) -> Result<u64, PromError> {
    let text = text.trim();
    let invalid = || {
        PromError::bad_data(format!(
            "invalid parameter \"{name}\": cannot parse \"{text}\" to a valid timestamp"
        ))
    };
    if let Ok(seconds) = text.parse::<f64>() {
        if seconds.is_nan() {
            return Err(invalid());
        }
        // Float to int `as` saturates: negative times are 0, huge ones u64::MAX.
        return Ok((seconds * 1e9).round() as u64);
    }
    let time = chrono::DateTime::parse_from_rfc3339(text).map_err(|_| invalid())?;
    Ok(time
        .timestamp_nanos_opt()
        .map(|ns| ns.max(0) as u64)
        .unwrap_or(if time.timestamp() < 0 { 0 } else { u64::MAX }))
}

/// A duration: float seconds or a Prometheus duration (`5m`, `1h30m`, `500ms`).
pub fn parse_duration(name: &str, text: &str) -> Result<Duration, PromError> {
    let text = text.trim();
    let invalid = || {
        PromError::bad_data(format!(
            "invalid parameter \"{name}\": cannot parse \"{text}\" to a valid duration"
        ))
    };
    if let Ok(seconds) = text.parse::<f64>() {
        if !seconds.is_finite() || seconds < 0.0 {
            return Err(invalid());
        }
        return Duration::try_from_secs_f64(seconds).map_err(|_| invalid());
    }
    promql_parser::util::parse_duration(text).map_err(|_| invalid())
}

/// A series selector (`up`, `{job="a"}`, `up{job=~"a.*"}`) as its alternatives.
pub fn parse_selector(name: &str, text: &str) -> Result<Vec<Vec<LabelMatcher>>, PromError> {
    let expr = parser::parse(text)
        .map_err(|e| PromError::bad_data(format!("invalid parameter \"{name}\": {}", e.trim())))?;
    match expr {
        Expr::VectorSelector(selector) => Ok(alternatives(&selector)),
        _ => Err(PromError::bad_data(format!(
            "invalid parameter \"{name}\": {text:?} is not a series selector"
        ))),
    }
}

/// The selectors of a PromQL expression (every vector and range selector in it), each as its
/// alternatives.
pub fn expression_selectors(
    name: &str,
    text: &str,
) -> Result<Vec<Vec<Vec<LabelMatcher>>>, PromError> {
    struct Collect(Vec<Vec<Vec<LabelMatcher>>>);
    impl ExprVisitor for Collect {
        type Error = std::convert::Infallible;
        fn pre_visit(&mut self, expr: &Expr) -> Result<bool, Self::Error> {
            match expr {
                Expr::VectorSelector(vs) => self.0.push(alternatives(vs)),
                Expr::MatrixSelector(ms) => self.0.push(alternatives(&ms.vs)),
                _ => {}
            }
            Ok(true)
        }
    }
    let expr = parser::parse(text)
        .map_err(|e| PromError::bad_data(format!("invalid parameter \"{name}\": {}", e.trim())))?;
    let mut collect = Collect(Vec::new());
    let Ok(_) = walk_expr(&mut collect, &expr);
    Ok(collect.0)
}

fn alternatives(selector: &VectorSelector) -> Vec<Vec<LabelMatcher>> {
    let name = selector.name.as_ref().map(|name| LabelMatcher {
        name: METRIC_NAME_LABEL.to_string(),
        op: MatchKind::Equal,
        value: name.clone(),
    });
    let Matchers {
        matchers,
        or_matchers,
    } = &selector.matchers;
    let groups: Vec<&Vec<Matcher>> = if or_matchers.is_empty() {
        vec![matchers]
    } else {
        or_matchers.iter().collect()
    };
    groups
        .into_iter()
        .map(|group| {
            name.iter()
                .cloned()
                .chain(group.iter().map(label_matcher))
                .collect()
        })
        .collect()
}

fn label_matcher(matcher: &Matcher) -> LabelMatcher {
    let op = match matcher.op {
        MatchOp::Equal => MatchKind::Equal,
        MatchOp::NotEqual => MatchKind::NotEqual,
        MatchOp::Re(_) => MatchKind::Regex,
        MatchOp::NotRe(_) => MatchKind::NotRegex,
    };
    LabelMatcher {
        name: matcher.name.clone(),
        op,
        value: matcher.value.clone(),
    }
}

#[cfg(test)]
mod unit_tests {
    use super::*;

    fn m(name: &str, op: MatchKind, value: &str) -> LabelMatcher {
        LabelMatcher {
            name: name.into(),
            op,
            value: value.into(),
        }
    }

    #[test]
    fn times_and_durations() {
        assert_eq!(
            parse_time("t", "1700000000.5").unwrap(),
            1_700_000_000_500_000_000
        );
        assert_eq!(
            parse_time("t", "2023-11-14T22:13:20.25Z").unwrap(),
            1_700_000_000_250_000_000
        );
        assert_eq!(parse_time("t", "-5").unwrap(), 0);
        assert!(parse_time("t", "yesterday").is_err());
        assert_eq!(parse_duration("d", "5m").unwrap(), Duration::from_secs(300));
        assert_eq!(
            parse_duration("d", "1.5").unwrap(),
            Duration::from_millis(1500)
        );
        assert_eq!(
            parse_duration("d", "1h30m").unwrap(),
            Duration::from_secs(5400)
        );
        assert!(parse_duration("d", "-1").is_err());
        assert!(parse_duration("d", "soon").is_err());
    }

    #[test]
    fn selectors() {
        assert_eq!(
            parse_selector("match[]", r#"up{job=~"a.*",x!="1",y!~"z"}"#).unwrap(),
            vec![vec![
                m("__name__", MatchKind::Equal, "up"),
                m("job", MatchKind::Regex, "a.*"),
                m("x", MatchKind::NotEqual, "1"),
                m("y", MatchKind::NotRegex, "z"),
            ]]
        );
        assert_eq!(
            parse_selector("match[]", r#"{a="1" or b="2"}"#).unwrap(),
            vec![
                vec![m("a", MatchKind::Equal, "1")],
                vec![m("b", MatchKind::Equal, "2")]
            ]
        );
        assert!(parse_selector("match[]", "sum(up)").is_err());
        assert!(parse_selector("match[]", "{").is_err());
        assert_eq!(
            expression_selectors("query", "histogram_quantile(0.9, rate(a_bucket[5m])) / b")
                .unwrap()
                .len(),
            2
        );
    }
}
