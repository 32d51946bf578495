//! The OAuth 2.0 authorization server and OpenID provider (hand-written: authorization code +
//! PKCE S256 only, RFC 9700 rules).
//!
//! Codes and access tokens live in Redis under their SHA-256 (never the token itself); refresh
//! tokens in PostgreSQL, rotating within a family whose reuse revokes the family. Signing keys
//! rotate with the retired ones still published for a day.

mod authorize;
mod discovery;
pub mod issued_tokens;
mod logout;
mod token_endpoints;

use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::json;
use shared::AppContext;

use crate::state::FederationState;
use shared::crypto::token_digest;
use shared::infrastructure::sso::SignOnProvider;
use shared::models::oauth::Client;

pub use logout::{end_sso_session, logged_out_page};

/// Scopes the provider knows.
pub const SUPPORTED_SCOPES: &[&str] = &["openid", "profile", "email", "offline_access"];

pub fn configure(cfg: &mut web::ServiceConfig) {
    // The app factory's `/auth/logout` ends the sign-on session through this.
    cfg.app_data(web::Data::new(SignOnProvider {
        end_sign_on: logout::end_own_sign_on,
    }));
    cfg.route(
        "/.well-known/openid-configuration",
        web::get().to(discovery::openid_configuration),
    )
    .route(
        "/.well-known/oauth-authorization-server",
        web::get().to(discovery::openid_configuration),
    )
    .route("/oauth/jwks", web::get().to(discovery::jwks))
    .route("/oauth/authorize", web::get().to(authorize::authorize))
    .route(
        "/oauth/authorize/continue",
        web::get().to(authorize::resume),
    )
    .route(
        "/oauth/authorize/consent",
        web::post().to(authorize::consent),
    )
    .route("/oauth/token", web::post().to(token_endpoints::token))
    .route("/oauth/revoke", web::post().to(token_endpoints::revoke))
    .route(
        "/oauth/introspect",
        web::post().to(token_endpoints::introspect),
    )
    .route("/oauth/userinfo", web::get().to(token_endpoints::userinfo))
    .route("/oauth/userinfo", web::post().to(token_endpoints::userinfo))
    .route("/oauth/logout", web::get().to(logout::end_session))
    .route(
        "/oauth/logout",
        web::post().to(logout::end_session_confirmed),
    );
}

/// An OAuth error response from a back-channel endpoint (RFC 6749 §5.2).
pub fn oauth_error(status: StatusCode, error: &str, description: &str) -> HttpResponse {
    let mut res = HttpResponse::build(status);
    res.insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((header::PRAGMA, "no-cache"));
    if status == StatusCode::UNAUTHORIZED {
        res.insert_header((header::WWW_AUTHENTICATE, "Basic realm=\"rose-ash\""));
    }
    res.json(json!({ "error": error, "error_description": description }))
}

/// The issuer: federation's public base URL.
pub fn issuer(ctx: &AppContext) -> String {
    shared::infrastructure::sso::issuer(ctx.config())
}

/// Headers for the provider's pages: never framed, never leaking the URL (codes, state).
pub fn protect(res: &mut actix_web::HttpResponseBuilder) -> &mut actix_web::HttpResponseBuilder {
    res.insert_header(("Content-Security-Policy", "frame-ancestors 'none'"))
        .insert_header(("X-Frame-Options", "DENY"))
        .insert_header(("Referrer-Policy", "no-referrer"))
        .insert_header((header::CACHE_CONTROL, "no-store"))
}

/// Client authentication (`client_secret_basic` or `client_secret_post`, not both).
pub async fn authenticate_client(
    ctx: &AppContext,
    state: &FederationState,
    req: &HttpRequest,
    form_id: Option<&str>,
    form_secret: Option<&str>,
) -> Result<Client, HttpResponse> {
    let basic = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic "))
        .and_then(|b| openssl::base64::decode_block(b.trim()).ok())
        .and_then(|raw| String::from_utf8(raw).ok())
        .and_then(|pair| {
            let (id, secret) = pair.split_once(':')?;
            let decode = |s: &str| {
                url::form_urlencoded::parse(format!("x={s}").as_bytes())
                    .next()
                    .map(|(_, v)| v.into_owned())
            };
            Some((decode(id)?, decode(secret)?))
        });
    let (id, secret) = match (basic, form_id, form_secret) {
        (Some(_), _, Some(_)) => {
            return Err(oauth_error(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                "use one client authentication method",
            ));
        }
        (Some(pair), _, None) => pair,
        (None, Some(id), Some(secret)) => (id.to_owned(), secret.to_owned()),
        _ => {
            return Err(oauth_error(
                StatusCode::UNAUTHORIZED,
                "invalid_client",
                "client authentication required",
            ));
        }
    };
    let client = state.client(ctx, &id).await.map_err(unavailable)?;
    let presented = token_digest(&secret);
    match client {
        Some(c)
            if shared::crypto::constant_time_eq(c.secret_hash.as_bytes(), presented.as_bytes()) =>
        {
            Ok(c)
        }
        _ => Err(oauth_error(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "unknown client or wrong secret",
        )),
    }
}

/// Maps an infrastructure failure on a back-channel endpoint.
pub fn unavailable(err: impl std::fmt::Display) -> HttpResponse {
    tracing::warn!(error = %err, "authorization server dependency failed");
    oauth_error(
        StatusCode::SERVICE_UNAVAILABLE,
        "temporarily_unavailable",
        "please retry",
    )
}
