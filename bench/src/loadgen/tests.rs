//! Runs the load generator against an in-process OTLP/gRPC server and checks that the report
//! matches what the server saw.

use std::collections::HashSet;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::StreamExt;
use opentelemetry_proto::tonic::collector::logs::v1::logs_service_server::{
    LogsService, LogsServiceServer,
};
use opentelemetry_proto::tonic::collector::logs::v1::{
    ExportLogsPartialSuccess, ExportLogsServiceRequest, ExportLogsServiceResponse,
};
use opentelemetry_proto::tonic::collector::metrics::v1::metrics_service_server::{
    MetricsService, MetricsServiceServer,
};
use opentelemetry_proto::tonic::collector::metrics::v1::{
    ExportMetricsServiceRequest, ExportMetricsServiceResponse,
};
use opentelemetry_proto::tonic::collector::trace::v1::trace_service_server::{
    TraceService, TraceServiceServer,
};
use opentelemetry_proto::tonic::collector::trace::v1::{
    ExportTracePartialSuccess, ExportTraceServiceRequest, ExportTraceServiceResponse,
};
use tokio::sync::oneshot;
use tonic::codec::CompressionEncoding;
use tonic::transport::Server;
use tonic::transport::server::TcpIncoming;
use tonic::{Request, Response, Status};

use super::*;
use crate::generator::{data_points_in, log_records_in, spans_in};

/// How the test server answers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mode {
    /// Accept everything.
    Accept,
    /// Accept, but report one span / log record rejected per request (partial success).
    RejectOne,
    /// Refuse with `UNAVAILABLE`.
    Unavailable,
}

#[derive(Debug, Default)]
struct Received {
    accepted_spans: AtomicU64,
    rejected_spans: AtomicU64,
    accepted_logs: AtomicU64,
    rejected_logs: AtomicU64,
    points: AtomicU64,
    connections: AtomicU64,
    tenants: Mutex<HashSet<String>>,
}

#[derive(Clone)]
struct Sink {
    mode: Mode,
    received: Arc<Received>,
}

impl Sink {
    /// Records the tenant and returns how many of `items` to reject, or the refusal.
    fn admit<T>(&self, request: &Request<T>, items: usize) -> Result<u64, Status> {
        let tenant = request
            .metadata()
            .get("x-scope-orgid")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("-");
        self.received
            .tenants
            .lock()
            .unwrap()
            .insert(tenant.to_owned());
        match self.mode {
            Mode::Accept => Ok(0),
            Mode::RejectOne => Ok(u64::from(items > 0)),
            Mode::Unavailable => Err(Status::unavailable("server overloaded, retry later")),
        }
    }
}

#[tonic::async_trait]
impl TraceService for Sink {
    async fn export(
        &self,
        request: Request<ExportTraceServiceRequest>,
    ) -> Result<Response<ExportTraceServiceResponse>, Status> {
        let spans = spans_in(request.get_ref());
        let rejected = self.admit(&request, spans)?;
        self.received
            .accepted_spans
            .fetch_add(spans as u64 - rejected, Ordering::SeqCst);
        self.received
            .rejected_spans
            .fetch_add(rejected, Ordering::SeqCst);
        let partial_success = (rejected > 0).then(|| ExportTracePartialSuccess {
            rejected_spans: rejected as i64,
            error_message: "span dropped by test server".to_owned(),
        });
        Ok(Response::new(ExportTraceServiceResponse {
            partial_success,
        }))
    }
}

#[tonic::async_trait]
impl LogsService for Sink {
    async fn export(
        &self,
        request: Request<ExportLogsServiceRequest>,
    ) -> Result<Response<ExportLogsServiceResponse>, Status> {
        let records = log_records_in(request.get_ref());
        let rejected = self.admit(&request, records)?;
        self.received
            .accepted_logs
            .fetch_add(records as u64 - rejected, Ordering::SeqCst);
        self.received
            .rejected_logs
            .fetch_add(rejected, Ordering::SeqCst);
        let partial_success = (rejected > 0).then(|| ExportLogsPartialSuccess {
            rejected_log_records: rejected as i64,
            error_message: "record dropped by test server".to_owned(),
        });
        Ok(Response::new(ExportLogsServiceResponse { partial_success }))
    }
}

#[tonic::async_trait]
impl MetricsService for Sink {
    async fn export(
        &self,
        request: Request<ExportMetricsServiceRequest>,
    ) -> Result<Response<ExportMetricsServiceResponse>, Status> {
        let points = data_points_in(request.get_ref());
        self.admit(&request, 0)?;
        self.received
            .points
            .fetch_add(points as u64, Ordering::SeqCst);
        Ok(Response::new(ExportMetricsServiceResponse {
            partial_success: None,
        }))
    }
}

/// Starts the test server on 127.0.0.1:0; dropping the sender stops it.
async fn start_server(mode: Mode) -> (String, Arc<Received>, oneshot::Sender<()>) {
    let incoming = TcpIncoming::bind("127.0.0.1:0".parse().unwrap()).unwrap();
    let address = incoming.local_addr().unwrap();
    let received = Arc::new(Received::default());
    let sink = Sink {
        mode,
        received: received.clone(),
    };
    let counting = received.clone();
    let incoming = incoming.inspect(move |_| {
        counting.connections.fetch_add(1, Ordering::SeqCst);
    });
    let (stop, stopped) = oneshot::channel::<()>();
    let server = Server::builder()
        .add_service(
            TraceServiceServer::new(sink.clone()).accept_compressed(CompressionEncoding::Gzip),
        )
        .add_service(
            LogsServiceServer::new(sink.clone()).accept_compressed(CompressionEncoding::Gzip),
        )
        .add_service(MetricsServiceServer::new(sink).accept_compressed(CompressionEncoding::Gzip))
        .serve_with_incoming_shutdown(incoming, async {
            let _ = stopped.await;
        });
    tokio::spawn(server);
    (format!("http://{address}"), received, stop)
}

