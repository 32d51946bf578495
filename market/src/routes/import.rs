//! `/stalls/{slug}/import`: paste a shop page's address; the market fetches it through the
//! guarded fetcher (public addresses only, size and time capped), reads the product from it
//! and shows the product form pre-filled as a draft. Nothing is saved until the owner saves
//! the form, and it stays a draft until they publish it.

use actix_web::{HttpResponse, web};
use serde::Deserialize;
use shared::infrastructure::sso::CurrentUser;
use shared::{AppContext, AppError, PageRequest};

use super::actor;
use super::product::render_form;
use crate::domain::{Market, MarketError, extract};
use crate::views::{self, ImportPage};

#[derive(Debug, Deserialize)]
pub struct ImportForm {
    url: String,
}

pub async fn form(
    ctx: web::Data<AppContext>,
    page: PageRequest,
    user: CurrentUser,
    slug: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let stall = Market::new(ctx.db())
        .editable_stall(&slug, actor(&user))
        .await?;
    let view = ImportPage {
        stall_slug: &stall.slug,
        url: "",
    };
    let context = views::page_context(ctx.base_context(), &view)?;
    ctx.render_page(&page, "import.html", context, Vec::new())
        .await
}

pub async fn preview(
    ctx: web::Data<AppContext>,
    page: PageRequest,
    user: CurrentUser,
    slug: web::Path<String>,
    form: web::Form<ImportForm>,
) -> Result<HttpResponse, AppError> {
    // Owners only, before anything is fetched.
    let stall = Market::new(ctx.db())
        .editable_stall(&slug, actor(&user))
        .await?;
    let address = form.url.trim();
    let parsed = url::Url::parse(address)
        .ok()
        .filter(|u| matches!(u.scheme(), "http" | "https"))
        .ok_or_else(|| MarketError::Import("that is not a web address".into()))?;
    let fetched = ctx
        .activitypub()
        .fetcher
        .html(parsed.as_str())
        .await
        .map_err(|e| MarketError::Import(e.to_string()))?;
    let found = extract::extract(&fetched.body, &fetched.url)
        .ok_or_else(|| MarketError::Import("the page names no product".into()))?;
    render_form(
        &ctx,
        &page,
        "Review the imported product",
        &stall.slug,
        &found.form(),
        Some(fetched.url.as_str()),
    )
    .await
}
