//! Thin handlers for the account pages, one file per resource: parse the form, call
//! [`Accounts`](super::domain::Accounts), render the page. Every page carries the protective
//! headers (no framing, no referrer, no store).

mod deletion;
mod login;
mod profile;
mod reset;
mod security;
mod signup;

use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use shared::crypto::random_token;
use shared::infrastructure::errors::ErrorMessage;
use shared::infrastructure::redirect::see_other;
use shared::infrastructure::session::{Session, SessionData};
use shared::infrastructure::sso::safe_return_to;
use shared::{AppContext, AppError};

use super::domain::{Accounts, AccountsError};
use super::{passwords, sign_ons};
use crate::oauth::protect;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/signup", web::get().to(signup::form))
        .route("/signup", web::post().to(signup::submit))
        .route("/verify-email/{token}", web::get().to(signup::verify_form))
        .route("/verify-email/{token}", web::post().to(signup::verify))
        .route("/login", web::get().to(login::form))
        .route("/login", web::post().to(login::submit))
        .route(
            "/login/second-factor",
            web::get().to(login::second_factor_form),
        )
        .route("/login/second-factor", web::post().to(login::second_factor))
        .route("/logout", web::post().to(login::logout))
        .route("/logged-out", web::get().to(crate::oauth::logged_out_page))
        .route("/password/forgot", web::get().to(reset::forgot_form))
        .route("/password/forgot", web::post().to(reset::forgot))
        .route("/password/reset/{token}", web::get().to(reset::form))
        .route("/password/reset/{token}", web::post().to(reset::submit))
        .route("/account/password", web::get().to(security::password_form))
        .route(
            "/account/password",
            web::post().to(security::change_password),
        )
        .route("/account/profile", web::get().to(profile::form))
        .route("/account/profile", web::post().to(profile::update))
        .route("/account/delete", web::get().to(deletion::form))
        .route("/account/delete", web::post().to(deletion::submit))
        .route("/account/security", web::get().to(security::show))
        .route(
            "/account/security/totp/start",
            web::post().to(security::totp_start),
        )
        .route(
            "/account/security/totp/confirm",
            web::post().to(security::totp_confirm),
        )
        .route(
            "/account/security/totp/disable",
            web::post().to(security::totp_disable),
        );
}

/// The accounts service over this app's pool and Redis.
fn accounts(ctx: &AppContext) -> Accounts<'_> {
    Accounts::new(ctx.db(), ctx.redis())
}

/// Renders a federation page with the protective headers (no framing, no referrer, no store).
fn page(
    ctx: &AppContext,
    template: &str,
    context: &tera::Context,
    status: StatusCode,
) -> Result<HttpResponse, AppError> {
    let html = ctx.templates().render(template, context)?;
    let mut res = HttpResponse::build(status);
    Ok(protect(&mut res)
        .content_type("text/html; charset=utf-8")
        .body(html))
}

/// 503 with `Retry-After`: every password hasher is busy (a burst of sign-ins; see `passwords`).
fn busy() -> HttpResponse {
    let message = "Many people are signing in right now. Please try again in a moment.";
    let mut res = HttpResponse::ServiceUnavailable();
    let mut res = protect(&mut res)
        .insert_header((header::RETRY_AFTER, passwords::RETRY_AFTER_SECS.to_string()))
        .content_type("text/plain; charset=utf-8")
        .body(message);
    res.extensions_mut()
        .insert(ErrorMessage(message.to_owned()));
    res
}

/// An error no form shows: busy hashers are a 503 to retry, the rest as [`AppError`] maps them.
fn failure(err: AccountsError) -> Result<HttpResponse, AppError> {
    match err {
        AccountsError::Busy => Ok(busy()),
        other => Err(other.into()),
    }
}

/// The status a page answers with when it shows `err` above its form again.
fn form_status(err: &AccountsError) -> StatusCode {
    match err {
        AccountsError::Invalid(_) | AccountsError::WeakPassword(_) => {
            StatusCode::UNPROCESSABLE_ENTITY
        }
        AccountsError::TooManySignUps
        | AccountsError::TooManySignIns
        | AccountsError::TooManyAttempts => StatusCode::TOO_MANY_REQUESTS,
        AccountsError::WrongCredentials
        | AccountsError::WrongCode
        | AccountsError::WrongPassword => StatusCode::UNAUTHORIZED,
        AccountsError::Unconfirmed => StatusCode::FORBIDDEN,
        _ => StatusCode::BAD_REQUEST,
    }
}

/// A 303 with the account pages' protective headers (no framing, no caching, no referrer).
fn protected_redirect(location: &str) -> HttpResponse {
    protect(&mut see_other(location)).finish()
}

fn with_cookie(
    ctx: &AppContext,
    mut res: HttpResponse,
    session: &Session,
    new: bool,
) -> HttpResponse {
    if new {
        let _ = res.add_cookie(&ctx.sessions().cookie(session.id.clone()));
    }
    res
}

/// The address rate limits count: the TCP peer, or what a `TRUSTED_PROXIES` proxy forwarded.
fn client_ip(req: &HttpRequest) -> String {
    shared::infrastructure::client_ip::of_request(req)
        .map_or_else(|| "unknown".to_owned(), |ip| ip.to_string())
}

/// Signs `user_id` in: a new session id (no fixation), a new sign-on session, then on. Unless
/// the member asked to be remembered, the session also ends after `SESSION_IDLE_TIMEOUT_SECS`
/// without a request.
async fn complete_sign_in(
    ctx: &AppContext,
    old: Option<&Session>,
    user_id: i64,
    return_to: &str,
    remember: bool,
) -> Result<HttpResponse, AppError> {
    if let Some(old) = old {
        ctx.sessions().destroy(&old.id).await?;
    }
    let sso_sid = random_token()?;
    sign_ons::remember(ctx.redis(), user_id, &sso_sid).await?;
    let mut data = SessionData::for_user(Some(user_id))?;
    data.sso_sid = Some(sso_sid);
    data.auth_time = Some(chrono::Utc::now().timestamp());
    if !remember {
        data.idle_secs = Some(
            crate::state::FederationState::of(ctx)?
                .config
                .session_idle_timeout
                .as_secs(),
        );
    }
    let sid = ctx.sessions().create(&data).await?;
    let mut res = protected_redirect(&safe_return_to(Some(return_to)));
    let _ = res.add_cookie(&ctx.sessions().cookie(sid));
    Ok(res)
}

#[derive(Debug, Deserialize)]
struct ReturnQuery {
    return_to: Option<String>,
    /// Carried from the password step to the second factor ("keep me signed in").
    remember: Option<String>,
}
