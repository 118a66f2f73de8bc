//! The logs benchmark, against the real `sightline` binary in its own process:
//!
//! 1. ingest: generate `--lines` log records with the load generator (log records only, their
//!    timestamps spread over the last 24 hours), encode them as OTLP logs export requests and
//!    send them over several gRPC connections as fast as the server acknowledges them;
//! 2. storage: stop the server (heads are written to blocks) and measure the Parquet files and
//!    the full-text indexes (`logs.index`) of the logs blocks;
//! 3. indexing throughput: read blocks back in this process and time
//!    [`build_log_index`](sightline_storage::block::log_index::build_log_index) over them, on one
//!    core, as the server does when it writes a block;
//! 4. queries: restart the server on the same data and time Loki and native log queries over
//!    the data's 24 hours ([`crate::logs_queries`]).
//!
//! With `--data-dir` pointing at a directory that already holds logs blocks (or with
//! `--skip-ingest`), step 1 is skipped; the time range and the terms searched for are taken from
//! the stored blocks, so re-runs over the same data time the same queries.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use crate::export::{LOGS_EXPORT, send_all};
use anyhow::{Context, bail};
use bytes::Bytes;
use clap::Args;
use opentelemetry_proto::tonic::common::v1::any_value::Value;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use prost::Message;
use sightline_bench::TrafficGenerator;
use sightline_storage::block::log_index::bundle::read_table;
use sightline_storage::block::log_index::{LOG_INDEX_FILE, build_log_index};
use sightline_storage::rows::logs::{LogColumns, line_text};

use crate::ingest::ServerProcess;
use crate::logs_queries::{self, QueryPlan};
use crate::machine::{describe, process_memory};
use crate::stats::{StoredBlock, stored_blocks};

const SECOND: u64 = 1_000_000_000;
const DAY: u64 = 24 * 3600 * SECOND;
/// Rows of the index-throughput sample also scanned for the words searched for.
const WORD_SAMPLE_ROWS: usize = 200_000;

/// Options of `sightline-bench logs`.
#[derive(Debug, Args)]
pub struct LogsArgs {
    /// The sightline binary to benchmark (build it with --release).
    #[arg(long, default_value = "target/release/sightline")]
    sightline_bin: PathBuf,
    /// Log lines to send.
    #[arg(long, default_value_t = 10_000_000)]
    lines: usize,
    /// Log records per export request.
    #[arg(long, default_value_t = 1_000)]
    batch_lines: usize,
    /// gRPC connections.
    #[arg(long, default_value_t = 8)]
    connections: usize,
    /// Requests in flight per connection.
    #[arg(long, default_value_t = 4)]
    in_flight: usize,
    /// Server memory budget, MiB.
    #[arg(long, default_value_t = 4096)]
    memory_limit_mib: usize,
    /// Data directory (default: a fresh temporary directory, removed afterwards). When it
    /// already holds logs blocks, ingest is skipped and the stored data is measured and queried.
    #[arg(long)]
    data_dir: Option<PathBuf>,
    /// Skip ingest and only measure and query the data already in `--data-dir`.
    #[arg(long)]
    skip_ingest: bool,
    /// Rows of stored blocks to build indexes of for the indexing throughput (whole blocks are
    /// read until at least this many rows).
    #[arg(long, default_value_t = 1_000_000)]
    index_rows: usize,
    /// Timed runs per query.
    #[arg(long, default_value_t = 10)]
    runs: usize,
    /// Seconds after which a query is not run again (slow queries get fewer runs).
    #[arg(long, default_value_t = 120)]
    query_budget_secs: u64,
    /// Traffic generator seed.
    #[arg(long, default_value_t = 7)]
    seed: u64,
}

/// Pre-encoded log export requests and what they hold.
struct Workload {
    requests: Vec<Bytes>,
    protobuf_bytes: u64,
    lines: usize,
    text_bytes: u64,
}

