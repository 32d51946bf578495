//! SumUp's webhook. Its body is never trusted: it only names a checkout to ask about, and the
//! answer to our own `GET` (in a job, so the webhook answers fast even when SumUp is slow)
//! alone moves an order. Unknown checkouts and event types are acknowledged and ignored, as
//! SumUp asks; a body that is not JSON is a 400.

use actix_web::{HttpResponse, web};
use serde::Deserialize;
use shared::{AppContext, AppError};

use crate::db::orders;
use crate::jobs;

/// Both shapes SumUp documents: the classic `{"event_type", "id"}` and the newer envelope
/// `{"event_type", "payload": {"checkout_id"}}`.
#[derive(Debug, Deserialize)]
pub struct Notification {
    event_type: Option<String>,
    id: Option<String>,
    payload: Option<Payload>,
}

#[derive(Debug, Deserialize)]
pub struct Payload {
    checkout_id: Option<String>,
}

impl Notification {
    fn checkout_id(&self) -> Option<&str> {
        let about_a_checkout = matches!(
            self.event_type.as_deref(),
            Some("CHECKOUT_STATUS_CHANGED" | "checkout.status.updated")
        );
        if !about_a_checkout {
            return None;
        }
        self.payload
            .as_ref()
            .and_then(|p| p.checkout_id.as_deref())
            .or(self.id.as_deref())
            .filter(|id| !id.is_empty() && id.len() <= 100)
    }
}

pub async fn receive(
    ctx: web::Data<AppContext>,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    let note: Notification = serde_json::from_slice(&body)
        .map_err(|_not_json| AppError::bad_request("The body is not a SumUp notification."))?;
    let Some(checkout_id) = note.checkout_id() else {
        return Ok(HttpResponse::NoContent().finish());
    };
    let mut conn = ctx.conn().await?;
    if orders::by_checkout_id(&mut conn, checkout_id)
        .await?
        .is_none()
    {
        tracing::info!(%checkout_id, "SumUp webhook for a checkout we do not know; ignored");
        return Ok(HttpResponse::NoContent().finish());
    }
    // One pending verification per checkout: a storm of duplicates asks SumUp once.
    jobs::verify_later(&mut conn, checkout_id)
        .await
        .map_err(AppError::internal)?;
    Ok(HttpResponse::NoContent().finish())
}
