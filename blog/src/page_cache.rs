//! Anonymous page views from Redis. A cached page is stamped with the generation of the blog's
//! content; any write bumps it (`content::service::purge`), so one `MGET` (generation + page)
//! decides hit or miss. Copies also expire after a minute, which bounds how stale the other
//! apps' fragments inside them (upcoming events, featured products) can be.

use std::future::Future;

use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponse};
use shared::{AppContext, AppError, AppName};

const TTL_SECS: u64 = 60;
/// Pages larger than this are not cached.
const MAX_BYTES: usize = 512 * 1024;

fn anonymous(ctx: &AppContext, req: &HttpRequest) -> bool {
    req.cookie(ctx.sessions().cookie_name()).is_none()
}

/// Serves `req` from the cache when it can, else renders it with `render` and keeps a copy.
pub async fn serve<F, Fut>(
    ctx: &AppContext,
    req: &HttpRequest,
    render: F,
) -> Result<HttpResponse, AppError>
where
    F: FnOnce() -> Fut,
    Fut: Future<Output = Result<HttpResponse, AppError>>,
{
    if !anonymous(ctx, req) {
        return render().await;
    }
    let redis = ctx.redis();
    let generation_key = redis.key(format!("fgen:{}:{}", AppName::Blog, crate::POSTS_KIND));
    let page_key = redis.key(format!(
        "page:{}",
        req.uri().path_and_query().map_or("/", |pq| pq.as_str())
    ));
    let mut conn = redis.conn();
    let read: Result<(Option<String>, Option<Vec<u8>>), redis::RedisError> = redis::cmd("MGET")
        .arg(&generation_key)
        .arg(&page_key)
        .query_async(&mut conn)
        .await;
    let (generation, cached) = match read {
        Ok(values) => values,
        Err(e) => {
            tracing::warn!(error = %e, "page cache unreadable");
            return render().await;
        }
    };
    let generation = generation.unwrap_or_else(|| "0".into());
    if let Some(hit) = cached.and_then(|c| unstamp(c, &generation)) {
        return Ok(hit);
    }
    let res = render().await?;
    if res.status() != actix_web::http::StatusCode::OK
        || res.headers().contains_key(header::SET_COOKIE)
    {
        return Ok(res);
    }
    let content_type = res
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("text/html; charset=utf-8")
        .to_owned();
    let (head, body) = res.into_parts();
    let bytes = actix_web::body::to_bytes(body)
        .await
        .map_err(|e| AppError::internal(format!("page body: {e}")))?;
    if bytes.len() <= MAX_BYTES {
        let mut stamped = Vec::with_capacity(bytes.len() + 64);
        stamped.extend_from_slice(generation.as_bytes());
        stamped.push(b'\n');
        stamped.extend_from_slice(content_type.as_bytes());
        stamped.push(b'\n');
        stamped.extend_from_slice(&bytes);
        let stored: Result<(), redis::RedisError> = redis::cmd("SET")
            .arg(&page_key)
            .arg(stamped)
            .arg("EX")
            .arg(TTL_SECS)
            .query_async(&mut conn)
            .await;
        if let Err(e) = stored {
            tracing::warn!(error = %e, "could not cache a page");
        }
    }
    let mut res = head.set_body(bytes).map_into_boxed_body();
    res.headers_mut().insert(
        header::HeaderName::from_static("x-cache"),
        HeaderValue::from_static("MISS"),
    );
    Ok(res)
}

/// A cached copy of this generation as a response.
fn unstamp(cached: Vec<u8>, generation: &str) -> Option<HttpResponse> {
    let rest = cached
        .strip_prefix(generation.as_bytes())?
        .strip_prefix(b"\n")?;
    let split = rest.iter().position(|b| *b == b'\n')?;
    let content_type = std::str::from_utf8(&rest[..split]).ok()?.to_owned();
    let body_at = cached.len() - rest.len() + split + 1;
    let body = actix_web::web::Bytes::from(cached).slice(body_at..);
    Some(
        HttpResponse::Ok()
            .content_type(content_type)
            .insert_header((header::CACHE_CONTROL, "public, max-age=0, must-revalidate"))
            .insert_header((header::VARY, "Cookie"))
            .insert_header(("x-cache", "HIT"))
            .body(body),
    )
}
