//! Rule expressions in each language over one store holding spans, logs and a gauge.

use sightline_alerting::RuleLang;
use sightline_proto::otlp::collector::metrics::v1::ExportMetricsServiceRequest;
use sightline_proto::otlp::metrics::v1::{
    Gauge, Metric, NumberDataPoint, ResourceMetrics, ScopeMetrics, metric, number_data_point,
};
use sightline_storage::{SignalRequest, TenantId};

use super::*;
use crate::logs::tests::log_dataset;
use crate::search::tests::{BASE, SECOND, store_with_dataset};

/// `queue_depth` = 7 at BASE + 90 s.
fn gauge() -> ExportMetricsServiceRequest {
    let point = NumberDataPoint {
        time_unix_nano: BASE + 90 * SECOND,
        value: Some(number_data_point::Value::AsInt(7)),
        ..Default::default()
    };
    ExportMetricsServiceRequest {
        resource_metrics: vec![ResourceMetrics {
            scope_metrics: vec![ScopeMetrics {
                metrics: vec![Metric {
                    name: "queue.depth".into(),
                    data: Some(metric::Data::Gauge(Gauge {
                        data_points: vec![point],
                    })),
                    ..Default::default()
                }],
                ..Default::default()
            }],
            ..Default::default()
        }],
    }
}

fn labels(pairs: &[(&str, &str)]) -> Labels {
    pairs
        .iter()
        .map(|(n, v)| (n.to_string(), v.to_string()))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rule_expressions_in_every_language() {
    let dir = tempfile::tempdir().unwrap();
    let store = store_with_dataset(dir.path()).await;
    let tenant = TenantId::single_tenant();
    for request in [
        SignalRequest::Logs(log_dataset()),
        SignalRequest::Metrics(gauge()),
    ] {
        let prepared = store.prepare(tenant.clone(), &request, None).unwrap();
        store.commit(prepared).await.unwrap();
    }
    let at = ((BASE + 100 * SECOND) / 1_000_000) as i64;
    let eval = async |lang, expr: &str| rule_vector(&store, &tenant, lang, expr, at).await;

    assert_eq!(
        eval(RuleLang::PromQl, "queue_depth > 5").await.unwrap(),
        vec![(labels(&[("__name__", "queue_depth")]), 7.0)]
    );
    assert_eq!(
        eval(RuleLang::PromQl, "queue_depth > 10").await.unwrap(),
        vec![]
    );
    assert_eq!(
        eval(RuleLang::PromQl, "1 + 1").await.unwrap(),
        vec![(vec![], 2.0)],
        "a scalar is one element without labels"
    );
    assert!(eval(RuleLang::PromQl, "queue_depth[5m]").await.is_err());

    assert_eq!(
        eval(
            RuleLang::LogQl,
            r#"sum(count_over_time({service_name="cart"}[5m])) > 3"#
        )
        .await
        .unwrap(),
        vec![(vec![], 4.0)]
    );
    let by_level = eval(
        RuleLang::LogQl,
        r#"sum by (level) (count_over_time({service_name="cart"} |= "refused" [5m]))"#,
    )
    .await
    .unwrap();
    assert_eq!(by_level, vec![(labels(&[("level", "error")]), 1.0)]);

    let spans = eval(
        RuleLang::TraceQl,
        "{ } | count_over_time() by (resource.service.name)",
    )
    .await
    .unwrap();
    assert!(
        spans.contains(&(labels(&[("resource_service_name", "checkout")]), 2.0)),
        "{spans:?}"
    );
    assert!(eval(RuleLang::TraceQl, "{ status = error }").await.is_err());
    store.shutdown().await.unwrap();
}
