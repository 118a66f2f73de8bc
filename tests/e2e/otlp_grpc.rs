//! OTLP/gRPC against the real binary, with tonic's generated clients: export of all three
//! signals (gzip too), partial success, INVALID_ARGUMENT, RESOURCE_EXHAUSTED above the size
//! limit (without RetryInfo), UNAUTHENTICATED without a tenant.

use bytes::Bytes;
use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest;
use opentelemetry_proto::tonic::collector::logs::v1::logs_service_client::LogsServiceClient;
use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;
use opentelemetry_proto::tonic::collector::metrics::v1::metrics_service_client::MetricsServiceClient;
use opentelemetry_proto::tonic::collector::trace::v1::trace_service_client::TraceServiceClient;
use prost::Message;
use sightline_collector::grpc::RawBytesCodec;
use tonic::codec::CompressionEncoding;
use tonic::{Code, Request};

use crate::harness::Server;
use crate::support::*;

async fn channel(server: &Server) -> tonic::transport::Channel {
    tonic::transport::Endpoint::from_shared(server.grpc_endpoint())
        .unwrap()
        .connect()
        .await
        .unwrap()
}

/// Sends raw bytes as the Export request of `path` (to test undecodable bodies).
async fn export_raw(
    server: &Server,
    path: &'static str,
    body: Vec<u8>,
) -> Result<Bytes, tonic::Status> {
    let mut client = tonic::client::Grpc::new(channel(server).await);
    client.ready().await.unwrap();
    client
        .unary(
            Request::new(Bytes::from(body)),
            http::uri::PathAndQuery::from_static(path),
            RawBytesCodec,
        )
        .await
        .map(|r| r.into_inner())
}

const TRACE_EXPORT: &str = "/opentelemetry.proto.collector.trace.v1.TraceService/Export";

#[tokio::test]
async fn exports_and_errors() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), "[receiver]\nmax_request_bytes = 1048576\n").await;
    let channel = channel(&server).await;

    // gzip-compressed export; full success has no partial_success.
    let trace_id = random_trace_id();
    let mut traces =
        TraceServiceClient::new(channel.clone()).send_compressed(CompressionEncoding::Gzip);
    let reply = traces
        .export(trace_request(
            "grpc-svc",
            vec![span(trace_id, 1, "root"), span(trace_id, 2, "child")],
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(reply.partial_success, None);
    assert_eq!(
        fetch_trace(&server.url(""), &trace_id, None).await.unwrap()[0].scope_spans[0]
            .spans
            .len(),
        2
    );

    // Logs and metrics are accepted too.
    let logs: ExportLogsServiceRequest = sightline_proto::json::decode_logs_request(
        &std::fs::read("tests/data/otlp-examples/logs.json").unwrap(),
    )
    .unwrap();
    let reply = LogsServiceClient::new(channel.clone())
        .export(logs)
        .await
        .unwrap()
        .into_inner();
    assert_eq!(reply.partial_success, None);
    let metrics: ExportMetricsServiceRequest = sightline_proto::json::decode_metrics_request(
        &std::fs::read("tests/data/otlp-examples/metrics.json").unwrap(),
    )
    .unwrap();
    let reply = MetricsServiceClient::new(channel.clone())
        .export(metrics)
        .await
        .unwrap()
        .into_inner();
    assert_eq!(reply.partial_success, None);

    // Partial success: one invalid span.
    let mut bad = span(trace_id, 3, "bad");
    bad.span_id = vec![1, 2, 3];
    let reply = traces
        .export(trace_request(
            "grpc-svc",
            vec![span(trace_id, 4, "good"), bad],
        ))
        .await
        .unwrap()
        .into_inner();
    let partial = reply.partial_success.unwrap();
    assert_eq!(partial.rejected_spans, 1);
    assert!(partial.error_message.contains("span_id must be 8 bytes"));

    // Undecodable -> INVALID_ARGUMENT.
    let status = export_raw(&server, TRACE_EXPORT, vec![0xff, 0xff, 0xff])
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument, "{status:?}");

    // Over the limit, plain and compressed -> RESOURCE_EXHAUSTED without RetryInfo.
    let mut huge = span(random_trace_id(), 5, "huge");
    huge.attributes.push(kv("blob", &"x".repeat(2 << 20)));
    let huge = trace_request("grpc-svc", vec![huge]);
    let status = TraceServiceClient::new(channel.clone())
        .export(huge.clone())
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::ResourceExhausted, "{status:?}");
    assert!(
        status.details().is_empty(),
        "no RetryInfo on an oversize request"
    );
    let status = traces.export(huge).await.unwrap_err();
    assert_eq!(status.code(), Code::ResourceExhausted, "{status:?}");

    // Still serving.
    let trace_id = random_trace_id();
    traces
        .export(trace_request("grpc-svc", vec![span(trace_id, 6, "after")]))
        .await
        .unwrap();
    assert!(
        fetch_trace(&server.url(""), &trace_id, None)
            .await
            .is_some()
    );
    let raw = export_raw(
        &server,
        TRACE_EXPORT,
        trace_request("raw", vec![span(random_trace_id(), 7, "raw")]).encode_to_vec(),
    )
    .await;
    assert!(raw.unwrap().is_empty());
}

#[tokio::test]
async fn tenants_over_grpc() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), "[receiver]\nmultitenancy_enabled = true\n").await;
    let mut traces = TraceServiceClient::new(channel(&server).await);
    let trace_id = random_trace_id();
    let request = trace_request("svc", vec![span(trace_id, 1, "root")]);

    let status = traces.export(request.clone()).await.unwrap_err();
    assert_eq!(status.code(), Code::Unauthenticated);

    let mut with_tenant = Request::new(request);
    with_tenant
        .metadata_mut()
        .insert("x-scope-orgid", "team-a".parse().unwrap());
    traces.export(with_tenant).await.unwrap();
    assert!(
        fetch_trace(&server.url(""), &trace_id, Some("team-a"))
            .await
            .is_some()
    );
    assert!(
        fetch_trace(&server.url(""), &trace_id, Some("team-b"))
            .await
            .is_none()
    );
}
