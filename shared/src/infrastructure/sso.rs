//! Single sign-on, the client side: every app gets `/auth/login`, `/auth/callback`,
//! `/auth/logout` and `/auth/backchannel-logout` from the app factory, plus the [`CurrentUser`]
//! extractor. Federation is the OpenID provider; each app is a confidential client whose id is
//! its name.
//!
//! Login: state, nonce and a PKCE verifier are kept in Redis under the state, bound to this user
//! agent by a host-only transaction cookie; the code is exchanged server to server; the id_token
//! is verified (signature against federation's JWKS, `iss`, `aud`, `exp`, `nonce`); a new session
//! id is issued. Logout: the app's session goes, then federation's `end_session` ends the
//! sign-on session everywhere (back-channel logout to every app, plus a revocation mark in Redis
//! every app's session loader checks); at federation itself, its [`SignOnProvider`] does that
//! directly. Client credentials go form-urlencoded into HTTP Basic (RFC 6749 §2.3.1).

use std::sync::RwLock;
use std::time::{Duration, Instant};

use actix_web::cookie::{Cookie, SameSite};
use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, HttpResponse, web};
use futures_util::future::LocalBoxFuture;
use serde::Deserialize;
use serde_json::Value;

use super::app::AppContext;
use super::errors::AppError;
use super::jose::{self, JwkSet};
use super::session::{Session, SessionData};
use crate::apps::AppName;
use crate::config::{Config, Secret};
use crate::contracts::dtos::{Role, UserDto};
use crate::crypto::{CryptoError, random_token};
use crate::infrastructure::redirect::see_other;

/// How long a login may take from `/auth/login` to `/auth/callback`.
const TRANSACTION_TTL: Duration = Duration::from_secs(600);
const TX_COOKIE: &str = "ra_oauth_tx";
/// The scopes every app asks for.
pub const SCOPES: &str = "openid profile email";
pub const BACKCHANNEL_EVENT: &str = "http://schemas.openid.net/event/backchannel-logout";

/// This app's OAuth client secret: `OAUTH_CLIENT_SECRET` when configured, otherwise derived from
/// the fleet secret (so a dev fleet needs no extra configuration). Federation derives the same.
pub fn client_secret(config: &Config, app: AppName) -> Result<Secret, CryptoError> {
    if let Some(own) = config
        .oauth_client_secrets
        .get(app.index())
        .and_then(Clone::clone)
    {
        return Ok(own);
    }
    let derived = crate::crypto::hmac_sha256(
        config.internal_secret.expose().as_bytes(),
        format!("oauth-client-secret:{app}").as_bytes(),
    )?;
    Ok(Secret::new(hex::encode(derived)))
}

/// `scheme://host[:port]` of federation: the issuer.
pub fn issuer(config: &Config) -> String {
    config
        .apps
        .public(AppName::Federation)
        .as_str()
        .trim_end_matches('/')
        .to_owned()
}

/// Where an app's OAuth client lives.
pub fn redirect_uri(config: &Config, app: AppName) -> String {
    format!(
        "{}/auth/callback",
        config.apps.public(app).as_str().trim_end_matches('/')
    )
}

pub fn post_logout_redirect_uri(config: &Config, app: AppName) -> String {
    format!(
        "{}/",
        config.apps.public(app).as_str().trim_end_matches('/')
    )
}

/// Back-channel logout goes over the internal network.
pub fn backchannel_logout_uri(config: &Config, app: AppName) -> String {
    format!(
        "{}/auth/backchannel-logout",
        config.apps.internal(app).as_str().trim_end_matches('/')
    )
}

/// Federation's signing keys, fetched from its JWKS and cached; refetched (at most every 10 s)
/// when a token names a key we do not know.
#[derive(Default)]
pub struct JwksCache {
    keys: RwLock<Option<(JwkSet, Instant)>>,
}

