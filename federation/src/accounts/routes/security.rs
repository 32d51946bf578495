//! `/account/security` and `/account/password`: the second factor (set up, switch off) and the
//! password change.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use shared::contracts::dtos::Role;
use shared::crypto::token_digest;
use shared::infrastructure::session::Session;
use shared::infrastructure::sso::CurrentUser;
use shared::{AppContext, AppError};

use super::{accounts, client_ip, failure, form_status, page, protected_redirect};
use crate::accounts::domain::AccountsError;
use crate::accounts::sign_ons::SignOns;
use crate::accounts::totp;
use crate::state::FederationState;

pub(super) async fn show(
    ctx: web::Data<AppContext>,
    user: CurrentUser,
) -> Result<HttpResponse, AppError> {
    let totp_enabled = accounts(&ctx).second_factor_on(user.id).await?;
    let mut context = ctx.base_context();
    context.insert("csrf_token", &user.csrf_token);
    context.insert("totp_enabled", &totp_enabled);
    context.insert("is_admin", &(user.role == Role::Admin));
    page(&ctx, "accounts/security.html", &context, StatusCode::OK)
}

/// What a member typed to prove it is them before touching the second factor: their password,
/// or a current code from the authenticator they have on.
#[derive(Debug, Deserialize)]
pub(super) struct ReauthForm {
    #[serde(default)]
    password: String,
    #[serde(default)]
    code: String,
}

pub(super) async fn totp_start(
    req: HttpRequest,
    ctx: web::Data<AppContext>,
    user: CurrentUser,
    session: Session,
    form: web::Form<ReauthForm>,
) -> Result<HttpResponse, AppError> {
    let enrolment = match accounts(&ctx)
        .start_totp(
            &client_ip(&req),
            user.id,
            &token_digest(&session.id),
            &form.password,
            &form.code,
        )
        .await
    {
        Ok(enrolment) => enrolment,
        Err(e) => return failure(e),
    };
    let uri = totp::provisioning_uri("Rose Ash", &user.username, &enrolment.secret);
    let mut context = ctx.base_context();
    context.insert("csrf_token", &user.csrf_token);
    context.insert("secret", &enrolment.secret);
    context.insert(
        "qr_svg",
        &shared::infrastructure::qr::svg(&uri).unwrap_or_default(),
    );
    context.insert("otpauth_uri", &uri);
    page(&ctx, "accounts/totp-enrol.html", &context, StatusCode::OK)
}

#[derive(Debug, Deserialize)]
pub(super) struct CodeForm {
    code: String,
}

pub(super) async fn totp_confirm(
    ctx: web::Data<AppContext>,
    user: CurrentUser,
    session: Session,
    form: web::Form<CodeForm>,
) -> Result<HttpResponse, AppError> {
    let codes = accounts(&ctx)
        .confirm_totp(user.id, &token_digest(&session.id), &form.code)
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

pub(super) async fn totp_disable(
    req: HttpRequest,
    ctx: web::Data<AppContext>,
    user: CurrentUser,
    form: web::Form<ReauthForm>,
) -> Result<HttpResponse, AppError> {
    match accounts(&ctx)
        .disable_totp(&client_ip(&req), user.id, &form.password, &form.code)
        .await
    {
        Ok(()) => Ok(protected_redirect("/account/security?changed=totp")),
        Err(e) => failure(e),
    }
}

pub(super) async fn password_form(
    ctx: web::Data<AppContext>,
    user: CurrentUser,
) -> Result<HttpResponse, AppError> {
    let mut context = ctx.base_context();
    context.insert("csrf_token", &user.csrf_token);
    page(&ctx, "accounts/password.html", &context, StatusCode::OK)
}

#[derive(Debug, Deserialize)]
pub(super) struct ChangePasswordForm {
    current: String,
    password: String,
}

pub(super) async fn change_password(
    ctx: web::Data<AppContext>,
    state: web::Data<FederationState>,
    user: CurrentUser,
    session: Session,
    form: web::Form<ChangePasswordForm>,
) -> Result<HttpResponse, AppError> {
    let sign_ons = SignOns {
        ctx: &ctx,
        state: &state,
    };
    let changed = accounts(&ctx)
        .change_password(
            &sign_ons,
            user.id,
            &user.username,
            &form.current,
            &form.password,
            session.data.sso_sid.as_deref(),
        )
        .await;
    match changed {
        Ok(()) => Ok(protected_redirect("/account/security?changed=password")),
        Err(e @ (AccountsError::WrongPassword | AccountsError::WeakPassword(_))) => {
            let mut context = ctx.base_context();
            context.insert("csrf_token", &user.csrf_token);
            context.insert("error", &e.to_string());
            page(&ctx, "accounts/password.html", &context, form_status(&e))
        }
        Err(e) => failure(e),
    }
}
