//! The bodies of Prometheus' `/api/v1/rules` and `/api/v1/alerts` (the `data` member of the
//! API envelope) for a [`Manager`].

use serde_json::{Value as Json, json};

use crate::manager::{GroupState, Manager};
use crate::notify::payload::{object, rfc3339};
use crate::state::{Alert, AlertState};

/// The filters of `/api/v1/rules`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RulesFilter {
    /// `type`: `alert` or `record` (none: both).
    pub kind: Option<String>,
    /// `rule_name[]`.
    pub rule_names: Vec<String>,
    /// `rule_group[]`.
    pub rule_groups: Vec<String>,
    /// `file[]`.
    pub files: Vec<String>,
    /// `exclude_alerts`.
    pub exclude_alerts: bool,
}

impl RulesFilter {
    fn filters(&self) -> bool {
        self.kind.is_some() || !self.rule_names.is_empty()
    }
}

/// Go's `strconv.FormatFloat(v, 'e', -1, 64)`: `2.5e+00`, `1.234e+03`, `NaN`, `+Inf`.
pub fn go_exponent(v: f64) -> String {
    if v.is_nan() {
        return "NaN".into();
    }
    if v.is_infinite() {
        return if v > 0.0 { "+Inf" } else { "-Inf" }.into();
    }
    let text = format!("{v:e}");
    let (mantissa, exponent) = text.split_once('e').unwrap_or((&text, "0"));
    let exponent: i32 = exponent.parse().unwrap_or(0);
    let sign = if exponent < 0 { '-' } else { '+' };
    format!("{mantissa}e{sign}{:02}", exponent.abs())
}

fn alert_json(alert: &Alert) -> Json {
    let mut out = json!({
        "labels": object(&alert.labels),
        "annotations": object(&alert.annotations),
        "state": alert.state.as_str(),
        "activeAt": rfc3339(alert.active_at),
        "value": go_exponent(alert.value),
    });
    if alert.keep_firing_since != 0 {
        out["keepFiringSince"] = Json::from(rfc3339(alert.keep_firing_since));
    }
    out
}

/// The active (pending or firing) alerts of a rule state, by labels.
fn active(state: &crate::state::RuleState) -> impl Iterator<Item = &Alert> {
    state.alerts().filter(|a| a.state != AlertState::Inactive)
}

fn group_json(group: &GroupState, filter: &RulesFilter) -> Option<Json> {
    if !filter.rule_groups.is_empty() && !filter.rule_groups.contains(&group.group.name) {
        return None;
    }
    if !filter.files.is_empty() && !filter.files.contains(&group.group.file) {
        return None;
    }
    let wants_alerting = filter.kind.as_deref().is_none_or(|k| k == "alert");
    let mut rules = Vec::new();
    let mut last = 0i64;
    let mut total = 0.0;
    for ((rule, state), health) in group
        .group
        .rules
        .iter()
        .zip(&group.states)
        .zip(&group.health)
    {
        last = last.max(health.last_evaluation);
        total += health.evaluation_time.as_secs_f64();
        if !wants_alerting
            || (!filter.rule_names.is_empty() && !filter.rule_names.contains(&rule.name))
        {
            continue;
        }
        let mut item = json!({
            "state": state.state().as_str(),
            "name": rule.name,
            "query": rule.expr,
            "duration": rule.hold.as_secs_f64(),
            "keepFiringFor": rule.keep_firing_for.as_secs_f64(),
            "labels": object(&rule.labels),
            "annotations": object(&rule.annotations),
            "health": health.health,
            "type": "alerting",
            "lastEvaluation": rfc3339(health.last_evaluation),
            "evaluationTime": health.evaluation_time.as_secs_f64(),
        });
        if !filter.exclude_alerts {
            item["alerts"] = Json::Array(active(state).map(alert_json).collect());
        }
        if !health.last_error.is_empty() {
            item["lastError"] = Json::from(health.last_error.clone());
        }
        rules.push(item);
    }
    if rules.is_empty() && filter.filters() {
        return None;
    }
    Some(json!({
        "name": group.group.name,
        "file": group.group.file,
        "interval": group.interval.as_secs_f64(),
        "limit": group.group.limit,
        "rules": rules,
        "evaluationTime": total,
        "lastEvaluation": rfc3339(last),
    }))
}

/// `/api/v1/rules`: `{"groups": [...]}`.
pub fn rules_json(manager: &Manager, filter: &RulesFilter) -> Json {
    let groups: Vec<Json> = manager
        .groups()
        .iter()
        .filter_map(|g| group_json(g, filter))
        .collect();
    json!({ "groups": groups })
}

/// `/api/v1/alerts`: `{"alerts": [...]}`, every pending and firing alert.
pub fn alerts_json(manager: &Manager) -> Json {
    let alerts: Vec<Json> = manager
        .groups()
        .iter()
        .flat_map(|g| g.states.iter())
        .flat_map(active)
        .map(alert_json)
        .collect();
    json!({ "alerts": alerts })
}

#[cfg(test)]
mod tests;
