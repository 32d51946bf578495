//! Outbound requests to other servers, safely: names are resolved by us and only public
//! addresses are used (and connected to: no second lookup to rebind); IP literals are checked the
//! same way; redirects are followed by hand, each hop checked again; 10 s timeouts; bodies over
//! 1 MB refused; fetched documents must be ActivityStreams and carry the id they were fetched
//! by. `allow_loopback` (dev and tests only) admits 127.0.0.0/8 and ::1. Plain HTML pages
//! (product import) come through the same guards with [`Fetcher::html`].

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use serde_json::Value;

use super::httpsig::{self, Message, Standard, rfc9421};
use super::keys::ActorKey;
use super::{CONTENT_TYPE, MAX_DOCUMENT_BYTES, is_activity_content_type};
use crate::infrastructure::http_client::is_localhost;

const MAX_REDIRECTS: usize = 3;
/// Largest HTML page fetched (shop pages carry their markup, scripts and JSON-LD inline).
pub const MAX_PAGE_BYTES: usize = 2 * 1024 * 1024;
const ACCEPT: &str = r#"application/activity+json, application/ld+json; profile="https://www.w3.org/ns/activitystreams""#;

#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    #[error("refused: {0} is not a public address")]
    Forbidden(String),
    #[error("bad URL: {0}")]
    BadUrl(String),
    #[error("{0}")]
    Http(#[from] reqwest::Error),
    #[error("answered {0}")]
    Status(u16),
    #[error("too many redirects")]
    Redirects,
    #[error("the document is over 1 MB")]
    TooLarge,
    #[error("not an ActivityStreams document ({0})")]
    ContentType(String),
    #[error("not JSON: {0}")]
    Json(String),
    #[error("the document's id {0} is not the URL it was fetched from")]
    IdMismatch(String),
    #[error("signing: {0}")]
    Signing(String),
    #[error("the page is over 2 MB")]
    PageTooLarge,
    #[error("not an HTML page ({0})")]
    NotHtml(String),
    #[error("the file is over {0} MB")]
    FileTooLarge(usize),
}

/// An HTML page fetched by [`Fetcher::html`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HtmlPage {
    /// Where the page was found, after redirects (the base for its relative links).
    pub url: url::Url,
    /// Its text (invalid UTF-8 replaced).
    pub body: String,
}

/// Whether a Content-Type names an HTML page.
fn is_html_content_type(content_type: &str) -> bool {
    let media_type = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    media_type == "text/html" || media_type == "application/xhtml+xml"
}

/// Whether an address may be contacted.
pub fn ip_allowed(ip: IpAddr, allow_loopback: bool) -> bool {
    match ip {
        IpAddr::V4(v4) => v4_allowed(v4, allow_loopback),
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return v4_allowed(v4, allow_loopback);
            }
            let seg = v6.segments();
            if v6.is_loopback() {
                return allow_loopback;
            }
            let nat64 = seg[0] == 0x64 && seg[1] == 0xff9b && seg[2..6].iter().all(|s| *s == 0);
            if nat64 {
                let v4 = Ipv4Addr::new(
                    (seg[6] >> 8) as u8,
                    seg[6] as u8,
                    (seg[7] >> 8) as u8,
                    seg[7] as u8,
                );
                return v4_allowed(v4, allow_loopback);
            }
            !(v6.is_unspecified()
                || v6.is_multicast()
                || (seg[0] & 0xfe00) == 0xfc00 // unique local
                || (seg[0] & 0xffc0) == 0xfe80 // link-local
                || (seg[0] & 0xffc0) == 0xfec0 // site-local (deprecated, still routed by some)
                || (seg[0] == 0x64 && seg[1] == 0xff9b && seg[2] == 1) // local-use NAT64 (RFC 8215)
                || seg[0] == 0x2002 // 6to4: embeds any IPv4 address, private ones included
                || (seg[0] == 0x2001 && seg[1] == 0x0db8) // documentation
                || v6 == Ipv6Addr::new(0, 0, 0, 0, 0, 0, 0, 1)
                || (seg[0..6].iter().all(|s| *s == 0) && seg[6] != 0)) // IPv4-compatible
        }
    }
}

