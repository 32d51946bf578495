//! `POST /webhooks/bounce`: bounce and complaint reports in listmonk's shape (see
//! `domain::bounces`). Server to server: no cookie, no CSRF token; the shared secret is the
//! credential, checked before the body is parsed. 200 when stored or a replay, 202 for an
//! address we do not know (nothing stored), 401 unsigned or signed more than five minutes
//! from now, 400 malformed, 404 when no secret is configured; no refusal changes anything.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use shared::AppContext;

use crate::domain::NewsletterError;
use crate::domain::bounces::{self, Outcome, Report};
use crate::state::AccountState;

pub async fn receive(
    req: HttpRequest,
    ctx: web::Data<AppContext>,
    state: web::Data<AccountState>,
    body: web::Bytes,
) -> Result<HttpResponse, NewsletterError> {
    let secret = state
        .config
        .bounce_secret
        .as_ref()
        .ok_or(NewsletterError::BouncesOff)?;
    let get = |name: &str| req.headers().get(name).and_then(|v| v.to_str().ok());
    let presented = bounces::Presented {
        signature: get(bounces::SIGNATURE_HEADER),
        timestamp: get(bounces::TIMESTAMP_HEADER),
        authorization: get(header::AUTHORIZATION.as_str()),
    };
    if let Err(refused) = bounces::authenticate(
        secret.expose().as_bytes(),
        presented,
        &body,
        chrono::Utc::now().timestamp(),
    ) {
        tracing::warn!(reason = ?refused, "bounce report refused");
        return Err(refused.into());
    }
    let report = Report::parse(&body)?;
    let outcome = bounces::record(ctx.db(), &report, state.config.soft_bounce_limit).await?;
    tracing::info!(kind = report.kind.as_str(), ?outcome, "bounce report");
    // listmonk answers `{"data": true}`.
    Ok(match outcome {
        Outcome::Recorded { .. } | Outcome::Replay => {
            HttpResponse::Ok().json(serde_json::json!({ "data": true }))
        }
        Outcome::UnknownAddress => {
            HttpResponse::Accepted().json(serde_json::json!({ "data": false }))
        }
    })
}
