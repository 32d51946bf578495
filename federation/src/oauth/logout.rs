//! Single sign-out: RP-initiated logout (`end_session_endpoint`) and OpenID Back-Channel Logout
//! to every client the sign-on session reached.

use std::time::Duration;

use actix_web::http::header;
use actix_web::{HttpResponse, web};
use futures_util::future::join_all;
use serde::Deserialize;
use serde_json::json;
use shared::infrastructure::jose;
use shared::infrastructure::session::{Session, random_token, revoke_sso_session};
use shared::infrastructure::sso::BACKCHANNEL_EVENT;
use shared::models::oauth;
use shared::{AppContext, AppError};

use super::{issuer, protect};
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
        super::tokens::revoke_family(ctx, &family).await?;
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
                "jti": random_token(),
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

/// Where to send the user after logging out: a registered post-logout URI of the client the
/// hint names, or federation's own "signed out" page.
async fn destination(
    ctx: &AppContext,
    state: &FederationState,
    q: &EndSessionQuery,
) -> Result<Option<String>, AppError> {
    let Some(uri) = &q.post_logout_redirect_uri else {
        return Ok(None);
    };
    let client_id = match &q.id_token_hint {
        Some(hint) => {
            let keys = state.jwks(ctx).await?;
            let verified = jose::verify(hint, &keys)
                .map_err(|e| AppError::bad_request(format!("id_token_hint: {e}")))?;
            let aud = verified.claims["aud"].as_str().map(str::to_owned);
            if verified.claims["iss"].as_str() != Some(issuer(ctx).as_str()) {
                return Err(AppError::bad_request("id_token_hint was not issued here"));
            }
            aud
        }
        None => q.client_id.clone(),
    };
    let Some(client_id) = client_id else {
        return Ok(None);
    };
    let client = {
        let mut conn = ctx.conn().await?;
        oauth::client(&mut conn, &client_id).await?
    };
    match client {
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

/// `GET /oauth/logout`: with a valid `id_token_hint` the user is logged out at once (the hint
/// proves the request comes from the app they use); otherwise they confirm.
pub async fn end_session(
    ctx: web::Data<AppContext>,
    state: web::Data<FederationState>,
    session: Option<Session>,
    query: web::Query<EndSessionQuery>,
) -> Result<HttpResponse, AppError> {
    let destination = destination(&ctx, &state, &query).await?;
    if query.id_token_hint.is_some() {
        return logout_now(&ctx, &state, session, destination).await;
    }
    let Some(session) = session.filter(|s| s.data.user_id.is_some()) else {
        return signed_out(&ctx, destination);
    };
    let mut context = ctx.base_context();
    context.insert("csrf_token", &session.data.csrf);
    context.insert("post_logout_redirect_uri", &query.post_logout_redirect_uri);
    context.insert("state", &query.state);
    context.insert("client_id", &query.client_id);
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
    let form = form.into_inner();
    let query = EndSessionQuery {
        id_token_hint: None,
        ..form
    };
    let destination = destination(&ctx, &state, &query).await?;
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
    let mut res = HttpResponse::SeeOther();
    res.insert_header((
        header::LOCATION,
        destination.unwrap_or_else(|| "/logged-out".to_owned()),
    ));
    Ok(protect(&mut res)
        .cookie(ctx.sessions().removal_cookie())
        .finish())
}

fn signed_out(ctx: &AppContext, destination: Option<String>) -> Result<HttpResponse, AppError> {
    if let Some(uri) = destination {
        let mut res = HttpResponse::SeeOther();
        return Ok(protect(&mut res)
            .insert_header((header::LOCATION, uri))
            .finish());
    }
    let html = ctx
        .templates()
        .render("oauth/logged-out.html", &ctx.base_context())?;
    let mut res = HttpResponse::Ok();
    Ok(protect(&mut res)
        .content_type("text/html; charset=utf-8")
        .body(html))
}

/// `GET /logged-out`.
pub async fn logged_out_page(ctx: web::Data<AppContext>) -> Result<HttpResponse, AppError> {
    signed_out(&ctx, None)
}
