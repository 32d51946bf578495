//! The authorization endpoint (and the consent step for third-party clients).
//!
//! Until the client and its exact redirect_uri are known to be valid, errors are an error page,
//! never a redirect. After that, errors go back to the client with `state` and `iss` (RFC 9207).

use std::collections::HashMap;

use actix_web::{HttpRequest, HttpResponse, web};
use serde::{Deserialize, Serialize};
use shared::crypto::{random_token, token_digest};
use shared::infrastructure::redirect::see_other;
use shared::infrastructure::session::Session;
use shared::models::oauth::Client;
use shared::models::users;
use shared::{AppContext, AppError};

use super::issued_tokens::{self, CodeGrant};
use super::{SUPPORTED_SCOPES, issuer, protect};
use crate::db::oauth;
use crate::state::FederationState;

const PENDING_TTL_SECS: u64 = 600;

/// A validated authorization request.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AuthRequest {
    pub client_id: String,
    pub redirect_uri: String,
    pub scope: String,
    pub state: Option<String>,
    pub nonce: Option<String>,
    pub code_challenge: String,
    pub prompt: Vec<String>,
    pub max_age: Option<i64>,
}

/// Query parameters, each at most once.
fn parse_unique(query: &str) -> (HashMap<String, String>, Vec<String>) {
    let mut params = HashMap::new();
    let mut repeated = Vec::new();
    for (k, v) in url::form_urlencoded::parse(query.as_bytes()) {
        if params.insert(k.to_string(), v.into_owned()).is_some() {
            repeated.push(k.into_owned());
        }
    }
    (params, repeated)
}

/// `redirect_uri` with `params` added to its query.
fn redirect_with(redirect_uri: &str, params: &[(&str, &str)]) -> HttpResponse {
    let mut url = match url::Url::parse(redirect_uri) {
        Ok(u) => u,
        Err(_) => return HttpResponse::BadRequest().finish(),
    };
    {
        let mut pairs = url.query_pairs_mut();
        for (k, v) in params {
            pairs.append_pair(k, v);
        }
    }
    protect(&mut see_other(url.as_str())).finish()
}

fn error_redirect(
    ctx: &AppContext,
    request_uri: &str,
    state: Option<&str>,
    error: &str,
    description: &str,
) -> HttpResponse {
    let iss = issuer(ctx);
    let mut params = vec![
        ("error", error),
        ("error_description", description),
        ("iss", iss.as_str()),
    ];
    if let Some(s) = state {
        params.push(("state", s));
    }
    redirect_with(request_uri, &params)
}

/// An error shown at federation (the client or redirect_uri could not be trusted).
fn error_page(message: &str) -> AppError {
    AppError::BadRequest(message.to_owned())
}

