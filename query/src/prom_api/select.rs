//! Series selection: [`crate::prometheus::series::list_series_where`] filtered by PromQL label
//! matchers on `__name__` and the labels (`=`, `!=`, `=~`, `!~`; regexes fully anchored; a
//! missing label matches as "").

use regex::Regex;
use sightline_storage::{TelemetryStore, TenantId};

use crate::ApiError;
use std::sync::Arc;

use crate::prometheus::series::{
    PromSeries, SeriesSamples, list_series_names_where, list_series_where,
};

/// A matcher's operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MatchKind {
    /// `=`
    Equal,
    /// `!=`
    NotEqual,
    /// `=~` (fully anchored)
    Regex,
    /// `!~` (fully anchored)
    NotRegex,
}

/// One label matcher of a selector: `name op "value"`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct LabelMatcher {
    /// The label (`__name__` for the metric name).
    pub name: String,
    /// The operator.
    pub op: MatchKind,
    /// The value or the regex.
    pub value: String,
}

/// A selector ready to test series: every matcher must hold.
#[derive(Debug, Clone)]
pub struct Selector {
    matchers: Vec<(LabelMatcher, Option<Regex>)>,
}

impl Selector {
    /// Compiles the regexes of `matchers` (`bad_data` when one is invalid).
    pub fn new(matchers: &[LabelMatcher]) -> Result<Self, ApiError> {
        let matchers = matchers
            .iter()
            .map(|m| {
                let regex = match m.op {
                    MatchKind::Regex | MatchKind::NotRegex => {
                        Some(Regex::new(&format!("^(?:{})$", m.value)).map_err(|e| {
                            ApiError::BadRequest(format!("invalid regex {:?}: {e}", m.value))
                        })?)
                    }
                    MatchKind::Equal | MatchKind::NotEqual => None,
                };
                Ok((m.clone(), regex))
            })
            .collect::<Result<_, ApiError>>()?;
        Ok(Self { matchers })
    }

    /// Whether `series` satisfies every matcher.
    pub fn matches(&self, series: &PromSeries) -> bool {
        self.matchers.iter().all(|(m, regex)| {
            let value = series.label(&m.name).unwrap_or("");
            match (m.op, regex) {
                (MatchKind::Equal, _) => value == m.value,
                (MatchKind::NotEqual, _) => value != m.value,
                (MatchKind::Regex, Some(re)) => re.is_match(value),
                (MatchKind::NotRegex, Some(re)) => !re.is_match(value),
                (MatchKind::Regex | MatchKind::NotRegex, None) => false,
            }
        })
    }
}

/// Whether `series` satisfies any of `selectors` (all series when there are none).
pub fn matches_any(selectors: &[Selector], series: &PromSeries) -> bool {
    selectors.is_empty() || selectors.iter().any(|s| s.matches(series))
}

/// The series of `tenant` (with their samples in `start_ns..=end_ns`) that `matchers` select,
/// sorted by name and labels.
pub async fn select_series(
    store: &TelemetryStore,
    tenant: &TenantId,
    matchers: &[LabelMatcher],
    start_ns: u64,
    end_ns: u64,
) -> Result<Vec<SeriesSamples>, ApiError> {
    select_any(store, tenant, &[Selector::new(matchers)?], start_ns, end_ns).await
}

/// The series that any of `selectors` selects (every series when there are none), listing the
/// store once.
pub async fn select_any(
    store: &TelemetryStore,
    tenant: &TenantId,
    selectors: &[Selector],
    start_ns: u64,
    end_ns: u64,
) -> Result<Vec<SeriesSamples>, ApiError> {
    list_series_where(store, tenant, (start_ns, end_ns), |series| {
        matches_any(selectors, series)
    })
    .await
}

/// The series (without samples) that any of `selectors` selects (every series when there are
/// none) in `start_ns..=end_ns`: what the series and label endpoints list.
pub async fn select_series_names(
    store: &TelemetryStore,
    tenant: &TenantId,
    selectors: &[Selector],
    start_ns: u64,
    end_ns: u64,
) -> Result<Vec<Arc<PromSeries>>, ApiError> {
    list_series_names_where(store, tenant, (start_ns, end_ns), |series| {
        matches_any(selectors, series)
    })
    .await
}

#[cfg(test)]
mod unit_tests {
    use super::*;
    use crate::prometheus::series::{SeriesKind, Temporality};

    fn m(name: &str, op: MatchKind, value: &str) -> LabelMatcher {
        LabelMatcher {
            name: name.into(),
            op,
            value: value.into(),
        }
    }

    #[test]
    fn matcher_ops() {
        let series = PromSeries {
            name: "up".into(),
            labels: vec![("job".into(), "api".into())],
            kind: SeriesKind::Gauge,
            temporality: Temporality::Unspecified,
        };
        let check = |matchers: &[LabelMatcher]| Selector::new(matchers).unwrap().matches(&series);
        assert!(check(&[m("__name__", MatchKind::Equal, "up")]));
        assert!(check(&[m("job", MatchKind::Regex, "a.*")]));
        assert!(!check(&[m("job", MatchKind::Regex, "a")]), "anchored");
        assert!(check(&[m("job", MatchKind::NotRegex, "a")]));
        assert!(check(&[m("job", MatchKind::NotEqual, "web")]));
        assert!(check(&[m("missing", MatchKind::Equal, "")]));
        assert!(check(&[m("missing", MatchKind::Regex, ".*")]));
        assert!(!check(&[m("missing", MatchKind::NotEqual, "")]));
        assert!(Selector::new(&[m("a", MatchKind::Regex, "(")]).is_err());
    }
}