fn v4_allowed(ip: Ipv4Addr, allow_loopback: bool) -> bool {
    let o = ip.octets();
    if ip.is_loopback() {
        return allow_loopback;
    }
    !(ip.is_private()
        || ip.is_link_local()
        || ip.is_unspecified()
        || ip.is_broadcast()
        || ip.is_multicast()
        || ip.is_documentation()
        || o[0] == 0
        || (o[0] == 100 && (64..=127).contains(&o[1])) // CGNAT
        || (o[0] == 192 && o[1] == 0 && o[2] == 0) // IETF protocol assignments (RFC 6890)
        || (o[0] == 198 && (18..=19).contains(&o[1])) // benchmarking
        || o[0] >= 240) // reserved
}

/// The resolver of the guarded client: public addresses only.
#[derive(Debug)]
struct GuardedResolver {
    allow_loopback: bool,
}

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let host = name.as_str().to_owned();
        let allow_loopback = self.allow_loopback;
        Box::pin(async move {
            let candidates: Vec<SocketAddr> = if is_localhost(&host) {
                vec![
                    SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 0),
                    SocketAddr::new(IpAddr::V6(Ipv6Addr::LOCALHOST), 0),
                ]
            } else {
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect()
            };
            let allowed: Vec<SocketAddr> = candidates
                .into_iter()
                .filter(|a| ip_allowed(a.ip(), allow_loopback))
                .collect();
            if allowed.is_empty() {
                return Err(Box::new(std::io::Error::other(format!(
                    "refused: {host} resolves to no public address"
                ))) as _);
            }
            Ok(Box::new(allowed.into_iter()) as Addrs)
        })
    }
}

/// Who signs a request: the key and its id.
pub struct Signer<'a> {
    pub key: &'a ActorKey,
    pub key_id: &'a str,
}

#[derive(Clone)]
pub struct Fetcher {
    http: reqwest::Client,
    allow_loopback: bool,
}

impl Fetcher {
    pub fn new(allow_loopback: bool) -> reqwest::Result<Fetcher> {
        let http = reqwest::Client::builder()
            .dns_resolver(Arc::new(GuardedResolver { allow_loopback }))
            // A proxy from the environment would connect for us, past the address checks.
            .no_proxy()
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(Duration::from_secs(5))
            .timeout(Duration::from_secs(10))
            .pool_max_idle_per_host(8)
            .user_agent(concat!(
                "RoseAsh/",
                env!("CARGO_PKG_VERSION"),
                " (ActivityPub)"
            ))
            .build()?;
        Ok(Fetcher {
            http,
            allow_loopback,
        })
    }

    /// The guarded client itself, for other outbound fetches (e.g. a Ghost site): it resolves
    /// only to public addresses and follows no redirects. Call [`Fetcher::check`] first.
    pub fn client(&self) -> &reqwest::Client {
        &self.http
    }

    /// Refuses URLs we must not contact before any connection is made.
    pub fn check(&self, url: &url::Url) -> Result<(), FetchError> {
        match url.scheme() {
            "https" => {}
            "http" if self.allow_loopback => {}
            other => return Err(FetchError::BadUrl(format!("scheme {other}"))),
        }
        match url.host() {
            Some(url::Host::Ipv4(ip)) if !ip_allowed(IpAddr::V4(ip), self.allow_loopback) => {
                Err(FetchError::Forbidden(ip.to_string()))
            }
            Some(url::Host::Ipv6(ip)) if !ip_allowed(IpAddr::V6(ip), self.allow_loopback) => {
                Err(FetchError::Forbidden(ip.to_string()))
            }
            Some(url::Host::Domain(d)) if is_localhost(d) && !self.allow_loopback => {
                Err(FetchError::Forbidden(d.to_owned()))
            }
            Some(_) => Ok(()),
            None => Err(FetchError::BadUrl("no host".into())),
        }
    }

