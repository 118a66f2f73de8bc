//! The rule manager: loaded rule groups with their alert states, evaluated when due.
//!
//! [`Manager::evaluate_due`] evaluates every group whose interval has passed since its last
//! evaluation, rule after rule, through a [`Querier`] (the store's PromQL, LogQL and TraceQL
//! engines in the server, a table in tests), records each rule's health, and returns the
//! `ALERTS` samples of that evaluation. [`Manager::notify_alerts`] lists what notifiers should
//! know: every firing alert and every resolved one still retained.

use std::future::Future;
use std::time::Duration;

use crate::notify::NotifyAlert;
use crate::rules::{AlertRule, RuleGroup, RuleLang};
use crate::state::{AlertState, Expander, Labels, RuleState};

/// Evaluates rule expressions.
pub trait Querier {
    /// The instant vector of `expr` in `lang` at `time_ms` (unix ms).
    fn vector(
        &self,
        lang: RuleLang,
        expr: &str,
        time_ms: i64,
    ) -> impl Future<Output = Result<Vec<(Labels, f64)>, String>> + Send;
}

/// How a rule's last evaluation went.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct RuleHealth {
    /// `ok`, `err`, or `unknown` before the first evaluation.
    pub health: &'static str,
    /// The error of the last evaluation, empty when it succeeded.
    pub last_error: String,
    /// When it was last evaluated (unix ms), 0 if never.
    pub last_evaluation: i64,
    /// How long that took.
    pub evaluation_time: Duration,
}

/// A loaded group: its rules, their alert states and health.
#[derive(Debug, Clone)]
pub struct GroupState {
    /// The group as loaded.
    pub group: RuleGroup,
    /// Per rule (same order): its alert instances.
    pub states: Vec<RuleState>,
    /// Per rule (same order): its health.
    pub health: Vec<RuleHealth>,
    /// The interval it is evaluated at.
    pub interval: Duration,
    /// When it was last evaluated (unix ms), 0 if never.
    pub last_evaluation: i64,
}

/// One `ALERTS` sample: the alert's labels plus `alertstate`, value 1.
pub type AlertsSample = (Labels, f64);

/// Loaded groups and their states.
#[derive(Debug, Clone, Default)]
pub struct Manager {
    groups: Vec<GroupState>,
    /// The base URL alerts link back to.
    pub external_url: String,
}

impl Manager {
    /// A manager for `groups`, evaluated every `default_interval` unless a group sets its own.
    /// States of rules that were loaded before (same file, group, rule name and expression)
    /// are carried over from `previous`, so a reload keeps pending and firing alerts.
    pub fn new(groups: Vec<RuleGroup>, default_interval: Duration, previous: &Manager) -> Self {
        let groups = groups
            .into_iter()
            .map(|group| {
                let old = previous
                    .groups
                    .iter()
                    .find(|g| g.group.file == group.file && g.group.name == group.name);
                let carried = |rule: &AlertRule| -> Option<(RuleState, RuleHealth)> {
                    let old = old?;
                    let i = old.group.rules.iter().position(|r| r == rule)?;
                    Some((old.states[i].clone(), old.health[i].clone()))
                };
                let (states, health) = group
                    .rules
                    .iter()
                    .map(|rule| {
                        carried(rule).unwrap_or_else(|| {
                            let health = RuleHealth {
                                health: "unknown",
                                ..RuleHealth::default()
                            };
                            (RuleState::default(), health)
                        })
                    })
                    .unzip();
                GroupState {
                    interval: group.interval.unwrap_or(default_interval),
                    last_evaluation: old.map_or(0, |g| g.last_evaluation),
                    group,
                    states,
                    health,
                }
            })
            .collect();
        Self {
            groups,
            external_url: previous.external_url.clone(),
        }
    }

    /// The loaded groups.
    pub fn groups(&self) -> &[GroupState] {
        &self.groups
    }

    /// Mutable access to the groups (restoring states, recording sends).
    pub fn groups_mut(&mut self) -> &mut [GroupState] {
        &mut self.groups
    }

    /// Evaluates every group due at `now` (unix ms); returns the `ALERTS` samples of the
    /// pending and firing alerts of the rules evaluated.
    pub async fn evaluate_due<Q: Querier>(
        &mut self,
        now: i64,
        querier: &Q,
        expander: &(dyn Expander + Sync),
    ) -> Vec<AlertsSample> {
        let mut samples = Vec::new();
        for group in &mut self.groups {
            let interval = group.interval.as_millis() as i64;
            if group.last_evaluation != 0 && group.last_evaluation + interval > now {
                continue;
            }
            group.last_evaluation = now;
            let group_labels = group.group.labels.clone();
            for (index, rule) in group.group.rules.iter().enumerate() {
                let started = std::time::Instant::now();
                let result = match querier.vector(rule.lang, &rule.expr, now).await {
                    Ok(elements) => group.states[index].evaluate(
                        rule,
                        &group_labels,
                        elements,
                        now,
                        group.group.limit,
                        expander,
                    ),
                    Err(error) => Err(error),
                };
                let health = &mut group.health[index];
                health.last_evaluation = now;
                health.evaluation_time = started.elapsed();
                match result {
                    Ok(()) => {
                        health.health = "ok";
                        health.last_error.clear();
                    }
                    Err(error) => {
                        health.health = "err";
                        health.last_error = error;
                    }
                }
                for alert in group.states[index].alerts() {
                    if alert.state == AlertState::Inactive {
                        continue;
                    }
                    let mut labels = alert.labels.clone();
                    labels.push(("alertstate".into(), alert.state.as_str().into()));
                    labels.push(("__name__".into(), "ALERTS".into()));
                    labels.sort();
                    samples.push((labels, 1.0));
                }
            }
        }
        samples
    }

    /// What notifiers should know now: firing alerts and resolved ones still retained.
    pub fn notify_alerts(&self) -> Vec<NotifyAlert> {
        let mut out = Vec::new();
        for group in &self.groups {
            for (rule, state) in group.group.rules.iter().zip(&group.states) {
                for alert in state.alerts() {
                    if alert.state == AlertState::Pending {
                        continue;
                    }
                    out.push(NotifyAlert {
                        labels: alert.labels.clone(),
                        annotations: alert.annotations.clone(),
                        resolved: alert.state == AlertState::Inactive,
                        starts_at: alert.active_at,
                        ends_at: alert.resolved_at,
                        generator_url: generator_url(&self.external_url, rule),
                    });
                }
            }
        }
        out
    }
}

/// Prometheus' link to a rule's expression: `<external>/graph?g0.expr=...&g0.tab=1`.
pub fn generator_url(external_url: &str, rule: &AlertRule) -> String {
    let expr = sightline_logql::go_query_escape(&rule.expr);
    format!(
        "{}/graph?g0.expr={expr}&g0.tab=1",
        external_url.trim_end_matches('/')
    )
}

#[cfg(test)]
mod tests;
