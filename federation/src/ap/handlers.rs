//! What inbound activities do. Each handler is idempotent (the processor may run one twice), and
//! none re-emits what it received: the only replies are Accepts of Follows, which themselves
//! never cause a reply. Remote HTML is sanitized before it is stored.

use chrono::{DateTime, Utc};
use diesel_async::AsyncConnection;
use serde_json::{Value, json};
use shared::activitypub::actors::LocalActor;
use shared::activitypub::fetch::FetchError;
use shared::activitypub::store::{Activity, Object, RemoteActor};
use shared::activitypub::{bus, id_of, outbox, sanitize};
use shared::contracts::events::{self, BusEvent};
use shared::{AppContext, AppError};

use super::remote;
use crate::db::{follows, objects, reactions, remote_actors};

/// Object types stored as posts.
const POST_TYPES: &[&str] = &["Note", "Article", "Page", "Question", "Event"];

pub async fn inbound(ctx: &AppContext, activity: &Activity) -> Result<(), AppError> {
    dispatch(ctx, activity).await?;
    // The social hub's notifications (idempotent, like the handlers).
    crate::social::hooks::inbound(ctx, activity).await
}

async fn dispatch(ctx: &AppContext, activity: &Activity) -> Result<(), AppError> {
    let payload = &activity.payload;
    match activity.kind.as_str() {
        "Follow" => follow(ctx, activity).await,
        "Undo" => undo(ctx, activity).await,
        "Join" => join(ctx, activity).await,
        "Leave" => leave(ctx, activity, &payload["object"]).await,
        "Accept" => accept(ctx, activity, true).await,
        "Reject" => accept(ctx, activity, false).await,
        "Create" => create(ctx, activity).await,
        "Update" => update(ctx, activity).await,
        "Delete" => delete(ctx, activity).await,
        "Like" | "Announce" => {
            if let Some(object) = id_of(&payload["object"]) {
                if activity.kind == "Announce" {
                    boosted_object(ctx, object).await?;
                }
                let mut conn = ctx.conn().await?;
                reactions::add_reaction(
                    &mut conn,
                    &activity.actor,
                    object,
                    &activity.kind,
                    &activity.activity_id,
                )
                .await?;
            }
            Ok(())
        }
        _ => Ok(()),
    }
}

/// The object an Announce boosts, stored from its origin: an embedded copy is never trusted (the
/// booster's server may say anything about a post hosted elsewhere), so an object we do not
/// hold yet is fetched, signed as federation's actor through the guarded fetcher, and kept only
/// if the origin answers with that very id, a post type, and an author on its own host.
async fn boosted_object(ctx: &AppContext, object_id: &str) -> Result<(), AppError> {
    if is_ours(ctx, object_id) {
        return Ok(());
    }
    {
        let mut conn = ctx.conn().await?;
        if objects::object(&mut conn, object_id).await?.is_some()
            || shared::activitypub::store::is_blocked(&mut conn, object_id).await?
        {
            return Ok(());
        }
    }
    let ap = ctx.activitypub();
    let me = LocalActor::App(shared::AppName::Federation);
    let key = ap.key_of(&me).await?;
    let key_id = me.key_id(ctx.config());
    let signer = shared::activitypub::fetch::Signer {
        key: &key,
        key_id: &key_id,
    };
    let doc = match ap.fetch_signed(object_id, &signer).await {
        Ok(doc) => doc,
        // Gone, refused or not a post: the boost stays unshown (nothing to retry).
        Err(
            e @ (FetchError::Status(400..=499)
            | FetchError::Forbidden(_)
            | FetchError::BadUrl(_)
            | FetchError::ContentType(_)
            | FetchError::Json(_)
            | FetchError::IdMismatch(_)
            | FetchError::TooLarge
            | FetchError::Redirects),
        ) => {
            tracing::info!(object = %object_id, error = %e, "boosted object not fetched");
            return Ok(());
        }
        Err(e) => {
            return Err(AppError::Unavailable(format!(
                "fetching the boosted {object_id}: {e}"
            )));
        }
    };
    let Some(row) = origin_row(object_id, &doc) else {
        tracing::info!(object = %object_id, "the origin's copy of a boosted object is not a post of its own");
        return Ok(());
    };
    // Its author, for the timeline's name and avatar (a post whose author cannot be fetched
    // still shows, under its address).
    if let Err(e) = remote::actor(ctx, &row.attributed_to).await {
        tracing::info!(author = %row.attributed_to, error = %e, "boosted post's author not fetched");
    }
    let mut conn = ctx.conn().await?;
    objects::insert_object(&mut conn, &row).await?;
    Ok(())
}