    /// The headers of a request to `url` (Host, Date, Digest and Content-Type or Accept), with
    /// a draft-cavage `Signature` over them when `signer` is given.
    pub fn signed_headers(
        url: &url::Url,
        method: &str,
        body: Option<&[u8]>,
        signer: Option<&Signer<'_>>,
    ) -> Result<Vec<(String, String)>, FetchError> {
        Self::signed_headers_as(url, method, body, signer, Standard::Cavage)
    }

    /// The headers of a request to `url`, signed in `standard` when `signer` is given. Cavage:
    /// Host, Date, Digest and Content-Type (or Accept), all signed with `(request-target)`.
    /// RFC 9421: Host, Date, Content-Digest and Content-Type (or Accept), with `@method`,
    /// `@target-uri`, the digest and the content type (or Accept) covered, as Mastodon wants.
    pub fn signed_headers_as(
        url: &url::Url,
        method: &str,
        body: Option<&[u8]>,
        signer: Option<&Signer<'_>>,
        standard: Standard,
    ) -> Result<Vec<(String, String)>, FetchError> {
        let host = match url.port() {
            Some(p) => format!("{}:{p}", url.host_str().unwrap_or("")),
            None => url.host_str().unwrap_or("").to_owned(),
        };
        let now = chrono::Utc::now();
        let mut headers = vec![
            ("host".to_owned(), host),
            ("date".to_owned(), httpsig::http_date(now)),
        ];
        let mut names = match standard {
            Standard::Cavage => vec!["(request-target)", "host", "date"],
            Standard::Rfc9421 => vec!["@method", "@target-uri"],
        };
        match (body, standard) {
            (Some(body), Standard::Cavage) => {
                headers.push(("digest".into(), httpsig::digest_header(body)));
                names.push("digest");
            }
            (Some(body), Standard::Rfc9421) => {
                headers.push(("content-digest".into(), rfc9421::content_digest(body)));
                names.push("content-digest");
            }
            (None, _) => {}
        }
        match body {
            Some(_) => {
                headers.push(("content-type".into(), CONTENT_TYPE.into()));
                names.push("content-type");
            }
            None => {
                headers.push(("accept".into(), ACCEPT.into()));
                names.push("accept");
            }
        }
        let Some(signer) = signer else {
            return Ok(headers);
        };
        let lookup = |name: &str| {
            headers
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.clone())
        };
        let signing = |e: httpsig::SigError| FetchError::Signing(e.to_string());
        let signed = match standard {
            Standard::Cavage => {
                let path_and_query = match url.query() {
                    Some(q) => format!("{}?{q}", url.path()),
                    None => url.path().to_owned(),
                };
                let message = Message {
                    method,
                    path_and_query: &path_and_query,
                    headers: &lookup,
                };
                let signature = httpsig::sign(&signer.key.private, signer.key_id, &message, &names)
                    .map_err(signing)?;
                vec![("signature".to_owned(), signature)]
            }
            Standard::Rfc9421 => {
                let mut target = url.clone();
                target.set_fragment(None);
                let request = rfc9421::Request {
                    method,
                    target: &target,
                    headers: &lookup,
                };
                let (input, signature) = rfc9421::sign(
                    &signer.key.private,
                    signer.key_id,
                    &request,
                    &names,
                    now.timestamp(),
                )
                .map_err(signing)?;
                vec![
                    ("signature-input".to_owned(), input),
                    ("signature".to_owned(), signature),
                ]
            }
        };
        headers.extend(signed);
        Ok(headers)
    }

    async fn read_capped(response: reqwest::Response) -> Result<Vec<u8>, FetchError> {
        Self::read_at_most(response, MAX_DOCUMENT_BYTES)
            .await?
            .ok_or(FetchError::TooLarge)
    }

    /// The body, or `None` as soon as it is known to be over `max` bytes.
    async fn read_at_most(
        mut response: reqwest::Response,
        max: usize,
    ) -> Result<Option<Vec<u8>>, FetchError> {
        if response.content_length().is_some_and(|l| l > max as u64) {
            return Ok(None);
        }
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await? {
            if body.len() + chunk.len() > max {
                return Ok(None);
            }
            body.extend_from_slice(&chunk);
        }
        Ok(Some(body))
    }

    /// GETs an ActivityStreams document (signed with draft-cavage when `signer` is given).
    pub async fn document(
        &self,
        url: &str,
        signer: Option<&Signer<'_>>,
    ) -> Result<Value, FetchError> {
        self.document_as(url, signer, Standard::Cavage).await
    }

    /// GETs an ActivityStreams document, signed in `standard` when `signer` is given.
    pub async fn document_as(
        &self,
        url: &str,
        signer: Option<&Signer<'_>>,
        standard: Standard,
    ) -> Result<Value, FetchError> {
        let mut url = url::Url::parse(url).map_err(|e| FetchError::BadUrl(e.to_string()))?;
        url.set_fragment(None);
        let mut refetched_by_id = false;
        for _ in 0..=MAX_REDIRECTS {
            self.check(&url)?;
            let mut request = self.http.get(url.as_str());
            for (k, v) in Self::signed_headers_as(&url, "GET", None, signer, standard)? {
                if k != "host" {
                    request = request.header(k, v);
                }
            }
            let response = request.send().await?;
            let status = response.status();
            if status.is_redirection() {
                url = redirect_target(&url, &response)?;
                continue;
            }
            if status != reqwest::StatusCode::OK {
                return Err(FetchError::Status(status.as_u16()));
            }
            let content_type = content_type(&response);
            if !is_activity_content_type(&content_type) {
                return Err(FetchError::ContentType(content_type));
            }
            let body = Self::read_capped(response).await?;
            let doc: Value =
                serde_json::from_slice(&body).map_err(|e| FetchError::Json(e.to_string()))?;
            let id = doc["id"].as_str().unwrap_or("").to_owned();
            if id == url.as_str() {
                return Ok(doc);
            }
            // One refetch by the id the document claims, which must then answer as itself.
            if refetched_by_id || id.is_empty() {
                return Err(FetchError::IdMismatch(id));
            }
            refetched_by_id = true;
            url = url::Url::parse(&id).map_err(|e| FetchError::BadUrl(e.to_string()))?;
        }
        Err(FetchError::Redirects)
    }

    /// GETs plain JSON (WebFinger, NodeInfo): same guards, no ActivityStreams checks.
    pub async fn json(&self, url: &str) -> Result<Value, FetchError> {
        let url = url::Url::parse(url).map_err(|e| FetchError::BadUrl(e.to_string()))?;
        self.check(&url)?;
        let response = self
            .http
            .get(url.as_str())
            .header("accept", "application/jrd+json, application/json")
            .send()
            .await?;
        if response.status() != reqwest::StatusCode::OK {
            return Err(FetchError::Status(response.status().as_u16()));
        }
        let body = Self::read_capped(response).await?;
        serde_json::from_slice(&body).map_err(|e| FetchError::Json(e.to_string()))
    }

    /// GETs an HTML page (e.g. a product to import): the same guards as [`Fetcher::document`]
    /// (every hop's address checked before connecting and again by the resolver, at most
    /// three redirects, the client's timeouts), `text/html` or `application/xhtml+xml` only,
    /// at most [`MAX_PAGE_BYTES`].
    pub async fn html(&self, url: &str) -> Result<HtmlPage, FetchError> {
        let mut url = url::Url::parse(url).map_err(|e| FetchError::BadUrl(e.to_string()))?;
        url.set_fragment(None);
        for _ in 0..=MAX_REDIRECTS {
            self.check(&url)?;
            let response = self
                .http
                .get(url.as_str())
                .header("accept", "text/html, application/xhtml+xml;q=0.9")
                .send()
                .await?;
            let status = response.status();
            if status.is_redirection() {
                url = redirect_target(&url, &response)?;
                url.set_fragment(None);
                continue;
            }
            if status != reqwest::StatusCode::OK {
                return Err(FetchError::Status(status.as_u16()));
            }
            let content_type = content_type(&response);
            if !is_html_content_type(&content_type) {
                return Err(FetchError::NotHtml(content_type));
            }
            let body = Self::read_at_most(response, MAX_PAGE_BYTES)
                .await?
                .ok_or(FetchError::PageTooLarge)?;
            return Ok(HtmlPage {
                url,
                body: String::from_utf8_lossy(&body).into_owned(),
            });
        }
        Err(FetchError::Redirects)
    }

    /// GETs a file (e.g. a product image to copy): the same guards as [`Fetcher::html`], any
    /// content type (the caller checks the bytes: a server's word for its type is not trusted),
    /// at most `max` bytes ([`FetchError::FileTooLarge`], known before reading it all).
    pub async fn file(&self, url: &str, max: usize) -> Result<Vec<u8>, FetchError> {
        let mut url = url::Url::parse(url).map_err(|e| FetchError::BadUrl(e.to_string()))?;
        url.set_fragment(None);
        for _ in 0..=MAX_REDIRECTS {
            self.check(&url)?;
            let response = self.http.get(url.as_str()).send().await?;
            let status = response.status();
            if status.is_redirection() {
                url = redirect_target(&url, &response)?;
                url.set_fragment(None);
                continue;
            }
            if status != reqwest::StatusCode::OK {
                return Err(FetchError::Status(status.as_u16()));
            }
            return Self::read_at_most(response, max)
                .await?
                .ok_or(FetchError::FileTooLarge(max / (1024 * 1024)));
        }
        Err(FetchError::Redirects)
    }

    /// The scheme to reach `host` with: https, or http for loopback hosts in dev.
    pub fn scheme_for(&self, host: &str) -> &'static str {
        let name = host.rsplit_once(':').map_or(host, |(h, _)| h);
        if self.allow_loopback && (is_localhost(name) || name == "127.0.0.1") {
            "http"
        } else {
            "https"
        }
    }

    /// POSTs an activity to an inbox, signed in `standard`; returns the status. (Which standard
    /// a host takes is [`super::knock`]'s business.)
    pub async fn deliver(
        &self,
        inbox: &str,
        body: &[u8],
        signer: &Signer<'_>,
        standard: Standard,
    ) -> Result<u16, FetchError> {
        let url = url::Url::parse(inbox).map_err(|e| FetchError::BadUrl(e.to_string()))?;
        self.check(&url)?;
        let mut request = self.http.post(url.as_str()).body(body.to_vec());
        for (k, v) in Self::signed_headers_as(&url, "POST", Some(body), Some(signer), standard)? {
            if k != "host" {
                request = request.header(k, v);
            }
        }
        Ok(request.send().await?.status().as_u16())
    }
}

