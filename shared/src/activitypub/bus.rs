//! The fleet's internal event bus: local (and outbound) activities in `ap_activities`, read by
//! each app's consumer with its own cursor. An app subscribes handlers by activity type and
//! runs [`consume`] as a background task; handlers run at least once (a crash between a
//! handler and the cursor update repeats it), so they must be idempotent. Several replicas of an
//! app share one cursor: a transaction-scoped advisory lock lets one of them work at a time.

use std::time::Duration;

use diesel_async::{AnsiTransactionManager, AsyncPgConnection, TransactionManager};
use futures_util::future::LocalBoxFuture;

use super::store::{self, Activity, Position};
use crate::infrastructure::app::AppContext;
use crate::infrastructure::background;
use crate::infrastructure::errors::AppError;

/// Handles one event.
pub type Handler =
    for<'a> fn(&'a AppContext, &'a Activity) -> LocalBoxFuture<'a, Result<(), AppError>>;

/// What one app's consumer listens for.
pub struct Subscriptions {
    /// The cursor's name (one per consuming app).
    pub consumer: &'static str,
    /// Handlers by activity type.
    pub handlers: &'static [(&'static str, Handler)],
}

impl Subscriptions {
    fn kinds(&self) -> Vec<&'static str> {
        let mut kinds: Vec<_> = self.handlers.iter().map(|(k, _)| *k).collect();
        kinds.sort_unstable();
        kinds.dedup();
        kinds
    }
}

const BATCH: i64 = 100;
/// Rows of transactions that commit while others run become readable once those finish: poll
/// often enough that this costs little.
const POLL: Duration = Duration::from_secs(1);
/// A handler that keeps failing is retried this many times, then the event is skipped (logged).
const MAX_ATTEMPTS: u32 = 5;

/// Runs `subs` until the app shuts down.
pub async fn consume(ctx: AppContext, subs: &'static Subscriptions) {
    let mut shutdown = ctx.shutdown_signal();
    let mut woken = background::listen(
        ctx.config().database.url.expose().to_owned(),
        &["ap_activities"],
    );
    loop {
        loop {
            if *shutdown.borrow() {
                return;
            }
            match step(&ctx, subs).await {
                Ok(0) => break,
                Ok(_) => {}
                Err(e) => {
                    tracing::warn!(consumer = subs.consumer, error = %e, "event bus step failed");
                    break;
                }
            }
        }
        tokio::select! {
            _ = woken.recv() => {}
            _ = tokio::time::sleep(POLL) => {}
            _ = shutdown.changed() => return,
        }
    }
}

/// Handles one batch under the consumer's lock; returns how many events it handled.
pub async fn step(ctx: &AppContext, subs: &'static Subscriptions) -> Result<usize, AppError> {
    let mut conn = ctx.conn().await?;
    // By hand rather than `transaction()`: handlers' futures need not be `Send`.
    AnsiTransactionManager::begin_transaction(&mut *conn).await?;
    let outcome = batch(ctx, subs, &mut conn).await;
    match outcome {
        Ok(n) => {
            AnsiTransactionManager::commit_transaction(&mut *conn).await?;
            Ok(n)
        }
        Err(e) => {
            let _ = AnsiTransactionManager::rollback_transaction(&mut *conn).await;
            Err(e)
        }
    }
}

async fn batch(
    ctx: &AppContext,
    subs: &Subscriptions,
    conn: &mut AsyncPgConnection,
) -> Result<usize, AppError> {
    let Some(mut position): Option<Position> = store::lock_cursor(conn, subs.consumer).await?
    else {
        return Ok(0);
    };
    let events = store::bus_events(conn, position, &subs.kinds(), BATCH).await?;
    for event in &events {
        handle(ctx, subs, event).await;
        position = (event.txid, event.id);
    }
    if !events.is_empty() {
        store::set_cursor(conn, subs.consumer, position).await?;
    }
    Ok(events.len())
}

async fn handle(ctx: &AppContext, subs: &Subscriptions, event: &Activity) {
    for (kind, handler) in subs.handlers {
        if *kind != event.kind {
            continue;
        }
        let mut attempt = 1;
        while let Err(e) = handler(ctx, event).await {
            if attempt >= MAX_ATTEMPTS {
                tracing::error!(consumer = subs.consumer, event = %event.activity_id, error = %e,
                    "event handler keeps failing; skipping the event");
                break;
            }
            tracing::warn!(consumer = subs.consumer, event = %event.activity_id, error = %e, attempt,
                "event handler failed; retrying");
            tokio::time::sleep(Duration::from_millis(200 * u64::from(attempt))).await;
            attempt += 1;
        }
    }
}
