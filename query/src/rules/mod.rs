//! Alerting-rule expressions evaluated over the store: one instant vector per evaluation, in
//! the rule's language.
//!
//! - PromQL: an instant query at the evaluation time (a scalar becomes one element without
//!   labels, as in Prometheus);
//! - LogQL: an instant metric query at the evaluation time;
//! - TraceQL: a metrics query over [`TRACEQL_WINDOW`] ending at the evaluation time, one value
//!   per series (Tempo's instant `query`); label names become Prometheus label names
//!   (`resource.service.name` -> `resource_service_name`) so that alerts carry valid labels.
//!   TraceQL metrics have no comparisons: every series is an alert, so a rule filters in its
//!   spanset (`{ status = error } | rate() by (resource.service.name)`).

use std::time::Duration;

use sightline_alerting::RuleLang;
use sightline_storage::{TelemetryStore, TenantId};

use crate::logs::metric::{MetricQuery, run_metric_query};
use crate::search::plan::Plan;
use crate::traceql_metrics::{MetricsRequest, query_range};

/// The window a TraceQL rule's metrics query covers, ending at the evaluation time.
pub const TRACEQL_WINDOW: Duration = Duration::from_secs(300);
/// How long one rule evaluation may take.
pub const RULE_TIMEOUT: Duration = Duration::from_secs(60);

/// A label set, sorted by name.
pub type Labels = Vec<(String, String)>;

/// Evaluates `expr` in `lang` at `time_ms` (unix ms) over `tenant`'s data: the elements of the
/// resulting instant vector.
pub async fn rule_vector(
    store: &TelemetryStore,
    tenant: &TenantId,
    lang: RuleLang,
    expr: &str,
    time_ms: i64,
) -> Result<Vec<(Labels, f64)>, String> {
    match lang {
        RuleLang::PromQl => promql(store, tenant, expr, time_ms).await,
        RuleLang::LogQl => logql(store, tenant, expr, time_ms).await,
        RuleLang::TraceQl => traceql(store, tenant, expr, time_ms).await,
    }
}

async fn promql(
    store: &TelemetryStore,
    tenant: &TenantId,
    expr: &str,
    time_ms: i64,
) -> Result<Vec<(Labels, f64)>, String> {
    let parsed = sightline_promql::parse(expr).map_err(|e| e.message)?;
    let value = crate::prom_api::query::instant_value(
        store.clone(),
        tenant.clone(),
        parsed,
        time_ms,
        RULE_TIMEOUT,
    )
    .await?;
    match value {
        sightline_promql::Value::Vector(samples) => {
            Ok(samples.into_iter().map(|s| (s.labels, s.value)).collect())
        }
        sightline_promql::Value::Scalar(_, v) => Ok(vec![(Vec::new(), v)]),
        _ => Err("rule result is not a vector or a scalar".into()),
    }
}

async fn logql(
    store: &TelemetryStore,
    tenant: &TenantId,
    expr: &str,
    time_ms: i64,
) -> Result<Vec<(Labels, f64)>, String> {
    let parsed = sightline_logql::parse(expr).map_err(|e| e.to_string())?;
    let sightline_logql::Expr::Metric(metric) = parsed else {
        return Err("a logql rule needs a metric query".into());
    };
    let time = u64::try_from(time_ms).unwrap_or(0) * 1_000_000;
    let (store, tenant) = (store.clone(), tenant.clone());
    let value = crate::params::blocking(move |runtime| {
        let query = MetricQuery {
            expr: &metric,
            start: time,
            end: time,
            step: 0,
            instant: true,
        };
        run_metric_query(&store, &tenant, &query, runtime).map(|(value, _)| value)
    })
    .await
    .map_err(|e| e.to_string())?;
    match value {
        sightline_logql::engine::Value::Vector(samples) => Ok(samples
            .into_iter()
            .map(|s| {
                let mut labels: Labels = s
                    .labels
                    .iter()
                    .map(|(n, v)| (n.to_string(), v.to_string()))
                    .collect();
                labels.sort();
                (labels, s.value)
            })
            .collect()),
        sightline_logql::engine::Value::Scalar(_, v) => Ok(vec![(Vec::new(), v)]),
        sightline_logql::engine::Value::Matrix(_) => {
            Err("rule result is not a vector or a scalar".into())
        }
    }
}

async fn traceql(
    store: &TelemetryStore,
    tenant: &TenantId,
    expr: &str,
    time_ms: i64,
) -> Result<Vec<(Labels, f64)>, String> {
    let query = sightline_traceql::parse(expr).map_err(|e| e.to_string())?;
    let plan = Plan::new(query).map_err(|e| e.to_string())?;
    let end = u64::try_from(time_ms).unwrap_or(0) * 1_000_000;
    let window = TRACEQL_WINDOW.as_nanos() as u64;
    let start = end.saturating_sub(window);
    let request = MetricsRequest {
        plan,
        start,
        end,
        step: end - start,
    };
    let series = query_range(store, tenant, request)
        .await
        .map_err(|e| e.to_string())?;
    Ok(series
        .into_iter()
        .filter_map(|s| {
            let value = s.samples.first()?.1;
            let mut labels: Labels = s
                .labels
                .iter()
                .map(|(key, value)| {
                    let name = match key.as_str() {
                        "__name__" => key.clone(),
                        other => crate::prometheus::naming::label_name(other),
                    };
                    (name, value.label())
                })
                .collect();
            labels.sort();
            Some((labels, value))
        })
        .collect())
}

pub mod service;

#[cfg(test)]
mod tests;