/// Generates log records only, their times spread evenly over the 24 hours before now.
fn generate(args: &LogsArgs) -> Workload {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64;
    let first = now - DAY;
    let mut generator = TrafficGenerator::with_start_time(args.seed, first - 3600 * SECOND);
    let requests = args.lines.div_ceil(args.batch_lines).max(1) as u64;
    // Leave a minute at the end so the newest lines are not in the future while sent.
    let step = (DAY - 60 * SECOND) / requests;
    let mut workload = Workload {
        requests: Vec::with_capacity(requests as usize),
        protobuf_bytes: 0,
        lines: 0,
        text_bytes: 0,
    };
    let mut time = first;
    while workload.lines < args.lines {
        time += step;
        let request = generator.logs(args.batch_lines, time);
        for record in request
            .resource_logs
            .iter()
            .flat_map(|rl| &rl.scope_logs)
            .flat_map(|sl| &sl.log_records)
        {
            workload.lines += 1;
            if let Some(Value::StringValue(body)) =
                record.body.as_ref().and_then(|b| b.value.as_ref())
            {
                workload.text_bytes += body.len() as u64;
            }
        }
        let bytes = Bytes::from(request.encode_to_vec());
        workload.protobuf_bytes += bytes.len() as u64;
        workload.requests.push(bytes);
    }
    workload
}

/// CPU time of this process (all threads) so far, seconds, from /proc/self/stat.
fn process_cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the command name: state is field 3, utime 14 and stime 15 (clock ticks).
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map_or(Vec::new(), |(_, rest)| rest.split_whitespace().collect());
    let ticks = |i: usize| fields.get(i - 3).and_then(|f| f.parse::<u64>().ok());
    ticks(14)
        .zip(ticks(15))
        .map_or(0.0, |(user, system)| (user + system) as f64 / 100.0)
}

fn file_len(path: &Path) -> u64 {
    std::fs::metadata(path).map_or(0, |m| m.len())
}

/// Prints the Parquet and index bytes of the stored blocks.
fn report_storage(blocks: &[StoredBlock]) {
    let rows: u64 = blocks.iter().map(|b| b.rows).sum();
    let parquet: u64 = blocks
        .iter()
        .map(|b| file_len(&b.dir.join("data.parquet")))
        .sum();
    let index: u64 = blocks
        .iter()
        .map(|b| file_len(&b.dir.join(LOG_INDEX_FILE)))
        .sum();
    let per_line = |bytes: u64| bytes as f64 / rows.max(1) as f64;
    println!("stored: {rows} lines in {} logs blocks", blocks.len());
    println!(
        "Parquet (data.parquet): {:.1} MB = {:.1} bytes/line",
        parquet as f64 / 1e6,
        per_line(parquet)
    );
    println!(
        "full-text index (logs.index): {:.1} MB = {:.1} bytes/line",
        index as f64 / 1e6,
        per_line(index)
    );
    println!(
        "index size: {:.1}% of Parquet",
        100.0 * index as f64 / parquet.max(1) as f64
    );
    let mut kinds: Vec<(String, u64)> = index_file_kinds(blocks).into_iter().collect();
    kinds.sort_by_key(|kind| std::cmp::Reverse(kind.1));
    let kinds: Vec<String> = kinds
        .iter()
        .map(|(kind, bytes)| format!("{kind} {:.1}", per_line(*bytes)))
        .collect();
    println!(
        "index bytes/line by Tantivy file: {} (term = term dictionaries, idx = postings, pos = positions, fast = fast fields)",
        kinds.join(", ")
    );
}

/// Bytes of the stored indexes per Tantivy file kind (the file name's extension).
fn index_file_kinds(blocks: &[StoredBlock]) -> HashMap<String, u64> {
    let mut kinds = HashMap::new();
    for block in blocks {
        let Ok(bytes) = std::fs::read(block.dir.join(LOG_INDEX_FILE)) else {
            continue;
        };
        let Ok(table) = read_table(&bytes) else {
            continue;
        };
        for (name, range) in table {
            let kind = name
                .extension()
                .map_or("other".into(), |e| e.to_string_lossy().into_owned());
            *kinds.entry(kind).or_default() += range.len() as u64;
        }
    }
    kinds
}

/// What the index-throughput sample shows about the data, for choosing the queries.
#[derive(Default)]
struct Sample {
    /// Lines holding each word (case-sensitive, as `|=` matches), over the first rows.
    word_lines: HashMap<String, usize>,
    /// Lines scanned for words.
    lines: usize,
    /// Lines per service.
    services: HashMap<String, usize>,
    /// A transaction id (a UUID written in a single line), if one was seen.
    rare_term: Option<String>,
}

