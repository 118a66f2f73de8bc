//! The state machine with a fake clock: pending -> firing -> resolved, `keep_firing_for`,
//! labels, limits, sending, and a restart in the middle of `for`.

use std::time::Duration;

use super::*;
use crate::rules::RuleLang;

const S: i64 = 1000;
const M: i64 = 60 * S;

/// Expands `{{ $value }}` and `{{ $labels.NAME }}` only: enough to see what the machine hands
/// to templates.
struct Plain;

impl Expander for Plain {
    fn expand(&self, template: &str, labels: &Labels, value: f64) -> Result<String, String> {
        let mut out = template.replace("{{ $value }}", &value.to_string());
        for (name, v) in labels {
            out = out.replace(&format!("{{{{ $labels.{name} }}}}"), v);
        }
        Ok(out)
    }
}

fn rule(hold: i64, keep: i64) -> AlertRule {
    AlertRule {
        name: "HighLatency".into(),
        expr: "latency > 1".into(),
        lang: RuleLang::PromQl,
        hold: Duration::from_millis(hold as u64),
        keep_firing_for: Duration::from_millis(keep as u64),
        labels: vec![("severity".into(), "page".into())],
        annotations: vec![("summary".into(), "{{ $labels.job }} at {{ $value }}".into())],
    }
}

fn element(job: &str, value: f64) -> (Labels, f64) {
    (
        vec![
            ("__name__".into(), "latency".into()),
            ("job".into(), job.into()),
        ],
        value,
    )
}

fn eval(state: &mut RuleState, rule: &AlertRule, now: i64, elements: Vec<(Labels, f64)>) {
    state
        .evaluate(rule, &vec![], elements, now, 0, &Plain)
        .unwrap();
}

fn only(state: &RuleState) -> &Alert {
    let alerts: Vec<&Alert> = state.alerts().collect();
    assert_eq!(alerts.len(), 1, "{alerts:?}");
    alerts[0]
}

#[test]
fn pending_then_firing_then_resolved_then_forgotten() {
    let rule = rule(2 * M, 0);
    let mut state = RuleState::default();
    eval(&mut state, &rule, 0, vec![element("api", 3.0)]);
    let alert = only(&state);
    assert_eq!(alert.state, AlertState::Pending);
    assert_eq!(alert.active_at, 0);
    assert_eq!(
        alert.labels,
        vec![
            ("alertname".to_string(), "HighLatency".to_string()),
            ("job".into(), "api".into()),
            ("severity".into(), "page".into()),
        ]
    );
    assert_eq!(
        alert.annotations,
        vec![("summary".into(), "api at 3".into())]
    );
    assert_eq!(state.state(), AlertState::Pending);

    eval(&mut state, &rule, M, vec![element("api", 4.0)]);
    assert_eq!(only(&state).state, AlertState::Pending);
    assert_eq!(only(&state).annotations[0].1, "api at 4", "value updated");

    eval(&mut state, &rule, 2 * M, vec![element("api", 5.0)]);
    assert_eq!(only(&state).state, AlertState::Firing);
    assert_eq!(only(&state).fired_at, 2 * M);
    assert_eq!(state.state(), AlertState::Firing);

    eval(&mut state, &rule, 3 * M, vec![]);
    assert_eq!(only(&state).state, AlertState::Inactive);
    assert_eq!(only(&state).resolved_at, 3 * M);
    assert_eq!(state.state(), AlertState::Inactive);

    eval(&mut state, &rule, 3 * M + RESOLVED_RETENTION_MS, vec![]);
    assert_eq!(only(&state).state, AlertState::Inactive, "kept 15 minutes");
    eval(&mut state, &rule, 3 * M + RESOLVED_RETENTION_MS + 1, vec![]);
    assert_eq!(state.alerts().count(), 0);
}

#[test]
fn without_for_an_alert_fires_at_once_and_pending_ones_just_vanish() {
    let mut state = RuleState::default();
    eval(&mut state, &rule(0, 0), 0, vec![element("api", 3.0)]);
    assert_eq!(only(&state).state, AlertState::Firing);

    let rule = rule(5 * M, 0);
    let mut state = RuleState::default();
    eval(&mut state, &rule, 0, vec![element("api", 3.0)]);
    eval(&mut state, &rule, M, vec![]);
    assert_eq!(
        state.alerts().count(),
        0,
        "a pending alert is dropped, not resolved"
    );
}

#[test]
fn a_resolved_alert_that_returns_starts_pending_again() {
    let rule = rule(M, 0);
    let mut state = RuleState::default();
    eval(&mut state, &rule, 0, vec![element("api", 3.0)]);
    eval(&mut state, &rule, M, vec![element("api", 3.0)]);
    eval(&mut state, &rule, 2 * M, vec![]);
    eval(&mut state, &rule, 3 * M, vec![element("api", 3.0)]);
    let alert = only(&state);
    assert_eq!(
        (alert.state, alert.active_at, alert.resolved_at),
        (AlertState::Pending, 3 * M, 0)
    );
}

