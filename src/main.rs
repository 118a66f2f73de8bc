//! The `sightline` binary: command-line parsing and wiring only.
//!
//! - `sightline serve`: OTLP receivers (gRPC :4317, HTTP :4318), the query API (:3200) and the
//!   storage engine in one process; `--demo` adds in-process demo traffic.
//! - `sightline loadgen`: realistic OTLP traffic at a target rate against any OTLP endpoint.

mod alerting;
mod config;
mod ops;
mod serve;
mod ui;

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};

/// mimalloc instead of the system allocator: ingest allocates and frees many short-lived
/// buffers across threads, where glibc malloc spent half the CPU and held on to freed memory.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Sightline: an observability backend for OpenTelemetry traces, logs and metrics.
#[derive(Debug, Parser)]
#[command(name = "sightline", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run every role in one process: OTLP receivers, storage and the query API.
    Serve(ServeArgs),
    /// Send realistic OTLP traffic (traces, logs, metrics) to an OTLP/gRPC endpoint.
    Loadgen(LoadgenArgs),
}

/// Flags of `sightline serve`; they override the config file and `SIGHTLINE_*` variables.
#[derive(Debug, Args)]
struct ServeArgs {
    /// TOML configuration file (unknown keys are an error).
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Directory for the WAL and local blocks [default: ./data].
    #[arg(long, value_name = "DIR")]
    data_dir: Option<PathBuf>,
    /// OTLP/gRPC listen address [default: 0.0.0.0:4317].
    #[arg(long, value_name = "ADDR")]
    otlp_grpc_addr: Option<String>,
    /// OTLP/HTTP listen address [default: 0.0.0.0:4318].
    #[arg(long, value_name = "ADDR")]
    otlp_http_addr: Option<String>,
    /// Query API listen address [default: 0.0.0.0:3200].
    #[arg(long, value_name = "ADDR")]
    http_addr: Option<String>,
    /// Also generate demo traffic in-process, so there is live data to look at.
    #[arg(long)]
    demo: bool,
    /// Spans per second of the demo traffic.
    #[arg(long, default_value_t = 200, value_name = "N")]
    demo_rate: u64,
    /// Alerting rule file, path or glob, in Prometheus's format (repeatable).
    #[arg(long = "rules", value_name = "PATH_OR_GLOB")]
    rules: Vec<String>,
    /// Send alert notifications to this webhook (Alertmanager's payload and default timings;
    /// repeatable).
    #[arg(long = "alert-webhook", value_name = "URL")]
    alert_webhooks: Vec<String>,
    /// Evaluation interval of rule groups without their own [default: 15s].
    #[arg(long, value_name = "DURATION")]
    rule_evaluation_interval: Option<String>,
}

/// Flags of `sightline loadgen`.
#[derive(Debug, Args)]
struct LoadgenArgs {
    /// OTLP/gRPC endpoint.
    #[arg(long, default_value = "http://127.0.0.1:4317")]
    endpoint: String,
    /// Target spans per second.
    #[arg(long, default_value_t = 10_000)]
    spans_per_second: u64,
    /// Target log records per second (0: none).
    #[arg(long, default_value_t = 1_000)]
    logs_per_second: u64,
    /// Seconds between metric snapshots (0: none).
    #[arg(long, default_value = "10s", value_parser = parse_duration)]
    metrics_interval: Duration,
    /// Separate gRPC connections.
    #[arg(long, default_value_t = 4)]
    connections: usize,
    /// How long to run, e.g. 60s or 5m (default: until Ctrl-C).
    #[arg(long, value_parser = parse_duration)]
    duration: Option<Duration>,
    /// Spans (and log records) per export request.
    #[arg(long, default_value_t = 512)]
    batch_spans: usize,
    /// Tenant sent as X-Scope-OrgID.
    #[arg(long)]
    tenant: Option<String>,
    /// gzip the requests.
    #[arg(long)]
    gzip: bool,
    /// Seed of the traffic generator.
    #[arg(long, default_value_t = 1)]
    seed: u64,
}

/// Parses `500ms`, `30s`, `5m`, `1h` or plain seconds.
fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let (number, unit) = text.split_at(
        text.find(|c: char| !c.is_ascii_digit() && c != '.')
            .unwrap_or(text.len()),
    );
    let value: f64 = number
        .parse()
        .map_err(|_| format!("invalid duration {text:?}"))?;
    let seconds = match unit {
        "" | "s" => value,
        "ms" => value / 1000.0,
        "m" => value * 60.0,
        "h" => value * 3600.0,
        _ => {
            return Err(format!(
                "invalid duration unit in {text:?} (use ms, s, m or h)"
            ));
        }
    };
    Ok(Duration::from_secs_f64(seconds))
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    match cli.command {
        Command::Serve(args) => {
            let mut config = config::Config::load(args.config.as_deref(), std::env::vars())?;
            if let Some(dir) = args.data_dir {
                config.data_dir = dir;
            }
            if let Some(addr) = args.otlp_grpc_addr {
                config.otlp_grpc_addr = addr;
            }
            if let Some(addr) = args.otlp_http_addr {
                config.otlp_http_addr = addr;
            }
            if let Some(addr) = args.http_addr {
                config.http_addr = addr;
            }
            config.alerting.apply_flags(
                args.rules,
                args.alert_webhooks,
                args.rule_evaluation_interval,
            );
            init_logging(&config.log_level);
            let demo = args.demo.then_some(args.demo_rate);
            runtime.block_on(serve::run(config, demo))
        }
        Command::Loadgen(args) => {
            init_logging("info");
            let options = sightline_bench::loadgen::LoadgenOptions {
                endpoint: args.endpoint,
                spans_per_second: args.spans_per_second,
                connections: args.connections,
                duration: args.duration,
                batch_spans: args.batch_spans,
                logs_per_second: args.logs_per_second,
                metrics_interval: (!args.metrics_interval.is_zero())
                    .then_some(args.metrics_interval),
                tenant: args.tenant,
                gzip: args.gzip,
                seed: args.seed,
                ..Default::default()
            };
            let report =
                runtime.block_on(sightline_bench::loadgen::run_loadgen(options, async {
                    let _ = tokio::signal::ctrl_c().await;
                }))?;
            println!("{report}");
            Ok(())
        }
    }
}

fn init_logging(default_filter: &str) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default_filter));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("500ms").unwrap(), Duration::from_millis(500));
        assert_eq!(parse_duration("30s").unwrap(), Duration::from_secs(30));
        assert_eq!(parse_duration("2m").unwrap(), Duration::from_secs(120));
        assert_eq!(parse_duration("5").unwrap(), Duration::from_secs(5));
        assert!(parse_duration("5d").is_err());
        assert!(parse_duration("x").is_err());
    }
}