impl Sample {
    /// Counts `line`'s service, and its words when `words` (and the word sample is not full).
    fn observe(&mut self, line: &str, service: Option<&str>, words: bool) {
        if let Some(service) = service {
            *self.services.entry(service.to_string()).or_default() += 1;
        }
        if !words || self.lines >= WORD_SAMPLE_ROWS {
            return;
        }
        // The first id past the middle of the word sample (or the last before it).
        if self.rare_term.is_none() || self.lines < WORD_SAMPLE_ROWS / 2 {
            for marker in ["transactionId=", "transaction_id: "] {
                if let Some(at) = line.find(marker) {
                    let id: String = line[at + marker.len()..].chars().take(36).collect();
                    if id.len() == 36 {
                        self.rare_term = Some(id);
                    }
                }
            }
        }
        self.lines += 1;
        let mut words: Vec<&str> = line
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| w.len() >= 4 && w.chars().all(|c| c.is_ascii_alphabetic()))
            .collect();
        words.sort_unstable();
        words.dedup();
        for word in words {
            *self.word_lines.entry(word.to_string()).or_default() += 1;
        }
    }

    /// The word in the most lines, and the share of lines holding it.
    fn common_word(&self) -> Option<(String, f64)> {
        self.word_lines
            .iter()
            .max_by(|a, b| a.1.cmp(b.1).then_with(|| b.0.cmp(a.0)))
            .map(|(word, n)| (word.clone(), *n as f64 / self.lines.max(1) as f64))
    }

    /// The service with the most lines.
    fn busiest_service(&self) -> Option<String> {
        self.services
            .iter()
            .max_by(|a, b| a.1.cmp(b.1).then_with(|| b.0.cmp(a.0)))
            .map(|(service, _)| service.clone())
    }
}

/// Reads whole blocks until `min_rows`, times `build_log_index` on each (one core) and prints
/// the rate; returns what the rows show about the data.
fn index_throughput(blocks: &[StoredBlock], min_rows: usize) -> anyhow::Result<Sample> {
    let mut sample = Sample::default();
    let (mut rows, mut text_bytes, mut index_bytes) = (0usize, 0u64, 0u64);
    let (mut elapsed, mut cpu) = (Duration::ZERO, 0.0);
    let mut used = 0;
    // Start in the middle of the store: its blocks are full-sized.
    let start = blocks.len() / 3;
    for block in blocks[start..].iter().chain(&blocks[..start]) {
        if rows >= min_rows {
            break;
        }
        let file = std::fs::File::open(block.dir.join("data.parquet"))?;
        let builder = ParquetRecordBatchReaderBuilder::try_new(file)?;
        let block_rows = builder.metadata().file_metadata().num_rows() as usize;
        let reader = builder.with_batch_size(block_rows.max(1)).build()?;
        for batch in reader {
            let batch = batch?;
            let columns = LogColumns::new(&batch)?;
            // Blocks are sorted by service: sample words across the whole block.
            let stride = (batch.num_rows() / WORD_SAMPLE_ROWS).max(1);
            for row in 0..batch.num_rows() {
                let record = columns.record(row)?;
                let line = line_text(record.body.as_ref());
                text_bytes += line.len() as u64;
                let service = columns.envelope.service_name.get(row);
                sample.observe(&line, service, row % stride == 0);
            }
            let (started, cpu_before) = (Instant::now(), process_cpu_seconds());
            let index = build_log_index(&batch)?;
            elapsed += started.elapsed();
            cpu += process_cpu_seconds() - cpu_before;
            index_bytes += index.len() as u64;
            rows += batch.num_rows();
        }
        used += 1;
    }
    if rows == 0 {
        bail!("no logs blocks to index");
    }
    let seconds = elapsed.as_secs_f64();
    let megabytes = text_bytes as f64 / 1e6;
    println!(
        "indexing sample (build_log_index): {rows} rows of {used} blocks, {megabytes:.1} MB of line text, index {:.1} bytes/line",
        index_bytes as f64 / rows as f64
    );
    println!(
        "indexing wall clock: {:.1} MB/s of line text, {:.0} rows/s ({seconds:.1}s; one writer thread plus the caller building documents)",
        megabytes / seconds,
        rows as f64 / seconds
    );
    println!(
        "indexing per core (CPU time, all threads): {:.1} MB/s of line text, {:.0} rows/s ({cpu:.1} CPU-s, {:.2} cores busy)",
        megabytes / cpu,
        rows as f64 / cpu,
        cpu / seconds
    );
    Ok(sample)
}

