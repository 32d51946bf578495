//! Free bookings: a member takes a place at one date in one click (capacity enforced in the
//! booking's transaction, see `db::bookings`) and gives it back; their bookings are theirs to
//! carry in a calendar through a private feed whose address is signed and can be reset.

use chrono::Utc;
use shared::crypto;
use shared::db::DbPool;
use shared::models::events::{self as rows, Event, MemberBooking, Occurrence};

use super::{Actor, EventsError};
use crate::db::bookings::{self, Booked};
use crate::db::{events as event_rows, occurrences};

/// How many bookings a member's page and feed list.
const MEMBER_LIMIT: i64 = 500;
/// Hex digits of the feed address's MAC (128 bits).
const MAC_HEX: usize = 32;

/// Signs and checks the private bookings-feed addresses: `<user>-<generation>-<mac>`, an HMAC
/// under a key derived from the fleet secret. Resetting the address bumps the generation, so
/// the old address stops working.
pub struct FeedSigner {
    key: Vec<u8>,
}

impl FeedSigner {
    pub fn new(secret: &[u8]) -> Result<Self, crypto::CryptoError> {
        Ok(FeedSigner {
            key: crypto::hmac_sha256(secret, b"rose-ash events bookings feed v1")?,
        })
    }

    fn mac(&self, user_id: i64, generation: i32) -> Result<String, crypto::CryptoError> {
        let mac = crypto::hmac_sha256(&self.key, format!("{user_id}:{generation}").as_bytes())?;
        let mut hex = hex::encode(mac);
        hex.truncate(MAC_HEX);
        Ok(hex)
    }

    pub fn token(&self, user_id: i64, generation: i32) -> Result<String, crypto::CryptoError> {
        Ok(format!(
            "{user_id}-{generation}-{}",
            self.mac(user_id, generation)?
        ))
    }

    /// The (user, generation) a token is signed for, if it is.
    pub fn verify(&self, token: &str) -> Result<Option<(i64, i32)>, crypto::CryptoError> {
        let mut parts = token.splitn(3, '-');
        let (Some(user), Some(generation), Some(mac)) = (parts.next(), parts.next(), parts.next())
        else {
            return Ok(None);
        };
        let (Ok(user), Ok(generation)) = (user.parse::<i64>(), generation.parse::<i32>()) else {
            return Ok(None);
        };
        let expected = self.mac(user, generation)?;
        Ok(
            crypto::constant_time_eq(expected.as_bytes(), mac.as_bytes())
                .then_some((user, generation)),
        )
    }
}

pub struct BookingDesk<'a> {
    pool: &'a DbPool,
}

impl<'a> BookingDesk<'a> {
    pub fn new(pool: &'a DbPool) -> Self {
        BookingDesk { pool }
    }

    async fn date(&self, slug: &str, id: i64) -> Result<(Event, Occurrence), EventsError> {
        let mut conn = self.pool.get().await?;
        let event = event_rows::by_slug(&mut conn, slug)
            .await?
            .ok_or(EventsError::NoSuchEvent)?;
        let date = occurrences::by_id(&mut conn, event.id, id)
            .await?
            .ok_or(EventsError::NoSuchDate)?;
        Ok((event, date))
    }

    /// Takes a place at the date; booking twice is the same booking.
    pub async fn book(&self, actor: Actor, slug: &str, id: i64) -> Result<Event, EventsError> {
        let (event, date) = self.date(slug, id).await?;
        if date.ends_at.unwrap_or(date.starts_at) < Utc::now() {
            return Err(EventsError::NotOpen);
        }
        let mut conn = self.pool.get().await?;
        match bookings::book(&mut conn, date.id, actor.id).await? {
            Booked::New(_) | Booked::Already(_) => Ok(event),
            Booked::Full => Err(EventsError::Full),
            Booked::NotOpen => Err(EventsError::NotOpen),
        }
    }

    /// Gives the member's place back (nothing happens if they had none).
    pub async fn cancel(&self, actor: Actor, slug: &str, id: i64) -> Result<Event, EventsError> {
        let (event, date) = self.date(slug, id).await?;
        let mut conn = self.pool.get().await?;
        bookings::cancel(&mut conn, date.id, actor.id).await?;
        Ok(event)
    }

    /// The member's bookings (upcoming only, or all).
    pub async fn of(
        &self,
        user_id: i64,
        upcoming: bool,
    ) -> Result<Vec<MemberBooking>, EventsError> {
        let mut conn = self.pool.get().await?;
        let since = upcoming.then(Utc::now);
        Ok(rows::bookings_of(&mut conn, user_id, since, MEMBER_LIMIT).await?)
    }

    /// The member's current feed token.
    pub async fn feed_token(
        &self,
        signer: &FeedSigner,
        user_id: i64,
    ) -> Result<String, EventsError> {
        let mut conn = self.pool.get().await?;
        let generation = bookings::feed_generation(&mut conn, user_id).await?;
        Ok(signer.token(user_id, generation)?)
    }

    /// A new feed address; the old one stops working.
    pub async fn reset_feed(
        &self,
        signer: &FeedSigner,
        user_id: i64,
    ) -> Result<String, EventsError> {
        let mut conn = self.pool.get().await?;
        let generation = bookings::reset_feed(&mut conn, user_id).await?;
        Ok(signer.token(user_id, generation)?)
    }

    /// Whose bookings a feed token opens, if it is signed and current.
    pub async fn feed_owner(
        &self,
        signer: &FeedSigner,
        token: &str,
    ) -> Result<Option<i64>, EventsError> {
        let Some((user_id, generation)) = signer.verify(token)? else {
            return Ok(None);
        };
        let mut conn = self.pool.get().await?;
        let current = bookings::feed_generation(&mut conn, user_id).await?;
        Ok((current == generation).then_some(user_id))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn feed_tokens_verify_only_as_signed() {
        let s = FeedSigner::new(b"secret").unwrap();
        let t = s.token(42, 3).unwrap();
        assert_eq!(s.verify(&t).unwrap(), Some((42, 3)));
        let other = FeedSigner::new(b"other").unwrap();
        assert_eq!(other.verify(&t).unwrap(), None);
        let forged = t.replacen("42-", "43-", 1);
        assert_eq!(s.verify(&forged).unwrap(), None);
        for junk in ["", "x", "1-2", "a-b-c", "1-2-", "-1-2-3"] {
            assert_eq!(s.verify(junk).unwrap(), None, "{junk}");
        }
    }
}
