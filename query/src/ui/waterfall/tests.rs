//! Waterfall windows, critical paths, overviews and in-trace search over real stores.

use sightline_proto::otlp::collector::trace::v1::ExportTraceServiceRequest;
use sightline_proto::otlp::common::v1::{AnyValue, KeyValue, any_value};
use sightline_proto::otlp::resource::v1::Resource;
use sightline_proto::otlp::trace::v1::{ResourceSpans, ScopeSpans, Span};
use sightline_storage::{MemoryBudget, SignalRequest, StoreConfig, TelemetryStore};

use super::*;

const TRACE: [u8; 16] = [7; 16];

fn span(id: u64, parent: u64, start: u64) -> Span {
    Span {
        trace_id: TRACE.to_vec(),
        span_id: id.to_be_bytes().to_vec(),
        parent_span_id: if parent == 0 {
            Vec::new()
        } else {
            parent.to_be_bytes().to_vec()
        },
        name: format!("op-{id}"),
        kind: 2,
        start_time_unix_nano: 1_700_000_000_000_000_000 + start,
        end_time_unix_nano: 1_700_000_000_000_000_000 + start + 1_000,
        ..Default::default()
    }
}

fn request(spans: Vec<Span>) -> SignalRequest {
    SignalRequest::Traces(ExportTraceServiceRequest {
        resource_spans: vec![ResourceSpans {
            resource: Some(Resource {
                attributes: vec![KeyValue {
                    key: "service.name".into(),
                    value: Some(AnyValue {
                        value: Some(any_value::Value::StringValue("svc".into())),
                    }),
                    key_strindex: 0,
                }],
                ..Default::default()
            }),
            scope_spans: vec![ScopeSpans {
                spans,
                ..Default::default()
            }],
            schema_url: String::new(),
        }],
    })
}

async fn store(dir: &std::path::Path, parts: Vec<Vec<Span>>) -> TelemetryStore {
    let (store, _) = TelemetryStore::open_local(StoreConfig::new(dir), MemoryBudget::new(4 << 30))
        .await
        .unwrap();
    for spans in parts {
        let prepared = store
            .prepare(TenantId::single_tenant(), &request(spans), None)
            .unwrap();
        store.commit(prepared).await.unwrap();
    }
    store
}

fn names(answer: &Json) -> Vec<(String, u64)> {
    answer["spans"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["name"].as_str().unwrap().to_string(),
                s["depth"].as_u64().unwrap(),
            )
        })
        .collect()
}