/// Runs the benchmark and prints its results.
pub async fn run(args: LogsArgs) -> anyhow::Result<()> {
    let temp = tempfile::tempdir()?;
    let data_dir = args
        .data_dir
        .clone()
        .unwrap_or_else(|| temp.path().join("data"));
    println!("machine: {}", describe());
    let existing = stored_blocks(&data_dir, "logs")?;
    let ingest = !args.skip_ingest && existing.is_empty();
    if ingest {
        println!(
            "command: sightline-bench logs --lines {} --batch-lines {} --connections {} --in-flight {} --memory-limit-mib {} --runs {} --query-budget-secs {} --seed {}",
            args.lines,
            args.batch_lines,
            args.connections,
            args.in_flight,
            args.memory_limit_mib,
            args.runs,
            args.query_budget_secs,
            args.seed
        );
        ingest_and_stop(&args, &data_dir).await?;
    } else {
        println!(
            "command: sightline-bench logs --data-dir {} --runs {} --query-budget-secs {} (stored data: ingest skipped)",
            data_dir.display(),
            args.runs,
            args.query_budget_secs
        );
    }

    let blocks = stored_blocks(&data_dir, "logs")?;
    if blocks.is_empty() {
        bail!("no logs blocks under {}", data_dir.display());
    }
    report_storage(&blocks);
    let sample = tokio::task::block_in_place(|| index_throughput(&blocks, args.index_rows))?;

    let start = blocks.iter().map(|b| b.min_time).min().unwrap_or(0) / SECOND * SECOND;
    let end = blocks.iter().map(|b| b.max_time).max().unwrap_or(0) / SECOND * SECOND + SECOND;
    let (common_word, share) = sample.common_word().context("no words in the sample")?;
    let plan = QueryPlan {
        start,
        end,
        rare_term: sample
            .rare_term
            .clone()
            .context("no transaction id in the sample")?,
        common_word,
        common_share: share,
        service: sample
            .busiest_service()
            .context("no service in the sample")?,
        runs: args.runs,
        budget: Duration::from_secs(args.query_budget_secs),
    };
    let server =
        ServerProcess::start_on(&args.sightline_bin, &data_dir, args.memory_limit_mib).await?;
    let outcome = logs_queries::run(&server, &plan).await;
    server.terminate()?;
    outcome
}

/// Generates the workload, sends it, stops the server and prints the ingest numbers.
async fn ingest_and_stop(args: &LogsArgs, data_dir: &Path) -> anyhow::Result<()> {
    let started = Instant::now();
    let workload = generate(args);
    println!(
        "workload: {} log lines in {} requests, {:.1} MB of line text ({:.0} bytes/line), {:.1} MB OTLP protobuf ({:.0} bytes/line), generated in {:.1}s",
        workload.lines,
        workload.requests.len(),
        workload.text_bytes as f64 / 1e6,
        workload.text_bytes as f64 / workload.lines as f64,
        workload.protobuf_bytes as f64 / 1e6,
        workload.protobuf_bytes as f64 / workload.lines as f64,
        started.elapsed().as_secs_f64()
    );
    let server =
        ServerProcess::start_on(&args.sightline_bin, data_dir, args.memory_limit_mib).await?;
    let pid = server.pid();
    let requests = Arc::new(workload.requests.clone());
    let (elapsed, refusals) = send_all(
        server.grpc(),
        LOGS_EXPORT,
        requests,
        args.connections,
        args.in_flight,
    )
    .await?;
    let peak_rss = process_memory(pid).map_or(0, |(hwm, _)| hwm);
    let seconds = elapsed.as_secs_f64();
    println!(
        "durable ingest: {:.0} lines/s, {:.1} MB/s of line text, {:.1} MB/s of OTLP protobuf ({} lines in {seconds:.1}s, WAL fsync on, {refusals} retryable refusals)",
        workload.lines as f64 / seconds,
        workload.text_bytes as f64 / 1e6 / seconds,
        workload.protobuf_bytes as f64 / 1e6 / seconds,
        workload.lines
    );
    let stopping = Instant::now();
    server.terminate()?;
    let shutdown = stopping.elapsed().as_secs_f64();
    println!(
        "shutdown (write heads to blocks): {shutdown:.1}s; peak server RSS during ingest: {:.0} MiB",
        peak_rss as f64 / (1 << 20) as f64
    );
    let through = seconds + shutdown;
    println!(
        "ingest until every line is in a block (ingest + shutdown, {through:.1}s): {:.0} lines/s, {:.1} MB/s of line text",
        workload.lines as f64 / through,
        workload.text_bytes as f64 / 1e6 / through
    );
    Ok(())
}
