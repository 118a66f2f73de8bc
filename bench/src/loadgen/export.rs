//! The moving parts of a load-generator run: the connection pool (one HTTP/2 connection per
//! gRPC channel, each with an in-flight limit), the generator thread that keeps a small queue
//! of ready export requests per signal, and the paced dispatchers that send them.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest;
use opentelemetry_proto::tonic::collector::logs::v1::logs_service_client::LogsServiceClient;
use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;
use opentelemetry_proto::tonic::collector::metrics::v1::metrics_service_client::MetricsServiceClient;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::collector::trace::v1::trace_service_client::TraceServiceClient;
use tokio::sync::{OwnedSemaphorePermit, Semaphore, mpsc, watch};
use tokio::task::JoinSet;
use tonic::codec::CompressionEncoding;
use tonic::metadata::AsciiMetadataValue;
use tonic::transport::{Channel, Endpoint};
use tonic::{Request, Status};

use super::report::{Counters, SignalOf};
use super::{LoadgenError, LoadgenOptions};
use crate::generator::{TrafficGenerator, data_points_in, log_records_in, spans_in};

/// How far a paced dispatcher may fall behind before it stops trying to catch up.
const MAX_CATCH_UP: Duration = Duration::from_secs(1);

/// A ready export request.
pub(crate) enum Payload {
    Traces(ExportTraceServiceRequest),
    Logs(ExportLogsServiceRequest),
    Metrics(ExportMetricsServiceRequest),
}

/// An export request and the number of items (spans, records, points) it carries.
pub(crate) struct Batch {
    payload: Payload,
    units: u64,
}

/// One gRPC channel with its clients and in-flight limit.
struct Connection {
    traces: TraceServiceClient<Channel>,
    logs: LogsServiceClient<Channel>,
    metrics: MetricsServiceClient<Channel>,
    permits: Arc<Semaphore>,
}

/// Separate HTTP/2 connections to the endpoint, used round-robin.
pub(crate) struct ConnectionPool {
    connections: Vec<Connection>,
    next: AtomicUsize,
    tenant: Option<AsciiMetadataValue>,
}

impl ConnectionPool {
    /// Opens `options.connections` channels; each `connect` is its own HTTP/2 connection.
    pub(crate) async fn connect(
        options: &LoadgenOptions,
        tenant: Option<AsciiMetadataValue>,
    ) -> Result<Self, LoadgenError> {
        let endpoint = Endpoint::from_shared(options.endpoint.clone())
            .map_err(|source| LoadgenError::InvalidEndpoint {
                endpoint: options.endpoint.clone(),
                source,
            })?
            .connect_timeout(Duration::from_secs(5))
            .timeout(Duration::from_secs(30))
            .tcp_nodelay(true);
        let mut connections = Vec::with_capacity(options.connections);
        for _ in 0..options.connections {
            let channel = endpoint
                .connect()
                .await
                .map_err(|source| LoadgenError::Connect {
                    endpoint: options.endpoint.clone(),
                    source,
                })?;
            let mut traces = TraceServiceClient::new(channel.clone());
            let mut logs = LogsServiceClient::new(channel.clone());
            let mut metrics = MetricsServiceClient::new(channel);
            if options.gzip {
                traces = traces
                    .send_compressed(CompressionEncoding::Gzip)
                    .accept_compressed(CompressionEncoding::Gzip);
                logs = logs
                    .send_compressed(CompressionEncoding::Gzip)
                    .accept_compressed(CompressionEncoding::Gzip);
                metrics = metrics
                    .send_compressed(CompressionEncoding::Gzip)
                    .accept_compressed(CompressionEncoding::Gzip);
            }
            let permits = Arc::new(Semaphore::new(options.max_in_flight_per_connection));
            connections.push(Connection {
                traces,
                logs,
                metrics,
                permits,
            });
        }
        Ok(Self {
            connections,
            next: AtomicUsize::new(0),
            tenant,
        })
    }

    /// Picks the next connection with a free in-flight slot, waiting on the round-robin choice
    /// when all are busy.
    async fn acquire(&self) -> (usize, OwnedSemaphorePermit) {
        let count = self.connections.len();
        let first = self.next.fetch_add(1, Ordering::Relaxed) % count;
        for offset in 0..count {
            let index = (first + offset) % count;
            if let Ok(permit) = self.connections[index].permits.clone().try_acquire_owned() {
                return (index, permit);
            }
        }
        let permit = self.connections[first]
            .permits
            .clone()
            .acquire_owned()
            .await
            .expect("semaphore is never closed");
        (first, permit)
    }

    fn request<T>(&self, message: T) -> Request<T> {
        let mut request = Request::new(message);
        if let Some(tenant) = &self.tenant {
            request
                .metadata_mut()
                .insert("x-scope-orgid", tenant.clone());
        }
        request
    }

    /// Exports `payload` on connection `index`; `Ok` carries the number of rejected items.
    async fn export(&self, index: usize, payload: Payload) -> Result<u64, Status> {
        let connection = &self.connections[index];
        let rejected = match payload {
            Payload::Traces(request) => {
                let response = connection
                    .traces
                    .clone()
                    .export(self.request(request))
                    .await?
                    .into_inner();
                response.partial_success.map_or(0, |p| p.rejected_spans)
            }
            Payload::Logs(request) => {
                let response = connection
                    .logs
                    .clone()
                    .export(self.request(request))
                    .await?
                    .into_inner();
                response
                    .partial_success
                    .map_or(0, |p| p.rejected_log_records)
            }
            Payload::Metrics(request) => {
                let response = connection
                    .metrics
                    .clone()
                    .export(self.request(request))
                    .await?
                    .into_inner();
                response
                    .partial_success
                    .map_or(0, |p| p.rejected_data_points)
            }
        };
        Ok(u64::try_from(rejected).unwrap_or(0))
    }
}

