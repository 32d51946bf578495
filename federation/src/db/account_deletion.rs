//! The writes of an account deletion on federation's own tables, each one statement, run in
//! the one transaction of `accounts::deletion` in the order the README's "Deleting an account"
//! gives. The `users` row is never deleted, so no `ON DELETE CASCADE` or `SET NULL` of the
//! other apps' foreign keys fires: each owner handles its rows in its `AccountDeleted` consumer.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use shared::db::schema::{
    ap_following, ap_objects, ap_reactions, oauth_consents, oauth_refresh_tokens, password_resets,
    recovery_codes, social_filters, social_notifications, social_reports, social_settings, users,
};

/// The name the row keeps once anonymised (bylines elsewhere show it).
pub const FORMER_MEMBER: &str = "Former member";

pub use shared::models::users::DELETED_DOMAIN;

/// Locks the member's row; their username and address, unless the account is already deleted.
pub async fn lock_live(
    conn: &mut AsyncPgConnection,
    user_id: i64,
) -> QueryResult<Option<(String, String)>> {
    users::table
        .find(user_id)
        .filter(users::email.not_like(format!("%@{DELETED_DOMAIN}")))
        .select((users::username, users::email))
        .for_update()
        .first(conn)
        .await
        .optional()
}

/// The sign-on sessions and token families of the member's live refresh tokens, then revokes
/// them all (a refresh grant checks `revoked_at`, so none works from this commit on).
pub async fn revoke_refresh_tokens(
    conn: &mut AsyncPgConnection,
    user_id: i64,
) -> QueryResult<Vec<(String, String)>> {
    diesel::update(
        oauth_refresh_tokens::table
            .filter(oauth_refresh_tokens::user_id.eq(user_id))
            .filter(oauth_refresh_tokens::revoked_at.is_null()),
    )
    .set(oauth_refresh_tokens::revoked_at.eq(diesel::dsl::now))
    .returning((oauth_refresh_tokens::sid, oauth_refresh_tokens::family_id))
    .get_results(conn)
    .await
}

/// Consents (so no client is silently re-authorised), recovery codes and reset links.
pub async fn remove_grants_and_secrets(
    conn: &mut AsyncPgConnection,
    user_id: i64,
) -> QueryResult<()> {
    diesel::delete(oauth_consents::table.filter(oauth_consents::user_id.eq(user_id)))
        .execute(conn)
        .await?;
    diesel::delete(recovery_codes::table.filter(recovery_codes::user_id.eq(user_id)))
        .execute(conn)
        .await?;
    diesel::delete(password_resets::table.filter(password_resets::user_id.eq(user_id)))
        .execute(conn)
        .await?;
    Ok(())
}

/// The member's social rows: notifications, filters and settings go; reports they made stay
/// for the moderators without naming them.
pub async fn remove_social_rows(conn: &mut AsyncPgConnection, user_id: i64) -> QueryResult<()> {
    diesel::delete(social_notifications::table.filter(social_notifications::user_id.eq(user_id)))
        .execute(conn)
        .await?;
    diesel::delete(social_filters::table.filter(social_filters::user_id.eq(user_id)))
        .execute(conn)
        .await?;
    diesel::delete(social_settings::table.filter(social_settings::user_id.eq(user_id)))
        .execute(conn)
        .await?;
    diesel::update(social_reports::table.filter(social_reports::reporter_id.eq(user_id)))
        .set(social_reports::reporter_id.eq(None::<i64>))
        .execute(conn)
        .await?;
    Ok(())
}

/// Whom the member's actor follows (they are told of the `Delete` too), forgetting them.
pub async fn take_following(conn: &mut AsyncPgConnection, actor: &str) -> QueryResult<Vec<String>> {
    diesel::delete(ap_following::table.filter(ap_following::local_actor.eq(actor)))
        .returning(ap_following::remote_actor)
        .get_results(conn)
        .await
}

/// The actor's likes and boosts go; its own notes are marked deleted and emptied (remote
/// servers drop them on the actor's `Delete`).
pub async fn remove_actor_content(conn: &mut AsyncPgConnection, actor: &str) -> QueryResult<()> {
    diesel::delete(ap_reactions::table.filter(ap_reactions::actor.eq(actor)))
        .execute(conn)
        .await?;
    diesel::update(
        ap_objects::table
            .filter(ap_objects::attributed_to.eq(actor))
            .filter(ap_objects::local.eq(true)),
    )
    .set((
        ap_objects::content.eq(""),
        ap_objects::name.eq(None::<String>),
        ap_objects::summary.eq(None::<String>),
        ap_objects::payload.eq(serde_json::json!({})),
        ap_objects::deleted_at.eq(diesel::dsl::now),
    ))
    .execute(conn)
    .await?;
    Ok(())
}

/// Anonymises the row and disables it (the address `deleted-<id>@deleted.invalid` marks it
/// deleted): no address, name, picture, bio,
/// password or second factor remains; the username stays reserved (it is the fediverse handle
/// remote servers know, and must not be taken by someone else).
pub async fn anonymise(
    conn: &mut AsyncPgConnection,
    user_id: i64,
    at: DateTime<Utc>,
) -> QueryResult<usize> {
    diesel::update(users::table.find(user_id))
        .set((
            users::email.eq(format!("deleted-{user_id}@{DELETED_DOMAIN}")),
            users::display_name.eq(FORMER_MEMBER),
            users::avatar_url.eq(None::<String>),
            users::bio.eq(""),
            users::role.eq("member"),
            users::password_hash.eq(None::<String>),
            users::totp_secret.eq(None::<String>),
            users::totp_enabled_at.eq(None::<DateTime<Utc>>),
            users::email_verified_at.eq(None::<DateTime<Utc>>),
            users::disabled_at.eq(Some(at)),
        ))
        .execute(conn)
        .await
}

/// Forgets who followed `actor`: run once its `Delete` has been addressed to them (the
/// processor's fan-out reads the followers, so they stay until then).
pub async fn forget_followers(conn: &mut AsyncPgConnection, actor: &str) -> QueryResult<usize> {
    use shared::db::schema::ap_followers;
    diesel::delete(ap_followers::table.filter(ap_followers::local_actor.eq(actor)))
        .execute(conn)
        .await
}
