//! `/signup` and `/verify-email/{token}`: the form, the answer that does not say whether the
//! address has an account, and the confirmation button.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use shared::crypto::token_digest;
use shared::infrastructure::session::{Session, ensure_session};
use shared::infrastructure::sso::safe_return_to;
use shared::{AppContext, AppError};

use super::{ReturnQuery, accounts, client_ip, failure, form_status, page, with_cookie};
use crate::accounts::confirmation::Link;
use crate::accounts::domain::{AccountsError, Confirmation, NewAccount};

pub(super) async fn form(
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
pub(super) struct SignupForm {
    username: String,
    email: String,
    password: String,
    display_name: Option<String>,
    return_to: Option<String>,
}

pub(super) async fn submit(
    req: HttpRequest,
    ctx: web::Data<AppContext>,
    session: Option<Session>,
    form: web::Form<SignupForm>,
) -> Result<HttpResponse, AppError> {
    let account = NewAccount::from_form(&form.username, &form.email, form.display_name.as_deref());
    let return_to = safe_return_to(form.return_to.as_deref());
    let browser = session.as_ref().map(|s| token_digest(&s.id));
    let outcome = accounts(&ctx)
        .sign_up(
            &account,
            &form.password,
            &client_ip(&req),
            return_to.clone(),
            browser,
        )
        .await;
    // The form again, filled in as sent, with what is wrong.
    let again = |errors: &[&str], status: StatusCode| {
        let mut context = ctx.base_context();
        context.insert("errors", errors);
        context.insert("username", &account.username);
        context.insert("email", &account.email);
        context.insert("display_name", &account.display_name);
        context.insert("return_to", &return_to);
        context.insert("csrf_token", &session.as_ref().map(|s| s.data.csrf.clone()));
        page(&ctx, "accounts/signup.html", &context, status)
    };
    match outcome {
        Ok(()) => {
            let mut context = ctx.base_context();
            context.insert("email", &account.email);
            page(&ctx, "accounts/check-email.html", &context, StatusCode::OK)
        }
        Err(AccountsError::Invalid(problems)) => again(&problems, StatusCode::UNPROCESSABLE_ENTITY),
        Err(e @ AccountsError::TooManySignUps) => again(&[&e.to_string()], form_status(&e)),
        Err(e) => failure(e),
    }
}

/// The confirmation page for `state`, with a sign-in link that continues to where the visitor
/// was going when this is the browser that signed up.
fn confirmation_page(
    ctx: &AppContext,
    state: &str,
    link: &Link,
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

/// `GET /verify-email/{token}`: a page with a button (prefetching the link changes nothing).
pub(super) async fn verify_form(
    ctx: web::Data<AppContext>,
    session: Option<Session>,
    token: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let (session, new) = ensure_session(&ctx, session).await?;
    let res = match accounts(&ctx).confirmation(&token).await? {
        Confirmation::Used(link) => confirmation_page(&ctx, "already", &link, &session)?,
        Confirmation::Pending(_) => {
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
pub(super) async fn verify(
    ctx: web::Data<AppContext>,
    session: Option<Session>,
    token: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let (session, new) = ensure_session(&ctx, session).await?;
    let res = match accounts(&ctx).confirm_email(&token).await? {
        Confirmation::Used(link) => confirmation_page(&ctx, "already", &link, &session)?,
        Confirmation::Pending(link) => confirmation_page(&ctx, "confirmed", &link, &session)?,
    };
    Ok(with_cookie(&ctx, res, &session, new))
}
