//! OTLP/gRPC: the `Export` method of `TraceService`, `LogsService` and `MetricsService`.
//!
//! The services take the request as raw bytes (a pass-through codec), so decoding happens on a
//! blocking thread with everything else CPU-heavy, and the protobuf body becomes the WAL payload
//! without re-encoding. gzip requests are accepted; the decompressed size is limited to
//! `max_request_bytes`, and an oversize request gets `RESOURCE_EXHAUSTED` without `RetryInfo`.

use std::convert::Infallible;
use std::marker::PhantomData;
use std::task::{Context, Poll};

use bytes::{Buf, BufMut, Bytes};
use futures::future::BoxFuture;
use http::HeaderValue;
use sightline_storage::Signal;
use tonic::Status;
use tonic::codec::{Codec, CompressionEncoding, DecodeBuf, Decoder, EncodeBuf, Encoder};
use tonic::server::{NamedService, UnaryService};

use crate::receiver::{BodyEncoding, OtlpReceiver, Transport};
use crate::tenancy::{TENANT_HEADER, resolve_tenant};

/// One OTLP gRPC service.
pub trait GrpcSignal: Send + Sync + 'static {
    /// Fully qualified service name.
    const NAME: &'static str;
    /// The `Export` method path.
    const EXPORT_PATH: &'static str;
    /// The signal it carries.
    const SIGNAL: Signal;
}

/// `opentelemetry.proto.collector.trace.v1.TraceService`.
pub struct TraceGrpc;
impl GrpcSignal for TraceGrpc {
    const NAME: &'static str = "opentelemetry.proto.collector.trace.v1.TraceService";
    const EXPORT_PATH: &'static str = "/opentelemetry.proto.collector.trace.v1.TraceService/Export";
    const SIGNAL: Signal = Signal::Traces;
}

/// `opentelemetry.proto.collector.logs.v1.LogsService`.
pub struct LogsGrpc;
impl GrpcSignal for LogsGrpc {
    const NAME: &'static str = "opentelemetry.proto.collector.logs.v1.LogsService";
    const EXPORT_PATH: &'static str = "/opentelemetry.proto.collector.logs.v1.LogsService/Export";
    const SIGNAL: Signal = Signal::Logs;
}

/// `opentelemetry.proto.collector.metrics.v1.MetricsService`.
pub struct MetricsGrpc;
impl GrpcSignal for MetricsGrpc {
    const NAME: &'static str = "opentelemetry.proto.collector.metrics.v1.MetricsService";
    const EXPORT_PATH: &'static str =
        "/opentelemetry.proto.collector.metrics.v1.MetricsService/Export";
    const SIGNAL: Signal = Signal::Metrics;
}

/// A codec that passes message bytes through unchanged.
#[derive(Debug, Clone, Copy, Default)]
pub struct RawBytesCodec;

impl Codec for RawBytesCodec {
    type Encode = Bytes;
    type Decode = Bytes;
    type Encoder = RawBytesCodec;
    type Decoder = RawBytesCodec;

    fn encoder(&mut self) -> Self::Encoder {
        RawBytesCodec
    }

    fn decoder(&mut self) -> Self::Decoder {
        RawBytesCodec
    }
}

impl Encoder for RawBytesCodec {
    type Item = Bytes;
    type Error = Status;

    fn encode(&mut self, item: Bytes, dst: &mut EncodeBuf<'_>) -> Result<(), Status> {
        dst.put(item);
        Ok(())
    }
}

impl Decoder for RawBytesCodec {
    type Item = Bytes;
    type Error = Status;

    fn decode(&mut self, src: &mut DecodeBuf<'_>) -> Result<Option<Bytes>, Status> {
        Ok(Some(src.copy_to_bytes(src.remaining())))
    }
}

/// The gRPC service of one signal.
pub struct OtlpGrpcService<S: GrpcSignal> {
    receiver: OtlpReceiver,
    signal: PhantomData<S>,
}

impl<S: GrpcSignal> OtlpGrpcService<S> {
    /// A service exporting into `receiver`.
    pub fn new(receiver: OtlpReceiver) -> Self {
        Self {
            receiver,
            signal: PhantomData,
        }
    }
}

impl<S: GrpcSignal> Clone for OtlpGrpcService<S> {
    fn clone(&self) -> Self {
        Self::new(self.receiver.clone())
    }
}

impl<S: GrpcSignal> NamedService for OtlpGrpcService<S> {
    const NAME: &'static str = S::NAME;
}