impl JwksCache {
    async fn fetch(&self, ctx: &AppContext) -> Result<JwkSet, AppError> {
        let url = format!(
            "{}/oauth/jwks",
            ctx.config()
                .apps
                .internal(AppName::Federation)
                .as_str()
                .trim_end_matches('/')
        );
        let set: JwkSet = ctx
            .http()
            .get(url)
            .send()
            .await
            .and_then(reqwest::Response::error_for_status)
            .map_err(|e| AppError::Unavailable(format!("fetching federation's keys: {e}")))?
            .json()
            .await
            .map_err(|e| AppError::Unavailable(format!("reading federation's keys: {e}")))?;
        if let Ok(mut slot) = self.keys.write() {
            *slot = Some((set.clone(), Instant::now()));
        }
        Ok(set)
    }

    /// Verifies an RS256 token from federation (signature only).
    pub async fn verify(&self, ctx: &AppContext, token: &str) -> Result<jose::Verified, AppError> {
        let cached = self.keys.read().ok().and_then(|k| k.clone());
        let kid =
            jose::peek_kid(token).map_err(|e| AppError::bad_request(format!("token: {e}")))?;
        let keys = match cached {
            Some((set, _)) if set.keys.iter().any(|k| k.kid == kid) => set,
            Some((set, fetched)) if fetched.elapsed() < Duration::from_secs(10) => set,
            _ => self.fetch(ctx).await?,
        };
        jose::verify(token, &keys).map_err(|e| AppError::bad_request(format!("token: {e}")))
    }
}

/// Routes every app gets.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/auth/login", web::get().to(login))
        .route("/auth/callback", web::get().to(callback))
        .route("/auth/logout", web::get().to(logout_confirm))
        .route("/auth/logout", web::post().to(logout))
        .route(
            "/auth/backchannel-logout",
            web::post().to(backchannel_logout),
        );
}

/// Where a sign-in may return to: a path on this site, never another origin. The value is
/// resolved against a base the way a browser would resolve `Location`, and must keep the base's
/// origin; raw or percent-encoded control characters and backslashes are refused outright
/// (browsers drop tabs and newlines and read `\` as `/`, turning `/%09/evil` or `/\evil` into
/// `//evil`). Only path, query and fragment are kept. Anything else returns to `/`.
pub fn safe_return_to(return_to: Option<&str>) -> String {
    return_to
        .and_then(local_target)
        .unwrap_or_else(|| "/".to_owned())
}

fn local_target(raw: &str) -> Option<String> {
    const BASE: &str = "https://return-to.invalid/";
    let forbidden = |b: u8| b.is_ascii_control() || b == b'\\';
    // `%XX` decoded to bytes (a malformed `%` kept as is), to look for hidden characters.
    let decoded: Vec<u8> = percent_encoding::percent_decode_str(raw).collect();
    // `/%2F/x` is `//x` to anything that decodes before redirecting.
    if raw.len() >= 2048
        || !raw.starts_with('/')
        || raw.bytes().any(|b| forbidden(b) || b == b' ')
        || decoded.iter().copied().any(forbidden)
        || decoded.starts_with(b"//")
    {
        return None;
    }
    let base = url::Url::parse(BASE).ok()?;
    let target = base.join(raw).ok()?;
    // `//x` after dot-segment removal (`/a/..//x`, `/%2e%2e//x`) would leave the site too.
    if target.origin() != base.origin() || target.path().starts_with("//") {
        return None;
    }
    let mut local = target.path().to_owned();
    if let Some(q) = target.query() {
        local.push('?');
        local.push_str(q);
    }
    if let Some(f) = target.fragment() {
        local.push('#');
        local.push_str(f);
    }
    Some(local)
}

fn pkce_challenge(verifier: &str) -> String {
    jose::b64url(&crate::crypto::sha256(verifier.as_bytes()))
}

fn tx_cookie(ctx: &AppContext, value: String, max_age: Duration) -> Cookie<'static> {
    Cookie::build(
        if ctx.sessions().secure() {
            "__Host-ra_oauth_tx"
        } else {
            TX_COOKIE
        },
        value,
    )
    .path("/")
    .http_only(true)
    .secure(ctx.sessions().secure())
    .same_site(SameSite::Lax)
    .max_age(actix_web::cookie::time::Duration::seconds(
        max_age.as_secs() as i64,
    ))
    .finish()
}

