//! `/products/{slug}/images…`: a product's owners upload images (multipart, the CSRF token at
//! the form's head, which the shared guard reads), describe, move and delete them. An upload
//! is checked whole before anything is stored: each file at most `media::MAX_IMAGE` (413)
//! and a PNG, JPEG, GIF or WebP by its bytes (400).

use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use shared::infrastructure::redirect::see_other;
use shared::infrastructure::sso::CurrentUser;
use shared::infrastructure::{errors, media, multipart};
use shared::{AppContext, AppError};

use super::{actor, purge};
use crate::db::products::ImageDraft;
use crate::domain::Market;
use crate::domain::images::{self, alt_text};

/// Most files one upload carries.
pub const MAX_PER_UPLOAD: usize = 4;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.configure(media::configure)
        .service(
            web::resource("/products/{slug}/images")
                // Room for the files a form may carry; one over the cap is a 413 of its own.
                .app_data(web::PayloadConfig::new(
                    MAX_PER_UPLOAD * media::MAX_IMAGE + 256 * 1024,
                ))
                .route(web::post().to(upload)),
        )
        .route("/products/{slug}/images/{id}", web::post().to(describe))
        .route(
            "/products/{slug}/images/{id}/delete",
            web::post().to(delete),
        );
}

fn edit_page(slug: &str) -> HttpResponse {
    see_other(format!("/products/{slug}/edit#product-images")).finish()
}

/// The files of an upload (`image` file inputs, each followed by its `alt` text input; empty
/// file inputs skipped) as slices of the body.
fn uploads(req: &HttpRequest, body: &web::Bytes) -> Result<Vec<(web::Bytes, String)>, AppError> {
    let content_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let boundary = multipart::boundary(content_type)
        .ok_or_else(|| AppError::bad_request("Images are sent as multipart/form-data."))?;
    let parts =
        multipart::parse(body, &boundary).map_err(|e| AppError::bad_request(e.to_string()))?;
    let alts: Vec<&str> = parts
        .iter()
        .filter(|p| p.name == "alt" && p.filename.is_none())
        .map(|p| p.text().unwrap_or_default())
        .collect();
    let mut files = Vec::new();
    for (i, file) in parts.iter().filter(|p| p.name == "image").enumerate() {
        if file.body.is_empty() {
            continue;
        }
        let alt = alt_text(alts.get(i).copied().unwrap_or_default())?;
        files.push((body.slice_ref(file.body), alt));
    }
    match files.len() {
        0 => Err(AppError::bad_request("Choose an image to upload.")),
        n if n > MAX_PER_UPLOAD => Err(AppError::BadRequest(format!(
            "At most {MAX_PER_UPLOAD} images at a time."
        ))),
        _ => Ok(files),
    }
}

/// `POST /products/{slug}/images`.
pub async fn upload(
    req: HttpRequest,
    ctx: web::Data<AppContext>,
    user: CurrentUser,
    slug: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    // Owners only, before the form is even read.
    let market = Market::new(ctx.db());
    let page = market.editable_product(&slug, actor(&user)).await?;
    let files = uploads(&req, &body)?;
    images::room_for(page.images.len(), files.len())?;
    if files
        .iter()
        .any(|(bytes, _)| bytes.len() > media::MAX_IMAGE)
    {
        return Ok(errors::error_response(
            &req,
            StatusCode::PAYLOAD_TOO_LARGE,
            &format!(
                "Images are at most {} MB.",
                media::MAX_IMAGE / (1024 * 1024)
            ),
        ));
    }
    if files.iter().any(|(bytes, _)| media::sniff(bytes).is_none()) {
        return Err(AppError::bad_request(
            "Only PNG, JPEG, GIF and WebP images can be uploaded.",
        ));
    }
    let mut added = Vec::new();
    for (bytes, alt) in files {
        let stored = media::store_image(&ctx.config().media_dir, bytes).await?;
        added.push(ImageDraft {
            url: stored.url,
            alt,
        });
    }
    let product = market
        .add_images(ctx.config(), actor(&user), &slug, &added)
        .await?;
    purge(&ctx).await;
    Ok(edit_page(&product.slug))
}

#[derive(Debug, Deserialize)]
pub struct DescribeForm {
    #[serde(default)]
    alt: String,
    /// 1-based; absent: stays where it is.
    position: Option<String>,
}

/// `POST /products/{slug}/images/{id}`: new alt text, and a new place in the order.
pub async fn describe(
    ctx: web::Data<AppContext>,
    user: CurrentUser,
    path: web::Path<(String, i64)>,
    form: web::Form<DescribeForm>,
) -> Result<HttpResponse, AppError> {
    let (slug, id) = path.into_inner();
    let market = Market::new(ctx.db());
    let page = market.editable_product(&slug, actor(&user)).await?;
    let position = match form.position.as_deref().map(str::trim) {
        None | Some("") => page
            .images
            .iter()
            .position(|i| i.id == id)
            .ok_or_else(|| AppError::not_found("There is no such image."))?,
        Some(n) => n
            .parse::<usize>()
            .ok()
            .filter(|n| *n >= 1)
            .ok_or_else(|| AppError::bad_request("A position is a number from 1."))?
            .saturating_sub(1),
    };
    let product = market
        .describe_image(ctx.config(), actor(&user), &slug, id, &form.alt, position)
        .await?;
    purge(&ctx).await;
    Ok(edit_page(&product.slug))
}

/// `POST /products/{slug}/images/{id}/delete`.
pub async fn delete(
    ctx: web::Data<AppContext>,
    user: CurrentUser,
    path: web::Path<(String, i64)>,
) -> Result<HttpResponse, AppError> {
    let (slug, id) = path.into_inner();
    let product = Market::new(ctx.db())
        .delete_image(ctx.config(), actor(&user), &slug, id)
        .await?;
    purge(&ctx).await;
    Ok(edit_page(&product.slug))
}
