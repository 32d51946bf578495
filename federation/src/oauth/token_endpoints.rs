//! The back-channel endpoints that take or answer with tokens: `/oauth/token` (code and refresh
//! grants), `/oauth/revoke` (RFC 7009), `/oauth/introspect` (RFC 7662) and `/oauth/userinfo`.
//! What a token is and how it is stored lives in `issued_tokens`.

use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use serde_json::json;
use shared::crypto::{random_token, token_digest};
use shared::infrastructure::jose::b64url;
use shared::models::oauth::Client;
use shared::{AppContext, AppError};

use super::issued_tokens::{self, ACCESS_TOKEN_TTL, AccessGrant, Redeemed};
use super::{authenticate_client, issuer, oauth_error, unavailable};
use crate::db::oauth;
use crate::state::FederationState;

#[derive(Debug, Deserialize)]
pub struct TokenForm {
    grant_type: Option<String>,
    code: Option<String>,
    redirect_uri: Option<String>,
    code_verifier: Option<String>,
    refresh_token: Option<String>,
    scope: Option<String>,
    client_id: Option<String>,
    client_secret: Option<String>,
}

fn no_store_json(body: serde_json::Value) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((header::PRAGMA, "no-cache"))
        .json(body)
}

fn invalid_grant(description: &str) -> HttpResponse {
    oauth_error(StatusCode::BAD_REQUEST, "invalid_grant", description)
}

fn pkce_matches(verifier: &str, challenge: &str) -> bool {
    let well_formed = (43..=128).contains(&verifier.len())
        && verifier
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-._~".contains(&b));
    let computed = b64url(&shared::crypto::sha256(verifier.as_bytes()));
    well_formed
        && computed.len() == challenge.len()
        && shared::crypto::constant_time_eq(computed.as_bytes(), challenge.as_bytes())
}

/// `POST /oauth/token`.
pub async fn token(
    req: HttpRequest,
    ctx: web::Data<AppContext>,
    state: web::Data<FederationState>,
    form: web::Form<TokenForm>,
) -> HttpResponse {
    let client = match authenticate_client(
        &ctx,
        &state,
        &req,
        form.client_id.as_deref(),
        form.client_secret.as_deref(),
    )
    .await
    {
        Ok(c) => c,
        Err(res) => return res,
    };
    let result = match form.grant_type.as_deref() {
        Some("authorization_code") => code_grant(&ctx, &state, &client.client_id, &form).await,
        Some("refresh_token") => refresh_grant(&ctx, &state, &client.client_id, &form).await,
        Some(_) => {
            return oauth_error(
                StatusCode::BAD_REQUEST,
                "unsupported_grant_type",
                "use authorization_code or refresh_token",
            );
        }
        None => {
            return oauth_error(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                "grant_type is required",
            );
        }
    };
    result.unwrap_or_else(unavailable)
}

async fn code_grant(
    ctx: &AppContext,
    state: &FederationState,
    client_id: &str,
    form: &TokenForm,
) -> Result<HttpResponse, AppError> {
    let (Some(code), Some(redirect_uri), Some(verifier)) =
        (&form.code, &form.redirect_uri, &form.code_verifier)
    else {
        return Ok(oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "code, redirect_uri and code_verifier are required",
        ));
    };
    // The code is spent from here on, whatever happens next.
    let family = random_token()?;
    let grant = match issued_tokens::redeem_code(ctx, code, &family).await? {
        Redeemed::Grant(g) => g,
        Redeemed::Replayed(first) => {
            // A replayed code may be stolen: what it issued is revoked (RFC 9700 §4.2.4).
            if let Some(first) = first {
                issued_tokens::revoke_family(ctx, &first).await?;
            }
            return Ok(invalid_grant("the code was already used"));
        }
        Redeemed::Unknown => return Ok(invalid_grant("unknown or expired code")),
    };
    if grant.client_id != client_id {
        return Ok(invalid_grant("the code was issued to another client"));
    }
    if &grant.redirect_uri != redirect_uri {
        return Ok(invalid_grant(
            "redirect_uri does not match the authorization request",
        ));
    }
    if !pkce_matches(verifier, &grant.code_challenge) {
        return Ok(invalid_grant(
            "code_verifier does not match the code_challenge",
        ));
    }
    let now = chrono::Utc::now().timestamp();
    let access = AccessGrant {
        user_id: grant.user_id,
        client_id: grant.client_id.clone(),
        scope: grant.scope.clone(),
        sid: grant.sid.clone(),
        family_id: family.clone(),
        iat: now,
        exp: now + ACCESS_TOKEN_TTL.as_secs() as i64,
    };
    let auth_time =
        chrono::DateTime::from_timestamp(grant.auth_time, 0).unwrap_or_else(chrono::Utc::now);
    respond_with_tokens(
        ctx,
        state,
        &access,
        &family,
        grant.nonce.as_deref(),
        auth_time,
        grant.profile.as_ref(),
    )
    .await
}

