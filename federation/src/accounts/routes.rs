//! Sign-up (with e-mail confirmation), sign-in (password, then TOTP when enrolled), sign-out,
//! password change and reset, profile, and the second factor.
//!
//! No user enumeration: sign-up, sign-in and reset answer the same whether or not an address
//! has an account (sign-in spends one hash verification either way). Usernames are public
//! (profiles live at `/@name`), so a taken one may be said.

use std::time::Duration;

use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use shared::contracts::dtos::Role;
use shared::crypto::{random_token, token_digest};
use shared::infrastructure::errors::ErrorMessage;
use shared::infrastructure::fragment_catalog;
use shared::infrastructure::mail::SendMail;
use shared::infrastructure::redirect::see_other;
use shared::infrastructure::session::{Session, SessionData, ensure_session};
use shared::infrastructure::sso::{CurrentUser, safe_return_to};
use shared::models::users::NewUser;
use shared::{AppContext, AppError, AppName, Viewer};

use super::{confirmation, jobs, passwords, rate_limit, sign_ons, totp};
use crate::db::users::{self, Credentials};
use crate::oauth::{end_sso_session, protect};
use crate::state::FederationState;

const RESET_TTL: Duration = Duration::from_secs(3600);
const RECOVERY_CODES: usize = 10;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/signup", web::get().to(signup_form))
        .route("/signup", web::post().to(signup))
        .route("/verify-email/{token}", web::get().to(verify_email_form))
        .route("/verify-email/{token}", web::post().to(verify_email))
        .route("/login", web::get().to(login_form))
        .route("/login", web::post().to(login))
        .route("/login/second-factor", web::get().to(second_factor_form))
        .route("/login/second-factor", web::post().to(second_factor))
        .route("/logout", web::post().to(logout))
        .route("/logged-out", web::get().to(crate::oauth::logged_out_page))
        .route("/password/forgot", web::get().to(forgot_form))
        .route("/password/forgot", web::post().to(forgot))
        .route("/password/reset/{token}", web::get().to(reset_form))
        .route("/password/reset/{token}", web::post().to(reset))
        .route("/account/password", web::get().to(change_password_form))
        .route("/account/password", web::post().to(change_password))
        .route("/account/profile", web::get().to(profile_form))
        .route("/account/profile", web::post().to(update_profile))
        .route("/account/security", web::get().to(security))
        .route("/account/security/totp/start", web::post().to(totp_start))
        .route(
            "/account/security/totp/confirm",
            web::post().to(totp_confirm),
        )
        .route(
            "/account/security/totp/disable",
            web::post().to(totp_disable),
        );
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

