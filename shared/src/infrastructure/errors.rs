//! The request-path error type, mapped to HTTP in one place, and the error pages.
//!
//! Handlers return `Result<_, AppError>`. Every error response of an app (its own, actix's
//! extractor and routing errors) goes through [`error_pages`], which renders the shared
//! `error.html` for browsers and `application/problem+json` for API clients.

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::ServiceResponse;
use actix_web::http::{StatusCode, header};
use actix_web::middleware::{ErrorHandlerResponse, ErrorHandlers};
use actix_web::{HttpRequest, HttpResponse, ResponseError, web};

use super::app::AppContext;
use crate::contracts::protocols::ServiceError;
use crate::db::DbError;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("{0}")]
    BadRequest(String),
    #[error("please sign in to continue")]
    Unauthorized,
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Conflict(String),
    /// A rate limit said no; the message says when to come back.
    #[error("{0}")]
    TooManyRequests(String),
    #[error("{0}")]
    Unavailable(String),
    #[error("internal error: {0}")]
    Internal(String),
}

/// The message shown to the user, carried on error responses for the error-page renderer.
#[derive(Debug, Clone)]
pub struct ErrorMessage(pub String);

impl AppError {
    pub fn internal(err: impl std::fmt::Display) -> Self {
        AppError::Internal(err.to_string())
    }

    pub fn not_found(what: impl Into<String>) -> Self {
        AppError::NotFound(what.into())
    }

    pub fn bad_request(why: impl Into<String>) -> Self {
        AppError::BadRequest(why.into())
    }

    fn public_message(&self) -> String {
        match self {
            AppError::Internal(_) => "Something went wrong on our side. It has been logged.".into(),
            AppError::Unavailable(_) => {
                "This service is briefly unavailable. Please try again in a moment.".into()
            }
            other => other.to_string(),
        }
    }
}

impl From<crate::crypto::CryptoError> for AppError {
    fn from(e: crate::crypto::CryptoError) -> Self {
        AppError::internal(e)
    }
}

impl ResponseError for AppError {
    fn status_code(&self) -> StatusCode {
        match self {
            AppError::BadRequest(_) => StatusCode::BAD_REQUEST,
            AppError::Unauthorized => StatusCode::UNAUTHORIZED,
            AppError::Forbidden(_) => StatusCode::FORBIDDEN,
            AppError::NotFound(_) => StatusCode::NOT_FOUND,
            AppError::Conflict(_) => StatusCode::CONFLICT,
            AppError::TooManyRequests(_) => StatusCode::TOO_MANY_REQUESTS,
            AppError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        match self {
            AppError::Internal(cause) => tracing::error!(%cause, "request failed"),
            AppError::Unavailable(cause) => tracing::warn!(%cause, "dependency unavailable"),
            _ => {}
        }
        message_response(self.status_code(), self.public_message())
    }
}

/// An error answer as every app gives one: plain text, with the message carried for the shared
/// error pages to render (HTML or problem+json). Apps with their own error enums answer
/// through it too.
pub fn message_response(status: StatusCode, message: String) -> HttpResponse {
    let mut res = HttpResponse::build(status)
        .content_type("text/plain; charset=utf-8")
        .body(format!("{message}\n"));
    res.extensions_mut().insert(ErrorMessage(message));
    res
}

// What a database error means is decided once, in `crate::services` (as a `ServiceError`).
impl From<diesel::result::Error> for AppError {
    fn from(err: diesel::result::Error) -> Self {
        ServiceError::from(err).into()
    }
}

impl From<DbError> for AppError {
    fn from(err: DbError) -> Self {
        ServiceError::from(err).into()
    }
}

impl From<ServiceError> for AppError {
    fn from(err: ServiceError) -> Self {
        match err {
            ServiceError::NotFound => AppError::NotFound("Not found.".into()),
            ServiceError::Conflict(message) => AppError::Conflict(message),
            ServiceError::Invalid(message) => AppError::BadRequest(message),
            ServiceError::Unavailable(cause) => AppError::Unavailable(cause),
            ServiceError::Internal(cause) => AppError::Internal(cause),
        }
    }
}

impl From<diesel_async::pooled_connection::deadpool::PoolError> for AppError {
    fn from(err: diesel_async::pooled_connection::deadpool::PoolError) -> Self {
        AppError::Unavailable(err.to_string())
    }
}

impl From<tera::Error> for AppError {
    fn from(err: tera::Error) -> Self {
        // tera's Display hides the cause; log the whole chain.
        let mut text = err.to_string();
        let mut source = std::error::Error::source(&err);
        while let Some(s) = source {
            text.push_str(": ");
            text.push_str(&s.to_string());
            source = s.source();
        }
        AppError::Internal(text)
    }
}

impl From<redis::RedisError> for AppError {
    fn from(err: redis::RedisError) -> Self {
        AppError::Unavailable(err.to_string())
    }
}

/// Error handlers for the extractors, so malformed input gets our 400 page with a clear message.
pub fn extractor_configs(cfg: &mut web::ServiceConfig) {
    cfg.app_data(web::QueryConfig::default().error_handler(|err, _| {
        AppError::BadRequest(format!("Invalid query string: {err}.")).into()
    }))
    .app_data(
        web::PathConfig::default()
            .error_handler(|err, _| AppError::NotFound(format!("Not found ({err}).")).into()),
    )
    .app_data(
        web::FormConfig::default()
            .limit(256 * 1024)
            .error_handler(|err, _| AppError::BadRequest(format!("Invalid form: {err}.")).into()),
    )
    .app_data(
        web::JsonConfig::default()
            .limit(256 * 1024)
            .error_handler(|err, _| AppError::BadRequest(format!("Invalid JSON: {err}.")).into()),
    );
}

/// Renders every error response without a page of its own as the shared error page.
pub fn error_pages<B: MessageBody + 'static>() -> ErrorHandlers<B> {
    ErrorHandlers::new().default_handler(render)
}

