//! `POST /webhooks/ghost`: Ghost's `post.*`, `page.*` and `tag.*` webhooks, verified by
//! `X-Ghost-Signature: sha256=<hex>, t=<ms>`, the HMAC-SHA256 of the raw body followed by the
//! timestamp, keyed with the webhook secret we gave the integration.

use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::Value;
use shared::infrastructure::jose::hmac_sha256;
use shared::{AppContext, AppError};

use super::api::{GhostPost, GhostTag};
use super::client::GhostClient;
use super::{import, tags};
use crate::content::service;
use crate::db;

/// How far a signature's timestamp may be from now (replays older than this are refused).
const WINDOW_MS: i64 = 5 * 60 * 1000;
pub const MAX_BODY: usize = 2 * 1024 * 1024;

/// Checks the signature header against the body; the reason when it fails.
pub fn verify(
    header: Option<&str>,
    body: &[u8],
    secret: &str,
    now_ms: i64,
) -> Result<(), &'static str> {
    let header = header.ok_or("no X-Ghost-Signature")?;
    let mut hex_sig = None;
    let mut t = None;
    for part in header.split(',').map(str::trim) {
        if let Some(v) = part.strip_prefix("sha256=") {
            hex_sig = Some(v);
        } else if let Some(v) = part.strip_prefix("t=") {
            t = Some(v);
        }
    }
    let (Some(hex_sig), Some(t)) = (hex_sig, t) else {
        return Err("a malformed X-Ghost-Signature");
    };
    let t_ms: i64 = t.parse().map_err(|_bad| "a malformed timestamp")?;
    if (now_ms - t_ms).abs() > WINDOW_MS {
        return Err("a stale timestamp");
    }
    let given = hex::decode(hex_sig).map_err(|_bad| "a malformed signature")?;
    let mut signed = body.to_vec();
    signed.extend_from_slice(t.as_bytes());
    let expected = hmac_sha256(secret.as_bytes(), &signed).map_err(|_bad| "an unusable secret")?;
    if given.len() == expected.len() && openssl::memcmp::eq(&given, &expected) {
        Ok(())
    } else {
        Err("a wrong signature")
    }
}

/// The events the sync follows (Ghost's `post.*`, `page.*` and the tag changes).
pub const EVENTS: [&str; 20] = [
    "post.added",
    "post.deleted",
    "post.edited",
    "post.published",
    "post.published.edited",
    "post.unpublished",
    "post.scheduled",
    "post.unscheduled",
    "post.rescheduled",
    "page.added",
    "page.deleted",
    "page.edited",
    "page.published",
    "page.published.edited",
    "page.unpublished",
    "page.scheduled",
    "page.unscheduled",
    "page.rescheduled",
    "tag.edited",
    "tag.deleted",
];

/// Registers our webhook for every event (Admin API key needed): the ids registered, and what
/// went wrong if some could not be (e.g. a key of an integration that may not add webhooks).
pub async fn register(
    client: &GhostClient,
    target_url: &str,
    secret: &str,
) -> (Vec<String>, Option<String>) {
    let mut ids = Vec::new();
    for event in EVENTS {
        match client.create_webhook(event, target_url, secret).await {
            Ok(id) => ids.push(id),
            Err(e) => {
                return (
                    ids,
                    Some(format!(
                        "Ghost did not accept the webhooks ({e}); add them by hand"
                    )),
                );
            }
        }
    }
    (ids, None)
}

/// Removes webhooks we registered (best effort: Ghost also drops a webhook that answers 410).
pub async fn unregister(client: &GhostClient, ids: &[String]) {
    for id in ids {
        if let Err(e) = client.delete_webhook(id).await {
            tracing::warn!(webhook = %id, error = %e, "could not remove a Ghost webhook");
        }
    }
}

pub async fn receive(
    ctx: web::Data<AppContext>,
    req: HttpRequest,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    let Some(site) = ({
        let mut conn = ctx.conn().await?;
        db::ghost::site(&mut conn).await?
    }) else {
        // 410 tells Ghost to delete the webhook.
        return Ok(HttpResponse::Gone().json(serde_json::json!({
            "error": "No Ghost site is connected here any more."
        })));
    };
    let header = req
        .headers()
        .get("x-ghost-signature")
        .and_then(|v| v.to_str().ok());
    let result = match verify(
        header,
        &body,
        &site.webhook_secret,
        chrono::Utc::now().timestamp_millis(),
    ) {
        Ok(()) => apply(&ctx, &body).await,
        Err(why) => Err(Refused::Signature(why)),
    };
    let summary = match &result {
        Ok(outcome) => outcome.clone(),
        Err(e) => format!("refused: {e}"),
    };
    // What the admin page shows as the last delivery.
    match ctx.conn().await {
        Ok(mut conn) => {
            if let Err(e) = db::ghost::record_webhook(&mut conn, &summary).await {
                tracing::warn!(error = %e, "could not record a Ghost webhook delivery");
            }
        }
        Err(e) => tracing::warn!(error = %e, "could not record a Ghost webhook delivery"),
    }
    match result {
        Ok(outcome) => {
            service::purge(&ctx).await;
            Ok(HttpResponse::Ok().json(serde_json::json!({ "outcome": outcome })))
        }
        Err(e) => {
            tracing::warn!(error = %e, "Ghost webhook refused or failed");
            Err(e.into())
        }
    }
}

