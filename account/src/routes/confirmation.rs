//! `/confirm/{token}`: the double opt-in link. The GET only shows a button (a link scanner
//! that prefetches the mail's link confirms nothing); the POST confirms, once.

use actix_web::{HttpResponse, web};
use shared::{AppContext, PageRequest};

use crate::domain::NewsletterError;
use crate::state::AccountState;
use crate::views::{self, ConfirmPage, ListView};

pub async fn show(
    ctx: web::Data<AppContext>,
    state: web::Data<AccountState>,
    page: PageRequest,
    token: web::Path<String>,
) -> Result<HttpResponse, NewsletterError> {
    let list = super::newsletters(&ctx, &state)
        .pending_confirmation(&token)
        .await?;
    let view = ConfirmPage {
        newsletter: ListView::from(&list),
        action: format!("/confirm/{token}"),
        confirmed: false,
        preferences_url: None,
    };
    render(&ctx, &page, &view).await
}

pub async fn confirm(
    ctx: web::Data<AppContext>,
    state: web::Data<AccountState>,
    page: PageRequest,
    token: web::Path<String>,
) -> Result<HttpResponse, NewsletterError> {
    let (list, preferences) = super::newsletters(&ctx, &state).confirm(&token).await?;
    let view = ConfirmPage {
        newsletter: ListView::from(&list),
        action: format!("/confirm/{token}"),
        confirmed: true,
        preferences_url: Some(super::preferences_url(&ctx, &preferences)),
    };
    render(&ctx, &page, &view).await
}

async fn render(
    ctx: &AppContext,
    page: &PageRequest,
    view: &ConfirmPage<'_>,
) -> Result<HttpResponse, NewsletterError> {
    let context = views::page_context(ctx.base_context(), view)?;
    Ok(ctx
        .render_page(page, "confirm.html", context, Vec::new())
        .await?)
}
