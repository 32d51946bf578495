//! A client for one Ghost site: the Content API (published posts and pages, `?key=`) or, with
//! an Admin API key, the Admin API (drafts and scheduled too; a short-lived HS256 JWT per
//! request). Requests go through the fleet's SSRF-guarded client; bodies are capped.

use std::time::Duration;

use serde::de::DeserializeOwned;
use serde_json::Value;
use shared::activitypub::fetch::Fetcher;
use shared::infrastructure::jose::{b64url, hmac_sha256};

use super::api::Errors;

/// Largest response read (a page of posts with their HTML).
const MAX_BODY: usize = 16 * 1024 * 1024;
/// Posts per page.
pub const PAGE_SIZE: u32 = 50;

#[derive(Debug, thiserror::Error)]
pub enum GhostError {
    #[error("the Ghost address is not usable: {0}")]
    BadUrl(String),
    #[error("the Ghost site could not be reached: {0}")]
    Unreachable(String),
    #[error("Ghost refused the key: {0}")]
    BadKey(String),
    #[error("Ghost answered {0}: {1}")]
    Status(u16, String),
    #[error("Ghost's answer was not what its API returns: {0}")]
    Garbage(String),
}

#[derive(Clone)]
pub struct GhostClient {
    http: reqwest::Client,
    base: url::Url,
    content_key: String,
    admin_key: Option<(String, Vec<u8>)>,
}

/// Which collection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resource {
    Posts,
    Pages,
    Tags,
}

impl Resource {
    pub fn path(self) -> &'static str {
        match self {
            Resource::Posts => "posts",
            Resource::Pages => "pages",
            Resource::Tags => "tags",
        }
    }
    pub fn kind(self) -> &'static str {
        match self {
            Resource::Posts => "post",
            Resource::Pages => "page",
            Resource::Tags => "tag",
        }
    }
}

