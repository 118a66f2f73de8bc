//! `sightline serve`: open the store (recovering from the WAL), bind the three listeners, serve
//! until SIGTERM or Ctrl-C, then stop accepting, finish in-flight requests and write every head
//! to a block.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use anyhow::Context;
use sightline_collector::OtlpReceiver;
use sightline_collector::derived::DerivedMetrics;
use sightline_collector::generator::{run_generator, store_derived_metrics};
use sightline_query::QueryState;
use sightline_query::rules::service::{AlertingService, load_rule_files};
use sightline_storage::{MemoryBudget, TelemetryStore};
use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::config::Config;
use crate::ops::{self, OpsState};

async fn bind(addr: &str, what: &str) -> anyhow::Result<TcpListener> {
    TcpListener::bind(addr)
        .await
        .with_context(|| format!("cannot listen for {what} on {addr}"))
}

/// Resolves when `shutdown` turns true.
async fn stopped(mut shutdown: watch::Receiver<bool>) {
    let _ = shutdown.wait_for(|stop| *stop).await;
}

async fn termination_signal() {
    let terminate = async {
        #[cfg(unix)]
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
        #[cfg(not(unix))]
        std::future::pending::<()>().await;
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = terminate => {}
    }
}

/// Reloads the alerting rules on every SIGHUP, as Prometheus does.
async fn reload_on_sighup(alerting: Arc<AlertingService>) {
    #[cfg(unix)]
    {
        let kind = tokio::signal::unix::SignalKind::hangup();
        let Ok(mut hangups) = tokio::signal::unix::signal(kind) else {
            return;
        };
        while hangups.recv().await.is_some() {
            if let Err(error) = alerting.reload().await {
                tracing::error!(%error, "reloading alerting rules failed; the old rules stay");
            }
        }
    }
    #[cfg(not(unix))]
    let _ = alerting;
}

/// Runs every role until a termination signal.
pub async fn run(config: Config, demo_spans_per_second: Option<u64>) -> anyhow::Result<()> {
    // Rule files are checked before anything starts: an invalid one stops here with the reason.
    let alerting_config = config
        .alerting
        .service_config(&config.data_dir, &config.http_addr)?;
    load_rule_files(&alerting_config.rule_files).map_err(|e| anyhow::anyhow!("alerting: {e}"))?;
    let memory = MemoryBudget::new(config.memory_limit_bytes());
    let (store, _recovery) = TelemetryStore::open_local(config.store_config(), memory)
        .await
        .with_context(|| format!("opening storage in {}", config.data_dir.display()))?;
    let generator = &config.metrics_generator;
    let derived = generator
        .enabled
        .then(|| Arc::new(DerivedMetrics::new(generator.derived_config())));
    let receiver =
        OtlpReceiver::with_derived_metrics(store.clone(), config.receiver.clone(), derived.clone());
    tokio::spawn(sample_resident_memory(Arc::clone(store.memory())));

    let grpc_listener = bind(&config.otlp_grpc_addr, "OTLP/gRPC").await?;
    let otlp_http_listener = bind(&config.otlp_http_addr, "OTLP/HTTP").await?;
    let http_listener = bind(&config.http_addr, "the query API").await?;
    let grpc_addr = grpc_listener.local_addr()?;
    let otlp_http_addr = otlp_http_listener.local_addr()?;
    let http_addr = http_listener.local_addr()?;

    let (shutdown, shutdown_watch) = watch::channel(false);
    let ready = Arc::new(AtomicBool::new(false));

    let grpc_server = tokio::spawn({
        let routes = sightline_collector::grpc::routes(receiver.clone());
        let incoming = tokio_stream::wrappers::TcpListenerStream::new(grpc_listener);
        tonic::transport::Server::builder()
            .add_routes(routes)
            .serve_with_incoming_shutdown(incoming, stopped(shutdown_watch.clone()))
    });
    let otlp_http_server = tokio::spawn(
        axum::serve(
            otlp_http_listener,
            sightline_collector::http::router(receiver.clone()),
        )
        .with_graceful_shutdown(stopped(shutdown_watch.clone()))
        .into_future(),
    );
    let query_state = QueryState {
        store: store.clone(),
        multitenancy_enabled: config.receiver.multitenancy_enabled,
    };
    let ops_state = OpsState {
        ready: Arc::clone(&ready),
        store: store.clone(),
        receiver: receiver.clone(),
    };
    let alerting = AlertingService::start(alerting_config, store.clone())
        .map_err(|e| anyhow::anyhow!("alerting: {e}"))?;
    let query_router = sightline_query::router(query_state)
        .merge(sightline_query::rules::service::routes(Arc::clone(
            &alerting,
        )))
        .merge(ops::routes(ops_state))
        .fallback(crate::ui::serve);
    let query_server = tokio::spawn(
        axum::serve(http_listener, query_router)
            .with_graceful_shutdown(stopped(shutdown_watch.clone()))
            .into_future(),
    );

    ready.store(true, Ordering::Release);
    tracing::info!(
        otlp_grpc = %grpc_addr,
        otlp_http = %otlp_http_addr,
        http = %http_addr,
        data_dir = %config.data_dir.display(),
        "sightline is ready"
    );

    let generator_task = derived.clone().map(|derived| {
        tokio::spawn(run_generator(
            derived,
            store.clone(),
            Duration::from_secs(generator.collection_interval_seconds),
            shutdown_watch.clone(),
        ))
    });

    tokio::spawn(Arc::clone(&alerting).run(shutdown_watch.clone()));
    tokio::spawn(reload_on_sighup(alerting));

    let demo = demo_spans_per_second.map(|rate| {
        tokio::spawn(show_demo_traces(
            store.clone(),
            http_addr,
            shutdown_watch.clone(),
        ));
        tokio::spawn(run_demo(grpc_addr, rate, shutdown_watch.clone()))
    });

    termination_signal().await;
    tracing::info!("shutting down: finishing in-flight requests and writing heads to blocks");
    ready.store(false, Ordering::Release);
    let _ = shutdown.send(true);
    if let Some(demo) = demo {
        let _ = demo.await;
    }
    wait_for_server("OTLP/gRPC", grpc_server).await;
    wait_for_server("OTLP/HTTP", otlp_http_server).await;
    wait_for_server("query", query_server).await;
    if !receiver
        .drain_derived_metrics(Duration::from_secs(10))
        .await
    {
        tracing::warn!("derived metrics: some exports were not observed before shutdown");
    }
    if let Some(task) = generator_task {
        let _ = task.await;
    }
    if let Some(derived) = &derived
        && let Err(error) = store_derived_metrics(derived, &store).await
    {
        tracing::warn!(%error, "storing derived metrics at shutdown failed");
    }
    store
        .shutdown()
        .await
        .context("writing heads to blocks at shutdown")?;
    tracing::info!("stopped");
    Ok(())
}

