//! Fragment composition: fetching other apps' `/internal/fragments/<type>` in parallel, with a
//! Redis cache, a stale copy and a hard deadline.
//!
//! Cache layout (all under the fleet's Redis prefix):
//! - `fgen:<app>:<type>`: the type's generation; purging a whole type increments it.
//! - `f:<app>:<type>:<query>`: the fresh copy, stamped `<generation>\n<html>`, with the TTL of
//!   the owner's `Cache-Control: max-age`; a copy stamped with an old generation is a miss.
//! - `fs:<app>:<type>:<query>`: the stale copy, kept longer, used only when the owner fails.
//!
//! One `MGET` reads a page's generations and fresh copies in one round trip. A fragment that
//! depends on the viewer must be asked for with [`FragmentRequest::per_viewer`]: only then is
//! the viewer sent to the owner, and it is always part of the key, so one viewer's fragment can
//! never be served to another. The same generations also version an app's own cached data
//! ([`FragmentClient::fetch_with_generations`]), so a page's cache checks cost no extra trip.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use std::cell::RefCell;
use std::collections::HashMap;

use futures_util::FutureExt;
use futures_util::future::{LocalBoxFuture, Shared, join_all};
use tokio::time::{Instant, timeout_at};

use super::internal_auth;
use super::redis::Redis;
use crate::apps::AppName;
use crate::config::{AppUrls, Secret};

/// TTL of a fresh copy when the owner's response names none.
pub const DEFAULT_TTL: Duration = Duration::from_secs(30);
/// Largest fragment body accepted from an owner.
pub const MAX_FRAGMENT_BYTES: usize = 256 * 1024;

/// Who is looking: part of the key of per-viewer fragments.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Viewer {
    Anonymous,
    User(i64),
}

impl Viewer {
    fn token(self) -> String {
        match self {
            Viewer::Anonymous => "anon".to_owned(),
            Viewer::User(id) => format!("u{id}"),
        }
    }

    /// Parses the `viewer` query parameter an owner receives.
    pub fn from_token(token: &str) -> Option<Viewer> {
        match token {
            "anon" => Some(Viewer::Anonymous),
            t => t.strip_prefix('u')?.parse().ok().map(Viewer::User),
        }
    }

    pub fn user_id(self) -> Option<i64> {
        match self {
            Viewer::User(id) => Some(id),
            Viewer::Anonymous => None,
        }
    }
}

/// One fragment to fetch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FragmentRequest {
    pub app: AppName,
    pub kind: &'static str,
    params: Vec<(String, String)>,
}

impl FragmentRequest {
    pub fn new(app: AppName, kind: &'static str) -> Self {
        Self {
            app,
            kind,
            params: Vec::new(),
        }
    }

    /// Adds a query parameter (kept sorted, so equal requests share a cache key).
    pub fn param(mut self, key: &str, value: impl Into<String>) -> Self {
        self.params.retain(|(k, _)| k != key);
        self.params.push((key.to_owned(), value.into()));
        self.params.sort();
        self
    }

    /// Marks the fragment as depending on who looks: the viewer is sent and keys the cache.
    pub fn per_viewer(self, viewer: Viewer) -> Self {
        self.param("viewer", viewer.token())
    }

    /// Whether it was asked for [`FragmentRequest::per_viewer`].
    pub fn is_per_viewer(&self) -> bool {
        self.params.iter().any(|(k, _)| k == "viewer")
    }

    fn id(&self) -> String {
        format!("{}:{}", self.app, self.kind)
    }

    fn query(&self) -> String {
        serde_urlencoded::to_string(&self.params).unwrap_or_default()
    }

    fn path_and_query(&self) -> String {
        let query = self.query();
        if query.is_empty() {
            format!("/internal/fragments/{}", self.kind)
        } else {
            format!("/internal/fragments/{}?{query}", self.kind)
        }
    }
}

/// Where a fragment's HTML came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FragmentSource {
    Cache,
    Origin,
    Stale,
    Placeholder,
}

#[derive(Debug, Clone)]
pub struct Fragment {
    pub html: String,
    pub source: FragmentSource,
}

impl Fragment {
    fn placeholder(req: &FragmentRequest) -> Self {
        Fragment {
            html: format!("<!-- fragment {}/{} unavailable -->", req.app, req.kind),
            source: FragmentSource::Placeholder,
        }
    }
}

