//! The alerting service: loads rule files, evaluates them over the store when due, writes the
//! `ALERTS` series, notifies receivers (webhooks through Alertmanager-style grouping, or an
//! Alertmanager directly), keeps alert states and pending notifications across restarts, and
//! serves `/api/v1/rules`, `/api/v1/alerts` and `POST /-/reload`.
//!
//! Rules are evaluated for the single tenant. Files live under `<data dir>/alerting/`:
//! `state.json` (alert states), `notified.json` (what each receiver group was last told, so a
//! restart does not notify again) and `outbox.json` (notifications not yet delivered).

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use sightline_alerting::api::{RulesFilter, alerts_json, rules_json};
use sightline_alerting::manager::{AlertsSample, Manager, Querier};
use sightline_alerting::notify::{
    Dispatcher, DispatcherState, NotifyAlert, Outbox, Receiver, RetryPolicy, Target,
    alertmanager_payload, webhook_payload,
};
use sightline_alerting::persist::{SavedStates, save_json};
use sightline_alerting::{AlertTemplates, RuleGroup, RuleLang, parse_rule_file};
use sightline_proto::otlp::collector::metrics::v1::ExportMetricsServiceRequest;
use sightline_proto::otlp::common::v1::{AnyValue, KeyValue, any_value};
use sightline_proto::otlp::metrics::v1::{
    Gauge, Metric, NumberDataPoint, ResourceMetrics, ScopeMetrics, metric, number_data_point,
};
use sightline_storage::{SignalRequest, TelemetryStore, TenantId};
use tokio::sync::{Mutex, watch};

use super::{Labels, rule_vector};
use crate::prom_api::envelope::{PromError, PromJson};
use crate::prom_api::params::PromParams;

mod namespace;

/// How often a firing alert is re-sent to an Alertmanager (Prometheus' resend delay).
const RESEND_DELAY_MS: i64 = 60_000;

/// What the alerting service runs with.
#[derive(Debug, Clone)]
pub struct AlertingConfig {
    /// Rule files: paths or globs.
    pub rule_files: Vec<String>,
    /// Evaluation interval of groups without their own.
    pub evaluation_interval: Duration,
    /// Base URL of alert links.
    pub external_url: String,
    /// Where notifications go.
    pub receivers: Vec<Receiver>,
    /// The data directory (states and outbox under `alerting/`).
    pub data_dir: PathBuf,
    /// How deliveries are retried.
    pub retry: RetryPolicy,
}

/// Rule expressions over the store, for the single tenant.
struct StoreQuerier {
    store: TelemetryStore,
}

impl Querier for StoreQuerier {
    async fn vector(
        &self,
        lang: RuleLang,
        expr: &str,
        time_ms: i64,
    ) -> Result<Vec<(Labels, f64)>, String> {
        rule_vector(&self.store, &TenantId::single_tenant(), lang, expr, time_ms).await
    }
}

struct Inner {
    manager: Manager,
    dispatcher: Dispatcher,
    outbox: Outbox,
    /// When the Alertmanager receivers were last sent the alerts (unix ms).
    alertmanager_sent_at: i64,
    /// What they were told then: per alert fingerprint, whether it was resolved.
    alertmanager_told: HashMap<u64, bool>,
}

/// The running alerting service.
pub struct AlertingService {
    config: AlertingConfig,
    store: TelemetryStore,
    client: reqwest::Client,
    inner: Mutex<Inner>,
    /// The manager as of the last round or reload, for the APIs (never waits on a round).
    snapshot: std::sync::RwLock<Arc<Manager>>,
    /// Serializes changes to the namespace files.
    files: Mutex<()>,
}

/// The configured rule files plus the namespace files managed over HTTP.
fn rule_patterns(config: &AlertingConfig) -> Vec<String> {
    let mut patterns = config.rule_files.clone();
    let managed = config.data_dir.join("rules").join("*.yaml");
    patterns.push(managed.display().to_string());
    patterns
}