/// A fetched object as we store it, when the origin's document is the object asked for
/// (`id` exactly), a post type and attributed to an actor on the object's own host.
fn origin_row(object_id: &str, doc: &Value) -> Option<Object> {
    if doc.get("id").and_then(Value::as_str) != Some(object_id) {
        return None;
    }
    let author = doc.get("attributedTo").and_then(id_of)?;
    let host = shared::activitypub::host_of(object_id);
    if host.is_none() || shared::activitypub::host_of(author) != host {
        return None;
    }
    let mut row = object_row_by(author, doc)?;
    row.attributed_to = author.to_owned();
    Some(row)
}

/// Follow of one of our actors → follower recorded, Accept (with the Follow embedded) sent.
async fn follow(ctx: &AppContext, activity: &Activity) -> Result<(), AppError> {
    let config = ctx.config();
    let Some(target) =
        id_of(&activity.payload["object"]).and_then(|o| LocalActor::from_id(config, o))
    else {
        return Ok(()); // not about one of ours
    };
    // A deleted member's actor takes no followers: nothing is stored and nothing answered
    // (its key signs nothing more, and its document answers 410 once its `Delete` is out).
    if let LocalActor::User(name) = &target {
        let mut conn = ctx.conn().await?;
        if shared::models::users::by_username(&mut conn, name)
            .await?
            .is_some_and(|u| u.is_deleted())
        {
            tracing::info!(follower = %activity.actor, %name, "follow of a deleted account ignored");
            return Ok(());
        }
    }
    let follower = remote::actor(ctx, &activity.actor).await?;
    let target_id = target.id(config);
    // A member may approve followers (the follow waits) or block this one (Reject).
    let decision = {
        let mut conn = ctx.conn().await?;
        crate::social::hooks::follow_decision(&mut conn, config, &target, &activity.actor).await?
    };
    use crate::social::hooks::FollowDecision;
    let accept = json!({
        "@context": shared::activitypub::AS_CONTEXT,
        "id": outbox::activity_id(config, &target),
        "type": if decision == FollowDecision::Refuse { "Reject" } else { "Accept" },
        "actor": target_id,
        "to": [activity.actor],
        "object": {
            "id": activity.activity_id,
            "type": "Follow",
            "actor": activity.actor,
            "object": target_id,
        },
    });
    let mut conn = ctx.conn().await?;
    let follow_id = activity.activity_id.clone();
    let follower_id = activity.actor.clone();
    conn.transaction(async |conn| {
        if decision != FollowDecision::Refuse {
            let pending = decision == FollowDecision::Pending;
            follows::add_follower(
                conn,
                &target_id,
                &follower_id,
                &follower.inbox,
                follower.shared_inbox.as_deref(),
                &follow_id,
                if pending { "pending" } else { "accepted" },
            )
            .await?;
            crate::social::hooks::followed(conn, config, &target_id, &follower_id, pending).await?;
        }
        if decision != FollowDecision::Pending {
            outbox::emit(conn, &accept).await?;
        }
        Ok::<_, diesel::result::Error>(())
    })
    .await?;
    Ok(())
}

async fn undo(ctx: &AppContext, activity: &Activity) -> Result<(), AppError> {
    let object = &activity.payload["object"];
    let kind = object
        .get("type")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let mut conn = ctx.conn().await?;
    if kind == "Follow" || kind.is_empty() {
        // Undo{Follow}: the follow's target is named inside it; without it, every follow goes.
        match object.get("object").and_then(id_of) {
            Some(target) => follows::remove_follower(&mut conn, target, &activity.actor).await?,
            None if kind == "Follow" => {
                follows::remove_follower_everywhere(&mut conn, &activity.actor).await?
            }
            None => 0,
        };
    }
    // Undo{Like|Announce}: only the undoing actor's own reaction goes (the inbox checked that
    // an embedded activity's actor is them).
    let reaction = match (kind, object.get("object").and_then(id_of)) {
        ("Like" | "Announce", Some(object_id)) => {
            Some(reactions::ReactionRef::Of { object_id, kind })
        }
        ("Like" | "Announce" | "", _) => id_of(object).map(reactions::ReactionRef::Activity),
        _ => None,
    };
    if let Some(which) = reaction {
        reactions::remove_reaction(&mut conn, &activity.actor, which).await?;
    }
    drop(conn);
    // Undo{Join} withdraws as Leave does (the inbox checked the Join's actor is the undoer).
    if kind == "Join" {
        leave(ctx, activity, &object["object"]).await?;
    }
    Ok(())
}

