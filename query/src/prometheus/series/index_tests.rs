//! Listing from blocks through their series index gives exactly what converting every point
//! gives (the heads), for selections by name, label, `le` and `target_info`, and for listing
//! series without samples.

use sightline_proto::otlp::metrics::v1::{
    ExponentialHistogram, ExponentialHistogramDataPoint, Metric, exponential_histogram_data_point,
    metric,
};
use sightline_storage::{Signal, SignalRequest, TenantId};

use super::tests::{BASE, SECOND, T0, T1, T2, request, store};
use super::*;

/// An exponential histogram whose scale and bucket ranges change from point to point, so its
/// stream has several shapes (and `le` series that exist only at some times).
fn changing_exponential() -> SignalRequest {
    let point =
        |time: u64, scale: i32, offset: i32, counts: Vec<u64>| ExponentialHistogramDataPoint {
            time_unix_nano: time,
            count: counts.iter().sum(),
            sum: Some(1.0),
            scale,
            positive: Some(exponential_histogram_data_point::Buckets {
                offset,
                bucket_counts: counts,
            }),
            ..Default::default()
        };
    let mut export = request();
    export.resource_metrics[0].scope_metrics[0].metrics = vec![Metric {
        name: "queue.wait".into(),
        unit: "s".into(),
        data: Some(metric::Data::ExponentialHistogram(ExponentialHistogram {
            data_points: vec![
                point(T0, 0, 0, vec![1]),
                point(T1, 0, 0, vec![1, 2]),
                point(T2, 1, -1, vec![1, 2, 3]),
            ],
            aggregation_temporality: 2,
        })),
        ..Default::default()
    }];
    SignalRequest::Metrics(export)
}

/// Series with their points as bits (the staleness marker is a NaN).
type PointBits = Vec<(u64, u64, u64)>;

fn bits(listed: &[SeriesSamples]) -> Vec<(PromSeries, PointBits)> {
    listed
        .iter()
        .map(|s| {
            let points = s.points.iter();
            let points = points.map(|p| (p.time_ns, p.start_time_ns, p.value.to_bits()));
            (s.series.as_ref().clone(), points.collect())
        })
        .collect()
}

type Keep = Box<dyn Fn(&PromSeries) -> bool + Send + Sync>;

/// Selections: every series name, one label, one `le`, `target_info`.
fn selections(names: &[String]) -> Vec<(String, Keep)> {
    let mut out: Vec<(String, Keep)> = names
        .iter()
        .map(|name| {
            let wanted = name.clone();
            let keep: Keep = Box::new(move |s: &PromSeries| s.name == wanted);
            (format!("name {name}"), keep)
        })
        .collect();
    out.push((
        "le=+Inf".into(),
        Box::new(|s: &PromSeries| s.label("le") == Some("+Inf")),
    ));
    out.push((
        "le=4".into(),
        Box::new(|s: &PromSeries| s.label("le") == Some("4")),
    ));
    out.push((
        "http_method=GET".into(),
        Box::new(|s: &PromSeries| s.label("http_method") == Some("GET")),
    ));
    out.push(("everything".into(), Box::new(|_: &PromSeries| true)));
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn index_listing_matches_converting_every_point() {
    let dir = tempfile::tempdir().unwrap();
    let store = store(dir.path()).await;
    let tenant = TenantId::single_tenant();
    let prepared = store
        .prepare(tenant.clone(), &changing_exponential(), None)
        .unwrap();
    store.commit(prepared).await.unwrap();
    let ranges = [
        (BASE - 3600 * SECOND, BASE + 3600 * SECOND),
        (T0, T0),
        (T1, T1),
        (T2, T2),
        (T2 + 1, T2 + SECOND),
    ];
    let everything = list_series(&store, &tenant, ranges[0]).await.unwrap();
    let mut names: Vec<String> = everything.iter().map(|s| s.series.name.clone()).collect();
    names.dedup();
    assert!(names.contains(&"queue_wait_seconds_bucket".to_string()));
    let selections = selections(&names);
    let mut from_heads = Vec::new();
    for &range in &ranges {
        for (_, keep) in &selections {
            let listed = list_series_where(&store, &tenant, range, keep)
                .await
                .unwrap();
            from_heads.push(bits(&listed));
        }
    }
    store.flush().await.unwrap();
    let blocks = store.blocks(&tenant, Signal::Metrics, None);
    assert!(!blocks.is_empty());
    assert!(blocks[0].series_index().await.unwrap().is_some());
    let mut expected = from_heads.into_iter();
    for &range in &ranges {
        for (what, keep) in &selections {
            let listed = list_series_where(&store, &tenant, range, keep)
                .await
                .unwrap();
            let want = expected.next().unwrap();
            assert_eq!(bits(&listed), want, "{what} in {range:?}");
            // Names only: the same series when the range covers every point, a superset at
            // most (series whose shape spans the range) otherwise.
            let names = list_series_names_where(&store, &tenant, range, keep)
                .await
                .unwrap();
            let want: Vec<&PromSeries> = listed.iter().map(|s| s.series.as_ref()).collect();
            let got: Vec<&PromSeries> = names.iter().map(|s| s.as_ref()).collect();
            if range == ranges[0] {
                assert_eq!(got, want, "names: {what} in {range:?}");
            } else {
                assert!(
                    want.iter().all(|w| got.contains(w)),
                    "names: {what} in {range:?}"
                );
            }
        }
    }
    // The `le` series of the widest layout exists only at T2.
    let at_t0 = list_series_names_where(&store, &tenant, (T0, T0), |s| {
        s.name == "queue_wait_seconds_bucket"
    })
    .await
    .unwrap();
    let les: Vec<&str> = at_t0.iter().filter_map(|s| s.label("le")).collect();
    assert_eq!(les, ["+Inf", "2"]);
    store.shutdown().await.unwrap();
}
