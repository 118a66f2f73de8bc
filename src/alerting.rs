//! The `[alerting]` configuration table and the flags that add to it (`--rules`,
//! `--alert-webhook`, `--rule-evaluation-interval`), turned into the alerting service's
//! settings.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{Context, bail};
use serde::Deserialize;
use sightline_alerting::notify::{Receiver, RetryPolicy, Target};
use sightline_alerting::rules::{duration, valid_label_name};
use sightline_query::rules::service::AlertingConfig;

/// The `[alerting]` table.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AlertingSettings {
    /// Rule files: paths or globs (`rules/*.yaml`).
    pub rule_files: Vec<String>,
    /// Evaluation interval of groups without their own (Prometheus duration).
    pub evaluation_interval: String,
    /// Base URL alerts link back to (default: `http://<http_addr>`).
    pub external_url: String,
    /// Where notifications go.
    pub receivers: Vec<ReceiverSettings>,
}

impl Default for AlertingSettings {
    fn default() -> Self {
        Self {
            rule_files: Vec::new(),
            evaluation_interval: "15s".into(),
            external_url: String::new(),
            receivers: Vec::new(),
        }
    }
}

/// One `[[alerting.receivers]]` entry.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ReceiverSettings {
    /// Its name.
    pub name: String,
    /// POST the Alertmanager webhook payload here.
    pub webhook_url: Option<String>,
    /// Or push alerts to this Alertmanager (`/api/v2/alerts`).
    pub alertmanager_url: Option<String>,
    /// Labels an alert must carry to come here.
    #[serde(rename = "match")]
    pub matchers: BTreeMap<String, String>,
    /// Labels that split alerts into groups.
    pub group_by: Vec<String>,
    /// Alertmanager's `group_wait`.
    pub group_wait: String,
    /// Alertmanager's `group_interval`.
    pub group_interval: String,
    /// Alertmanager's `repeat_interval`.
    pub repeat_interval: String,
    /// Send resolved alerts.
    pub send_resolved: bool,
}

impl Default for ReceiverSettings {
    fn default() -> Self {
        Self {
            name: String::new(),
            webhook_url: None,
            alertmanager_url: None,
            matchers: BTreeMap::new(),
            group_by: Vec::new(),
            group_wait: "30s".into(),
            group_interval: "5m".into(),
            repeat_interval: "4h".into(),
            send_resolved: true,
        }
    }
}

fn positive(what: &str, text: &str) -> anyhow::Result<std::time::Duration> {
    let d = duration(text).map_err(|e| anyhow::anyhow!("{what}: {e}"))?;
    if d.is_zero() && what != "group_wait" {
        bail!("{what} must be greater than 0");
    }
    Ok(d)
}

impl ReceiverSettings {
    fn receiver(&self, index: usize) -> anyhow::Result<Receiver> {
        let name = if self.name.is_empty() {
            format!("receiver-{}", index + 1)
        } else {
            self.name.clone()
        };
        let at = format!("alerting.receivers[{index}] ({name})");
        let target = match (&self.webhook_url, &self.alertmanager_url) {
            (Some(url), None) => Target::Webhook(url.clone()),
            (None, Some(url)) => Target::Alertmanager(url.clone()),
            _ => bail!("{at}: set exactly one of webhook_url and alertmanager_url"),
        };
        for name in self.matchers.keys().chain(&self.group_by) {
            if !valid_label_name(name) {
                bail!("{at}: invalid label name {name:?}");
            }
        }
        let mut receiver = Receiver::new(&name, target);
        receiver.matchers = self
            .matchers
            .iter()
            .map(|(n, v)| (n.clone(), v.clone()))
            .collect();
        receiver.group_by = self.group_by.clone();
        receiver.group_wait = positive("group_wait", &self.group_wait).context(at.clone())?;
        receiver.group_interval =
            positive("group_interval", &self.group_interval).context(at.clone())?;
        receiver.repeat_interval =
            positive("repeat_interval", &self.repeat_interval).context(at)?;
        receiver.send_resolved = self.send_resolved;
        Ok(receiver)
    }
}

