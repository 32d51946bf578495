//! CSRF protection for every state-changing request of the fleet, in one middleware.
//!
//! 1. Origin: browsers label requests with `Sec-Fetch-Site` (or at least `Origin` on POSTs). A
//!    non-safe request is refused unless it comes from the same origin, from one of the fleet's
//!    six origins (the apps post to each other, e.g. "add to cart" from the market), or from a
//!    non-browser client (no `Sec-Fetch-Site` and no `Origin`).
//! 2. Token: a same-origin (or header-less) request that carries this app's session cookie must
//!    also carry the session's synchronizer token, as the `csrf_token` form field (in a
//!    multipart upload, a field ahead of the files) or the `X-CSRF-Token` header. Pages put it in their forms (`{{ csrf_token }}`).
//! 3. Cross-app forms: a sibling app cannot know this app's token, so a request from one of the
//!    fleet's origins skips the token only on the paths its app lists in
//!    `AppSpec::cross_app_forms` (e.g. the cart's add-to-cart, posted from market pages). Every
//!    other fleet-origin request with a session needs the token like a same-origin one, so a
//!    script injected into one app cannot act as a member (or an admin) on another.

use std::collections::HashSet;
use std::future::{Ready, ready};
use std::rc::Rc;

use actix_web::HttpMessage;
use actix_web::body::EitherBody;
use actix_web::dev::{Payload, Service, ServiceRequest, ServiceResponse, Transform, forward_ready};
use actix_web::http::{Method, StatusCode, header};
use actix_web::web::{self, BytesMut};
use futures_util::StreamExt;
use futures_util::future::LocalBoxFuture;

use super::app::AppContext;
use super::errors::error_response;

/// Paths whose non-safe requests come from other servers and are authenticated otherwise.
const EXEMPT_PREFIXES: &[&str] = &[
    "/internal/",
    "/auth/backchannel-logout",
    "/oauth/token",
    "/oauth/revoke",
    "/oauth/introspect",
    "/oauth/userinfo",
    // ActivityPub inboxes: server-to-server, authenticated by HTTP signatures.
    "/inbox",
    "/actor/inbox",
    "/users/",
    // RFC 8058 one-click unsubscribe (account): mail providers post from anywhere, without
    // cookies; the signed link is the credential.
    "/unsubscribe/",
];
pub const TOKEN_FIELD: &str = "csrf_token";
pub const TOKEN_HEADER: &str = "x-csrf-token";
/// Largest urlencoded body the guard reads to find the token.
const FORM_LIMIT: usize = 256 * 1024;
/// How much of a multipart form the guard reads looking for the token at its head.
const MULTIPART_HEAD_LIMIT: usize = 64 * 1024;

#[derive(Clone)]
pub struct CsrfGuard {
    trusted: Rc<HashSet<String>>,
    cross_app_forms: &'static [&'static str],
}

impl CsrfGuard {
    /// `trusted`: origins (`scheme://host[:port]`) allowed to post cross-origin;
    /// `cross_app_forms`: the exact paths that accept their posts without this app's token.
    pub fn new(
        trusted: impl IntoIterator<Item = String>,
        cross_app_forms: &'static [&'static str],
    ) -> Self {
        Self {
            trusted: Rc::new(trusted.into_iter().collect()),
            cross_app_forms,
        }
    }
}

/// How a non-safe request relates to this app.
#[derive(Debug, PartialEq, Eq)]
pub enum Provenance {
    /// Same origin, or a client that sends no browser provenance headers.
    SameOrigin,
    /// One of the fleet's other apps.
    Fleet,
    /// Anyone else: refused.
    Foreign,
}

/// Decides where a non-safe request comes from.
pub fn provenance(
    sec_fetch_site: Option<&str>,
    origin: Option<&str>,
    host: Option<&str>,
    trusted: &HashSet<String>,
) -> Provenance {
    let origin_is_same_host = match (origin, host) {
        (Some(o), Some(h)) => o
            .split_once("://")
            .is_some_and(|(_, rest)| rest.eq_ignore_ascii_case(h)),
        _ => false,
    };
    let origin_is_trusted = origin.is_some_and(|o| trusted.contains(o));
    match sec_fetch_site {
        Some("same-origin") | Some("none") => Provenance::SameOrigin,
        Some(_) if origin_is_trusted && !origin_is_same_host => Provenance::Fleet,
        Some(_) => Provenance::Foreign,
        None => match origin {
            None => Provenance::SameOrigin,
            Some(_) if origin_is_same_host => Provenance::SameOrigin,
            Some(_) if origin_is_trusted => Provenance::Fleet,
            Some(_) => Provenance::Foreign,
        },
    }
}