struct ExportMethod<S: GrpcSignal> {
    receiver: OtlpReceiver,
    signal: PhantomData<S>,
}

impl<S: GrpcSignal> UnaryService<Bytes> for ExportMethod<S> {
    type Response = Bytes;
    type Future = BoxFuture<'static, Result<tonic::Response<Bytes>, Status>>;

    fn call(&mut self, request: tonic::Request<Bytes>) -> Self::Future {
        let receiver = self.receiver.clone();
        Box::pin(async move {
            let header = request
                .metadata()
                .get(TENANT_HEADER)
                .map(|v| v.as_bytes().to_vec());
            let tenant = resolve_tenant(receiver.config().multitenancy_enabled, header.as_deref())
                .map_err(|error| {
                    receiver.record_failure(S::SIGNAL, Transport::Grpc, &error);
                    error.to_grpc_status()
                })?;
            let body = request.into_inner();
            match receiver
                .export(
                    S::SIGNAL,
                    Transport::Grpc,
                    tenant,
                    body,
                    BodyEncoding::Protobuf,
                )
                .await
            {
                Ok(outcome) => Ok(tonic::Response::new(Bytes::from(
                    outcome.encode_response(S::SIGNAL, BodyEncoding::Protobuf),
                ))),
                Err(error) => Err(error.to_grpc_status()),
            }
        })
    }
}

impl<S, B> tower::Service<http::Request<B>> for OtlpGrpcService<S>
where
    S: GrpcSignal,
    B: http_body::Body<Data = Bytes> + Send + 'static,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>> + Send + 'static,
{
    type Response = http::Response<tonic::body::Body>;
    type Error = Infallible;
    type Future = BoxFuture<'static, Result<Self::Response, Infallible>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: http::Request<B>) -> Self::Future {
        let receiver = self.receiver.clone();
        Box::pin(async move {
            if request.uri().path() != S::EXPORT_PATH {
                return Ok(Status::unimplemented(format!(
                    "unknown method {}",
                    request.uri().path()
                ))
                .into_http());
            }
            let limit = receiver.config().max_request_bytes;
            let mut grpc = tonic::server::Grpc::new(RawBytesCodec)
                .accept_compressed(CompressionEncoding::Gzip)
                .send_compressed(CompressionEncoding::Gzip)
                .max_decoding_message_size(limit)
                .max_encoding_message_size(usize::MAX);
            let method = ExportMethod::<S> {
                receiver: receiver.clone(),
                signal: PhantomData,
            };
            let mut response = grpc.unary(method, request).await;
            if let Some(error) = normalize_transport_errors(&mut response, limit) {
                receiver.record_failure(S::SIGNAL, Transport::Grpc, &error);
            }
            Ok(response)
        })
    }
}

/// Errors tonic raises before the handler runs, reported as the OTLP specification asks: a
/// message over the size limit is `RESOURCE_EXHAUSTED` without `RetryInfo` (tonic says
/// `OUT_OF_RANGE` for uncompressed ones), and a body that does not decompress is
/// `INVALID_ARGUMENT` (tonic says `INTERNAL`). Returns the error for the counters.
fn normalize_transport_errors(
    response: &mut http::Response<tonic::body::Body>,
    limit: usize,
) -> Option<crate::ExportError> {
    let headers = response.headers_mut();
    let code = headers.get(Status::GRPC_STATUS)?.to_str().ok()?.to_string();
    let message = headers
        .get("grpc-message")
        .and_then(|m| m.to_str().ok())
        .map(|m| m.replace("%20", " "))
        .unwrap_or_default();
    if (code == "11" && message.contains("message length too large"))
        || (code == "8" && message.contains("size limit"))
    {
        headers.insert(Status::GRPC_STATUS, HeaderValue::from_static("8"));
        return Some(crate::ExportError::too_large(limit));
    }
    if code == "13" && message.starts_with("Error decompressing") {
        headers.insert(Status::GRPC_STATUS, HeaderValue::from_static("3"));
        return Some(crate::ExportError::Decode(message));
    }
    None
}

/// The three OTLP gRPC services as tonic routes.
pub fn routes(receiver: OtlpReceiver) -> tonic::service::Routes {
    tonic::service::Routes::new(OtlpGrpcService::<TraceGrpc>::new(receiver.clone()))
        .add_service(OtlpGrpcService::<LogsGrpc>::new(receiver.clone()))
        .add_service(OtlpGrpcService::<MetricsGrpc>::new(receiver))
}
