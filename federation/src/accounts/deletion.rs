//! Deleting an account (issue 15 item 5): after the member proved it is them (their password,
//! or a current code from their authenticator) and typed their username, one transaction
//! anonymises and disables the `users` row, removes or revokes everything federation holds that
//! could act for them, queues `Delete{Person}` to their followers (and to whom they follow)
//! through the outbox, and publishes [`AccountDeleted`] on the bus, where each app's consumer
//! applies its policy to its own rows. After the commit, the sign-on sessions are ended
//! everywhere (revocation mark, back-channel logout) and the access tokens dropped from Redis.
//! The README's "Deleting an account" gives the order of operations and why.

use diesel_async::AsyncConnection;
use serde_json::json;
use shared::activitypub::actors::LocalActor;
use shared::activitypub::{bus, outbox};
use shared::contracts::events::AccountDeleted;
use shared::{AppContext, AppError};

use crate::db::account_deletion as rows;
use crate::oauth::end_sso_session;
use crate::state::FederationState;

/// What a deletion did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Deleted {
    pub actor: String,
    /// Sign-on sessions ended after the commit.
    pub sessions_ended: usize,
}

/// The `Delete` of the member's own actor, addressed to the public (as `outbox::activity`
/// addresses everything), their followers and the
/// actors they followed (Mastodon sends the same when an account is deleted).
fn delete_person(ctx: &AppContext, me: &LocalActor, following: Vec<String>) -> serde_json::Value {
    let config = ctx.config();
    let id = me.id(config);
    let mut cc = vec![me.followers(config)];
    cc.extend(following);
    let mut activity = outbox::activity(config, me, "Delete", json!(id));
    activity["cc"] = json!(cc);
    activity
}

/// Deletes account `user_id` (already proven and confirmed by the caller). Idempotent: an
/// account already deleted changes nothing and returns `None`.
pub async fn delete(
    ctx: &AppContext,
    state: &FederationState,
    user_id: i64,
) -> Result<Option<Deleted>, AppError> {
    let config = ctx.config();
    let now = chrono::Utc::now();
    let done = {
        let mut conn = ctx.conn().await?;
        conn.transaction(async |conn| {
            let Some((username, address)) = rows::lock_live(conn, user_id).await? else {
                return Ok::<_, AppError>(None);
            };
            // Read before `anonymise` replaces it: account erases subscriptions made with it
            // while signed out (rows that carry no user id).
            let address_digest = AccountDeleted::address_digest(
                config.internal_secret.expose().as_bytes(),
                &address,
            )
            .map_err(AppError::internal)?;
            let me = LocalActor::User(username);
            let actor = me.id(config);
            let tokens = rows::revoke_refresh_tokens(conn, user_id).await?;
            rows::remove_grants_and_secrets(conn, user_id).await?;
            rows::remove_social_rows(conn, user_id).await?;
            let following = rows::take_following(conn, &actor).await?;
            rows::remove_actor_content(conn, &actor).await?;
            rows::anonymise(conn, user_id, now).await?;
            outbox::emit(conn, &delete_person(ctx, &me, following)).await?;
            bus::publish(
                conn,
                config,
                &LocalActor::App(shared::AppName::Federation),
                &AccountDeleted {
                    user_id,
                    actor: actor.clone(),
                    deleted_at: now,
                    address_digest: Some(address_digest),
                },
            )
            .await?;
            Ok(Some((actor, tokens)))
        })
        .await?
    };
    let Some((actor, tokens)) = done else {
        return Ok(None);
    };
    // After the commit (Redis and HTTP are outside the transaction): every sign-on session ends
    // as a sign-out would, and the access tokens of the revoked families go.
    let mut sids: Vec<String> = {
        let mut conn = ctx.redis().conn();
        redis::cmd("SMEMBERS")
            .arg(super::sign_ons::index_key(ctx.redis(), user_id))
            .query_async(&mut conn)
            .await?
    };
    let mut families: Vec<String> = Vec::new();
    for (sid, family) in tokens {
        sids.push(sid);
        families.push(family);
    }
    sids.sort();
    sids.dedup();
    families.sort();
    families.dedup();
    for sid in &sids {
        end_sso_session(ctx, state, sid, user_id).await?;
    }
    for family in &families {
        crate::oauth::issued_tokens::revoke_family(ctx, family).await?;
    }
    {
        let mut conn = ctx.redis().conn();
        redis::cmd("DEL")
            .arg(super::sign_ons::index_key(ctx.redis(), user_id))
            .query_async::<()>(&mut conn)
            .await?;
    }
    tracing::info!(user_id, sessions = sids.len(), "account deleted");
    Ok(Some(Deleted {
        actor,
        sessions_ended: sids.len(),
    }))
}