fn options(endpoint: String) -> LoadgenOptions {
    LoadgenOptions {
        endpoint,
        spans_per_second: 20_000,
        connections: 3,
        duration: Some(Duration::from_secs(1)),
        batch_spans: 256,
        logs_per_second: 2_000,
        metrics_interval: Some(Duration::from_millis(300)),
        tenant: Some("acme".to_owned()),
        gzip: true,
        seed: 9,
        max_in_flight_per_connection: 4,
        progress_interval: Some(Duration::from_millis(400)),
    }
}

fn assert_consistent(signal: &SignalReport) {
    assert_eq!(
        signal.sent,
        signal.accepted + signal.rejected + signal.refused + signal.failed,
        "{signal:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn report_matches_what_the_server_received() {
    let (endpoint, received, _stop) = start_server(Mode::Accept).await;
    let report = run_loadgen(options(endpoint), std::future::pending())
        .await
        .unwrap();
    println!("{report}");

    assert!(
        report.spans.sent > 0 && report.logs.sent > 0 && report.metric_points.sent > 0,
        "{report}"
    );
    for signal in [&report.spans, &report.logs, &report.metric_points] {
        assert_consistent(signal);
        assert_eq!(
            signal.refused + signal.failed + signal.rejected,
            0,
            "{report}"
        );
    }
    assert_eq!(
        report.spans.accepted,
        received.accepted_spans.load(Ordering::SeqCst)
    );
    assert_eq!(
        report.logs.accepted,
        received.accepted_logs.load(Ordering::SeqCst)
    );
    assert_eq!(
        report.metric_points.accepted,
        received.points.load(Ordering::SeqCst)
    );
    assert_eq!(
        received.connections.load(Ordering::SeqCst),
        3,
        "one HTTP/2 connection per channel"
    );
    assert_eq!(
        *received.tenants.lock().unwrap(),
        HashSet::from(["acme".to_owned()])
    );
    // Paced, never faster than the target (plus the batch sent at time zero).
    let ceiling = report.elapsed.as_secs_f64() * 20_000.0 + 2.0 * 300.0;
    assert!((report.spans.sent as f64) <= ceiling, "{report}");
    assert!(report.latency_max >= report.latency_p50 && report.latency_max > Duration::ZERO);
    assert!(report.to_string().contains("spans"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn partial_success_is_counted_as_rejected() {
    let (endpoint, received, _stop) = start_server(Mode::RejectOne).await;
    let options = LoadgenOptions {
        gzip: false,
        tenant: None,
        metrics_interval: None,
        ..options(endpoint)
    };
    let report = run_loadgen(options, std::future::pending()).await.unwrap();
    assert_consistent(&report.spans);
    assert_eq!(report.spans.rejected, report.spans.exports);
    assert_eq!(
        report.spans.rejected,
        received.rejected_spans.load(Ordering::SeqCst)
    );
    assert_eq!(
        report.spans.accepted,
        received.accepted_spans.load(Ordering::SeqCst)
    );
    assert_eq!(
        report.logs.rejected,
        received.rejected_logs.load(Ordering::SeqCst)
    );
    assert_eq!(
        *received.tenants.lock().unwrap(),
        HashSet::from(["-".to_owned()])
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unavailable_is_counted_as_refused_and_shutdown_stops_the_run() {
    let (endpoint, received, _stop) = start_server(Mode::Unavailable).await;
    let options = LoadgenOptions {
        duration: None,
        progress_interval: None,
        ..options(endpoint)
    };
    let shutdown = tokio::time::sleep(Duration::from_millis(700));
    let report = run_loadgen(options, shutdown).await.unwrap();
    assert!(report.spans.sent > 0);
    assert_eq!(report.spans.refused, report.spans.sent, "{report}");
    assert_eq!(report.logs.refused, report.logs.sent, "{report}");
    assert_eq!(report.spans.accepted, 0);
    assert_eq!(received.accepted_spans.load(Ordering::SeqCst), 0);
    assert!(
        report
            .last_error
            .as_deref()
            .is_some_and(|e| e.contains("Unavailable")),
        "{report}"
    );
    assert!(report.elapsed < Duration::from_secs(5));
}

#[tokio::test]
async fn bad_options_and_unreachable_endpoints_are_errors() {
    let zero = LoadgenOptions {
        connections: 0,
        ..LoadgenOptions::default()
    };
    assert!(matches!(
        run_loadgen(zero, async {}).await,
        Err(LoadgenError::InvalidOptions(_))
    ));
    let tenant = LoadgenOptions {
        tenant: Some("bad\ntenant".to_owned()),
        ..LoadgenOptions::default()
    };
    assert!(matches!(
        run_loadgen(tenant, async {}).await,
        Err(LoadgenError::InvalidTenant(_))
    ));
    // Bind then drop a listener to get a port nobody listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let closed = LoadgenOptions {
        endpoint: format!("http://127.0.0.1:{port}"),
        ..LoadgenOptions::default()
    };
    assert!(matches!(
        run_loadgen(closed, async {}).await,
        Err(LoadgenError::Connect { .. })
    ));
}
