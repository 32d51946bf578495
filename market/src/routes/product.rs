//! `/products/{slug}`: a product's page (old slugs answer 301), and its owners' forms.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use shared::activitypub::wants_activity_json;
use shared::infrastructure::activitypub_web::object_response;
use shared::infrastructure::link_catalog;
use shared::infrastructure::redirect::see_other;
use shared::infrastructure::slug::{Resolved, moved_permanently};
use shared::infrastructure::sso::CurrentUser;
use shared::{AppContext, AppError, AppName, PageRequest};

use super::{actor, purge};
use crate::domain::Market;
use crate::domain::federate;
use crate::domain::form::ProductForm;
use crate::domain::rehost::Skipped;
use crate::views::{self, ImageRow, ProductFormPage, ProductPageView, VariantView};

pub async fn show(
    ctx: web::Data<AppContext>,
    req: HttpRequest,
    page: PageRequest,
    user: Option<CurrentUser>,
    slug: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    // A fediverse server looking the page up (Mastodon's search) is sent to the object.
    if wants_activity_json(accept(&req)) {
        return match federate::object_of_page(ctx.db(), ctx.config(), &slug).await? {
            Some(object_id) => Ok(see_other(object_id)
                .insert_header((header::VARY, "Accept"))
                .finish()),
            None => Err(AppError::not_found("This is not an ActivityPub object.")),
        };
    }
    // Anonymous views from the page cache (the ActivityPub answer above never is).
    crate::page_cache::serve(&ctx, &req, || async {
        let found = Market::new(ctx.db())
            .product(&slug, user.as_ref().map(actor))
            .await?;
        let product = match found {
            Resolved::Current(p) => p,
            Resolved::Moved(to) => return Ok(moved_permanently(&format!("/products/{to}"))),
            Resolved::Missing => return Err(AppError::not_found("There is no such product.")),
        };
        let url = ctx.url(
            AppName::Market,
            &format!("/products/{}", product.product.slug),
        );
        let view = ProductPageView::new(&product, &url, link_catalog::add_to_cart().url(&ctx));
        let context = views::page_context(ctx.base_context(), &view)?;
        ctx.render_page(&page, "product.html", context, Vec::new())
            .await
    })
    .await
}

pub async fn new(
    ctx: web::Data<AppContext>,
    page: PageRequest,
    user: CurrentUser,
    stall: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let stall = Market::new(ctx.db())
        .editable_stall(&stall, actor(&user))
        .await?;
    let form = ProductForm {
        status: "draft".into(),
        ..ProductForm::default()
    };
    render_form(&ctx, &page, "Add a product", &stall.slug, &form, None).await
}

/// The product form, new or pre-filled (an edit, or an imported draft).
pub async fn render_form(
    ctx: &AppContext,
    page: &PageRequest,
    heading: &str,
    stall_slug: &str,
    form: &ProductForm,
    imported: Option<(&str, &[Skipped])>,
) -> Result<HttpResponse, AppError> {
    let view = ProductFormPage {
        heading,
        action: format!("/stalls/{stall_slug}/products"),
        form,
        stall_slug,
        imported_from: imported.map(|(from, _)| from),
        skipped: imported.map_or(&[], |(_, skipped)| skipped),
        images: Vec::new(),
        variants: Vec::new(),
    };
    let context = views::page_context(ctx.base_context(), &view)?;
    ctx.render_page(page, "product_form.html", context, Vec::new())
        .await
}

pub async fn create(
    ctx: web::Data<AppContext>,
    user: CurrentUser,
    stall: web::Path<String>,
    form: web::Form<ProductForm>,
) -> Result<HttpResponse, AppError> {
    let product = Market::new(ctx.db())
        .create_product(ctx.config(), actor(&user), &stall, &form)
        .await?;
    purge(&ctx).await;
    Ok(see_other(format!("/products/{}", product.slug)).finish())
}

