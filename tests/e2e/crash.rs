//! Durability: exports in flight, `kill -9`, restart on the same data directory; every trace that
//! was acknowledged before the kill is complete after the restart. Blocks are cut often, so kills
//! also land during block writes.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use opentelemetry_proto::tonic::collector::trace::v1::trace_service_client::TraceServiceClient;

use crate::harness::Server;
use crate::support::*;

const SPANS_PER_TRACE: u8 = 5;

/// Exports traces in a loop until the server goes away; records each acknowledged trace id.
async fn export_until_failure(endpoint: String, acked: Arc<Mutex<Vec<[u8; 16]>>>) {
    let Ok(channel) = tonic::transport::Endpoint::from_shared(endpoint)
        .unwrap()
        .connect()
        .await
    else {
        return;
    };
    let mut client = TraceServiceClient::new(channel);
    loop {
        let trace_id = random_trace_id();
        let spans = (1..=SPANS_PER_TRACE)
            .map(|i| span(trace_id, i, &format!("op-{i}")))
            .collect();
        match client.export(trace_request("crash-test", spans)).await {
            Ok(_) => acked.lock().unwrap().push(trace_id),
            Err(_) => return,
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_traces_survive_kill_minus_9() {
    let dir = tempfile::tempdir().unwrap();
    // Small blocks: the background writer is busy while the kills land.
    let mut server = Server::start(dir.path(), "[storage]\nmax_block_rows = 500\n").await;
    let acked: Arc<Mutex<Vec<[u8; 16]>>> = Arc::default();
    for round in 0..3 {
        let writers: Vec<_> = (0..4)
            .map(|_| {
                tokio::spawn(export_until_failure(
                    server.grpc_endpoint(),
                    Arc::clone(&acked),
                ))
            })
            .collect();
        tokio::time::sleep(Duration::from_millis(1500 + 300 * round)).await;
        server.kill9();
        for writer in writers {
            writer.await.unwrap();
        }
        server.restart().await;
        let acked = acked.lock().unwrap().clone();
        assert!(!acked.is_empty(), "round {round}: nothing was acknowledged");
        let base = server.url("");
        for trace_id in &acked {
            let stored = fetch_trace(&base, trace_id, None).await;
            let spans = stored.map_or(0, |s| flatten_spans(&s).len());
            assert_eq!(
                spans,
                SPANS_PER_TRACE as usize,
                "round {round}: acknowledged trace {} lost spans\n{}",
                hex::encode(trace_id),
                server.log_text()
            );
        }
    }
    let log = server.log_text();
    assert!(
        log.contains("block written"),
        "blocks were cut during the test:\n{log}"
    );
}
