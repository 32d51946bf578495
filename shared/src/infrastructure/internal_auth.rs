//! The internal-request credential: an HMAC-SHA256 over method, path (with query) and a
//! timestamp, keyed by the fleet secret. `/internal/*` answers nothing without a valid one.
//!
//! Header: `X-Internal-Auth: v1 t=<unix seconds> s=<hex signature>`.

use std::future::{Ready, ready};
use std::rc::Rc;

use actix_web::body::EitherBody;
use actix_web::dev::{Service, ServiceRequest, ServiceResponse, Transform, forward_ready};
use actix_web::{HttpResponse, http::StatusCode};
use futures_util::future::LocalBoxFuture;

use crate::config::Secret;

pub const HEADER: &str = "x-internal-auth";
/// How far a credential's timestamp may be from the receiver's clock.
pub const MAX_SKEW_SECS: i64 = 30;

#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum CredentialError {
    #[error("no internal credential")]
    Missing,
    #[error("malformed internal credential")]
    Malformed,
    #[error("internal credential expired or from the future")]
    Expired,
    #[error("internal credential does not match")]
    BadSignature,
}

fn mac(secret: &Secret, method: &str, path_and_query: &str, t: i64) -> Option<Vec<u8>> {
    let message = format!("v1\n{method}\n{path_and_query}\n{t}");
    crate::crypto::hmac_sha256(secret.expose().as_bytes(), message.as_bytes()).ok()
}

/// The header value for a request made at unix time `now`.
pub fn sign(secret: &Secret, method: &str, path_and_query: &str, now: i64) -> String {
    let sig = mac(secret, method, path_and_query, now)
        .map(hex::encode)
        .unwrap_or_default();
    format!("v1 t={now} s={sig}")
}

/// Checks a header value for this request at unix time `now`.
pub fn verify(
    secret: &Secret,
    method: &str,
    path_and_query: &str,
    header: Option<&str>,
    now: i64,
) -> Result<(), CredentialError> {
    let header = header.ok_or(CredentialError::Missing)?;
    let rest = header
        .strip_prefix("v1 ")
        .ok_or(CredentialError::Malformed)?;
    let (mut t, mut s) = (None, None);
    for part in rest.split_ascii_whitespace() {
        match part.split_once('=') {
            Some(("t", v)) => t = v.parse::<i64>().ok(),
            Some(("s", v)) => s = hex::decode(v).ok(),
            _ => return Err(CredentialError::Malformed),
        }
    }
    let (t, s) = t.zip(s).ok_or(CredentialError::Malformed)?;
    if (now - t).abs() > MAX_SKEW_SECS {
        return Err(CredentialError::Expired);
    }
    let expected = mac(secret, method, path_and_query, t).ok_or(CredentialError::BadSignature)?;
    if crate::crypto::constant_time_eq(&s, &expected) {
        Ok(())
    } else {
        Err(CredentialError::BadSignature)
    }
}

pub fn unix_now() -> i64 {
    chrono::Utc::now().timestamp()
}

/// Middleware refusing requests without a valid credential (401 missing, 403 invalid).
#[derive(Clone)]
pub struct RequireInternalCredential {
    secret: Rc<Secret>,
}

impl RequireInternalCredential {
    pub fn new(secret: Secret) -> Self {
        Self {
            secret: Rc::new(secret),
        }
    }
}

impl<S, B> Transform<S, ServiceRequest> for RequireInternalCredential
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = actix_web::Error> + 'static,
    B: 'static,
{
    type Response = ServiceResponse<EitherBody<B>>;
    type Error = actix_web::Error;
    type Transform = InternalCredentialMiddleware<S>;
    type InitError = ();
    type Future = Ready<Result<Self::Transform, Self::InitError>>;

    fn new_transform(&self, service: S) -> Self::Future {
        ready(Ok(InternalCredentialMiddleware {
            service: Rc::new(service),
            secret: self.secret.clone(),
        }))
    }
}

pub struct InternalCredentialMiddleware<S> {
    service: Rc<S>,
    secret: Rc<Secret>,
}

impl<S, B> Service<ServiceRequest> for InternalCredentialMiddleware<S>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = actix_web::Error> + 'static,
    B: 'static,
{
    type Response = ServiceResponse<EitherBody<B>>;
    type Error = actix_web::Error;
    type Future = LocalBoxFuture<'static, Result<Self::Response, Self::Error>>;

    forward_ready!(service);

    fn call(&self, req: ServiceRequest) -> Self::Future {
        let path_and_query = req
            .uri()
            .path_and_query()
            .map_or("/", |pq| pq.as_str())
            .to_owned();
        let header = req.headers().get(HEADER).and_then(|v| v.to_str().ok());
        let checked = verify(
            &self.secret,
            req.method().as_str(),
            &path_and_query,
            header,
            unix_now(),
        );
        match checked {
            Ok(()) => {
                let service = self.service.clone();
                Box::pin(async move {
                    service
                        .call(req)
                        .await
                        .map(ServiceResponse::map_into_left_body)
                })
            }
            Err(err) => {
                let status = match err {
                    CredentialError::Missing => StatusCode::UNAUTHORIZED,
                    _ => StatusCode::FORBIDDEN,
                };
                tracing::warn!(path = %path_and_query, error = %err, "internal request refused");
                let response = HttpResponse::build(status)
                    .content_type("text/plain; charset=utf-8")
                    .body(format!("{err}\n"));
                Box::pin(async move { Ok(req.into_response(response).map_into_right_body()) })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_bind_method_path_and_time() {
        let secret = Secret::new("0123456789abcdef0123");
        let h = sign(&secret, "GET", "/internal/fragments/nav?x=1", 1000);
        assert_eq!(
            verify(
                &secret,
                "GET",
                "/internal/fragments/nav?x=1",
                Some(&h),
                1010
            ),
            Ok(())
        );
        assert_eq!(
            verify(
                &secret,
                "POST",
                "/internal/fragments/nav?x=1",
                Some(&h),
                1010
            ),
            Err(CredentialError::BadSignature)
        );
        assert_eq!(
            verify(
                &secret,
                "GET",
                "/internal/fragments/nav?x=2",
                Some(&h),
                1010
            ),
            Err(CredentialError::BadSignature)
        );
        assert_eq!(
            verify(
                &secret,
                "GET",
                "/internal/fragments/nav?x=1",
                Some(&h),
                1031
            ),
            Err(CredentialError::Expired)
        );
        assert_eq!(
            verify(&secret, "GET", "/internal/fragments/nav?x=1", None, 1000),
            Err(CredentialError::Missing)
        );
        assert_eq!(
            verify(
                &secret,
                "GET",
                "/internal/fragments/nav?x=1",
                Some("v1 t=1000"),
                1000
            ),
            Err(CredentialError::Malformed)
        );
        let other = Secret::new("another-secret-0000000");
        assert_eq!(
            verify(&other, "GET", "/internal/fragments/nav?x=1", Some(&h), 1000),
            Err(CredentialError::BadSignature)
        );
    }
}