/// Why a delivery was not applied.
#[derive(Debug, thiserror::Error)]
enum Refused {
    #[error("{0}")]
    Signature(&'static str),
    #[error("{0}")]
    Bad(String),
    #[error(transparent)]
    App(#[from] AppError),
}

impl From<Refused> for AppError {
    fn from(e: Refused) -> Self {
        match e {
            Refused::Signature(_) => AppError::Unauthorized,
            Refused::Bad(why) => AppError::BadRequest(why),
            Refused::App(e) => e,
        }
    }
}

/// `tag.added`, `tag.edited`, `tag.deleted`.
async fn apply_tag(ctx: &AppContext, change: &Value) -> Result<String, Refused> {
    match change.get("current").filter(|c| c.get("id").is_some()) {
        Some(current) => {
            let tag: GhostTag = serde_json::from_value(current.clone())
                .map_err(|e| Refused::Bad(format!("The webhook's tag is not a Ghost tag: {e}.")))?;
            let changed = tags::changed(ctx, &tag).await?;
            Ok(format!(
                "tag {}: {}",
                tag.id,
                if changed { "Updated" } else { "Unchanged" }
            ))
        }
        None => match change
            .get("previous")
            .and_then(|p| p.get("id"))
            .and_then(Value::as_str)
        {
            Some(id) => {
                let held = tags::deleted(ctx, id).await?;
                Ok(format!(
                    "tag {id} deleted: {}",
                    if held { "Removed" } else { "Absent" }
                ))
            }
            None => Err(Refused::Bad(
                "The webhook names no tag (neither current nor previous has an id).".into(),
            )),
        },
    }
}

/// Applies a verified delivery; what became of it.
async fn apply(ctx: &AppContext, body: &[u8]) -> Result<String, Refused> {
    let payload: Value = serde_json::from_slice(body)
        .map_err(|e| Refused::Bad(format!("The webhook body is not JSON: {e}.")))?;
    if let Some(change) = payload.get("tag") {
        return apply_tag(ctx, change).await;
    }
    let (kind, change) = match (payload.get("post"), payload.get("page")) {
        (Some(change), _) => ("post", change),
        (None, Some(change)) => ("page", change),
        // member.*, site.changed: nothing for us.
        _ => return Ok("ignored".into()),
    };
    let current = change.get("current").filter(|c| c.get("id").is_some());
    let outcome = match current {
        Some(current) => {
            let post: GhostPost = serde_json::from_value(current.clone()).map_err(|e| {
                Refused::Bad(format!("The webhook's {kind} is not a Ghost {kind}: {e}."))
            })?;
            format!(
                "{kind} {}: {:?}",
                post.id,
                import::import(ctx, kind, &post).await?
            )
        }
        None => match change
            .get("previous")
            .and_then(|p| p.get("id"))
            .and_then(Value::as_str)
        {
            Some(id) => format!(
                "{kind} {id} deleted: {:?}",
                import::remove(ctx, id, None, import::Gone::Deleted).await?
            ),
            None => {
                return Err(Refused::Bad(format!(
                    "The webhook names no {kind} (neither current nor previous has an id)."
                )));
            }
        },
    };
    Ok(outcome)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sign(body: &[u8], t: i64, secret: &str) -> String {
        let mut signed = body.to_vec();
        signed.extend_from_slice(t.to_string().as_bytes());
        format!(
            "sha256={}, t={t}",
            hex::encode(hmac_sha256(secret.as_bytes(), &signed).unwrap())
        )
    }

    #[test]
    fn signatures_are_checked() {
        let body = br#"{"post":{"current":{}}}"#;
        let now = 1_764_000_000_000;
        let good = sign(body, now, "s3cret");
        assert_eq!(verify(Some(&good), body, "s3cret", now + 1000), Ok(()));
        assert_eq!(
            verify(Some(&good), body, "other", now),
            Err("a wrong signature")
        );
        assert_eq!(
            verify(Some(&good), b"{}", "s3cret", now),
            Err("a wrong signature")
        );
        assert_eq!(
            verify(Some(&good), body, "s3cret", now + WINDOW_MS + 1),
            Err("a stale timestamp")
        );
        assert_eq!(
            verify(None, body, "s3cret", now),
            Err("no X-Ghost-Signature")
        );
        assert_eq!(
            verify(Some("sha256=zz"), body, "s3cret", now),
            Err("a malformed X-Ghost-Signature")
        );
    }
}
