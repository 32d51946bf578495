//! The EventProcessor: claims `ap_activities` rows (`FOR UPDATE SKIP LOCKED` under a lease, so
//! several replicas share the work and a crashed one's claims come back), woken by
//! `LISTEN/NOTIFY` with polling as a fallback. Inbound activities go to the handlers; outbound
//! ones are turned into deliveries. At least once: handlers are idempotent.

use std::time::Duration;

use serde_json::Value;
use shared::activitypub::actors::LocalActor;
use shared::activitypub::store::Activity;
use shared::activitypub::{PUBLIC, id_of};
use shared::infrastructure::background;
use shared::{AppContext, AppError};

use super::{handlers, remote};
use crate::db::{activities, deliveries, follows};

const BATCH: i64 = 50;
const LEASE_SECS: i64 = 120;
const MAX_ATTEMPTS: i32 = 8;
const POLL: Duration = Duration::from_secs(5);

pub async fn run(ctx: AppContext) {
    let mut shutdown = ctx.shutdown_signal();
    let mut woken = background::listen(
        ctx.config().database.url.expose().to_owned(),
        &["ap_activities"],
    );
    loop {
        loop {
            match process_batch(&ctx).await {
                Ok(0) => break,
                Ok(_) => {
                    if *shutdown.borrow() {
                        return;
                    }
                }
                Err(e) => {
                    tracing::warn!(error = %e, "activity processing failed; retrying");
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

/// Processes one batch; returns how many activities it claimed.
pub async fn process_batch(ctx: &AppContext) -> Result<usize, AppError> {
    let claimed = {
        let mut conn = ctx.conn().await?;
        activities::claim_activities(&mut conn, BATCH, LEASE_SECS).await?
    };
    let n = claimed.len();
    for activity in claimed {
        let outcome = match activity.direction.as_str() {
            "inbound" => handlers::inbound(ctx, &activity).await,
            "outbound" => fan_out(ctx, &activity).await,
            _ => Ok(()),
        };
        let mut conn = ctx.conn().await?;
        match outcome {
            Ok(()) => activities::finish_activity(&mut conn, activity.id).await?,
            Err(e) => {
                tracing::warn!(activity = %activity.activity_id, error = %e, "activity failed");
                let retry = 30 * i64::from(activity.attempts.max(1)).pow(2);
                activities::fail_activity(
                    &mut conn,
                    activity.id,
                    &e.to_string(),
                    retry,
                    MAX_ATTEMPTS,
                )
                .await?;
            }
        }
    }
    Ok(n)
}

/// Where an outbound activity goes: its followers' (shared) inboxes, and any remote actor it
/// names in to/cc/audience or as its object (a Follow, an Accept).
async fn fan_out(ctx: &AppContext, activity: &Activity) -> Result<(), AppError> {
    // The apps' posts are kept for the social hub's timelines.
    crate::social::hooks::outbound(ctx, activity).await?;
    let config = ctx.config();
    let Some(sender) = LocalActor::from_id(config, &activity.actor) else {
        return Err(AppError::internal(format!(
            "{} is not one of our actors",
            activity.actor
        )));
    };
    let payload = &activity.payload;
    let mut inboxes = Vec::new();
    let addressed: Vec<String> = ["to", "cc", "audience"]
        .iter()
        .flat_map(|field| match &payload[*field] {
            Value::Array(items) => items
                .iter()
                .filter_map(id_of)
                .map(str::to_owned)
                .collect::<Vec<_>>(),
            v => id_of(v).map(str::to_owned).into_iter().collect::<Vec<_>>(),
        })
        .collect();
    let followers = sender.followers(config);
    if addressed.iter().any(|a| a == &followers || a == PUBLIC) {
        let mut conn = ctx.conn().await?;
        inboxes.extend(follows::follower_inboxes(&mut conn, &activity.actor).await?);
    }
    // Actors named directly: the followed actor of a Follow, the follower of an Accept, mentions.
    let mut direct: Vec<String> = addressed
        .into_iter()
        .filter(|a| a != PUBLIC && a != &followers)
        .collect();
    match activity.kind.as_str() {
        "Follow" => direct.extend(id_of(&payload["object"]).map(str::to_owned)),
        "Accept" | "Reject" => direct.extend(
            payload["object"]
                .get("actor")
                .and_then(id_of)
                .map(str::to_owned),
        ),
        "Undo" => direct.extend(
            payload["object"]
                .get("object")
                .and_then(id_of)
                .map(str::to_owned),
        ),
        // A report goes to the reported actor's server: the first of its objects.
        "Flag" => direct.extend(
            match &payload["object"] {
                Value::Array(items) => items.first(),
                other => Some(other),
            }
            .and_then(id_of)
            .map(str::to_owned),
        ),
        _ => {}
    }
    for actor in direct {
        if LocalActor::is_local_iri(config, &actor) {
            continue;
        }
        match remote::actor(ctx, &actor).await {
            Ok(remote) => inboxes.push(remote.shared_inbox.unwrap_or(remote.inbox)),
            Err(e) => tracing::warn!(%actor, error = %e, "cannot address an actor"),
        }
    }
    inboxes.sort();
    inboxes.dedup();
    let mut conn = ctx.conn().await?;
    let queued = deliveries::queue_deliveries(&mut conn, activity.id, &inboxes).await?;
    tracing::debug!(activity = %activity.activity_id, queued, "deliveries queued");
    // A deleted account's `Delete` of its own actor: its followers have been addressed, and
    // are forgotten now (see `accounts::deletion`).
    if activity.kind == "Delete" && id_of(&payload["object"]) == Some(activity.actor.as_str()) {
        crate::db::account_deletion::forget_followers(&mut conn, &activity.actor).await?;
    }
    Ok(())
}