/// Loads every rule file the configuration names (globs expanded, sorted).
pub fn load_rule_files(patterns: &[String]) -> Result<Vec<RuleGroup>, String> {
    let mut paths = Vec::new();
    for pattern in patterns {
        let matches = glob::glob(pattern).map_err(|e| format!("rule files {pattern:?}: {e}"))?;
        let mut found: Vec<PathBuf> = matches.filter_map(Result::ok).collect();
        if found.is_empty() && !pattern.contains(['*', '?', '[']) {
            return Err(format!("rule file {pattern}: no such file"));
        }
        found.sort();
        paths.extend(found);
    }
    let mut groups = Vec::new();
    for path in paths {
        let text = std::fs::read_to_string(&path)
            .map_err(|e| format!("rule file {}: {e}", path.display()))?;
        groups.extend(
            parse_rule_file(&path.display().to_string(), &text).map_err(|e| e.to_string())?,
        );
    }
    Ok(groups)
}

impl AlertingService {
    /// Loads the rules (an invalid file is an error), the saved states and the outbox.
    pub fn start(config: AlertingConfig, store: TelemetryStore) -> Result<Arc<Self>, String> {
        let groups = load_rule_files(&rule_patterns(&config))?;
        let mut manager = Manager::new(groups, config.evaluation_interval, &Manager::default());
        manager.external_url = config.external_url.clone();
        let state_path = config.data_dir.join("alerting/state.json");
        if let Some(saved) = SavedStates::load(&state_path).map_err(|e| e.to_string())? {
            manager.restore_states(&saved);
        }
        let outbox = Outbox::load(&config.data_dir.join("alerting/outbox.json"))
            .map_err(|e| format!("alerting outbox: {e}"))?;
        let webhooks = config
            .receivers
            .iter()
            .filter(|r| matches!(r.target, Target::Webhook(_)))
            .cloned()
            .collect();
        let mut dispatcher = Dispatcher::new(webhooks);
        let notified = config.data_dir.join("alerting/notified.json");
        match std::fs::read(&notified) {
            Ok(bytes) => {
                let saved: DispatcherState = serde_json::from_slice(&bytes)
                    .map_err(|e| format!("{}: {e}", notified.display()))?;
                dispatcher.restore(&saved);
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(format!("{}: {e}", notified.display())),
        }
        let snapshot = Arc::new(manager.clone());
        Ok(Arc::new(Self {
            client: reqwest::Client::new(),
            inner: Mutex::new(Inner {
                manager,
                dispatcher,
                outbox,
                alertmanager_sent_at: 0,
                alertmanager_told: HashMap::new(),
            }),
            snapshot: std::sync::RwLock::new(snapshot),
            files: Mutex::new(()),
            config,
            store,
        }))
    }

    /// Reloads the rule files, keeping the states of unchanged rules. On error the loaded
    /// rules stay as they were.
    pub async fn reload(&self) -> Result<(), String> {
        let groups = load_rule_files(&rule_patterns(&self.config))?;
        let mut inner = self.inner.lock().await;
        let mut manager = Manager::new(groups, self.config.evaluation_interval, &inner.manager);
        manager.external_url = self.config.external_url.clone();
        inner.manager = manager;
        self.publish(&inner.manager);
        tracing::info!(
            groups = inner.manager.groups().len(),
            "alerting rules reloaded"
        );
        Ok(())
    }

    /// One round at `now` (unix ms): evaluate due groups, write `ALERTS`, save states, queue
    /// and deliver notifications.
    pub async fn tick(&self, now: i64) {
        let querier = StoreQuerier {
            store: self.store.clone(),
        };
        let mut guard = self.inner.lock().await;
        let samples = guard
            .manager
            .evaluate_due(now, &querier, &AlertTemplates)
            .await;
        if let Err(error) = self.write_alerts_series(&samples, now).await {
            tracing::warn!(%error, "writing the ALERTS series failed");
        }
        let alerts = guard.manager.notify_alerts();
        let inner = &mut *guard;
        inner.dispatcher.update(&alerts, now);
        for notification in inner.dispatcher.flush(now) {
            let receiver = &inner.dispatcher.receivers()[notification.receiver];
            if let Target::Webhook(url) = &receiver.target {
                let body = webhook_payload(
                    &receiver.name,
                    &notification.group_labels,
                    &notification.alerts,
                    &self.config.external_url,
                );
                inner.outbox.push(url, body, now);
            }
        }
        self.queue_for_alertmanagers(inner, &alerts, now);
        self.publish(&inner.manager);
        // Deliveries may wait on slow receivers: not while holding the lock a reload needs.
        // Only this round adds to the outbox, so nothing is pushed meanwhile.
        let mut outbox = std::mem::take(&mut inner.outbox);
        drop(guard);
        let round = outbox
            .deliver_due(&self.client, &self.config.retry, now)
            .await;
        for reason in &round.dropped {
            tracing::warn!(%reason, "notification dropped");
        }
        let mut guard = self.inner.lock().await;
        let inner = &mut *guard;
        inner.outbox = outbox;
        let dir = self.config.data_dir.join("alerting");
        let saved = std::fs::create_dir_all(&dir)
            .and_then(|()| inner.manager.saved_states().save(&dir.join("state.json")))
            .and_then(|()| inner.outbox.save(&dir.join("outbox.json")))
            .and_then(|()| save_json(&dir.join("notified.json"), &inner.dispatcher.saved()));
        if let Err(error) = saved {
            tracing::warn!(%error, "saving the alerting state failed");
        }
    }

    /// Sends every firing and resolved alert to each Alertmanager receiver when one changed
    /// state or the resend delay passed (Alertmanager groups and deduplicates them).
    fn queue_for_alertmanagers(&self, inner: &mut Inner, alerts: &[NotifyAlert], now: i64) {
        let changed = alerts
            .iter()
            .any(|a| inner.alertmanager_told.get(&a.fingerprint()) != Some(&a.resolved));
        if alerts.is_empty() || (!changed && now - inner.alertmanager_sent_at < RESEND_DELAY_MS) {
            return;
        }
        let interval = self.config.evaluation_interval.as_millis() as i64;
        let valid_until = now + 4 * interval.max(RESEND_DELAY_MS);
        let mut sent = false;
        for receiver in &self.config.receivers {
            let Target::Alertmanager(base) = &receiver.target else {
                continue;
            };
            let mine: Vec<NotifyAlert> = alerts
                .iter()
                .filter(|a| receiver.accepts(a))
                .filter(|a| receiver.send_resolved || !a.resolved)
                .cloned()
                .collect();
            if !mine.is_empty() {
                let url = format!("{}/api/v2/alerts", base.trim_end_matches('/'));
                inner
                    .outbox
                    .push(&url, alertmanager_payload(&mine, valid_until), now);
                sent = true;
            }
        }
        if sent {
            inner.alertmanager_sent_at = now;
            inner.alertmanager_told = alerts
                .iter()
                .map(|a| (a.fingerprint(), a.resolved))
                .collect();
        }
    }

    /// Stores one `ALERTS` gauge point (value 1) per pending or firing alert at `now`.
    async fn write_alerts_series(&self, samples: &[AlertsSample], now: i64) -> Result<(), String> {
        if samples.is_empty() {
            return Ok(());
        }
        let time = u64::try_from(now).unwrap_or(0) * 1_000_000;
        let points = samples
            .iter()
            .map(|(labels, value)| NumberDataPoint {
                attributes: labels
                    .iter()
                    .filter(|(n, _)| n != "__name__")
                    .map(|(n, v)| KeyValue {
                        key: n.clone(),
                        value: Some(AnyValue {
                            value: Some(any_value::Value::StringValue(v.clone())),
                        }),
                        key_strindex: 0,
                    })
                    .collect(),
                time_unix_nano: time,
                value: Some(number_data_point::Value::AsDouble(*value)),
                ..Default::default()
            })
            .collect();
        let request = ExportMetricsServiceRequest {
            resource_metrics: vec![ResourceMetrics {
                scope_metrics: vec![ScopeMetrics {
                    metrics: vec![Metric {
                        name: "ALERTS".into(),
                        data: Some(metric::Data::Gauge(Gauge {
                            data_points: points,
                        })),
                        ..Default::default()
                    }],
                    ..Default::default()
                }],
                ..Default::default()
            }],
        };
        let prepared = self
            .store
            .prepare(
                TenantId::single_tenant(),
                &SignalRequest::Metrics(request),
                None,
            )
            .map_err(|e| e.to_string())?;
        self.store.commit(prepared).await.map_err(|e| e.to_string())
    }

    /// Ticks every second until `shutdown`.
    pub async fn run(self: Arc<Self>, mut shutdown: watch::Receiver<bool>) {
        let mut ticks = tokio::time::interval(Duration::from_secs(1));
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = ticks.tick() => self.tick(now_ms()).await,
                _ = shutdown.changed() => return,
            }
        }
    }

    /// Makes `manager` what the APIs show.
    fn publish(&self, manager: &Manager) {
        let snapshot = Arc::new(manager.clone());
        *self.snapshot.write().unwrap_or_else(|e| e.into_inner()) = snapshot;
    }

    fn snapshot(&self) -> Arc<Manager> {
        Arc::clone(&self.snapshot.read().unwrap_or_else(|e| e.into_inner()))
    }

    /// The `/api/v1/rules` data.
    pub async fn rules(&self, filter: &RulesFilter) -> serde_json::Value {
        rules_json(&self.snapshot(), filter)
    }

    /// The `/api/v1/alerts` data.
    pub async fn alerts(&self) -> serde_json::Value {
        alerts_json(&self.snapshot())
    }
}

