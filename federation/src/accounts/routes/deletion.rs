//! `/account/delete`: the page that explains what deleting the account does, and the POST
//! (CSRF-checked by the fleet's guard) that checks the typed username and the password (or a
//! code), then deletes the account (`accounts::deletion`), signs this browser out and shows the
//! "signed out" page. A refused check re-renders the form: 400 for the wrong username, 403 for
//! a wrong password or code, 429 after too many; nothing changes.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use shared::infrastructure::session::Session;
use shared::infrastructure::sso::CurrentUser;
use shared::{AppContext, AppError, AppName};

use super::{accounts, client_ip, failure, page, protected_redirect};
use crate::accounts::deletion;
use crate::accounts::domain::AccountsError;
use crate::state::FederationState;

fn form_page(
    ctx: &AppContext,
    user: &CurrentUser,
    error: Option<&str>,
    status: StatusCode,
) -> Result<HttpResponse, AppError> {
    let mut context = ctx.base_context();
    context.insert("csrf_token", &user.csrf_token);
    context.insert("username", &user.username);
    context.insert("data_url", &ctx.url(AppName::Account, "/data"));
    if let Some(error) = error {
        context.insert("error", error);
    }
    page(ctx, "accounts/delete.html", &context, status)
}

pub(super) async fn form(
    ctx: web::Data<AppContext>,
    user: CurrentUser,
) -> Result<HttpResponse, AppError> {
    form_page(&ctx, &user, None, StatusCode::OK)
}

#[derive(Debug, Deserialize)]
pub(super) struct DeleteForm {
    #[serde(default)]
    confirm: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    code: String,
}

pub(super) async fn submit(
    req: HttpRequest,
    ctx: web::Data<AppContext>,
    state: web::Data<FederationState>,
    user: CurrentUser,
    session: Session,
    form: web::Form<DeleteForm>,
) -> Result<HttpResponse, AppError> {
    let checked = accounts(&ctx)
        .confirm_deletion(
            &client_ip(&req),
            user.id,
            &user.username,
            &form.confirm,
            &form.password,
            &form.code,
        )
        .await;
    let refused = |e: AccountsError, status| form_page(&ctx, &user, Some(&e.to_string()), status);
    match checked {
        Ok(()) => {}
        Err(e @ AccountsError::WrongConfirmation) => return refused(e, StatusCode::BAD_REQUEST),
        Err(e @ (AccountsError::NotProven | AccountsError::ReauthNeeded)) => {
            return refused(e, StatusCode::FORBIDDEN);
        }
        Err(e @ AccountsError::TooManyAttempts) => {
            return refused(e, StatusCode::TOO_MANY_REQUESTS);
        }
        Err(e) => return failure(e),
    }
    deletion::delete(&ctx, &state, user.id).await?;
    ctx.sessions().destroy(&session.id).await?;
    let mut res = protected_redirect("/logged-out");
    let _ = res.add_cookie(&ctx.sessions().removal_cookie());
    Ok(res)
}
