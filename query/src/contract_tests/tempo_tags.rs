//! Tempo's tag discovery: `/api/search/tags`, `/api/v2/search/tags` and the tag values
//! endpoints (v1 and v2).

use http::StatusCode;
use serde_json::json;

use super::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tag_names_v1_and_v2() {
    let env = Env::with_dataset().await;
    env.heads_then_blocks(async |env, place| {
        let body = env.get("/api/search/tags").await.ok_json();
        assert_eq!(keys(&body), ["metrics", "tagNames"]);
        assert_eq!(body["metrics"], json!({"inspectedBytes": "0"}));
        assert_eq!(
            body["tagNames"],
            json!([
                "app.user.id",
                "db.system",
                "deployment.environment.name",
                "http.response.status_code",
                "http.route",
                "service.name"
            ]),
            "{place}"
        );
        let body = env.get("/api/search/tags?scope=resource").await.ok_json();
        assert_eq!(
            body["tagNames"],
            json!(["deployment.environment.name", "service.name"]),
            "{place}"
        );
        let body = env.get("/api/search/tags?scope=event").await.ok_json();
        assert_eq!(body["tagNames"], json!(["exception.type"]), "{place}");
        let body = env
            .get("/api/search/tags?scope=span&limit=2")
            .await
            .ok_json();
        assert_eq!(
            body["tagNames"],
            json!(["app.user.id", "db.system"]),
            "{place}"
        );
        let intrinsics = env.get("/api/search/tags?scope=intrinsic").await.ok_json();
        let intrinsics: Vec<&str> = intrinsics["tagNames"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap())
            .collect();
        for name in [
            "duration",
            "kind",
            "name",
            "status",
            "statusMessage",
            "trace:rootService",
            "span:duration",
        ] {
            assert!(
                intrinsics.contains(&name),
                "{name} missing from {intrinsics:?}"
            );
        }

        let body = env.get("/api/v2/search/tags").await.ok_json();
        assert_eq!(keys(&body), ["metrics", "scopes"]);
        let scopes = body["scopes"].as_array().unwrap();
        let names: Vec<&str> = scopes.iter().map(|s| s["name"].as_str().unwrap()).collect();
        assert_eq!(names, ["resource", "span", "intrinsic", "event"], "{place}");
        for scope in scopes {
            assert_eq!(keys(scope), ["name", "tags"]);
        }
        assert_eq!(
            scopes[0]["tags"],
            json!(["deployment.environment.name", "service.name"])
        );
        assert_eq!(
            scopes[1]["tags"],
            json!([
                "app.user.id",
                "db.system",
                "http.response.status_code",
                "http.route"
            ]),
            "{place}"
        );
        assert_eq!(
            scopes[2]["tags"].as_array().unwrap().len(),
            intrinsics.len()
        );
        assert_eq!(scopes[3]["tags"], json!(["exception.type"]), "{place}");

        // q= narrows to the spans of a filter; incomplete filters are tolerated.
        let q = r#"{ resource.service.name = "cart" }"#;
        let body = env
            .get(&uri("/api/v2/search/tags", &[("scope", "span"), ("q", q)]))
            .await
            .ok_json();
        assert_eq!(
            body["scopes"],
            json!([{"name": "span", "tags": ["db.system"]}]),
            "{place}"
        );
        let incomplete = r#"{ resource.service.name = "cart" && "#;
        let body = env
            .get(&uri(
                "/api/v2/search/tags",
                &[("scope", "span"), ("q", incomplete)],
            ))
            .await
            .ok_json();
        assert_eq!(
            body["scopes"],
            json!([{"name": "span", "tags": ["db.system"]}]),
            "{place}"
        );
    })
    .await;
    for path in [
        "/api/search/tags?scope=bogus",
        "/api/v2/search/tags?scope=bogus",
    ] {
        env.get(path)
            .await
            .assert_text_error(StatusCode::BAD_REQUEST, "unknown scope");
    }
    env.get("/api/search/tags?start=x")
        .await
        .assert_text_error(StatusCode::BAD_REQUEST, "invalid start");
    env.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tag_values_v1_and_v2() {
    let env = Env::with_dataset().await;
    env.heads_then_blocks(async |env, place| {
        let body = env
            .get("/api/search/tag/service.name/values")
            .await
            .ok_json();
        assert_eq!(keys(&body), ["metrics", "tagValues"]);
        assert_eq!(body["metrics"], json!({"inspectedBytes": "0"}));
        assert_eq!(
            body["tagValues"],
            json!([
                "ad",
                "cart",
                "checkout",
                "email",
                "frontend",
                "recommendation"
            ]),
            "{place}"
        );
        let body = env
            .get("/api/search/tag/http.response.status_code/values")
            .await
            .ok_json();
        assert_eq!(body["tagValues"], json!(["200", "500", "503"]), "{place}");
        let body = env
            .get("/api/search/tag/nothing.here/values")
            .await
            .ok_json();
        assert_eq!(body["tagValues"], json!([]));

        let body = env
            .get("/api/v2/search/tag/resource.service.name/values?limit=2")
            .await
            .ok_json();
        assert_eq!(keys(&body), ["metrics", "tagValues"]);
        assert_eq!(body["tagValues"].as_array().unwrap().len(), 2, "{place}");
        let body = env
            .get("/api/v2/search/tag/span.http.response.status_code/values")
            .await
            .ok_json();
        assert_eq!(
            body["tagValues"],
            json!([
                {"type": "int", "value": "200"},
                {"type": "int", "value": "500"},
                {"type": "int", "value": "503"}
            ]),
            "{place}"
        );
        let body = env.get("/api/v2/search/tag/status/values").await.ok_json();
        assert_eq!(
            body["tagValues"],
            json!([
                {"type": "keyword", "value": "error"},
                {"type": "keyword", "value": "ok"},
                {"type": "keyword", "value": "unset"}
            ]),
            "{place}"
        );
        let q = r#"{ resource.service.name = "cart" }"#;
        // Durations as TraceQL duration literals.
        let body = env
            .get(&uri("/api/v2/search/tag/duration/values", &[("q", q)]))
            .await
            .ok_json();
        assert_eq!(
            body["tagValues"],
            json!([{"type": "duration", "value": "20ms"}, {"type": "duration", "value": "58ms"}]),
            "{place}"
        );
        let body = env
            .get(&uri("/api/v2/search/tag/.db.system/values", &[("q", q)]))
            .await
            .ok_json();
        assert_eq!(
            body["tagValues"],
            json!([{"type": "string", "value": "postgresql"}]),
            "{place}"
        );
        let body = env
            .get(&uri("/api/v2/search/tag/name/values", &[("q", q)]))
            .await
            .ok_json();
        assert_eq!(
            body["tagValues"],
            json!([
                {"type": "string", "value": "POST /cart/add"},
                {"type": "string", "value": "SELECT carts"}
            ]),
            "{place}"
        );
    })
    .await;
    env.get("/api/v2/search/tag/%7B/values")
        .await
        .assert_text_error(StatusCode::BAD_REQUEST, "invalid tag");
    env.shutdown().await;
}
