//! The rule-group API: one rule file per namespace under `<data dir>/rules/`, changed a group
//! at a time, validated as a whole before it is written; every change reloads the rules.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use http::StatusCode;
use sightline_alerting::persist::write_atomically;
use sightline_alerting::rules::namespace::{self as groups, valid_namespace};

use super::AlertingService;

type Reply = (StatusCode, [(http::HeaderName, &'static str); 1], String);

fn reply(status: StatusCode, content_type: &'static str, body: String) -> Reply {
    (status, [(http::header::CONTENT_TYPE, content_type)], body)
}

fn text(status: StatusCode, body: impl Into<String>) -> Reply {
    reply(status, "text/plain; charset=utf-8", body.into() + "\n")
}

/// Cortex's answer to an accepted change.
fn accepted() -> Reply {
    reply(
        StatusCode::ACCEPTED,
        "application/json",
        r#"{"status":"success","data":null,"errorType":"","error":""}"#.into(),
    )
}

fn check(namespace: &str) -> Result<(), Reply> {
    if valid_namespace(namespace) {
        Ok(())
    } else {
        Err(text(
            StatusCode::BAD_REQUEST,
            format!("invalid namespace {namespace:?}: use letters, digits, '_', '-' and '.'"),
        ))
    }
}

fn read(path: &std::path::Path) -> Result<Option<String>, Reply> {
    match std::fs::read_to_string(path) {
        Ok(text) => Ok(Some(text)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(text(StatusCode::INTERNAL_SERVER_ERROR, e.to_string())),
    }
}

fn write(path: &std::path::Path, contents: Option<&str>) -> Result<(), Reply> {
    let failed = |e: std::io::Error| text(StatusCode::INTERNAL_SERVER_ERROR, e.to_string());
    match contents {
        None => match std::fs::remove_file(path) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(failed(e)),
            _ => Ok(()),
        },
        Some(contents) => {
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent).map_err(failed)?;
            }
            write_atomically(path, contents.as_bytes()).map_err(failed)
        }
    }
}

async fn reloaded(service: &AlertingService) -> Reply {
    match service.reload().await {
        Ok(()) => accepted(),
        Err(error) => text(StatusCode::INTERNAL_SERVER_ERROR, error),
    }
}

/// `GET /api/v1/rules/{namespace}`: the namespace's rule file (YAML).
pub(super) async fn get_namespace(
    State(service): State<Arc<AlertingService>>,
    Path(namespace): Path<String>,
) -> Reply {
    if let Err(reply) = check(&namespace) {
        return reply;
    }
    match read(&service.namespace_file(&namespace)) {
        Ok(Some(contents)) => reply(StatusCode::OK, "application/yaml", contents),
        Ok(None) => text(StatusCode::NOT_FOUND, "no rule groups found"),
        Err(reply) => reply,
    }
}

/// Rewrites a namespace's rule file under the files lock: `change` gets its contents (none when
/// it does not exist) and the file's path for messages, and returns the new contents (none
/// removes the file) or the reply refusing the change; the rules are then reloaded.
async fn rewrite(
    service: &AlertingService,
    namespace: &str,
    change: impl FnOnce(Option<&str>, &str) -> Result<Option<String>, Reply>,
) -> Reply {
    if let Err(reply) = check(namespace) {
        return reply;
    }
    let path = service.namespace_file(namespace);
    let _files = service.files.lock().await;
    let existing = match read(&path) {
        Ok(existing) => existing,
        Err(reply) => return reply,
    };
    let updated = match change(existing.as_deref(), &path.display().to_string()) {
        Ok(updated) => updated,
        Err(reply) => return reply,
    };
    if let Err(reply) = write(&path, updated.as_deref()) {
        return reply;
    }
    reloaded(service).await
}

/// `POST /api/v1/rules/{namespace}`: creates or replaces one rule group (YAML body).
pub(super) async fn post_group(
    State(service): State<Arc<AlertingService>>,
    Path(namespace): Path<String>,
    body: Bytes,
) -> Reply {
    if let Err(reply) = check(&namespace) {
        return reply;
    }
    let Ok(body) = std::str::from_utf8(&body) else {
        return text(StatusCode::BAD_REQUEST, "the rule group is not UTF-8");
    };
    rewrite(&service, &namespace, |existing, file| {
        groups::upsert_group(existing, body, file)
            .map(Some)
            .map_err(|error| text(StatusCode::BAD_REQUEST, error.to_string()))
    })
    .await
}

/// `DELETE /api/v1/rules/{namespace}/{group}`.
pub(super) async fn delete_group(
    State(service): State<Arc<AlertingService>>,
    Path((namespace, group)): Path<(String, String)>,
) -> Reply {
    rewrite(&service, &namespace, |existing, file| {
        groups::delete_group(existing, &group, file).map_err(|error| match error {
            None => text(StatusCode::NOT_FOUND, "no such rule group"),
            Some(error) => text(StatusCode::BAD_REQUEST, error.to_string()),
        })
    })
    .await
}

/// `DELETE /api/v1/rules/{namespace}`: every group of the namespace.
pub(super) async fn delete_namespace(
    State(service): State<Arc<AlertingService>>,
    Path(namespace): Path<String>,
) -> Reply {
    rewrite(&service, &namespace, |_, _| Ok(None)).await
}
