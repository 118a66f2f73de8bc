//! Contract tests of every query endpoint: requests go through [`crate::router`] in process and
//! the answers are checked against the documented shapes of Tempo's and Jaeger's APIs (key
//! names, JSON value types, envelopes, status codes, error bodies), over the fixed dataset of
//! [`crate::search::tests::dataset`], from the heads and again from blocks.
//!
//! - [`tempo`]: `/api/echo`, `/api/status/buildinfo`, trace by id (v1, v2, protobuf);
//!   [`tempo_search`]: `/api/search`; [`tempo_tags`]: tag names and values;
//!   [`tempo_metrics`]: TraceQL metrics.
//! - [`jaeger`]: Jaeger v1 (`/jaeger/api/*`); [`jaeger_search`]: its trace search;
//!   [`jaeger_v3`]: Jaeger API v3.
//! - [`loki`]: Loki's log queries, labels and series; [`loki_metrics`]: its metric queries
//!   (over the logs dataset of [`crate::logs::tests`]).
//! - [`ui_logs`]: the native log search, histogram, facets and trace logs.
//! - [`ui`]: the native UI API (service map, waterfall) and `/jaeger/api/dependencies`, which
//!   read the metrics derived at ingest by the collector.
//! - [`tenancy`]: every endpoint over an empty store, and `X-Scope-OrgID` with multi-tenancy on.

mod jaeger;
mod jaeger_search;
mod jaeger_v3;
mod loki;
mod loki_metrics;
mod tempo;
mod tempo_metrics;
mod tempo_search;
mod tempo_tags;
mod tenancy;
mod ui;
mod ui_logs;

use axum::Router;
use axum::body::Body;
use http::header::{ACCEPT, CONTENT_TYPE};
use http::{Method, Request, StatusCode};
use http_body_util::BodyExt;
use serde_json::Value;
use sightline_storage::{MemoryBudget, StoreConfig, TelemetryStore};
use tower::ServiceExt;

use crate::QueryState;
use crate::search::tests::{BASE, MS, SECOND, store_with_dataset};

/// Unix seconds of the dataset's base time.
pub(super) const BASE_S: u64 = BASE / SECOND;
/// Unix microseconds of the dataset's base time.
pub(super) const BASE_US: u64 = BASE / 1_000;

/// Start of trace `n` (its root span starts at offset 0), unix nanoseconds.
pub(super) fn trace_start(n: u8) -> u64 {
    BASE + n as u64 * 10 * SECOND
}

/// Start of a span of trace `n` starting `offset_ms` after the trace, unix nanoseconds.
pub(super) fn span_start(n: u8, offset_ms: u64) -> u64 {
    trace_start(n) + offset_ms * MS
}

/// The 32-digit lower-case hex id of dataset trace `n`.
pub(super) fn trace_hex(n: u8) -> String {
    format!("a0{}{n:02x}", "0".repeat(28))
}

/// The 16-digit lower-case hex id of span `s` of dataset trace `t`.
pub(super) fn span_hex(t: u8, s: u8) -> String {
    format!("{t:02x}{s:02x}000000000001")
}