async fn respond_with_tokens(
    ctx: &AppContext,
    state: &FederationState,
    access: &AccessGrant,
    family: &str,
    nonce: Option<&str>,
    auth_time: chrono::DateTime<chrono::Utc>,
    profile: Option<&issued_tokens::Profile>,
) -> Result<HttpResponse, AppError> {
    let access_token = issued_tokens::issue_access_token(ctx, access).await?;
    let refresh_token = issued_tokens::issue_refresh_token(ctx, family, access, auth_time).await?;
    let mut body = json!({
        "access_token": access_token,
        "token_type": "Bearer",
        "expires_in": ACCESS_TOKEN_TTL.as_secs(),
        "refresh_token": refresh_token,
        "scope": access.scope,
    });
    if issued_tokens::has_scope(&access.scope, "openid") {
        body["id_token"] = json!(
            issued_tokens::id_token(ctx, state, access, nonce, auth_time.timestamp(), profile)
                .await?
        );
    }
    Ok(no_store_json(body))
}

async fn refresh_grant(
    ctx: &AppContext,
    state: &FederationState,
    client_id: &str,
    form: &TokenForm,
) -> Result<HttpResponse, AppError> {
    let Some(presented) = &form.refresh_token else {
        return Ok(oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "refresh_token is required",
        ));
    };
    let row = {
        let mut conn = ctx.conn().await?;
        oauth::refresh_token(&mut conn, &token_digest(presented)).await?
    };
    let Some(row) = row else {
        return Ok(invalid_grant("unknown refresh token"));
    };
    if row.client_id != client_id {
        return Ok(invalid_grant(
            "the refresh token was issued to another client",
        ));
    }
    if row.revoked_at.is_some() {
        return Ok(invalid_grant("the refresh token was revoked"));
    }
    if row.rotated_at.is_some() {
        // Reuse of a rotated token: someone holds a copy. The whole family goes.
        issued_tokens::revoke_family(ctx, &row.family_id).await?;
        return Ok(invalid_grant("the refresh token was already used"));
    }
    if row.expires_at <= chrono::Utc::now() {
        return Ok(invalid_grant("the refresh token has expired"));
    }
    let scope = match &form.scope {
        Some(requested) => {
            if !requested
                .split_ascii_whitespace()
                .all(|s| issued_tokens::has_scope(&row.scope, s))
            {
                return Ok(oauth_error(
                    StatusCode::BAD_REQUEST,
                    "invalid_scope",
                    "more scope than was granted",
                ));
            }
            requested.clone()
        }
        None => row.scope.clone(),
    };
    let rotated = {
        let mut conn = ctx.conn().await?;
        oauth::mark_rotated(&mut conn, row.id).await?
    };
    if !rotated {
        // Two refreshes raced with the same token: treat the second as reuse.
        issued_tokens::revoke_family(ctx, &row.family_id).await?;
        return Ok(invalid_grant("the refresh token was already used"));
    }
    let now = chrono::Utc::now().timestamp();
    let access = AccessGrant {
        user_id: row.user_id,
        client_id: row.client_id.clone(),
        scope,
        sid: row.sid.clone(),
        family_id: row.family_id.clone(),
        iat: now,
        exp: now + ACCESS_TOKEN_TTL.as_secs() as i64,
    };
    let profile = if issued_tokens::has_scope(&access.scope, "profile") {
        issued_tokens::Profile::of(ctx, row.user_id).await?
    } else {
        None
    };
    respond_with_tokens(
        ctx,
        state,
        &access,
        &row.family_id,
        None,
        row.auth_time,
        profile.as_ref(),
    )
    .await
}

/// A revocation or introspection request. `token_type_hint` (RFC 7009/7662) is accepted and
/// not needed: tokens are looked up as refresh tokens, then as access tokens.
#[derive(Debug, Deserialize)]
pub struct TokenOnlyForm {
    token: Option<String>,
    client_id: Option<String>,
    client_secret: Option<String>,
}

/// The client of a revocation or introspection request, and the token it names.
async fn authenticated_token<'f>(
    ctx: &AppContext,
    state: &FederationState,
    req: &HttpRequest,
    form: &'f TokenOnlyForm,
) -> Result<(Client, &'f str), HttpResponse> {
    let client = authenticate_client(
        ctx,
        state,
        req,
        form.client_id.as_deref(),
        form.client_secret.as_deref(),
    )
    .await?;
    let token = form.token.as_deref().ok_or_else(|| {
        oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "token is required",
        )
    })?;
    Ok((client, token))
}

