//! `/password/forgot` and `/password/reset/{token}`: asking for a reset link (the same answer
//! whether or not the address has an account) and choosing a new password through it.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use shared::infrastructure::session::{Session, ensure_session};
use shared::{AppContext, AppError};

use super::{accounts, client_ip, failure, form_status, page, protected_redirect, with_cookie};
use crate::accounts::domain::AccountsError;
use crate::accounts::sign_ons::SignOns;
use crate::state::FederationState;

pub(super) async fn forgot_form(
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
pub(super) struct ForgotForm {
    email: String,
}

pub(super) async fn forgot(
    req: HttpRequest,
    ctx: web::Data<AppContext>,
    form: web::Form<ForgotForm>,
) -> Result<HttpResponse, AppError> {
    let email = form.email.trim();
    accounts(&ctx)
        .request_reset(&client_ip(&req), email)
        .await?;
    // The same answer whether or not the address has an account (and when rate-limited).
    let mut context = ctx.base_context();
    context.insert("email", email);
    page(&ctx, "accounts/check-email.html", &context, StatusCode::OK)
}

pub(super) async fn form(
    ctx: web::Data<AppContext>,
    session: Option<Session>,
    token: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    accounts(&ctx).check_reset_link(&token).await?;
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
pub(super) struct ResetForm {
    password: String,
}

pub(super) async fn submit(
    ctx: web::Data<AppContext>,
    state: web::Data<FederationState>,
    token: web::Path<String>,
    form: web::Form<ResetForm>,
) -> Result<HttpResponse, AppError> {
    let sign_ons = SignOns {
        ctx: &ctx,
        state: &state,
    };
    match accounts(&ctx)
        .reset_password(&sign_ons, &token, &form.password)
        .await
    {
        Ok(()) => Ok(protected_redirect("/login?reset=1")),
        Err(e @ AccountsError::WeakPassword(_)) => {
            let mut context = ctx.base_context();
            context.insert("error", &e.to_string());
            context.insert("token", &token.into_inner());
            page(&ctx, "accounts/reset.html", &context, form_status(&e))
        }
        Err(e) => failure(e),
    }
}
