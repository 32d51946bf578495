//! Anonymous page views from a cache in two layers, for any app. Every copy is stamped with the
//! generation of the app's content (a `purge_kind` generation the app names); any write bumps it
//! ([`PageCache::purge`]), so a copy of an older generation is never served.
//!
//! - Redis holds each page for every replica: one `MGET` (generation + page) decides.
//! - Each process also keeps the pages it served in memory and learns of new generations from
//!   the generation's pub/sub channel (every `purge_kind` announces the one it makes). While that subscription is up a
//!   repeat view costs no round trip at all; while it is down, every view asks Redis.
//!
//! Copies expire after a minute either way, which bounds how stale the other apps' fragments
//! inside them (upcoming events, featured products) can be.
//!
//! The key space is bounded by the content: a page is cached under its path alone, and only
//! listings add `?page=N` (canonical digits, so `?page=01` and `?page=1` are one key), and only
//! pages that exist (past the last page is a 404, which is never cached). Which paths are
//! listings is the app's to say ([`PageCacheConfig::is_listing`]). Copies live in the caches'
//! Redis (`REDIS_CACHE_URL`), where eviction cannot touch sessions or rate limits.
//!
//! An app keeps one [`PageCache`] in its state, serves its public views through
//! [`PageCache::serve`], purges after every write and runs [`PageCache::follow_generations`]
//! beside its server.

use std::collections::HashMap;
use std::future::Future;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::fragments;
use crate::{AppContext, AppError, AppName};
use actix_web::http::header::{self, HeaderValue};
use actix_web::web::Bytes;
use actix_web::{HttpRequest, HttpResponse};
use futures_util::StreamExt;

const TTL: Duration = Duration::from_secs(60);
/// Pages larger than this are not cached.
const MAX_BYTES: usize = 512 * 1024;
/// Pages kept in memory per process (beyond this the memory layer starts over).
const MAX_ENTRIES: usize = 2_000;

/// The fleet's page caches, as (app, generation kind). Every copy holds the pages' shell too
/// (the blog's navigation menus), so a change to the shell outdates them all
/// ([`purge_every_app`]); each app checks its own entry in a test.
pub const EVERY_APP: &[(AppName, &str)] = &[(AppName::Blog, "posts"), (AppName::Market, "pages")];

/// Outdates every app's cached pages (the menus changed), telling every replica.
pub async fn purge_every_app(ctx: &AppContext) {
    for (app, kind) in EVERY_APP {
        if let Err(e) = ctx.fragments().purge_kind(*app, kind).await {
            tracing::warn!(error = %e, app = app.as_str(), "could not outdate an app's cached pages");
        }
    }
}

struct Entry {
    generation: u64,
    content_type: HeaderValue,
    body: Bytes,
    stored: Instant,
}

/// What an app's page cache holds and how it is told of changes.
#[derive(Debug, Clone, Copy)]
pub struct PageCacheConfig {
    /// The app whose content generation stamps the copies.
    pub app: AppName,
    /// The generation's kind (`purge_kind(app, kind)` outdates every copy).
    pub kind: &'static str,
    /// Prefix of the copies' Redis keys, one per app (e.g. `"page:"`): the key is the prefix
    /// and the path.
    pub key_prefix: &'static str,
    /// Whether a path is a listing whose `?page=N` pages are cached too.
    pub is_listing: fn(&str) -> bool,
}

/// An app's page cache: its configuration and the in-memory layer (one per process, in the
/// app's state).
pub struct PageCache {
    config: PageCacheConfig,
    memory: Memory,
}

#[derive(Default)]
struct Memory {
    entries: Mutex<HashMap<String, Arc<Entry>>>,
    /// The newest generation this process knows of.
    generation: AtomicU64,
    /// Whether the pub/sub subscription is up (only then is `generation` trusted on its own).
    live: AtomicBool,
}

impl Memory {
    fn get(&self, key: &str) -> Option<Arc<Entry>> {
        if !self.live.load(Ordering::Acquire) {
            return None;
        }
        let generation = self.generation.load(Ordering::Acquire);
        let entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        entries
            .get(key)
            .filter(|e| e.generation == generation && e.stored.elapsed() < TTL)
            .cloned()
    }

