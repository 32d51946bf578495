//! Cross-origin request protection for every state-changing request of the fleet.
//!
//! Browsers label every request with `Sec-Fetch-Site` (or at least `Origin` on POSTs). A
//! non-safe request is refused unless it comes from the same origin, from one of the fleet's six
//! origins (the apps post to each other, e.g. "add to cart" from the market), or from a
//! non-browser client (no `Sec-Fetch-Site` and no `Origin`; such clients carry no ambient
//! cookies, so they cannot be forged by another site). Same-app forms additionally carry the
//! session's synchronizer token where they act on a session (see the SSO issue).

use std::collections::HashSet;
use std::future::{Ready, ready};
use std::rc::Rc;

use actix_web::body::EitherBody;
use actix_web::dev::{Service, ServiceRequest, ServiceResponse, Transform, forward_ready};
use actix_web::http::{Method, StatusCode};
use futures_util::future::LocalBoxFuture;

use super::errors::error_response;

/// Paths whose non-safe requests come from other servers and are authenticated otherwise.
const EXEMPT_PREFIXES: &[&str] = &["/internal/"];

#[derive(Clone)]
pub struct CrossOriginGuard {
    trusted: Rc<HashSet<String>>,
}

impl CrossOriginGuard {
    /// `trusted`: origins (`scheme://host[:port]`) allowed to post cross-origin.
    pub fn new(trusted: impl IntoIterator<Item = String>) -> Self {
        Self {
            trusted: Rc::new(trusted.into_iter().collect()),
        }
    }
}

/// Decides whether a non-safe request may proceed.
pub fn allowed(
    sec_fetch_site: Option<&str>,
    origin: Option<&str>,
    host: Option<&str>,
    trusted: &HashSet<String>,
) -> bool {
    let origin_is_trusted = origin.is_some_and(|o| trusted.contains(o));
    let origin_is_same_host = match (origin, host) {
        (Some(o), Some(h)) => o
            .split_once("://")
            .is_some_and(|(_, rest)| rest.eq_ignore_ascii_case(h)),
        _ => false,
    };
    match sec_fetch_site {
        Some("same-origin") | Some("none") => true,
        Some(_) => origin_is_trusted,
        None => match origin {
            None => true,
            Some(_) => origin_is_same_host || origin_is_trusted,
        },
    }
}

impl<S, B> Transform<S, ServiceRequest> for CrossOriginGuard
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = actix_web::Error> + 'static,
    B: 'static,
{
    type Response = ServiceResponse<EitherBody<B>>;
    type Error = actix_web::Error;
    type Transform = CrossOriginMiddleware<S>;
    type InitError = ();
    type Future = Ready<Result<Self::Transform, Self::InitError>>;

    fn new_transform(&self, service: S) -> Self::Future {
        ready(Ok(CrossOriginMiddleware {
            service: Rc::new(service),
            trusted: self.trusted.clone(),
        }))
    }
}

pub struct CrossOriginMiddleware<S> {
    service: Rc<S>,
    trusted: Rc<HashSet<String>>,
}

impl<S, B> Service<ServiceRequest> for CrossOriginMiddleware<S>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = actix_web::Error> + 'static,
    B: 'static,
{
    type Response = ServiceResponse<EitherBody<B>>;
    type Error = actix_web::Error;
    type Future = LocalBoxFuture<'static, Result<Self::Response, Self::Error>>;

    forward_ready!(service);

    fn call(&self, req: ServiceRequest) -> Self::Future {
        let safe = matches!(
            *req.method(),
            Method::GET | Method::HEAD | Method::OPTIONS | Method::TRACE
        );
        let exempt = EXEMPT_PREFIXES.iter().any(|p| req.path().starts_with(p));
        let header = |name: &str| req.headers().get(name).and_then(|v| v.to_str().ok());
        if safe
            || exempt
            || allowed(
                header("sec-fetch-site"),
                header("origin"),
                header("host"),
                &self.trusted,
            )
        {
            let service = self.service.clone();
            return Box::pin(async move {
                service
                    .call(req)
                    .await
                    .map(ServiceResponse::map_into_left_body)
            });
        }
        tracing::warn!(path = %req.path(), origin = ?header("origin"), "cross-origin request refused");
        let response = error_response(
            req.request(),
            StatusCode::FORBIDDEN,
            "This form was sent from another site, so it was refused.",
        );
        Box::pin(async move { Ok(req.into_response(response).map_into_right_body()) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decisions() {
        let trusted: HashSet<String> = ["http://market.localhost:8002".to_owned()].into();
        let host = Some("cart.localhost:8003");
        // same origin, typed URL, non-browser
        assert!(allowed(
            Some("same-origin"),
            Some("http://cart.localhost:8003"),
            host,
            &trusted
        ));
        assert!(allowed(Some("none"), None, host, &trusted));
        assert!(allowed(None, None, host, &trusted));
        // the fleet posting to itself
        assert!(allowed(
            Some("same-site"),
            Some("http://market.localhost:8002"),
            host,
            &trusted
        ));
        // another site
        assert!(!allowed(
            Some("cross-site"),
            Some("https://evil.example"),
            host,
            &trusted
        ));
        assert!(!allowed(None, Some("https://evil.example"), host, &trusted));
        assert!(!allowed(
            Some("same-site"),
            Some("http://evil.localhost:9999"),
            host,
            &trusted
        ));
        // old browser, same host
        assert!(allowed(
            None,
            Some("http://cart.localhost:8003"),
            host,
            &trusted
        ));
        assert!(!allowed(None, Some("null"), host, &trusted));
    }
}