/// A remote actor's `Join` of one of our objects (an RSVP to an event): told to the fleet on
/// the bus; the object's app books them and answers from its own actor. The inbox verified that
/// the signing key is the actor's, so `activity.actor` is who asks.
async fn join(ctx: &AppContext, activity: &Activity) -> Result<(), AppError> {
    let Some(object) = id_of(&activity.payload["object"]).filter(|o| is_ours(ctx, o)) else {
        return Ok(());
    };
    let who = remote::actor(ctx, &activity.actor).await?;
    let name = who
        .name
        .filter(|n| !n.trim().is_empty())
        .or(who.preferred_username)
        .map(|n| n.trim().chars().take(200).collect::<String>());
    let event = events::RemoteJoin {
        join_id: activity.activity_id.clone(),
        actor: activity.actor.clone(),
        actor_name: name,
        object: object.to_owned(),
    };
    let mut conn = ctx.conn().await?;
    announce_reply(ctx, &mut conn, Some(event)).await?;
    Ok(())
}

/// A remote actor's `Leave` of one of our objects (or `Undo` of their Join).
async fn leave(ctx: &AppContext, activity: &Activity, object: &Value) -> Result<(), AppError> {
    let Some(object) = id_of(object).filter(|o| is_ours(ctx, o)) else {
        return Ok(());
    };
    let event = events::RemoteLeave {
        id: activity.activity_id.clone(),
        actor: activity.actor.clone(),
        object: object.to_owned(),
    };
    let mut conn = ctx.conn().await?;
    announce_reply(ctx, &mut conn, Some(event)).await?;
    Ok(())
}

/// Accept/Reject of a Follow we sent.
async fn accept(ctx: &AppContext, activity: &Activity, accepted: bool) -> Result<(), AppError> {
    let object = &activity.payload["object"];
    let Some(follow_id) = id_of(object) else {
        return Ok(());
    };
    let mut conn = ctx.conn().await?;
    if accepted {
        follows::accept_following(&mut conn, follow_id, &activity.actor).await?;
    } else {
        follows::remove_following(&mut conn, follow_id, &activity.actor).await?;
    }
    Ok(())
}

fn parse_time(v: &Value) -> Option<DateTime<Utc>> {
    v.as_str()
        .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
        .map(|t| t.with_timezone(&Utc))
}

/// The object of a Create/Update, as we store it (sanitized).
fn object_row(activity: &Activity, o: &Value) -> Option<Object> {
    object_row_by(&activity.actor, o)
}

/// An object as we store it (sanitized); `actor` is its author when it names none.
fn object_row_by(actor: &str, o: &Value) -> Option<Object> {
    let kind = o.get("type")?.as_str()?;
    if !POST_TYPES.contains(&kind) {
        return None;
    }
    Some(Object {
        id: o.get("id")?.as_str()?.to_owned(),
        kind: kind.to_owned(),
        attributed_to: o
            .get("attributedTo")
            .and_then(id_of)
            .unwrap_or(actor)
            .to_owned(),
        local: false,
        name: o.get("name").and_then(Value::as_str).map(sanitize::text),
        summary: o.get("summary").and_then(Value::as_str).map(sanitize::html),
        content: o
            .get("content")
            .and_then(Value::as_str)
            .map(sanitize::html)
            .unwrap_or_default(),
        url: object_url(o),
        in_reply_to: o.get("inReplyTo").and_then(id_of).map(str::to_owned),
        published: parse_time(&o["published"]),
        updated: parse_time(&o["updated"]),
        likes: 0,
        announces: 0,
        payload: {
            // Attachments, icons and links are kept only as http(s) addresses.
            let mut payload = o.clone();
            sanitize::strip_bad_urls(&mut payload);
            payload
        },
        deleted_at: None,
        created_at: Utc::now(),
    })
}

/// An object's `url`: a string, a Link (`href`) or a list of either; the first http(s) one.
fn object_url(o: &Value) -> Option<String> {
    let one = |v: &Value| {
        v.as_str()
            .or_else(|| v.get("href").and_then(Value::as_str))
            .and_then(sanitize::web_url)
    };
    match o.get("url")? {
        Value::Array(items) => items.iter().find_map(one),
        v => one(v),
    }
}