fn tx_cookie_name(ctx: &AppContext) -> &'static str {
    if ctx.sessions().secure() {
        "__Host-ra_oauth_tx"
    } else {
        TX_COOKIE
    }
}

fn tx_key(ctx: &AppContext, state: &str) -> String {
    ctx.redis().key(format!(
        "oauth-tx:{}:{}",
        ctx.name(),
        crate::crypto::token_digest(state)
    ))
}

#[derive(Debug, Deserialize)]
struct LoginQuery {
    return_to: Option<String>,
    /// `none` for a silent check.
    prompt: Option<String>,
}

/// `GET /auth/login?return_to=/x`: off to federation.
async fn login(
    ctx: web::Data<AppContext>,
    query: web::Query<LoginQuery>,
) -> Result<HttpResponse, AppError> {
    let config = ctx.config();
    let state = random_token()?;
    let nonce = random_token()?;
    let verifier = random_token()?;
    let tx = serde_json::json!({
        "nonce": nonce,
        "verifier": verifier,
        "return_to": safe_return_to(query.return_to.as_deref()),
    });
    let mut conn = ctx.redis().conn();
    redis::cmd("SET")
        .arg(tx_key(&ctx, &state))
        .arg(tx.to_string())
        .arg("EX")
        .arg(TRANSACTION_TTL.as_secs())
        .query_async::<()>(&mut conn)
        .await?;
    let mut params = vec![
        ("response_type", "code".to_owned()),
        ("client_id", ctx.name().as_str().to_owned()),
        ("redirect_uri", redirect_uri(config, ctx.name())),
        ("scope", SCOPES.to_owned()),
        ("state", state.clone()),
        ("nonce", nonce),
        ("code_challenge", pkce_challenge(&verifier)),
        ("code_challenge_method", "S256".to_owned()),
    ];
    if let Some(prompt) = query
        .prompt
        .as_deref()
        .filter(|p| *p == "none" || *p == "login")
    {
        params.push(("prompt", prompt.to_owned()));
    }
    let location = format!(
        "{}/oauth/authorize?{}",
        issuer(config),
        serde_urlencoded::to_string(&params).map_err(AppError::internal)?
    );
    Ok(HttpResponse::Found()
        .insert_header((header::LOCATION, location))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .cookie(tx_cookie(&ctx, state, TRANSACTION_TTL))
        .finish())
}

#[derive(Debug, Deserialize)]
struct CallbackQuery {
    code: Option<String>,
    state: Option<String>,
    iss: Option<String>,
    error: Option<String>,
}

#[derive(Debug, Deserialize)]
struct TokenResponse {
    id_token: Option<String>,
}

