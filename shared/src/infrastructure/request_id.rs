//! Per-request tracing and metrics: a request id (the caller's `X-Request-Id` when it sends a sane one, so
//! one page view is traceable across the fragment calls it makes), a span, and the id echoed back.
//!
//! The span names the route *pattern* (`/password/reset/{token}`), never the path or query: paths
//! carry secrets (reset and confirmation tokens, OAuth codes) that have no place in logs.

use std::future::{Ready, ready};
use std::rc::Rc;
use std::sync::LazyLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use actix_web::dev::{Service, ServiceRequest, ServiceResponse, Transform, forward_ready};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::{HttpMessage, HttpRequest, web};
use futures_util::FutureExt;
use futures_util::future::LocalBoxFuture;
use tracing::Instrument;

use super::app::AppContext;
use super::errors::AppError;
use super::metrics;

pub const HEADER: &str = "x-request-id";

/// The request's id, in the request extensions.
#[derive(Debug, Clone)]
pub struct RequestId(pub String);

static PROCESS_TAG: LazyLock<String> = LazyLock::new(|| {
    // Tells processes apart in logs; not a secret, so a failing RNG only makes it zeros.
    hex::encode(crate::crypto::random_bytes::<4>().unwrap_or_default())
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

/// The route pattern `req` matches, or [`metrics::UNMATCHED`]: what logs and metrics name.
pub fn route_label(req: &HttpRequest) -> String {
    req.match_pattern()
        .unwrap_or_else(|| metrics::UNMATCHED.to_owned())
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
        let route = route_label(req.request());
        let method = metrics::method_label(req.method().as_str());
        let span = tracing::info_span!("request", method, route = %route, request_id = %id);
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
                    ctx.metrics()
                        .record(&route, method, status.as_u16(), elapsed);
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

    /// A `MakeWriter` collecting everything logged.
    #[derive(Clone, Default)]
    struct Captured(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

    impl std::io::Write for Captured {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Captured {
        type Writer = Captured;
        fn make_writer(&'a self) -> Self::Writer {
            self.clone()
        }
    }

    #[actix_web::test]
    async fn logs_name_the_route_pattern_never_the_path() {
        use actix_web::{App, HttpResponse, test};
        let captured = Captured::default();
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::DEBUG)
            .with_writer(captured.clone())
            .with_ansi(false)
            .finish();
        let _guard = tracing::subscriber::set_default(subscriber);
        let app = test::init_service(
            App::new()
                .route(
                    "/password/reset/{token}",
                    web::get().to(|| async { HttpResponse::Ok().finish() }),
                )
                .wrap(RequestTracing),
        )
        .await;
        for uri in [
            "/password/reset/SECRET-RESET-TOKEN?code=SECRET-CODE",
            "/nowhere/SECRET-PATH",
        ] {
            let req = test::TestRequest::get().uri(uri).to_request();
            test::call_service(&app, req).await;
        }
        let req = test::TestRequest::default()
            .method(actix_web::http::Method::from_bytes(b"SECRETMETHOD").unwrap())
            .uri("/password/reset/x")
            .to_request();
        test::call_service(&app, req).await;
        let logged = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
        assert!(logged.contains("route=/password/reset/{token}"), "{logged}");
        assert!(logged.contains("route=unmatched"), "{logged}");
        assert!(!logged.contains("SECRET"), "{logged}");
    }
}