/// A table-driven case: query parameters and the dataset traces expected.
pub(super) type Case<'a, V = &'a str> = (Vec<(&'a str, V)>, Vec<u8>);

/// A URI with a percent-encoded query string.
pub(super) fn uri(path: &str, params: &[(&str, &str)]) -> String {
    if params.is_empty() {
        return path.to_string();
    }
    let query = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(params)
        .finish();
    format!("{path}?{query}")
}

/// The router over a store holding the dataset (in its heads until [`Env::flush`]).
pub(super) struct Env {
    pub store: TelemetryStore,
    pub app: Router,
    _dir: tempfile::TempDir,
}

impl Env {
    /// The dataset in the heads.
    pub async fn with_dataset() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let store = store_with_dataset(dir.path()).await;
        Self::over(store, dir)
    }

    /// The logs dataset ([`crate::logs::tests::log_dataset`]) in the heads.
    pub async fn with_logs() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let store = crate::logs::tests::store_with_logs(dir.path()).await;
        Self::over(store, dir)
    }

    /// An empty store.
    pub async fn empty() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let (store, _) =
            TelemetryStore::open_local(StoreConfig::new(dir.path()), MemoryBudget::new(1 << 30))
                .await
                .unwrap();
        Self::over(store, dir)
    }

    /// The dataset (stored for the `single-tenant` tenant) with multi-tenancy on.
    pub async fn multitenant() -> Self {
        let mut env = Self::with_dataset().await;
        env.app = crate::router(QueryState {
            store: env.store.clone(),
            multitenancy_enabled: true,
        });
        env
    }

    fn over(store: TelemetryStore, dir: tempfile::TempDir) -> Self {
        let app = crate::router(QueryState {
            store: store.clone(),
            multitenancy_enabled: false,
        });
        Self {
            store,
            app,
            _dir: dir,
        }
    }

    /// Writes the heads to blocks.
    pub async fn flush(&self) {
        self.store.flush().await.unwrap();
    }

    /// Runs `check` against the heads, then again after a flush (from blocks).
    pub async fn heads_then_blocks<F>(&self, check: F)
    where
        F: AsyncFn(&Env, &str),
    {
        check(self, "heads").await;
        self.flush().await;
        check(self, "blocks").await;
    }

    pub async fn shutdown(self) {
        self.store.shutdown().await.unwrap();
    }

    pub async fn request(&self, request: Request<Body>) -> Reply {
        let response = self.app.clone().oneshot(request).await.unwrap();
        let status = response.status();
        let content_type = response
            .headers()
            .get(CONTENT_TYPE)
            .map(|v| v.to_str().unwrap().to_string())
            .unwrap_or_default();
        let body = response.into_body().collect().await.unwrap().to_bytes();
        Reply {
            status,
            content_type,
            body: body.to_vec(),
        }
    }

    pub async fn get(&self, uri: &str) -> Reply {
        self.request(Request::get(uri).body(Body::empty()).unwrap())
            .await
    }

    pub async fn get_as(&self, uri: &str, tenant: &str) -> Reply {
        let request = Request::get(uri)
            .header(sightline_storage::TENANT_HEADER, tenant)
            .body(Body::empty())
            .unwrap();
        self.request(request).await
    }

    pub async fn get_protobuf(&self, uri: &str) -> Reply {
        let request = Request::get(uri)
            .header(ACCEPT, "application/protobuf")
            .body(Body::empty())
            .unwrap();
        self.request(request).await
    }

    pub async fn post_form(&self, uri: &str, form: &[(&str, &str)]) -> Reply {
        let body = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(form)
            .finish();
        let request = Request::builder()
            .method(Method::POST)
            .uri(uri)
            .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(body))
            .unwrap();
        self.request(request).await
    }

    pub async fn get_with_header(&self, uri: &str, name: &str, value: &str) -> Reply {
        let request = Request::get(uri)
            .header(name, value)
            .body(Body::empty())
            .unwrap();
        self.request(request).await
    }

    pub async fn post_json(&self, uri: &str, body: &Value) -> Reply {
        let request = Request::builder()
            .method(Method::POST)
            .uri(uri)
            .header(CONTENT_TYPE, "application/json")
            .body(Body::from(body.to_string()))
            .unwrap();
        self.request(request).await
    }
}

/// An answer.
pub(super) struct Reply {
    pub status: StatusCode,
    pub content_type: String,
    pub body: Vec<u8>,
}

impl Reply {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The body as JSON (panics with the body when it is not JSON).
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text()))
    }

    /// Asserts a 200 JSON answer and returns it.
    #[track_caller]
    pub fn ok_json(&self) -> Value {
        assert_eq!(self.status, StatusCode::OK, "{}", self.text());
        assert!(
            self.content_type.starts_with("application/json"),
            "content type {:?}",
            self.content_type
        );
        self.json()
    }

    /// Asserts a plain-text error with `status` whose body contains `needle`.
    #[track_caller]
    pub fn assert_text_error(&self, status: StatusCode, needle: &str) {
        assert_eq!(self.status, status, "{}", self.text());
        assert!(
            self.content_type.starts_with("text/plain"),
            "content type {:?} of {}",
            self.content_type,
            self.text()
        );
        assert!(
            self.text().contains(needle),
            "{:?} does not contain {needle:?}",
            self.text()
        );
    }
}

/// The keys of a JSON object, sorted.
#[track_caller]
pub(super) fn keys(value: &Value) -> Vec<&str> {
    let mut keys: Vec<&str> = value
        .as_object()
        .unwrap_or_else(|| panic!("not an object: {value}"))
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    keys
}

/// A uint64 as jsonpb writes it: a decimal string.
pub(super) fn u64_string(n: u64) -> Value {
    Value::String(n.to_string())
}

/// Asserts `value` is a number within 1e-9 of `expected`.
#[track_caller]
pub(super) fn assert_close(value: &Value, expected: f64) {
    let actual = value
        .as_f64()
        .unwrap_or_else(|| panic!("not a number: {value}"));
    assert!(
        (actual - expected).abs() < 1e-9,
        "{actual} is not {expected}"
    );
}