/// `GET /oauth/authorize`.
pub async fn authorize(
    req: HttpRequest,
    ctx: web::Data<AppContext>,
    session: Option<Session>,
) -> Result<HttpResponse, AppError> {
    let (params, repeated) = parse_unique(req.query_string());
    if repeated
        .iter()
        .any(|p| p == "client_id" || p == "redirect_uri")
    {
        return Err(error_page(
            "The sign-in request repeats client_id or redirect_uri.",
        ));
    }
    let client_id = params
        .get("client_id")
        .ok_or_else(|| error_page("The sign-in request names no client."))?;
    let client = {
        let mut conn = ctx.conn().await?;
        oauth::client(&mut conn, client_id).await?
    }
    .ok_or_else(|| error_page("The sign-in request comes from an unknown application."))?;
    let redirect_uri = params
        .get("redirect_uri")
        .ok_or_else(|| error_page("The sign-in request has no redirect_uri."))?;
    // Exact string comparison (RFC 9700 §4.1.3): no prefixes, no normalisation.
    if !client.redirect_uris.iter().any(|r| r == redirect_uri) {
        return Err(error_page(
            "The sign-in request's redirect_uri is not registered for this application.",
        ));
    }
    let st = params.get("state").map(String::as_str);
    let fail = |error: &str, description: &str| {
        Ok(error_redirect(&ctx, redirect_uri, st, error, description))
    };

    if let Some(p) = repeated.first() {
        return fail(
            "invalid_request",
            &format!("parameter {p} appears more than once"),
        );
    }
    if params.get("response_type").map(String::as_str) != Some("code") {
        return fail(
            "unsupported_response_type",
            "only response_type=code is supported",
        );
    }
    if params.contains_key("request") || params.contains_key("request_uri") {
        return fail("request_not_supported", "request objects are not supported");
    }
    let scope = params
        .get("scope")
        .cloned()
        .unwrap_or_else(|| "openid".into());
    if let Some(unknown) = scope
        .split_ascii_whitespace()
        .find(|s| !SUPPORTED_SCOPES.contains(s))
    {
        return fail("invalid_scope", &format!("unknown scope {unknown}"));
    }
    let Some(challenge) = params.get("code_challenge") else {
        return fail(
            "invalid_request",
            "PKCE is required: send code_challenge with code_challenge_method=S256",
        );
    };
    if params.get("code_challenge_method").map(String::as_str) != Some("S256") {
        return fail("invalid_request", "code_challenge_method must be S256");
    }
    if challenge.len() != 43
        || !challenge
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        return fail(
            "invalid_request",
            "code_challenge must be a base64url SHA-256",
        );
    }
    let prompt: Vec<String> = params
        .get("prompt")
        .map(|p| p.split_ascii_whitespace().map(str::to_owned).collect())
        .unwrap_or_default();
    if prompt.iter().any(|p| p == "none") && prompt.len() > 1 {
        return fail("invalid_request", "prompt=none cannot be combined");
    }
    let max_age = match params.get("max_age").map(|m| m.parse::<i64>()) {
        Some(Ok(m)) if m >= 0 => Some(m),
        Some(_) => return fail("invalid_request", "max_age must be a non-negative integer"),
        None => None,
    };
    let request = AuthRequest {
        client_id: client.client_id.clone(),
        redirect_uri: redirect_uri.clone(),
        scope,
        state: params.get("state").cloned(),
        nonce: params.get("nonce").cloned(),
        code_challenge: challenge.clone(),
        prompt,
        max_age,
    };

    // Who is signed in at federation, and recently enough? (`max_age=0` is `prompt=login`.)
    let now = chrono::Utc::now().timestamp();
    let signed_in = session
        .as_ref()
        .and_then(|s| Some((s.data.user_id?, s.data.sso_sid.clone()?, s.data.auth_time?)));
    let prompt_none = request.prompt.iter().any(|p| p == "none");
    let force_login = request.prompt.iter().any(|p| p == "login") || request.max_age == Some(0);
    let too_old = |auth_time: i64| request.max_age.is_some_and(|m| now - auth_time > m);
    match signed_in {
        Some((user_id, sid, auth_time)) if !force_login && !too_old(auth_time) => {
            proceed(
                &ctx,
                &client,
                &request,
                user_id,
                &sid,
                auth_time,
                session.as_ref(),
            )
            .await
        }
        _ if prompt_none => fail("login_required", "the user is not signed in"),
        _ => start_login(&ctx, request, session.as_ref(), now).await,
    }
}

/// Consent (third-party clients only), then the code.
async fn proceed(
    ctx: &AppContext,
    client: &Client,
    request: &AuthRequest,
    user_id: i64,
    sid: &str,
    auth_time: i64,
    session: Option<&Session>,
) -> Result<HttpResponse, AppError> {
    if !client.first_party {
        let consented = {
            let mut conn = ctx.conn().await?;
            oauth::consent(&mut conn, user_id, &client.client_id).await?
        };
        let covered = consented.is_some_and(|granted| {
            request
                .scope
                .split_ascii_whitespace()
                .all(|s| granted.split_ascii_whitespace().any(|g| g == s))
        });
        if !covered || request.prompt.iter().any(|p| p == "consent") {
            if request.prompt.iter().any(|p| p == "none") {
                return Ok(error_redirect(
                    ctx,
                    &request.redirect_uri,
                    request.state.as_deref(),
                    "consent_required",
                    "the user has not consented",
                ));
            }
            return consent_page(ctx, client, request, user_id, session).await;
        }
    }
    issue(ctx, request, user_id, sid, auth_time).await
}

