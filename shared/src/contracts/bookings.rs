//! A member's bookings and tickets of events (events owns them): what the account dashboard
//! lists. Booking, cancelling, buying (through the cart) and checking in happen on the events
//! app's pages; other apps only read.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::protocols::ServiceResult;

/// One live booking: the date it holds a place at and where to see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BookingDto {
    pub booking_id: i64,
    pub event_slug: String,
    /// The date's title (a single date of a series may have its own).
    pub title: String,
    pub starts_at: DateTime<Utc>,
    pub ends_at: Option<DateTime<Utc>>,
    /// The IANA zone the event is held in, for showing its local time.
    pub time_zone: String,
    pub location: String,
    /// `tentative`, `confirmed` or `cancelled` (a cancelled date keeps its bookings listed,
    /// so members see that it is off).
    pub status: String,
    pub booked_at: DateTime<Utc>,
}

/// One ticket of the member's: the date it admits to and its own page (whose address carries
/// the ticket's secret, so only its holder is given it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TicketDto {
    pub event_slug: String,
    /// The date's title.
    pub title: String,
    pub ticket_type: String,
    pub seat: i32,
    pub starts_at: DateTime<Utc>,
    pub time_zone: String,
    /// `valid` or `void` (refunded).
    pub status: String,
    pub checked_in: bool,
    /// The ticket's page on the events app (with its QR code).
    pub path: String,
}

/// Which of a member's bookings to list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Which {
    /// Dates not over yet, soonest first.
    Upcoming,
    /// Every date, past included, in date order.
    All,
}

#[async_trait]
pub trait Bookings: Send + Sync {
    /// The member's live (not cancelled) bookings, at most `limit`.
    async fn bookings_of(
        &self,
        user_id: i64,
        which: Which,
        limit: i64,
    ) -> ServiceResult<Vec<BookingDto>>;

    /// The member's tickets for dates not over yet, soonest first, at most `limit`.
    async fn tickets_of(&self, user_id: i64, limit: i64) -> ServiceResult<Vec<TicketDto>>;

    /// The tickets issued for an order (by its reference), in line and seat order: how a
    /// guest buyer, who reaches the order through its signed link, finds them.
    async fn tickets_of_order(&self, reference: &str) -> ServiceResult<Vec<TicketDto>>;
}
