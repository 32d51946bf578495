//! Per-request tracing and metrics: a request id (the caller's `X-Request-Id` when it sends a sane one, so
//! one page view is traceable across the fragment calls it makes), a span, and the id echoed back.

use std::future::{Ready, ready};
use std::rc::Rc;
use std::sync::LazyLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use actix_web::dev::{Service, ServiceRequest, ServiceResponse, Transform, forward_ready};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::{HttpMessage, web};
use futures_util::FutureExt;
use futures_util::future::LocalBoxFuture;
use tracing::Instrument;

use super::app::AppContext;
use super::errors::AppError;

pub const HEADER: &str = "x-request-id";

/// The request's id, in the request extensions.
#[derive(Debug, Clone)]
pub struct RequestId(pub String);

static PROCESS_TAG: LazyLock<String> = LazyLock::new(|| {
    let mut bytes = [0u8; 4];
    let _ = openssl::rand::rand_bytes(&mut bytes);
    hex::encode(bytes)
});
static COUNTER: AtomicU64 = AtomicU64::new(0);

fn new_id() -> String {
    format!(
        "{}-{:x}",
        *PROCESS_TAG,
        COUNTER.fetch_add(1, Ordering::Relaxed)
    )
}

fn sane(id: &str) -> bool {
    (1..=64).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

#[derive(Clone, Default)]
pub struct RequestTracing;

impl<S, B> Transform<S, ServiceRequest> for RequestTracing
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = actix_web::Error> + 'static,
    B: 'static,
{
    type Response = ServiceResponse<B>;
    type Error = actix_web::Error;
    type Transform = RequestTracingMiddleware<S>;
    type InitError = ();
    type Future = Ready<Result<Self::Transform, Self::InitError>>;

    fn new_transform(&self, service: S) -> Self::Future {
        ready(Ok(RequestTracingMiddleware {
            service: Rc::new(service),
        }))
    }
}

pub struct RequestTracingMiddleware<S> {
    service: Rc<S>,
}

impl<S, B> Service<ServiceRequest> for RequestTracingMiddleware<S>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = actix_web::Error> + 'static,
    B: 'static,
{
    type Response = ServiceResponse<B>;
    type Error = actix_web::Error;
    type Future = LocalBoxFuture<'static, Result<Self::Response, Self::Error>>;

    forward_ready!(service);

    fn call(&self, req: ServiceRequest) -> Self::Future {
        let id = req
            .headers()
            .get(HEADER)
            .and_then(|v| v.to_str().ok())
            .filter(|v| sane(v))
            .map_or_else(new_id, str::to_owned);
        req.extensions_mut().insert(RequestId(id.clone()));
        let span = tracing::info_span!("request", method = %req.method(), path = %req.path(), request_id = %id);
        let service = self.service.clone();
        let started = Instant::now();
        Box::pin(
            async move {
                // A panic in a handler is a bug, but the client still gets a 500, not a reset.
                let outcome = std::panic::AssertUnwindSafe(service.call(req))
                    .catch_unwind()
                    .await;
                let mut res = match outcome {
                    Ok(res) => res?,
                    Err(_panic) => {
                        tracing::error!("handler panicked");
                        return Err(AppError::Internal("a handler panicked".into()).into());
                    }
                };
                let status = res.status();
                let elapsed = started.elapsed();
                if let Some(ctx) = res.request().app_data::<web::Data<AppContext>>() {
                    let route = res
                        .request()
                        .match_pattern()
                        .unwrap_or_else(|| "(unmatched)".to_owned());
                    ctx.metrics().record(
                        &route,
                        res.request().method().as_str(),
                        status.as_u16(),
                        elapsed,
                    );
                }
                let elapsed_ms = elapsed.as_secs_f64() * 1000.0;
                if status.is_server_error() {
                    tracing::error!(status = status.as_u16(), elapsed_ms, "request failed");
                } else {
                    tracing::debug!(status = status.as_u16(), elapsed_ms, "request done");
                }
                if let Ok(value) = HeaderValue::from_str(&id) {
                    res.headers_mut()
                        .insert(HeaderName::from_static(HEADER), value);
                }
                Ok(res)
            }
            .instrument(span),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids() {
        assert!(sane("abc-123_x"));
        assert!(!sane(""));
        assert!(!sane("a b"));
        assert!(!sane(&"x".repeat(65)));
        assert_ne!(new_id(), new_id());
    }
}
