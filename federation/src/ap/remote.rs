//! Remote actors: known ones from the database, others fetched (signed, as federation's own
//! actor) and remembered; handles resolved through WebFinger.

use shared::activitypub::actors::LocalActor;
use shared::activitypub::fetch::Signer;
use shared::activitypub::inbox::parse_actor;
use shared::activitypub::store::{self, RemoteActor};

use crate::db::remote_actors;
use shared::{AppContext, AppError, AppName};

/// How long a fetched actor is trusted before it is fetched again.
const FRESH_FOR: chrono::Duration = chrono::Duration::days(1);

pub async fn actor(ctx: &AppContext, iri: &str) -> Result<RemoteActor, AppError> {
    let known = {
        let mut conn = ctx.conn().await?;
        remote_actors::remote_actor(&mut conn, iri).await?
    };
    match known {
        Some(a) if a.deleted_at.is_none() && chrono::Utc::now() - a.fetched_at < FRESH_FOR => Ok(a),
        _ => refresh(ctx, iri).await,
    }
}

/// Fetches an actor again (its key may have changed).
pub async fn refresh(ctx: &AppContext, iri: &str) -> Result<RemoteActor, AppError> {
    let me = LocalActor::App(AppName::Federation);
    let key = ctx.activitypub().key_of(&me).await?;
    let key_id = me.key_id(ctx.config());
    let doc = ctx
        .activitypub()
        .fetcher
        .document(
            iri,
            Some(&Signer {
                key: &key,
                key_id: &key_id,
            }),
        )
        .await
        .map_err(|e| AppError::Unavailable(format!("fetching {iri}: {e}")))?;
    let published_key = doc["publicKey"]["id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    // `parse_actor` also refuses a key on another host than the actor (a server speaks only
    // for its own actors).
    let actor = parse_actor(&doc, &published_key).map_err(AppError::BadRequest)?;
    let mut conn = ctx.conn().await?;
    store::upsert_remote_actor(&mut conn, &actor).await?;
    // This process's inbox trusts the new key at once (others re-check within minutes, and on
    // any signature the old key fails).
    ctx.activitypub().public_keys.forget(&actor.key_id);
    Ok(actor)
}

/// `name@host` (or `@name@host`, or an actor URL) → the actor's id.
pub async fn resolve(ctx: &AppContext, handle: &str) -> Result<String, AppError> {
    let handle = handle.trim().trim_start_matches('@');
    if handle.starts_with("http://") || handle.starts_with("https://") {
        return Ok(handle.to_owned());
    }
    let (name, host) = handle
        .split_once('@')
        .ok_or_else(|| AppError::bad_request("Give a handle like name@example.org."))?;
    if name.is_empty() || host.is_empty() || host.contains('/') {
        return Err(AppError::bad_request(
            "Give a handle like name@example.org.",
        ));
    }
    let fetcher = &ctx.activitypub().fetcher;
    let url = format!(
        "{}://{host}/.well-known/webfinger?resource=acct:{name}@{host}",
        fetcher.scheme_for(host)
    );
    let jrd = fetcher
        .json(&url)
        .await
        .map_err(|e| AppError::bad_request(format!("Could not find {handle}: {e}")))?;
    jrd["links"]
        .as_array()
        .and_then(|links| {
            links.iter().find(|l| {
                l["rel"] == "self"
                    && l["type"]
                        .as_str()
                        .is_some_and(shared::activitypub::is_activity_content_type)
            })
        })
        .and_then(|l| l["href"].as_str())
        .map(str::to_owned)
        .ok_or_else(|| AppError::bad_request(format!("{handle} has no ActivityPub actor.")))
}
