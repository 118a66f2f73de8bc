//! Notifications: which receiver gets which alerts, grouped and timed as Alertmanager does
//! (`dispatch/dispatch.go`, the dedup stage of `notify/notify.go`), and the payloads.
//!
//! Alerts are routed to every receiver whose `match` labels they carry, then grouped by the
//! receiver's `group_by` labels. A new group is first flushed `group_wait` after its first
//! alert, then every `group_interval`. A flush sends a notification when the group's firing
//! alerts are not all in the last notification, when every alert of a group that had firing
//! ones resolved, when (with `send_resolved`) an alert resolved since, or when `repeat_interval`
//! passed since the last one; resolved alerts then leave the group. Times are unix ms, handed
//! in by the caller. [`outbox`] delivers the notifications, retrying failures.

pub mod outbox;
pub mod payload;

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

pub use outbox::{Outbox, RetryPolicy, RoundReport, SendError, send_once};

pub use payload::{NotifyAlert, alertmanager_payload, fingerprint, webhook_payload};

use crate::state::Labels;

#[cfg(test)]
mod tests;

/// Where a receiver delivers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// POST the webhook payload (version 4) to this URL.
    Webhook(String),
    /// POST the alerts to this Alertmanager's `/api/v2/alerts`.
    Alertmanager(String),
}

/// A receiver and its routing and timing.
#[derive(Debug, Clone, PartialEq)]
pub struct Receiver {
    /// Its name (`receiver` in payloads).
    pub name: String,
    /// Where notifications go.
    pub target: Target,
    /// Labels an alert must carry (all of them, equal) to reach this receiver.
    pub matchers: Labels,
    /// Labels that split alerts into groups (none: one group).
    pub group_by: Vec<String>,
    /// Wait before the first notification of a new group.
    pub group_wait: Duration,
    /// Wait between notifications of a group about new or changed alerts.
    pub group_interval: Duration,
    /// Wait before repeating an unchanged notification.
    pub repeat_interval: Duration,
    /// Whether resolved alerts are sent.
    pub send_resolved: bool,
}

impl Receiver {
    /// A receiver with Alertmanager's default timings (30s, 5m, 4h), resolved alerts sent.
    pub fn new(name: &str, target: Target) -> Self {
        Self {
            name: name.to_string(),
            target,
            matchers: Vec::new(),
            group_by: Vec::new(),
            group_wait: Duration::from_secs(30),
            group_interval: Duration::from_secs(300),
            repeat_interval: Duration::from_secs(4 * 3600),
            send_resolved: true,
        }
    }

    /// Whether `alert` carries every label of [`Receiver::matchers`].
    pub fn accepts(&self, alert: &NotifyAlert) -> bool {
        self.matchers.iter().all(|m| alert.labels.contains(m))
    }

    fn group_labels(&self, alert: &NotifyAlert) -> Labels {
        alert
            .labels
            .iter()
            .filter(|(n, _)| self.group_by.contains(n))
            .cloned()
            .collect()
    }
}

/// A notification to deliver.
#[derive(Debug, Clone, PartialEq)]
pub struct Notification {
    /// Index of the receiver in the dispatcher's list.
    pub receiver: usize,
    /// The group's labels.
    pub group_labels: Labels,
    /// The alerts to send (firing first, then resolved; resolved only with `send_resolved`).
    pub alerts: Vec<NotifyAlert>,
}

/// One group of one receiver.
#[derive(Debug, Clone, Default)]
struct Group {
    /// Alerts by fingerprint.
    alerts: BTreeMap<u64, NotifyAlert>,
    /// When the next flush is due (unix ms).
    next_flush: i64,
    /// The last notification: when, its firing and resolved fingerprints (None: never).
    last: Option<(i64, BTreeSet<u64>, BTreeSet<u64>)>,
}

/// One group, saved across restarts (keyed by the receiver's name).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct SavedGroup {
    /// The receiver's name.
    pub receiver: String,
    /// The group's labels.
    pub group_labels: Labels,
    /// Its alerts.
    pub alerts: Vec<NotifyAlert>,
    /// When its next flush is due (unix ms).
    pub next_flush: i64,
    /// The last notification: when, firing and resolved fingerprints.
    pub last: Option<(i64, Vec<u64>, Vec<u64>)>,
}

/// What the dispatcher has notified, saved so that a restart does not notify again.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct DispatcherState {
    /// Format version (1).
    pub version: u32,
    /// Every group.
    pub groups: Vec<SavedGroup>,
}

/// Groups alerts per receiver and decides when to notify.
#[derive(Debug, Clone)]
pub struct Dispatcher {
    receivers: Vec<Receiver>,
    groups: BTreeMap<(usize, Labels), Group>,
}

impl Dispatcher {
    /// A dispatcher over `receivers`.
    pub fn new(receivers: Vec<Receiver>) -> Self {
        Self {
            receivers,
            groups: BTreeMap::new(),
        }
    }

