//! `/api/v1/rules` and `/api/v1/alerts` bodies in Prometheus' shapes.

use std::time::Duration;

use serde_json::json;

use super::*;
use crate::manager::RuleHealth;
use crate::rules::parse_rule_file;
use crate::state::RuleState;

/// 2026-01-01T00:00:00Z in unix ms.
const T0: i64 = 1_767_225_600_000;

const RULES: &str = r#"
groups:
  - name: api
    interval: 30s
    rules:
      - alert: HighLatency
        expr: latency_seconds > 1
        for: 10m
        labels: { severity: page }
        annotations: { summary: High request latency }
      - alert: Down
        expr: up == 0
  - name: logs
    rules:
      - alert: Panics
        lang: logql
        expr: sum(count_over_time({service_name="checkout"} |= "panic" [5m])) > 0
"#;

fn manager() -> Manager {
    let groups = parse_rule_file("/etc/rules.yaml", RULES).unwrap();
    let mut m = Manager::new(groups, Duration::from_secs(15), &Manager::default());
    let group = &mut m.groups_mut()[0];
    group.states[0] = RuleState::restore(vec![Alert {
        labels: vec![
            ("alertname".into(), "HighLatency".into()),
            ("severity".into(), "page".into()),
        ],
        annotations: vec![("summary".into(), "High request latency".into())],
        state: AlertState::Firing,
        value: 2.5,
        active_at: T0,
        fired_at: T0 + 600_000,
        resolved_at: 0,
        last_sent_at: 0,
        keep_firing_since: 0,
    }]);
    group.health[0] = RuleHealth {
        health: "ok",
        last_error: String::new(),
        last_evaluation: T0 + 600_000,
        evaluation_time: Duration::from_millis(2),
    };
    group.health[1] = RuleHealth {
        health: "err",
        last_error: "query timed out".into(),
        last_evaluation: T0 + 600_000,
        evaluation_time: Duration::from_millis(1),
    };
    group.last_evaluation = T0 + 600_000;
    m
}

#[test]
fn rules_in_prometheus_shape() {
    let body = rules_json(&manager(), &RulesFilter::default());
    assert_eq!(
        body["groups"][0],
        json!({
            "name": "api",
            "file": "/etc/rules.yaml",
            "interval": 30.0,
            "limit": 0,
            "evaluationTime": 0.003,
            "lastEvaluation": "2026-01-01T00:10:00Z",
            "rules": [
                {
                    "state": "firing",
                    "name": "HighLatency",
                    "query": "latency_seconds > 1",
                    "duration": 600.0,
                    "keepFiringFor": 0.0,
                    "labels": {"severity": "page"},
                    "annotations": {"summary": "High request latency"},
                    "alerts": [{
                        "labels": {"alertname": "HighLatency", "severity": "page"},
                        "annotations": {"summary": "High request latency"},
                        "state": "firing",
                        "activeAt": "2026-01-01T00:00:00Z",
                        "value": "2.5e+00",
                    }],
                    "health": "ok",
                    "type": "alerting",
                    "lastEvaluation": "2026-01-01T00:10:00Z",
                    "evaluationTime": 0.002,
                },
                {
                    "state": "inactive",
                    "name": "Down",
                    "query": "up == 0",
                    "duration": 0.0,
                    "keepFiringFor": 0.0,
                    "labels": {},
                    "annotations": {},
                    "alerts": [],
                    "health": "err",
                    "lastError": "query timed out",
                    "type": "alerting",
                    "lastEvaluation": "2026-01-01T00:10:00Z",
                    "evaluationTime": 0.001,
                }
            ]
        })
    );
    assert_eq!(body["groups"][1]["interval"], 15.0, "the default interval");
    assert_eq!(body["groups"][1]["rules"][0]["health"], "unknown");
    assert_eq!(
        body["groups"][1]["rules"][0]["lastEvaluation"],
        "0001-01-01T00:00:00Z"
    );
}

#[test]
fn rules_filters() {
    let m = manager();
    let names = |filter: RulesFilter| -> Vec<String> {
        let body = rules_json(&m, &filter);
        body["groups"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|g| g["rules"].as_array().unwrap().clone())
            .map(|r| r["name"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(
        names(RulesFilter::default()),
        ["HighLatency", "Down", "Panics"]
    );
    let record = RulesFilter {
        kind: Some("record".into()),
        ..Default::default()
    };
    assert!(
        rules_json(&m, &record)["groups"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    let one = RulesFilter {
        rule_names: vec!["Down".into()],
        ..Default::default()
    };
    assert_eq!(names(one), ["Down"]);
    let group = RulesFilter {
        rule_groups: vec!["logs".into()],
        ..Default::default()
    };
    assert_eq!(names(group), ["Panics"]);
    let without = RulesFilter {
        exclude_alerts: true,
        ..Default::default()
    };
    assert!(
        rules_json(&m, &without)["groups"][0]["rules"][0]
            .get("alerts")
            .is_none()
    );
}

#[test]
fn alerts_in_prometheus_shape() {
    assert_eq!(
        alerts_json(&manager()),
        json!({"alerts": [{
            "labels": {"alertname": "HighLatency", "severity": "page"},
            "annotations": {"summary": "High request latency"},
            "state": "firing",
            "activeAt": "2026-01-01T00:00:00Z",
            "value": "2.5e+00",
        }]})
    );
}

#[test]
fn values_print_like_go() {
    assert_eq!(go_exponent(1.0), "1e+00");
    assert_eq!(go_exponent(1234.5), "1.2345e+03");
    assert_eq!(go_exponent(0.00025), "2.5e-04");
    assert_eq!(go_exponent(-3.0), "-3e+00");
    assert_eq!(go_exponent(f64::NAN), "NaN");
    assert_eq!(go_exponent(f64::NEG_INFINITY), "-Inf");
}