pub async fn edit(
    ctx: web::Data<AppContext>,
    page: PageRequest,
    user: CurrentUser,
    slug: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let p = Market::new(ctx.db())
        .editable_product(&slug, actor(&user))
        .await?;
    let option = |i: usize| p.options.get(i).map(|o| o.name.clone()).unwrap_or_default();
    let variants = p
        .variants
        .iter()
        .map(|v| {
            format!(
                "{} | {} | {}.{:02} {} | {} | {}",
                v.options().join(" / "),
                v.sku.as_deref().unwrap_or(""),
                v.price_cents / 100,
                v.price_cents % 100,
                v.currency,
                v.stock.map_or("untracked".to_owned(), |s| s.to_string()),
                v.image_url.as_deref().unwrap_or("")
            )
        })
        .collect::<Vec<_>>()
        .join("\n");
    let form = ProductForm {
        title: p.product.title.clone(),
        slug: p.product.slug.clone(),
        description: p.product.description.clone(),
        status: p.product.status.clone(),
        tags: p.product.tags.join(", "),
        option1: option(0),
        option2: option(1),
        option3: option(2),
        variants,
        images: p
            .images
            .iter()
            .map(|i| format!("{} | {}", i.url, i.alt))
            .collect::<Vec<_>>()
            .join("\n"),
    };
    let view = ProductFormPage {
        heading: "Edit the product",
        action: format!("/products/{}", p.product.slug),
        form: &form,
        stall_slug: p.stall.as_ref().map_or("", |s| s.slug.as_str()),
        imported_from: None,
        skipped: &[],
        images: p
            .images
            .iter()
            .enumerate()
            .map(|(i, image)| ImageRow {
                id: image.id,
                url: &image.url,
                alt: &image.alt,
                position: i + 1,
            })
            .collect(),
        variants: p.variants.iter().map(VariantView::from).collect(),
    };
    let context = views::page_context(ctx.base_context(), &view)?;
    ctx.render_page(&page, "product_form.html", context, Vec::new())
        .await
}

pub async fn update(
    ctx: web::Data<AppContext>,
    user: CurrentUser,
    slug: web::Path<String>,
    form: web::Form<ProductForm>,
) -> Result<HttpResponse, AppError> {
    let product = Market::new(ctx.db())
        .update_product(ctx.config(), actor(&user), &slug, &form)
        .await?;
    purge(&ctx).await;
    Ok(see_other(format!("/products/{}", product.slug)).finish())
}

/// `POST /products/{slug}/delete`: its owners delete a product (a live one leaves a
/// Tombstone on the fediverse); back to its stall.
pub async fn delete(
    ctx: web::Data<AppContext>,
    user: CurrentUser,
    slug: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let market = Market::new(ctx.db());
    let product = market
        .delete_product(ctx.config(), actor(&user), &slug)
        .await?;
    purge(&ctx).await;
    let stall = match product.stall_id {
        Some(id) => market.stall_slug(id).await?,
        None => None,
    };
    Ok(see_other(stall.map_or("/".to_owned(), |s| format!("/stalls/{s}"))).finish())
}

#[derive(serde::Deserialize)]
pub struct VariantImageForm {
    /// One of the product's images, by id; empty: none.
    #[serde(default)]
    image: String,
}

/// `POST /products/{slug}/variants/{id}/image`: the image a variant shows, picked from the
/// product's own.
pub async fn variant_image(
    ctx: web::Data<AppContext>,
    user: CurrentUser,
    path: web::Path<(String, i64)>,
    form: web::Form<VariantImageForm>,
) -> Result<HttpResponse, AppError> {
    let (slug, variant) = path.into_inner();
    let image = match form.image.trim() {
        "" => None,
        id => Some(
            id.parse::<i64>()
                .ok()
                .ok_or_else(|| AppError::bad_request("Pick one of the product's images."))?,
        ),
    };
    Market::new(ctx.db())
        .set_variant_image(actor(&user), &slug, variant, image)
        .await?;
    purge(&ctx).await;
    Ok(see_other(format!("/products/{slug}/edit#variant-images")).finish())
}

/// `/objects/products/{id}[/{revision}]`: a product as ActivityPub sees it under the id it
/// was last published with (a browser is sent to the page); ids deleted answer 410 with a
/// Tombstone.
pub async fn object(
    ctx: web::Data<AppContext>,
    req: HttpRequest,
) -> Result<HttpResponse, AppError> {
    let id: i64 = req
        .match_info()
        .get("id")
        .and_then(|id| id.parse().ok())
        .ok_or_else(|| AppError::not_found("There is no such product."))?;
    let requested = ctx.url(AppName::Market, req.path());
    let published = federate::published(ctx.db(), ctx.config(), id, &requested).await?;
    object_response(
        &req,
        published,
        |slug| format!("/products/{slug}"),
        "There is no such product.",
    )
}

fn accept(req: &HttpRequest) -> &str {
    req.headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
}
