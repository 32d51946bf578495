//! Image uploads any app can take: checked by their bytes (not their name or claimed type),
//! capped in size, stored content-addressed under `MEDIA_DIR/images/<yyyy>/<mm>/<sha256>.<ext>`
//! and served from `/content/images/…` with the matching type, cached for good (a file's name
//! is its digest, so it never changes).
//!
//! An app mounts [`configure`] for the serving route and calls [`store_image`] from its own
//! upload handler, after its own permission check; the body limit is [`MAX_IMAGE`].

use std::path::{Path, PathBuf};

use actix_web::http::header;
use actix_web::{HttpResponse, web};

use crate::{AppContext, AppError};

/// Largest image accepted.
pub const MAX_IMAGE: usize = 5 * 1024 * 1024;

/// Where stored images are served from.
pub const IMAGES_PATH: &str = "/content/images";

/// The image formats accepted, recognised by their signature: (extension, content type).
pub fn sniff(bytes: &[u8]) -> Option<(&'static str, &'static str)> {
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

/// An image that was stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredImage {
    /// Where it is served (`/content/images/<yyyy>/<mm>/<hex>.<ext>`).
    pub url: String,
    pub content_type: &'static str,
    pub bytes: usize,
}

/// Stores an uploaded image under `media_dir` (see the module docs); the same bytes in the
/// same month are one file. Empty, oversized and unrecognised bodies are a 400.
pub async fn store_image(media_dir: &Path, body: web::Bytes) -> Result<StoredImage, AppError> {
    if body.is_empty() {
        return Err(AppError::bad_request("The upload is empty."));
    }
    if body.len() > MAX_IMAGE {
        return Err(AppError::BadRequest(format!(
            "Images are at most {} MB.",
            MAX_IMAGE / (1024 * 1024)
        )));
    }
    let Some((ext, content_type)) = sniff(&body) else {
        return Err(AppError::BadRequest(
            "Only PNG, JPEG, GIF and WebP images can be uploaded.".into(),
        ));
    };
    let digest = openssl::sha::sha256(&body);
    let relative = format!(
        "{}/{}.{ext}",
        chrono::Utc::now().format("%Y/%m"),
        hex::encode(&digest[..16])
    );
    let path = media_dir.join("images").join(&relative);
    let bytes = body.len();
    web::block(move || -> std::io::Result<()> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        if !path.exists() {
            // Write then rename: a reader never sees half an image.
            let tmp = path.with_extension(format!("{ext}.part"));
            std::fs::write(&tmp, &body)?;
            std::fs::rename(&tmp, &path)?;
        }
        Ok(())
    })
    .await
    .map_err(AppError::internal)?
    .map_err(AppError::internal)?;
    Ok(StoredImage {
        url: format!("{IMAGES_PATH}/{relative}"),
        content_type,
        bytes,
    })
}

/// The answer to an upload: 201 with the image's address.
pub fn created(image: &StoredImage) -> HttpResponse {
    HttpResponse::Created()
        .insert_header((header::LOCATION, image.url.clone()))
        .json(serde_json::json!({
            "url": image.url,
            "content_type": image.content_type,
            "bytes": image.bytes,
        }))
}

/// The file and type a request path names, if it has the shape [`store_image`] writes
/// (`yyyy/mm/<hex>.<ext>`): nothing else can name a file.
fn locate(media_dir: &Path, relative: &str) -> Option<(PathBuf, &'static str)> {
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
        .and_then(|(_, ext)| content_type_of(ext))
        .filter(|_| valid)?;
    Some((media_dir.join("images").join(relative), content_type))
}

/// Serves a stored image (`relative` is the path after `/content/images/`).
pub async fn serve_image(media_dir: &Path, relative: &str) -> Result<HttpResponse, AppError> {
    let Some((file, content_type)) = locate(media_dir, relative) else {
        return Err(AppError::not_found("There is no such image."));
    };
    let bytes = web::block(move || std::fs::read(file))
        .await
        .map_err(AppError::internal)?
        .map_err(|_missing| AppError::not_found("There is no such image."))?;
    Ok(HttpResponse::Ok()
        .content_type(content_type)
        .insert_header((header::CACHE_CONTROL, "public, max-age=31536000, immutable"))
        .body(bytes))
}

