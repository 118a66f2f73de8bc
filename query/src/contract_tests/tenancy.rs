//! Every endpoint over an empty store (empty lists are `[]`, unknown traces 404), and the
//! tenant header with multi-tenancy on (401 without it, in each API's error shape).

use http::StatusCode;
use serde_json::{Value, json};

use super::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn empty_store_answers_with_empty_lists() {
    let env = Env::empty().await;
    let ok = async |path: &str| env.get(path).await.ok_json();

    let search = ok("/api/search").await;
    assert_eq!(search["traces"], json!([]));
    assert_eq!(search["metrics"]["inspectedBytes"], json!("0"));
    assert_eq!(ok("/api/search/tags").await["tagNames"], json!([]));
    let scopes = ok("/api/v2/search/tags").await;
    let names: Vec<&Value> = scopes["scopes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| &s["name"])
        .collect();
    assert_eq!(names, [&json!("intrinsic")]);
    assert_eq!(
        ok("/api/search/tag/service.name/values").await["tagValues"],
        json!([])
    );
    assert_eq!(
        ok("/api/v2/search/tag/resource.service.name/values").await["tagValues"],
        json!([])
    );
    let q = [("q", "{ } | rate()"), ("since", "5m")];
    assert_eq!(
        ok(&uri("/api/metrics/query_range", &q)).await["series"],
        json!([])
    );
    assert_eq!(
        ok(&uri("/api/metrics/query", &q)).await["series"],
        json!([])
    );
    assert_eq!(ok("/jaeger/api/v3/services").await, json!({"services": []}));
    assert_eq!(
        ok("/jaeger/api/v3/operations?service=x").await,
        json!({"operations": []})
    );
    assert_eq!(ok("/jaeger/api/dependencies").await["data"], json!([]));
    let map = ok("/api/ui/service-map").await;
    assert_eq!((&map["nodes"], &map["edges"]), (&json!([]), &json!([])));

    let id = trace_hex(1);
    for path in [
        format!("/api/traces/{id}"),
        format!("/api/v2/traces/{id}"),
        format!("/api/ui/traces/{id}/waterfall"),
    ] {
        env.get(&path)
            .await
            .assert_text_error(StatusCode::NOT_FOUND, "trace not found");
    }
    let jaeger = env.get(&format!("/jaeger/api/traces/{id}")).await;
    assert_eq!(jaeger.status, StatusCode::NOT_FOUND);
    assert_eq!(jaeger.json()["errors"][0]["code"], json!(404));
    let v3 = env.get(&format!("/jaeger/api/v3/traces/{id}")).await;
    assert_eq!(v3.status, StatusCode::NOT_FOUND);
    assert_eq!(v3.json()["error"]["httpCode"], json!(404));
    env.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tenant_header_with_multitenancy() {
    let env = Env::multitenant().await;
    let trace = format!("/api/traces/{}", trace_hex(1));

    // Without X-Scope-OrgID: 401, in each API's error shape.
    for path in [
        "/api/search",
        trace.as_str(),
        "/api/search/tags",
        "/api/metrics/query?q=%7B%7D%7Crate()",
        "/api/ui/service-map",
    ] {
        env.get(path)
            .await
            .assert_text_error(StatusCode::UNAUTHORIZED, "");
    }
    let v1 = env.get("/jaeger/api/services").await;
    assert_eq!(v1.status, StatusCode::UNAUTHORIZED);
    assert_eq!(v1.json()["errors"][0]["code"], json!(401));
    assert_eq!(v1.json()["data"], Value::Null);
    let v3 = env.get("/jaeger/api/v3/services").await;
    assert_eq!(v3.status, StatusCode::UNAUTHORIZED);
    assert_eq!(v3.json()["error"]["httpCode"], json!(401));

    // The dataset's tenant sees it; another tenant sees nothing.
    assert_eq!(
        env.get_as(&trace, "single-tenant").await.status,
        StatusCode::OK
    );
    let services = env.get_as("/jaeger/api/services", "single-tenant").await;
    assert_eq!(services.ok_json()["total"], json!(6));
    env.get_as(&trace, "other")
        .await
        .assert_text_error(StatusCode::NOT_FOUND, "trace not found");
    let services = env.get_as("/jaeger/api/services", "other").await;
    assert_eq!(services.ok_json()["data"], json!([]));
    let search = env.get_as("/api/search", "other").await.ok_json();
    assert_eq!(search["traces"], json!([]));

    // An invalid tenant is a bad request.
    let reply = env.get_as("/api/search", " ").await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{}", reply.text());
    env.shutdown().await;
}
