//! Follows, follow requests, blocks and mutes, from a member's side. Follows of our own actors
//! (members, `@blog`, `@market`, `@events`) stay in our tables; follows of remote actors go out
//! as `Follow`, `Undo{Follow}`, `Accept`/`Reject` and `Block`, each with the original embedded
//! as Mastodon expects, in the same transaction as the change.

use diesel_async::AsyncConnection;
use serde_json::json;
use shared::activitypub::actors::{LocalActor, acct_host};
use shared::activitypub::{AS_CONTEXT, outbox};
use shared::{AppContext, AppError, AppName};

use super::notify;
use crate::ap::remote;
use crate::db::follows;
use crate::social::db::{filters, local_follows, settings};

/// `@name`, `name@host`, `@name@host` or an actor URL → the actor's id (ours or remote).
pub async fn resolve(ctx: &AppContext, input: &str) -> Result<String, AppError> {
    let config = ctx.config();
    let input = input.trim();
    let bare = input.trim_start_matches('@');
    if bare.is_empty() || bare.len() > 512 {
        return Err(AppError::bad_request(
            "Give a handle like name@example.org or an address.",
        ));
    }
    if input.starts_with("http://") || input.starts_with("https://") {
        let url = shared::activitypub::sanitize::web_url(input)
            .ok_or_else(|| AppError::bad_request("That is not a web address."))?;
        return Ok(match LocalActor::from_id(config, &url) {
            Some(local) => local.id(config),
            None => url,
        });
    }
    let (name, host) = match bare.split_once('@') {
        Some((n, h)) => (n, Some(h.to_ascii_lowercase())),
        None => (bare, None),
    };
    let ours = AppName::ALL
        .iter()
        .copied()
        .find(|app| host.as_deref().is_none_or(|h| h == acct_host(config, *app)));
    if let Some(app) = ours.filter(|_| host.is_some() || !name.contains('.')) {
        let actor = if AppName::ALL.iter().any(|a| a.as_str() == name)
            && (host.is_none() || app.as_str() == name)
        {
            AppName::ALL
                .iter()
                .copied()
                .find(|a| a.as_str() == name)
                .map(LocalActor::App)
        } else if app == AppName::Federation || host.is_none() {
            let mut conn = ctx.conn().await?;
            shared::models::users::by_username(&mut conn, name)
                .await?
                .map(|u| LocalActor::User(u.username))
        } else {
            None
        };
        return actor
            .map(|a| a.id(config))
            .ok_or_else(|| AppError::not_found(format!("There is no {bare} here.")));
    }
    let id = remote::resolve(ctx, bare).await?;
    Ok(match LocalActor::from_id(config, &id) {
        Some(local) => local.id(config),
        None => id,
    })
}

/// A member follows an actor: ours at once (or as a request, if the member followed approves
/// followers), a remote one by a `Follow` that their `Accept` completes.
pub async fn follow(
    ctx: &AppContext,
    user_id: i64,
    username: &str,
    target: &str,
) -> Result<(), AppError> {
    let config = ctx.config();
    let me = LocalActor::User(username.to_owned());
    let me_id = me.id(config);
    if target == me_id {
        return Err(AppError::bad_request("You cannot follow yourself."));
    }
    let mut conn = ctx.conn().await?;
    if filters::hides(&mut conn, user_id, target, true).await? {
        return Err(AppError::bad_request("You block them: unblock them first."));
    }
    if local_follows::following_state(&mut conn, &me_id, target)
        .await?
        .is_some()
    {
        return Ok(());
    }
    let Some(local) = LocalActor::from_id(config, target) else {
        drop(conn);
        crate::ap::follow(ctx, &me, target).await?;
        return Ok(());
    };
    let pending = match &local {
        LocalActor::App(_) => false,
        LocalActor::User(_) => {
            let target_user = notify::member_id(&mut conn, config, target)
                .await?
                .ok_or_else(|| AppError::not_found("There is no such member."))?;
            if filters::hides(&mut conn, target_user, &me_id, true).await? {
                return Err(AppError::Forbidden("You cannot follow this member.".into()));
            }
            settings::manually_approves(&mut conn, target_user).await?
        }
    };
    let follow_id = outbox::activity_id(config, &me);
    let state = if pending { "pending" } else { "accepted" };
    conn.transaction(async |conn| {
        local_follows::add(conn, &me_id, target, &follow_id, state).await?;
        notify::follow(conn, ctx.config(), target, &me_id, pending).await?;
        Ok::<_, diesel::result::Error>(())
    })
    .await?;
    Ok(())
}

/// Stops following (or withdraws a request): `Undo{Follow}` with the original Follow embedded.
pub async fn unfollow(ctx: &AppContext, username: &str, target: &str) -> Result<(), AppError> {
    let config = ctx.config();
    let me = LocalActor::User(username.to_owned());
    let me_id = me.id(config);
    let mut conn = ctx.conn().await?;
    let Some((follow_id, _)) = local_follows::following(&mut conn, &me_id, target).await? else {
        return Ok(());
    };
    let remote = !LocalActor::is_local_iri(config, target);
    let undo = json!({
        "@context": AS_CONTEXT,
        "id": format!("{follow_id}/undo"),
        "type": "Undo",
        "actor": me_id,
        "to": [target],
        "object": {"id": follow_id, "type": "Follow", "actor": me_id, "object": target},
    });
    conn.transaction(async |conn| {
        local_follows::remove(conn, &me_id, target).await?;
        if remote {
            outbox::emit(conn, &undo).await?;
        }
        Ok::<_, diesel::result::Error>(())
    })
    .await?;
    Ok(())
}