/// Feeds the process's resident memory to the memory budget ten times a second, so admission
/// control also sees what accounting misses (allocator caches, transient copies).
async fn sample_resident_memory(budget: Arc<MemoryBudget>) {
    let mut interval = tokio::time::interval(Duration::from_millis(100));
    loop {
        interval.tick().await;
        if let Some(bytes) = crate::ops::resident_memory_bytes() {
            budget.observe_resident_bytes(bytes as usize);
        }
    }
}

async fn wait_for_server<E: std::fmt::Display>(
    name: &str,
    server: tokio::task::JoinHandle<Result<(), E>>,
) {
    match tokio::time::timeout(Duration::from_secs(30), server).await {
        Ok(Ok(Ok(()))) => {}
        Ok(Ok(Err(error))) => tracing::error!(%error, "{name} server failed"),
        Ok(Err(error)) => tracing::error!(%error, "{name} server task failed"),
        Err(_) => tracing::warn!("{name} server did not stop within 30 s"),
    }
}

/// Every 30 s while demo traffic runs, logs where to see a trace that just arrived: its page in
/// the web UI and a ready-to-run `curl` of Tempo's API.
async fn show_demo_traces(
    store: TelemetryStore,
    http_addr: SocketAddr,
    shutdown: watch::Receiver<bool>,
) {
    let tenant = sightline_storage::TenantId::single_tenant();
    let port = http_addr.port();
    let mut interval = tokio::time::interval(Duration::from_secs(30));
    interval.tick().await;
    loop {
        tokio::select! {
            _ = stopped(shutdown.clone()) => return,
            _ = interval.tick() => {}
        }
        if let Some(id) = store.recent_trace_ids(&tenant).first() {
            let id = sightline_proto::TraceId(*id);
            tracing::info!(
                "a demo trace: http://localhost:{port}/trace/{id} (or curl -s http://localhost:{port}/api/v2/traces/{id})"
            );
        }
    }
}

/// Demo traffic: the load generator against our own OTLP/gRPC port at a gentle rate.
async fn run_demo(grpc_addr: SocketAddr, spans_per_second: u64, shutdown: watch::Receiver<bool>) {
    let port = grpc_addr.port();
    // A new seed each start: the generator is deterministic, and a restarted demo on the same
    // data directory would otherwise send the trace ids of its previous run again.
    let seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(1, |d| d.as_nanos() as u64);
    let options = sightline_bench::loadgen::LoadgenOptions {
        endpoint: format!("http://127.0.0.1:{port}"),
        seed,
        spans_per_second,
        logs_per_second: (spans_per_second / 4).max(1),
        connections: 1,
        metrics_interval: Some(Duration::from_secs(10)),
        progress_interval: None,
        ..Default::default()
    };
    tracing::info!(spans_per_second, "demo traffic started");
    match sightline_bench::loadgen::run_loadgen(options, stopped(shutdown)).await {
        Ok(report) => tracing::info!("demo traffic stopped:\n{report}"),
        Err(error) => tracing::error!(%error, "demo traffic failed"),
    }
}