/// An authorization request waiting for the user to (re-)authenticate. The code is issued only
/// after a sign-in that happened since: a new federation session (every sign-in makes one) whose
/// `auth_time` is not older than the request. Kept server-side, so neither the query nor a
/// reload can skip the password.
#[derive(Debug, Serialize, Deserialize)]
struct PendingLogin {
    request: AuthRequest,
    requested_at: i64,
    /// Digest of the session id that was current when the sign-in was asked for.
    stale_session: Option<String>,
    /// Who was signed in then, and their sign-on session.
    previous: Option<(i64, String)>,
}

fn login_key(ctx: &AppContext, id: &str) -> String {
    ctx.redis().key(format!("oauth-login:{}", token_digest(id)))
}

fn continue_path(id: &str) -> Result<String, AppError> {
    Ok(format!(
        "/oauth/authorize/continue?{}",
        serde_urlencoded::to_string([("request", id)]).map_err(AppError::internal)?
    ))
}

async fn start_login(
    ctx: &AppContext,
    request: AuthRequest,
    session: Option<&Session>,
    now: i64,
) -> Result<HttpResponse, AppError> {
    let id = random_token()?;
    let pending = PendingLogin {
        request,
        requested_at: now,
        stale_session: session.map(|s| token_digest(&s.id)),
        previous: session.and_then(|s| Some((s.data.user_id?, s.data.sso_sid.clone()?))),
    };
    let mut conn = ctx.redis().conn();
    redis::cmd("SET")
        .arg(login_key(ctx, &id))
        .arg(serde_json::to_string(&pending).map_err(AppError::internal)?)
        .arg("EX")
        .arg(PENDING_TTL_SECS)
        .query_async::<()>(&mut conn)
        .await?;
    Ok(protect(&mut see_other(continue_path(&id)?)).finish())
}

#[derive(Debug, Deserialize)]
pub struct ContinueQuery {
    request: String,
}

/// `GET /oauth/authorize/continue?request=…`: the code once the user has signed in since the
/// request; until then the sign-in form, or the password form when someone is signed in whose
/// sign-in is too old or was to be repeated.
pub async fn resume(
    ctx: web::Data<AppContext>,
    state: web::Data<FederationState>,
    session: Option<Session>,
    query: web::Query<ContinueQuery>,
) -> Result<HttpResponse, AppError> {
    let key = login_key(&ctx, &query.request);
    let mut conn = ctx.redis().conn();
    let raw: Option<String> = redis::cmd("GET").arg(&key).query_async(&mut conn).await?;
    let pending: PendingLogin = raw
        .and_then(|r| serde_json::from_str(&r).ok())
        .ok_or_else(|| {
            AppError::bad_request(
                "This sign-in request has expired or was already used. Please start again from the application.",
            )
        })?;
    let here = continue_path(&query.request)?;
    let Some((current, user_id)) = session.as_ref().and_then(|s| Some((s, s.data.user_id?))) else {
        let location = format!(
            "/login?{}",
            serde_urlencoded::to_string([("return_to", &here)]).map_err(AppError::internal)?
        );
        return Ok(protect(&mut see_other(location)).finish());
    };
    // Signed in, but not since the request (or without a sign-on session): the password again,
    // on a form of our own (the sign-in form sends a signed-in member straight back here).
    let renewed = pending.stale_session.as_deref() != Some(token_digest(&current.id).as_str());
    let (Some(mut sid), Some(auth_time)) = (current.data.sso_sid.clone(), current.data.auth_time)
    else {
        return reauth_page(&ctx, &state, &pending.request, current, user_id, &here).await;
    };
    if !renewed || auth_time < pending.requested_at {
        return reauth_page(&ctx, &state, &pending.request, current, user_id, &here).await;
    }
    // Single use: only the request that deletes it goes on.
    let deleted: i64 = redis::cmd("DEL").arg(&key).query_async(&mut conn).await?;
    if deleted == 0 {
        return Err(AppError::bad_request(
            "This sign-in request was already used. Please start again from the application.",
        ));
    }
    if let Some((previous_user, previous_sid)) = &pending.previous {
        if *previous_user == user_id {
            // Re-authentication keeps the sign-on session the apps already belong to.
            if *previous_sid != sid && !sso_revoked(&ctx, previous_sid).await? {
                let mut data = current.data.clone();
                data.sso_sid = Some(previous_sid.clone());
                ctx.sessions().save(&current.id, &data).await?;
                sid = previous_sid.clone();
            }
        } else {
            // Someone else signed in: the previous member's sign-on session ends everywhere.
            super::end_sso_session(&ctx, &state, previous_sid, *previous_user).await?;
        }
    }
    let client = state
        .client(&ctx, &pending.request.client_id)
        .await?
        .ok_or_else(|| error_page("The sign-in request comes from an unknown application."))?;
    proceed(
        &ctx,
        &client,
        &pending.request,
        user_id,
        &sid,
        auth_time,
        session.as_ref(),
    )
    .await
}

