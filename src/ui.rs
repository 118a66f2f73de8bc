//! The web UI, embedded at build time (`build.rs` builds `ui/` with Vite): static assets by
//! path, and `index.html` for every other page path so that deep links work. API paths that
//! match nothing stay 404s.

use axum::http::{StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};

#[derive(rust_embed::Embed)]
#[folder = "$OUT_DIR/ui"]
struct Assets;

/// Path prefixes that belong to the APIs, never to the UI.
const API_PREFIXES: &[&str] = &["api/", "jaeger/", "loki/", "otlp/", "-/", "v1/"];

/// Serves the UI for any path no route took.
pub async fn serve(uri: Uri) -> Response {
    let path = uri.path().trim_start_matches('/');
    if let Some(file) = Assets::get(path).filter(|_| !path.is_empty()) {
        let cache = if path.starts_with("assets/") {
            "public, max-age=31536000, immutable"
        } else {
            "no-cache"
        };
        return (
            [
                (header::CONTENT_TYPE, file.metadata.mimetype().to_string()),
                (header::CACHE_CONTROL, cache.to_string()),
            ],
            file.data,
        )
            .into_response();
    }
    if API_PREFIXES.iter().any(|p| path.starts_with(p)) || path.starts_with("assets/") {
        return (StatusCode::NOT_FOUND, "not found\n").into_response();
    }
    match Assets::get("index.html") {
        Some(index) => (
            [
                (header::CONTENT_TYPE, "text/html; charset=utf-8".to_string()),
                (header::CACHE_CONTROL, "no-cache".to_string()),
            ],
            index.data,
        )
            .into_response(),
        None => (StatusCode::NOT_FOUND, "the web UI is not built\n").into_response(),
    }
}
