//! Payload shapes and Alertmanager's grouping and timing, with a fake clock.

use std::time::Duration;

use serde_json::json;

use super::*;

const S: i64 = 1000;
const M: i64 = 60 * S;
/// 2026-01-01T00:00:00Z in unix ms.
const T0: i64 = 1_767_225_600_000;

fn labels(pairs: &[(&str, &str)]) -> Labels {
    let mut out: Labels = pairs
        .iter()
        .map(|(n, v)| (n.to_string(), v.to_string()))
        .collect();
    out.sort();
    out
}

fn alert(name: &str, instance: &str) -> NotifyAlert {
    NotifyAlert {
        labels: labels(&[
            ("alertname", name),
            ("instance", instance),
            ("severity", "page"),
        ]),
        annotations: labels(&[("summary", &format!("{instance} is slow"))]),
        resolved: false,
        starts_at: T0,
        ends_at: 0,
        generator_url: "http://sightline:3200/graph?g0.expr=up".into(),
    }
}

fn resolved(mut a: NotifyAlert, at: i64) -> NotifyAlert {
    a.resolved = true;
    a.ends_at = at;
    a
}

#[test]
fn fingerprints_are_prometheus_label_signatures() {
    // Values from Prometheus' common/model signature tests.
    assert_eq!(
        fingerprint(&labels(&[
            ("name", "garland, briggs"),
            ("fear", "love is not enough")
        ])),
        5_799_056_148_416_392_346
    );
    assert_eq!(fingerprint(&Vec::new()), 14_695_981_039_346_656_037);
}

#[test]
fn webhook_payload_is_version_4() {
    let a = alert("HighLatency", "db-1");
    let b = resolved(alert("HighLatency", "db-2"), T0 + 90 * S);
    let group = labels(&[("alertname", "HighLatency")]);
    let body = webhook_payload("ops", &group, &[a.clone(), b], "http://sightline:3200");
    assert_eq!(
        body,
        json!({
            "version": "4",
            "groupKey": "{}:{alertname=\"HighLatency\"}",
            "truncatedAlerts": 0,
            "status": "firing",
            "receiver": "ops",
            "groupLabels": {"alertname": "HighLatency"},
            "commonLabels": {"alertname": "HighLatency", "severity": "page"},
            "commonAnnotations": {},
            "externalURL": "http://sightline:3200",
            "alerts": [
                {
                    "status": "firing",
                    "labels": {"alertname": "HighLatency", "instance": "db-1", "severity": "page"},
                    "annotations": {"summary": "db-1 is slow"},
                    "startsAt": "2026-01-01T00:00:00Z",
                    "endsAt": "0001-01-01T00:00:00Z",
                    "generatorURL": "http://sightline:3200/graph?g0.expr=up",
                    "fingerprint": format!("{:016x}", a.fingerprint()),
                },
                {
                    "status": "resolved",
                    "labels": {"alertname": "HighLatency", "instance": "db-2", "severity": "page"},
                    "annotations": {"summary": "db-2 is slow"},
                    "startsAt": "2026-01-01T00:00:00Z",
                    "endsAt": "2026-01-01T00:01:30Z",
                    "generatorURL": "http://sightline:3200/graph?g0.expr=up",
                    "fingerprint": format!("{:016x}", fingerprint(&labels(&[
                        ("alertname", "HighLatency"), ("instance", "db-2"), ("severity", "page")
                    ]))),
                }
            ]
        })
    );
    let pushed = alertmanager_payload(
        &[resolved(alert("A", "x"), T0 + S), alert("B", "y")],
        T0 + 4 * M,
    );
    assert_eq!(pushed[0]["endsAt"], "2026-01-01T00:00:01Z");
    assert_eq!(
        pushed[1]["endsAt"], "2026-01-01T00:04:00Z",
        "firing: valid until"
    );
    assert_eq!(pushed[0]["labels"]["alertname"], "A");
}

fn receiver() -> Receiver {
    let mut r = Receiver::new("ops", Target::Webhook("http://hook".into()));
    r.group_by = vec!["alertname".into()];
    r
}

fn instances(n: &[Notification]) -> Vec<Vec<(String, bool)>> {
    n.iter()
        .map(|n| {
            n.alerts
                .iter()
                .map(|a| (a.labels[1].1.clone(), a.resolved))
                .collect()
        })
        .collect()
}

#[test]
fn group_wait_then_group_interval_then_repeat() {
    let mut d = Dispatcher::new(vec![receiver()]);
    d.update(&[alert("A", "1")], T0);
    assert!(d.flush(T0 + 29 * S).is_empty(), "group_wait is 30s");
    let sent = d.flush(T0 + 30 * S);
    assert_eq!(instances(&sent), vec![vec![("1".to_string(), false)]]);
    // A second instance joins: reported at the next group_interval, together with the first.
    d.update(&[alert("A", "1"), alert("A", "2")], T0 + M);
    assert!(d.flush(T0 + 2 * M).is_empty());
    let sent = d.flush(T0 + 30 * S + 5 * M);
    assert_eq!(
        instances(&sent),
        vec![vec![("1".to_string(), false), ("2".to_string(), false)]]
    );
    // Nothing changes: silence until repeat_interval (4h) after the last notification.
    d.update(&[alert("A", "1"), alert("A", "2")], T0 + 10 * M);
    assert!(d.flush(T0 + 30 * S + 10 * M).is_empty());
    let repeat_due = T0 + 30 * S + 5 * M + 4 * 60 * M;
    d.update(&[alert("A", "1"), alert("A", "2")], repeat_due);
    assert!(d.flush(repeat_due - S).is_empty());
    // Checked at the group's ticks (every group_interval), as in Alertmanager.
    assert!(d.flush(repeat_due).is_empty(), "not a tick");
    assert_eq!(d.flush(repeat_due - S + 5 * M).len(), 1);
}