    fn put(&self, key: String, entry: Entry) {
        let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        if entries.len() >= MAX_ENTRIES {
            entries.clear();
        }
        entries.insert(key, Arc::new(entry));
    }

    fn saw(&self, generation: u64) {
        self.generation.fetch_max(generation, Ordering::AcqRel);
    }
}

fn anonymous(ctx: &AppContext, req: &HttpRequest) -> bool {
    req.cookie(ctx.sessions().cookie_name()).is_none()
}

/// The cache key of the address readers use, or `None` to render without the cache. Only the
/// bare path, or on a listing the path and `?page=N`, are cached: anything else (say
/// `?x=<random>`, or `?page=7` on a post) is rendered, so made-up URLs cannot fill the cache.
fn cache_key(path: &str, query: &str, listing: bool) -> Option<String> {
    if query.is_empty() {
        return Some(path.to_owned());
    }
    let digits = query.strip_prefix("page=").filter(|_| listing)?;
    if digits.is_empty() || digits.len() > 6 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let page: u32 = digits.parse().ok()?;
    Some(format!("{path}?page={page}"))
}

fn response(content_type: HeaderValue, body: Bytes, source: &'static str) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, content_type))
        .insert_header((header::CACHE_CONTROL, "public, max-age=0, must-revalidate"))
        .insert_header((header::VARY, "Cookie"))
        .insert_header(("x-cache", source))
        .body(body)
}

impl PageCache {
    pub fn new(config: PageCacheConfig) -> Self {
        PageCache {
            config,
            memory: Memory::default(),
        }
    }

    fn generation_key(&self, ctx: &AppContext) -> String {
        fragments::generation_key(ctx.fragments().redis(), self.config.app, self.config.kind)
    }

    fn channel(&self, ctx: &AppContext) -> String {
        fragments::generation_channel(ctx.fragments().redis(), self.config.app, self.config.kind)
    }

