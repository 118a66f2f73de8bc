//! Sending encoded OTLP export requests to the server as fast as it acknowledges them: several
//! gRPC connections with several requests in flight each, refusals (`UNAVAILABLE`) retried
//! after a pause and counted, progress printed every 10 s.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::bail;
use bytes::Bytes;
use sightline_collector::grpc::RawBytesCodec;

/// `TraceService/Export`.
pub const TRACES_EXPORT: &str = "/opentelemetry.proto.collector.trace.v1.TraceService/Export";
/// `LogsService/Export`.
pub const LOGS_EXPORT: &str = "/opentelemetry.proto.collector.logs.v1.LogsService/Export";
/// `MetricsService/Export`.
pub const METRICS_EXPORT: &str = "/opentelemetry.proto.collector.metrics.v1.MetricsService/Export";

/// Sends every request to `grpc` (`http://host:port`) at `path` over `connections` x
/// `in_flight` streams; returns (elapsed, refusals).
pub async fn send_all(
    grpc: &str,
    path: &'static str,
    requests: Arc<Vec<Bytes>>,
    connections: usize,
    in_flight: usize,
) -> anyhow::Result<(Duration, u64)> {
    let next = Arc::new(AtomicUsize::new(0));
    let refused = Arc::new(AtomicU64::new(0));
    let path = http::uri::PathAndQuery::from_static(path);
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..connections {
        let channel = tonic::transport::Endpoint::from_shared(grpc.to_string())?
            .connect()
            .await?;
        for _ in 0..in_flight {
            let (next, refused, requests, path) = (
                next.clone(),
                refused.clone(),
                requests.clone(),
                path.clone(),
            );
            let mut client = tonic::client::Grpc::new(channel.clone());
            tasks.push(tokio::spawn(async move {
                while let Some(body) = requests.get(next.fetch_add(1, Ordering::Relaxed)) {
                    send_one(&mut client, body, &path, &refused).await?;
                }
                Ok::<(), anyhow::Error>(())
            }));
        }
    }
    let total = requests.len();
    let progress = async {
        loop {
            tokio::time::sleep(Duration::from_secs(10)).await;
            let done = next.load(Ordering::Relaxed).min(total);
            eprintln!(
                "  sent {done}/{total} requests ({:.0}s)",
                started.elapsed().as_secs_f64()
            );
        }
    };
    let results = tokio::select! {
        results = futures::future::try_join_all(tasks) => results?,
        _ = progress => unreachable!(),
    };
    results.into_iter().collect::<anyhow::Result<Vec<()>>>()?;
    Ok((started.elapsed(), refused.load(Ordering::Relaxed)))
}

/// Sends one export request, retrying while the server refuses it as overloaded.
pub async fn send_one(
    client: &mut tonic::client::Grpc<tonic::transport::Channel>,
    body: &Bytes,
    path: &http::uri::PathAndQuery,
    refused: &AtomicU64,
) -> anyhow::Result<()> {
    loop {
        client.ready().await?;
        let request = tonic::Request::new(body.clone());
        match client.unary(request, path.clone(), RawBytesCodec).await {
            Ok(_) => return Ok(()),
            Err(status) if status.code() == tonic::Code::Unavailable => {
                refused.fetch_add(1, Ordering::Relaxed);
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
            Err(status) => bail!("export failed: {status}"),
        }
    }
}