/// (current generation, fresh copy of that generation) of one requested fragment.
type Cached = (Option<u64>, Option<String>);

/// Counters for `/metrics`.
#[derive(Debug, Default)]
pub struct FragmentStats {
    pub hits: AtomicU64,
    pub misses: AtomicU64,
    pub stale: AtomicU64,
    pub placeholders: AtomicU64,
}

#[derive(Clone)]
pub struct FragmentClient {
    inner: Arc<Inner>,
}

struct Inner {
    http: reqwest::Client,
    redis: Redis,
    urls: AppUrls,
    secret: Secret,
    timeout: Duration,
    stale_ttl: Duration,
    stats: FragmentStats,
}

#[derive(Debug, thiserror::Error)]
enum FetchError {
    #[error("{0}")]
    Http(#[from] reqwest::Error),
    #[error("answered {0}")]
    Status(reqwest::StatusCode),
    #[error("body over {MAX_FRAGMENT_BYTES} bytes")]
    TooLarge,
    #[error("timed out")]
    Timeout,
}

/// An owner's answer that several requests of one worker thread may wait on.
type Flight = Shared<LocalBoxFuture<'static, Result<String, Arc<FetchError>>>>;

/// Flights kept per thread before the finished-or-abandoned ones are swept.
const MAX_FLIGHTS: usize = 1024;

thread_local! {
    /// This worker thread's fetches under way, by copy (fragment, query, generation).
    static FLIGHTS: RefCell<HashMap<String, (std::time::Instant, Flight)>> =
        RefCell::new(HashMap::new());
}

/// A fetched body and how long the owner allows it to be cached (`None`: not at all).
struct Fetched {
    html: String,
    ttl: Option<Duration>,
}

impl FragmentClient {
    pub fn new(
        http: reqwest::Client,
        redis: Redis,
        urls: AppUrls,
        secret: Secret,
        timeout: Duration,
        stale_ttl: Duration,
    ) -> Self {
        FragmentClient {
            inner: Arc::new(Inner {
                http,
                redis,
                urls,
                secret,
                timeout,
                stale_ttl,
                stats: FragmentStats::default(),
            }),
        }
    }

    /// The caches' Redis (`REDIS_CACHE_URL`), which the page cache shares.
    pub fn redis(&self) -> &Redis {
        &self.inner.redis
    }

    pub fn stats(&self) -> &FragmentStats {
        &self.inner.stats
    }

    pub fn timeout(&self) -> Duration {
        self.inner.timeout
    }

    /// Fetches every fragment in parallel; never fails and never waits past the timeout.
    pub async fn fetch_all(
        &self,
        requests: &[FragmentRequest],
        request_id: Option<&str>,
    ) -> Vec<Fragment> {
        self.fetch_with_generations(requests, &[], request_id)
            .await
            .0
    }

    /// Like [`FragmentClient::fetch_all`], also reading the current generation of each
    /// `(app, kind)` in `generations` in the same round trip (`None` when Redis cannot be read),
    /// for versioning an app's own in-process caches.
    pub async fn fetch_with_generations(
        &self,
        requests: &[FragmentRequest],
        generations: &[(AppName, &str)],
        request_id: Option<&str>,
    ) -> (Vec<Fragment>, Vec<Option<u64>>) {
        if requests.is_empty() && generations.is_empty() {
            return (Vec::new(), Vec::new());
        }
        let deadline = Instant::now() + self.inner.timeout;
        let (cached, extra) = match timeout_at(deadline, self.read_cached(requests, generations))
            .await
        {
            Ok(Ok(read)) => read,
            Ok(Err(err)) => {
                tracing::warn!(error = %err, "fragment cache unreadable; fetching from the owners");
                (
                    vec![(None, None); requests.len()],
                    vec![None; generations.len()],
                )
            }
            Err(_elapsed) => (
                vec![(None, None); requests.len()],
                vec![None; generations.len()],
            ),
        };
        let stats = &self.inner.stats;
        let jobs = requests
            .iter()
            .zip(cached)
            .map(|(req, (generation, fresh))| async move {
                if let Some(html) = fresh {
                    stats.hits.fetch_add(1, Ordering::Relaxed);
                    return Fragment {
                        html,
                        source: FragmentSource::Cache,
                    };
                }
                stats.misses.fetch_add(1, Ordering::Relaxed);
                self.fetch_and_store(req, generation, deadline, request_id)
                    .await
            });
        (join_all(jobs).await, extra)
    }