#[test]
fn keep_firing_for_holds_a_cleared_alert() {
    let rule = rule(0, 2 * M);
    let mut state = RuleState::default();
    eval(&mut state, &rule, 0, vec![element("api", 3.0)]);
    eval(&mut state, &rule, M, vec![]);
    assert_eq!(only(&state).state, AlertState::Firing);
    assert_eq!(only(&state).keep_firing_since, M);
    eval(&mut state, &rule, 2 * M, vec![]);
    assert_eq!(only(&state).state, AlertState::Firing);
    // Back before the time is up: the hold is reset.
    eval(&mut state, &rule, 2 * M + 30 * S, vec![element("api", 3.0)]);
    assert_eq!(only(&state).keep_firing_since, 0);
    eval(&mut state, &rule, 3 * M, vec![]);
    eval(&mut state, &rule, 4 * M + 59 * S, vec![]);
    assert_eq!(only(&state).state, AlertState::Firing);
    eval(&mut state, &rule, 5 * M, vec![]);
    assert_eq!(only(&state).state, AlertState::Inactive);
    assert_eq!(only(&state).resolved_at, 5 * M);
}

#[test]
fn group_and_rule_labels_identify_alerts_and_collisions_fail() {
    let mut rule = rule(0, 0);
    rule.labels.push(("job".into(), "".into())); // An empty value deletes the label.
    let group = vec![("team".to_string(), "shop".to_string())];
    let mut state = RuleState::default();
    let error = state
        .evaluate(
            &rule,
            &group,
            vec![element("api", 1.0), element("web", 2.0)],
            0,
            0,
            &Plain,
        )
        .unwrap_err();
    assert!(error.contains("same labelset"), "{error}");
    rule.labels.pop();
    state
        .evaluate(&rule, &group, vec![element("api", 1.0)], 0, 0, &Plain)
        .unwrap();
    assert!(
        only(&state)
            .labels
            .contains(&("team".into(), "shop".into()))
    );
}

#[test]
fn the_limit_drops_every_alert() {
    let rule = rule(0, 0);
    let mut state = RuleState::default();
    let two = vec![element("api", 1.0), element("web", 2.0)];
    let error = state
        .evaluate(&rule, &vec![], two.clone(), 0, 1, &Plain)
        .unwrap_err();
    assert_eq!(error, "exceeded limit of 1 with 2 alerts");
    assert_eq!(state.alerts().count(), 0);
    state.evaluate(&rule, &vec![], two, 0, 2, &Plain).unwrap();
    assert_eq!(state.alerts().count(), 2);
}

#[test]
fn sending_follows_firing_resend_and_resolution() {
    let rule = rule(M, 0);
    let mut state = RuleState::default();
    eval(&mut state, &rule, 0, vec![element("api", 3.0)]);
    assert!(
        !only(&state).needs_sending(0, M),
        "pending alerts are not sent"
    );
    eval(&mut state, &rule, M, vec![element("api", 3.0)]);
    assert!(only(&state).needs_sending(M, M));
    state.alerts_mut().for_each(|a| a.last_sent_at = M);
    assert!(!only(&state).needs_sending(M + 30 * S, M));
    assert!(
        only(&state).needs_sending(2 * M + 1, M),
        "resent after the delay"
    );
    eval(&mut state, &rule, M + 40 * S, vec![]);
    assert!(
        only(&state).needs_sending(M + 40 * S, M),
        "resolution is sent at once"
    );
}

#[test]
fn a_restart_in_the_middle_of_for_keeps_its_progress() {
    let rule = rule(5 * M, 0);
    let mut state = RuleState::default();
    eval(&mut state, &rule, 0, vec![element("api", 3.0)]);
    eval(&mut state, &rule, 2 * M, vec![element("api", 3.0)]);
    // Saved, the process restarts, restored.
    let saved: Vec<Alert> = state.alerts().cloned().collect();
    let mut state = RuleState::restore(saved);
    eval(&mut state, &rule, 4 * M, vec![element("api", 3.0)]);
    assert_eq!(only(&state).state, AlertState::Pending);
    eval(&mut state, &rule, 5 * M, vec![element("api", 3.0)]);
    assert_eq!(
        only(&state).state,
        AlertState::Firing,
        "fires 5m after it became pending"
    );
    assert_eq!(only(&state).active_at, 0);
}

#[test]
fn prometheus_templates_expand_labels_and_annotations() {
    let mut rule = rule(0, 0);
    rule.labels.push((
        "tier".into(),
        "{{ if gt $value 2.0 }}hot{{ else }}warm{{ end }}".into(),
    ));
    rule.annotations = vec![(
        "summary".into(),
        "{{ $labels.job }}: {{ $value | humanize }} over for {{ 90 | humanizeDuration }}".into(),
    )];
    let mut state = RuleState::default();
    state
        .evaluate(
            &rule,
            &vec![],
            vec![element("api", 2500.0)],
            0,
            0,
            &AlertTemplates,
        )
        .unwrap();
    let alert = only(&state);
    assert!(alert.labels.contains(&("tier".into(), "hot".into())));
    assert_eq!(alert.annotations[0].1, "api: 2.5k over for 1m 30s");
}
