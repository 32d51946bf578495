//! Image uploads: checked by their bytes (not their name or claimed type), stored under
//! `MEDIA_DIR/images/<yyyy>/<mm>/<sha256>.<ext>` and served with the matching content type.

use actix_web::http::header;
use actix_web::{HttpResponse, web};
use shared::infrastructure::sso::CurrentUser;
use shared::{AppContext, AppError};

use crate::content::permissions;

/// Largest image accepted.
pub const MAX_IMAGE: usize = 5 * 1024 * 1024;

/// The image formats accepted, recognised by their signature: (extension, content type).
fn sniff(bytes: &[u8]) -> Option<(&'static str, &'static str)> {
    if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some(("png", "image/png"))
    } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some(("jpg", "image/jpeg"))
    } else if bytes.starts_with(b"GIF87a") || bytes.starts_with(b"GIF89a") {
        Some(("gif", "image/gif"))
    } else if bytes.len() >= 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        Some(("webp", "image/webp"))
    } else {
        None
    }
}

fn content_type_of(ext: &str) -> Option<&'static str> {
    match ext {
        "png" => Some("image/png"),
        "jpg" => Some("image/jpeg"),
        "gif" => Some("image/gif"),
        "webp" => Some("image/webp"),
        _ => None,
    }
}

/// `POST /editor/api/images`: the body is the image itself.
pub async fn upload(
    ctx: web::Data<AppContext>,
    user: CurrentUser,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    permissions::require_writer(&user, "Only authors upload images.")?;
    if body.is_empty() {
        return Err(AppError::bad_request("The upload is empty."));
    }
    let Some((ext, content_type)) = sniff(&body) else {
        return Err(AppError::BadRequest(
            "Only PNG, JPEG, GIF and WebP images can be uploaded.".into(),
        ));
    };
    let digest = openssl::sha::sha256(&body);
    let now = chrono::Utc::now();
    let relative = format!(
        "{}/{}.{ext}",
        now.format("%Y/%m"),
        hex::encode(&digest[..16])
    );
    let path = ctx.config().media_dir.join("images").join(&relative);
    let bytes = body.clone();
    web::block(move || -> std::io::Result<()> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        if !path.exists() {
            // Write then rename: a reader never sees half an image.
            let tmp = path.with_extension(format!("{ext}.part"));
            std::fs::write(&tmp, &bytes)?;
            std::fs::rename(&tmp, &path)?;
        }
        Ok(())
    })
    .await
    .map_err(AppError::internal)?
    .map_err(AppError::internal)?;
    let url = format!("/content/images/{relative}");
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, url.clone()))
        .json(serde_json::json!({ "url": url, "content_type": content_type, "bytes": body.len() })))
}

/// `GET /content/images/{path}`.
pub async fn serve(
    ctx: web::Data<AppContext>,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let relative = path.into_inner();
    // Only the shape upload writes: yyyy/mm/<hex>.<ext>; nothing else can name a file.
    let parts: Vec<&str> = relative.split('/').collect();
    let valid = parts.len() == 3
        && parts[0].len() == 4
        && parts[1].len() == 2
        && parts[..2]
            .iter()
            .all(|p| p.bytes().all(|b| b.is_ascii_digit()));
    let content_type = parts
        .get(2)
        .and_then(|name| name.split_once('.'))
        .filter(|(stem, _)| !stem.is_empty() && stem.bytes().all(|b| b.is_ascii_hexdigit()))
        .and_then(|(_, ext)| content_type_of(ext));
    let (true, Some(content_type)) = (valid, content_type) else {
        return Err(AppError::not_found("There is no such image."));
    };
    let file = ctx.config().media_dir.join("images").join(&relative);
    let bytes = web::block(move || std::fs::read(file))
        .await
        .map_err(AppError::internal)?
        .map_err(|_missing| AppError::not_found("There is no such image."))?;
    Ok(HttpResponse::Ok()
        .content_type(content_type)
        .insert_header((header::CACHE_CONTROL, "public, max-age=31536000, immutable"))
        .body(bytes))
}

#[cfg(test)]
mod tests {
    #[test]
    fn images_are_known_by_their_bytes() {
        assert_eq!(
            super::sniff(b"\x89PNG\r\n\x1a\nrest"),
            Some(("png", "image/png"))
        );
        assert_eq!(super::sniff(b"GIF89a..."), Some(("gif", "image/gif")));
        assert_eq!(super::sniff(b"<svg onload=alert(1)>"), None);
        assert_eq!(super::sniff(b"%PDF-1.4"), None);
    }
}
