//! `/preferences/{token}`: a subscriber's lists, by the signed link in their mail. The form
//! posts the lists to keep (`list=<slug>`, repeated); none unsubscribes from everything.

use actix_web::{HttpResponse, web};
use shared::{AppContext, PageRequest};

use crate::domain::NewsletterError;
use crate::state::AccountState;
use crate::views::{self, PreferencesPage};

pub async fn show(
    ctx: web::Data<AppContext>,
    state: web::Data<AccountState>,
    page: PageRequest,
    token: web::Path<String>,
) -> Result<HttpResponse, NewsletterError> {
    let prefs = super::newsletters(&ctx, &state).preferences(&token).await?;
    let view = PreferencesPage::new(&prefs, format!("/preferences/{token}"), false);
    render(&ctx, &page, &view).await
}

pub async fn save(
    ctx: web::Data<AppContext>,
    state: web::Data<AccountState>,
    page: PageRequest,
    token: web::Path<String>,
    form: web::Form<Vec<(String, String)>>,
) -> Result<HttpResponse, NewsletterError> {
    let chosen: Vec<String> = form
        .iter()
        .filter(|(k, _)| k == "list")
        .map(|(_, v)| v.clone())
        .collect();
    let prefs = super::newsletters(&ctx, &state)
        .set_preferences(&token, &chosen)
        .await?;
    let view = PreferencesPage::new(&prefs, format!("/preferences/{token}"), true);
    render(&ctx, &page, &view).await
}

async fn render(
    ctx: &AppContext,
    page: &PageRequest,
    view: &PreferencesPage<'_>,
) -> Result<HttpResponse, NewsletterError> {
    let context = views::page_context(ctx.base_context(), view)?;
    Ok(ctx
        .render_page(page, "preferences.html", context, Vec::new())
        .await?)
}
