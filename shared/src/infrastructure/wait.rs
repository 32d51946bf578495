//! Start-up: wait for PostgreSQL and Redis with backoff, saying what we wait for.

use std::future::Future;
use std::time::{Duration, Instant};

use diesel_async::{AsyncConnection, AsyncPgConnection};

use crate::config::redact_url;

#[derive(Debug, thiserror::Error)]
#[error("{what} at {target} did not answer within {waited:?}: {last_error}")]
pub struct WaitError {
    pub what: &'static str,
    pub target: String,
    pub waited: Duration,
    pub last_error: String,
}

/// Retries `attempt` with exponential backoff (100 ms doubling to 5 s) until `limit` passes.
pub async fn with_backoff<T, E, F, Fut>(
    what: &'static str,
    target: &str,
    limit: Duration,
    mut attempt: F,
) -> Result<T, WaitError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, E>>,
    E: std::fmt::Display,
{
    let started = Instant::now();
    let mut delay = Duration::from_millis(100);
    let mut tries = 0u32;
    loop {
        tries += 1;
        match attempt().await {
            Ok(value) => {
                if tries > 1 {
                    tracing::info!(what, target, tries, "available");
                }
                return Ok(value);
            }
            Err(err) => {
                let waited = started.elapsed();
                if waited + delay > limit {
                    return Err(WaitError {
                        what,
                        target: target.to_owned(),
                        waited,
                        last_error: err.to_string(),
                    });
                }
                tracing::warn!(what, target, tries, retry_in_ms = delay.as_millis() as u64, error = %err, "waiting");
                tokio::time::sleep(delay).await;
                delay = (delay * 2).min(Duration::from_secs(5));
            }
        }
    }
}

pub async fn postgres(url: &str, limit: Duration) -> Result<(), WaitError> {
    with_backoff("PostgreSQL", &redact_url(url), limit, || async {
        AsyncPgConnection::establish(url).await.map(drop)
    })
    .await
}

pub async fn redis(url: &str, limit: Duration) -> Result<(), WaitError> {
    with_backoff("Redis", &redact_url(url), limit, || async {
        let client = redis::Client::open(url)?;
        let mut conn = client.get_multiplexed_async_connection().await?;
        redis::cmd("PING")
            .query_async::<String>(&mut conn)
            .await
            .map(drop)
    })
    .await
}
