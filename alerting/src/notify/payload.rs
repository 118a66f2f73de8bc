//! The Alertmanager webhook payload (version 4) and alert fingerprints.

use serde_json::{Map, Value as Json, json};

use crate::state::Labels;

/// An alert as notifiers see it.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct NotifyAlert {
    /// Identifying labels, sorted.
    pub labels: Labels,
    /// Annotations, sorted.
    pub annotations: Labels,
    /// Whether it is resolved (else firing).
    pub resolved: bool,
    /// When it started firing... or pending: Prometheus sends `activeAt` (unix ms).
    pub starts_at: i64,
    /// When it resolved (unix ms), for resolved alerts.
    pub ends_at: i64,
    /// Link to the rule's expression.
    pub generator_url: String,
}

impl NotifyAlert {
    /// Alertmanager's fingerprint of the labels.
    pub fn fingerprint(&self) -> u64 {
        fingerprint(&self.labels)
    }
}

/// Prometheus' label-set fingerprint: FNV-1a 64 over name, 0xff, value, 0xff, by name.
pub fn fingerprint(labels: &Labels) -> u64 {
    const OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
    const PRIME: u64 = 0x0000_0100_0000_01b3;
    let mut sorted: Vec<&(String, String)> = labels.iter().collect();
    sorted.sort();
    let mut hash = OFFSET;
    let mut add = |bytes: &[u8]| {
        for b in bytes {
            hash ^= u64::from(*b);
            hash = hash.wrapping_mul(PRIME);
        }
    };
    for (name, value) in sorted {
        add(name.as_bytes());
        add(&[0xff]);
        add(value.as_bytes());
        add(&[0xff]);
    }
    hash
}

/// RFC 3339 with nanoseconds as Alertmanager writes times; unix ms 0 is Go's zero time.
pub fn rfc3339(unix_ms: i64) -> String {
    if unix_ms == 0 {
        return "0001-01-01T00:00:00Z".into();
    }
    chrono::DateTime::from_timestamp_millis(unix_ms)
        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true))
        .unwrap_or_default()
}

/// A label set as a JSON object (name -> value).
pub(crate) fn object(labels: &Labels) -> Json {
    Json::Object(
        labels
            .iter()
            .map(|(n, v)| (n.clone(), Json::from(v.clone())))
            .collect::<Map<_, _>>(),
    )
}

/// The pairs every one of `sets` has.
fn common(sets: &[&Labels]) -> Labels {
    let Some((first, rest)) = sets.split_first() else {
        return Vec::new();
    };
    first
        .iter()
        .filter(|pair| rest.iter().all(|set| set.contains(pair)))
        .cloned()
        .collect()
}

/// Alertmanager's group key of a receiver's group: `{}:{label="value", ...}` (route `{}`).
pub fn group_key(group_labels: &Labels) -> String {
    let inner: Vec<String> = group_labels
        .iter()
        .map(|(n, v)| format!("{n}={v:?}"))
        .collect();
    format!("{{}}:{{{}}}", inner.join(", "))
}

/// The webhook body for `alerts` of one group (firing first, then resolved).
pub fn webhook_payload(
    receiver: &str,
    group_labels: &Labels,
    alerts: &[NotifyAlert],
    external_url: &str,
) -> Json {
    let labels: Vec<&Labels> = alerts.iter().map(|a| &a.labels).collect();
    let annotations: Vec<&Labels> = alerts.iter().map(|a| &a.annotations).collect();
    let firing = alerts.iter().any(|a| !a.resolved);
    let items: Vec<Json> = alerts
        .iter()
        .map(|a| {
            json!({
                "status": if a.resolved { "resolved" } else { "firing" },
                "labels": object(&a.labels),
                "annotations": object(&a.annotations),
                "startsAt": rfc3339(a.starts_at),
                "endsAt": rfc3339(if a.resolved { a.ends_at } else { 0 }),
                "generatorURL": a.generator_url,
                "fingerprint": format!("{:016x}", a.fingerprint()),
            })
        })
        .collect();
    json!({
        "version": "4",
        "groupKey": group_key(group_labels),
        "truncatedAlerts": 0,
        "status": if firing { "firing" } else { "resolved" },
        "receiver": receiver,
        "groupLabels": object(group_labels),
        "commonLabels": object(&common(&labels)),
        "commonAnnotations": object(&common(&annotations)),
        "externalURL": external_url,
        "alerts": items,
    })
}

/// The body of Alertmanager's `POST /api/v2/alerts` for `alerts`; firing alerts end at
/// `valid_until` (unix ms) unless sent again, as Prometheus sends them.
pub fn alertmanager_payload(alerts: &[NotifyAlert], valid_until: i64) -> Json {
    Json::Array(
        alerts
            .iter()
            .map(|a| {
                let mut item = json!({
                    "labels": object(&a.labels),
                    "annotations": object(&a.annotations),
                    "startsAt": rfc3339(a.starts_at),
                    "generatorURL": a.generator_url,
                });
                let ends_at = if a.resolved { a.ends_at } else { valid_until };
                item["endsAt"] = Json::from(rfc3339(ends_at));
                item
            })
            .collect(),
    )
}