    /// Fetches one fragment (see [`FragmentClient::fetch_all`]).
    pub async fn fetch(&self, request: FragmentRequest, request_id: Option<&str>) -> Fragment {
        let mut all = self
            .fetch_all(std::slice::from_ref(&request), request_id)
            .await;
        all.pop().unwrap_or_else(|| Fragment::placeholder(&request))
    }

    /// One `MGET`: the generations of the requested kinds and of `generations`, then the fresh
    /// copies. Returns (current generation, fresh copy of that generation) per request, and the
    /// extra generations.
    async fn read_cached(
        &self,
        requests: &[FragmentRequest],
        generations: &[(AppName, &str)],
    ) -> redis::RedisResult<(Vec<Cached>, Vec<Option<u64>>)> {
        let redis = &self.inner.redis;
        let mut mget = redis::cmd("MGET");
        for req in requests {
            mget.arg(redis.key(format!("fgen:{}", req.id())));
        }
        for (app, kind) in generations {
            mget.arg(generation_key(redis, *app, kind));
        }
        for req in requests {
            mget.arg(redis.key(format!("f:{}:{}", req.id(), req.query())));
        }
        let mut conn = redis.conn();
        let values: Vec<Option<String>> = mget.query_async(&mut conn).await?;
        let generation =
            |v: &Option<String>| v.as_deref().map_or(Some(0), |g| g.parse::<u64>().ok());
        let n = requests.len();
        let extra = values
            .iter()
            .skip(n)
            .take(generations.len())
            .map(generation)
            .collect();
        let cached = (0..n)
            .map(|i| {
                let current = values.get(i).and_then(generation);
                let fresh = values
                    .get(n + generations.len() + i)
                    .cloned()
                    .flatten()
                    .and_then(|stamped| {
                        let (stamp, html) = stamped.split_once('\n')?;
                        (stamp.parse::<u64>().ok() == current).then(|| html.to_owned())
                    });
                (current, fresh)
            })
            .collect();
        Ok((cached, extra))
    }

    async fn fetch_and_store(
        &self,
        req: &FragmentRequest,
        generation: Option<u64>,
        deadline: Instant,
        request_id: Option<&str>,
    ) -> Fragment {
        let stale_key = self
            .inner
            .redis
            .key(format!("fs:{}:{}", req.id(), req.query()));
        // The stale copy is read alongside the fetch, so falling back costs no extra wait.
        let stale = async {
            let mut conn = self.inner.redis.conn();
            match timeout_at(
                deadline,
                redis::cmd("GET")
                    .arg(&stale_key)
                    .query_async::<Option<String>>(&mut conn),
            )
            .await
            {
                Ok(Ok(v)) => v,
                _ => None,
            }
        };
        let flight = self.flight(req, generation, &stale_key, request_id);
        let origin = async {
            match timeout_at(deadline, flight).await {
                Ok(result) => result,
                Err(_) => Err(Arc::new(FetchError::Timeout)),
            }
        };
        let (stale, origin) = tokio::join!(stale, origin);
        match origin {
            Ok(html) => Fragment {
                html,
                source: FragmentSource::Origin,
            },
            Err(err) => {
                tracing::warn!(fragment = %req.id(), error = %err, "fragment owner failed");
                match stale {
                    Some(html) => {
                        self.inner.stats.stale.fetch_add(1, Ordering::Relaxed);
                        Fragment {
                            html,
                            source: FragmentSource::Stale,
                        }
                    }
                    None => {
                        self.inner
                            .stats
                            .placeholders
                            .fetch_add(1, Ordering::Relaxed);
                        Fragment::placeholder(req)
                    }
                }
            }
        }
    }

