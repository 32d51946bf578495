//! Sessions in Redis behind a per-app, host-only cookie.
//!
//! Each app has its own cookie (first-party on its own host; `__Host-` and `Secure` when served
//! over https). Only a hash of the session id is stored, so a Redis dump holds no live ids.
//! A session that belongs to a single-sign-on session (`sso_sid`) is indexed by it, so a
//! back-channel logout can drop it, and is refused once that sign-on session is revoked.

use std::sync::Arc;
use std::time::Duration;

use actix_web::cookie::{Cookie, SameSite};
use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpMessage, HttpRequest, web};
use futures_util::future::LocalBoxFuture;
use serde::{Deserialize, Serialize};
use url::Url;

use super::app::AppContext;
use super::errors::AppError;
use super::fragments::Viewer;
use super::redis::Redis;
use crate::apps::AppName;
use crate::crypto::{CryptoError, random_token, token_digest};

pub const SESSION_TTL: Duration = Duration::from_secs(14 * 24 * 3600);
/// How long a revoked single-sign-on session id is remembered (the longest session lifetime).
pub const REVOCATION_TTL: Duration = SESSION_TTL;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionData {
    pub user_id: Option<i64>,
    /// Synchronizer token for this session's forms.
    pub csrf: String,
    pub created_at: i64,
    /// The single-sign-on session this one belongs to (federation's `sid`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sso_sid: Option<String>,
    /// When the user last authenticated (federation sessions).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth_time: Option<i64>,
    /// The id_token of the sign-in (apps), sent as `id_token_hint` when logging out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id_token: Option<String>,
    /// A sign-in half done (federation: password checked, second factor pending).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pending_user_id: Option<i64>,
    /// Idle timeout in seconds (federation's sign-ins without "keep me signed in"): the session
    /// ends after this long without a request, and in any case [`SESSION_TTL`] after it began.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub idle_secs: Option<u64>,
}

impl SessionData {
    pub fn for_user(user_id: Option<i64>) -> Result<Self, CryptoError> {
        Ok(SessionData {
            user_id,
            csrf: random_token()?,
            created_at: chrono::Utc::now().timestamp(),
            sso_sid: None,
            auth_time: None,
            id_token: None,
            pending_user_id: None,
            idle_secs: None,
        })
    }
}