fn owned(rows: &[(&str, u64)]) -> Vec<(String, u64)> {
    rows.iter().map(|(n, d)| (n.to_string(), *d)).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn display_order_expansion_and_windows_across_block_and_head() {
    let dir = tempfile::tempdir().unwrap();
    // 1 -> {2 (t=20), 3 (t=10)}; 3 -> 4; 9 has a parent that never arrived.
    let store = store(
        dir.path(),
        vec![vec![span(1, 0, 0), span(2, 1, 20), span(3, 1, 10)]],
    )
    .await;
    store.flush().await.unwrap();
    let prepared = store
        .prepare(
            TenantId::single_tenant(),
            &request(vec![span(4, 3, 15), span(9, 8, 30), span(3, 1, 10)]),
            None,
        )
        .unwrap();
    store.commit(prepared).await.unwrap();
    let tree = span_tree(&store, &TenantId::single_tenant(), &TRACE)
        .await
        .unwrap();
    assert_eq!(tree.len(), 5, "the duplicate of span 3 is kept once");
    let all = tree.render(&TRACE, &WaterfallRequest::default()).unwrap();
    assert_eq!(
        names(&all),
        owned(&[
            ("op-1", 0),
            ("op-3", 1),
            ("op-4", 2),
            ("op-2", 1),
            ("op-9", 0)
        ])
    );
    assert_eq!(all["visibleCount"], 5);
    assert_eq!(all["spans"][0]["childCount"], 2);
    assert_eq!(all["spans"][1]["parentSpanID"], "0000000000000001");
    assert_eq!(all["spans"][0]["kind"], "server");

    let only_root = WaterfallRequest {
        expanded: Some(vec!["1".into()]),
        ..Default::default()
    };
    let answer = tree.render(&TRACE, &only_root).unwrap();
    assert_eq!(
        names(&answer),
        owned(&[("op-1", 0), ("op-3", 1), ("op-2", 1), ("op-9", 0)])
    );
    assert_eq!(answer["spans"][1]["expanded"], false);

    let collapsed = WaterfallRequest {
        collapsed: vec!["0000000000000003".into()],
        offset: 1,
        limit: Some(2),
        ..Default::default()
    };
    let answer = tree.render(&TRACE, &collapsed).unwrap();
    assert_eq!(names(&answer), owned(&[("op-3", 1), ("op-2", 1)]));
    assert_eq!(answer["visibleCount"], 4);

    let bad = WaterfallRequest {
        expanded: Some(vec!["not-hex".into()]),
        ..Default::default()
    };
    assert!(tree.render(&TRACE, &bad).is_err());
    assert!(matches!(
        span_tree(&store, &TenantId::single_tenant(), &[1; 16]).await,
        Err(ApiError::NotFound(_))
    ));
    store.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_trace_of_100k_spans_is_paged() {
    // Root -> 100 children -> 999 grandchildren each: 100,001 spans.
    let mut spans = vec![span(1, 0, 0)];
    for child in 0..100u64 {
        let child_id = 2 + child;
        spans.push(span(child_id, 1, child * 10_000));
        for grandchild in 0..999u64 {
            let id = 1_000 + child * 1_000 + grandchild;
            spans.push(span(id, child_id, child * 10_000 + grandchild));
        }
    }
    let dir = tempfile::tempdir().unwrap();
    let store = store(dir.path(), vec![spans]).await;
    store.flush().await.unwrap();
    let tree = span_tree(&store, &TenantId::single_tenant(), &TRACE)
        .await
        .unwrap();
    assert_eq!(tree.len(), 100_001);
    // Collapsed children: the root and its 100 children are visible.
    let top = WaterfallRequest {
        expand_depth: Some(1),
        limit: Some(50),
        ..Default::default()
    };
    let answer = tree.render(&TRACE, &top).unwrap();
    assert_eq!(answer["visibleCount"], 101);
    assert_eq!(answer["spans"].as_array().unwrap().len(), 50);
    assert_eq!(answer["spans"][1]["childCount"], 999);
    // Everything expanded, a window deep inside: child 50's grandchildren.
    let deep = WaterfallRequest {
        offset: 1 + 50 * 1_000 + 1,
        limit: Some(3),
        ..Default::default()
    };
    let answer = tree.render(&TRACE, &deep).unwrap();
    assert_eq!(answer["visibleCount"], 100_001);
    assert_eq!(
        names(&answer),
        owned(&[("op-51000", 2), ("op-51001", 2), ("op-51002", 2)])
    );
    store.shutdown().await.unwrap();
}

fn timed(id: u64, parent: u64, start: u64, duration: u64) -> Span {
    let mut span = span(id, parent, start);
    span.end_time_unix_nano = span.start_time_unix_nano + duration;
    span
}

fn tree_of(spans: Vec<Span>) -> SpanTree {
    let rows = request(spans).to_rows(64).unwrap().unwrap();
    SpanTree::build(&[rows.batch])
}

#[test]
fn the_critical_path_follows_the_last_finishing_children() {
    // 1 [0,100] -> 2 [10,40], 3 [30,90] -> 4 [50,60]; 5 is a root whose parent is missing.
    let tree = tree_of(vec![
        timed(1, 0, 0, 100),
        timed(2, 1, 10, 30),
        timed(3, 1, 30, 60),
        timed(4, 3, 50, 10),
    ]);
    let path = tree.critical_path();
    let segments = |id: u64| {
        let node = tree.node_of(id).unwrap() as usize;
        let mut s = path.segments[node].clone();
        s.sort();
        s.into_iter()
            .map(|(a, b)| (a - 1_700_000_000_000_000_000, b - 1_700_000_000_000_000_000))
            .collect::<Vec<_>>()
    };
    assert_eq!(segments(1), vec![(0, 10), (90, 100)]);
    assert_eq!(segments(3), vec![(30, 50), (60, 90)]);
    assert_eq!(segments(4), vec![(50, 60)]);
    // Span 2 ran until 40, but only its part before span 3 started holds the trace up.
    assert_eq!(segments(2), vec![(10, 30)]);
    assert!(path.on_path.iter().all(|on| *on));
    // Own time on the path adds up to the trace's duration.
    let total: u64 = path.segments.iter().flatten().map(|(a, b)| b - a).sum();
    assert_eq!(total, 100);

    // A short sibling that ends before the cursor reaches it is not on the path.
    let tree = tree_of(vec![
        timed(1, 0, 0, 100),
        timed(2, 1, 10, 80),
        timed(3, 1, 20, 10),
    ]);
    let path = tree.critical_path();
    assert!(!path.on_path[tree.node_of(3).unwrap() as usize]);
    let answer = tree.render(&TRACE, &WaterfallRequest::default()).unwrap();
    assert_eq!(answer["criticalSpanCount"], 2);
    let rows = answer["spans"].as_array().unwrap();
    assert_eq!(rows[0]["criticalSegments"], json!([[0, 10], [90, 100]]));
    assert_eq!(rows[1]["critical"], true);
    assert_eq!(rows[2]["critical"], false);
}

#[test]
fn a_deep_chain_needs_no_recursion() {
    let spans: Vec<Span> = (1..=50_000u64)
        .map(|id| timed(id, id - 1, id, 200_000 - 2 * id))
        .collect();
    let tree = tree_of(spans);
    let path = tree.critical_path();
    assert_eq!(path.on_path.iter().filter(|c| **c).count(), 50_000);
}

#[test]
fn overview_search_and_locate() {
    // Root -> 10 children -> 10 grandchildren each; grandchild 305 failed.
    let mut spans = vec![timed(1, 0, 0, 10_000)];
    for child in 0..10u64 {
        spans.push(timed(10 + child, 1, child * 100, 90));
        for grandchild in 0..10u64 {
            let mut s = timed(300 + child * 10 + grandchild, 10 + child, child * 100, 5);
            if child == 0 && grandchild == 5 {
                s.status = Some(sightline_proto::otlp::trace::v1::Status {
                    code: 2,
                    message: "boom".into(),
                });
                s.name = "Payment declined".into();
            }
            spans.push(s);
        }
    }
    let tree = tree_of(spans);
    let all = WaterfallRequest {
        overview: Some(37),
        search: Some("DECLINED".into()),
        limit: Some(1),
        ..Default::default()
    };
    let answer = tree.render(&TRACE, &all).unwrap();
    let bars = answer["overview"].as_array().unwrap();
    // 111 rows in bars of 3 rows: 37 bars covering every row.
    assert_eq!(bars.len(), 37);
    assert_eq!(
        bars.iter()
            .map(|b| b["rows"].as_u64().unwrap())
            .sum::<u64>(),
        111
    );
    assert_eq!(bars[0]["endNanos"], 10_000);
    // Row 7 (root, child 0, its grandchildren 0..4, then 5) is the failed one.
    assert_eq!(bars[2]["row"], 6);
    assert_eq!(bars[2]["error"], true);
    assert_eq!(bars[0]["error"], false);
    assert_eq!(answer["search"]["rows"], json!([7]));
    assert_eq!(answer["search"]["hidden"], 0);

    // Folded away: the match is counted as hidden and locate names the ancestors to unfold.
    let folded = WaterfallRequest {
        collapsed: vec![format!("{:x}", 10)],
        search: Some("declined".into()),
        locate: Some(format!("{:016x}", 305)),
        ..Default::default()
    };
    let answer = tree.render(&TRACE, &folded).unwrap();
    assert_eq!(answer["search"]["rows"], json!([]));
    assert_eq!(answer["search"]["total"], 1);
    assert_eq!(answer["search"]["hidden"], 1);
    assert_eq!(answer["located"]["row"], Json::Null);
    assert_eq!(
        answer["located"]["ancestors"],
        json!(["0000000000000001", "000000000000000a"])
    );
    let unknown = WaterfallRequest {
        locate: Some("ff".into()),
        ..Default::default()
    };
    assert!(matches!(
        tree.render(&TRACE, &unknown),
        Err(ApiError::NotFound(_))
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_span_with_its_resource_scope_events_and_links() {
    use sightline_proto::otlp::common::v1::InstrumentationScope;
    use sightline_proto::otlp::trace::v1::{Status, span};
    let text = |s: &str| AnyValue {
        value: Some(any_value::Value::StringValue(s.into())),
    };
    let mut target = timed(2, 1, 10, 50);
    target.attributes = vec![
        KeyValue {
            key: "http.route".into(),
            value: Some(text("/cart")),
            key_strindex: 0,
        },
        KeyValue {
            key: "http.status_code".into(),
            value: Some(AnyValue {
                value: Some(any_value::Value::IntValue(503)),
            }),
            key_strindex: 0,
        },
    ];
    target.events = vec![span::Event {
        time_unix_nano: target.start_time_unix_nano + 7,
        name: "exception".into(),
        attributes: vec![KeyValue {
            key: "exception.message".into(),
            value: Some(text("upstream gone")),
            key_strindex: 0,
        }],
        dropped_attributes_count: 0,
    }];
    target.links = vec![span::Link {
        trace_id: vec![9; 16],
        span_id: vec![3; 8],
        ..Default::default()
    }];
    target.status = Some(Status {
        code: 2,
        message: "upstream gone".into(),
    });
    let mut export = request(vec![timed(1, 0, 0, 100), target]);
    let SignalRequest::Traces(traces) = &mut export else {
        unreachable!()
    };
    traces.resource_spans[0].scope_spans[0].scope = Some(InstrumentationScope {
        name: "cart-lib".into(),
        version: "1.2.0".into(),
        ..Default::default()
    });
    let dir = tempfile::tempdir().unwrap();
    let (store, _) =
        TelemetryStore::open_local(StoreConfig::new(dir.path()), MemoryBudget::new(1 << 30))
            .await
            .unwrap();
    let prepared = store
        .prepare(TenantId::single_tenant(), &export, None)
        .unwrap();
    store.commit(prepared).await.unwrap();
    for flushed in [false, true] {
        if flushed {
            store.flush().await.unwrap();
        }
        let found = store
            .find_span(&TenantId::single_tenant(), &TRACE, &2u64.to_be_bytes())
            .await
            .unwrap()
            .expect("the span is found");
        let details = crate::ui::span::span_details_json(&found).unwrap();
        assert_eq!(details["spanID"], "0000000000000002");
        assert_eq!(details["parentSpanID"], "0000000000000001");
        assert_eq!(details["durationNanos"], "50");
        assert_eq!(
            details["status"],
            json!({"code": "error", "message": "upstream gone"})
        );
        assert_eq!(
            details["attributes"],
            json!([
                {"key": "http.route", "value": "/cart", "type": "string"},
                {"key": "http.status_code", "value": "503", "type": "int"},
            ])
        );
        assert_eq!(details["resource"]["attributes"][0]["value"], "svc");
        assert_eq!(details["scope"]["name"], "cart-lib");
        assert_eq!(details["scope"]["version"], "1.2.0");
        assert_eq!(details["events"][0]["name"], "exception");
        assert_eq!(details["events"][0]["offsetNanos"], "7");
        assert_eq!(
            details["events"][0]["attributes"][0]["value"],
            "upstream gone"
        );
        assert_eq!(details["links"][0]["traceID"], hex::encode([9u8; 16]));
        assert_eq!(details["links"][0]["spanID"], hex::encode([3u8; 8]));
        assert!(
            store
                .find_span(&TenantId::single_tenant(), &TRACE, &77u64.to_be_bytes())
                .await
                .unwrap()
                .is_none()
        );
    }
    store.shutdown().await.unwrap();
}
