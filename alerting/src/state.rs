//! The state machine of one alerting rule, as Prometheus runs it (`rules/alerting.go`).
//!
//! Each evaluation hands over the elements the rule's expression returned. Every element is an
//! alert instance, identified by its labels (the element's labels without `__name__`, plus the
//! rule's and group's labels, plus `alertname`):
//! - a new instance is **pending** from that evaluation on (`active_at`);
//! - it turns **firing** once it has been returned for `for` (at once when `for` is zero);
//! - when it is no longer returned, a pending instance is dropped and a firing one is
//!   **resolved** (`resolved_at`), unless `keep_firing_for` keeps it firing that much longer;
//! - resolved instances are kept 15 minutes so that notifiers can report them resolved.
//!
//! Times are unix milliseconds, handed in by the caller (tests use a fake clock).

use std::collections::BTreeMap;

use crate::rules::AlertRule;

/// How long a resolved alert is kept (and reported resolved) after it resolved.
pub const RESOLVED_RETENTION_MS: i64 = 15 * 60 * 1000;

/// A label set, sorted by name.
pub type Labels = Vec<(String, String)>;

/// The state of an alert instance.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AlertState {
    /// Resolved (kept for [`RESOLVED_RETENTION_MS`]).
    Inactive,
    /// Returned by the expression for less than `for`.
    Pending,
    /// Returned for `for` or longer (or kept by `keep_firing_for`).
    Firing,
}

impl AlertState {
    /// The name in the Prometheus API (`inactive`, `pending`, `firing`).
    pub fn as_str(self) -> &'static str {
        match self {
            AlertState::Inactive => "inactive",
            AlertState::Pending => "pending",
            AlertState::Firing => "firing",
        }
    }
}

/// One alert instance.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Alert {
    /// Identifying labels (with `alertname`), sorted.
    pub labels: Labels,
    /// Expanded annotations, sorted.
    pub annotations: Labels,
    /// Its state.
    pub state: AlertState,
    /// The expression's value at the last evaluation that returned it.
    pub value: f64,
    /// When it became pending (unix ms).
    pub active_at: i64,
    /// When it started firing (unix ms), 0 if never.
    pub fired_at: i64,
    /// When it resolved (unix ms), 0 if not resolved.
    pub resolved_at: i64,
    /// When it was last handed to notifiers (unix ms), 0 if never.
    pub last_sent_at: i64,
    /// Since when `keep_firing_for` has kept it firing (unix ms), 0 if not.
    pub keep_firing_since: i64,
}

impl Alert {
    /// Whether notifiers should get it now: firing and not sent within `resend_delay_ms`, or
    /// resolved since it was last sent (Prometheus' `needsSending`).
    pub fn needs_sending(&self, now: i64, resend_delay_ms: i64) -> bool {
        match self.state {
            AlertState::Pending => false,
            _ if self.resolved_at > self.last_sent_at => true,
            _ => self.last_sent_at == 0 || self.last_sent_at + resend_delay_ms < now,
        }
    }
}

/// What evaluating labels and annotations needs: the templates' expansion.
pub trait Expander {
    /// Expands `template` for an element with `labels` (without `__name__`) and `value`.
    fn expand(&self, template: &str, labels: &Labels, value: f64) -> Result<String, String>;
}

/// Expands Prometheus alert templates (`{{ $labels.x }}`, `{{ $value | humanize }}`, ...).
#[derive(Debug, Clone, Copy, Default)]
pub struct AlertTemplates;

impl Expander for AlertTemplates {
    fn expand(&self, template: &str, labels: &Labels, value: f64) -> Result<String, String> {
        if !template.contains("{{") {
            return Ok(template.to_string());
        }
        sightline_logql::AlertTemplate::parse(template)?.render(labels, value)
    }
}

/// The alert instances of one rule, by their identifying labels.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RuleState {
    active: BTreeMap<Labels, Alert>,
}

impl RuleState {
    /// The instances (pending, firing, and resolved within the retention), by labels.
    pub fn alerts(&self) -> impl Iterator<Item = &Alert> {
        self.active.values()
    }

    /// Mutable access, for notifiers recording `last_sent_at`.
    pub fn alerts_mut(&mut self) -> impl Iterator<Item = &mut Alert> {
        self.active.values_mut()
    }

