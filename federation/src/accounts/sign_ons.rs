//! A member's sign-on sessions, so that a password change or reset can end every one of them
//! (federation's sessions, every app's sessions by back-channel logout, refresh-token families)
//! through the same path as a sign-out.

use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use shared::AppContext;
use shared::AppError;
use shared::db::schema::oauth_refresh_tokens;
use shared::infrastructure::redis::Redis;
use shared::infrastructure::session::SESSION_TTL;

use crate::oauth::end_sso_session;
use crate::state::FederationState;

fn key(redis: &Redis, user_id: i64) -> String {
    redis.key(format!("user-sign-ons:{user_id}"))
}

/// The Redis set of a member's sign-on session ids (account deletion reads and drops it).
pub(crate) fn index_key(redis: &Redis, user_id: i64) -> String {
    key(redis, user_id)
}

/// Records that `sid` is one of `user_id`'s sign-on sessions (at every sign-in).
pub async fn remember(redis: &Redis, user_id: i64, sid: &str) -> redis::RedisResult<()> {
    let mut conn = redis.conn();
    redis::pipe()
        .cmd("SADD")
        .arg(key(redis, user_id))
        .arg(sid)
        .ignore()
        .cmd("EXPIRE")
        .arg(key(redis, user_id))
        .arg(SESSION_TTL.as_secs())
        .ignore()
        .query_async::<()>(&mut conn)
        .await
}

/// What ending a member's sign-on sessions needs: the app (each app's back channel) and
/// federation's state (the clients it reached).
pub struct SignOns<'a> {
    pub ctx: &'a AppContext,
    pub state: &'a FederationState,
}

impl SignOns<'_> {
    /// See [`end_all_except`].
    pub async fn end_all_except(
        &self,
        user_id: i64,
        keep: Option<&str>,
    ) -> Result<usize, AppError> {
        end_all_except(self.ctx, self.state, user_id, keep).await
    }
}

/// Ends every sign-on session of `user_id` except `keep`, each as a sign-out would (revocation
/// mark, refresh tokens, back-channel logout to each app it reached). Sessions are found in the
/// member's index and, for those that predate it, through their live refresh tokens.
/// Returns how many were ended.
pub async fn end_all_except(
    ctx: &AppContext,
    state: &FederationState,
    user_id: i64,
    keep: Option<&str>,
) -> Result<usize, AppError> {
    let mut sids: Vec<String> = {
        let mut conn = ctx.redis().conn();
        redis::cmd("SMEMBERS")
            .arg(key(ctx.redis(), user_id))
            .query_async(&mut conn)
            .await?
    };
    let with_tokens: Vec<String> = {
        let mut conn = ctx.conn().await?;
        oauth_refresh_tokens::table
            .filter(oauth_refresh_tokens::user_id.eq(user_id))
            .filter(oauth_refresh_tokens::revoked_at.is_null())
            .select(oauth_refresh_tokens::sid)
            .distinct()
            .load(&mut conn)
            .await?
    };
    sids.extend(with_tokens);
    sids.sort();
    sids.dedup();
    let mut ended = 0;
    for sid in sids.iter().filter(|s| Some(s.as_str()) != keep) {
        end_sso_session(ctx, state, sid, user_id).await?;
        let mut conn = ctx.redis().conn();
        redis::cmd("SREM")
            .arg(key(ctx.redis(), user_id))
            .arg(sid)
            .query_async::<()>(&mut conn)
            .await?;
        ended += 1;
    }
    Ok(ended)
}
