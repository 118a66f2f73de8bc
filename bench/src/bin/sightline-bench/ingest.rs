//! The ingest benchmark, against the real `sightline` binary in its own process:
//!
//! 1. generate realistic traces (the load generator's traffic) and encode them as OTLP requests;
//! 2. decode-only rate: `prost` decoding of those same requests, on one and on all cores;
//! 3. sustained durable ingest: send every request over several gRPC connections as fast as the
//!    server acknowledges them (WAL fsync on; refused requests are retried after a pause), and
//!    read the server's peak resident memory;
//! 4. storage: stop the server (heads are written to blocks) and measure bytes on disk per span
//!    and against the OTLP protobuf bytes;
//! 5. trace by id: restart the server on the same data and look up random known traces through
//!    `/api/v2/traces/{id}` without a time range.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use crate::export::{TRACES_EXPORT, send_all};
use anyhow::{Context, bail};
use bytes::Bytes;
use clap::Args;
use prost::Message;
use sightline_bench::{TrafficGenerator, spans_in};
use sightline_proto::otlp::collector::trace::v1::ExportTraceServiceRequest;

use crate::machine::{describe, process_memory};
use crate::stats::{Percentiles, dir_size};

/// Options of `sightline-bench ingest`.
#[derive(Debug, Args)]
pub struct IngestArgs {
    /// The sightline binary to benchmark (build it with --release).
    #[arg(long, default_value = "target/release/sightline")]
    sightline_bin: PathBuf,
    /// Spans to send.
    #[arg(long, default_value_t = 2_000_000)]
    spans: usize,
    /// Spans per export request (the SDK batch size).
    #[arg(long, default_value_t = 512)]
    batch_spans: usize,
    /// gRPC connections.
    #[arg(long, default_value_t = 8)]
    connections: usize,
    /// Requests in flight per connection.
    #[arg(long, default_value_t = 4)]
    in_flight: usize,
    /// Trace-by-id lookups to time after ingest.
    #[arg(long, default_value_t = 2_000)]
    lookups: usize,
    /// Server memory budget, MiB (the server's default is 1024).
    #[arg(long, default_value_t = 1024)]
    memory_limit_mib: usize,
    /// Data directory (default: a fresh temporary directory, removed afterwards).
    #[arg(long)]
    data_dir: Option<PathBuf>,
    /// Traffic generator seed.
    #[arg(long, default_value_t = 7)]
    seed: u64,
}

/// A `sightline serve` child process on free loopback ports.
pub struct ServerProcess {
    child: Child,
    grpc: String,
    /// Query API base URL.
    pub http: String,
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

impl ServerProcess {
    async fn start(args: &IngestArgs, data_dir: &std::path::Path) -> anyhow::Result<Self> {
        Self::start_on(&args.sightline_bin, data_dir, args.memory_limit_mib).await
    }