    /// The receivers.
    pub fn receivers(&self) -> &[Receiver] {
        &self.receivers
    }

    /// The groups and their last notifications, to save.
    pub fn saved(&self) -> DispatcherState {
        DispatcherState {
            version: 1,
            groups: self
                .groups
                .iter()
                .map(|((index, group_labels), group)| SavedGroup {
                    receiver: self.receivers[*index].name.clone(),
                    group_labels: group_labels.clone(),
                    alerts: group.alerts.values().cloned().collect(),
                    next_flush: group.next_flush,
                    last: group.last.as_ref().map(|(at, firing, resolved)| {
                        (
                            *at,
                            firing.iter().copied().collect(),
                            resolved.iter().copied().collect(),
                        )
                    }),
                })
                .collect(),
        }
    }

    /// Restores saved groups of receivers that still exist (by name).
    pub fn restore(&mut self, state: &DispatcherState) {
        for saved in &state.groups {
            let Some(index) = self.receivers.iter().position(|r| r.name == saved.receiver) else {
                continue;
            };
            let group = Group {
                alerts: saved
                    .alerts
                    .iter()
                    .map(|a| (a.fingerprint(), a.clone()))
                    .collect(),
                next_flush: saved.next_flush,
                last: saved.last.as_ref().map(|(at, firing, resolved)| {
                    (
                        *at,
                        firing.iter().copied().collect(),
                        resolved.iter().copied().collect(),
                    )
                }),
            };
            self.groups
                .insert((index, saved.group_labels.clone()), group);
        }
    }

    /// Takes in every current alert (firing, or resolved and still retained) at `now`. An
    /// alert a group holds as firing that is no longer among them counts as resolved now.
    pub fn update(&mut self, alerts: &[NotifyAlert], now: i64) {
        let mut seen: BTreeSet<(usize, u64)> = BTreeSet::new();
        for alert in alerts {
            for (index, receiver) in self.receivers.iter().enumerate() {
                if !receiver.accepts(alert) {
                    continue;
                }
                let fingerprint = alert.fingerprint();
                seen.insert((index, fingerprint));
                let key = (index, receiver.group_labels(alert));
                if alert.resolved && !self.groups.contains_key(&key) {
                    continue; // Nothing was said about it: nothing to resolve.
                }
                let wait = receiver.group_wait.as_millis() as i64;
                let group = self.groups.entry(key).or_insert_with(|| Group {
                    next_flush: now + wait,
                    ..Group::default()
                });
                if alert.resolved && !group.alerts.contains_key(&fingerprint) {
                    continue;
                }
                group.alerts.insert(fingerprint, alert.clone());
            }
        }
        for ((index, _), group) in &mut self.groups {
            for (fingerprint, alert) in &mut group.alerts {
                if !alert.resolved && !seen.contains(&(*index, *fingerprint)) {
                    alert.resolved = true;
                    alert.ends_at = now;
                }
            }
        }
    }

    /// Flushes the groups that are due at `now`, returning the notifications to deliver.
    pub fn flush(&mut self, now: i64) -> Vec<Notification> {
        let mut out = Vec::new();
        for ((index, group_labels), group) in &mut self.groups {
            if group.next_flush > now {
                continue;
            }
            let receiver = &self.receivers[*index];
            group.next_flush = now + receiver.group_interval.as_millis() as i64;
            let firing: BTreeSet<u64> = group
                .alerts
                .iter()
                .filter(|(_, a)| !a.resolved)
                .map(|(f, _)| *f)
                .collect();
            let resolved: BTreeSet<u64> = group
                .alerts
                .iter()
                .filter(|(_, a)| a.resolved)
                .map(|(f, _)| *f)
                .collect();
            let repeat = receiver.repeat_interval.as_millis() as i64;
            let send = match &group.last {
                None => !firing.is_empty(),
                Some((_, last_firing, _)) if !firing.is_subset(last_firing) => true,
                Some((_, last_firing, _)) if firing.is_empty() => !last_firing.is_empty(),
                Some((_, _, last_resolved))
                    if receiver.send_resolved && !resolved.is_subset(last_resolved) =>
                {
                    true
                }
                Some((at, _, _)) => *at + repeat <= now,
            };
            if send {
                let mut alerts: Vec<NotifyAlert> = group
                    .alerts
                    .values()
                    .filter(|a| !a.resolved || receiver.send_resolved)
                    .cloned()
                    .collect();
                alerts.sort_by_key(|a| a.resolved);
                if !alerts.is_empty() {
                    out.push(Notification {
                        receiver: *index,
                        group_labels: group_labels.clone(),
                        alerts,
                    });
                }
                group.last = Some((now, firing, resolved));
            }
            // Resolved alerts have been reported (or were not to be): they leave the group.
            group.alerts.retain(|_, a| !a.resolved);
        }
        self.groups.retain(|_, g| {
            !g.alerts.is_empty() || g.last.as_ref().is_some_and(|l| !l.1.is_empty())
        });
        out
    }
}