/// `GET /auth/callback`: back from federation with a code (or an error).
async fn callback(
    req: HttpRequest,
    ctx: web::Data<AppContext>,
    query: web::Query<CallbackQuery>,
    old: Option<Session>,
) -> Result<HttpResponse, AppError> {
    let config = ctx.config();
    let state = query
        .state
        .as_deref()
        .ok_or_else(|| AppError::bad_request("The sign-in answer has no state."))?;
    // The transaction must have started in this browser (its cookie) and is used once.
    let bound = req
        .cookie(tx_cookie_name(&ctx))
        .is_some_and(|c| crate::crypto::constant_time_eq(c.value().as_bytes(), state.as_bytes()));
    if !bound {
        return Err(AppError::bad_request(
            "This sign-in did not start in this browser. Please sign in again.",
        ));
    }
    let mut conn = ctx.redis().conn();
    let tx: Option<String> = redis::cmd("GETDEL")
        .arg(tx_key(&ctx, state))
        .query_async(&mut conn)
        .await?;
    let tx: Value = tx
        .and_then(|t| serde_json::from_str(&t).ok())
        .ok_or_else(|| {
            AppError::bad_request(
                "This sign-in has expired or was already used. Please sign in again.",
            )
        })?;
    let return_to = safe_return_to(tx["return_to"].as_str());
    let clear_tx = tx_cookie(&ctx, String::new(), Duration::ZERO);
    if query.iss.as_deref() != Some(issuer(config).as_str()) {
        return Err(AppError::bad_request(
            "The sign-in answer came from an unexpected issuer.",
        ));
    }
    if let Some(error) = &query.error {
        // prompt=none and the user is not signed in at federation, or they declined: stay anonymous.
        tracing::info!(%error, "sign-in ended without a code");
        return Ok(see_other(return_to).cookie(clear_tx).finish());
    }
    let code = query
        .code
        .as_deref()
        .ok_or_else(|| AppError::bad_request("The sign-in answer has no code."))?;
    let token_url = format!(
        "{}/oauth/token",
        config
            .apps
            .internal(AppName::Federation)
            .as_str()
            .trim_end_matches('/')
    );
    let response = ctx
        .http()
        .post(token_url)
        .basic_auth(
            form_encode(ctx.name().as_str()),
            Some(form_encode(client_secret(config, ctx.name())?.expose())),
        )
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", &redirect_uri(config, ctx.name())),
            ("code_verifier", tx["verifier"].as_str().unwrap_or_default()),
        ])
        .send()
        .await
        .map_err(|e| AppError::Unavailable(format!("token endpoint: {e}")))?;
    if !response.status().is_success() {
        let status = response.status();
        let body = response.text().await.unwrap_or_default();
        tracing::warn!(%status, %body, "code exchange refused");
        return Err(AppError::bad_request(
            "The sign-in could not be completed. Please sign in again.",
        ));
    }
    let tokens: TokenResponse = response
        .json()
        .await
        .map_err(|e| AppError::Unavailable(format!("token endpoint: {e}")))?;
    let id_token = tokens
        .id_token
        .ok_or_else(|| AppError::bad_request("The sign-in returned no id_token."))?;
    let verified = ctx.sso().jwks.verify(&ctx, &id_token).await?;
    let claims = &verified.claims;
    let now = chrono::Utc::now().timestamp();
    let valid = claims["iss"].as_str() == Some(issuer(config).as_str())
        && audience_contains(&claims["aud"], ctx.name().as_str())
        && claims["exp"].as_i64().is_some_and(|exp| exp > now)
        && claims["iat"].as_i64().is_some_and(|iat| iat <= now + 60)
        && claims["nonce"].as_str() == tx["nonce"].as_str();
    if !valid {
        return Err(AppError::bad_request(
            "The sign-in returned an invalid id_token.",
        ));
    }
    let user_id: i64 = claims["sub"]
        .as_str()
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| AppError::bad_request("The sign-in returned an unknown subject."))?;

    // A new session id at every sign-in (no fixation); the old session goes.
    if let Some(old) = &old {
        ctx.sessions().destroy(&old.id).await?;
    }
    let mut data = SessionData::for_user(Some(user_id))?;
    data.sso_sid = claims["sid"].as_str().map(str::to_owned);
    data.auth_time = claims["auth_time"].as_i64();
    data.id_token = Some(id_token);
    let sid = ctx.sessions().create(&data).await?;
    (ctx.sso().on_sign_in)(&ctx, old.as_ref(), user_id).await;
    Ok(see_other(return_to)
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header(("Referrer-Policy", "no-referrer"))
        .cookie(ctx.sessions().cookie(sid))
        .cookie(clear_tx)
        .finish())
}

/// RFC 6749 §2.3.1: client id and secret are form-urlencoded before they go into HTTP Basic
/// (the provider decodes them, so a raw `+` would arrive as a space).
pub fn form_encode(value: &str) -> String {
    url::form_urlencoded::byte_serialize(value.as_bytes()).collect()
}

fn audience_contains(aud: &Value, client_id: &str) -> bool {
    match aud {
        Value::String(s) => s == client_id,
        Value::Array(items) => items.iter().any(|a| a.as_str() == Some(client_id)),
        _ => false,
    }
}