/// Answers a follow request (or, with `accept` false, removes a follower): for a remote
/// follower an `Accept` or `Reject` of their Follow, embedded.
pub async fn answer_follower(
    ctx: &AppContext,
    username: &str,
    follower: &str,
    accept: bool,
) -> Result<(), AppError> {
    let config = ctx.config();
    let me = LocalActor::User(username.to_owned());
    let me_id = me.id(config);
    let mut conn = ctx.conn().await?;
    if LocalActor::from_id(config, follower).is_some() {
        if local_follows::following_state(&mut conn, follower, &me_id)
            .await?
            .is_none()
        {
            return Err(AppError::not_found("They do not follow you."));
        }
        conn.transaction(async |conn| {
            if accept {
                local_follows::accept(conn, follower, &me_id).await?;
                notify::follow(conn, ctx.config(), &me_id, follower, false).await?;
            } else {
                local_follows::remove(conn, follower, &me_id).await?;
            }
            Ok::<_, diesel::result::Error>(())
        })
        .await?;
        return Ok(());
    }
    let Some((follow_id, _)) = local_follows::remote_follower(&mut conn, &me_id, follower).await?
    else {
        return Err(AppError::not_found("They do not follow you."));
    };
    let answer = json!({
        "@context": AS_CONTEXT,
        "id": outbox::activity_id(config, &me),
        "type": if accept { "Accept" } else { "Reject" },
        "actor": me_id,
        "to": [follower],
        "object": {"id": follow_id, "type": "Follow", "actor": follower, "object": me_id},
    });
    conn.transaction(async |conn| {
        if accept {
            local_follows::accept_remote_follower(conn, &me_id, follower).await?;
            notify::follow(conn, ctx.config(), &me_id, follower, false).await?;
        } else {
            follows::remove_follower(conn, &me_id, follower).await?;
        }
        outbox::emit(conn, &answer).await?;
        Ok::<_, diesel::result::Error>(())
    })
    .await?;
    Ok(())
}

/// Blocks or mutes an actor or a domain. A block of an actor also ends follows both ways and,
/// for a remote actor, sends them a `Block` (Mastodon then unfollows and hides).
pub async fn filter(
    ctx: &AppContext,
    user_id: i64,
    username: &str,
    kind: &str,
    target_kind: &str,
    target: &str,
) -> Result<(), AppError> {
    if !matches!(kind, "block" | "mute") || !matches!(target_kind, "actor" | "domain") {
        return Err(AppError::bad_request("Block or mute an actor or a domain."));
    }
    let config = ctx.config();
    let me = LocalActor::User(username.to_owned());
    let me_id = me.id(config);
    if target == me_id {
        return Err(AppError::bad_request("That is you."));
    }
    let target = if target_kind == "domain" {
        let d = target.trim().trim_start_matches('@').to_ascii_lowercase();
        if d.is_empty() || d.contains('/') || d.contains('@') || d.len() > 253 {
            return Err(AppError::bad_request("Give a domain like example.org."));
        }
        d
    } else {
        target.to_owned()
    };
    {
        let mut conn = ctx.conn().await?;
        filters::add(&mut conn, user_id, kind, target_kind, &target).await?;
    }
    if kind == "block" && target_kind == "actor" {
        unfollow(ctx, username, &target).await?;
        let mut conn = ctx.conn().await?;
        let follows_me = if LocalActor::from_id(config, &target).is_some() {
            local_follows::following_state(&mut conn, &target, &me_id)
                .await?
                .is_some()
        } else {
            local_follows::remote_follower(&mut conn, &me_id, &target)
                .await?
                .is_some()
        };
        drop(conn);
        if follows_me {
            answer_follower(ctx, username, &target, false).await?;
        }
        if !LocalActor::is_local_iri(config, &target) {
            let block = json!({
                "@context": AS_CONTEXT,
                "id": outbox::activity_id(config, &me),
                "type": "Block",
                "actor": me_id,
                "to": [target],
                "object": target,
            });
            let mut conn = ctx.conn().await?;
            outbox::emit(&mut conn, &block).await?;
        }
    }
    Ok(())
}

/// Lifts a block or mute (a remote actor's block is undone with `Undo{Block}`).
pub async fn unfilter(
    ctx: &AppContext,
    user_id: i64,
    username: &str,
    kind: &str,
    target_kind: &str,
    target: &str,
) -> Result<(), AppError> {
    let config = ctx.config();
    let me = LocalActor::User(username.to_owned());
    let me_id = me.id(config);
    let mut conn = ctx.conn().await?;
    let removed = filters::remove(&mut conn, user_id, kind, target_kind, target).await?;
    if removed
        && kind == "block"
        && target_kind == "actor"
        && !LocalActor::is_local_iri(config, target)
    {
        let id = outbox::activity_id(config, &me);
        let undo = json!({
            "@context": AS_CONTEXT,
            "id": format!("{id}/undo"),
            "type": "Undo",
            "actor": me_id,
            "to": [target],
            "object": {"id": id, "type": "Block", "actor": me_id, "object": target},
        });
        outbox::emit(&mut conn, &undo).await?;
    }
    Ok(())
}