/// A hashing failure as a response: busy hashers are a 503 to retry, anything else a 500.
fn password_failure(err: passwords::PasswordError) -> Result<HttpResponse, AppError> {
    match err {
        passwords::PasswordError::Busy => Ok(busy()),
        other => Err(AppError::internal(other)),
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
    sign_ons::remember(ctx, user_id, &sso_sid).await?;
    let mut data = SessionData::for_user(Some(user_id))?;
    data.sso_sid = Some(sso_sid);
    data.auth_time = Some(chrono::Utc::now().timestamp());
    if !remember {
        data.idle_secs = Some(ctx.config().session_idle_timeout.as_secs());
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

// ---------------------------------------------------------------- sign-up

async fn signup_form(
    ctx: web::Data<AppContext>,
    session: Option<Session>,
    q: web::Query<ReturnQuery>,
) -> Result<HttpResponse, AppError> {
    let (session, new) = ensure_session(&ctx, session).await?;
    let mut context = ctx.base_context();
    context.insert("csrf_token", &session.data.csrf);
    context.insert("return_to", &safe_return_to(q.return_to.as_deref()));
    Ok(with_cookie(
        &ctx,
        page(&ctx, "accounts/signup.html", &context, StatusCode::OK)?,
        &session,
        new,
    ))
}

#[derive(Debug, Deserialize)]
struct SignupForm {
    username: String,
    email: String,
    password: String,
    display_name: Option<String>,
    return_to: Option<String>,
}

fn valid_username(username: &str) -> bool {
    (1..=30).contains(&username.len())
        && username
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

async fn signup(
    req: HttpRequest,
    ctx: web::Data<AppContext>,
    session: Option<Session>,
    form: web::Form<SignupForm>,
) -> Result<HttpResponse, AppError> {
    let username = form.username.trim().to_lowercase();
    let email = form.email.trim().to_owned();
    let display_name = form
        .display_name
        .as_deref()
        .map(str::trim)
        .filter(|d| !d.is_empty())
        .unwrap_or(&username)
        .to_owned();
    let return_to = safe_return_to(form.return_to.as_deref());
    let mut problems = Vec::new();
    if !valid_username(&username) {
        problems.push("Usernames are 1 to 30 lowercase letters, digits or underscores.");
    }
    if !shared::contracts::email::is_valid(&email) {
        problems.push("That does not look like an e-mail address.");
    }
    if display_name.chars().count() > 80 {
        problems.push("Your name is too long.");
    }
    if let Some(p) = passwords::policy_problem(&form.password, &username, &email) {
        problems.push(p);
    }
    let existing_name = {
        let mut conn = ctx.conn().await?;
        shared::models::users::by_username(&mut conn, &username).await?
    };
    if problems.is_empty() && existing_name.is_some() {
        problems.push("That username is taken.");
    }
    // The form again, filled in as sent, with what is wrong.
    let again = |errors: &[&str], status: StatusCode| {
        let mut context = ctx.base_context();
        context.insert("errors", errors);
        context.insert("username", &username);
        context.insert("email", &email);
        context.insert("display_name", &display_name);
        context.insert("return_to", &return_to);
        context.insert("csrf_token", &session.as_ref().map(|s| s.data.csrf.clone()));
        page(&ctx, "accounts/signup.html", &context, status)
    };
    if !problems.is_empty() {
        return again(&problems, StatusCode::UNPROCESSABLE_ENTITY);
    }
    // Counted per IP and per address, whether or not the address has an account.
    let ip = client_ip(&req);
    if !rate_limit::allowed(
        ctx.redis(),
        &ip,
        &format!("signup:{}", email.to_lowercase()),
    )
    .await?
    {
        return again(
            &["Too many sign-ups from here or for this address. Please wait 15 minutes."],
            StatusCode::TOO_MANY_REQUESTS,
        );
    }
    // Hashed whether or not the address has an account, so both cost the same.
    let hash = match passwords::hash(form.password.clone()).await {
        Ok(hash) => hash,
        Err(e) => return password_failure(e),
    };
    let job = SignUp {
        username,
        email: email.clone(),
        display_name,
        hash,
        return_to,
        browser: session.as_ref().map(|s| token_digest(&s.id)),
    };
    jobs::spawn("sign-up", job.run(ctx.get_ref().clone()));
    let mut context = ctx.base_context();
    context.insert("email", &email);
    page(&ctx, "accounts/check-email.html", &context, StatusCode::OK)
}

/// The part of a sign-up that depends on whether the address has an account, run after the
/// answer (see [`jobs`]).
struct SignUp {
    username: String,
    email: String,
    display_name: String,
    hash: String,
    return_to: String,
    browser: Option<String>,
}

impl SignUp {
    async fn run(self, ctx: AppContext) -> Result<(), AppError> {
        let link_base = ctx.url(AppName::Federation, "/");
        let existing = {
            let mut conn = ctx.conn().await?;
            users::by_email(&mut conn, &self.email).await?
        };
        if let Some(owner) = existing {
            // The address has an account: tell its owner (the visitor saw the usual page).
            let body = format!(
                "Someone tried to create a Rose Ash account with this address, which already has one \
                 (username {}).\n\nIf it was you, sign in at {link_base}login or reset your password at \
                 {link_base}password/forgot.\n\nIf it was not you, you can ignore this message.",
                owner.username
            );
            send_mail(&ctx, &self.email, "Your Rose Ash account", &body).await;
            return Ok(());
        }
        let user = {
            let mut conn = ctx.conn().await?;
            users::insert_with_password(
                &mut conn,
                &NewUser {
                    username: &self.username,
                    email: &self.email,
                    display_name: &self.display_name,
                    avatar_url: None,
                    bio: "",
                    role: "member",
                },
                &self.hash,
                false,
            )
            .await?
        };
        let token = random_token()?;
        confirmation::create(
            &ctx,
            &token,
            &confirmation::Link {
                user_id: user.id,
                browser: self.browser,
                return_to: self.return_to,
            },
        )
        .await?;
        let body = format!(
            "Welcome to Rose Ash, {}!\n\nConfirm your e-mail address to finish creating your account:\n\n{link_base}verify-email/{token}\n\nThe link works for 24 hours, in any browser.",
            self.display_name
        );
        send_mail(&ctx, &self.email, "Confirm your Rose Ash account", &body).await;
        Ok(())
    }
}

/// Queues a mail (`SendMail` job): the queue sends it, retrying while the SMTP server fails.
async fn send_mail(ctx: &AppContext, to: &str, subject: &str, body: &str) {
    let job = SendMail {
        to: to.to_owned(),
        subject: subject.to_owned(),
        body: body.to_owned(),
    };
    let queued = match ctx.conn().await {
        Ok(mut conn) => shared::jobs::enqueue(&mut conn, &job)
            .await
            .map(drop)
            .map_err(|e| e.to_string()),
        Err(e) => Err(e.to_string()),
    };
    if let Err(e) = queued {
        tracing::error!(error = %e, "could not queue mail");
    }
}

/// The confirmation page for `state`, with a sign-in link that continues to where the visitor
/// was going when this is the browser that signed up.
fn confirmation_page(
    ctx: &AppContext,
    state: &str,
    link: &confirmation::Link,
    session: &Session,
) -> Result<HttpResponse, AppError> {
    let same_browser = link.browser.as_deref() == Some(token_digest(&session.id).as_str());
    let return_to = if same_browser {
        safe_return_to(Some(&link.return_to))
    } else {
        "/".to_owned()
    };
    let sign_in = format!(
        "/login?{}",
        serde_urlencoded::to_string([("return_to", &return_to)]).map_err(AppError::internal)?
    );
    let mut context = ctx.base_context();
    context.insert("state", state);
    context.insert("sign_in", &sign_in);
    page(ctx, "accounts/verify-email.html", &context, StatusCode::OK)
}

fn unknown_link() -> AppError {
    AppError::bad_request(
        "This confirmation link has expired (links work for 24 hours). Sign up again to get a new one.",
    )
}

/// `GET /verify-email/{token}`: a page with a button (prefetching the link changes nothing).
async fn verify_email_form(
    ctx: web::Data<AppContext>,
    session: Option<Session>,
    token: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let (session, new) = ensure_session(&ctx, session).await?;
    let res = match confirmation::peek(&ctx, &token).await? {
        confirmation::State::Unknown => return Err(unknown_link()),
        confirmation::State::Used(link) => confirmation_page(&ctx, "already", &link, &session)?,
        confirmation::State::Pending(_) => {
            let mut context = ctx.base_context();
            context.insert("state", "confirm");
            context.insert("csrf_token", &session.data.csrf);
            context.insert("action", &format!("/verify-email/{token}"));
            page(&ctx, "accounts/verify-email.html", &context, StatusCode::OK)?
        }
    };
    Ok(with_cookie(&ctx, res, &session, new))
}

/// `POST /verify-email/{token}`: confirms the address (once), then offers sign-in.
async fn verify_email(
    ctx: web::Data<AppContext>,
    session: Option<Session>,
    token: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let (session, new) = ensure_session(&ctx, session).await?;
    let res = match confirmation::take(&ctx, &token).await? {
        confirmation::State::Unknown => return Err(unknown_link()),
        confirmation::State::Used(link) => confirmation_page(&ctx, "already", &link, &session)?,
        confirmation::State::Pending(link) => {
            {
                let mut conn = ctx.conn().await?;
                users::mark_email_verified(&mut conn, link.user_id).await?;
            }
            confirmation_page(&ctx, "confirmed", &link, &session)?
        }
    };
    Ok(with_cookie(&ctx, res, &session, new))
}

// ---------------------------------------------------------------- sign-in

async fn login_form(
    ctx: web::Data<AppContext>,
    session: Option<Session>,
    q: web::Query<ReturnQuery>,
) -> Result<HttpResponse, AppError> {
    let return_to = safe_return_to(q.return_to.as_deref());
    if session.as_ref().is_some_and(|s| s.data.user_id.is_some()) {
        return Ok(protected_redirect(&return_to));
    }
    let (session, new) = ensure_session(&ctx, session).await?;
    let mut context = ctx.base_context();
    context.insert("csrf_token", &session.data.csrf);
    context.insert("return_to", &return_to);
    Ok(with_cookie(
        &ctx,
        page(&ctx, "accounts/login.html", &context, StatusCode::OK)?,
        &session,
        new,
    ))
}

#[derive(Debug, Deserialize)]
struct LoginForm {
    login: String,
    password: String,
    return_to: Option<String>,
    /// "Keep me signed in": no idle timeout.
    remember: Option<String>,
}

async fn login_failed(
    ctx: &AppContext,
    session: Option<&Session>,
    login: &str,
    return_to: &str,
    message: &str,
    status: StatusCode,
) -> Result<HttpResponse, AppError> {
    let mut context = ctx.base_context();
    context.insert("error", message);
    context.insert("login", login);
    context.insert("return_to", return_to);
    context.insert("csrf_token", &session.map(|s| s.data.csrf.clone()));
    page(ctx, "accounts/login.html", &context, status)
}

async fn login(
    req: HttpRequest,
    ctx: web::Data<AppContext>,
    session: Option<Session>,
    form: web::Form<LoginForm>,
) -> Result<HttpResponse, AppError> {
    let ip = client_ip(&req);
    let login = form.login.trim().to_lowercase();
    let return_to = safe_return_to(form.return_to.as_deref());
    let remember = form.remember.is_some();
    if !rate_limit::allowed(ctx.redis(), &ip, &login).await? {
        return login_failed(
            &ctx,
            session.as_ref(),
            &login,
            &return_to,
            "Too many sign-in attempts. Please wait 15 minutes and try again, or reset your password.",
            StatusCode::TOO_MANY_REQUESTS,
        )
        .await;
    }
    let credentials: Option<Credentials> = {
        let mut conn = ctx.conn().await?;
        users::credentials_by_login(&mut conn, &login).await?
    };
    let ok = match passwords::verify(
        form.password.clone(),
        credentials.as_ref().and_then(|c| c.password_hash.clone()),
    )
    .await
    {
        Ok(ok) => ok,
        Err(e) => return password_failure(e),
    };
    let Some(user) = credentials.filter(|c| ok && c.disabled_at.is_none()) else {
        rate_limit::record_failure(ctx.redis(), &ip, &login).await?;
        return login_failed(
            &ctx,
            session.as_ref(),
            &login,
            &return_to,
            "Wrong username, e-mail or password.",
            StatusCode::UNAUTHORIZED,
        )
        .await;
    };
    rate_limit::record_success_from(ctx.redis(), &ip, &login).await?;
    if user.email_verified_at.is_none() {
        return login_failed(
            &ctx,
            session.as_ref(),
            &login,
            &return_to,
            "Please confirm your e-mail address first: use the link we sent when you signed up.",
            StatusCode::FORBIDDEN,
        )
        .await;
    }
    if user.totp_enabled_at.is_some() {
        // The password was right; the second factor is still to come.
        let (mut session, new) = ensure_session(&ctx, session).await?;
        session.data.pending_user_id = Some(user.id);
        ctx.sessions().save(&session.id, &session.data).await?;
        let mut query = vec![("return_to", return_to.as_str())];
        if remember {
            query.push(("remember", "1"));
        }
        let location = format!(
            "/login/second-factor?{}",
            serde_urlencoded::to_string(query).map_err(AppError::internal)?
        );
        return Ok(with_cookie(
            &ctx,
            protected_redirect(&location),
            &session,
            new,
        ));
    }
    complete_sign_in(&ctx, session.as_ref(), user.id, &return_to, remember).await
}

async fn second_factor_form(
    ctx: web::Data<AppContext>,
    session: Option<Session>,
    q: web::Query<ReturnQuery>,
) -> Result<HttpResponse, AppError> {
    let Some(session) = session.filter(|s| s.data.pending_user_id.is_some()) else {
        return Ok(protected_redirect("/login"));
    };
    let mut context = ctx.base_context();
    context.insert("csrf_token", &session.data.csrf);
    context.insert("return_to", &safe_return_to(q.return_to.as_deref()));
    context.insert("remember", &q.remember.is_some());
    page(
        &ctx,
        "accounts/second-factor.html",
        &context,
        StatusCode::OK,
    )
}

#[derive(Debug, Deserialize)]
struct SecondFactorForm {
    code: String,
    return_to: Option<String>,
    remember: Option<String>,
}

async fn second_factor(
    req: HttpRequest,
    ctx: web::Data<AppContext>,
    session: Option<Session>,
    form: web::Form<SecondFactorForm>,
) -> Result<HttpResponse, AppError> {
    let Some(session) = session.filter(|s| s.data.pending_user_id.is_some()) else {
        return Ok(protected_redirect("/login"));
    };
    let user_id = session.data.pending_user_id.unwrap_or_default();
    let return_to = safe_return_to(form.return_to.as_deref());
    let account = format!("2fa:{user_id}");
    let ip = client_ip(&req);
    let retry = |message: &str, status: StatusCode| {
        let mut context = ctx.base_context();
        context.insert("error", message);
        context.insert("csrf_token", &session.data.csrf);
        context.insert("return_to", &return_to);
        context.insert("remember", &form.remember.is_some());
        page(&ctx, "accounts/second-factor.html", &context, status)
    };
    if !rate_limit::allowed(ctx.redis(), &ip, &account).await? {
        return retry(
            "Too many attempts. Please wait 15 minutes.",
            StatusCode::TOO_MANY_REQUESTS,
        );
    }
    let credentials = {
        let mut conn = ctx.conn().await?;
        users::credentials_by_id(&mut conn, user_id).await?
    };
    let Some(secret) =
        credentials.and_then(|c| c.totp_secret.filter(|_| c.totp_enabled_at.is_some()))
    else {
        return Ok(protected_redirect("/login"));
    };
    let code = form.code.trim().replace([' ', '-'], "");
    let accepted = match totp::verify(&secret, &code, chrono::Utc::now().timestamp()) {
        // A code works once, even within its 30 seconds.
        Some(step) => code_unused(&ctx, user_id, step).await?,
        None => {
            let mut conn = ctx.conn().await?;
            users::use_recovery_code(&mut conn, user_id, &token_digest(&code.to_uppercase()))
                .await?
        }
    };
    if !accepted {
        rate_limit::record_failure(ctx.redis(), &ip, &account).await?;
        return retry(
            "That code is not right. Try the current code from your app, or a recovery code.",
            StatusCode::UNAUTHORIZED,
        );
    }
    rate_limit::record_success_from(ctx.redis(), &ip, &account).await?;
    complete_sign_in(
        &ctx,
        Some(&session),
        user_id,
        &return_to,
        form.remember.is_some(),
    )
    .await
}

/// `POST /logout` at federation: ends the sign-on session everywhere.
async fn logout(
    ctx: web::Data<AppContext>,
    state: web::Data<FederationState>,
    session: Option<Session>,
) -> Result<HttpResponse, AppError> {
    if let Some(session) = session {
        if let (Some(sid), Some(user_id)) = (&session.data.sso_sid, session.data.user_id) {
            end_sso_session(&ctx, &state, sid, user_id).await?;
        }
        ctx.sessions().destroy(&session.id).await?;
    }
    let mut res = protected_redirect("/logged-out");
    let _ = res.add_cookie(&ctx.sessions().removal_cookie());
    Ok(res)
}

// ---------------------------------------------------------------- passwords

async fn forgot_form(
    ctx: web::Data<AppContext>,
    session: Option<Session>,
) -> Result<HttpResponse, AppError> {
    let (session, new) = ensure_session(&ctx, session).await?;
    let mut context = ctx.base_context();
    context.insert("csrf_token", &session.data.csrf);
    Ok(with_cookie(
        &ctx,
        page(&ctx, "accounts/forgot.html", &context, StatusCode::OK)?,
        &session,
        new,
    ))
}

#[derive(Debug, Deserialize)]
struct ForgotForm {
    email: String,
}

async fn forgot(
    req: HttpRequest,
    ctx: web::Data<AppContext>,
    form: web::Form<ForgotForm>,
) -> Result<HttpResponse, AppError> {
    let email = form.email.trim().to_owned();
    let ip = client_ip(&req);
    let account = format!("reset:{}", email.to_lowercase());
    if !shared::contracts::email::is_valid(&email) {
        return Err(AppError::bad_request(
            "That does not look like an e-mail address.",
        ));
    }
    if rate_limit::allowed(ctx.redis(), &ip, &account).await? {
        // Looking the address up, and the mail, come after the answer (see `jobs`).
        jobs::spawn(
            "password reset",
            send_reset(ctx.get_ref().clone(), email.clone()),
        );
    }
    // The same answer whether or not the address has an account (and when rate-limited).
    let mut context = ctx.base_context();
    context.insert("email", &email);
    page(&ctx, "accounts/check-email.html", &context, StatusCode::OK)
}

/// Mails a reset link to `email` if it has an account (after the answer: see [`forgot`]).
async fn send_reset(ctx: AppContext, email: String) -> Result<(), AppError> {
    let user = {
        let mut conn = ctx.conn().await?;
        users::by_email(&mut conn, &email).await?
    };
    let Some(user) = user else {
        return Ok(());
    };
    let token = random_token()?;
    {
        let mut conn = ctx.conn().await?;
        let expires =
            chrono::Utc::now() + chrono::Duration::from_std(RESET_TTL).unwrap_or_default();
        users::create_password_reset(&mut conn, user.id, &token_digest(&token), expires).await?;
    }
    let link = ctx.url(AppName::Federation, &format!("/password/reset/{token}"));
    let body = format!(
        "Someone (hopefully you) asked to reset the password of your Rose Ash account ({}).\n\n\
         Choose a new password here:\n\n{link}\n\nThe link works once, for one hour. If you did not ask, ignore this message.",
        user.username
    );
    send_mail(&ctx, &user.email, "Reset your Rose Ash password", &body).await;
    Ok(())
}

async fn reset_form(
    ctx: web::Data<AppContext>,
    session: Option<Session>,
    token: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let valid = {
        let mut conn = ctx.conn().await?;
        users::password_reset_user(&mut conn, &token_digest(&token))
            .await?
            .is_some()
    };
    if !valid {
        return Err(AppError::bad_request(
            "This reset link has expired or was already used. Ask for a new one.",
        ));
    }
    let (session, new) = ensure_session(&ctx, session).await?;
    let mut context = ctx.base_context();
    context.insert("csrf_token", &session.data.csrf);
    context.insert("token", &token.into_inner());
    Ok(with_cookie(
        &ctx,
        page(&ctx, "accounts/reset.html", &context, StatusCode::OK)?,
        &session,
        new,
    ))
}

#[derive(Debug, Deserialize)]
struct ResetForm {
    password: String,
}

async fn reset(
    ctx: web::Data<AppContext>,
    state: web::Data<FederationState>,
    token: web::Path<String>,
    form: web::Form<ResetForm>,
) -> Result<HttpResponse, AppError> {
    let digest = token_digest(&token);
    let owner = {
        let mut conn = ctx.conn().await?;
        match users::password_reset_user(&mut conn, &digest).await? {
            Some(id) => shared::models::users::by_id(&mut conn, id).await?,
            None => None,
        }
    };
    let user = owner.ok_or_else(|| {
        AppError::bad_request("This reset link has expired or was already used. Ask for a new one.")
    })?;
    if let Some(problem) = passwords::policy_problem(&form.password, &user.username, &user.email) {
        let mut context = ctx.base_context();
        context.insert("error", problem);
        context.insert("token", &token.into_inner());
        return page(
            &ctx,
            "accounts/reset.html",
            &context,
            StatusCode::UNPROCESSABLE_ENTITY,
        );
    }
    let hash = match passwords::hash(form.password.clone()).await {
        Ok(hash) => hash,
        Err(e) => return password_failure(e),
    };
    let mut conn = ctx.conn().await?;
    // Single use: only the request that takes the token sets the password.
    if users::take_password_reset(&mut conn, &digest).await? != Some(user.id) {
        return Err(AppError::bad_request(
            "This reset link has expired or was already used. Ask for a new one.",
        ));
    }
    users::set_password_hash(&mut conn, user.id, &hash).await?;
    // Following the link proved the address.
    users::mark_email_verified(&mut conn, user.id).await?;
    drop(conn);
    // Whoever knew the old password is signed out everywhere, this browser included.
    sign_ons::end_all_except(&ctx, &state, user.id, None).await?;
    Ok(protected_redirect("/login?reset=1"))
}

async fn change_password_form(
    ctx: web::Data<AppContext>,
    user: CurrentUser,
) -> Result<HttpResponse, AppError> {
    let mut context = ctx.base_context();
    context.insert("csrf_token", &user.csrf_token);
    page(&ctx, "accounts/password.html", &context, StatusCode::OK)
}

#[derive(Debug, Deserialize)]
struct ChangePasswordForm {
    current: String,
    password: String,
}

async fn change_password(
    ctx: web::Data<AppContext>,
    state: web::Data<FederationState>,
    user: CurrentUser,
    session: Session,
    form: web::Form<ChangePasswordForm>,
) -> Result<HttpResponse, AppError> {
    let (credentials, email) = {
        let mut conn = ctx.conn().await?;
        let c = users::credentials_by_id(&mut conn, user.id)
            .await?
            .ok_or(AppError::Unauthorized)?;
        let email = c.email.clone();
        (c, email)
    };
    let retry = |message: &str, status| {
        let mut context = ctx.base_context();
        context.insert("csrf_token", &user.csrf_token);
        context.insert("error", message);
        page(&ctx, "accounts/password.html", &context, status)
    };
    let current_ok =
        match passwords::verify(form.current.clone(), credentials.password_hash.clone()).await {
            Ok(ok) => ok,
            Err(e) => return password_failure(e),
        };
    if !current_ok {
        return retry(
            "Your current password is not right.",
            StatusCode::UNAUTHORIZED,
        );
    }
    if let Some(problem) = passwords::policy_problem(&form.password, &user.username, &email) {
        return retry(problem, StatusCode::UNPROCESSABLE_ENTITY);
    }
    let hash = match passwords::hash(form.password.clone()).await {
        Ok(hash) => hash,
        Err(e) => return password_failure(e),
    };
    {
        let mut conn = ctx.conn().await?;
        users::set_password_hash(&mut conn, user.id, &hash).await?;
    }
    // Every other sign-on session ends; the one that made the change goes on.
    sign_ons::end_all_except(&ctx, &state, user.id, session.data.sso_sid.as_deref()).await?;
    Ok(protected_redirect("/account/security?changed=password"))
}

// ---------------------------------------------------------------- profile

async fn profile_form(
    ctx: web::Data<AppContext>,
    user: CurrentUser,
) -> Result<HttpResponse, AppError> {
    let row = {
        let mut conn = ctx.conn().await?;
        shared::models::users::by_id(&mut conn, user.id).await?
    }
    .ok_or(AppError::Unauthorized)?;
    let mut context = ctx.base_context();
    context.insert("csrf_token", &user.csrf_token);
    context.insert("display_name", &row.display_name);
    context.insert("bio", &row.bio);
    context.insert("avatar_url", &row.avatar_url);
    context.insert("username", &row.username);
    page(&ctx, "accounts/profile.html", &context, StatusCode::OK)
}

#[derive(Debug, Deserialize)]
struct ProfileForm {
    display_name: String,
    bio: String,
    avatar_url: String,
}

fn valid_avatar(url: &str) -> bool {
    match url::Url::parse(url) {
        Ok(u) => {
            url.len() <= 500
                && (u.scheme() == "https"
                    || (u.scheme() == "http"
                        && u.host_str()
                            .is_some_and(shared::infrastructure::http_client::is_localhost)))
        }
        Err(_) => false,
    }
}

async fn update_profile(
    ctx: web::Data<AppContext>,
    user: CurrentUser,
    form: web::Form<ProfileForm>,
) -> Result<HttpResponse, AppError> {
    let display_name = form.display_name.trim();
    let bio = form.bio.trim();
    let avatar = Some(form.avatar_url.trim()).filter(|a| !a.is_empty());
    if display_name.is_empty() || display_name.chars().count() > 80 {
        return Err(AppError::bad_request(
            "Your name must be 1 to 80 characters.",
        ));
    }
    if bio.chars().count() > 500 {
        return Err(AppError::bad_request(
            "Your bio must be at most 500 characters.",
        ));
    }
    if avatar.is_some_and(|a| !valid_avatar(a)) {
        return Err(AppError::bad_request(
            "The picture must be an https:// address.",
        ));
    }
    {
        let mut conn = ctx.conn().await?;
        users::update_profile(&mut conn, user.id, display_name, bio, avatar).await?;
    }
    // Every app's header shows this member's name: drop their cached menus.
    for app in AppName::ALL {
        if let Err(e) = ctx
            .fragments()
            .purge(&fragment_catalog::user_menu(app, Viewer::User(user.id)))
            .await
        {
            tracing::warn!(error = %e, "could not purge the user menu");
        }
    }
    Ok(protected_redirect("/account/profile?saved=1"))
}

// ---------------------------------------------------------------- second factor

async fn security(ctx: web::Data<AppContext>, user: CurrentUser) -> Result<HttpResponse, AppError> {
    let credentials = {
        let mut conn = ctx.conn().await?;
        users::credentials_by_id(&mut conn, user.id).await?
    }
    .ok_or(AppError::Unauthorized)?;
    let mut context = ctx.base_context();
    context.insert("csrf_token", &user.csrf_token);
    context.insert("totp_enabled", &credentials.totp_enabled_at.is_some());
    context.insert("is_admin", &(user.role == Role::Admin));
    page(&ctx, "accounts/security.html", &context, StatusCode::OK)
}

/// What a member typed to prove it is them before touching the second factor: their password,
/// or a current code from the authenticator they have on.
#[derive(Debug, Deserialize)]
struct ReauthForm {
    #[serde(default)]
    password: String,
    #[serde(default)]
    code: String,
}

enum Reauth {
    Proven,
    Refused(&'static str),
    Busy,
}

/// Checks a [`ReauthForm`] (rate-limited like sign-in, so a stolen session cannot guess the
/// password here).
async fn reauthenticate(
    req: &HttpRequest,
    ctx: &AppContext,
    user_id: i64,
    form: &ReauthForm,
) -> Result<Reauth, AppError> {
    if form.password.is_empty() && form.code.trim().is_empty() {
        return Ok(Reauth::Refused(
            "Type your password (or a code from your authenticator) to do this.",
        ));
    }
    let account = format!("reauth:{user_id}");
    let ip = client_ip(req);
    if !rate_limit::allowed(ctx.redis(), &ip, &account).await? {
        return Ok(Reauth::Refused(
            "Too many attempts. Please wait 15 minutes.",
        ));
    }
    let credentials = {
        let mut conn = ctx.conn().await?;
        users::credentials_by_id(&mut conn, user_id).await?
    }
    .ok_or(AppError::Unauthorized)?;
    let code = form.code.trim().replace([' ', '-'], "");
    let proven = if !code.is_empty() {
        match credentials
            .totp_secret
            .as_deref()
            .filter(|_| credentials.totp_enabled_at.is_some())
            .and_then(|secret| totp::verify(secret, &code, chrono::Utc::now().timestamp()))
        {
            Some(step) => code_unused(ctx, user_id, step).await?,
            None => false,
        }
    } else {
        match passwords::verify(form.password.clone(), credentials.password_hash).await {
            Ok(ok) => ok,
            Err(passwords::PasswordError::Busy) => return Ok(Reauth::Busy),
            Err(e) => return Err(AppError::internal(e)),
        }
    };
    if !proven {
        return Ok(Reauth::Refused("Your password (or the code) is not right."));
    }
    rate_limit::record_success_from(ctx.redis(), &ip, &account).await?;
    Ok(Reauth::Proven)
}

/// Marks a TOTP step as used; false when it already was (a code works once).
async fn code_unused(ctx: &AppContext, user_id: i64, step: u64) -> Result<bool, AppError> {
    let mut conn = ctx.redis().conn();
    let fresh: Option<String> = redis::cmd("SET")
        .arg(ctx.redis().key(format!("totp-used:{user_id}:{step}")))
        .arg(1)
        .arg("NX")
        .arg("EX")
        .arg(120)
        .query_async(&mut conn)
        .await?;
    Ok(fresh.is_some())
}

/// How long a started enrolment waits for its confirming code.
const TOTP_PENDING_TTL: Duration = Duration::from_secs(15 * 60);

/// The enrolment a session started (bound to that session: confirming needs the session that
/// proved the password). The enabled factor stays as it is until the new one is confirmed.
fn pending_totp_key(ctx: &AppContext, user_id: i64, session: &Session) -> String {
    ctx.redis().key(format!(
        "totp-pending:{user_id}:{}",
        token_digest(&session.id)
    ))
}

async fn totp_start(
    req: HttpRequest,
    ctx: web::Data<AppContext>,
    user: CurrentUser,
    session: Session,
    form: web::Form<ReauthForm>,
) -> Result<HttpResponse, AppError> {
    match reauthenticate(&req, &ctx, user.id, &form).await? {
        Reauth::Proven => {}
        Reauth::Refused(why) => return Err(AppError::Forbidden(why.into())),
        Reauth::Busy => return Ok(busy()),
    }
    let secret = totp::new_secret()?;
    let mut conn = ctx.redis().conn();
    redis::cmd("SET")
        .arg(pending_totp_key(&ctx, user.id, &session))
        .arg(&secret)
        .arg("EX")
        .arg(TOTP_PENDING_TTL.as_secs())
        .query_async::<()>(&mut conn)
        .await?;
    let uri = totp::provisioning_uri("Rose Ash", &user.username, &secret);
    let mut context = ctx.base_context();
    context.insert("csrf_token", &user.csrf_token);
    context.insert("secret", &secret);
    context.insert(
        "qr_svg",
        &shared::infrastructure::qr::svg(&uri).unwrap_or_default(),
    );
    context.insert("otpauth_uri", &uri);
    page(&ctx, "accounts/totp-enrol.html", &context, StatusCode::OK)
}

#[derive(Debug, Deserialize)]
struct CodeForm {
    code: String,
}

async fn totp_confirm(
    ctx: web::Data<AppContext>,
    user: CurrentUser,
    session: Session,
    form: web::Form<CodeForm>,
) -> Result<HttpResponse, AppError> {
    let key = pending_totp_key(&ctx, user.id, &session);
    let secret: Option<String> = {
        let mut conn = ctx.redis().conn();
        redis::cmd("GET").arg(&key).query_async(&mut conn).await?
    };
    let secret = secret.ok_or_else(|| {
        AppError::bad_request("Start setting up the authenticator first (with your password).")
    })?;
    if totp::verify(&secret, &form.code, chrono::Utc::now().timestamp()).is_none() {
        return Err(AppError::bad_request(
            "That code is not right. Check your authenticator app's clock and try again.",
        ));
    }
    let codes = (0..RECOVERY_CODES)
        .map(|_| shared::crypto::random_bytes::<6>().map(|b| totp::base32_encode(&b)))
        .collect::<Result<Vec<String>, _>>()?;
    let hashes: Vec<String> = codes.iter().map(|c| token_digest(c)).collect();
    {
        let mut conn = ctx.conn().await?;
        users::set_totp(&mut conn, user.id, Some(&secret), true).await?;
        users::replace_recovery_codes(&mut conn, user.id, &hashes).await?;
    }
    let mut conn = ctx.redis().conn();
    redis::cmd("DEL")
        .arg(&key)
        .query_async::<()>(&mut conn)
        .await?;
    let mut context = ctx.base_context();
    context.insert("codes", &codes);
    page(
        &ctx,
        "accounts/recovery-codes.html",
        &context,
        StatusCode::OK,
    )
}

async fn totp_disable(
    req: HttpRequest,
    ctx: web::Data<AppContext>,
    user: CurrentUser,
    form: web::Form<ReauthForm>,
) -> Result<HttpResponse, AppError> {
    match reauthenticate(&req, &ctx, user.id, &form).await? {
        Reauth::Proven => {}
        Reauth::Refused(why) => return Err(AppError::Forbidden(why.into())),
        Reauth::Busy => return Ok(busy()),
    }
    let mut conn = ctx.conn().await?;
    users::set_totp(&mut conn, user.id, None, false).await?;
    users::replace_recovery_codes(&mut conn, user.id, &[]).await?;
    Ok(protected_redirect("/account/security?changed=totp"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames_and_emails() {
        assert!(valid_username("ada_99"));
        assert!(!valid_username("Ada"));
        assert!(!valid_username(""));
        assert!(!valid_username("a".repeat(31).as_str()));
        assert!(valid_avatar("https://example.org/a.png"));
        assert!(valid_avatar("http://federation.localhost:8005/a.png"));
        assert!(!valid_avatar("http://example.org/a.png"));
        assert!(!valid_avatar("javascript:alert(1)"));
    }
}
