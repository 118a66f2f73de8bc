//! Delivering notifications: an outbox of pending POSTs, retried with exponential backoff
//! on 5xx answers, timeouts and refused connections (never on 4xx), saved to a file so that
//! pending notifications survive a restart.

use std::collections::VecDeque;
use std::path::Path;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::Value as Json;

/// One notification waiting to be delivered.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Outgoing {
    /// Where to POST it.
    pub url: String,
    /// The JSON body.
    pub body: Json,
    /// Failed attempts so far.
    pub attempts: u32,
    /// When the next attempt is due (unix ms).
    pub next_attempt_at: i64,
    /// When it was first queued (unix ms).
    pub queued_at: i64,
}

/// How failed deliveries are retried.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RetryPolicy {
    /// Wait after the first failure; doubled after each further one.
    pub initial_backoff: Duration,
    /// Longest wait between attempts.
    pub max_backoff: Duration,
    /// A notification still undelivered this long after it was queued is dropped.
    pub give_up_after: Duration,
    /// Timeout of one attempt.
    pub timeout: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            initial_backoff: Duration::from_secs(1),
            max_backoff: Duration::from_secs(60),
            give_up_after: Duration::from_secs(24 * 3600),
            timeout: Duration::from_secs(10),
        }
    }
}

/// Why one attempt failed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{message}")]
pub struct SendError {
    /// Worth another attempt (5xx, timeout, connection failure).
    pub retryable: bool,
    /// What happened.
    pub message: String,
}

/// POSTs `body` as JSON to `url` once.
pub async fn send_once(
    client: &reqwest::Client,
    url: &str,
    body: &Json,
    timeout: Duration,
) -> Result<(), SendError> {
    let response = client
        .post(url)
        .json(body)
        .timeout(timeout)
        .send()
        .await
        .map_err(|e| SendError {
            retryable: true,
            message: format!("POST {url}: {e}"),
        })?;
    let status = response.status();
    if status.is_success() {
        return Ok(());
    }
    let text = response.text().await.unwrap_or_default();
    Err(SendError {
        retryable: status.is_server_error() || status.as_u16() == 429,
        message: format!("POST {url}: {status}: {}", text.trim()),
    })
}

/// Notifications not yet delivered, oldest first.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Outbox {
    pending: VecDeque<Outgoing>,
}

/// What one delivery round did.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RoundReport {
    /// Delivered.
    pub delivered: usize,
    /// Failed for good (4xx, or retried past `give_up_after`), with the reason.
    pub dropped: Vec<String>,
    /// Failed, to be retried.
    pub retrying: usize,
}

impl Outbox {
    /// Queues `body` for `url` at `now` (unix ms).
    pub fn push(&mut self, url: &str, body: Json, now: i64) {
        self.pending.push_back(Outgoing {
            url: url.to_string(),
            body,
            attempts: 0,
            next_attempt_at: now,
            queued_at: now,
        });
    }

    /// The notifications waiting.
    pub fn pending(&self) -> impl Iterator<Item = &Outgoing> {
        self.pending.iter()
    }

    /// Attempts every notification due at `now`, in queue order.
    pub async fn deliver_due(
        &mut self,
        client: &reqwest::Client,
        policy: &RetryPolicy,
        now: i64,
    ) -> RoundReport {
        let mut report = RoundReport::default();
        let mut kept = VecDeque::with_capacity(self.pending.len());
        while let Some(mut item) = self.pending.pop_front() {
            if item.next_attempt_at > now {
                kept.push_back(item);
                continue;
            }
            match send_once(client, &item.url, &item.body, policy.timeout).await {
                Ok(()) => report.delivered += 1,
                Err(error) => {
                    let expired = now - item.queued_at >= policy.give_up_after.as_millis() as i64;
                    if !error.retryable || expired {
                        report.dropped.push(error.message);
                        continue;
                    }
                    item.attempts += 1;
                    let backoff = policy
                        .initial_backoff
                        .saturating_mul(1 << (item.attempts - 1).min(20))
                        .min(policy.max_backoff);
                    item.next_attempt_at = now + backoff.as_millis() as i64;
                    report.retrying += 1;
                    kept.push_back(item);
                }
            }
        }
        self.pending = kept;
        report
    }

    /// Writes the outbox to `path` atomically (a temporary file renamed over it).
    pub fn save(&self, path: &Path) -> std::io::Result<()> {
        crate::persist::save_json(path, self)
    }

    /// Reads an outbox saved by [`Outbox::save`]; empty when there is none.
    pub fn load(path: &Path) -> std::io::Result<Self> {
        match std::fs::read(path) {
            Ok(bytes) => serde_json::from_slice(&bytes).map_err(std::io::Error::other),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Self::default()),
            Err(e) => Err(e),
        }
    }
}

#[cfg(test)]
mod tests;
