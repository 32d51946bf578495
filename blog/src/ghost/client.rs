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
    /// A key that cannot be Ghost's, found before asking Ghost.
    #[error("the {which} API key is malformed: {why}")]
    MalformedKey { which: KeyKind, why: String },
    /// Ghost's API answered with a redirect (to `location`, its query left out).
    #[error(
        "Ghost's API at this address answered with a redirect to {0}: give the address the site is served at (the one its pages show, e.g. with https)"
    )]
    Redirected(String),
    #[error("Ghost answered {0}: {1}")]
    Status(u16, String),
    #[error("Ghost's answer was not what its API returns: {0}")]
    Garbage(String),
}

/// Which of the two keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyKind {
    Content,
    Admin,
}

impl std::fmt::Display for KeyKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            KeyKind::Content => "Content",
            KeyKind::Admin => "Admin",
        })
    }
}

/// The site's address for what an administrator pasted: Ghost's admin address (`…/ghost/`,
/// `…/ghost/#/settings`) or an API address (`…/ghost/api/content/`) means the site it belongs
/// to; a fragment or query is dropped; the path ends with `/`. The second value says whether
/// the address was changed that way.
pub fn site_address(input: &str) -> Result<(url::Url, bool), GhostError> {
    let input = input.trim();
    let mut url = url::Url::parse(input).map_err(|e| {
        GhostError::BadUrl(format!(
            "{e}; give the site's full address, e.g. https://example.ghost.io"
        ))
    })?;
    if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
        return Err(GhostError::BadUrl(
            "give the site's http(s) address, e.g. https://example.ghost.io".into(),
        ));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(GhostError::BadUrl(
            "the address may not carry a user name or password".into(),
        ));
    }
    let mut changed = url.fragment().is_some() || url.query().is_some();
    url.set_fragment(None);
    url.set_query(None);
    let path = url.path().to_owned();
    let mut segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    // The admin (`/ghost`) and everything under it, `/ghost/api/...` included.
    if let Some(at) = segments.iter().position(|s| *s == "ghost") {
        segments.truncate(at);
        changed = true;
    }
    let mut clean = String::from("/");
    for s in &segments {
        clean.push_str(s);
        clean.push('/');
    }
    url.set_path(&clean);
    Ok((url, changed))
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
        let (base, _) = site_address(site_url)?;
        fetcher
            .check(&base)
            .map_err(|e| GhostError::BadUrl(e.to_string()))?;
        let content_key = check_content_key(content_key)?;
        let admin_key = match admin_key.map(str::trim).filter(|k| !k.is_empty()) {
            None => None,
            Some(key) => Some(parse_admin_key(key)?),
        };
        Ok(GhostClient {
            http: fetcher.client().clone(),
            base,
            content_key: content_key.to_owned(),
            admin_key,
        })
    }

    /// The site's address (normalised by [`site_address`]).
    pub fn site_url(&self) -> &url::Url {
        &self.base
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
        if status.is_redirection() {
            let location = res
                .headers()
                .get(reqwest::header::LOCATION)
                .and_then(|v| v.to_str().ok())
                .and_then(|l| self.base.join(l).ok())
                .map(|mut l| {
                    // A Content API request's query carries the key.
                    l.set_query(None);
                    l.to_string()
                })
                .unwrap_or_else(|| format!("elsewhere (HTTP {})", status.as_u16()));
            return Err(GhostError::Redirected(location));
        }
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

/// A Content API key as Ghost shows it: hexadecimal digits (26 of them).
fn check_content_key(key: &str) -> Result<&str, GhostError> {
    let key = key.trim();
    let malformed = |why: &str| GhostError::MalformedKey {
        which: KeyKind::Content,
        why: why.to_owned(),
    };
    if key.is_empty() {
        return Err(malformed("it is empty"));
    }
    if key.contains(':') {
        return Err(malformed(
            "this looks like an Admin API key (id:secret); the Content API key is the one without a colon",
        ));
    }
    if !key.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(malformed(
            "a Content API key is hexadecimal digits only (Ghost shows it under Settings → Integrations → your integration)",
        ));
    }
    Ok(key)
}

