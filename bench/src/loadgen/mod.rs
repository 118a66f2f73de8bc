//! The OTLP/gRPC load generator: [`run_loadgen`] opens several HTTP/2 connections to a
//! collector, sends generated traces, logs and metrics at target rates, and returns a
//! [`LoadgenReport`] of accepted, rejected, refused and failed items and export latencies.
//!
//! Generation runs on a dedicated blocking thread that keeps a two-batch queue per signal;
//! async dispatchers pace the sends (drift-free schedule from a fixed origin) and spread them
//! over the connections, each limited to a few exports in flight.

mod export;
mod histogram;
mod report;

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::{mpsc, watch};
use tonic::metadata::AsciiMetadataValue;

use crate::generator::TrafficGenerator;
use export::{ConnectionPool, ProductionPlan, Queues, dispatch, produce};
pub use histogram::LatencyHistogram;
use report::Counters;
pub use report::{LoadgenReport, SignalReport};

/// Batches prepared ahead of the dispatcher, per signal.
const QUEUE_DEPTH: usize = 2;

/// Settings of a load-generator run.
#[derive(Clone, Debug)]
pub struct LoadgenOptions {
    /// OTLP/gRPC endpoint, e.g. `http://127.0.0.1:4317`.
    pub endpoint: String,
    /// Target span rate; 0 sends no traces.
    pub spans_per_second: u64,
    /// Number of separate gRPC (HTTP/2) connections.
    pub connections: usize,
    /// How long to run; `None` runs until the shutdown future resolves.
    pub duration: Option<Duration>,
    /// Spans per export request (capped at one second's worth, like an SDK batch processor).
    pub batch_spans: usize,
    /// Target log record rate; 0 sends no logs. Logs use the same batch size as spans.
    pub logs_per_second: u64,
    /// How often to send a metrics snapshot; `None` sends no metrics.
    pub metrics_interval: Option<Duration>,
    /// Tenant sent as `x-scope-orgid` metadata.
    pub tenant: Option<String>,
    /// Whether to gzip requests.
    pub gzip: bool,
    /// Seed of the traffic generator.
    pub seed: u64,
    /// Exports allowed in flight per connection before the dispatcher waits.
    pub max_in_flight_per_connection: usize,
    /// How often to log a progress line; `None` stays quiet.
    pub progress_interval: Option<Duration>,
}

impl Default for LoadgenOptions {
    fn default() -> Self {
        Self {
            endpoint: "http://127.0.0.1:4317".to_owned(),
            spans_per_second: 10_000,
            connections: 4,
            duration: None,
            batch_spans: 512,
            logs_per_second: 1_000,
            metrics_interval: Some(Duration::from_secs(10)),
            tenant: None,
            gzip: false,
            seed: 1,
            max_in_flight_per_connection: 8,
            progress_interval: Some(Duration::from_secs(10)),
        }
    }
}

/// Why a load-generator run could not start.
#[derive(Debug, thiserror::Error)]
pub enum LoadgenError {
    /// The options are unusable (zero connections, zero batch size, ...).
    #[error("invalid load generator options: {0}")]
    InvalidOptions(String),
    /// The endpoint is not a valid URI.
    #[error("invalid endpoint {endpoint:?}: {source}")]
    InvalidEndpoint {
        /// The endpoint as given.
        endpoint: String,
        /// The parse error.
        source: tonic::transport::Error,
    },
    /// A connection could not be established.
    #[error("cannot connect to {endpoint}: {source}")]
    Connect {
        /// The endpoint as given.
        endpoint: String,
        /// The transport error.
        source: tonic::transport::Error,
    },
    /// The tenant cannot be sent as gRPC metadata.
    #[error("tenant {0:?} is not a valid gRPC metadata value")]
    InvalidTenant(String),
    /// The generator thread panicked.
    #[error("traffic generator thread failed: {0}")]
    Generator(String),
}

fn validate(options: &LoadgenOptions) -> Result<Option<AsciiMetadataValue>, LoadgenError> {
    if options.connections == 0 {
        return Err(LoadgenError::InvalidOptions(
            "connections must be at least 1".to_owned(),
        ));
    }
    if options.batch_spans == 0 {
        return Err(LoadgenError::InvalidOptions(
            "batch_spans must be at least 1".to_owned(),
        ));
    }
    if options.max_in_flight_per_connection == 0 {
        return Err(LoadgenError::InvalidOptions(
            "max_in_flight_per_connection must be at least 1".to_owned(),
        ));
    }
    if options.metrics_interval.is_some_and(|i| i.is_zero()) {
        return Err(LoadgenError::InvalidOptions(
            "metrics_interval must be positive".to_owned(),
        ));
    }
    options
        .tenant
        .as_ref()
        .map(|tenant| {
            AsciiMetadataValue::try_from(tenant.as_str())
                .map_err(|_| LoadgenError::InvalidTenant(tenant.clone()))
        })
        .transpose()
}

