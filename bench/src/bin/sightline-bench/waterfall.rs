//! The large-trace benchmark: one trace of 100,001 spans (a root, 100 children, 999 grandchildren
//! each, shop-like attributes) is exported to the binary, which is restarted so the trace is read
//! from a block; then windows of its waterfall (`/api/ui/traces/{id}/waterfall`) and the whole
//! trace (`/api/v2/traces/{id}`) are fetched, timing each and sampling the server's resident
//! memory every 5 ms.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use bytes::Bytes;
use clap::Args;
use prost::Message;
use sightline_collector::grpc::RawBytesCodec;
use sightline_proto::otlp::collector::trace::v1::ExportTraceServiceRequest;
use sightline_proto::otlp::common::v1::{AnyValue, KeyValue, any_value};
use sightline_proto::otlp::resource::v1::Resource;
use sightline_proto::otlp::trace::v1::{ResourceSpans, ScopeSpans, Span};

use crate::ingest::ServerProcess;
use crate::machine::describe;
use crate::stats::Percentiles;

/// Options of `sightline-bench waterfall`.
#[derive(Debug, Args)]
pub struct WaterfallArgs {
    /// The sightline binary (build it with --release).
    #[arg(long, default_value = "target/release/sightline")]
    sightline_bin: PathBuf,
    /// Children of the root; each has 999 children.
    #[arg(long, default_value_t = 100)]
    children: u64,
    /// Timed requests per measurement.
    #[arg(long, default_value_t = 20)]
    runs: usize,
}

const TRACE: [u8; 16] = [0x5a; 16];
const BASE: u64 = 1_700_000_000_000_000_000;

fn text(key: &str, value: String) -> KeyValue {
    KeyValue {
        key: key.into(),
        value: Some(AnyValue {
            value: Some(any_value::Value::StringValue(value)),
        }),
        key_strindex: 0,
    }
}

fn span(id: u64, parent: u64, start: u64) -> Span {
    Span {
        trace_id: TRACE.to_vec(),
        span_id: id.to_be_bytes().to_vec(),
        parent_span_id: if parent == 0 {
            Vec::new()
        } else {
            parent.to_be_bytes().to_vec()
        },
        name: if parent == 0 {
            "GET /batch".into()
        } else {
            format!("SELECT item {}", id % 50)
        },
        kind: if parent == 0 { 2 } else { 3 },
        start_time_unix_nano: BASE + start,
        end_time_unix_nano: BASE + start + 250_000,
        attributes: vec![
            text("db.system", "postgresql".into()),
            text("db.namespace", "inventory".into()),
            text(
                "db.query.text",
                format!(
                    "SELECT id, sku, quantity, price FROM items WHERE id = {id} AND tenant = $1"
                ),
            ),
            text(
                "app.request.id",
                format!("{:032x}", id.wrapping_mul(0x9e37_79b9_7f4a_7c15)),
            ),
            text("server.address", "inventory-db.internal".into()),
        ],
        ..Default::default()
    }
}

/// The trace as requests of at most 1000 spans.
fn requests(children: u64) -> (Vec<Bytes>, u64) {
    let mut spans = vec![span(1, 0, 0)];
    for child in 0..children {
        let child_id = 2 + child;
        spans.push(span(child_id, 1, child * 1_000_000));
        for grandchild in 0..999 {
            spans.push(span(
                1_000 + child * 1_000 + grandchild,
                child_id,
                child * 1_000_000 + grandchild * 1_000,
            ));
        }
    }
    let count = spans.len() as u64;
    let bodies = spans
        .chunks(1_000)
        .map(|chunk| {
            let request = ExportTraceServiceRequest {
                resource_spans: vec![ResourceSpans {
                    resource: Some(Resource {
                        attributes: vec![text("service.name", "batch-loader".into())],
                        ..Default::default()
                    }),
                    scope_spans: vec![ScopeSpans {
                        spans: chunk.to_vec(),
                        ..Default::default()
                    }],
                    schema_url: String::new(),
                }],
            };
            Bytes::from(request.encode_to_vec())
        })
        .collect();
    (bodies, count)
}

fn resident_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}

