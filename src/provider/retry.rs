//! Retrying a request: rate limits, overload, server errors, broken
//! connections and cut streams are tried again with exponential backoff,
//! honouring the server's `Retry-After`.

use std::time::Duration;

use super::{Client, ProviderError, Reply, Request, StreamEvent};

/// How hard to try.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in all, the first included.
    pub max_attempts: u32,
    /// The wait before the first retry; it doubles each time.
    pub base_delay: Duration,
    /// The longest wait between attempts.
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> RetryPolicy {
        RetryPolicy {
            max_attempts: 5,
            base_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(30),
        }
    }
}

impl RetryPolicy {
    /// The wait before attempt `attempt` (2 for the first retry), after `error`.
    pub fn delay(&self, attempt: u32, error: &ProviderError) -> Duration {
        let backoff = self
            .base_delay
            .saturating_mul(1 << (attempt.saturating_sub(2)).min(16));
        error.retry_after().unwrap_or(backoff).min(self.max_delay)
    }
}

/// The request failed for good.
#[derive(Debug, Clone, PartialEq)]
pub struct GaveUp {
    /// Attempts made.
    pub attempts: u32,
    /// The last error.
    pub error: ProviderError,
}

impl std::fmt::Display for GaveUp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.attempts > 1 {
            write!(
                f,
                "{} (gave up after {} attempts)",
                self.error, self.attempts
            )
        } else {
            write!(f, "{}", self.error)
        }
    }
}

impl std::error::Error for GaveUp {}

/// Sends `request`, retrying what may succeed on another try.
pub async fn send(
    client: &Client,
    request: &Request,
    policy: RetryPolicy,
    on_event: &mut (dyn FnMut(StreamEvent) + Send),
) -> Result<Reply, GaveUp> {
    let mut attempt = 1;
    loop {
        match client.send_once(request, on_event).await {
            Ok(reply) => return Ok(reply),
            Err(error) if error.is_retryable() && attempt < policy.max_attempts => {
                attempt += 1;
                let delay = policy.delay(attempt, &error);
                on_event(StreamEvent::Retrying {
                    attempt,
                    delay,
                    reason: error.to_string(),
                });
                tokio::time::sleep(delay).await;
            }
            Err(error) => {
                return Err(GaveUp {
                    attempts: attempt,
                    error,
                });
            }
        }
    }
}