/// Where a redirect points, resolved against the address that answered it.
fn redirect_target(url: &url::Url, response: &reqwest::Response) -> Result<url::Url, FetchError> {
    let location = response
        .headers()
        .get(reqwest::header::LOCATION)
        .and_then(|l| l.to_str().ok())
        .ok_or(FetchError::Status(response.status().as_u16()))?;
    url.join(location)
        .map_err(|e| FetchError::BadUrl(e.to_string()))
}

/// The response's `Content-Type` ("" when absent or unreadable).
fn content_type(response: &reqwest::Response) -> String {
    response
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn private_and_special_addresses_are_refused() {
        let refused = [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "255.255.255.255",
            "224.0.0.1",
            "192.0.2.1",
            "198.18.0.1",
            "240.0.0.1",
            "::1",
            "::",
            "fc00::1",
            "fd12::1",
            "fe80::1",
            "ff02::1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
            "64:ff9b::a00:1",
            "2001:db8::1",
            "64:ff9b:1::a00:1",
            "64:ff9b:1:ffff::1",
            "2002:a00:1::1",
            "2002:5db8:d822::1",
            "fec0::1",
            "feff::1",
            "192.0.0.1",
            "192.0.0.170",
        ];
        for ip in refused {
            assert!(!ip_allowed(ip.parse().unwrap(), false), "{ip}");
        }
        for ip in [
            "93.184.216.34",
            "2606:2800:220:1:248:1893:25c8:1946",
            "::ffff:93.184.216.34",
            "192.0.1.1",
            "2003::1",
        ] {
            assert!(ip_allowed(ip.parse().unwrap(), false), "{ip}");
        }
        assert!(ip_allowed("127.0.0.1".parse().unwrap(), true));
        assert!(
            !ip_allowed("10.0.0.1".parse().unwrap(), true),
            "only loopback is let in for dev"
        );
    }

    /// Answers every connection with a 204, from a thread.
    fn answering_server() -> std::net::SocketAddr {
        use std::io::{Read, Write};
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        std::thread::spawn(move || {
            for mut stream in listener.incoming().flatten() {
                let mut buf = [0u8; 4096];
                let _ = stream.read(&mut buf);
                let _ = stream.write_all(
                    b"HTTP/1.1 204 No Content\r\ncontent-length: 0\r\nconnection: close\r\n\r\n",
                );
            }
        });
        addr
    }

    /// With HTTP(S)_PROXY and ALL_PROXY pointing at a listener that never answers, both clients
    /// still reach the server directly (a proxy would make the connection for us, past the
    /// address checks). Proxy variables are per process, so the check runs in a child process.
    #[test]
    fn proxies_from_the_environment_are_ignored() {
        const CHILD: &str = "ROSE_ASH_PROXY_PROBE";
        if let Some(target) = std::env::var_os(CHILD) {
            let target = target.into_string().unwrap();
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async {
                let url = format!("http://{target}/probe");
                let guarded = Fetcher::new(true).unwrap();
                let internal = crate::infrastructure::http_client::internal_client().unwrap();
                for client in [guarded.client(), &internal] {
                    let status = client.get(&url).send().await.unwrap().status();
                    assert_eq!(status, 204, "reached directly, not through the proxy");
                }
            });
            return;
        }
        let silent_proxy = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let proxy = format!("http://{}", silent_proxy.local_addr().unwrap());
        let target = answering_server();
        let output = std::process::Command::new(std::env::current_exe().unwrap())
            .args([
                "activitypub::fetch::tests::proxies_from_the_environment_are_ignored",
                "--exact",
                "--nocapture",
            ])
            .env(CHILD, target.to_string())
            .env("HTTP_PROXY", &proxy)
            .env("http_proxy", &proxy)
            .env("HTTPS_PROXY", &proxy)
            .env("ALL_PROXY", &proxy)
            .env_remove("NO_PROXY")
            .env_remove("no_proxy")
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        drop(silent_proxy);
    }

    /// Answers every connection with `response` (status line, headers and body), from a thread.
    fn serving(response: Vec<u8>) -> std::net::SocketAddr {
        use std::io::{Read, Write};
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        std::thread::spawn(move || {
            for mut stream in listener.incoming().flatten() {
                let mut buf = [0u8; 4096];
                let _ = stream.read(&mut buf);
                let _ = stream.write_all(&response);
            }
        });
        addr
    }

    fn page(content_type: &str, body: &[u8]) -> Vec<u8> {
        let mut out = format!(
            "HTTP/1.1 200 OK\r\ncontent-type: {content_type}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
            body.len()
        )
        .into_bytes();
        out.extend_from_slice(body);
        out
    }

    #[tokio::test]
    async fn html_pages_are_fetched_with_the_same_guards() {
        let shop = serving(page(
            "text/html; charset=utf-8",
            b"<html><title>Pears</title></html>",
        ));
        let url = format!("http://{shop}/products/pears#reviews");
        let dev = Fetcher::new(true).unwrap();
        let got = dev.html(&url).await.unwrap();
        assert_eq!(got.body, "<html><title>Pears</title></html>");
        assert_eq!(got.url.as_str(), format!("http://{shop}/products/pears"));
        let xhtml = serving(page("application/xhtml+xml", b"<html/>"));
        assert!(dev.html(&format!("http://{xhtml}/")).await.is_ok());

        // Loopback is refused unless allowed (dev and tests), by name, literal or scheme.
        let guarded = Fetcher::new(false).unwrap();
        for refused in [
            format!("https://{shop}/products/pears"),
            format!("https://localhost:{}/", shop.port()),
            format!("https://[::1]:{}/", shop.port()),
            "https://10.0.0.8/".to_owned(),
            "https://169.254.169.254/latest/meta-data/".to_owned(),
        ] {
            assert!(
                matches!(guarded.html(&refused).await, Err(FetchError::Forbidden(_))),
                "{refused}"
            );
        }
        assert!(matches!(
            guarded.html(&url).await,
            Err(FetchError::BadUrl(_))
        ));
        assert!(matches!(
            dev.html("file:///etc/passwd").await,
            Err(FetchError::BadUrl(_))
        ));
    }

    #[tokio::test]
    async fn a_redirect_to_a_private_address_is_refused() {
        let redirect = serving(
            b"HTTP/1.1 302 Found\r\nlocation: http://10.0.0.1/admin\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
                .to_vec(),
        );
        let dev = Fetcher::new(true).unwrap();
        assert!(matches!(
            dev.html(&format!("http://{redirect}/")).await,
            Err(FetchError::Forbidden(ip)) if ip == "10.0.0.1"
        ));
        // A redirect loop ends.
        let looping = serving(
            b"HTTP/1.1 301 Moved\r\nlocation: /again\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
                .to_vec(),
        );
        assert!(matches!(
            dev.html(&format!("http://{looping}/")).await,
            Err(FetchError::Redirects)
        ));
    }

    #[tokio::test]
    async fn only_html_under_the_size_cap_is_taken() {
        let dev = Fetcher::new(true).unwrap();
        for content_type in ["application/json", "image/svg+xml", "text/plain", ""] {
            let other = serving(page(content_type, b"{}"));
            assert!(
                matches!(
                    dev.html(&format!("http://{other}/")).await,
                    Err(FetchError::NotHtml(_))
                ),
                "{content_type}"
            );
        }
        // Too large by its Content-Length, and by what it sends without one.
        let declared = serving(page("text/html", &vec![b'x'; MAX_PAGE_BYTES + 1]));
        assert!(matches!(
            dev.html(&format!("http://{declared}/")).await,
            Err(FetchError::PageTooLarge)
        ));
        let mut streamed =
            b"HTTP/1.1 200 OK\r\ncontent-type: text/html\r\nconnection: close\r\n\r\n".to_vec();
        streamed.extend(vec![b'x'; MAX_PAGE_BYTES + 1]);
        let streamed = serving(streamed);
        assert!(matches!(
            dev.html(&format!("http://{streamed}/")).await,
            Err(FetchError::PageTooLarge)
        ));
        let not_found = serving(
            b"HTTP/1.1 404 Not Found\r\ncontent-type: text/html\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
                .to_vec(),
        );
        assert!(matches!(
            dev.html(&format!("http://{not_found}/")).await,
            Err(FetchError::Status(404))
        ));
        let exact = serving(page("text/html", &vec![b'x'; MAX_PAGE_BYTES]));
        assert_eq!(
            dev.html(&format!("http://{exact}/"))
                .await
                .unwrap()
                .body
                .len(),
            MAX_PAGE_BYTES
        );
    }

    #[test]
    fn urls_are_checked_before_connecting() {
        let guarded = Fetcher::new(false).unwrap();
        for bad in [
            "http://example.org/",
            "https://127.0.0.1/x",
            "https://[::1]/x",
            "https://blog.localhost/x",
            "ftp://example.org/",
            "https://10.0.0.8/",
        ] {
            assert!(
                guarded.check(&url::Url::parse(bad).unwrap()).is_err(),
                "{bad}"
            );
        }
        assert!(
            guarded
                .check(&url::Url::parse("https://mastodon.example/users/a").unwrap())
                .is_ok()
        );
        let dev = Fetcher::new(true).unwrap();
        assert!(
            dev.check(&url::Url::parse("http://blog.localhost:8001/actor").unwrap())
                .is_ok()
        );
    }
}