/// Times `runs` GETs of `url`, sampling the server's RSS; returns (latencies, peak RSS KiB,
/// last body size).
async fn measure(pid: u32, url: &str, runs: usize) -> anyhow::Result<(Percentiles, u64, usize)> {
    let peak = Arc::new(AtomicU64::new(resident_kib(pid)));
    let done = Arc::new(AtomicBool::new(false));
    let sampler = {
        let (peak, done) = (Arc::clone(&peak), Arc::clone(&done));
        tokio::spawn(async move {
            while !done.load(Ordering::Relaxed) {
                peak.fetch_max(resident_kib(pid), Ordering::Relaxed);
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        })
    };
    let client = reqwest::Client::new();
    let mut samples = Vec::with_capacity(runs);
    let mut size = 0;
    for _ in 0..runs {
        let started = Instant::now();
        let response = client.get(url).send().await?;
        let status = response.status();
        let body = response.bytes().await?;
        samples.push(started.elapsed());
        if !status.is_success() {
            bail!("{url}: {status}");
        }
        size = body.len();
    }
    done.store(true, Ordering::Relaxed);
    sampler.await?;
    Ok((
        Percentiles::of(&mut samples),
        peak.load(Ordering::Relaxed),
        size,
    ))
}

/// Runs the benchmark and prints its results.
pub async fn run(args: WaterfallArgs) -> anyhow::Result<()> {
    println!("machine: {}", describe());
    let dir = tempfile::tempdir()?;
    let (bodies, spans) = requests(args.children);
    let server = ServerProcess::start_on(&args.sightline_bin, dir.path(), 1024).await?;
    let channel = tonic::transport::Endpoint::from_shared(server.grpc().to_string())?
        .connect()
        .await?;
    let mut client = tonic::client::Grpc::new(channel);
    let path = http::uri::PathAndQuery::from_static(
        "/opentelemetry.proto.collector.trace.v1.TraceService/Export",
    );
    let protobuf_bytes: usize = bodies.iter().map(Bytes::len).sum();
    for body in bodies {
        client.ready().await?;
        client
            .unary(tonic::Request::new(body), path.clone(), RawBytesCodec)
            .await
            .context("export")?;
    }
    server.terminate()?;
    let server = ServerProcess::start_on(&args.sightline_bin, dir.path(), 1024).await?;
    let pid = server.pid();
    let id = hex::encode(TRACE);
    println!(
        "trace: {spans} spans, {:.1} MB of OTLP protobuf, read from a block",
        protobuf_bytes as f64 / 1e6
    );
    println!(
        "server RSS at rest: {:.0} MiB",
        resident_kib(pid) as f64 / 1024.0
    );
    let cases = [
        (
            "waterfall, first 200 rows, all expanded",
            "limit=200".to_string(),
        ),
        (
            "waterfall, 200 rows in the middle, all expanded",
            format!("offset={}&limit=200", spans / 2),
        ),
        (
            "waterfall, top level only (expandDepth=1)",
            "expandDepth=1&limit=200".to_string(),
        ),
        (
            "trace view's first request: 500 rows + 400-bar minimap",
            "limit=500&overview=400".to_string(),
        ),
        (
            "find in trace (`item 7`, 2000 matches)",
            "limit=1&search=item%207".to_string(),
        ),
    ];
    println!("what | p50 | p99 | peak server RSS | response bytes");
    for (label, query) in cases {
        let url = format!("{}/api/ui/traces/{id}/waterfall?{query}", server.http);
        let (p, peak, size) = measure(pid, &url, args.runs).await?;
        println!(
            "{label} | {:.1} ms | {:.1} ms | {:.0} MiB | {size}",
            p.p50.as_secs_f64() * 1e3,
            p.p99.as_secs_f64() * 1e3,
            peak as f64 / 1024.0
        );
    }
    // One span's details, deep in the trace.
    let url = format!(
        "{}/api/ui/traces/{id}/spans/{:016x}",
        server.http,
        1_000 + 50 * 1_000 + 500
    );
    let (p, peak, size) = measure(pid, &url, args.runs).await?;
    println!(
        "one span's details (/api/ui/traces/{{id}}/spans/{{spanId}}) | {:.1} ms | {:.1} ms | {:.0} MiB | {size}",
        p.p50.as_secs_f64() * 1e3,
        p.p99.as_secs_f64() * 1e3,
        peak as f64 / 1024.0
    );
    let url = format!("{}/api/v2/traces/{id}", server.http);
    let (p, peak, size) = measure(pid, &url, 3.min(args.runs)).await?;
    println!(
        "whole trace (/api/v2/traces, OTLP JSON) | {:.1} ms | {:.1} ms | {:.0} MiB | {size}",
        p.p50.as_secs_f64() * 1e3,
        p.p99.as_secs_f64() * 1e3,
        peak as f64 / 1024.0
    );
    server.terminate()?;
    Ok(())
}
