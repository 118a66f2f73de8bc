//! Delivery against a real HTTP server on loopback: retries on 503 and refused connections
//! with backoff, no retry on 400, giving up, and the outbox surviving a save and load.

use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::post;
use serde_json::json;

use super::*;

const T0: i64 = 1_767_225_600_000;

/// Bodies received, and how many requests fail with 503 before the server answers 200.
#[derive(Default)]
struct Hook {
    received: Mutex<Vec<Json>>,
    failures_left: Mutex<u32>,
}

async fn flaky(State(hook): State<Arc<Hook>>, body: axum::Json<Json>) -> StatusCode {
    let mut left = hook.failures_left.lock().unwrap();
    if *left > 0 {
        *left -= 1;
        return StatusCode::SERVICE_UNAVAILABLE;
    }
    hook.received.lock().unwrap().push(body.0);
    StatusCode::OK
}

async fn server(failures: u32) -> (String, Arc<Hook>) {
    let hook = Arc::new(Hook::default());
    *hook.failures_left.lock().unwrap() = failures;
    let app = Router::new()
        .route("/hook", post(flaky))
        .route(
            "/bad",
            post(|| async { (StatusCode::BAD_REQUEST, "no such receiver") }),
        )
        .with_state(Arc::clone(&hook));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (base, hook)
}

fn policy() -> RetryPolicy {
    RetryPolicy {
        initial_backoff: Duration::from_secs(1),
        max_backoff: Duration::from_secs(4),
        give_up_after: Duration::from_secs(60),
        timeout: Duration::from_secs(5),
    }
}

#[tokio::test]
async fn retries_with_backoff_until_delivered() {
    let (base, hook) = server(2).await;
    let client = reqwest::Client::new();
    let mut outbox = Outbox::default();
    outbox.push(&format!("{base}/hook"), json!({"status": "firing"}), T0);
    let round = outbox.deliver_due(&client, &policy(), T0).await;
    assert_eq!(round.retrying, 1);
    assert_eq!(outbox.pending().next().unwrap().next_attempt_at, T0 + 1000);
    let round = outbox.deliver_due(&client, &policy(), T0 + 500).await;
    assert_eq!(round, RoundReport::default(), "not due yet");
    outbox.deliver_due(&client, &policy(), T0 + 1000).await;
    assert_eq!(
        outbox.pending().next().unwrap().next_attempt_at,
        T0 + 3000,
        "the wait doubles"
    );
    let round = outbox.deliver_due(&client, &policy(), T0 + 3000).await;
    assert_eq!(round.delivered, 1);
    assert_eq!(outbox.pending().count(), 0);
    assert_eq!(
        *hook.received.lock().unwrap(),
        vec![json!({"status": "firing"})]
    );
}

#[tokio::test]
async fn client_errors_are_not_retried_and_old_ones_are_dropped() {
    let (base, _hook) = server(0).await;
    let client = reqwest::Client::new();
    let mut outbox = Outbox::default();
    outbox.push(&format!("{base}/bad"), json!({}), T0);
    let round = outbox.deliver_due(&client, &policy(), T0).await;
    assert_eq!(round.dropped.len(), 1);
    assert!(round.dropped[0].contains("400"), "{:?}", round.dropped);
    assert!(round.dropped[0].contains("no such receiver"));

    // Nothing listens there: refused, retried, until give_up_after.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let dead = format!("http://{}/hook", listener.local_addr().unwrap());
    drop(listener);
    outbox.push(&dead, json!({}), T0);
    let round = outbox.deliver_due(&client, &policy(), T0).await;
    assert_eq!(round.retrying, 1);
    let round = outbox.deliver_due(&client, &policy(), T0 + 60_000).await;
    assert_eq!(round.dropped.len(), 1, "given up after a minute");
    assert_eq!(outbox.pending().count(), 0);
}

#[tokio::test]
async fn pending_notifications_survive_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("outbox.json");
    assert_eq!(Outbox::load(&path).unwrap(), Outbox::default());
    let (base, hook) = server(1).await;
    let client = reqwest::Client::new();
    let mut outbox = Outbox::default();
    outbox.push(&format!("{base}/hook"), json!({"n": 1}), T0);
    outbox.deliver_due(&client, &policy(), T0).await;
    outbox.save(&path).unwrap();
    let mut restored = Outbox::load(&path).unwrap();
    assert_eq!(restored, outbox);
    assert_eq!(
        restored
            .deliver_due(&client, &policy(), T0 + 1000)
            .await
            .delivered,
        1
    );
    assert_eq!(*hook.received.lock().unwrap(), vec![json!({"n": 1})]);
}
