//! The fleet's internal event bus: local (and outbound) activities in `ap_activities`, read by
//! each app's consumer with its own cursor. Producers [`publish`] the typed events of
//! [`crate::contracts::events`] inside the transaction of the change they describe; an app
//! subscribes handlers by event kind (decoding with [`decode`]) and runs [`consume`] as a
//! background task. Handlers run at least once (a crash between a handler and the cursor update
//! repeats it), so they must be idempotent. Several replicas of an app share one cursor: a
//! transaction-scoped advisory lock lets one of them work at a time.
//!
//! A handler that keeps failing does not stop its consumer: after [`MAX_ATTEMPTS`] tries with
//! backoff the event goes to the [`dead_letter`] (shown and counted on federation's /admin and
//! /metrics) and the consumer goes on with later events, as Sidekiq's dead set does for
//! Mastodon and crates.io's job queue does for its jobs. Order is kept where it matters, per
//! object: a later event about an object (its id in `object_id`) whose earlier event is in the
//! dead letter is held there behind it, so an edit never overtakes the reply it edits, nor a
//! refund its payment. An administrator re-queues a letter (with those held behind it); the
//! consumer runs re-queued letters first, in bus order.

pub mod dead_letter;

use std::time::Duration;

use diesel_async::{AnsiTransactionManager, AsyncPgConnection, TransactionManager};
use futures_util::future::LocalBoxFuture;

use super::actors::LocalActor;
use super::outbox;
use super::store::{self, Activity, Position};
use crate::config::Config;
use crate::contracts::events::BusEvent;
use crate::db::DbPool;
use crate::infrastructure::background;
use crate::infrastructure::errors::AppError;

/// Publishes `event` from `actor` (call inside the transaction of the change it describes: a
/// rollback takes both). Returns the event's row id (`None`: an event with its id existed).
pub async fn publish<E: BusEvent>(
    conn: &mut AsyncPgConnection,
    config: &Config,
    actor: &LocalActor,
    event: &E,
) -> diesel::QueryResult<Option<i64>> {
    let object = serde_json::to_value(event)
        .map_err(|e| diesel::result::Error::SerializationError(Box::new(e)))?;
    outbox::emit_local(conn, config, actor, E::KIND, object).await
}

/// The typed event a bus row carries; an error (the event goes to the dead letter after its
/// retries) when it is of another kind or does not decode.
pub fn decode<E: BusEvent>(event: &Activity) -> Result<E, AppError> {
    if event.kind != E::KIND {
        return Err(AppError::internal(format!(
            "event {} is a {}, not a {}",
            event.activity_id,
            event.kind,
            E::KIND
        )));
    }
    E::deserialize(&event.payload["object"]).map_err(|e| {
        AppError::internal(format!(
            "event {} does not decode as {}: {e}",
            event.activity_id,
            E::KIND
        ))
    })
}

/// What the bus needs of the context its handlers run in (an app's context implements it), so
/// the bus names no app type and runs with whatever context a consumer's handlers want.
pub trait BusContext: 'static {
    fn pool(&self) -> &DbPool;
    fn config(&self) -> &Config;
    /// Changes to `true` when the consumer should stop.
    fn shutdown_signal(&self) -> tokio::sync::watch::Receiver<bool>;
}

/// Handles one event.
pub type Handler<C> = for<'a> fn(&'a C, &'a Activity) -> LocalBoxFuture<'a, Result<(), AppError>>;

/// What one app's consumer listens for, with handlers that take the context `C`.
pub struct Subscriptions<C: 'static> {
    /// The cursor's name (one per consuming app).
    pub consumer: &'static str,
    /// Handlers by activity type.
    pub handlers: &'static [(&'static str, Handler<C>)],
}