/// Why a session could not be created.
#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    #[error("session store: {0}")]
    Redis(#[from] redis::RedisError),
    #[error(transparent)]
    Crypto(#[from] CryptoError),
}

impl From<SessionError> for AppError {
    fn from(e: SessionError) -> Self {
        match e {
            SessionError::Redis(e) => e.into(),
            SessionError::Crypto(e) => e.into(),
        }
    }
}

/// The visitor's session, created (anonymous) when there is none, so that a form can carry a
/// CSRF token or a first change can be kept; `true` when it was created (set its cookie).
pub async fn ensure_session(
    ctx: &AppContext,
    session: Option<Session>,
) -> Result<(Session, bool), AppError> {
    match session {
        Some(s) => Ok((s, false)),
        None => {
            let data = SessionData::for_user(None)?;
            let id = ctx.sessions().create(&data).await?;
            Ok((Session { id, data }, true))
        }
    }
}

/// Loads a session unless its single-sign-on session was revoked (then deletes it), all in one
/// round trip. A session with an idle timeout past its absolute lifetime is deleted too;
/// otherwise loading it restarts its idle clock. ARGV: key prefix, `SESSION_TTL` secs, now.
const LOAD_SCRIPT: &str = r"
local v = redis.call('GET', KEYS[1])
if not v then return false end
local ok, d = pcall(cjson.decode, v)
if ok and type(d) == 'table' then
  if type(d['sso_sid']) == 'string' and
     redis.call('EXISTS', ARGV[1] .. 'sso:revoked:' .. d['sso_sid']) == 1 then
    redis.call('DEL', KEYS[1])
    return false
  end
  if type(d['idle_secs']) == 'number' then
    if type(d['created_at']) == 'number' and d['created_at'] + tonumber(ARGV[2]) <= tonumber(ARGV[3]) then
      redis.call('DEL', KEYS[1])
      return false
    end
    redis.call('EXPIRE', KEYS[1], d['idle_secs'])
  end
end
return v
";

/// Marks a single-sign-on session as ended: every app's session carrying it is refused from now.
pub async fn revoke_sso_session(redis: &Redis, sso_sid: &str) -> redis::RedisResult<()> {
    let mut conn = redis.conn();
    redis::cmd("SET")
        .arg(redis.key(format!("sso:revoked:{sso_sid}")))
        .arg(1)
        .arg("EX")
        .arg(REVOCATION_TTL.as_secs())
        .query_async(&mut conn)
        .await
}

#[derive(Clone)]
pub struct SessionStore {
    redis: Redis,
    app: AppName,
    cookie_name: &'static str,
    secure: bool,
    load_script: Arc<redis::Script>,
}

impl SessionStore {
    pub fn new(redis: Redis, app: AppName, public_url: &Url) -> Self {
        let secure = public_url.scheme() == "https";
        SessionStore {
            redis,
            app,
            cookie_name: if secure {
                "__Host-ra_session"
            } else {
                "ra_session"
            },
            secure,
            load_script: Arc::new(redis::Script::new(LOAD_SCRIPT)),
        }
    }

    pub fn cookie_name(&self) -> &'static str {
        self.cookie_name
    }

    pub fn app(&self) -> AppName {
        self.app
    }

    pub fn secure(&self) -> bool {
        self.secure
    }

    fn key(&self, sid: &str) -> String {
        self.key_of_digest(&token_digest(sid))
    }

    fn key_of_digest(&self, digest: &str) -> String {
        self.redis.key(format!("sess:{}:{digest}", self.app))
    }

    fn index_key(&self, sso_sid: &str) -> String {
        self.redis.key(format!("sess-idx:{}:{sso_sid}", self.app))
    }

    pub async fn load(&self, sid: &str) -> redis::RedisResult<Option<SessionData>> {
        if sid.len() != 64 || !sid.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Ok(None);
        }
        let mut conn = self.redis.conn();
        let raw: Option<String> = self
            .load_script
            .key(self.key(sid))
            .arg(self.redis.prefix())
            .arg(SESSION_TTL.as_secs())
            .arg(chrono::Utc::now().timestamp())
            .invoke_async(&mut conn)
            .await?;
        Ok(raw.and_then(|r| serde_json::from_str(&r).ok()))
    }

    /// Stores a new session and returns its id.
    pub async fn create(&self, data: &SessionData) -> Result<String, SessionError> {
        let sid = random_token()?;
        self.save(&sid, data).await?;
        Ok(sid)
    }

    /// Stores `data` under `sid`, indexed by its single-sign-on session when it has one.
    pub async fn save(&self, sid: &str, data: &SessionData) -> redis::RedisResult<()> {
        let json = serde_json::to_string(data).unwrap_or_default();
        let mut pipe = redis::pipe();
        // With an idle timeout the key lives that long and each load extends it (see LOAD_SCRIPT).
        let ttl = data.idle_secs.map_or(SESSION_TTL.as_secs(), |idle| {
            idle.clamp(1, SESSION_TTL.as_secs())
        });
        pipe.cmd("SET")
            .arg(self.key(sid))
            .arg(json)
            .arg("EX")
            .arg(ttl)
            .ignore();
        if let Some(sso_sid) = &data.sso_sid {
            let index = self.index_key(sso_sid);
            pipe.cmd("SADD").arg(&index).arg(token_digest(sid)).ignore();
            pipe.cmd("EXPIRE")
                .arg(&index)
                .arg(SESSION_TTL.as_secs())
                .ignore();
        }
        let mut conn = self.redis.conn();
        pipe.query_async(&mut conn).await
    }

    pub async fn destroy(&self, sid: &str) -> redis::RedisResult<()> {
        let mut conn = self.redis.conn();
        redis::cmd("DEL")
            .arg(self.key(sid))
            .query_async(&mut conn)
            .await
    }

    /// Deletes every session of this app that belongs to `sso_sid`; returns how many existed.
    pub async fn destroy_sso_session(&self, sso_sid: &str) -> redis::RedisResult<usize> {
        let mut conn = self.redis.conn();
        let index = self.index_key(sso_sid);
        let digests: Vec<String> = redis::cmd("SMEMBERS")
            .arg(&index)
            .query_async(&mut conn)
            .await?;
        if digests.is_empty() {
            return Ok(0);
        }
        let mut del = redis::cmd("DEL");
        for d in &digests {
            del.arg(self.key_of_digest(d));
        }
        del.arg(&index);
        let deleted: usize = del.query_async(&mut conn).await?;
        Ok(deleted.saturating_sub(1))
    }

    /// The session cookie: host-only (no Domain), HttpOnly, SameSite=Lax, Path=/.
    pub fn cookie(&self, sid: String) -> Cookie<'static> {
        Cookie::build(self.cookie_name, sid)
            .path("/")
            .http_only(true)
            .secure(self.secure)
            .same_site(SameSite::Lax)
            .max_age(actix_web::cookie::time::Duration::seconds(
                SESSION_TTL.as_secs() as i64,
            ))
            .finish()
    }

    pub fn removal_cookie(&self) -> Cookie<'static> {
        let mut c = self.cookie(String::new());
        c.make_removal();
        c
    }
}

/// The request's session, if it has a live one (loaded once per request).
#[derive(Debug, Clone)]
pub struct Session {
    pub id: String,
    pub data: SessionData,
}

#[derive(Clone)]
struct LoadedSession(Option<Session>);

async fn load_session(req: &HttpRequest) -> Result<Option<Session>, AppError> {
    if let Some(loaded) = req.extensions().get::<LoadedSession>() {
        return Ok(loaded.0.clone());
    }
    let ctx = req
        .app_data::<web::Data<AppContext>>()
        .ok_or_else(|| AppError::internal("no app context"))?;
    let store = ctx.sessions();
    let session = match req.cookie(store.cookie_name()) {
        Some(cookie) => {
            let sid = cookie.value().to_owned();
            store
                .load(&sid)
                .await?
                .map(|data| Session { id: sid, data })
        }
        None => None,
    };
    req.extensions_mut().insert(LoadedSession(session.clone()));
    Ok(session)
}

impl FromRequest for Session {
    type Error = AppError;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move { load_session(&req).await?.ok_or(AppError::Unauthorized) })
    }
}

/// The viewer: a signed-in user or anonymous. Never fails (a broken session store means anonymous).
impl FromRequest for Viewer {
    type Error = AppError;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let session = load_session(&req).await.unwrap_or_else(|err| {
                tracing::warn!(error = %err, "session store unavailable; treating viewer as anonymous");
                None
            });
            Ok(match session.and_then(|s| s.data.user_id) {
                Some(id) => Viewer::User(id),
                None => Viewer::Anonymous,
            })
        })
    }
}
