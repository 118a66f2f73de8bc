//! The manager with a table querier and a fake clock: due groups, `ALERTS`, health, what
//! notifiers get, and reloads that keep alert states.

use std::collections::HashMap;
use std::sync::Mutex;

use super::*;
use crate::rules::parse_rule_file;
use crate::state::AlertTemplates;

const S: i64 = 1000;
const T0: i64 = 1_767_225_600_000;

/// Answers each expression from a table (an unknown expression is an error).
#[derive(Default)]
struct Table(Mutex<HashMap<String, Vec<(Labels, f64)>>>);

impl Table {
    fn set(&self, expr: &str, elements: Vec<(Labels, f64)>) {
        self.0.lock().unwrap().insert(expr.to_string(), elements);
    }
}

impl Querier for Table {
    async fn vector(
        &self,
        _lang: RuleLang,
        expr: &str,
        _time_ms: i64,
    ) -> Result<Vec<(Labels, f64)>, String> {
        self.0
            .lock()
            .unwrap()
            .get(expr)
            .cloned()
            .ok_or_else(|| format!("no data for {expr}"))
    }
}

const RULES: &str = r#"
groups:
  - name: api
    interval: 30s
    labels: { team: web }
    rules:
      - alert: HighLatency
        expr: latency_seconds > 1
        for: 1m
        annotations: { summary: "{{ $labels.job }} is slow ({{ $value }}s)" }
      - alert: Broken
        expr: broken
"#;

fn manager(previous: &Manager) -> Manager {
    let groups = parse_rule_file("rules.yaml", RULES).unwrap();
    Manager::new(groups, Duration::from_secs(15), previous)
}

fn job(name: &str, value: f64) -> (Labels, f64) {
    (
        vec![
            ("__name__".into(), "latency_seconds".into()),
            ("job".into(), name.into()),
        ],
        value,
    )
}

fn alerts_states(samples: &[AlertsSample]) -> Vec<String> {
    samples
        .iter()
        .map(|(labels, _)| {
            let get = |n: &str| labels.iter().find(|(k, _)| k == n).map(|(_, v)| v.clone());
            format!(
                "{} {} {}",
                get("__name__").unwrap(),
                get("alertname").unwrap(),
                get("alertstate").unwrap()
            )
        })
        .collect()
}

#[tokio::test]
async fn groups_are_evaluated_when_due_and_write_alerts() {
    let table = Table::default();
    table.set("latency_seconds > 1", vec![job("api", 2.5)]);
    let mut m = manager(&Manager::default());
    m.external_url = "http://sightline:3200".into();
    let samples = m.evaluate_due(T0, &table, &AlertTemplates).await;
    assert_eq!(alerts_states(&samples), ["ALERTS HighLatency pending"]);
    let health = &m.groups()[0].health;
    assert_eq!((health[0].health, health[0].last_evaluation), ("ok", T0));
    assert_eq!(health[1].health, "err");
    assert_eq!(health[1].last_error, "no data for broken");

    assert!(
        m.evaluate_due(T0 + 10 * S, &table, &AlertTemplates)
            .await
            .is_empty(),
        "not due"
    );
    m.evaluate_due(T0 + 30 * S, &table, &AlertTemplates).await;
    let samples = m.evaluate_due(T0 + 60 * S, &table, &AlertTemplates).await;
    assert_eq!(alerts_states(&samples), ["ALERTS HighLatency firing"]);
    let alert = &samples[0].0;
    assert!(
        alert.contains(&("team".into(), "web".into())),
        "group labels: {alert:?}"
    );
    assert!(alert.contains(&("job".into(), "api".into())));

    let notified = m.notify_alerts();
    assert_eq!(notified.len(), 1);
    assert_eq!(
        notified[0].annotations,
        vec![("summary".to_string(), "api is slow (2.5s)".to_string())]
    );
    assert_eq!(notified[0].starts_at, T0);
    assert_eq!(
        notified[0].generator_url,
        "http://sightline:3200/graph?g0.expr=latency_seconds+%3E+1&g0.tab=1"
    );

    table.set("latency_seconds > 1", vec![]);
    assert!(
        m.evaluate_due(T0 + 90 * S, &table, &AlertTemplates)
            .await
            .is_empty()
    );
    let notified = m.notify_alerts();
    assert!(notified[0].resolved);
    assert_eq!(notified[0].ends_at, T0 + 90 * S);
}

#[tokio::test]
async fn a_reload_keeps_the_states_of_unchanged_rules() {
    let table = Table::default();
    table.set("latency_seconds > 1", vec![job("api", 2.5)]);
    let mut m = manager(&Manager::default());
    m.evaluate_due(T0, &table, &AlertTemplates).await;
    let reloaded = manager(&m);
    assert_eq!(reloaded.groups()[0].states[0], m.groups()[0].states[0]);
    assert_eq!(reloaded.groups()[0].last_evaluation, T0);

    let changed = RULES.replace("latency_seconds > 1", "latency_seconds > 2");
    let groups = parse_rule_file("rules.yaml", &changed).unwrap();
    let changed = Manager::new(groups, Duration::from_secs(15), &m);
    assert_eq!(
        changed.groups()[0].states[0].alerts().count(),
        0,
        "a changed rule starts over"
    );
    assert_eq!(changed.groups()[0].health[0].health, "unknown");
}