impl GhostClient {
    pub fn new(
        fetcher: &Fetcher,
        site_url: &str,
        content_key: &str,
        admin_key: Option<&str>,
    ) -> Result<GhostClient, GhostError> {
        let mut base =
            url::Url::parse(site_url.trim()).map_err(|e| GhostError::BadUrl(e.to_string()))?;
        fetcher
            .check(&base)
            .map_err(|e| GhostError::BadUrl(e.to_string()))?;
        if !base.path().ends_with('/') {
            let path = format!("{}/", base.path());
            base.set_path(&path);
        }
        let content_key = content_key.trim();
        if content_key.is_empty() || !content_key.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(GhostError::BadKey(
                "a Content API key is a string of hexadecimal digits".into(),
            ));
        }
        let admin_key = match admin_key.map(str::trim).filter(|k| !k.is_empty()) {
            None => None,
            Some(key) => {
                let (id, secret) = key.split_once(':').ok_or_else(|| {
                    GhostError::BadKey("an Admin API key has the form id:secret".into())
                })?;
                let secret = hex::decode(secret).map_err(|_bad| {
                    GhostError::BadKey("the Admin API secret is not hexadecimal".into())
                })?;
                Some((id.to_owned(), secret))
            }
        };
        Ok(GhostClient {
            http: fetcher.client().clone(),
            base,
            content_key: content_key.to_owned(),
            admin_key,
        })
    }

    pub fn uses_admin_api(&self) -> bool {
        self.admin_key.is_some()
    }

    /// The Admin API's token: HS256 over `{iat, exp: iat + 5 min, aud: "/admin/"}`, keyed with
    /// the hex-decoded secret, `kid` the key's id.
    fn admin_token(&self, id: &str, secret: &[u8]) -> Result<String, GhostError> {
        let now = chrono::Utc::now().timestamp();
        let header = serde_json::json!({ "alg": "HS256", "typ": "JWT", "kid": id });
        let claims = serde_json::json!({ "iat": now, "exp": now + 300, "aud": "/admin/" });
        let signing_input = format!(
            "{}.{}",
            b64url(header.to_string().as_bytes()),
            b64url(claims.to_string().as_bytes())
        );
        let signature = hmac_sha256(secret, signing_input.as_bytes())
            .map_err(|e| GhostError::BadKey(e.to_string()))?;
        Ok(format!("{signing_input}.{}", b64url(&signature)))
    }

    /// GET `<resource>/` with `query` from whichever API the keys allow, parsed as `T`.
    pub async fn browse<T: DeserializeOwned>(
        &self,
        resource: Resource,
        query: &[(&str, String)],
    ) -> Result<T, GhostError> {
        let api = if self.admin_key.is_some() {
            "admin"
        } else {
            "content"
        };
        let mut url = self
            .base
            .join(&format!("ghost/api/{api}/{}/", resource.path()))
            .map_err(|e| GhostError::BadUrl(e.to_string()))?;
        {
            let mut pairs = url.query_pairs_mut();
            if self.admin_key.is_none() {
                pairs.append_pair("key", &self.content_key);
            }
            for (k, v) in query {
                pairs.append_pair(k, v);
            }
        }
        let req = self.http.get(url);
        let body = self.send(req).await?;
        serde_json::from_slice(&body).map_err(|e| GhostError::Garbage(e.to_string()))
    }

    /// Registers a webhook for `event` (Admin API only); returns its id.
    pub async fn create_webhook(
        &self,
        event: &str,
        target_url: &str,
        secret: &str,
    ) -> Result<String, GhostError> {
        let url = self.admin_url("webhooks/")?;
        let body = serde_json::json!({ "webhooks": [{
            "event": event, "target_url": target_url, "secret": secret, "name": "Rose Ash sync",
        }]});
        let answer = self.send(self.http.post(url).json(&body)).await?;
        let created: Value =
            serde_json::from_slice(&answer).map_err(|e| GhostError::Garbage(e.to_string()))?;
        created["webhooks"][0]["id"]
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| GhostError::Garbage("the created webhook has no id".into()))
    }

    /// Removes a webhook we registered (Admin API only).
    pub async fn delete_webhook(&self, id: &str) -> Result<(), GhostError> {
        if !id.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return Err(GhostError::Garbage(format!("not a webhook id: {id}")));
        }
        let url = self.admin_url(&format!("webhooks/{id}/"))?;
        self.send(self.http.delete(url)).await.map(drop)
    }

    fn admin_url(&self, path: &str) -> Result<url::Url, GhostError> {
        if self.admin_key.is_none() {
            return Err(GhostError::BadKey("this needs an Admin API key".into()));
        }
        self.base
            .join(&format!("ghost/api/admin/{path}"))
            .map_err(|e| GhostError::BadUrl(e.to_string()))
    }

    /// Sends with the version header (and the Admin token), reads at most `MAX_BODY`, and turns
    /// Ghost's error bodies into errors.
    async fn send(&self, req: reqwest::RequestBuilder) -> Result<Vec<u8>, GhostError> {
        let mut req = req
            .timeout(Duration::from_secs(20))
            .header("Accept-Version", "v5.0")
            .header("Accept", "application/json");
        if let Some((id, secret)) = &self.admin_key {
            req = req.header(
                "Authorization",
                format!("Ghost {}", self.admin_token(id, secret)?),
            );
        }
        let mut res = req
            .send()
            .await
            .map_err(|e| GhostError::Unreachable(without_url(&e)))?;
        let status = res.status();
        let mut body = Vec::new();
        while let Some(chunk) = res
            .chunk()
            .await
            .map_err(|e| GhostError::Unreachable(without_url(&e)))?
        {
            body.extend_from_slice(&chunk);
            if body.len() > MAX_BODY {
                return Err(GhostError::Garbage("the response is too large".into()));
            }
        }
        if !status.is_success() {
            let message = serde_json::from_slice::<Errors>(&body)
                .ok()
                .and_then(|e| e.errors.into_iter().next())
                .map(|e| format!("{} ({})", e.message, e.kind))
                .unwrap_or_else(|| format!("HTTP {}", status.as_u16()));
            return Err(match status.as_u16() {
                401 | 403 => GhostError::BadKey(message),
                code => GhostError::Status(code, message),
            });
        }
        Ok(body)
    }
}

/// reqwest's errors name the URL, which carries the Content API key: keep it out of messages.
fn without_url(e: &reqwest::Error) -> String {
    let kind = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "connection failed"
    } else {
        "request failed"
    };
    let mut source = std::error::Error::source(e);
    let mut detail = String::new();
    while let Some(s) = source {
        detail = s.to_string();
        source = s.source();
    }
    if detail.is_empty() {
        kind.to_owned()
    } else {
        format!("{kind} ({detail})")
    }
}
