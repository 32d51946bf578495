//! The Content-Security-Policy every HTML page of the fleet carries.
//!
//! Scripts only from the app's own origin and never inline (`script-src 'self'`, no
//! `'unsafe-inline'`), so markup that slips past sanitizing cannot run. Stylesheets are the
//! app's own too; images may come from the fleet's apps, `data:` and any https host (remote
//! avatars, Ghost's CDN). A handler that sets its own policy (e.g. `frame-ancestors 'none'` on
//! the sign-in pages) keeps its directives; the fleet's fill in the rest.
//!
//! Every response also carries `X-Frame-Options` to match (`SAMEORIGIN`, `DENY` for a handler's
//! `frame-ancestors 'none'`), for browsers that know only that header. A handler whose own
//! `frame-ancestors` lets other sites frame it (events' embeddable view, `frame-ancestors *`)
//! gets none, since no value of that header allows it; one that sets the header keeps its own.

use std::future::{Ready, ready};
use std::rc::Rc;

use actix_web::dev::{Service, ServiceRequest, ServiceResponse, Transform, forward_ready};
use actix_web::http::header::{self, HeaderValue};
use futures_util::future::LocalBoxFuture;

/// Adds the fleet's policy to every `text/html` response.
#[derive(Clone)]
pub struct ContentSecurityPolicy {
    policy: Rc<str>,
}

impl ContentSecurityPolicy {
    /// `fleet_origins`: the six apps' origins, whose images pages may show.
    pub fn new(fleet_origins: &[String]) -> Self {
        Self {
            policy: policy(fleet_origins).into(),
        }
    }
}

/// The base policy. `form-action` is left out on purpose: Chromium applies it to the redirects
/// after a form (sign-in → a third-party client's registered `redirect_uri`), which it would
/// break, and forms only post to addresses our own templates write.
pub fn policy(fleet_origins: &[String]) -> String {
    let fleet = fleet_origins.join(" ");
    format!(
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: https: {fleet}; \
         object-src 'none'; base-uri 'self'; frame-ancestors 'self'"
    )
}

/// The `X-Frame-Options` matching a handler's own policy (empty: the fleet's, `'self'`), or none
/// when its `frame-ancestors` admits other origins.
pub fn frame_options(own: &str) -> Option<&'static str> {
    let ancestors = own.split(';').map(str::trim).find_map(|d| {
        let mut words = d.split_whitespace();
        words
            .next()
            .filter(|n| n.eq_ignore_ascii_case("frame-ancestors"))
            .map(|_| words.map(str::to_ascii_lowercase).collect::<Vec<_>>())
    });
    match ancestors.as_deref() {
        None => Some("SAMEORIGIN"),
        Some([only]) if only == "'none'" => Some("DENY"),
        Some([only]) if only == "'self'" => Some("SAMEORIGIN"),
        Some(_) => None,
    }
}

/// `base` with any directive that `own` sets replaced by `own`'s.
pub fn merge(own: &str, base: &str) -> String {
    let name = |d: &str| {
        d.split_whitespace()
            .next()
            .unwrap_or_default()
            .to_ascii_lowercase()
    };
    let own: Vec<&str> = own
        .split(';')
        .map(str::trim)
        .filter(|d| !d.is_empty())
        .collect();
    let mut out: Vec<&str> = base
        .split(';')
        .map(str::trim)
        .filter(|d| !d.is_empty() && !own.iter().any(|o| name(o) == name(d)))
        .collect();
    out.extend(own);
    out.join("; ")
}

impl<S, B> Transform<S, ServiceRequest> for ContentSecurityPolicy
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = actix_web::Error> + 'static,
    B: 'static,
{
    type Response = ServiceResponse<B>;
    type Error = actix_web::Error;
    type Transform = CspMiddleware<S>;
    type InitError = ();
    type Future = Ready<Result<Self::Transform, Self::InitError>>;

    fn new_transform(&self, service: S) -> Self::Future {
        ready(Ok(CspMiddleware {
            service: Rc::new(service),
            policy: self.policy.clone(),
        }))
    }
}

pub struct CspMiddleware<S> {
    service: Rc<S>,
    policy: Rc<str>,
}

impl<S, B> Service<ServiceRequest> for CspMiddleware<S>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = actix_web::Error> + 'static,
    B: 'static,
{
    type Response = ServiceResponse<B>;
    type Error = actix_web::Error;
    type Future = LocalBoxFuture<'static, Result<Self::Response, Self::Error>>;

    forward_ready!(service);

    fn call(&self, req: ServiceRequest) -> Self::Future {
        let service = self.service.clone();
        let policy = self.policy.clone();
        Box::pin(async move {
            let mut res = service.call(req).await?;
            let headers = res.headers_mut();
            let own = headers
                .get(header::CONTENT_SECURITY_POLICY)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_owned();
            if !headers.contains_key(header::X_FRAME_OPTIONS)
                && let Some(value) = frame_options(&own)
            {
                headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static(value));
            }
            let is_html = headers
                .get(header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .is_some_and(|ct| ct.trim_start().starts_with("text/html"));
            if is_html {
                let value = if own.is_empty() {
                    policy.to_string()
                } else {
                    merge(&own, &policy)
                };
                if let Ok(value) = HeaderValue::from_str(&value) {
                    headers.insert(header::CONTENT_SECURITY_POLICY, value);
                }
            }
            Ok(res)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_inline_script_and_own_directives_win() {
        let base = policy(&["http://blog.localhost:8001".to_owned()]);
        assert!(base.contains("script-src 'self';"));
        assert!(!base.contains("unsafe-inline"));
        assert!(base.contains("img-src 'self' data: https: http://blog.localhost:8001"));
        let merged = merge("frame-ancestors 'none'", &base);
        assert!(merged.contains("frame-ancestors 'none'"));
        assert!(!merged.contains("frame-ancestors 'self'"));
        assert!(merged.contains("script-src 'self'"));
    }

    #[test]
    fn frame_options_follow_the_handlers_frame_ancestors() {
        assert_eq!(frame_options(""), Some("SAMEORIGIN"));
        assert_eq!(frame_options("default-src 'self'"), Some("SAMEORIGIN"));
        assert_eq!(frame_options("frame-ancestors 'self'"), Some("SAMEORIGIN"));
        assert_eq!(frame_options("frame-ancestors 'none'"), Some("DENY"));
        assert_eq!(frame_options("Frame-Ancestors *"), None);
        assert_eq!(
            frame_options("img-src *; frame-ancestors https://a.example"),
            None
        );
    }
}
