//! TraceQL metrics over the fixed dataset, from heads and blocks.

use super::*;
use crate::search::tests::{BASE, MS, SECOND, store_with_dataset};

#[test]
fn quantiles_interpolate() {
    let mut values = vec![4.0, 1.0, 3.0, 2.0];
    assert_eq!(quantile(&mut values, 0.0), 1.0);
    assert_eq!(quantile(&mut values, 1.0), 4.0);
    assert_eq!(quantile(&mut values, 0.5), 2.5);
}

#[test]
fn durations_bucket_by_powers_of_two_nanoseconds() {
    assert_eq!(
        log2_bucket(&Value::Duration(5 * MS as i64)),
        Some(8_388_608.0 / 1e9)
    );
    assert_eq!(log2_bucket(&Value::Int(3)), Some(4.0));
    assert_eq!(log2_bucket(&Value::Int(0)), Some(0.0));
    assert_eq!(log2_bucket(&Value::Str("x".into())), None);
}

/// Runs `query` over the dataset, from 0 to 80 s after its base in `step` seconds, and
/// returns each series as (labels as text, values).
async fn run(store: &TelemetryStore, query: &str, step: u64) -> Vec<(String, Vec<f64>)> {
    let request = MetricsRequest {
        plan: Plan::new(sightline_traceql::parse(query).unwrap()).unwrap(),
        start: BASE,
        end: BASE + 80 * SECOND,
        step: step * SECOND,
    };
    let series = query_range(store, &TenantId::single_tenant(), request)
        .await
        .unwrap();
    series
        .into_iter()
        .map(|s| {
            let labels: Vec<String> = s
                .labels
                .iter()
                .map(|(k, v)| format!("{k}={}", v.label()))
                .collect();
            for (index, (t, _)) in s.samples.iter().enumerate() {
                assert_eq!(*t, (BASE + index as u64 * step * SECOND) / 1_000_000);
            }
            (
                labels.join(","),
                s.samples.into_iter().map(|(_, v)| v).collect(),
            )
        })
        .collect()
}

fn expected(rows: &[(&str, &[f64])]) -> Vec<(String, Vec<f64>)> {
    rows.iter()
        .map(|(l, v)| (l.to_string(), v.to_vec()))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_functions_over_heads_and_blocks() {
    let dir = tempfile::tempdir().unwrap();
    let store = store_with_dataset(dir.path()).await;
    for flush in [false, true] {
        if flush {
            store.flush().await.unwrap();
        }
        assert_eq!(
            run(
                &store,
                "{ } | count_over_time() by (resource.service.name)",
                20
            )
            .await,
            expected(&[
                ("resource.service.name=ad", &[0.0, 0.0, 2.0, 0.0]),
                ("resource.service.name=cart", &[2.0, 0.0, 0.0, 0.0]),
                ("resource.service.name=checkout", &[0.0, 2.0, 0.0, 0.0]),
                ("resource.service.name=email", &[0.0, 1.0, 0.0, 0.0]),
                ("resource.service.name=frontend", &[2.0, 1.0, 3.0, 1.0]),
                (
                    "resource.service.name=recommendation",
                    &[0.0, 0.0, 0.0, 1.0]
                ),
            ])
        );
        assert_eq!(
            run(&store, "{ status = error } | rate()", 20).await,
            expected(&[("__name__=rate", &[0.05, 0.15, 0.0, 0.0])])
        );
        assert_eq!(
            run(
                &store,
                r#"{ resource.service.name = "frontend" } | quantile_over_time(duration, 0.5, 1)"#,
                80
            )
            .await,
            expected(&[("p=0.5", &[0.05]), ("p=1", &[2.0])])
        );
        assert_eq!(
            run(
                &store,
                r#"{ name = "lonely" } | histogram_over_time(duration)"#,
                40
            )
            .await,
            expected(&[("__bucket=0.008388608", &[1.0, 0.0])])
        );
        assert_eq!(
            run(
                &store,
                "{ kind = client } | max_over_time(duration) by (resource.service.name)",
                80
            )
            .await,
            expected(&[
                ("resource.service.name=ad", &[0.001]),
                ("resource.service.name=cart", &[0.02]),
                ("resource.service.name=checkout", &[1.8]),
                ("resource.service.name=frontend", &[0.06]),
            ])
        );
        assert_eq!(
            run(
                &store,
                "{ } | count_over_time() by (resource.service.name) | topk(1)",
                80
            )
            .await,
            expected(&[("resource.service.name=frontend", &[7.0])])
        );
        assert_eq!(
            run(
                &store,
                "{ } | count_over_time() by (resource.service.name) > 2",
                80
            )
            .await,
            expected(&[("resource.service.name=frontend", &[7.0])])
        );
    }
    store.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_metrics_requests_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let store = store_with_dataset(dir.path()).await;
    for (query, step) in [
        ("{ } | rate()", 0),
        ("{ }", 10),
        ("{ } | compare({ status = error })", 10),
    ] {
        let request = MetricsRequest {
            plan: Plan::new(sightline_traceql::parse(query).unwrap()).unwrap(),
            start: BASE,
            end: BASE + 80 * SECOND,
            step: step * SECOND,
        };
        let result = query_range(&store, &TenantId::single_tenant(), request).await;
        assert!(matches!(result, Err(ApiError::BadRequest(_))), "{query}");
    }
    store.shutdown().await.unwrap();
}