/// Now, unix ms.
pub fn now_ms() -> i64 {
    (crate::params::now_nanos() / 1_000_000) as i64
}

/// `GET /api/v1/rules`, `GET /api/v1/alerts`, `POST /-/reload`, and the rule-group API:
/// `GET|POST|DELETE /api/v1/rules/{namespace}`, `DELETE /api/v1/rules/{namespace}/{group}`.
pub fn routes(service: Arc<AlertingService>) -> axum::Router {
    use axum::routing::{delete, get, post};
    axum::Router::new()
        .route("/api/v1/rules", get(rules_handler))
        .route(
            "/api/v1/rules/{namespace}",
            get(namespace::get_namespace)
                .post(namespace::post_group)
                .delete(namespace::delete_namespace),
        )
        .route(
            "/api/v1/rules/{namespace}/{group}",
            delete(namespace::delete_group),
        )
        .route("/api/v1/alerts", get(alerts_handler))
        .route("/-/reload", post(reload_handler))
        .with_state(service)
}

async fn rules_handler(
    axum::extract::State(service): axum::extract::State<Arc<AlertingService>>,
    headers: http::HeaderMap,
    axum::extract::RawQuery(query): axum::extract::RawQuery,
) -> Result<PromJson, PromError> {
    let params = PromParams::new(query.as_deref(), &headers, &axum::body::Bytes::new())?;
    let kind = params
        .get("type")
        .filter(|t| !t.is_empty())
        .map(str::to_string);
    if let Some(kind) = &kind
        && kind != "alert"
        && kind != "record"
    {
        return Err(PromError::bad_data(format!(
            "unsupported type {kind:?}, expected \"alert\" or \"record\""
        )));
    }
    let owned = |name: &str| params.all(name).into_iter().map(str::to_string).collect();
    let filter = RulesFilter {
        kind,
        rule_names: owned("rule_name[]"),
        rule_groups: owned("rule_group[]"),
        files: owned("file[]"),
        exclude_alerts: params.get("exclude_alerts") == Some("true"),
    };
    Ok(PromJson::new(service.rules(&filter).await))
}

async fn alerts_handler(
    axum::extract::State(service): axum::extract::State<Arc<AlertingService>>,
) -> PromJson {
    PromJson::new(service.alerts().await)
}

/// Prometheus' `POST /-/reload`: 200 when the rules reloaded, 500 with the reason otherwise.
async fn reload_handler(
    axum::extract::State(service): axum::extract::State<Arc<AlertingService>>,
) -> (http::StatusCode, String) {
    match service.reload().await {
        Ok(()) => (http::StatusCode::OK, String::new()),
        Err(error) => (
            http::StatusCode::INTERNAL_SERVER_ERROR,
            format!("failed to reload config: {error}\n"),
        ),
    }
}

impl AlertingService {
    /// The file of a namespace managed over HTTP.
    fn namespace_file(&self, namespace: &str) -> PathBuf {
        self.config
            .data_dir
            .join("rules")
            .join(format!("{namespace}.yaml"))
    }
}
