//! `/stalls/{slug}/import`: paste a shop page's address; the market fetches it through the
//! guarded fetcher (public addresses only, size and time capped), reads the product from it
//! and shows the product form pre-filled as a draft, its images already copied to our media
//! (`domain::rehost`; those that could not be copied are listed). Nothing else is saved until
//! the owner saves the form, and it stays a draft until they publish it.

use actix_web::{HttpResponse, web};
use serde::Deserialize;
use shared::infrastructure::sso::CurrentUser;
use shared::{AppContext, AppError, PageRequest};

use super::actor;
use super::product::render_form;
use crate::domain::{Market, MarketError, extract, rehost};
use crate::views::{self, ImportPage, ImportProgressPage};
use shared::infrastructure::redirect::see_other;

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
    let mut found = extract::extract(&fetched.body, &fetched.url)
        .ok_or_else(|| MarketError::Import("the page names no product".into()))?;
    // The draft shows our copies of its images; those that could not be copied are listed.
    let skipped = rehost::rehost(
        &ctx.activitypub().fetcher,
        &ctx.config().media_dir,
        &mut found,
    )
    .await;
    render_form(
        &ctx,
        &page,
        "Review the imported product",
        &stall.slug,
        &found.form(),
        Some((fetched.url.as_str(), &skipped)),
    )
    .await
}

#[derive(Debug, Deserialize)]
pub struct BulkForm {
    urls: String,
}

/// `POST /stalls/{slug}/imports`: queue a list of addresses, then show their progress.
pub async fn bulk(
    ctx: web::Data<AppContext>,
    user: CurrentUser,
    slug: web::Path<String>,
    form: web::Form<BulkForm>,
) -> Result<HttpResponse, AppError> {
    let (stall, id) = Market::new(ctx.db())
        .start_import(actor(&user), &slug, &form.urls)
        .await?;
    Ok(see_other(format!("/stalls/{}/imports/{id}", stall.slug)).finish())
}

/// `GET /stalls/{slug}/imports/{id}`: each address's state, refreshing until all are done.
pub async fn progress(
    ctx: web::Data<AppContext>,
    page: PageRequest,
    user: CurrentUser,
    path: web::Path<(String, i64)>,
) -> Result<HttpResponse, AppError> {
    let (slug, id) = path.into_inner();
    let progress = Market::new(ctx.db())
        .import_progress(actor(&user), &slug, id)
        .await?;
    let view = ImportProgressPage::new(&progress);
    let context = views::page_context(ctx.base_context(), &view)?;
    ctx.render_page(&page, "import_progress.html", context, Vec::new())
        .await
}