async fn sso_revoked(ctx: &AppContext, sid: &str) -> Result<bool, AppError> {
    let mut conn = ctx.redis().conn();
    let revoked: bool = redis::cmd("EXISTS")
        .arg(ctx.redis().key(format!("sso:revoked:{sid}")))
        .query_async(&mut conn)
        .await?;
    Ok(revoked)
}

/// "Confirm it's you": the password again (then the second factor, when enrolled), through the
/// ordinary sign-in, which comes back here.
async fn reauth_page(
    ctx: &AppContext,
    state: &FederationState,
    request: &AuthRequest,
    session: &Session,
    user_id: i64,
    here: &str,
) -> Result<HttpResponse, AppError> {
    let username = {
        let mut conn = ctx.conn().await?;
        users::by_id(&mut conn, user_id).await?
    }
    .map(|u| u.username)
    .unwrap_or_default();
    let client_name = state
        .client(ctx, &request.client_id)
        .await?
        .map(|c| c.name)
        .unwrap_or_default();
    let mut context = ctx.base_context();
    context.insert("csrf_token", &session.data.csrf);
    context.insert("return_to", here);
    context.insert("login", &username);
    context.insert("client_name", &client_name);
    let html = ctx.templates().render("oauth/reauth.html", &context)?;
    let mut res = HttpResponse::Ok();
    Ok(protect(&mut res)
        .content_type("text/html; charset=utf-8")
        .body(html))
}

/// Issues the code and sends the user back to the client.
async fn issue(
    ctx: &AppContext,
    request: &AuthRequest,
    user_id: i64,
    sid: &str,
    auth_time: i64,
) -> Result<HttpResponse, AppError> {
    let profile = if issued_tokens::has_scope(&request.scope, "profile") {
        issued_tokens::Profile::of(ctx, user_id).await?
    } else {
        None
    };
    let code = issued_tokens::issue_code(
        ctx,
        &CodeGrant {
            client_id: request.client_id.clone(),
            redirect_uri: request.redirect_uri.clone(),
            user_id,
            scope: request.scope.clone(),
            nonce: request.nonce.clone(),
            code_challenge: request.code_challenge.clone(),
            sid: sid.to_owned(),
            auth_time,
            profile,
        },
    )
    .await?;
    // Remember which clients this sign-on session reached, for single sign-out.
    super::logout::add_session_client(ctx, sid, &request.client_id).await?;
    let iss = issuer(ctx);
    let mut params = vec![("code", code.as_str()), ("iss", iss.as_str())];
    if let Some(s) = &request.state {
        params.push(("state", s));
    }
    Ok(redirect_with(&request.redirect_uri, &params))
}