/// `GET /content/images/{path}` from the app's `MEDIA_DIR`.
pub async fn serve(
    ctx: web::Data<AppContext>,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    serve_image(&ctx.config().media_dir, &path).await
}

/// Mounts the serving route.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route(&format!("{IMAGES_PATH}/{{path:.*}}"), web::get().to(serve));
}

#[cfg(test)]
mod tests {
    use super::*;

    const PNG: &[u8] = b"\x89PNG\r\n\x1a\n-pixels-";

    #[test]
    fn images_are_known_by_their_bytes() {
        assert_eq!(sniff(b"\x89PNG\r\n\x1a\nrest"), Some(("png", "image/png")));
        assert_eq!(sniff(b"\xFF\xD8\xFF\xE0"), Some(("jpg", "image/jpeg")));
        assert_eq!(sniff(b"GIF89a..."), Some(("gif", "image/gif")));
        assert_eq!(sniff(b"RIFF\0\0\0\0WEBPVP8 "), Some(("webp", "image/webp")));
        assert_eq!(sniff(b"<svg onload=alert(1)>"), None);
        assert_eq!(sniff(b"%PDF-1.4"), None);
        assert_eq!(sniff(b"RIFF"), None);
    }

    #[test]
    fn only_the_stored_shape_names_a_file() {
        let dir = Path::new("/media");
        let (file, ct) = locate(dir, "2026/12/abcdef0123.png").unwrap();
        assert_eq!(file, Path::new("/media/images/2026/12/abcdef0123.png"));
        assert_eq!(ct, "image/png");
        for bad in [
            "../../etc/passwd",
            "2026/12/../../../etc/passwd",
            "2026/12/abc.svg",
            "2026/12/abc.html",
            "2026/12/.png",
            "2026/12/xyz.png",
            "2026/1/abc.png",
            "26/12/abc.png",
            "2026/12/abc.png/x",
            "2026/12/abc",
            "",
        ] {
            assert_eq!(locate(dir, bad), None, "{bad}");
        }
    }

    #[actix_web::test]
    async fn stored_once_by_content_and_served_with_its_type() {
        let dir = std::env::temp_dir().join(format!("rose-ash-media-{}", std::process::id()));
        let stored = store_image(&dir, web::Bytes::from_static(PNG))
            .await
            .unwrap();
        let again = store_image(&dir, web::Bytes::from_static(PNG))
            .await
            .unwrap();
        assert_eq!(stored, again, "the same bytes are the same file");
        assert_eq!(stored.content_type, "image/png");
        assert_eq!(stored.bytes, PNG.len());
        let relative = stored.url.strip_prefix("/content/images/").unwrap();
        let res = serve_image(&dir, relative).await.unwrap();
        assert_eq!(res.status(), 200);
        assert_eq!(
            res.headers().get(header::CONTENT_TYPE).unwrap(),
            "image/png"
        );
        assert_eq!(
            res.headers().get(header::CACHE_CONTROL).unwrap(),
            "public, max-age=31536000, immutable"
        );
        let body = actix_web::body::to_bytes(res.into_body()).await.unwrap();
        assert_eq!(&body[..], PNG);
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[actix_web::test]
    async fn bad_uploads_are_refused_and_store_nothing() {
        let dir = std::env::temp_dir().join(format!("rose-ash-media-bad-{}", std::process::id()));
        for body in [
            web::Bytes::new(),
            web::Bytes::from_static(b"<svg onload=alert(1)></svg>"),
            web::Bytes::from([PNG, vec![0u8; MAX_IMAGE].as_slice()].concat()),
        ] {
            let err = store_image(&dir, body).await.unwrap_err();
            assert!(matches!(err, AppError::BadRequest(_)), "{err:?}");
        }
        assert!(!dir.exists(), "nothing was written");
    }
}
