//! What the social hub adds to the ActivityPub processor: notifications for what arrives, the
//! decision on a Follow of a member (accepted, a request, or refused when they block the
//! follower), and a local copy of what the fleet's apps publish so members who follow `@blog`,
//! `@market` or `@events` see it in their home timeline.

use diesel_async::AsyncPgConnection;
use serde_json::Value;
use shared::activitypub::actors::LocalActor;
use shared::activitypub::id_of;
use shared::activitypub::store::Activity;
use shared::config::Config;
use shared::{AppContext, AppError};

use crate::db::objects;
use crate::social::db::{filters, posts, settings};
use crate::social::domain::notify;

/// After an inbound activity was handled: who to notify.
pub async fn inbound(ctx: &AppContext, activity: &Activity) -> Result<(), AppError> {
    let config = ctx.config();
    let payload = &activity.payload;
    let mut conn = ctx.conn().await?;
    match activity.kind.as_str() {
        "Create" => {
            let object = &payload["object"];
            // Only what was stored, and only from its author.
            let Some(id) = id_of(object) else {
                return Ok(());
            };
            if posts::author_of(&mut conn, id).await?.as_deref() == Some(activity.actor.as_str()) {
                notify::post(&mut conn, config, &activity.actor, object).await?;
            }
        }
        "Like" | "Announce" => {
            if let Some(object) = id_of(&payload["object"]) {
                notify::reaction(
                    &mut conn,
                    config,
                    &activity.actor,
                    object,
                    &activity.kind,
                    true,
                )
                .await?;
            }
        }
        "Undo" => {
            let inner = &payload["object"];
            let kind = inner["type"].as_str().unwrap_or_default();
            if matches!(kind, "Like" | "Announce")
                && let Some(object) = inner.get("object").and_then(id_of)
            {
                notify::reaction(&mut conn, config, &activity.actor, object, kind, false).await?;
            }
        }
        "Update" => {
            if let Some(id) = id_of(&payload["object"])
                && id != activity.actor
                && posts::author_of(&mut conn, id).await?.as_deref()
                    == Some(activity.actor.as_str())
            {
                notify::edited(&mut conn, config, &activity.actor, id).await?;
            }
        }
        _ => {}
    }
    Ok(())
}

/// What happens to a Follow of one of our actors.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FollowDecision {
    Accept,
    /// The member approves followers: a request waits for them.
    Pending,
    /// The member blocks the follower (or their domain): Reject.
    Refuse,
}

pub async fn follow_decision(
    conn: &mut AsyncPgConnection,
    config: &Config,
    target: &LocalActor,
    follower: &str,
) -> Result<FollowDecision, AppError> {
    let Some(user_id) = notify::member_id(conn, config, &target.id(config)).await? else {
        return Ok(FollowDecision::Accept);
    };
    if filters::hides(conn, user_id, follower, true).await? {
        return Ok(FollowDecision::Refuse);
    }
    Ok(if settings::manually_approves(conn, user_id).await? {
        FollowDecision::Pending
    } else {
        FollowDecision::Accept
    })
}

/// A follow (or request) of a member was recorded.
pub async fn followed(
    conn: &mut AsyncPgConnection,
    config: &Config,
    target: &str,
    follower: &str,
    pending: bool,
) -> diesel::QueryResult<()> {
    notify::follow(conn, config, target, follower, pending).await
}

/// Object types an app's outbound Create publishes as a post.
const POST_TYPES: &[&str] = &["Note", "Article", "Page", "Question", "Event"];

/// Before an outbound activity is delivered: a post by one of the fleet's apps (not a
/// member's, which compose stored already) is kept as a local object, so it shows in the
/// local timeline and the home timelines of members who follow the app; edits and deletes
/// follow it.
pub async fn outbound(ctx: &AppContext, activity: &Activity) -> Result<(), AppError> {
    let config = ctx.config();
    let Some(LocalActor::App(_)) = LocalActor::from_id(config, &activity.actor) else {
        return Ok(());
    };
    let object = &activity.payload["object"];
    let mut conn = ctx.conn().await?;
    match activity.kind.as_str() {
        "Create" | "Update" if object.is_object() => {
            let Some(row) = local_row(activity, object) else {
                return Ok(());
            };
            if activity.kind == "Create" {
                objects::insert_object(&mut conn, &row).await?;
            } else if let Some(updated) = row.updated {
                objects::update_object(
                    &mut conn,
                    &row.id,
                    updated,
                    row.name.as_deref(),
                    row.summary.as_deref(),
                    &row.content,
                    &row.payload,
                )
                .await?;
            }
        }
        "Delete" => {
            if let Some(id) = id_of(object)
                && posts::author_of(&mut conn, id).await?.as_deref()
                    == Some(activity.actor.as_str())
            {
                objects::tombstone(&mut conn, id).await?;
            }
        }
        _ => {}
    }
    Ok(())
}

fn local_row(activity: &Activity, o: &Value) -> Option<shared::activitypub::store::Object> {
    let kind = o.get("type")?.as_str()?;
    if !POST_TYPES.contains(&kind) {
        return None;
    }
    let time = |v: &Value| {
        v.as_str()
            .and_then(|s| chrono::DateTime::parse_from_rfc3339(s).ok())
            .map(|t| t.with_timezone(&chrono::Utc))
    };
    Some(shared::activitypub::store::Object {
        id: o.get("id")?.as_str()?.to_owned(),
        kind: kind.to_owned(),
        attributed_to: activity.actor.clone(),
        local: true,
        name: o
            .get("name")
            .and_then(Value::as_str)
            .map(shared::activitypub::sanitize::text),
        summary: o
            .get("summary")
            .and_then(Value::as_str)
            .map(shared::activitypub::sanitize::html),
        content: o
            .get("content")
            .and_then(Value::as_str)
            .map(shared::activitypub::sanitize::html)
            .unwrap_or_default(),
        url: o
            .get("url")
            .and_then(Value::as_str)
            .and_then(shared::activitypub::sanitize::web_url),
        in_reply_to: o.get("inReplyTo").and_then(id_of).map(str::to_owned),
        published: time(&o["published"]),
        updated: time(&o["updated"]),
        likes: 0,
        announces: 0,
        payload: o.clone(),
        deleted_at: None,
        created_at: chrono::Utc::now(),
    })
}