/// `GET /auth/logout`: a confirmation page whose form carries the session's CSRF token.
async fn logout_confirm(
    ctx: web::Data<AppContext>,
    session: Option<Session>,
) -> Result<HttpResponse, AppError> {
    let Some(session) = session.filter(|s| s.data.user_id.is_some()) else {
        return Ok(see_other("/").finish());
    };
    let mut context = ctx.base_context();
    context.insert("csrf_token", &session.data.csrf);
    let html = ctx.templates().render("auth/logout.html", &context)?;
    Ok(HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header(("Content-Security-Policy", "frame-ancestors 'none'"))
        .body(html))
}

/// How the OpenID provider ends a sign-on session when someone signs out of the provider itself
/// through `/auth/logout` (revocation plus back-channel logout to every app it reached). The
/// provider registers one as app data; the other apps hand that work to its end-session endpoint.
pub type EndSignOn =
    for<'a> fn(&'a HttpRequest, &'a Session) -> LocalBoxFuture<'a, Result<(), AppError>>;

#[derive(Clone, Copy)]
pub struct SignOnProvider {
    pub end_sign_on: EndSignOn,
}

/// `POST /auth/logout` (CSRF-checked by the fleet's guard): ends this app's session, then ends
/// the sign-on session everywhere (at the provider: directly; elsewhere: through federation's
/// end-session endpoint).
async fn logout(
    req: HttpRequest,
    ctx: web::Data<AppContext>,
    session: Option<Session>,
) -> Result<HttpResponse, AppError> {
    let config = ctx.config();
    let mut location = post_logout_redirect_uri(config, ctx.name());
    if let Some(session) = session {
        if let Some(provider) = req.app_data::<web::Data<SignOnProvider>>() {
            (provider.end_sign_on)(&req, &session).await?;
        }
        ctx.sessions().destroy(&session.id).await?;
        if let Some(id_token) = session.data.id_token {
            let params = [
                ("id_token_hint", id_token),
                (
                    "post_logout_redirect_uri",
                    post_logout_redirect_uri(config, ctx.name()),
                ),
                ("client_id", ctx.name().as_str().to_owned()),
            ];
            location = format!(
                "{}/oauth/logout?{}",
                issuer(config),
                serde_urlencoded::to_string(params).map_err(AppError::internal)?
            );
        }
    }
    Ok(see_other(location)
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .cookie(ctx.sessions().removal_cookie())
        .finish())
}

#[derive(Debug, Deserialize)]
struct BackchannelForm {
    logout_token: String,
}

fn backchannel_error(description: &str) -> HttpResponse {
    HttpResponse::BadRequest()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(serde_json::json!({ "error": "invalid_request", "error_description": description }))
}