/// Queues the generator thread fills; a `None` signal is not generated.
pub(crate) struct Queues {
    pub traces: Option<mpsc::Sender<Batch>>,
    pub logs: Option<mpsc::Sender<Batch>>,
    pub metrics: Option<mpsc::Sender<Batch>>,
}

/// What the generator thread produces.
pub(crate) struct ProductionPlan {
    pub spans_per_second: u64,
    pub logs_per_second: u64,
    pub spans_per_batch: usize,
    pub logs_per_batch: usize,
    pub metrics_interval: Option<Duration>,
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64)
}

/// Generator-thread body: keeps the trace and log queues topped up in proportion to their
/// rates (so logs keep referring to recently exported spans) and emits a metrics snapshot every
/// interval. Returns when every queue's dispatcher has gone away.
pub(crate) fn produce(mut generator: TrafficGenerator, plan: ProductionPlan, queues: Queues) {
    let mut spans_made = 0u64;
    let mut logs_made = 0u64;
    let mut next_metrics = Instant::now();
    let all = [&queues.traces, &queues.logs, &queues.metrics];
    while all
        .iter()
        .any(|q| q.as_ref().is_some_and(|tx| !tx.is_closed()))
    {
        if let (Some(tx), Some(interval)) = (&queues.metrics, plan.metrics_interval)
            && Instant::now() >= next_metrics
        {
            let request = generator.metrics(unix_now());
            let units = data_points_in(&request) as u64;
            // A full queue means the previous snapshot is still unsent: skip this one.
            let _ = tx.try_send(Batch {
                payload: Payload::Metrics(request),
                units,
            });
            next_metrics += interval;
        }
        // Virtual time each stream has produced up to; serve the one furthest behind.
        let ready = |tx: &Option<mpsc::Sender<Batch>>, made: u64, rate: u64| {
            tx.as_ref()
                .filter(|tx| !tx.is_closed() && tx.capacity() > 0 && rate > 0)
                .map(|_| made as f64 / rate as f64)
        };
        let traces_due = ready(&queues.traces, spans_made, plan.spans_per_second);
        let logs_due = ready(&queues.logs, logs_made, plan.logs_per_second);
        let traces_next = match (traces_due, logs_due) {
            (Some(t), Some(l)) => t <= l,
            (Some(_), None) => true,
            (None, Some(_)) => false,
            (None, None) => {
                std::thread::sleep(Duration::from_millis(1));
                continue;
            }
        };
        let (tx, batch) = if traces_next {
            let request = generator.traces(plan.spans_per_batch, unix_now());
            let units = spans_in(&request) as u64;
            spans_made += units;
            (
                &queues.traces,
                Batch {
                    payload: Payload::Traces(request),
                    units,
                },
            )
        } else {
            let request = generator.logs(plan.logs_per_batch, unix_now());
            let units = log_records_in(&request) as u64;
            logs_made += units;
            (
                &queues.logs,
                Batch {
                    payload: Payload::Logs(request),
                    units,
                },
            )
        };
        if let Some(tx) = tx {
            // Capacity was checked and this is the only sender, so the queue is not full;
            // a closed queue is noticed by the loop condition.
            let _ = tx.try_send(batch);
        }
    }
}

/// Resolves once `stop` turns true (or its sender is gone).
async fn stopped(stop: &mut watch::Receiver<bool>) {
    let _ = stop.wait_for(|stop| *stop).await;
}

/// Sends batches from `batches` at `rate` items per second (or as they arrive when `None`),
/// spreading them over the pool, until `stop`; then waits for exports in flight.
pub(crate) async fn dispatch(
    mut batches: mpsc::Receiver<Batch>,
    rate: Option<u64>,
    pool: Arc<ConnectionPool>,
    counters: Arc<Counters>,
    signal: SignalOf,
    mut stop: watch::Receiver<bool>,
) {
    let mut origin = Instant::now();
    let mut units_sent = 0u64;
    let mut in_flight = JoinSet::new();
    loop {
        if let Some(rate) = rate.filter(|&r| r > 0) {
            let due = origin + Duration::from_secs_f64(units_sent as f64 / rate as f64);
            let now = Instant::now();
            if now > due + MAX_CATCH_UP {
                origin += now - due - MAX_CATCH_UP;
            }
            tokio::select! {
                biased;
                _ = stopped(&mut stop) => break,
                _ = tokio::time::sleep_until(due.into()) => {}
            }
        }
        let batch = tokio::select! {
            biased;
            _ = stopped(&mut stop) => break,
            batch = batches.recv() => match batch {
                Some(batch) => batch,
                None => break,
            },
        };
        let (index, permit) = tokio::select! {
            biased;
            _ = stopped(&mut stop) => break,
            acquired = pool.acquire() => acquired,
        };
        units_sent += batch.units;
        signal(&counters).sent(batch.units);
        let (pool, counters) = (pool.clone(), counters.clone());
        in_flight.spawn(async move {
            let started = Instant::now();
            let result = pool.export(index, batch.payload).await;
            drop(permit);
            counters.finished(started.elapsed(), &result);
            signal(&counters).outcome(batch.units, &result);
        });
        while in_flight.try_join_next().is_some() {}
    }
    drop(batches);
    while in_flight.join_next().await.is_some() {}
}
