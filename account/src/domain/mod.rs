//! The account app's rules, free of HTTP: the newsletter service handlers call, signed links,
//! the subscribe form's rate limit, and the errors, turned into responses in exactly one place
//! (below).

pub mod bounces;
pub mod campaign_mail;
pub mod campaigns;
pub mod links;
pub mod mail_text;
mod newsletters;
pub mod personal_data;
pub mod rate_limit;
pub mod sending;

pub use newsletters::{Answer, Member, Newsletters, Preferences, Unsubscribed};

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use shared::AppError;
use shared::infrastructure::errors::message_response;

#[derive(Debug, thiserror::Error)]
pub enum NewsletterError {
    #[error("There is no such newsletter.")]
    NoSuchNewsletter,
    #[error("Please give an e-mail address.")]
    NoAddress,
    #[error("That does not look like an e-mail address.")]
    BadAddress,
    #[error("This confirmation link is not valid. Please check that it was copied whole.")]
    UnknownConfirmation,
    #[error(
        "This confirmation link has expired (links work for 48 hours). Please subscribe again to get a new one."
    )]
    ConfirmationExpired,
    #[error("This confirmation link has already been used.")]
    ConfirmationUsed,
    #[error("This link is not valid. Please check that it was copied whole.")]
    BadLink,
    #[error(
        "Too many subscriptions from here or for this address. Please wait 15 minutes and try again."
    )]
    TooMany,
    #[error("A one-click unsubscribe must send List-Unsubscribe=One-Click.")]
    NotOneClick,
    #[error("Only editors and administrators write campaigns.")]
    NotEditor,
    #[error("There is no such campaign.")]
    NoSuchCampaign,
    #[error("There is no such published post.")]
    NoSuchPost,
    #[error("This campaign is sending or sent: it can no longer be changed.")]
    CampaignNotEditable,
    #[error(
        "This campaign cannot do that now (only a sending campaign pauses, only a paused one resumes)."
    )]
    CampaignWrongState,
    #[error("{0}")]
    BadCampaign(String),
    #[error(
        "Mail to this address has stopped because it bounced or was reported as spam; it cannot be subscribed again."
    )]
    Blocklisted,
    #[error("The bounce webhook is not configured.")]
    BouncesOff,
    #[error(transparent)]
    BounceUnauthorized(#[from] bounces::Refused),
    #[error("{0}")]
    BadBounce(String),
    /// Everything the shared layers already know how to answer (database, Redis, templates).
    #[error(transparent)]
    App(#[from] AppError),
}

impl NewsletterError {
    fn own_status(&self) -> Option<StatusCode> {
        Some(match self {
            NewsletterError::NoSuchNewsletter
            | NewsletterError::UnknownConfirmation
            | NewsletterError::BadLink
            | NewsletterError::NoSuchCampaign
            | NewsletterError::NoSuchPost
            | NewsletterError::BouncesOff => StatusCode::NOT_FOUND,
            NewsletterError::BounceUnauthorized(_) => StatusCode::UNAUTHORIZED,
            NewsletterError::NoAddress
            | NewsletterError::BadAddress
            | NewsletterError::NotOneClick
            | NewsletterError::BadCampaign(_)
            | NewsletterError::BadBounce(_) => StatusCode::BAD_REQUEST,
            NewsletterError::NotEditor => StatusCode::FORBIDDEN,
            NewsletterError::CampaignNotEditable
            | NewsletterError::CampaignWrongState
            | NewsletterError::Blocklisted => StatusCode::CONFLICT,
            // The link was good once: it is gone, not wrong.
            NewsletterError::ConfirmationExpired | NewsletterError::ConfirmationUsed => {
                StatusCode::GONE
            }
            NewsletterError::TooMany => StatusCode::TOO_MANY_REQUESTS,
            NewsletterError::App(_) => return None,
        })
    }
}

impl ResponseError for NewsletterError {
    fn status_code(&self) -> StatusCode {
        match (self, self.own_status()) {
            (_, Some(status)) => status,
            (NewsletterError::App(e), None) => e.status_code(),
            (_, None) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// Plain text with the message for the shared error pages to render (HTML or problem+json).
    fn error_response(&self) -> HttpResponse {
        if let NewsletterError::App(e) = self {
            return e.error_response();
        }
        let mut res = message_response(self.status_code(), self.to_string());
        if matches!(self, NewsletterError::BounceUnauthorized(_)) {
            // Senders configured like listmonk's (HTTP Basic) learn the scheme here.
            res.headers_mut().insert(
                actix_web::http::header::WWW_AUTHENTICATE,
                actix_web::http::header::HeaderValue::from_static("Basic realm=\"bounces\""),
            );
        }
        res
    }
}

// What a pool, database, Redis or RNG failure means is decided once, in `shared`.
impl From<diesel::result::Error> for NewsletterError {
    fn from(e: diesel::result::Error) -> Self {
        NewsletterError::App(e.into())
    }
}

impl From<diesel_async::pooled_connection::deadpool::PoolError> for NewsletterError {
    fn from(e: diesel_async::pooled_connection::deadpool::PoolError) -> Self {
        NewsletterError::App(e.into())
    }
}

impl From<redis::RedisError> for NewsletterError {
    fn from(e: redis::RedisError) -> Self {
        NewsletterError::App(e.into())
    }
}

impl From<shared::crypto::CryptoError> for NewsletterError {
    fn from(e: shared::crypto::CryptoError) -> Self {
        NewsletterError::App(e.into())
    }
}

impl From<shared::jobs::EnqueueError> for NewsletterError {
    fn from(e: shared::jobs::EnqueueError) -> Self {
        NewsletterError::App(AppError::internal(e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared::infrastructure::errors::ErrorMessage;

    #[test]
    fn each_refusal_has_its_status() {
        for (err, status) in [
            (NewsletterError::NoSuchNewsletter, 404),
            (NewsletterError::BadAddress, 400),
            (NewsletterError::UnknownConfirmation, 404),
            (NewsletterError::ConfirmationExpired, 410),
            (NewsletterError::ConfirmationUsed, 410),
            (NewsletterError::BadLink, 404),
            (NewsletterError::TooMany, 429),
            (NewsletterError::NotOneClick, 400),
            (NewsletterError::NotEditor, 403),
            (NewsletterError::NoSuchCampaign, 404),
            (NewsletterError::CampaignNotEditable, 409),
            (NewsletterError::CampaignWrongState, 409),
            (NewsletterError::BadCampaign("x".into()), 400),
            (NewsletterError::Blocklisted, 409),
            (NewsletterError::NoSuchPost, 404),
            (NewsletterError::BouncesOff, 404),
            (
                NewsletterError::BounceUnauthorized(bounces::Refused::Stale),
                401,
            ),
            (NewsletterError::BadBounce("x".into()), 400),
        ] {
            assert_eq!(err.status_code().as_u16(), status, "{err}");
            let res = err.error_response();
            assert_eq!(
                res.extensions().get::<ErrorMessage>().unwrap().0,
                err.to_string()
            );
        }
    }

    #[test]
    fn shared_errors_answer_as_shared_answers_them() {
        let ours = NewsletterError::from(diesel::result::Error::NotFound);
        let shared = AppError::from(diesel::result::Error::NotFound);
        assert_eq!(ours.status_code(), shared.status_code());
    }
}
