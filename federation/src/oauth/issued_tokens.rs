//! The tokens the provider issues: authorization codes, access tokens, refresh tokens and
//! id_tokens, as they are minted, stored (by digest), redeemed and revoked. The HTTP endpoints
//! that exchange and inspect them are in `token_endpoints`.

use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use shared::crypto::{random_token, token_digest};
use shared::models::oauth::NewRefreshToken;
use shared::{AppContext, AppError};

use crate::db::oauth;
use crate::state::FederationState;

pub const CODE_TTL: Duration = Duration::from_secs(60);
pub const ACCESS_TOKEN_TTL: Duration = Duration::from_secs(600);
pub const ID_TOKEN_TTL: Duration = Duration::from_secs(600);
pub const REFRESH_TOKEN_TTL: Duration = Duration::from_secs(30 * 24 * 3600);
/// How long a used code is remembered, to recognise and punish its replay.
const USED_CODE_MEMORY: Duration = Duration::from_secs(3600);

/// What an authorization code stands for.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CodeGrant {
    pub client_id: String,
    pub redirect_uri: String,
    pub user_id: i64,
    pub scope: String,
    pub nonce: Option<String>,
    pub code_challenge: String,
    pub sid: String,
    pub auth_time: i64,
    /// Profile claims for the id_token, read when the code was issued.
    #[serde(default)]
    pub profile: Option<Profile>,
}

/// The profile claims an id_token carries (with the `profile` scope).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Profile {
    pub name: String,
    pub preferred_username: String,
    pub picture: Option<String>,
}

impl Profile {
    pub async fn of(ctx: &AppContext, user_id: i64) -> Result<Option<Profile>, AppError> {
        let mut conn = ctx.conn().await?;
        Ok(shared::models::users::by_id(&mut conn, user_id)
            .await?
            .map(|u| Profile {
                name: u.display_name,
                preferred_username: u.username,
                picture: u.avatar_url,
            }))
    }
}

/// What an access token stands for.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AccessGrant {
    pub user_id: i64,
    pub client_id: String,
    pub scope: String,
    pub sid: String,
    pub family_id: String,
    pub iat: i64,
    pub exp: i64,
}

fn code_key(ctx: &AppContext, code: &str) -> String {
    ctx.redis()
        .key(format!("oauth-code:{}", token_digest(code)))
}

fn used_code_key(ctx: &AppContext, code: &str) -> String {
    ctx.redis()
        .key(format!("oauth-code-used:{}", token_digest(code)))
}

fn access_key(ctx: &AppContext, token: &str) -> String {
    access_key_of_digest(ctx, &token_digest(token))
}

fn access_key_of_digest(ctx: &AppContext, digest: &str) -> String {
    ctx.redis().key(format!("oauth-at:{digest}"))
}

fn family_key(ctx: &AppContext, family: &str) -> String {
    ctx.redis().key(format!("oauth-at-family:{family}"))
}

/// Stores a new single-use code (hashed, 60 s).
pub async fn issue_code(ctx: &AppContext, grant: &CodeGrant) -> Result<String, AppError> {
    let code = random_token()?;
    let mut conn = ctx.redis().conn();
    redis::cmd("SET")
        .arg(code_key(ctx, &code))
        .arg(serde_json::to_string(grant).map_err(AppError::internal)?)
        .arg("EX")
        .arg(CODE_TTL.as_secs())
        .query_async::<()>(&mut conn)
        .await?;
    Ok(code)
}

/// What redeeming a code found.
pub enum Redeemed {
    Grant(Box<CodeGrant>),
    /// The code was redeemed before: here is the family it issued, to revoke.
    Replayed(Option<String>),
    Unknown,
}

/// Takes a code (once) and marks it used by `family`, in one round trip. A code already marked
/// is a replay (its first family comes back, to be revoked).
pub async fn redeem_code(ctx: &AppContext, code: &str, family: &str) -> Result<Redeemed, AppError> {
    let mut conn = ctx.redis().conn();
    let (raw, earlier): (Option<String>, Option<String>) = redis::pipe()
        .cmd("GETDEL")
        .arg(code_key(ctx, code))
        .cmd("SET")
        .arg(used_code_key(ctx, code))
        .arg(family)
        .arg("NX")
        .arg("GET")
        .arg("EX")
        .arg(USED_CODE_MEMORY.as_secs())
        .query_async(&mut conn)
        .await?;
    if let Some(grant) = raw.and_then(|r| serde_json::from_str::<CodeGrant>(&r).ok()) {
        return Ok(Redeemed::Grant(Box::new(grant)));
    }
    match earlier {
        Some(first) => Ok(Redeemed::Replayed(Some(first).filter(|f| !f.is_empty()))),
        None => {
            // Not a code we issued: forget the marker just set.
            redis::cmd("DEL")
                .arg(used_code_key(ctx, code))
                .query_async::<()>(&mut conn)
                .await?;
            Ok(Redeemed::Unknown)
        }
    }
}

pub async fn issue_access_token(ctx: &AppContext, grant: &AccessGrant) -> Result<String, AppError> {
    let token = random_token()?;
    let digest = token_digest(&token);
    let mut conn = ctx.redis().conn();
    redis::pipe()
        .cmd("SET")
        .arg(access_key_of_digest(ctx, &digest))
        .arg(serde_json::to_string(grant).map_err(AppError::internal)?)
        .arg("EX")
        .arg(ACCESS_TOKEN_TTL.as_secs())
        .ignore()
        .cmd("SADD")
        .arg(family_key(ctx, &grant.family_id))
        .arg(&digest)
        .ignore()
        .cmd("EXPIRE")
        .arg(family_key(ctx, &grant.family_id))
        .arg(ACCESS_TOKEN_TTL.as_secs())
        .ignore()
        .query_async::<()>(&mut conn)
        .await?;
    Ok(token)
}