#[test]
fn resolution_is_sent_once_then_the_group_ends() {
    let mut d = Dispatcher::new(vec![receiver()]);
    d.update(&[alert("A", "1"), alert("A", "2")], T0);
    assert_eq!(d.flush(T0 + 30 * S).len(), 1);
    // Instance 2 resolves (retained by the rule), instance 1 vanishes (its rule was deleted).
    d.update(&[resolved(alert("A", "2"), T0 + M)], T0 + M);
    let sent = d.flush(T0 + 30 * S + 5 * M);
    assert_eq!(
        instances(&sent),
        vec![vec![("1".to_string(), true), ("2".to_string(), true)]]
    );
    assert_eq!(sent[0].alerts[0].ends_at, T0 + M);
    d.update(&[resolved(alert("A", "2"), T0 + M)], T0 + 6 * M);
    assert!(d.flush(T0 + 30 * S + 10 * M).is_empty(), "said once");
    assert!(d.groups.is_empty());
}

#[test]
fn without_send_resolved_resolutions_stay_quiet() {
    let mut r = receiver();
    r.send_resolved = false;
    let mut d = Dispatcher::new(vec![r]);
    d.update(&[alert("A", "1"), alert("A", "2")], T0);
    assert_eq!(d.flush(T0 + 30 * S).len(), 1);
    d.update(
        &[alert("A", "1"), resolved(alert("A", "2"), T0 + M)],
        T0 + M,
    );
    assert!(d.flush(T0 + 30 * S + 5 * M).is_empty());
    d.update(&[resolved(alert("A", "1"), T0 + 6 * M)], T0 + 6 * M);
    assert!(d.flush(T0 + 30 * S + 10 * M).is_empty());
}

#[test]
fn routing_by_labels_and_grouping() {
    let mut pager = receiver();
    pager.matchers = labels(&[("severity", "page")]);
    pager.group_wait = Duration::ZERO;
    let mut ticket = Receiver::new("tickets", Target::Alertmanager("http://am:9093".into()));
    ticket.matchers = labels(&[("severity", "ticket")]);
    let mut d = Dispatcher::new(vec![pager, ticket]);
    let mut low = alert("B", "9");
    low.labels = labels(&[
        ("alertname", "B"),
        ("instance", "9"),
        ("severity", "ticket"),
    ]);
    d.update(&[alert("A", "1"), alert("C", "1"), low], T0);
    let sent = d.flush(T0);
    let groups: Vec<(usize, Labels)> = sent
        .iter()
        .map(|n| (n.receiver, n.group_labels.clone()))
        .collect();
    assert_eq!(
        groups,
        vec![
            (0, labels(&[("alertname", "A")])),
            (0, labels(&[("alertname", "C")]))
        ]
    );
    let later = d.flush(T0 + 30 * S);
    assert_eq!(later.len(), 1);
    assert_eq!(later[0].receiver, 1);
    assert_eq!(later[0].group_labels, Vec::new(), "no group_by: one group");
}

#[test]
fn alerts_resolved_before_any_notification_are_not_sent() {
    let mut d = Dispatcher::new(vec![receiver()]);
    d.update(&[alert("A", "1")], T0);
    d.update(&[resolved(alert("A", "1"), T0 + 10 * S)], T0 + 10 * S);
    assert!(d.flush(T0 + 30 * S).is_empty());
    assert!(d.groups.is_empty());
}

#[test]
fn a_restored_dispatcher_does_not_notify_again() {
    let mut d = Dispatcher::new(vec![receiver()]);
    d.update(&[alert("A", "1")], T0);
    assert_eq!(d.flush(T0 + 30 * S).len(), 1);
    let saved: DispatcherState =
        serde_json::from_str(&serde_json::to_string(&d.saved()).unwrap()).unwrap();
    // After a restart, with the receivers in another order.
    let mut other = Receiver::new("other", Target::Webhook("http://x".into()));
    other.matchers = labels(&[("severity", "ticket")]);
    let mut restored = Dispatcher::new(vec![other, receiver()]);
    restored.restore(&saved);
    restored.update(&[alert("A", "1")], T0 + M);
    assert!(
        restored.flush(T0 + 30 * S + 5 * M).is_empty(),
        "already notified"
    );
    restored.update(&[alert("A", "1"), alert("A", "2")], T0 + 6 * M);
    let sent = restored.flush(T0 + 30 * S + 10 * M);
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].receiver, 1);
}