    /// The owner's answer for `req` (stored in the cache once it comes): this worker thread's
    /// fetch of the same copy if one is under way, else a new one. When a popular copy expires
    /// under load (a member's `mini-cart` on every page), its owner then gets one request per
    /// worker, not one per waiting page, and the pages wait for one answer instead of a queue.
    fn flight(
        &self,
        req: &FragmentRequest,
        generation: Option<u64>,
        stale_key: &str,
        request_id: Option<&str>,
    ) -> Flight {
        let key = format!("{}:{}:{generation:?}", req.id(), req.query());
        let timeout = self.inner.timeout;
        FLIGHTS.with(|flights| {
            let mut flights = flights.borrow_mut();
            if let Some((started, flight)) = flights.get(&key)
                && started.elapsed() < timeout
            {
                return flight.clone();
            }
            // Flights whose waiters all gave up are never polled to the end: drop old ones.
            if flights.len() >= MAX_FLIGHTS {
                flights.retain(|_, (started, _)| started.elapsed() < timeout);
            }
            let client = self.clone();
            let req = req.clone();
            let stale_key = stale_key.to_owned();
            let request_id = request_id.map(str::to_owned);
            let done = key.clone();
            let flight = async move {
                let fetched = client.fetch_origin(&req, request_id.as_deref()).await;
                FLIGHTS.with(|flights| flights.borrow_mut().remove(&done));
                let fetched = fetched.map_err(Arc::new)?;
                client.store(&req, generation, &stale_key, &fetched).await;
                Ok(fetched.html)
            }
            .boxed_local()
            .shared();
            flights.insert(key, (std::time::Instant::now(), flight.clone()));
            flight
        })
    }

    async fn fetch_origin(
        &self,
        req: &FragmentRequest,
        request_id: Option<&str>,
    ) -> Result<Fetched, FetchError> {
        let path_and_query = req.path_and_query();
        let base = self.inner.urls.internal(req.app);
        let url = format!("{}{}", base.as_str().trim_end_matches('/'), path_and_query);
        let credential = internal_auth::sign(
            &self.inner.secret,
            "GET",
            &path_and_query,
            internal_auth::unix_now(),
        );
        let mut request = self
            .inner
            .http
            .get(url)
            .header(internal_auth::HEADER, credential);
        if let Some(id) = request_id {
            request = request.header("x-request-id", id);
        }
        let mut response = request.send().await?;
        if response.status() != reqwest::StatusCode::OK {
            return Err(FetchError::Status(response.status()));
        }
        let ttl = cache_ttl(
            response
                .headers()
                .get(reqwest::header::CACHE_CONTROL)
                .and_then(|v| v.to_str().ok()),
        );
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await? {
            if body.len() + chunk.len() > MAX_FRAGMENT_BYTES {
                return Err(FetchError::TooLarge);
            }
            body.extend_from_slice(&chunk);
        }
        Ok(Fetched {
            html: String::from_utf8_lossy(&body).into_owned(),
            ttl,
        })
    }

    async fn store(
        &self,
        req: &FragmentRequest,
        generation: Option<u64>,
        stale_key: &str,
        fetched: &Fetched,
    ) {
        let redis = &self.inner.redis;
        let mut pipe = redis::pipe();
        if let (Some(generation), Some(ttl)) = (generation, fetched.ttl) {
            let key = redis.key(format!("f:{}:{}", req.id(), req.query()));
            let stamped = format!("{generation}\n{}", fetched.html);
            pipe.cmd("SET")
                .arg(key)
                .arg(stamped)
                .arg("EX")
                .arg(ttl.as_secs().max(1))
                .ignore();
        }
        pipe.cmd("SET")
            .arg(stale_key)
            .arg(&fetched.html)
            .arg("EX")
            .arg(self.inner.stale_ttl.as_secs().max(1))
            .ignore();
        let mut conn = redis.conn();
        if let Err(err) = pipe.query_async::<()>(&mut conn).await {
            tracing::warn!(fragment = %req.id(), error = %err, "could not cache fragment");
        }
    }

    /// Purges every cached copy of a fragment type (all params, all viewers), or bumps the
    /// generation of an app's own cached data. Called by the owner after what it shows changed.
    /// Returns the new generation.
    pub async fn purge_kind(&self, app: AppName, kind: &str) -> redis::RedisResult<u64> {
        purge_kind(&self.inner.redis, app, kind).await
    }

    /// Purges one fragment (e.g. one viewer's mini-cart).
    pub async fn purge(&self, req: &FragmentRequest) -> redis::RedisResult<()> {
        self.purge_all(std::slice::from_ref(req)).await
    }