/// An Admin API key as Ghost shows it: `<id>:<secret>`, both hexadecimal (24 and 64 digits);
/// the id and the decoded secret.
pub fn parse_admin_key(key: &str) -> Result<(String, Vec<u8>), GhostError> {
    let malformed = |why: &str| GhostError::MalformedKey {
        which: KeyKind::Admin,
        why: why.to_owned(),
    };
    let (id, secret) = key.trim().split_once(':').ok_or_else(|| {
        malformed("an Admin API key has the form id:secret (Ghost shows it under Settings → Integrations → your integration)")
    })?;
    if id.is_empty() || !id.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Err(malformed(
            "the part before the colon (the key's id) is letters and digits",
        ));
    }
    if secret.is_empty() || secret.len() % 2 != 0 || !secret.bytes().all(|b| b.is_ascii_hexdigit())
    {
        return Err(malformed(
            "the part after the colon (the secret) must be hexadecimal digits, as Ghost shows it",
        ));
    }
    let secret = hex::decode(secret).map_err(|_bad| {
        malformed("the part after the colon (the secret) must be hexadecimal digits")
    })?;
    Ok((id.to_owned(), secret))
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn admin_addresses_mean_the_site() {
        let site = |s: &str| {
            let (url, changed) = site_address(s).unwrap();
            (url.to_string(), changed)
        };
        assert_eq!(
            site("https://example.org"),
            ("https://example.org/".into(), false)
        );
        assert_eq!(
            site(" https://example.org/ "),
            ("https://example.org/".into(), false)
        );
        for admin in [
            "https://example.org/ghost",
            "https://example.org/ghost/",
            "https://example.org/ghost/#/dashboard",
            "https://example.org/ghost/#/settings/integrations/6194d3ce",
            "https://example.org/ghost/api/content/posts/?key=abc",
        ] {
            assert_eq!(
                site(admin),
                ("https://example.org/".into(), true),
                "{admin}"
            );
        }
        // A site in a subdirectory keeps it.
        assert_eq!(
            site("https://example.org/blog/ghost/#/posts"),
            ("https://example.org/blog/".into(), true)
        );
        assert_eq!(
            site("https://example.org/blog"),
            ("https://example.org/blog/".into(), false)
        );
        for bad in [
            "not a url",
            "example.org",
            "ftp://example.org/",
            "https://u:p@example.org/",
        ] {
            assert!(
                matches!(site_address(bad), Err(GhostError::BadUrl(_))),
                "{bad}"
            );
        }
    }

    #[test]
    fn malformed_keys_are_told_apart_from_refused_ones() {
        let good = "6194d3ce51e2700162531c01:9f3c1b2a4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f8";
        assert_eq!(parse_admin_key(good).unwrap().1.len(), 32);
        for bad in [
            "6194d3ce51e2700162531c01",
            "6194d3ce51e2700162531c01:not-hex-at-all",
            "6194d3ce51e2700162531c01:abc",
            ":9f3c",
        ] {
            let e = parse_admin_key(bad).unwrap_err();
            assert!(
                matches!(
                    e,
                    GhostError::MalformedKey {
                        which: KeyKind::Admin,
                        ..
                    }
                ),
                "{bad}: {e}"
            );
            assert!(e.to_string().contains("malformed") && !e.to_string().contains("refused"));
        }
        assert!(check_content_key("a1b2c3d4e5f60718293a4b5c6d").is_ok());
        for bad in ["", "xyz", "6194d3ce:9f3c"] {
            assert!(matches!(
                check_content_key(bad),
                Err(GhostError::MalformedKey {
                    which: KeyKind::Content,
                    ..
                })
            ));
        }
    }
}