    /// Serves `req` from the cache when it can, else renders it with `render` and keeps a
    /// copy. Signed-in views, and queries other than `?page=N` on a listing, are rendered.
    pub async fn serve<F, Fut>(
        &self,
        ctx: &AppContext,
        req: &HttpRequest,
        render: F,
    ) -> Result<HttpResponse, AppError>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<HttpResponse, AppError>>,
    {
        let key = match cache_key(
            req.path(),
            req.query_string(),
            (self.config.is_listing)(req.path()),
        ) {
            Some(key) if anonymous(ctx, req) => key,
            _ => return render().await,
        };
        let key = key.as_str();
        let memory = &self.memory;
        if let Some(hit) = memory.get(key) {
            return Ok(response(hit.content_type.clone(), hit.body.clone(), "HIT"));
        }
        let redis = ctx.fragments().redis();
        let page_key = redis.key(format!("{}{key}", self.config.key_prefix));
        let mut conn = redis.conn();
        let read: Result<(Option<String>, Option<Vec<u8>>), redis::RedisError> = redis::cmd("MGET")
            .arg(self.generation_key(ctx))
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
        let generation: u64 = generation.and_then(|g| g.parse().ok()).unwrap_or(0);
        memory.saw(generation);
        if let Some((content_type, body)) = cached.and_then(|c| unstamp(c, generation)) {
            memory.put(
                key.to_owned(),
                Entry {
                    generation,
                    content_type: content_type.clone(),
                    body: body.clone(),
                    stored: Instant::now(),
                },
            );
            return Ok(response(content_type, body, "HIT"));
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
            .cloned()
            .unwrap_or_else(|| HeaderValue::from_static("text/html; charset=utf-8"));
        let (head, body) = res.into_parts();
        let bytes = actix_web::body::to_bytes(body)
            .await
            .map_err(|e| AppError::internal(format!("page body: {e}")))?;
        if bytes.len() <= MAX_BYTES {
            let ct = content_type.to_str().unwrap_or("text/html; charset=utf-8");
            let mut stamped = Vec::with_capacity(bytes.len() + 64);
            stamped.extend_from_slice(generation.to_string().as_bytes());
            stamped.push(b'\n');
            stamped.extend_from_slice(ct.as_bytes());
            stamped.push(b'\n');
            stamped.extend_from_slice(&bytes);
            let stored: Result<(), redis::RedisError> = redis::cmd("SET")
                .arg(&page_key)
                .arg(stamped)
                .arg("EX")
                .arg(TTL.as_secs())
                .query_async(&mut conn)
                .await;
            if let Err(e) = stored {
                tracing::warn!(error = %e, "could not cache a page");
            }
            memory.put(
                key.to_owned(),
                Entry {
                    generation,
                    content_type,
                    body: bytes.clone(),
                    stored: Instant::now(),
                },
            );
        }
        let mut res = head.set_body(bytes).map_into_boxed_body();
        res.headers_mut().insert(
            header::HeaderName::from_static("x-cache"),
            HeaderValue::from_static("MISS"),
        );
        Ok(res)
    }

    /// Everything cached is out of date: bumps the generation (which tells every replica) and
    /// stops serving this process's copies at once.
    pub async fn purge(&self, ctx: &AppContext) -> redis::RedisResult<()> {
        let generation = ctx
            .fragments()
            .purge_kind(self.config.app, self.config.kind)
            .await?;
        self.memory.saw(generation);
        Ok(())
    }

    /// Follows the generation channel (background task): subscribe first, then read the current
    /// generation, so that no bump falls between the two.
    pub async fn follow_generations(self: Arc<Self>, ctx: AppContext) {
        let mut shutdown = ctx.shutdown_signal();
        loop {
            let run = async {
                let client = redis::Client::open(ctx.config().cache_redis.url.expose())?;
                let mut pubsub = client.get_async_pubsub().await?;
                pubsub.subscribe(self.channel(&ctx)).await?;
                let mut conn = ctx.fragments().redis().conn();
                let current: Option<u64> = redis::cmd("GET")
                    .arg(self.generation_key(&ctx))
                    .query_async(&mut conn)
                    .await?;
                self.memory.saw(current.unwrap_or(0));
                self.memory.live.store(true, Ordering::Release);
                let mut messages = pubsub.on_message();
                while let Some(msg) = messages.next().await {
                    if let Ok(generation) = msg.get_payload::<u64>() {
                        self.memory.saw(generation);
                    }
                }
                Ok::<(), redis::RedisError>(())
            };
            tokio::select! {
                outcome = run => {
                    self.memory.live.store(false, Ordering::Release);
                    if let Err(e) = outcome {
                        tracing::warn!(error = %e, "page cache subscription lost; asking Redis per view");
                    }
                }
                _ = shutdown.changed() => {
                    self.memory.live.store(false, Ordering::Release);
                    return;
                }
            }
            tokio::select! {
                _ = tokio::time::sleep(Duration::from_secs(1)) => {}
                _ = shutdown.changed() => return,
            }
        }
    }
}

/// A Redis copy of this generation: (content type, body).
fn unstamp(cached: Vec<u8>, generation: u64) -> Option<(HeaderValue, Bytes)> {
    let generation = generation.to_string();
    let rest = cached
        .strip_prefix(generation.as_bytes())?
        .strip_prefix(b"\n")?;
    let split = rest.iter().position(|b| *b == b'\n')?;
    let content_type = HeaderValue::from_bytes(&rest[..split]).ok()?;
    let body_at = cached.len() - rest.len() + split + 1;
    Some((content_type, Bytes::from(cached).slice(body_at..)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_listings_cache_their_pages_under_one_key_each() {
        let listing = |q| cache_key("/tag/pears", q, true);
        assert_eq!(listing("").as_deref(), Some("/tag/pears"));
        assert_eq!(listing("page=2").as_deref(), Some("/tag/pears?page=2"));
        // Leading zeros are the same page, so the same key.
        for q in ["page=02", "page=002", "page=000002"] {
            assert_eq!(listing(q).as_deref(), Some("/tag/pears?page=2"), "{q}");
        }
        // Anything else is rendered, never cached.
        for q in [
            "page=",
            "page=1234567",
            "page=-1",
            "page=2&x=1",
            "x=1",
            "page=2x",
            "PAGE=2",
        ] {
            assert_eq!(listing(q), None, "{q}");
        }
        // `?page` means nothing on a post: rendered, not cached under a new key.
        assert_eq!(
            cache_key("/posts/pears", "", false).as_deref(),
            Some("/posts/pears")
        );
        assert_eq!(cache_key("/posts/pears", "page=2", false), None);
    }
}