impl<S, B> Transform<S, ServiceRequest> for CsrfGuard
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = actix_web::Error> + 'static,
    B: 'static,
{
    type Response = ServiceResponse<EitherBody<B>>;
    type Error = actix_web::Error;
    type Transform = CsrfMiddleware<S>;
    type InitError = ();
    type Future = Ready<Result<Self::Transform, Self::InitError>>;

    fn new_transform(&self, service: S) -> Self::Future {
        ready(Ok(CsrfMiddleware {
            service: Rc::new(service),
            trusted: self.trusted.clone(),
            cross_app_forms: self.cross_app_forms,
        }))
    }
}

pub struct CsrfMiddleware<S> {
    service: Rc<S>,
    trusted: Rc<HashSet<String>>,
    cross_app_forms: &'static [&'static str],
}

impl<S, B> Service<ServiceRequest> for CsrfMiddleware<S>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = actix_web::Error> + 'static,
    B: 'static,
{
    type Response = ServiceResponse<EitherBody<B>>;
    type Error = actix_web::Error;
    type Future = LocalBoxFuture<'static, Result<Self::Response, Self::Error>>;

    forward_ready!(service);

    fn call(&self, mut req: ServiceRequest) -> Self::Future {
        let service = self.service.clone();
        let safe = matches!(
            *req.method(),
            Method::GET | Method::HEAD | Method::OPTIONS | Method::TRACE
        );
        let exempt = EXEMPT_PREFIXES.iter().any(|p| req.path().starts_with(p));
        if safe || exempt {
            return Box::pin(async move {
                service
                    .call(req)
                    .await
                    .map(ServiceResponse::map_into_left_body)
            });
        }
        let header = |name: &str| req.headers().get(name).and_then(|v| v.to_str().ok());
        let from = provenance(
            header("sec-fetch-site"),
            header("origin"),
            header("host"),
            &self.trusted,
        );
        let origin = header("origin").map(str::to_owned);
        let cross_app_form = self.cross_app_forms.contains(&req.path());
        let header_token = header(TOKEN_HEADER).map(str::to_owned);
        Box::pin(async move {
            match from {
                Provenance::Foreign => {
                    tracing::warn!(route = %super::request_id::route_label(req.request()), ?origin, "cross-origin request refused");
                    let response = error_response(
                        req.request(),
                        StatusCode::FORBIDDEN,
                        "This form was sent from another site, so it was refused.",
                    );
                    return Ok(req.into_response(response).map_into_right_body());
                }
                Provenance::Fleet if cross_app_form => {
                    return service
                        .call(req)
                        .await
                        .map(ServiceResponse::map_into_left_body);
                }
                Provenance::Fleet | Provenance::SameOrigin => {}
            }
            // A live session: the session's token must come along.
            let session_id = req.app_data::<web::Data<AppContext>>().and_then(|ctx| {
                req.cookie(ctx.sessions().cookie_name())
                    .map(|c| (ctx.clone(), c.value().to_owned()))
            });
            let Some((ctx, sid)) = session_id else {
                return service
                    .call(req)
                    .await
                    .map(ServiceResponse::map_into_left_body);
            };
            let expected = match ctx.sessions().load(&sid).await {
                Ok(Some(data)) => data.csrf,
                // No live session (expired, or a forged cookie): there is nothing to protect.
                Ok(None) => {
                    return service
                        .call(req)
                        .await
                        .map(ServiceResponse::map_into_left_body);
                }
                Err(e) => {
                    tracing::warn!(error = %e, "session store unavailable for the CSRF check");
                    let response = error_response(
                        req.request(),
                        StatusCode::SERVICE_UNAVAILABLE,
                        "Please try again in a moment.",
                    );
                    return Ok(req.into_response(response).map_into_right_body());
                }
            };
            let mut presented = header_token;
            let content_type = req
                .headers()
                .get(header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_owned();
            let is_form = content_type.starts_with("application/x-www-form-urlencoded");
            let multipart = super::multipart::boundary(&content_type);
            if let (None, Some(boundary)) = (&presented, multipart) {
                // A file upload: the token is a field at the form's head (pages put it first);
                // only that much is read here, and handed back with the rest of the stream.
                let mut payload = req.take_payload();
                let mut head = BytesMut::new();
                loop {
                    match super::multipart::field_in_prefix(&head, &boundary, TOKEN_FIELD) {
                        Ok(found) => {
                            presented = found;
                            break;
                        }
                        Err(super::multipart::MultipartError::Incomplete)
                            if head.len() < MULTIPART_HEAD_LIMIT => {}
                        Err(_) => break,
                    }
                    match payload.next().await {
                        Some(Ok(chunk)) => head.extend_from_slice(&chunk),
                        _ => break,
                    }
                }
                let head = head.freeze();
                let rest: std::pin::Pin<
                    Box<
                        dyn futures_util::Stream<
                                Item = Result<web::Bytes, actix_web::error::PayloadError>,
                            >,
                    >,
                > = Box::pin(futures_util::stream::once(async move { Ok(head) }).chain(payload));
                req.set_payload(Payload::from(rest));
            }
            if presented.is_none() && is_form {
                let mut payload = req.take_payload();
                let mut body = BytesMut::new();
                while let Some(chunk) = payload.next().await {
                    let Ok(chunk) = chunk else { break };
                    if body.len() + chunk.len() > FORM_LIMIT {
                        let response = error_response(
                            req.request(),
                            StatusCode::PAYLOAD_TOO_LARGE,
                            "That form is too large.",
                        );
                        return Ok(req.into_response(response).map_into_right_body());
                    }
                    body.extend_from_slice(&chunk);
                }
                let body = body.freeze();
                presented = url::form_urlencoded::parse(&body)
                    .find(|(k, _)| k == TOKEN_FIELD)
                    .map(|(_, v)| v.into_owned());
                req.set_payload(Payload::from(body));
            }
            let valid = presented.as_deref().is_some_and(|t| {
                crate::crypto::constant_time_eq(t.as_bytes(), expected.as_bytes())
            });
            if !valid {
                tracing::warn!(route = %super::request_id::route_label(req.request()), "request without a valid CSRF token refused");
                let response = error_response(
                    req.request(),
                    StatusCode::FORBIDDEN,
                    "This form has expired or did not come from this site. Please reload the page and try again.",
                );
                return Ok(req.into_response(response).map_into_right_body());
            }
            service
                .call(req)
                .await
                .map(ServiceResponse::map_into_left_body)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn provenances() {
        let trusted: HashSet<String> = [
            "http://market.localhost:8002".to_owned(),
            "http://cart.localhost:8003".to_owned(),
        ]
        .into();
        let host = Some("cart.localhost:8003");
        let p = |sfs, origin| provenance(sfs, origin, host, &trusted);
        assert_eq!(
            p(Some("same-origin"), Some("http://cart.localhost:8003")),
            Provenance::SameOrigin
        );
        assert_eq!(p(Some("none"), None), Provenance::SameOrigin);
        assert_eq!(p(None, None), Provenance::SameOrigin, "non-browser client");
        assert_eq!(
            p(None, Some("http://cart.localhost:8003")),
            Provenance::SameOrigin,
            "old browser"
        );
        assert_eq!(
            p(Some("same-site"), Some("http://market.localhost:8002")),
            Provenance::Fleet
        );
        assert_eq!(
            p(None, Some("http://market.localhost:8002")),
            Provenance::Fleet
        );
        assert_eq!(
            p(Some("cross-site"), Some("https://evil.example")),
            Provenance::Foreign
        );
        assert_eq!(p(None, Some("https://evil.example")), Provenance::Foreign);
        assert_eq!(
            p(Some("same-site"), Some("http://evil.localhost:9999")),
            Provenance::Foreign
        );
        assert_eq!(p(None, Some("null")), Provenance::Foreign);
    }
}