pub async fn access_grant(ctx: &AppContext, token: &str) -> Result<Option<AccessGrant>, AppError> {
    let mut conn = ctx.redis().conn();
    let raw: Option<String> = redis::cmd("GET")
        .arg(access_key(ctx, token))
        .query_async(&mut conn)
        .await?;
    Ok(raw
        .and_then(|r| serde_json::from_str::<AccessGrant>(&r).ok())
        .filter(|g| g.exp > Utc::now().timestamp()))
}

pub async fn revoke_access_token(ctx: &AppContext, token: &str) -> Result<(), AppError> {
    let mut conn = ctx.redis().conn();
    redis::cmd("DEL")
        .arg(access_key(ctx, token))
        .query_async::<()>(&mut conn)
        .await?;
    Ok(())
}

/// Revokes a whole family: its refresh tokens (database) and access tokens (Redis).
pub async fn revoke_family(ctx: &AppContext, family: &str) -> Result<(), AppError> {
    {
        let mut conn = ctx.conn().await?;
        oauth::revoke_family(&mut conn, family).await?;
    }
    let mut conn = ctx.redis().conn();
    let digests: Vec<String> = redis::cmd("SMEMBERS")
        .arg(family_key(ctx, family))
        .query_async(&mut conn)
        .await?;
    let mut del = redis::cmd("DEL");
    del.arg(family_key(ctx, family));
    for d in &digests {
        del.arg(access_key_of_digest(ctx, d));
    }
    del.query_async::<()>(&mut conn).await?;
    tracing::warn!(%family, "token family revoked");
    Ok(())
}

/// A new refresh token in `family`.
pub async fn issue_refresh_token(
    ctx: &AppContext,
    family: &str,
    grant: &AccessGrant,
    auth_time: DateTime<Utc>,
) -> Result<String, AppError> {
    let token = random_token()?;
    let hash = token_digest(&token);
    let mut conn = ctx.conn().await?;
    oauth::insert_refresh_token(
        &mut conn,
        &NewRefreshToken {
            token_hash: &hash,
            family_id: family,
            client_id: &grant.client_id,
            user_id: grant.user_id,
            sid: &grant.sid,
            scope: &grant.scope,
            auth_time,
            expires_at: Utc::now()
                + chrono::Duration::from_std(REFRESH_TOKEN_TTL).unwrap_or_default(),
        },
    )
    .await?;
    Ok(token)
}

pub fn has_scope(scope: &str, wanted: &str) -> bool {
    scope.split_ascii_whitespace().any(|s| s == wanted)
}

/// The claims about a user that `scope` releases (userinfo, and the id_token's profile claims).
pub async fn user_claims(ctx: &AppContext, user_id: i64, scope: &str) -> Result<Value, AppError> {
    let user = {
        let mut conn = ctx.conn().await?;
        shared::models::users::by_id(&mut conn, user_id).await?
    }
    .ok_or_else(|| AppError::not_found("no such user"))?;
    let mut claims = json!({ "sub": user.id.to_string() });
    if has_scope(scope, "profile") {
        claims["name"] = json!(user.display_name);
        claims["preferred_username"] = json!(user.username);
        claims["profile"] =
            json!(shared::infrastructure::link_catalog::profile(&user.username).url(ctx));
        if let Some(avatar) = &user.avatar_url {
            claims["picture"] = json!(avatar);
        }
        claims["updated_at"] = json!(user.updated_at.timestamp());
        claims["role"] = json!(user.role);
    }
    if has_scope(scope, "email") {
        let verified = {
            let mut conn = ctx.conn().await?;
            crate::db::users::credentials_by_id(&mut conn, user_id)
                .await?
                .is_some_and(|c| c.email_verified_at.is_some())
        };
        claims["email"] = json!(user.email);
        claims["email_verified"] = json!(verified);
    }
    Ok(claims)
}

/// A signed id_token for `grant`.
pub async fn id_token(
    ctx: &AppContext,
    state: &FederationState,
    grant: &AccessGrant,
    nonce: Option<&str>,
    auth_time: i64,
    profile: Option<&Profile>,
) -> Result<String, AppError> {
    let now = Utc::now().timestamp();
    let mut claims = json!({
        "iss": super::issuer(ctx),
        "sub": grant.user_id.to_string(),
        "aud": grant.client_id,
        "azp": grant.client_id,
        "iat": now,
        "exp": now + ID_TOKEN_TTL.as_secs() as i64,
        "auth_time": auth_time,
        "sid": grant.sid,
    });
    if let Some(nonce) = nonce {
        claims["nonce"] = json!(nonce);
    }
    if let Some(p) = profile.filter(|_| has_scope(&grant.scope, "profile")) {
        claims["name"] = json!(p.name);
        claims["preferred_username"] = json!(p.preferred_username);
        if let Some(picture) = &p.picture {
            claims["picture"] = json!(picture);
        }
    }
    state
        .signing_key(ctx)
        .await?
        .sign("JWT", &claims)
        .map_err(AppError::internal)
}