    /// Restores instances saved before a restart.
    pub fn restore(alerts: impl IntoIterator<Item = Alert>) -> Self {
        Self {
            active: alerts.into_iter().map(|a| (a.labels.clone(), a)).collect(),
        }
    }

    /// The rule's state: firing if any instance fires, else pending if any is pending.
    pub fn state(&self) -> AlertState {
        let states = self.active.values().map(|a| a.state);
        states
            .filter(|s| *s != AlertState::Inactive)
            .max_by_key(|s| *s == AlertState::Firing)
            .unwrap_or(AlertState::Inactive)
    }

    /// Applies one evaluation at `now` of `rule` (in a group with `group_labels`) that returned
    /// `elements` (labels with or without `__name__`, value). `limit` > 0 caps the pending and
    /// firing instances: above it every instance is dropped and the evaluation fails, as in
    /// Prometheus.
    pub fn evaluate(
        &mut self,
        rule: &AlertRule,
        group_labels: &Labels,
        elements: Vec<(Labels, f64)>,
        now: i64,
        limit: usize,
        expander: &dyn Expander,
    ) -> Result<(), String> {
        let mut returned: BTreeMap<Labels, (Labels, f64)> = BTreeMap::new();
        for (mut labels, value) in elements {
            labels.retain(|(n, _)| n != "__name__");
            labels.sort();
            let mut identity = labels.clone();
            for (name, template) in group_labels.iter().chain(&rule.labels) {
                let expanded = expander.expand(template, &labels, value)?;
                set(&mut identity, name, expanded);
            }
            set(&mut identity, "alertname", rule.name.clone());
            let mut annotations = Vec::with_capacity(rule.annotations.len());
            for (name, template) in &rule.annotations {
                annotations.push((name.clone(), expander.expand(template, &labels, value)?));
            }
            if returned.contains_key(&identity) {
                return Err(
                    "vector contains metrics with the same labelset after applying alert labels"
                        .into(),
                );
            }
            returned.insert(identity, (annotations, value));
        }
        for (identity, (annotations, value)) in &returned {
            match self.active.get_mut(identity) {
                Some(alert) if alert.state != AlertState::Inactive => {
                    alert.value = *value;
                    alert.annotations = annotations.clone();
                }
                _ => {
                    self.active.insert(
                        identity.clone(),
                        Alert {
                            labels: identity.clone(),
                            annotations: annotations.clone(),
                            state: AlertState::Pending,
                            value: *value,
                            active_at: now,
                            fired_at: 0,
                            resolved_at: 0,
                            last_sent_at: 0,
                            keep_firing_since: 0,
                        },
                    );
                }
            }
        }
        let keep_firing_ms = rule.keep_firing_for.as_millis() as i64;
        let hold_ms = rule.hold.as_millis() as i64;
        let mut live = 0;
        self.active.retain(|identity, alert| {
            if returned.contains_key(identity) {
                alert.keep_firing_since = 0;
            } else {
                let mut keep_firing = false;
                if alert.state == AlertState::Firing && keep_firing_ms > 0 {
                    if alert.keep_firing_since == 0 {
                        alert.keep_firing_since = now;
                    }
                    keep_firing = now - alert.keep_firing_since < keep_firing_ms;
                }
                if alert.state == AlertState::Pending
                    || (alert.resolved_at != 0 && now - alert.resolved_at > RESOLVED_RETENTION_MS)
                {
                    return false;
                }
                if alert.state != AlertState::Inactive && !keep_firing {
                    alert.state = AlertState::Inactive;
                    alert.resolved_at = now;
                }
                if !keep_firing {
                    return true;
                }
            }
            live += 1;
            if alert.state == AlertState::Pending && now - alert.active_at >= hold_ms {
                alert.state = AlertState::Firing;
                alert.fired_at = now;
            }
            true
        });
        if limit > 0 && live > limit {
            self.active.clear();
            return Err(format!("exceeded limit of {limit} with {live} alerts"));
        }
        Ok(())
    }
}

/// Sets `name` to `value` in a sorted label set (an empty value deletes it).
fn set(labels: &mut Labels, name: &str, value: String) {
    match labels.binary_search_by(|(n, _)| n.as_str().cmp(name)) {
        Ok(i) if value.is_empty() => {
            labels.remove(i);
        }
        Ok(i) => labels[i].1 = value,
        Err(_) if value.is_empty() => {}
        Err(i) => labels.insert(i, (name.to_string(), value)),
    }
}

#[cfg(test)]
mod tests;
