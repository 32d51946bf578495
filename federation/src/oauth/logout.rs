//! Single sign-out: RP-initiated logout (`end_session_endpoint`) and OpenID Back-Channel Logout
//! to every client the sign-on session reached. Signing out of federation itself goes the same
//! way.

use std::time::Duration;

use actix_web::{HttpRequest, HttpResponse, web};
use futures_util::future::{LocalBoxFuture, join_all};
use serde::Deserialize;
use serde_json::json;
use shared::crypto::random_token;
use shared::infrastructure::jose;
use shared::infrastructure::redirect::see_other;
use shared::infrastructure::session::{Session, revoke_sso_session};
use shared::infrastructure::sso::BACKCHANNEL_EVENT;
use shared::{AppContext, AppError};

use super::{issuer, protect};
use crate::db::oauth;
use crate::state::FederationState;

const SESSION_CLIENTS_TTL_SECS: u64 = 14 * 24 * 3600;
const BACKCHANNEL_TIMEOUT: Duration = Duration::from_secs(3);

fn clients_key(ctx: &AppContext, sid: &str) -> String {
    ctx.redis().key(format!("sso-clients:{sid}"))
}

pub async fn add_session_client(
    ctx: &AppContext,
    sid: &str,
    client_id: &str,
) -> Result<(), AppError> {
    let mut conn = ctx.redis().conn();
    redis::pipe()
        .cmd("SADD")
        .arg(clients_key(ctx, sid))
        .arg(client_id)
        .ignore()
        .cmd("EXPIRE")
        .arg(clients_key(ctx, sid))
        .arg(SESSION_CLIENTS_TTL_SECS)
        .ignore()
        .query_async::<()>(&mut conn)
        .await?;
    Ok(())
}

/// Ends sign-on session `sid` everywhere: marks it revoked (every app's session loader refuses
/// it from now on), revokes its refresh tokens, and sends a back-channel logout to each client
/// it reached, in parallel, before returning.
pub async fn end_sso_session(
    ctx: &AppContext,
    state: &FederationState,
    sid: &str,
    user_id: i64,
) -> Result<(), AppError> {
    revoke_sso_session(ctx.redis(), sid).await?;
    let families = {
        let mut conn = ctx.conn().await?;
        oauth::revoke_sid(&mut conn, sid).await?
    };
    for family in families {
        super::issued_tokens::revoke_family(ctx, &family).await?;
    }
    let mut conn = ctx.redis().conn();
    let clients: Vec<String> = redis::cmd("SMEMBERS")
        .arg(clients_key(ctx, sid))
        .query_async(&mut conn)
        .await?;
    let key = state.signing_key(ctx).await?;
    let iss = issuer(ctx);
    let sends = clients.iter().map(|client_id| {
        let key = key.clone();
        let iss = iss.clone();
        async move {
            let uri = {
                let mut conn = ctx.conn().await.ok()?;
                oauth::client(&mut conn, client_id).await.ok()??.backchannel_logout_uri?
            };
            let now = chrono::Utc::now().timestamp();
            let claims = json!({
                "iss": iss,
                "aud": client_id,
                "iat": now,
                "exp": now + 120,
                "jti": random_token().ok()?,
                "sub": user_id.to_string(),
                "sid": sid,
                "events": { BACKCHANNEL_EVENT: {} },
            });
            let token = key.sign("logout+jwt", &claims).ok()?;
            let outcome = ctx
                .http()
                .post(&uri)
                .timeout(BACKCHANNEL_TIMEOUT)
                .form(&[("logout_token", token)])
                .send()
                .await;
            match outcome {
                Ok(res) if res.status().is_success() => tracing::info!(%client_id, "back-channel logout delivered"),
                Ok(res) => tracing::warn!(%client_id, status = %res.status(), "back-channel logout refused"),
                Err(e) => tracing::warn!(%client_id, error = %e, "back-channel logout failed"),
            }
            Some(())
        }
    });
    join_all(sends).await;
    redis::cmd("DEL")
        .arg(clients_key(ctx, sid))
        .query_async::<()>(&mut conn)
        .await?;
    Ok(())
}

#[derive(Debug, Deserialize)]
pub struct EndSessionQuery {
    id_token_hint: Option<String>,
    post_logout_redirect_uri: Option<String>,
    state: Option<String>,
    client_id: Option<String>,
}

/// Where to send the user after logging out: a registered post-logout URI of `client_id` (the
/// verified hint's audience, or the `client_id` parameter), or federation's own "signed out" page.
async fn destination(
    ctx: &AppContext,
    state: &FederationState,
    q: &EndSessionQuery,
    client_id: Option<&str>,
) -> Result<Option<String>, AppError> {
    let (Some(uri), Some(client_id)) = (&q.post_logout_redirect_uri, client_id) else {
        return Ok(None);
    };
    match state.client(ctx, client_id).await? {
        Some(c) if c.post_logout_redirect_uris.iter().any(|r| r == uri) => {
            let mut url = url::Url::parse(uri).map_err(|e| AppError::bad_request(e.to_string()))?;
            if let Some(s) = &q.state {
                url.query_pairs_mut().append_pair("state", s);
            }
            Ok(Some(url.into()))
        }
        _ => Err(AppError::bad_request(
            "post_logout_redirect_uri is not registered for this application",
        )),
    }
}

/// What a verified `id_token_hint` says.
#[derive(Debug)]
struct Hint {
    client_id: String,
    sub: String,
    sid: Option<String>,
}

impl Hint {
    /// The hint was issued for this very sign-on session.
    fn matches(&self, session: &Session) -> bool {
        session.data.user_id.map(|id| id.to_string()).as_deref() == Some(self.sub.as_str())
            && self.sid.is_some()
            && self.sid == session.data.sso_sid
    }
}

