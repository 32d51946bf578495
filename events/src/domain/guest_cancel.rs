//! Guests give their booking back through a link (they have no account, so no "unbook" button):
//! its token is derived from the confirmation token, so the mail that carries the confirmation
//! link and the page that confirms can both show it, while neither token can be told from the
//! other or from what is stored (only each one's SHA-256). The GET shows a button (a mail
//! scanner cancels nothing); the POST cancels once, as a member's cancellation does: a place
//! given back goes to the first on the waitlist in the same transaction.

use chrono::Utc;
use diesel_async::AsyncConnection;
use shared::config::Config;
use shared::crypto::{self, CryptoError};
use shared::models::events::{Event, Occurrence};

use super::EventsError;
use super::bookings::{BookingDesk, promote};
use crate::db::guests::{self, CancelClaim};

/// Domain separation of the derived token (a new version would retire every link mailed).
const CANCEL_LABEL: &[u8] = b"rose-ash events guest cancel v1";

/// The cancel token belonging to a guest's confirmation token: HMAC-SHA256 keyed by that
/// random 256-bit token, hex encoded.
pub fn cancel_token(confirm_token: &str) -> Result<String, CryptoError> {
    Ok(hex::encode(crypto::hmac_sha256(
        confirm_token.as_bytes(),
        CANCEL_LABEL,
    )?))
}

/// Statuses a guest's link can still cancel.
fn live(status: &str) -> bool {
    matches!(status, "unconfirmed" | "pending" | "waitlisted" | "booked")
}

impl BookingDesk<'_> {
    async fn cancel_claim(
        &self,
        token: &str,
    ) -> Result<(CancelClaim, Event, Occurrence), EventsError> {
        let mut conn = self.pool.get().await?;
        let claim = guests::by_cancel_digest(&mut conn, &crypto::token_digest(token))
            .await?
            .ok_or(EventsError::LinkInvalid)?;
        let (event, date) = self.date_by_id(&mut conn, claim.occurrence_id).await?;
        if date.starts_at <= Utc::now() {
            return Err(EventsError::Begun);
        }
        Ok((claim, event, date))
    }

    /// What a guest's cancel page shows before the button is pressed (nothing changes): an
    /// unknown token is [`EventsError::LinkInvalid`], a booking no longer live
    /// [`EventsError::AlreadyCancelled`], a date begun [`EventsError::Begun`].
    pub async fn guest_cancel_claim(
        &self,
        token: &str,
    ) -> Result<(Event, Occurrence), EventsError> {
        let (claim, event, date) = self.cancel_claim(token).await?;
        if !live(&claim.status) {
            return Err(EventsError::AlreadyCancelled);
        }
        Ok((event, date))
    }

    /// Cancels the guest's booking (once: a second press is [`EventsError::AlreadyCancelled`]);
    /// a place given back goes to the waitlist, whose promoted are told.
    pub async fn cancel_guest(
        &self,
        token: &str,
        config: &Config,
    ) -> Result<(Event, Occurrence), EventsError> {
        let (claim, event, date) = self.cancel_claim(token).await?;
        let mut conn = self.pool.get().await?;
        conn.transaction::<(), EventsError, _>(async |conn| {
            match guests::cancel(conn, &claim).await?.as_deref() {
                None => Err(EventsError::AlreadyCancelled),
                Some("booked") => promote(conn, config, &event, &date).await.map(drop),
                Some(_) => Ok(()),
            }
        })
        .await?;
        Ok((event, date))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cancel_tokens_are_derived_and_tell_nothing_of_the_confirmation_token() {
        let confirm = "ab".repeat(32);
        let cancel = cancel_token(&confirm).unwrap();
        assert_eq!(cancel.len(), 64);
        assert_eq!(cancel, cancel_token(&confirm).unwrap());
        assert_ne!(cancel, confirm);
        assert_ne!(cancel, cancel_token(&"ac".repeat(32)).unwrap());
        assert_ne!(
            crypto::token_digest(&cancel),
            crypto::token_digest(&confirm)
        );
    }
}