impl AlertingSettings {
    /// Adds what the flags name: rule files, webhooks (Alertmanager's default timings) and
    /// the evaluation interval.
    pub fn apply_flags(
        &mut self,
        rules: Vec<String>,
        webhooks: Vec<String>,
        interval: Option<String>,
    ) {
        self.rule_files.extend(rules);
        let first = self.receivers.len();
        self.receivers.extend(
            webhooks
                .into_iter()
                .enumerate()
                .map(|(i, url)| ReceiverSettings {
                    name: format!("webhook-{}", first + i + 1),
                    webhook_url: Some(url),
                    ..ReceiverSettings::default()
                }),
        );
        if let Some(interval) = interval {
            self.evaluation_interval = interval;
        }
    }

    /// The service settings (durations and receivers checked).
    pub fn service_config(
        &self,
        data_dir: &Path,
        http_addr: &str,
    ) -> anyhow::Result<AlertingConfig> {
        let evaluation_interval =
            positive("alerting.evaluation_interval", &self.evaluation_interval)?;
        let receivers = self
            .receivers
            .iter()
            .enumerate()
            .map(|(i, r)| r.receiver(i))
            .collect::<anyhow::Result<Vec<_>>>()?;
        let external_url = if self.external_url.is_empty() {
            format!("http://{http_addr}")
        } else {
            self.external_url.trim_end_matches('/').to_string()
        };
        Ok(AlertingConfig {
            rule_files: self.rule_files.clone(),
            evaluation_interval,
            external_url,
            receivers,
            data_dir: data_dir.to_path_buf(),
            retry: RetryPolicy::default(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn receivers_from_the_table_and_the_flags() {
        let text = r#"
rule_files = ["rules/*.yaml"]
evaluation_interval = "30s"
external_url = "http://sightline.example:3200/"
[[receivers]]
name = "ops"
webhook_url = "http://hooks.example/alert"
match = { severity = "page" }
group_by = ["alertname"]
group_wait = "10s"
send_resolved = false
[[receivers]]
name = "am"
alertmanager_url = "http://am:9093"
"#;
        let mut settings: AlertingSettings = toml::from_str(text).unwrap();
        settings.apply_flags(
            vec!["more.yaml".into()],
            vec!["http://127.0.0.1:9/h".into()],
            None,
        );
        let config = settings
            .service_config(Path::new("/data"), "0.0.0.0:3200")
            .unwrap();
        assert_eq!(config.rule_files, ["rules/*.yaml", "more.yaml"]);
        assert_eq!(
            config.evaluation_interval,
            std::time::Duration::from_secs(30)
        );
        assert_eq!(config.external_url, "http://sightline.example:3200");
        let ops = &config.receivers[0];
        assert_eq!(
            ops.target,
            Target::Webhook("http://hooks.example/alert".into())
        );
        assert_eq!(
            ops.matchers,
            vec![("severity".to_string(), "page".to_string())]
        );
        assert_eq!(ops.group_wait, std::time::Duration::from_secs(10));
        assert!(!ops.send_resolved);
        assert_eq!(
            config.receivers[1].target,
            Target::Alertmanager("http://am:9093".into())
        );
        let flag = &config.receivers[2];
        assert_eq!(flag.name, "webhook-3");
        assert_eq!(
            flag.group_interval,
            std::time::Duration::from_secs(300),
            "defaults"
        );
    }

    #[test]
    fn bad_receivers_are_refused() {
        let both: AlertingSettings = toml::from_str(
            "[[receivers]]\nwebhook_url = \"http://a\"\nalertmanager_url = \"http://b\"\n",
        )
        .unwrap();
        let error = both
            .service_config(Path::new("/d"), "x")
            .unwrap_err()
            .to_string();
        assert!(error.contains("exactly one of"), "{error}");
        let bad: AlertingSettings = toml::from_str(
            "[[receivers]]\nwebhook_url = \"http://a\"\ngroup_interval = \"soon\"\n",
        )
        .unwrap();
        let error = format!(
            "{:#}",
            bad.service_config(Path::new("/d"), "x").unwrap_err()
        );
        assert!(error.contains("group_interval"), "{error}");
        let unknown = toml::from_str::<AlertingSettings>("rules = []\n").unwrap_err();
        assert!(unknown.to_string().contains("rules"), "{unknown}");
    }
}
