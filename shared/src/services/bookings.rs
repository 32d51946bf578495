//! The `Bookings` contract on the shared database: a member's rows in `event_bookings` with
//! their occurrence and event (`crate::models::events::bookings_of`, the same read the events
//! app's private feed uses).

use async_trait::async_trait;
use chrono::Utc;

use super::DbServices;
use crate::contracts::bookings::{BookingDto, Bookings, Which};
use crate::contracts::protocols::ServiceResult;
use crate::models::events::{self, MemberBooking};

impl From<MemberBooking> for BookingDto {
    fn from(b: MemberBooking) -> Self {
        BookingDto {
            booking_id: b.booking_id,
            event_slug: b.event.slug.clone(),
            title: b.occurrence.title(&b.event).to_owned(),
            starts_at: b.occurrence.starts_at,
            ends_at: b.occurrence.ends_at,
            time_zone: b.event.time_zone.clone(),
            location: b.occurrence.location(&b.event).to_owned(),
            status: b.occurrence.status(&b.event).to_owned(),
            booked_at: b.booked_at,
        }
    }
}

#[async_trait]
impl Bookings for DbServices {
    async fn bookings_of(
        &self,
        user_id: i64,
        which: Which,
        limit: i64,
    ) -> ServiceResult<Vec<BookingDto>> {
        let since = match which {
            Which::Upcoming => Some(Utc::now()),
            Which::All => None,
        };
        let mut conn = self.pool.get().await?;
        let rows = events::bookings_of(&mut conn, user_id, since, limit.clamp(1, 500)).await?;
        Ok(rows.into_iter().map(BookingDto::from).collect())
    }
}