/// `POST /oauth/revoke` (RFC 7009): always 200 for a known client, even for unknown tokens.
pub async fn revoke(
    req: HttpRequest,
    ctx: web::Data<AppContext>,
    state: web::Data<FederationState>,
    form: web::Form<TokenOnlyForm>,
) -> HttpResponse {
    let (client, token) = match authenticated_token(&ctx, &state, &req, &form).await {
        Ok(pair) => pair,
        Err(res) => return res,
    };
    let result = async {
        let refresh = {
            let mut conn = ctx.conn().await?;
            oauth::refresh_token(&mut conn, &token_digest(token)).await?
        };
        if let Some(row) = refresh.filter(|r| r.client_id == client.client_id) {
            // Revoking a refresh token revokes its access tokens too.
            issued_tokens::revoke_family(&ctx, &row.family_id).await?;
        } else if let Some(grant) = issued_tokens::access_grant(&ctx, token).await?
            && grant.client_id == client.client_id
        {
            issued_tokens::revoke_access_token(&ctx, token).await?;
        }
        Ok::<(), AppError>(())
    }
    .await;
    match result {
        Ok(()) => HttpResponse::Ok()
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .finish(),
        Err(e) => unavailable(e),
    }
}

/// `POST /oauth/introspect` (RFC 7662). A first-party client may introspect any token; a
/// third-party client only its own.
pub async fn introspect(
    req: HttpRequest,
    ctx: web::Data<AppContext>,
    state: web::Data<FederationState>,
    form: web::Form<TokenOnlyForm>,
) -> HttpResponse {
    let (client, token) = match authenticated_token(&ctx, &state, &req, &form).await {
        Ok(pair) => pair,
        Err(res) => return res,
    };
    let may_see = |owner: &str| client.first_party || owner == client.client_id;
    let result = async {
        if let Some(grant) = issued_tokens::access_grant(&ctx, token)
            .await?
            .filter(|g| may_see(&g.client_id))
        {
            let username = {
                let mut conn = ctx.conn().await?;
                shared::models::users::by_id(&mut conn, grant.user_id)
                    .await?
                    .map(|u| u.username)
            };
            return Ok::<_, AppError>(json!({
                "active": true,
                "token_type": "Bearer",
                "scope": grant.scope,
                "client_id": grant.client_id,
                "sub": grant.user_id.to_string(),
                "username": username,
                "iat": grant.iat,
                "exp": grant.exp,
                "iss": issuer(&ctx),
                "aud": grant.client_id,
                "sid": grant.sid,
            }));
        }
        let refresh = {
            let mut conn = ctx.conn().await?;
            oauth::refresh_token(&mut conn, &token_digest(token)).await?
        };
        if let Some(row) = refresh.filter(|r| {
            may_see(&r.client_id)
                && r.revoked_at.is_none()
                && r.rotated_at.is_none()
                && r.expires_at > chrono::Utc::now()
        }) {
            return Ok(json!({
                "active": true,
                "token_type": "refresh_token",
                "scope": row.scope,
                "client_id": row.client_id,
                "sub": row.user_id.to_string(),
                "exp": row.expires_at.timestamp(),
                "iat": row.created_at.timestamp(),
                "iss": issuer(&ctx),
            }));
        }
        Ok(json!({ "active": false }))
    }
    .await;
    match result {
        Ok(body) => no_store_json(body),
        Err(e) => unavailable(e),
    }
}

/// `GET|POST /oauth/userinfo` with a Bearer access token.
pub async fn userinfo(req: HttpRequest, ctx: web::Data<AppContext>) -> HttpResponse {
    let bearer = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim);
    let challenge = |error: &str| {
        HttpResponse::Unauthorized()
            .insert_header((
                header::WWW_AUTHENTICATE,
                format!("Bearer error=\"{error}\""),
            ))
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .finish()
    };
    let Some(token) = bearer else {
        return challenge("invalid_request");
    };
    let grant = match issued_tokens::access_grant(&ctx, token).await {
        Ok(Some(g)) => g,
        Ok(None) => return challenge("invalid_token"),
        Err(e) => return unavailable(e),
    };
    if !issued_tokens::has_scope(&grant.scope, "openid") {
        return HttpResponse::Forbidden()
            .insert_header((
                header::WWW_AUTHENTICATE,
                "Bearer error=\"insufficient_scope\"",
            ))
            .finish();
    }
    match issued_tokens::user_claims(&ctx, grant.user_id, &grant.scope).await {
        Ok(claims) => no_store_json(claims),
        Err(AppError::NotFound(_)) => challenge("invalid_token"),
        Err(e) => unavailable(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pkce_s256() {
        // RFC 7636 appendix B
        assert!(pkce_matches(
            "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk",
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        ));
        assert!(!pkce_matches(
            "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXx",
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        ));
        assert!(!pkce_matches(
            "short",
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        ));
    }
}