fn pending_key(ctx: &AppContext, id: &str) -> String {
    ctx.redis().key(format!("oauth-pending:{id}"))
}

fn describe_scope(scope: &str) -> Vec<&'static str> {
    scope
        .split_ascii_whitespace()
        .filter_map(|s| match s {
            "openid" => Some("Know who you are on Rose Ash"),
            "profile" => Some("See your name, username and picture"),
            "email" => Some("See your e-mail address"),
            "offline_access" => Some("Stay connected when you are away"),
            _ => None,
        })
        .collect()
}

async fn consent_page(
    ctx: &AppContext,
    client: &Client,
    request: &AuthRequest,
    user_id: i64,
    session: Option<&Session>,
) -> Result<HttpResponse, AppError> {
    let id = random_token()?;
    let pending = serde_json::json!({ "request": request, "user_id": user_id });
    let mut conn = ctx.redis().conn();
    redis::cmd("SET")
        .arg(pending_key(ctx, &id))
        .arg(pending.to_string())
        .arg("EX")
        .arg(PENDING_TTL_SECS)
        .query_async::<()>(&mut conn)
        .await?;
    let mut context = ctx.base_context();
    context.insert("client_name", &client.name);
    context.insert(
        "client_host",
        &url::Url::parse(&request.redirect_uri)
            .ok()
            .and_then(|u| u.host_str().map(str::to_owned)),
    );
    context.insert("permissions", &describe_scope(&request.scope));
    context.insert("pending", &id);
    context.insert("csrf_token", &session.map(|s| s.data.csrf.clone()));
    let html = ctx.templates().render("oauth/consent.html", &context)?;
    let mut res = HttpResponse::Ok();
    Ok(protect(&mut res)
        .content_type("text/html; charset=utf-8")
        .body(html))
}

#[derive(Debug, Deserialize)]
pub struct ConsentForm {
    pending: String,
    decision: String,
}

/// `POST /oauth/authorize/consent` (CSRF-checked by the fleet's guard).
pub async fn consent(
    ctx: web::Data<AppContext>,
    session: Session,
    form: web::Form<ConsentForm>,
) -> Result<HttpResponse, AppError> {
    let mut conn = ctx.redis().conn();
    let raw: Option<String> = redis::cmd("GETDEL")
        .arg(pending_key(&ctx, &form.pending))
        .query_async(&mut conn)
        .await?;
    let pending: serde_json::Value =
        raw.and_then(|r| serde_json::from_str(&r).ok())
            .ok_or_else(|| {
                AppError::bad_request(
                    "This request has expired. Please start again from the application.",
                )
            })?;
    let request: AuthRequest = serde_json::from_value(pending["request"].clone())
        .map_err(|e| AppError::bad_request(e.to_string()))?;
    let (Some(user_id), Some(sid), Some(auth_time)) = (
        session.data.user_id,
        session.data.sso_sid.clone(),
        session.data.auth_time,
    ) else {
        return Err(AppError::Unauthorized);
    };
    if pending["user_id"].as_i64() != Some(user_id) {
        return Err(AppError::Forbidden(
            "This consent request belongs to someone else.".into(),
        ));
    }
    if form.decision != "allow" {
        return Ok(error_redirect(
            &ctx,
            &request.redirect_uri,
            request.state.as_deref(),
            "access_denied",
            "the user declined",
        ));
    }
    {
        let mut conn = ctx.conn().await?;
        oauth::grant_consent(&mut conn, user_id, &request.client_id, &request.scope).await?;
    }
    issue(&ctx, &request, user_id, &sid, auth_time).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeated_parameters_are_found() {
        let (params, repeated) = parse_unique("a=1&b=2&a=3");
        assert_eq!(params.len(), 2);
        assert_eq!(repeated, ["a"]);
    }
}