impl<C> Subscriptions<C> {
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
/// A handler that keeps failing is run this many times in all, then the event goes to the dead
/// letter.
pub const MAX_ATTEMPTS: u32 = 5;
/// The wait before the second try; it doubles for each one after (0.1 + 0.2 + 0.4 + 0.8 s).
const FIRST_BACKOFF: Duration = Duration::from_millis(100);

/// Runs `subs` until the app shuts down.
pub async fn consume<C: BusContext>(ctx: C, subs: &'static Subscriptions<C>) {
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
pub async fn step<C: BusContext>(
    ctx: &C,
    subs: &'static Subscriptions<C>,
) -> Result<usize, AppError> {
    let mut conn = ctx.pool().get().await?;
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

async fn batch<C: BusContext>(
    ctx: &C,
    subs: &Subscriptions<C>,
    conn: &mut AsyncPgConnection,
) -> Result<usize, AppError> {
    let Some(mut position): Option<Position> = store::lock_cursor(conn, subs.consumer).await?
    else {
        return Ok(0);
    };
    // Letters an administrator re-queued run first, in bus order.
    let retried = dead_letter::queued(conn, subs.consumer, BATCH).await?;
    for (letter, event) in &retried {
        let held = match event.object_id.as_deref() {
            Some(object) => {
                dead_letter::blocks(conn, subs.consumer, object, Some((event.txid, event.id)))
                    .await?
            }
            None => false,
        };
        if held {
            dead_letter::record(conn, subs.consumer, event, 0, HELD).await?;
            continue;
        }
        match handle(ctx, subs, event).await {
            Ok(()) => dead_letter::resolve(conn, *letter).await?,
            Err((tries, e)) => {
                dead_letter::record(conn, subs.consumer, event, tries, &e).await?;
            }
        }
    }
    let events = store::bus_events(conn, position, &subs.kinds(), BATCH).await?;
    // Usually the dead letter is empty: then no event needs a look at it.
    let mut any_letters = !events.is_empty() && dead_letter::any(conn, subs.consumer).await?;
    for event in &events {
        position = (event.txid, event.id);
        if any_letters
            && let Some(object) = event.object_id.as_deref()
            && dead_letter::blocks(conn, subs.consumer, object, None).await?
        {
            dead_letter::record(conn, subs.consumer, event, 0, HELD).await?;
            continue;
        }
        if let Err((tries, e)) = handle(ctx, subs, event).await {
            dead_letter::record(conn, subs.consumer, event, tries, &e).await?;
            any_letters = true;
        }
    }
    if !events.is_empty() {
        store::set_cursor(conn, subs.consumer, position).await?;
    }
    Ok(retried.len() + events.len())
}

/// Why a letter that never ran waits in the dead letter.
const HELD: &str = "held behind an earlier event about the same object in the dead letter";

/// Runs `event` through every handler of its kind, each up to [`MAX_ATTEMPTS`] times with
/// backoff; a handler that fails every time gives its tries and last error. (A retry runs every
/// handler of the kind again: handlers are idempotent.)
async fn handle<C: BusContext>(
    ctx: &C,
    subs: &Subscriptions<C>,
    event: &Activity,
) -> Result<(), (i32, String)> {
    let mut failed = None;
    for (kind, handler) in subs.handlers {
        if *kind != event.kind {
            continue;
        }
        let mut attempt = 1;
        let mut backoff = FIRST_BACKOFF;
        while let Err(e) = handler(ctx, event).await {
            if attempt >= MAX_ATTEMPTS {
                tracing::error!(consumer = subs.consumer, event = %event.activity_id, error = %e,
                    "event handler keeps failing; the event goes to the dead letter");
                failed = Some((attempt as i32, e.to_string()));
                break;
            }
            tracing::warn!(consumer = subs.consumer, event = %event.activity_id, error = %e, attempt,
                "event handler failed; retrying");
            tokio::time::sleep(backoff).await;
            backoff *= 2;
            attempt += 1;
        }
    }
    failed.map_or(Ok(()), Err)
}