/// A batch size that still exports at least once a second at `rate`.
fn batch_size(batch: usize, rate: u64) -> usize {
    batch
        .min(usize::try_from(rate).unwrap_or(usize::MAX))
        .max(1)
}

/// Runs the load generator until `options.duration` passes or `shutdown` resolves, whichever
/// comes first, then waits for exports in flight and reports.
pub async fn run_loadgen(
    options: LoadgenOptions,
    shutdown: impl Future<Output = ()>,
) -> Result<LoadgenReport, LoadgenError> {
    let tenant = validate(&options)?;
    let pool = Arc::new(ConnectionPool::connect(&options, tenant).await?);
    let counters = Arc::new(Counters::default());
    let (stop_sender, stop) = watch::channel(false);

    let queue = |enabled: bool| enabled.then(|| mpsc::channel(QUEUE_DEPTH)).unzip();
    let (trace_sender, trace_receiver) = queue(options.spans_per_second > 0);
    let (log_sender, log_receiver) = queue(options.logs_per_second > 0);
    let (metric_sender, metric_receiver) = queue(options.metrics_interval.is_some());
    let plan = ProductionPlan {
        spans_per_second: options.spans_per_second,
        logs_per_second: options.logs_per_second,
        spans_per_batch: batch_size(options.batch_spans, options.spans_per_second),
        logs_per_batch: batch_size(options.batch_spans, options.logs_per_second),
        metrics_interval: options.metrics_interval,
    };
    let generator = TrafficGenerator::new(options.seed);
    let queues = Queues {
        traces: trace_sender,
        logs: log_sender,
        metrics: metric_sender,
    };
    let producer = tokio::task::spawn_blocking(move || produce(generator, plan, queues));

    let started = Instant::now();
    let mut dispatchers = tokio::task::JoinSet::new();
    let signals: [(_, _, report::SignalOf); 3] = [
        (trace_receiver, Some(options.spans_per_second), |c| &c.spans),
        (log_receiver, Some(options.logs_per_second), |c| &c.logs),
        (metric_receiver, None, |c| &c.metric_points),
    ];
    for (receiver, rate, signal) in signals {
        if let Some(receiver) = receiver {
            dispatchers.spawn(dispatch(
                receiver,
                rate,
                pool.clone(),
                counters.clone(),
                signal,
                stop.clone(),
            ));
        }
    }
    let progress = options
        .progress_interval
        .map(|interval| tokio::spawn(report_progress(counters.clone(), interval)));

    let deadline = async {
        match options.duration {
            Some(duration) => tokio::time::sleep(duration).await,
            None => std::future::pending().await,
        }
    };
    tokio::select! {
        _ = shutdown => {}
        _ = deadline => {}
    }
    let _ = stop_sender.send(true);
    while dispatchers.join_next().await.is_some() {}
    let elapsed = started.elapsed();
    if let Some(progress) = progress {
        progress.abort();
    }
    producer
        .await
        .map_err(|e| LoadgenError::Generator(e.to_string()))?;
    let report = LoadgenReport::from_counters(
        &counters,
        elapsed,
        options.spans_per_second,
        options.connections,
    );
    tracing::info!(
        sent_spans = report.spans.sent,
        accepted_spans = report.spans.accepted,
        refused_spans = report.spans.refused,
        failed_spans = report.spans.failed,
        spans_per_second = report.achieved_spans_per_second as u64,
        "load generator finished"
    );
    Ok(report)
}

/// Logs a progress line every `interval` until aborted.
async fn report_progress(counters: Arc<Counters>, interval: Duration) {
    let mut ticker = tokio::time::interval(interval);
    ticker.tick().await;
    let mut previous = counters.spans.snapshot();
    loop {
        ticker.tick().await;
        let spans = counters.spans.snapshot();
        let logs = counters.logs.snapshot();
        let rate = (spans.accepted - previous.accepted) as f64 / interval.as_secs_f64();
        tracing::info!(
            sent_spans = spans.sent,
            accepted_spans = spans.accepted,
            refused_spans = spans.refused,
            failed_spans = spans.failed,
            accepted_logs = logs.accepted,
            spans_per_second = rate as u64,
            "load generator progress"
        );
        previous = spans;
    }
}

#[cfg(test)]
mod tests;