/// `POST /auth/backchannel-logout` (OpenID Back-Channel Logout 1.0): validates the logout token
/// and drops this app's sessions of that sign-on session.
async fn backchannel_logout(
    ctx: web::Data<AppContext>,
    form: web::Form<BackchannelForm>,
) -> HttpResponse {
    let verified = match ctx.sso().jwks.verify(&ctx, &form.logout_token).await {
        Ok(v) => v,
        Err(e) => return backchannel_error(&e.to_string()),
    };
    let claims = &verified.claims;
    let now = chrono::Utc::now().timestamp();
    let checks = [
        (
            claims["iss"].as_str() == Some(issuer(ctx.config()).as_str()),
            "iss",
        ),
        (
            audience_contains(&claims["aud"], ctx.name().as_str()),
            "aud",
        ),
        (
            claims["iat"]
                .as_i64()
                .is_some_and(|iat| (now - iat).abs() <= 300),
            "iat",
        ),
        (claims["exp"].as_i64().is_none_or(|exp| exp > now), "exp"),
        (
            claims["events"]
                .get(BACKCHANNEL_EVENT)
                .is_some_and(Value::is_object),
            "events",
        ),
        (claims.get("nonce").is_none(), "nonce must be absent"),
        (claims["jti"].as_str().is_some(), "jti"),
        (claims["sid"].as_str().is_some(), "sid"),
    ];
    if let Some((_, claim)) = checks.iter().find(|(ok, _)| !ok) {
        return backchannel_error(&format!("logout token: {claim}"));
    }
    let (Some(jti), Some(sso_sid)) = (claims["jti"].as_str(), claims["sid"].as_str()) else {
        return backchannel_error("logout token: jti and sid");
    };
    // Each logout token is accepted once.
    let mut conn = ctx.redis().conn();
    let fresh: Result<Option<String>, _> = redis::cmd("SET")
        .arg(ctx.redis().key(format!("logout-jti:{}:{jti}", ctx.name())))
        .arg(1)
        .arg("NX")
        .arg("EX")
        .arg(600)
        .query_async(&mut conn)
        .await;
    match fresh {
        Ok(Some(_)) => {}
        Ok(None) => return backchannel_error("logout token replayed"),
        Err(e) => return HttpResponse::ServiceUnavailable().body(e.to_string()),
    }
    match ctx.sessions().destroy_sso_session(sso_sid).await {
        Ok(n) => {
            tracing::info!(sessions = n, "back-channel logout");
            HttpResponse::Ok()
                .insert_header((header::CACHE_CONTROL, "no-store"))
                .finish()
        }
        Err(e) => HttpResponse::ServiceUnavailable().body(e.to_string()),
    }
}

/// A signed-in user. As an extractor it sends anonymous GETs to sign in and answers other
/// requests 401; `Option<CurrentUser>` never fails.
#[derive(Debug, Clone)]
pub struct CurrentUser {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub avatar_url: Option<String>,
    pub role: Role,
    /// The session's CSRF token, for forms the page renders.
    pub csrf_token: String,
}

// Who may do what is decided once, on `Role`.
impl CurrentUser {
    /// Runs the site (menus, settings, roles).
    pub fn is_admin(&self) -> bool {
        self.role.is_admin()
    }
    /// Edits anyone's posts and pages and moderates replies (editors and administrators).
    pub fn is_editor(&self) -> bool {
        self.role.is_editor()
    }
    /// Writes on the blog (authors, editors and administrators).
    pub fn is_writer(&self) -> bool {
        self.role.is_writer()
    }
}

/// Redirects to sign in, coming back to the current page.
pub fn sign_in_redirect(req: &HttpRequest) -> HttpResponse {
    see_other(sign_in_location(req)).finish()
}

fn sign_in_location(req: &HttpRequest) -> String {
    let here = req.uri().path_and_query().map_or("/", |pq| pq.as_str());
    format!(
        "/auth/login?{}",
        serde_urlencoded::to_string([("return_to", here)]).unwrap_or_default()
    )
}

#[derive(Debug, thiserror::Error)]
pub enum AuthRequired {
    #[error("sign in required")]
    SignIn(String),
    #[error(transparent)]
    Other(#[from] AppError),
}

impl actix_web::ResponseError for AuthRequired {
    fn status_code(&self) -> actix_web::http::StatusCode {
        match self {
            AuthRequired::SignIn(_) => actix_web::http::StatusCode::SEE_OTHER,
            AuthRequired::Other(e) => e.status_code(),
        }
    }
    fn error_response(&self) -> HttpResponse {
        match self {
            AuthRequired::SignIn(location) => see_other(location.as_str()).finish(),
            AuthRequired::Other(e) => e.error_response(),
        }
    }
}

impl FromRequest for CurrentUser {
    type Error = AuthRequired;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let session = Option::<Session>::from_request(req, payload);
        let req = req.clone();
        Box::pin(async move {
            let session = session.await.ok().flatten();
            let Some((user_id, csrf)) =
                session.and_then(|s| s.data.user_id.map(|id| (id, s.data.csrf)))
            else {
                if req.method() == actix_web::http::Method::GET {
                    return Err(AuthRequired::SignIn(sign_in_location(&req)));
                }
                return Err(AuthRequired::Other(AppError::Unauthorized));
            };
            let ctx = req
                .app_data::<web::Data<AppContext>>()
                .ok_or_else(|| AppError::internal("no app context"))?;
            // First: the account must still be live. A session of a deleted or disabled member
            // (one whose sign-on revocation never reached this app, say) is refused like none.
            let Some(user): Option<UserDto> = ctx
                .registry()
                .users
                .user(user_id)
                .await
                .map_err(AppError::from)?
            else {
                if req.method() == actix_web::http::Method::GET {
                    return Err(AuthRequired::SignIn(sign_in_location(&req)));
                }
                return Err(AuthRequired::Other(AppError::Unauthorized));
            };
            Ok(CurrentUser {
                id: user.id,
                username: user.username,
                display_name: user.display_name,
                avatar_url: user.avatar_url,
                role: user.role,
                csrf_token: csrf,
            })
        })
    }
}