async fn create(ctx: &AppContext, activity: &Activity) -> Result<(), AppError> {
    // Objects arrive embedded (the inbox checked their origin); a bare id would need a fetch.
    let object = &activity.payload["object"];
    let Some(row) = object
        .is_object()
        .then(|| object_row(activity, object))
        .flatten()
    else {
        return Ok(());
    };
    let reply_to_ours = row
        .in_reply_to
        .as_deref()
        .is_some_and(|target| is_ours(ctx, target));
    let author = if reply_to_ours {
        Some(remote::actor(ctx, &activity.actor).await?)
    } else {
        None
    };
    let mut conn = ctx.conn().await?;
    if !reply_to_ours && !concerns_us(ctx, &mut conn, activity, &row).await? {
        tracing::debug!(object = %row.id, actor = %activity.actor, "a post that concerns none of ours is not kept");
        return Ok(());
    }
    conn.transaction(async |conn| {
        let new = objects::insert_object(conn, &row).await?;
        if let (true, Some(author)) = (new, &author) {
            announce_reply(ctx, conn, reply_event(&row, author)).await?;
        }
        Ok::<_, diesel::result::Error>(())
    })
    .await?;
    Ok(())
}

/// Whether a remote post concerns us, as Mastodon decides before keeping one: it addresses or
/// mentions one of our actors, one of ours follows its author, or it replies to a post we keep
/// (so a thread we show stays whole). Anything else is not stored: a peer cannot fill our
/// database, or the federated timeline, with posts nobody here asked for.
async fn concerns_us(
    ctx: &AppContext,
    conn: &mut diesel_async::AsyncPgConnection,
    activity: &Activity,
    row: &Object,
) -> diesel::QueryResult<bool> {
    let object = &activity.payload["object"];
    let audience = ["to", "cc", "bto", "bcc", "audience"]
        .iter()
        .flat_map(|k| ids_in(&activity.payload[*k]).chain(ids_in(&object[*k])));
    let mentioned = object["tag"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|t| t["type"] == "Mention")
        .filter_map(|t| t["href"].as_str());
    if audience
        .chain(mentioned)
        .any(|id| LocalActor::from_id(ctx.config(), id).is_some())
    {
        return Ok(true);
    }
    if follows::followed_here(conn, &row.attributed_to).await? {
        return Ok(true);
    }
    match &row.in_reply_to {
        Some(parent) => objects::exists(conn, parent).await,
        None => Ok(false),
    }
}

/// The ids in an addressing field: one IRI, an object with an id, or a list of either.
fn ids_in(value: &Value) -> impl Iterator<Item = &str> {
    let list = match value {
        Value::Array(items) => items.as_slice(),
        other => std::slice::from_ref(other),
    };
    list.iter().filter_map(id_of)
}

/// Whether an IRI is on one of the fleet's hosts (a reply to one of our posts).
fn is_ours(ctx: &AppContext, iri: &str) -> bool {
    shared::AppName::ALL.iter().any(|app| {
        let origin = shared::infrastructure::app::origin(ctx.config().apps.public(*app));
        iri.strip_prefix(&origin)
            .is_some_and(|rest| rest.starts_with('/'))
    })
}

/// Tells the fleet (on the event bus) that a remote reply to one of our objects arrived,
/// changed or went (the blog shows approved replies as comments), or that someone joined or
/// left one (the events app books them).
async fn announce_reply<E: BusEvent>(
    ctx: &AppContext,
    conn: &mut diesel_async::AsyncPgConnection,
    event: Option<E>,
) -> diesel::QueryResult<()> {
    let Some(event) = event else {
        return Ok(());
    };
    bus::publish(
        conn,
        ctx.config(),
        &LocalActor::App(shared::AppName::Federation),
        &event,
    )
    .await
    .map(drop)
}

// Addresses are checked again when announced: actors and objects stored before the check may
// hold anything. `None` for an object that answers nothing (never announced).

fn reply_event(row: &Object, author: &RemoteActor) -> Option<events::Reply> {
    let name = author
        .name
        .clone()
        .filter(|n| !n.trim().is_empty())
        .or_else(|| author.preferred_username.clone())
        .unwrap_or_else(|| author.id.clone());
    Some(events::Reply {
        id: row.id.clone(),
        in_reply_to: row.in_reply_to.clone()?,
        attributed_to: row.attributed_to.clone(),
        content: row.content.clone(),
        published: row.published.unwrap_or(row.created_at),
        url: row.url.as_deref().and_then(sanitize::web_url),
        author_name: Some(name),
        author_url: author
            .url
            .as_deref()
            .and_then(sanitize::web_url)
            .or_else(|| sanitize::web_url(&author.id)),
    })
}