/// Checks an `id_token_hint` (OpenID RP-Initiated Logout 1.0 §2): signed with one of our keys,
/// issued here, for one of our clients. An expired hint is fine (the spec allows it); anything
/// else that fails is no hint at all.
async fn verify_hint(
    ctx: &AppContext,
    state: &FederationState,
    hint: &str,
) -> Result<Option<Hint>, AppError> {
    let keys = state.jwks(ctx).await?;
    let Ok(verified) = jose::verify(hint, &keys) else {
        return Ok(None);
    };
    let claims = &verified.claims;
    let client_id = match &claims["aud"] {
        serde_json::Value::String(aud) => Some(aud.clone()),
        serde_json::Value::Array(auds) if auds.len() == 1 => auds[0].as_str().map(str::to_owned),
        _ => None,
    };
    let (Some(client_id), Some(sub)) = (client_id, claims["sub"].as_str()) else {
        return Ok(None);
    };
    if claims["iss"].as_str() != Some(issuer(ctx).as_str())
        || state.client(ctx, &client_id).await?.is_none()
    {
        return Ok(None);
    }
    Ok(Some(Hint {
        client_id,
        sub: sub.to_owned(),
        sid: claims["sid"].as_str().map(str::to_owned),
    }))
}

/// `GET /oauth/logout`: a link anyone can send, so it signs out at once only with a hint that
/// verifies and names this very session; otherwise the member confirms (a POST carrying the
/// CSRF token).
pub async fn end_session(
    ctx: web::Data<AppContext>,
    state: web::Data<FederationState>,
    session: Option<Session>,
    query: web::Query<EndSessionQuery>,
) -> Result<HttpResponse, AppError> {
    let hint = match &query.id_token_hint {
        Some(h) => verify_hint(&ctx, &state, h).await?,
        None => None,
    }
    // A client_id that contradicts the hint's audience makes the hint worthless.
    .filter(|h| query.client_id.as_ref().is_none_or(|c| *c == h.client_id));
    let client_id = hint
        .as_ref()
        .map(|h| h.client_id.clone())
        .or_else(|| query.client_id.clone());
    let destination = destination(&ctx, &state, &query, client_id.as_deref()).await?;
    let Some(session) = session.filter(|s| s.data.user_id.is_some()) else {
        return signed_out(&ctx, destination);
    };
    if hint.is_some_and(|h| h.matches(&session)) {
        return logout_now(&ctx, &state, Some(session), destination).await;
    }
    let mut context = ctx.base_context();
    context.insert("csrf_token", &session.data.csrf);
    context.insert("post_logout_redirect_uri", &query.post_logout_redirect_uri);
    context.insert("state", &query.state);
    context.insert("client_id", &client_id);
    let html = ctx.templates().render("oauth/logout.html", &context)?;
    let mut res = HttpResponse::Ok();
    Ok(protect(&mut res)
        .content_type("text/html; charset=utf-8")
        .body(html))
}

/// `POST /oauth/logout`: the confirmation (CSRF-checked).
pub async fn end_session_confirmed(
    ctx: web::Data<AppContext>,
    state: web::Data<FederationState>,
    session: Option<Session>,
    form: web::Form<EndSessionQuery>,
) -> Result<HttpResponse, AppError> {
    let query = form.into_inner();
    let destination = destination(&ctx, &state, &query, query.client_id.as_deref()).await?;
    logout_now(&ctx, &state, session, destination).await
}

async fn logout_now(
    ctx: &AppContext,
    state: &FederationState,
    session: Option<Session>,
    destination: Option<String>,
) -> Result<HttpResponse, AppError> {
    if let Some(session) = session {
        if let (Some(sid), Some(user_id)) = (&session.data.sso_sid, session.data.user_id) {
            end_sso_session(ctx, state, sid, user_id).await?;
        }
        ctx.sessions().destroy(&session.id).await?;
    }
    let mut res = see_other(destination.unwrap_or_else(|| "/logged-out".to_owned()));
    Ok(protect(&mut res)
        .cookie(ctx.sessions().removal_cookie())
        .finish())
}

fn signed_out(ctx: &AppContext, destination: Option<String>) -> Result<HttpResponse, AppError> {
    if let Some(uri) = destination {
        return Ok(protect(&mut see_other(uri)).finish());
    }
    let html = ctx
        .templates()
        .render("oauth/logged-out.html", &ctx.base_context())?;
    let mut res = HttpResponse::Ok();
    Ok(protect(&mut res)
        .content_type("text/html; charset=utf-8")
        .body(html))
}

/// Signing out of federation itself (the app factory's `/auth/logout`) ends the sign-on
/// session everywhere, exactly as the end-session endpoint does.
pub fn end_own_sign_on<'a>(
    req: &'a HttpRequest,
    session: &'a Session,
) -> LocalBoxFuture<'a, Result<(), AppError>> {
    Box::pin(async move {
        let (Some(sid), Some(user_id)) = (&session.data.sso_sid, session.data.user_id) else {
            return Ok(());
        };
        let ctx = req
            .app_data::<web::Data<AppContext>>()
            .ok_or_else(|| AppError::internal("no app context"))?;
        let state = req
            .app_data::<web::Data<FederationState>>()
            .ok_or_else(|| AppError::internal("no federation state"))?;
        end_sso_session(ctx, state, sid, user_id).await
    })
}

/// `GET /logged-out`.
pub async fn logged_out_page(ctx: web::Data<AppContext>) -> Result<HttpResponse, AppError> {
    signed_out(&ctx, None)
}