    /// Starts `binary` on `data_dir` with a memory budget, and waits until it is ready.
    pub async fn start_on(
        binary: &std::path::Path,
        data_dir: &std::path::Path,
        memory_limit_mib: usize,
    ) -> anyhow::Result<Self> {
        let (grpc, otlp_http, http) = (free_port(), free_port(), free_port());
        let child = Command::new(binary)
            .args(["serve", "--data-dir"])
            .arg(data_dir)
            .args(["--otlp-grpc-addr", &format!("127.0.0.1:{grpc}")])
            .args(["--otlp-http-addr", &format!("127.0.0.1:{otlp_http}")])
            .args(["--http-addr", &format!("127.0.0.1:{http}")])
            .env("SIGHTLINE_MEMORY_LIMIT_MIB", memory_limit_mib.to_string())
            .env(
                "RUST_LOG",
                std::env::var("RUST_LOG").unwrap_or_else(|_| "warn".into()),
            )
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .with_context(|| format!("starting {}", binary.display()))?;
        let server = Self {
            child,
            grpc: format!("http://127.0.0.1:{grpc}"),
            http: format!("http://127.0.0.1:{http}"),
        };
        let client = reqwest::Client::new();
        let deadline = Instant::now() + Duration::from_secs(120);
        loop {
            if let Ok(r) = client.get(format!("{}/ready", server.http)).send().await
                && r.status() == 200
            {
                return Ok(server);
            }
            if Instant::now() > deadline {
                bail!("the server did not become ready");
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// The OTLP/gRPC endpoint URL.
    pub fn grpc(&self) -> &str {
        &self.grpc
    }

    /// The server's process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Stops the server with SIGTERM and waits for a clean exit.
    pub fn terminate(mut self) -> anyhow::Result<()> {
        Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()?;
        let status = self.child.wait()?;
        if !status.success() {
            bail!("the server exited with {status}");
        }
        Ok(())
    }
}

/// Pre-encoded requests and what they contain.
struct Workload {
    requests: Vec<(Bytes, usize)>,
    protobuf_bytes: u64,
    spans: usize,
    trace_ids: Vec<[u8; 16]>,
}

fn generate(args: &IngestArgs) -> Workload {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64;
    let mut generator = TrafficGenerator::with_start_time(args.seed, now - 3_600_000_000_000);
    let mut workload = Workload {
        requests: Vec::new(),
        protobuf_bytes: 0,
        spans: 0,
        trace_ids: Vec::new(),
    };
    let mut time = now - 1_800_000_000_000;
    while workload.spans < args.spans {
        let request = generator.traces(args.batch_spans, time);
        time += 20_000_000;
        let spans = spans_in(&request);
        if workload.trace_ids.len() < 200_000 {
            let first = &request.resource_spans[0].scope_spans[0].spans[0];
            workload
                .trace_ids
                .push(first.trace_id.clone().try_into().expect("16-byte trace id"));
        }
        let bytes = Bytes::from(request.encode_to_vec());
        workload.protobuf_bytes += bytes.len() as u64;
        workload.spans += spans;
        workload.requests.push((bytes, spans));
    }
    workload
}

/// Decodes every request on `threads` threads; returns spans per second.
fn decode_rate(workload: &Workload, threads: usize) -> f64 {
    let started = Instant::now();
    std::thread::scope(|scope| {
        for chunk in workload
            .requests
            .chunks(workload.requests.len().div_ceil(threads))
        {
            scope.spawn(move || {
                for (bytes, _) in chunk {
                    let decoded =
                        ExportTraceServiceRequest::decode(bytes.as_ref()).expect("valid request");
                    std::hint::black_box(decoded);
                }
            });
        }
    });
    workload.spans as f64 / started.elapsed().as_secs_f64()
}

async fn lookups(
    server: &ServerProcess,
    workload: &Workload,
    count: usize,
) -> anyhow::Result<(Percentiles, usize)> {
    let client = reqwest::Client::new();
    let mut samples = Vec::with_capacity(count);
    let mut missing = 0;
    let mut state = 0x9e3779b97f4a7c15u64;
    for _ in 0..count {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        let id = workload.trace_ids[(state % workload.trace_ids.len() as u64) as usize];
        let url = format!("{}/api/v2/traces/{}", server.http, hex::encode(id));
        let started = Instant::now();
        let response = client
            .get(url)
            .header("Accept", "application/protobuf")
            .send()
            .await?;
        let status = response.status();
        let _ = response.bytes().await?;
        samples.push(started.elapsed());
        if status != 200 {
            missing += 1;
        }
    }
    Ok((Percentiles::of(&mut samples), missing))
}

/// Runs the benchmark and prints its results.
pub async fn run(args: IngestArgs) -> anyhow::Result<()> {
    let temp = tempfile::tempdir()?;
    let data_dir = args
        .data_dir
        .clone()
        .unwrap_or_else(|| temp.path().join("data"));
    println!("machine: {}", describe());
    println!(
        "command: sightline-bench ingest --spans {} --batch-spans {} --connections {} --in-flight {}",
        args.spans, args.batch_spans, args.connections, args.in_flight
    );

    let started = Instant::now();
    let workload = generate(&args);
    println!(
        "workload: {} spans in {} requests, {:.1} MB OTLP protobuf ({:.0} bytes/span), generated in {:.1}s",
        workload.spans,
        workload.requests.len(),
        workload.protobuf_bytes as f64 / 1e6,
        workload.protobuf_bytes as f64 / workload.spans as f64,
        started.elapsed().as_secs_f64()
    );

    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let decode_one = decode_rate(&workload, 1);
    let decode_all = decode_rate(&workload, cores);
    println!(
        "decode-only (prost): {decode_one:.0} spans/s on 1 core, {decode_all:.0} spans/s on {cores} cores"
    );

    let server = ServerProcess::start(&args, &data_dir).await?;
    let pid = server.child.id();
    let requests = Arc::new(
        workload
            .requests
            .iter()
            .map(|(body, _)| body.clone())
            .collect(),
    );
    let (elapsed, refusals) = send_all(
        &server.grpc,
        TRACES_EXPORT,
        requests,
        args.connections,
        args.in_flight,
    )
    .await?;
    let ingest_rate = workload.spans as f64 / elapsed.as_secs_f64();
    let peak_rss = process_memory(pid).map_or(0, |(hwm, _)| hwm);
    println!(
        "durable ingest: {ingest_rate:.0} spans/s ({} spans in {:.1}s, WAL fsync on, {refusals} retryable refusals); {:.0}% of the {cores}-core decode-only rate",
        workload.spans,
        elapsed.as_secs_f64(),
        100.0 * ingest_rate / decode_all
    );
    let shutdown_started = Instant::now();
    server.terminate()?;
    println!(
        "shutdown (write heads to blocks): {:.1}s; peak server RSS during ingest: {:.0} MiB",
        shutdown_started.elapsed().as_secs_f64(),
        peak_rss as f64 / (1 << 20) as f64
    );

    let block_bytes = dir_size(&data_dir.join("blocks"));
    println!(
        "storage: {:.1} MB of blocks = {:.1} bytes/span; OTLP protobuf / stored = {:.1}x",
        block_bytes as f64 / 1e6,
        block_bytes as f64 / workload.spans as f64,
        workload.protobuf_bytes as f64 / block_bytes as f64
    );

    let server = ServerProcess::start(&args, &data_dir).await?;
    let (latency, missing) = lookups(&server, &workload, args.lookups).await?;
    println!(
        "trace by id (no time range, {} spans stored, {} lookups): {latency}; {missing} not found",
        workload.spans, args.lookups
    );
    server.terminate()?;
    Ok(())
}
