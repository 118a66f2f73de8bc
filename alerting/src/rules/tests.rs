//! Rule files: a valid file in each language, and invalid ones with their exact messages.

use std::time::Duration;

use super::*;

const VALID: &str = r#"
groups:
  - name: checkout
    interval: 30s
    labels:
      team: shop
    limit: 10
    rules:
      - alert: HighErrorRate
        expr: sum by (service) (rate(traces_spanmetrics_calls_total{status_code="STATUS_CODE_ERROR"}[5m])) > 1
        for: 5m
        keep_firing_for: 1m30s
        labels:
          severity: page
        annotations:
          summary: "{{ $labels.service }}: {{ $value | humanize }} errors/s"
      - alert: Panics
        lang: logql
        expr: sum(count_over_time({service_name="checkout"} |= "panic" [5m])) > 0
      - alert: SlowCheckout
        lang: traceql
        expr: '{ resource.service.name = "checkout" && duration > 2s } | rate()'
  - name: empty
    rules: []
"#;

#[test]
fn a_valid_file_in_every_language() {
    let groups = parse_rule_file("rules/shop.yaml", VALID).unwrap();
    assert_eq!(groups.len(), 2);
    let g = &groups[0];
    assert_eq!(
        (g.name.as_str(), g.file.as_str(), g.interval, g.limit),
        (
            "checkout",
            "rules/shop.yaml",
            Some(Duration::from_secs(30)),
            10
        )
    );
    assert_eq!(g.labels, vec![("team".to_string(), "shop".to_string())]);
    let r = &g.rules[0];
    assert_eq!(r.name, "HighErrorRate");
    assert_eq!(r.lang, RuleLang::PromQl);
    assert_eq!(r.hold, Duration::from_secs(300));
    assert_eq!(r.keep_firing_for, Duration::from_secs(90));
    assert_eq!(r.labels, vec![("severity".to_string(), "page".to_string())]);
    assert!(r.annotations[0].1.contains("humanize"));
    assert_eq!(g.rules[1].lang, RuleLang::LogQl);
    assert_eq!(g.rules[1].hold, Duration::ZERO);
    assert_eq!(g.rules[2].lang, RuleLang::TraceQl);
    assert_eq!(groups[1].interval, None);
    assert!(groups[1].rules.is_empty());
    assert!(
        parse_rule_file("empty.yaml", "# nothing yet\n")
            .unwrap()
            .is_empty()
    );
}

/// `(file contents, the error message after "f.yaml: ")`.
const INVALID: &[(&str, &str)] = &[
    (
        "groups:\n  - name: a\n    rules:\n      - alert: A\n        expr: up\n        fro: 5m\n",
        "groups[0].rules[0]: unknown field `fro`, expected one of",
    ),
    (
        "groups:\n  - name: ''\n    rules: []\n",
        "group 1: name must not be empty",
    ),
    (
        "groups:\n  - name: a\n  - name: a\n",
        "group 2 (\"a\"): group name \"a\" is repeated in the same file",
    ),
    (
        "groups:\n  - name: a\n    interval: 0s\n",
        "group 1 (\"a\"): interval must be greater than 0",
    ),
    (
        "groups:\n  - name: a\n    interval: soon\n",
        "group 1 (\"a\"): interval: not a valid duration \"soon\"",
    ),
    (
        "groups:\n  - name: a\n    rules:\n      - expr: up\n",
        "group 1 (\"a\"), rule 1 (\"\"): one of 'record' or 'alert' must be set",
    ),
    (
        "groups:\n  - name: a\n    rules:\n      - alert: A\n        record: b\n        expr: up\n",
        "group 1 (\"a\"), rule 1 (\"A\"): only one of 'record' and 'alert' must be set",
    ),
    (
        "groups:\n  - name: a\n    rules:\n      - record: job:up:sum\n        expr: sum(up)\n",
        "group 1 (\"a\"), rule 1 (\"job:up:sum\"): recording rules are not supported",
    ),
    (
        "groups:\n  - name: a\n    rules:\n      - alert: A\n",
        "group 1 (\"a\"), rule 1 (\"A\"): field 'expr' must be set in rule",
    ),
    (
        "groups:\n  - name: a\n    rules:\n      - alert: A\n        expr: sum(up\n",
        "group 1 (\"a\"), rule 1 (\"A\"): could not parse expression: ",
    ),
    (
        "groups:\n  - name: a\n    rules:\n      - alert: A\n        expr: up[5m]\n",
        "group 1 (\"a\"), rule 1 (\"A\"): expression must be an instant vector or a scalar, not a matrix",
    ),
    (
        "groups:\n  - name: a\n    rules:\n      - alert: A\n        lang: sql\n        expr: up\n",
        "group 1 (\"a\"), rule 1 (\"A\"): unknown lang \"sql\" (promql, logql or traceql)",
    ),
    (
        "groups:\n  - name: a\n    rules:\n      - alert: A\n        lang: logql\n        expr: '{app=\"x\"} |= \"panic\"'\n",
        "group 1 (\"a\"), rule 1 (\"A\"): a logql rule needs a metric query",
    ),
    (
        "groups:\n  - name: a\n    rules:\n      - alert: A\n        lang: traceql\n        expr: '{ status = error }'\n",
        "group 1 (\"a\"), rule 1 (\"A\"): a traceql rule needs a metrics query",
    ),
    (
        "groups:\n  - name: a\n    rules:\n      - alert: A\n        expr: up == 0\n        for: 5 minutes\n",
        "group 1 (\"a\"), rule 1 (\"A\"): for: not a valid duration \"5 minutes\"",
    ),
    (
        "groups:\n  - name: a\n    rules:\n      - alert: A\n        expr: up == 0\n        labels:\n          bad-name: x\n",
        "group 1 (\"a\"), rule 1 (\"A\"): labels: invalid label name \"bad-name\"",
    ),
    (
        "groups:\n  - name: a\n    rules:\n      - alert: A\n        expr: up == 0\n        annotations:\n          1st: x\n",
        "group 1 (\"a\"), rule 1 (\"A\"): annotations: invalid label name \"1st\"",
    ),
    (
        "groups:\n  - name: a\n    rules:\n      - alert: A\n        expr: up == 0\n        annotations:\n          summary: '{{ $value | nope }}'\n",
        "group 1 (\"a\"), rule 1 (\"A\"): annotations: summary: template: __alert:1: function \"nope\" not defined",
    ),
    (
        "groups: [ {name: a, rules: [ {alert: A, expr: up == 0, labels: {a: [1]}} ]} ]\n",
        "groups[0].rules[0].labels.a: invalid type: sequence, expected a string",
    ),
];

#[test]
fn invalid_files_are_refused_with_the_reason() {
    for (text, expected) in INVALID {
        let error = parse_rule_file("f.yaml", text).unwrap_err();
        assert_eq!(error.file, "f.yaml");
        assert!(
            error.message.starts_with(expected),
            "{text}\nexpected: {expected}\n     got: {}",
            error.message
        );
        assert!(error.to_string().starts_with("f.yaml: "));
    }
}

#[test]
fn durations_follow_prometheus() {
    assert_eq!(duration("1h30m").unwrap(), Duration::from_secs(5400));
    assert_eq!(duration("0").unwrap(), Duration::ZERO);
    assert_eq!(duration("0s").unwrap(), Duration::ZERO);
    assert_eq!(duration("2d").unwrap(), Duration::from_secs(172_800));
    assert!(duration("1.5h").is_err());
}
