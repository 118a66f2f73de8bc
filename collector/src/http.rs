//! OTLP/HTTP: `POST /v1/traces`, `/v1/logs` and `/v1/metrics` with `application/x-protobuf` or
//! `application/json` bodies, optionally gzip-compressed. Replies use the request's content type;
//! errors carry a `google.rpc.Status` body. Wrong method -> 405, wrong content type -> 415,
//! undecodable body -> 400, too large -> 413, overloaded -> 503 with `Retry-After`.

use axum::Router;
use axum::body::Body;
use axum::extract::{DefaultBodyLimit, State};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use bytes::Bytes;
use http::header::{CONTENT_ENCODING, CONTENT_LENGTH, CONTENT_TYPE, RETRY_AFTER};
use http::{HeaderMap, HeaderValue, StatusCode};
use http_body_util::{BodyExt, LengthLimitError, Limited};
use sightline_proto::json;
use sightline_storage::Signal;

use crate::decompress::{ContentEncoding, decompress};
use crate::error::ExportError;
use crate::receiver::{BodyEncoding, OtlpReceiver, Transport};
use crate::tenancy::{TENANT_HEADER, resolve_tenant};

const PROTOBUF: &str = "application/x-protobuf";
const JSON: &str = "application/json";

/// The OTLP/HTTP routes.
pub fn router(receiver: OtlpReceiver) -> Router {
    Router::new()
        .route(
            "/v1/traces",
            post(|s: State<OtlpReceiver>, h: HeaderMap, b: Body| export(s, Signal::Traces, h, b)),
        )
        .route(
            "/v1/logs",
            post(|s: State<OtlpReceiver>, h: HeaderMap, b: Body| export(s, Signal::Logs, h, b)),
        )
        .route(
            "/v1/metrics",
            post(|s: State<OtlpReceiver>, h: HeaderMap, b: Body| export(s, Signal::Metrics, h, b)),
        )
        .layer(DefaultBodyLimit::disable())
        .with_state(receiver)
}

/// The body encoding named by a `Content-Type` header (parameters ignored).
fn body_encoding(headers: &HeaderMap) -> Option<BodyEncoding> {
    let value = headers.get(CONTENT_TYPE)?.to_str().ok()?;
    let media_type = value.split(';').next()?.trim().to_ascii_lowercase();
    match media_type.as_str() {
        PROTOBUF => Some(BodyEncoding::Protobuf),
        JSON => Some(BodyEncoding::Json),
        _ => None,
    }
}

fn content_type(encoding: BodyEncoding) -> HeaderValue {
    HeaderValue::from_static(match encoding {
        BodyEncoding::Protobuf => PROTOBUF,
        BodyEncoding::Json => JSON,
    })
}

async fn export(
    State(receiver): State<OtlpReceiver>,
    signal: Signal,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let Some(encoding) = body_encoding(&headers) else {
        receiver.record_failure(signal, Transport::Http, &ExportError::Decode(String::new()));
        return (
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            [(CONTENT_TYPE, HeaderValue::from_static("text/plain"))],
            format!("unsupported media type, supported: [{JSON}, {PROTOBUF}]"),
        )
            .into_response();
    };
    let tenant = match resolve_tenant(
        receiver.config().multitenancy_enabled,
        headers.get(TENANT_HEADER).map(HeaderValue::as_bytes),
    ) {
        Ok(tenant) => tenant,
        Err(error) => {
            receiver.record_failure(signal, Transport::Http, &error);
            return error_response(&error, encoding);
        }
    };
    let body = match read_body(&receiver, &headers, body).await {
        Ok(body) => body,
        Err(error) => {
            receiver.record_failure(signal, Transport::Http, &error);
            return error_response(&error, encoding);
        }
    };
    match receiver
        .export(signal, Transport::Http, tenant, body, encoding)
        .await
    {
        Ok(outcome) => (
            StatusCode::OK,
            [(CONTENT_TYPE, content_type(encoding))],
            outcome.encode_response(signal, encoding),
        )
            .into_response(),
        Err(error) => error_response(&error, encoding),
    }
}

/// Reads and inflates the body, enforcing the size limit on both the wire and inflated sizes.
async fn read_body(
    receiver: &OtlpReceiver,
    headers: &HeaderMap,
    body: Body,
) -> Result<Bytes, ExportError> {
    let limit = receiver.config().max_request_bytes;
    let encoding =
        ContentEncoding::parse(headers.get(CONTENT_ENCODING).and_then(|v| v.to_str().ok()))?;
    let declared = headers
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|len| len > limit) {
        return Err(ExportError::too_large(limit));
    }
    receiver.check_admission(declared.unwrap_or(0))?;
    let wire = match Limited::new(body, limit).collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(error) if error.downcast_ref::<LengthLimitError>().is_some() => {
            return Err(ExportError::too_large(limit));
        }
        Err(error) => {
            return Err(ExportError::Decode(format!(
                "reading the request body failed: {error}"
            )));
        }
    };
    match encoding {
        ContentEncoding::Identity => Ok(wire),
        ContentEncoding::Gzip => {
            tokio::task::spawn_blocking(move || decompress(wire, encoding, limit))
                .await
                .map_err(|e| ExportError::Internal(format!("decompression task failed: {e}")))?
        }
    }
}

/// An error reply: `google.rpc.Status` in the request's encoding, `Retry-After` when retryable.
fn error_response(error: &ExportError, encoding: BodyEncoding) -> Response {
    let status = error.to_rpc_status();
    let body = match encoding {
        BodyEncoding::Protobuf => prost::Message::encode_to_vec(&status),
        BodyEncoding::Json => json::encode_status(&status),
    };
    let mut response = (
        error.http_status(),
        [(CONTENT_TYPE, content_type(encoding))],
        body,
    )
        .into_response();
    if let Some(seconds) = error.retry_after_seconds() {
        response
            .headers_mut()
            .insert(RETRY_AFTER, HeaderValue::from(seconds));
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_types_ignore_parameters_and_case() {
        let mut headers = HeaderMap::new();
        headers.insert(
            CONTENT_TYPE,
            HeaderValue::from_static("Application/JSON; charset=utf-8"),
        );
        assert_eq!(body_encoding(&headers), Some(BodyEncoding::Json));
        headers.insert(
            CONTENT_TYPE,
            HeaderValue::from_static("application/x-protobuf"),
        );
        assert_eq!(body_encoding(&headers), Some(BodyEncoding::Protobuf));
        headers.insert(CONTENT_TYPE, HeaderValue::from_static("text/plain"));
        assert_eq!(body_encoding(&headers), None);
        assert_eq!(body_encoding(&HeaderMap::new()), None);
    }
}