    /// Purges several fragments in one round trip (e.g. one viewer's menu in every app).
    pub async fn purge_all(&self, reqs: &[FragmentRequest]) -> redis::RedisResult<()> {
        if reqs.is_empty() {
            return Ok(());
        }
        let redis = &self.inner.redis;
        let mut del = redis::cmd("DEL");
        for req in reqs {
            del.arg(redis.key(format!("f:{}:{}", req.id(), req.query())));
        }
        del.query_async::<()>(&mut redis.conn()).await
    }
}

/// The Redis key of an `(app, kind)` generation.
pub fn generation_key(redis: &Redis, app: AppName, kind: &str) -> String {
    redis.key(format!("fgen:{app}:{kind}"))
}

/// The pub/sub channel on which each new generation of `(app, kind)` is announced, for processes
/// that keep copies in memory and would rather be told than ask on every use.
pub fn generation_channel(redis: &Redis, app: AppName, kind: &str) -> String {
    redis.key(format!("fgen-changed:{app}:{kind}"))
}

/// See [`FragmentClient::purge_kind`], the only way in: the caches' Redis is the client's, so an
/// app cannot bump a generation on the sessions' Redis by mistake (two apps did, which in
/// production, with `REDIS_CACHE_URL` apart, left their fragments stale until they expired).
/// Bumps the generation and announces it on [`generation_channel`] in one step.
///
/// The caches' Redis may evict the generation key; counting on from zero would then reissue
/// generations that old copies are stamped with, so a bump never goes below the clock (ms).
async fn purge_kind(redis: &Redis, app: AppName, kind: &str) -> redis::RedisResult<u64> {
    static BUMP: std::sync::LazyLock<redis::Script> = std::sync::LazyLock::new(|| {
        redis::Script::new(
            "local g = redis.call('INCR', KEYS[1]) \
             local floor = tonumber(ARGV[2]) \
             if g < floor then redis.call('SET', KEYS[1], ARGV[2]) g = floor end \
             redis.call('PUBLISH', ARGV[1], g) return g",
        )
    });
    let now_ms = chrono::Utc::now().timestamp_millis().max(0);
    let mut conn = redis.conn();
    BUMP.key(generation_key(redis, app, kind))
        .arg(generation_channel(redis, app, kind))
        .arg(now_ms)
        .invoke_async(&mut conn)
        .await
}

/// The fresh-copy TTL an owner's `Cache-Control` allows: `max-age`, none for `no-store`/`no-cache`.
fn cache_ttl(header: Option<&str>) -> Option<Duration> {
    let Some(header) = header else {
        return Some(DEFAULT_TTL);
    };
    let mut ttl = Some(DEFAULT_TTL);
    for directive in header.split(',').map(str::trim) {
        let lower = directive.to_ascii_lowercase();
        if lower == "no-store" || lower == "no-cache" {
            return None;
        }
        if let Some(secs) = lower.strip_prefix("max-age=") {
            ttl = match secs.parse::<u64>() {
                Ok(0) => None,
                Ok(s) => Some(Duration::from_secs(s)),
                Err(_) => ttl,
            };
        }
    }
    ttl
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_have_stable_keys() {
        let a = FragmentRequest::new(AppName::Cart, "mini-cart")
            .param("b", "2")
            .param("a", "1");
        let b = FragmentRequest::new(AppName::Cart, "mini-cart")
            .param("a", "1")
            .param("b", "2");
        assert_eq!(a.query(), b.query());
        assert_eq!(a.path_and_query(), "/internal/fragments/mini-cart?a=1&b=2");
        let v = a.clone().per_viewer(Viewer::User(7));
        assert_eq!(v.query(), "a=1&b=2&viewer=u7");
        assert_ne!(v.query(), a.per_viewer(Viewer::Anonymous).query());
    }

    #[test]
    fn viewer_tokens_round_trip() {
        for v in [Viewer::Anonymous, Viewer::User(42)] {
            assert_eq!(Viewer::from_token(&v.token()), Some(v));
        }
        assert_eq!(Viewer::from_token("u"), None);
        assert_eq!(Viewer::from_token("x1"), None);
    }

    #[test]
    fn ttl_follows_cache_control() {
        assert_eq!(cache_ttl(None), Some(DEFAULT_TTL));
        assert_eq!(
            cache_ttl(Some("public, max-age=120")),
            Some(Duration::from_secs(120))
        );
        assert_eq!(cache_ttl(Some("private, max-age=0")), None);
        assert_eq!(cache_ttl(Some("no-store")), None);
    }
}
