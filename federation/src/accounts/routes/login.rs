//! `/login`, `/login/second-factor` and `/logout`.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use shared::infrastructure::session::{Session, ensure_session};
use shared::infrastructure::sso::safe_return_to;
use shared::{AppContext, AppError};

use super::{
    ReturnQuery, accounts, client_ip, complete_sign_in, failure, form_status, page,
    protected_redirect, with_cookie,
};
use crate::accounts::domain::{AccountsError, SignIn};
use crate::oauth::end_sso_session;
use crate::state::FederationState;

pub(super) async fn form(
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
pub(super) struct LoginForm {
    login: String,
    password: String,
    return_to: Option<String>,
    /// "Keep me signed in": no idle timeout.
    remember: Option<String>,
}

pub(super) async fn submit(
    req: HttpRequest,
    ctx: web::Data<AppContext>,
    session: Option<Session>,
    form: web::Form<LoginForm>,
) -> Result<HttpResponse, AppError> {
    let login = form.login.trim().to_lowercase();
    let return_to = safe_return_to(form.return_to.as_deref());
    let remember = form.remember.is_some();
    let user_id = match accounts(&ctx)
        .sign_in(&client_ip(&req), &login, &form.password)
        .await
    {
        Ok(SignIn::Complete { user_id }) => user_id,
        Ok(SignIn::SecondFactor { user_id }) => {
            // The password was right; the second factor is still to come.
            let (mut session, new) = ensure_session(&ctx, session).await?;
            session.data.pending_user_id = Some(user_id);
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
        Err(
            e @ (AccountsError::TooManySignIns
            | AccountsError::WrongCredentials
            | AccountsError::Unconfirmed),
        ) => {
            let mut context = ctx.base_context();
            context.insert("error", &e.to_string());
            context.insert("login", &login);
            context.insert("return_to", &return_to);
            context.insert("csrf_token", &session.map(|s| s.data.csrf));
            return page(&ctx, "accounts/login.html", &context, form_status(&e));
        }
        Err(e) => return failure(e),
    };
    complete_sign_in(&ctx, session.as_ref(), user_id, &return_to, remember).await
}

pub(super) async fn second_factor_form(
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
pub(super) struct SecondFactorForm {
    code: String,
    return_to: Option<String>,
    remember: Option<String>,
}

pub(super) async fn second_factor(
    req: HttpRequest,
    ctx: web::Data<AppContext>,
    session: Option<Session>,
    form: web::Form<SecondFactorForm>,
) -> Result<HttpResponse, AppError> {
    let Some((session, user_id)) = session.and_then(|s| {
        let user_id = s.data.pending_user_id?;
        Some((s, user_id))
    }) else {
        return Ok(protected_redirect("/login"));
    };
    let return_to = safe_return_to(form.return_to.as_deref());
    match accounts(&ctx)
        .second_factor(&client_ip(&req), user_id, &form.code)
        .await
    {
        Ok(()) => {}
        Err(AccountsError::NoSecondFactor) => return Ok(protected_redirect("/login")),
        Err(e @ (AccountsError::TooManyAttempts | AccountsError::WrongCode)) => {
            let mut context = ctx.base_context();
            context.insert("error", &e.to_string());
            context.insert("csrf_token", &session.data.csrf);
            context.insert("return_to", &return_to);
            context.insert("remember", &form.remember.is_some());
            return page(
                &ctx,
                "accounts/second-factor.html",
                &context,
                form_status(&e),
            );
        }
        Err(e) => return failure(e),
    }
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
pub(super) async fn logout(
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
