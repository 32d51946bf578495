//! The delivery worker: sends queued deliveries, signed by the activity's actor (RFC 9421 first,
//! draft-cavage for hosts that refuse it: `shared::activitypub::knock`), with a limit of
//! concurrent requests per host; retries with exponential backoff and jitter for about three
//! days (Mastodon's schedule); never retries a 4xx other than 401/408/429; gives up into the dead
//! letter (status `dead`, with the last error). Claims are leases in PostgreSQL, so a restart
//! loses nothing: unfinished claims come back.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use shared::activitypub::actors::LocalActor;
use shared::activitypub::fetch::Signer;
use shared::activitypub::store::Delivery;
use shared::infrastructure::background;
use shared::{AppContext, AppError};
use tokio::sync::Semaphore;

use crate::db::deliveries;

const BATCH: i64 = 100;
const LEASE_SECS: i64 = 120;
/// Attempts before the dead letter (with the backoff below: about three days).
pub const MAX_ATTEMPTS: i32 = 16;
/// Concurrent deliveries to one host, and in all.
const PER_HOST: usize = 4;
const IN_FLIGHT: usize = 64;
const POLL: Duration = Duration::from_secs(2);

/// Seconds before attempt `n + 1` after `n` failures: n⁴ + 15, plus up to half as much again.
pub fn backoff_secs(n: i32, jitter: f64) -> i64 {
    let base = i64::from(n).pow(4) + 15;
    base + (base as f64 * 0.5 * jitter.clamp(0.0, 1.0)) as i64
}

fn jitter() -> f64 {
    // Spreads retries; not a secret, so a failing RNG only means no spread.
    let b = shared::crypto::random_bytes::<2>().unwrap_or_default();
    f64::from(u16::from_le_bytes(b)) / f64::from(u16::MAX)
}

/// Whether an answer means "try again later".
pub fn retryable(status: u16) -> bool {
    !(200..500).contains(&status) || matches!(status, 401 | 408 | 429)
}

pub async fn run(ctx: AppContext) {
    let mut shutdown = ctx.shutdown_signal();
    let mut woken = background::listen(
        ctx.config().database.url.expose().to_owned(),
        &["ap_deliveries"],
    );
    let global = Arc::new(Semaphore::new(IN_FLIGHT));
    let mut hosts: HashMap<String, Arc<Semaphore>> = HashMap::new();
    loop {
        loop {
            if *shutdown.borrow() {
                // Wait for what is in flight, then stop.
                let _ = global.acquire_many(IN_FLIGHT as u32).await;
                return;
            }
            let claimed = match claim(&ctx).await {
                Ok(c) => c,
                Err(e) => {
                    tracing::warn!(error = %e, "claiming deliveries failed");
                    break;
                }
            };
            if claimed.is_empty() {
                break;
            }
            let mut claimed = claimed.into_iter();
            while let Some(delivery) = claimed.next() {
                let host = hosts
                    .entry(delivery.host.clone())
                    .or_insert_with(|| Arc::new(Semaphore::new(PER_HOST)))
                    .clone();
                let (Ok(g), Ok(h)) = (
                    global.clone().acquire_owned().await,
                    host.acquire_owned().await,
                ) else {
                    return;
                };
                if *shutdown.borrow() {
                    // Hand back what we have not started, for the next worker to take at once.
                    drop((g, h));
                    let rest: Vec<i64> = std::iter::once(delivery.id)
                        .chain(claimed.by_ref().map(|d| d.id))
                        .collect();
                    if let Err(e) = release(&ctx, &rest).await {
                        tracing::warn!(error = %e, "releasing deliveries failed; their lease will expire");
                    }
                    break;
                }
                let ctx = ctx.clone();
                actix_web::rt::spawn(async move {
                    if let Err(e) = deliver(&ctx, &delivery).await {
                        tracing::warn!(error = %e, "delivery bookkeeping failed");
                    }
                    drop((g, h));
                });
            }
        }
        tokio::select! {
            _ = woken.recv() => {}
            _ = tokio::time::sleep(POLL) => {}
            _ = shutdown.changed() => {}
        }
    }
}

async fn claim(ctx: &AppContext) -> Result<Vec<Delivery>, AppError> {
    let mut conn = ctx.conn().await?;
    Ok(deliveries::claim_deliveries(&mut conn, BATCH, LEASE_SECS).await?)
}

async fn release(ctx: &AppContext, ids: &[i64]) -> Result<(), AppError> {
    let mut conn = ctx.conn().await?;
    deliveries::release_deliveries(&mut conn, ids).await?;
    Ok(())
}

/// Sends one delivery and records the outcome.
pub async fn deliver(ctx: &AppContext, delivery: &Delivery) -> Result<(), AppError> {
    let (actor, payload) = {
        let mut conn = ctx.conn().await?;
        deliveries::activity_payload(&mut conn, delivery.activity_id).await?
    };
    let config = ctx.config();
    let outcome = match LocalActor::from_id(config, &actor) {
        Some(sender) => {
            let key = ctx.activitypub().key_of(&sender).await?;
            let key_id = sender.key_id(config);
            let body = payload.to_string();
            // RFC 9421 first, cavage on a refusal, the host's choice remembered.
            ctx.activitypub()
                .deliver(
                    &delivery.inbox,
                    body.as_bytes(),
                    &Signer {
                        key: &key,
                        key_id: &key_id,
                    },
                )
                .await
                .map_err(|e| e.to_string())
        }
        None => Err(format!("{actor} is not one of our actors")),
    };
    let mut conn = ctx.conn().await?;
    match outcome {
        Ok(status) if (200..300).contains(&status) => {
            deliveries::delivered(&mut conn, delivery.id, i32::from(status)).await?
        }
        Ok(status) => {
            let retry = (retryable(status) && delivery.attempts < MAX_ATTEMPTS).then(|| {
                chrono::Utc::now()
                    + chrono::Duration::seconds(backoff_secs(delivery.attempts, jitter()))
            });
            deliveries::undelivered(
                &mut conn,
                delivery.id,
                Some(i32::from(status)),
                &format!("answered {status}"),
                retry,
            )
            .await?;
        }
        Err(error) => {
            let retry = (delivery.attempts < MAX_ATTEMPTS).then(|| {
                chrono::Utc::now()
                    + chrono::Duration::seconds(backoff_secs(delivery.attempts, jitter()))
            });
            deliveries::undelivered(&mut conn, delivery.id, None, &error, retry).await?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn about_three_days_of_retries() {
        let total: i64 = (1..MAX_ATTEMPTS).map(|n| backoff_secs(n, 0.5)).sum();
        let days = total as f64 / 86_400.0;
        assert!((1.5..4.0).contains(&days), "{days} days");
        assert_eq!(backoff_secs(1, 0.0), 16);
        assert_eq!(backoff_secs(1, 1.0), 24);
    }

    #[test]
    fn which_answers_are_retried() {
        for s in [500, 502, 503, 401, 408, 429, 0] {
            assert!(retryable(s), "{s}");
        }
        for s in [400, 403, 404, 410, 422] {
            assert!(!retryable(s), "{s}");
        }
    }
}