fn reply_updated_event(row: &Object) -> Option<events::ReplyUpdated> {
    Some(events::ReplyUpdated {
        id: row.id.clone(),
        in_reply_to: row.in_reply_to.clone()?,
        attributed_to: row.attributed_to.clone(),
        content: row.content.clone(),
        published: row.published.unwrap_or(row.created_at),
        url: row.url.as_deref().and_then(sanitize::web_url),
    })
}

fn reply_deleted_event(row: &Object) -> Option<events::ReplyDeleted> {
    Some(events::ReplyDeleted {
        id: row.id.clone(),
        in_reply_to: row.in_reply_to.clone()?,
        attributed_to: row.attributed_to.clone(),
    })
}

async fn update(ctx: &AppContext, activity: &Activity) -> Result<(), AppError> {
    let object = &activity.payload["object"];
    // An actor updating itself: refetch it (its key may have changed).
    if id_of(object) == Some(activity.actor.as_str()) {
        remote::refresh(ctx, &activity.actor).await?;
        return Ok(());
    }
    let Some(row) = object
        .is_object()
        .then(|| object_row(activity, object))
        .flatten()
    else {
        return Ok(());
    };
    // Edits apply only with `updated` (as Mastodon does), only forwards in time and never
    // from the future (an edit dated ahead would shadow every real one after it).
    let Some(updated) = row.updated else {
        return Ok(());
    };
    if updated > Utc::now() + shared::activitypub::inbox::UPDATED_SKEW {
        return Ok(());
    }
    let mut conn = ctx.conn().await?;
    match objects::object(&mut conn, &row.id).await? {
        None => {
            let reply_to_ours = row.in_reply_to.as_deref().is_some_and(|t| is_ours(ctx, t));
            if reply_to_ours || concerns_us(ctx, &mut conn, activity, &row).await? {
                objects::insert_object(&mut conn, &row).await?;
            }
            return Ok(());
        }
        // Only the object's author edits it, not anyone else on its host.
        Some(stored)
            if stored.attributed_to != activity.actor || row.attributed_to != activity.actor =>
        {
            tracing::info!(object = %row.id, actor = %activity.actor, "update by someone other than the author ignored");
            return Ok(());
        }
        Some(_) => {}
    }
    let reply_to_ours = row
        .in_reply_to
        .as_deref()
        .is_some_and(|target| is_ours(ctx, target));
    conn.transaction(async |conn| {
        let applied = objects::update_object(
            conn,
            &row.id,
            updated,
            row.name.as_deref(),
            row.summary.as_deref(),
            &row.content,
            &row.payload,
        )
        .await?;
        if applied && reply_to_ours {
            announce_reply(ctx, conn, reply_updated_event(&row)).await?;
        }
        Ok::<_, diesel::result::Error>(())
    })
    .await?;
    Ok(())
}

async fn delete(ctx: &AppContext, activity: &Activity) -> Result<(), AppError> {
    let Some(object) = id_of(&activity.payload["object"]) else {
        return Ok(());
    };
    let mut conn = ctx.conn().await?;
    if object == activity.actor {
        if let Some(gone) = remote_actors::remote_actor(&mut conn, object).await? {
            ctx.activitypub().public_keys.forget(&gone.key_id);
        }
        remote_actors::delete_remote_actor(&mut conn, object).await?;
        follows::remove_follower_everywhere(&mut conn, object).await?;
    } else {
        let stored = objects::object(&mut conn, object).await?;
        // Only the object's author deletes it, not anyone else on its host.
        if stored
            .as_ref()
            .is_some_and(|o| o.attributed_to != activity.actor)
        {
            tracing::info!(%object, actor = %activity.actor, "delete by someone other than the author ignored");
            return Ok(());
        }
        let reply_to_ours = stored.as_ref().is_some_and(|o| {
            o.attributed_to == activity.actor
                && o.in_reply_to.as_deref().is_some_and(|t| is_ours(ctx, t))
        });
        conn.transaction(async |conn| {
            objects::tombstone(conn, object).await?;
            if let (true, Some(row)) = (reply_to_ours, &stored) {
                announce_reply(ctx, conn, reply_deleted_event(row)).await?;
            }
            Ok::<_, diesel::result::Error>(())
        })
        .await?;
    }
    Ok(())
}