/// What an app does when someone signs in (the cart merges an anonymous cart, for instance).
pub type OnSignIn = for<'a> fn(&'a AppContext, Option<&'a Session>, i64) -> LocalBoxFuture<'a, ()>;

pub fn no_sign_in_hook<'a>(
    _: &'a AppContext,
    _: Option<&'a Session>,
    _: i64,
) -> LocalBoxFuture<'a, ()> {
    Box::pin(async {})
}

/// The SSO client state an app holds.
pub struct SsoClient {
    pub jwks: JwksCache,
    pub on_sign_in: OnSignIn,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn return_to_is_relative_only() {
        for (good, kept) in [
            ("/posts/x?a=1", "/posts/x?a=1"),
            ("/", "/"),
            ("/tag/rust?page=2#top", "/tag/rust?page=2#top"),
            ("/a/../b", "/b"),
            ("/search?q=a%20b", "/search?q=a%20b"),
        ] {
            assert_eq!(safe_return_to(Some(good)), kept, "{good}");
        }
        // Known open-redirect bypasses: every one stays on the site.
        for bad in [
            "//evil.example/x",
            "///evil.example",
            "/\\evil.example",
            "\\/evil.example",
            "/%09/evil.example",
            "/\t/evil.example",
            "/\n/evil.example",
            "/\r//evil.example",
            "/%0a/evil.example",
            "/%0D/evil.example",
            "/%00/evil.example",
            "/%2F/evil.example",
            "/%2f%2fevil.example",
            "/%5Cevil.example",
            "/%5cevil.example",
            "%2F%2Fevil.example",
            "/a/..//evil.example",
            "/%2e%2e//evil.example",
            "https://evil.example",
            "https:evil.example",
            "https:/evil.example",
            "//evil.example@site",
            "javascript:alert(1)",
            "/javascript:alert(1)//x\\y",
            "JaVaScRiPt:alert(1)",
            "data:text/html,<script>alert(1)</script>",
            " //evil.example",
            "  /\\evil.example",
            "\t//evil.example",
            "/ /evil.example",
            "evil.example",
            "",
            "/\u{7f}/evil.example",
        ] {
            assert_eq!(safe_return_to(Some(bad)), "/", "{bad:?}");
        }
        let long = format!("/{}", "a".repeat(3000));
        assert_eq!(safe_return_to(Some(&long)), "/");
        assert_eq!(safe_return_to(None), "/");
    }

    #[test]
    fn pkce_s256_matches_rfc7636() {
        assert_eq!(
            pkce_challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
    }

    #[test]
    fn basic_credentials_are_form_encoded() {
        assert_eq!(form_encode("a+b/c%d:e f"), "a%2Bb%2Fc%25d%3Ae+f");
        assert_eq!(form_encode("blog"), "blog");
    }

    #[test]
    fn audiences() {
        assert!(audience_contains(&serde_json::json!("blog"), "blog"));
        assert!(audience_contains(&serde_json::json!(["x", "blog"]), "blog"));
        assert!(!audience_contains(&serde_json::json!("cart"), "blog"));
    }
}
