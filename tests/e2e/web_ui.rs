//! The web UI is served by the binary: `/` and every page path answer with the app's
//! `index.html` (deep links), its assets with their content types, and unknown API paths stay
//! 404s.

use crate::harness::Server;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_web_ui_is_embedded_and_deep_links_work() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&dir.path().join("data"), "").await;
    let client = reqwest::Client::new();
    let index = client.get(server.url("/")).send().await.unwrap();
    assert_eq!(index.status(), 200);
    assert_eq!(index.headers()["content-type"], "text/html; charset=utf-8");
    let html = index.text().await.unwrap();
    assert!(html.contains(r#"<div id="root"></div>"#), "{html}");
    let script = html
        .split('"')
        .find(|part| part.starts_with("/assets/") && part.ends_with(".js"))
        .unwrap_or_else(|| panic!("no script in {html}"));
    let asset = client.get(server.url(script)).send().await.unwrap();
    assert_eq!(asset.status(), 200);
    assert_eq!(asset.headers()["content-type"], "text/javascript");
    assert!(asset.text().await.unwrap().contains("Sightline"));

    for page in ["/traces?q=%7B%7D&since=3600", "/alerts"] {
        let deep = client.get(server.url(page)).send().await.unwrap();
        assert_eq!(deep.status(), 200, "{page}");
        assert_eq!(deep.text().await.unwrap(), html, "{page} is the app");
    }
    let missing = client.get(server.url("/api/nope")).send().await.unwrap();
    assert_eq!(missing.status(), 404);
    let missing = client
        .get(server.url("/assets/nope.js"))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
}