fn render<B: MessageBody + 'static>(
    res: ServiceResponse<B>,
) -> actix_web::Result<ErrorHandlerResponse<B>> {
    let already_rendered = res
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with("text/html") || ct.contains("json") || ct.contains("xml"));
    if already_rendered
        || res.status().as_u16() < 400
        || res.request().path().starts_with("/internal/")
    {
        return Ok(ErrorHandlerResponse::Response(res.map_into_left_body()));
    }
    let status = res.status();
    let message = res
        .response()
        .extensions()
        .get::<ErrorMessage>()
        .map(|m| m.0.clone())
        .unwrap_or_else(|| default_message(status).to_owned());
    let (req, original) = res.into_parts();
    let mut page = error_response(&req, status, &message);
    for (name, value) in original.headers() {
        if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
            page.headers_mut().insert(name.clone(), value.clone());
        }
    }
    Ok(ErrorHandlerResponse::Response(
        ServiceResponse::new(req, page).map_into_right_body(),
    ))
}

fn default_message(status: StatusCode) -> &'static str {
    match status.as_u16() {
        400 => "The request was not understood.",
        401 => "Please sign in to continue.",
        403 => "You are not allowed to do that.",
        404 => "There is nothing here.",
        405 => "That method is not allowed here.",
        413 => "That is too large.",
        415 => "That content type is not supported here.",
        429 => "Too many requests. Please slow down.",
        s if s >= 500 => "Something went wrong on our side.",
        _ => "The request could not be completed.",
    }
}

/// The error page (or problem+json) for `status` with `message`.
pub fn error_response(
    req: &HttpRequest,
    status: StatusCode,
    message: &str,
) -> HttpResponse<BoxBody> {
    let accept = req
        .headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if accept.contains("json") && !accept.contains("text/html") {
        let body = serde_json::json!({
            "type": "about:blank",
            "title": status.canonical_reason().unwrap_or("Error"),
            "status": status.as_u16(),
            "detail": message,
        });
        return HttpResponse::build(status)
            .content_type("application/problem+json")
            .body(body.to_string());
    }
    let html = req
        .app_data::<web::Data<AppContext>>()
        .and_then(|ctx| {
            let mut context = ctx.base_context();
            context.insert("status", &status.as_u16());
            context.insert("title", status.canonical_reason().unwrap_or("Error"));
            context.insert("message", message);
            ctx.templates()
                .render("error.html", &context)
                .map_err(|e| tracing::error!(error = ?e, "error page failed to render"))
                .ok()
        })
        .unwrap_or_else(|| {
            format!(
                "<!doctype html><title>{status}</title><h1>{status}</h1><p>{}</p>",
                escape(message)
            )
        });
    HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(html)
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}
