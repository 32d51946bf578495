//! Static files (`/static/...`), embedded: the app's own first, then the shared ones.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use include_dir::{Dir, include_dir};

use super::app::AppContext;

pub static SHARED_STATIC: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/static");

fn content_type(path: &str) -> &'static str {
    match path.rsplit('.').next().unwrap_or("") {
        "css" => "text/css; charset=utf-8",
        "js" => "text/javascript; charset=utf-8",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "webp" => "image/webp",
        "ico" => "image/x-icon",
        "woff2" => "font/woff2",
        "txt" => "text/plain; charset=utf-8",
        "json" => "application/json",
        _ => "application/octet-stream",
    }
}

pub async fn serve(
    req: HttpRequest,
    path: web::Path<String>,
    ctx: web::Data<AppContext>,
) -> HttpResponse {
    let path = path.into_inner();
    if path.split('/').any(|seg| seg == ".." || seg.is_empty()) {
        return HttpResponse::NotFound().finish();
    }
    let file = ctx
        .spec()
        .static_files
        .and_then(|d| d.get_file(&path))
        .or_else(|| SHARED_STATIC.get_file(&path));
    let Some(file) = file else {
        return HttpResponse::NotFound()
            .content_type("text/plain; charset=utf-8")
            .body("no such file\n");
    };
    let etag = {
        use std::hash::{Hash, Hasher};
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        file.contents().hash(&mut hasher);
        format!("\"{:016x}\"", hasher.finish())
    };
    if req
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        == Some(etag.as_str())
    {
        return HttpResponse::NotModified().finish();
    }
    HttpResponse::Ok()
        .content_type(content_type(&path))
        .insert_header((header::CACHE_CONTROL, "public, max-age=3600"))
        .insert_header((header::ETAG, etag))
        .body(file.contents())
}
