//! Admission control: above the memory budget, exports are refused with retryable errors
//! (HTTP 503 + Retry-After, gRPC UNAVAILABLE + RetryInfo) and the server keeps serving.

use opentelemetry_proto::tonic::collector::trace::v1::trace_service_client::TraceServiceClient;
use prost::Message;
use sightline_proto::rpc_status::{RETRY_INFO_TYPE_URL, RetryInfo, Status};

use crate::harness::Server;
use crate::support::*;

fn big_request(
    attribute_bytes: usize,
) -> opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest {
    let trace_id = random_trace_id();
    let spans = (1..=8u8)
        .map(|i| {
            let mut s = span(trace_id, i, "bulk");
            s.attributes
                .push(kv("payload", &"p".repeat(attribute_bytes / 8)));
            s
        })
        .collect();
    trace_request("bulk", spans)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn overload_is_refused_with_retryable_errors() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), "memory_limit_mib = 8\n").await;
    let body = big_request(1 << 20).encode_to_vec();

    // Many concurrent 1 MiB requests against an 8 MiB budget: some must be refused.
    let client = reqwest::Client::new();
    let sends = (0..24).map(|_| {
        client
            .post(server.otlp_url("/v1/traces"))
            .header("Content-Type", "application/x-protobuf")
            .body(body.clone())
            .send()
    });
    let responses = futures::future::join_all(sends).await;
    let mut refused = 0;
    for response in responses {
        let response = response.unwrap();
        match response.status().as_u16() {
            200 => {}
            503 => {
                refused += 1;
                let retry_after: u64 = response.headers()["retry-after"]
                    .to_str()
                    .unwrap()
                    .parse()
                    .unwrap();
                assert!(retry_after >= 1);
                let status = Status::decode(response.bytes().await.unwrap()).unwrap();
                assert_eq!(status.code, 14);
                assert!(
                    status
                        .details
                        .iter()
                        .any(|d| d.type_url == RETRY_INFO_TYPE_URL)
                );
            }
            other => panic!(
                "unexpected status {other}: {}",
                response.text().await.unwrap()
            ),
        }
    }
    assert!(
        refused > 0,
        "an 8 MiB budget cannot hold 24 concurrent 1 MiB requests"
    );

    // gRPC: UNAVAILABLE with RetryInfo.
    let channel = tonic::transport::Endpoint::from_shared(server.grpc_endpoint())
        .unwrap()
        .connect()
        .await
        .unwrap();
    let request = big_request(1 << 20);
    let calls = (0..24).map(|_| {
        let mut c = TraceServiceClient::new(channel.clone());
        let request = request.clone();
        async move { c.export(request).await }
    });
    let mut grpc_refused = 0;
    for result in futures::future::join_all(calls).await {
        if let Err(status) = result {
            assert_eq!(status.code(), tonic::Code::Unavailable, "{status:?}");
            let details = Status::decode(status.details()).unwrap();
            let retry = details
                .details
                .iter()
                .find(|d| d.type_url == RETRY_INFO_TYPE_URL)
                .expect("RetryInfo");
            assert!(
                RetryInfo::decode(retry.value.as_slice())
                    .unwrap()
                    .retry_delay
                    .unwrap()
                    .seconds
                    >= 1
            );
            grpc_refused += 1;
        }
    }
    assert!(grpc_refused > 0);

    // Once the burst is over, exports succeed again and the refusals are counted.
    let trace_id = random_trace_id();
    let small = trace_request("after", vec![span(trace_id, 1, "after")]).encode_to_vec();
    let mut accepted = false;
    for _ in 0..100 {
        let response = client
            .post(server.otlp_url("/v1/traces"))
            .header("Content-Type", "application/x-protobuf")
            .body(small.clone())
            .send()
            .await
            .unwrap();
        if response.status() == 200 {
            accepted = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(accepted, "the server recovers once memory is released");
    assert!(
        fetch_trace(&server.url(""), &trace_id, None)
            .await
            .is_some()
    );
    let metrics = reqwest::get(server.url("/metrics"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(metrics.contains("outcome=\"memory_limit\""), "{metrics}");
    let refusals: u64 = metrics
        .lines()
        .find_map(|l| l.strip_prefix("sightline_memory_refusals_total "))
        .unwrap()
        .parse()
        .unwrap();
    assert!(refusals >= (refused + grpc_refused) as u64);
}
