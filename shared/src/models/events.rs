//! Calendar events (owned by events): the row types every app may read and the reads other
//! apps need (`upcoming`, behind the `Calendar` contract; a member's bookings, behind the
//! `Bookings` contract). The events app's own queries and its writes live in `events/src/db/`.
//!
//! An event is one entry or a recurring series; what happens when is its occurrences
//! (`event_occurrences`, one row per date, a single event exactly one), which is what lists,
//! feeds and bookings are about.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};

use crate::db::schema::{
    calendars, event_bookings, event_occurrences, event_ticket_types, event_tickets, events,
};

#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = events)]
pub struct Event {
    pub id: i64,
    pub slug: String,
    pub title: String,
    pub description: String,
    /// The place's name (empty for an online-only event).
    pub location: String,
    /// The series' first instance (iCal DTSTART), in UTC.
    pub starts_at: DateTime<Utc>,
    pub ends_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub calendar_id: i64,
    /// IANA zone the event's wall-clock times are in.
    pub time_zone: String,
    pub place_address: String,
    pub online_url: Option<String>,
    pub image_url: Option<String>,
    pub capacity: Option<i32>,
    /// `tentative`, `confirmed` or `cancelled`.
    pub status: String,
    /// `public` (listed) or `unlisted` (by link only).
    pub visibility: String,
    pub tags: Vec<String>,
    pub sequence: i32,
    /// `weekly`, `monthly` or none (a single event).
    pub repeat_freq: Option<String>,
    pub repeat_interval: i32,
    /// Monthly: the n-th (1–4) or last (-1) weekday of the month.
    pub repeat_ordinal: Option<i16>,
    pub repeat_until: Option<DateTime<Utc>>,
    pub repeat_count: Option<i32>,
    pub series_version: i32,
    pub materialised_until: Option<DateTime<Utc>>,
    /// Bookings wait (`pending`) until an organiser approves them.
    pub approval_required: bool,
}

impl Event {
    pub fn is_public(&self) -> bool {
        self.visibility == "public"
    }

    pub fn is_recurring(&self) -> bool {
        self.repeat_freq.is_some()
    }
}

/// The fields every event has; the rest take their defaults (the default calendar, Europe/London,
/// confirmed, public). The events app's own form writes the rest.
#[derive(Debug, Insertable)]
#[diesel(table_name = events)]
pub struct NewEvent<'a> {
    pub slug: &'a str,
    pub title: &'a str,
    pub description: &'a str,
    pub location: &'a str,
    pub starts_at: DateTime<Utc>,
    pub ends_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = calendars)]
pub struct Calendar {
    pub id: i64,
    pub slug: String,
    pub name: String,
    pub description: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// One date of an event. `title`, `location` and `status` are `None` when the event's apply.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Identifiable)]
#[diesel(table_name = event_occurrences)]
pub struct Occurrence {
    pub id: i64,
    pub event_id: i64,
    /// The rule's instance this row stands for (iCal RECURRENCE-ID).
    pub original_start: DateTime<Utc>,
    pub series_version: i32,
    pub starts_at: DateTime<Utc>,
    pub ends_at: Option<DateTime<Utc>>,
    pub title: Option<String>,
    pub location: Option<String>,
    pub status: Option<String>,
    pub detached: bool,
    pub removed: bool,
    pub sequence: i32,
    pub booked: i32,
    pub updated_at: DateTime<Utc>,
}

impl Occurrence {
    /// The title shown for this date: its own if it has one, else the event's.
    pub fn title<'a>(&'a self, event: &'a Event) -> &'a str {
        self.title.as_deref().unwrap_or(&event.title)
    }

    pub fn location<'a>(&'a self, event: &'a Event) -> &'a str {
        self.location.as_deref().unwrap_or(&event.location)
    }

    /// A cancelled event cancels every date; otherwise the date's own status, else the event's.
    pub fn status<'a>(&'a self, event: &'a Event) -> &'a str {
        if event.status == "cancelled" {
            return "cancelled";
        }
        self.status.as_deref().unwrap_or(&event.status)
    }
}

/// An event as it happens on one date: the event's row with the occurrence's times, title and
/// place laid over it.
fn as_dated(mut event: Event, occurrence: &Occurrence) -> Event {
    event.title = occurrence.title(&event).to_owned();
    event.location = occurrence.location(&event).to_owned();
    event.starts_at = occurrence.starts_at;
    event.ends_at = occurrence.ends_at;
    event
}

/// Dates of public events that have not ended by `now`, soonest first, each as its event with
/// the date's times (a weekly class is listed once per week). Cancelled dates are left out.
pub async fn upcoming(
    conn: &mut AsyncPgConnection,
    now: DateTime<Utc>,
    limit: i64,
) -> QueryResult<Vec<Event>> {
    let rows: Vec<(Occurrence, Event)> = event_occurrences::table
        .inner_join(events::table)
        .filter(events::visibility.eq("public"))
        .filter(events::status.ne("cancelled"))
        .filter(event_occurrences::removed.eq(false))
        .filter(
            event_occurrences::status
                .is_null()
                .or(event_occurrences::status.ne("cancelled")),
        )
        .filter(
            event_occurrences::ends_at
                .ge(now)
                .or(event_occurrences::ends_at
                    .is_null()
                    .and(event_occurrences::starts_at.ge(now))),
        )
        .order((event_occurrences::starts_at, event_occurrences::id))
        .limit(limit)
        .select((Occurrence::as_select(), Event::as_select()))
        .load(conn)
        .await?;
    Ok(rows.into_iter().map(|(o, e)| as_dated(e, &o)).collect())
}

/// Every calendar, by name (the `Calendar` contract's list).
pub async fn calendars(conn: &mut AsyncPgConnection) -> QueryResult<Vec<Calendar>> {
    calendars::table
        .order((calendars::name, calendars::id))
        .select(Calendar::as_select())
        .load(conn)
        .await
}

/// The calendar with this slug (the `Calendar` contract's look-up).
pub async fn calendar_by_slug(
    conn: &mut AsyncPgConnection,
    slug: &str,
) -> QueryResult<Option<Calendar>> {
    calendars::table
        .filter(calendars::slug.eq(slug))
        .select(Calendar::as_select())
        .first(conn)
        .await
        .optional()
}

/// One booking of a member, with what it is for.
#[derive(Debug, Clone)]
pub struct MemberBooking {
    pub booking_id: i64,
    pub booked_at: DateTime<Utc>,
    pub occurrence: Occurrence,
    pub event: Event,
}

/// A member's live bookings of dates not over by `since`, soonest first (`since = None`: all).
pub async fn bookings_of(
    conn: &mut AsyncPgConnection,
    user_id: i64,
    since: Option<DateTime<Utc>>,
    limit: i64,
) -> QueryResult<Vec<MemberBooking>> {
    let mut query = event_bookings::table
        .inner_join(event_occurrences::table.inner_join(events::table))
        .filter(event_bookings::user_id.eq(user_id))
        .filter(event_bookings::status.eq("booked"))
        .into_boxed();
    if let Some(since) = since {
        query = query.filter(
            event_occurrences::ends_at
                .ge(since)
                .or(event_occurrences::ends_at
                    .is_null()
                    .and(event_occurrences::starts_at.ge(since))),
        );
    }
    let rows: Vec<(i64, DateTime<Utc>, Occurrence, Event)> = query
        .order((event_occurrences::starts_at, event_bookings::id))
        .limit(limit)
        .select((
            event_bookings::id,
            event_bookings::created_at,
            Occurrence::as_select(),
            Event::as_select(),
        ))
        .load(conn)
        .await?;
    Ok(rows
        .into_iter()
        .map(|(booking_id, booked_at, occurrence, event)| MemberBooking {
            booking_id,
            booked_at,
            occurrence,
            event,
        })
        .collect())
}

/// A kind of ticket for one date (sold through the cart): its price, how many there are, how
/// many are neither held by a checkout nor sold (`available`), and when it is on sale.
#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = event_ticket_types)]
pub struct TicketType {
    pub id: i64,
    pub occurrence_id: i64,
    pub name: String,
    pub price_cents: i64,
    pub currency: String,
    pub quantity: i32,
    pub available: i32,
    pub sales_start: Option<DateTime<Utc>>,
    pub sales_end: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl TicketType {
    pub fn price(&self) -> crate::contracts::dtos::Money {
        crate::contracts::dtos::Money {
            cents: self.price_cents,
            currency: self.currency.clone(),
        }
    }

    /// Whether it can be bought at `now` for `date` of `event`: inside its sales window, before
    /// the date starts, and neither the date nor the event cancelled or removed (seats left
    /// are the caller's to count). The `Inventory` reservation's guarded decrement applies the
    /// same rule in SQL.
    pub fn on_sale(&self, date: &Occurrence, event: &Event, now: DateTime<Utc>) -> bool {
        self.sales_start.is_none_or(|s| s <= now)
            && self.sales_end.is_none_or(|e| e > now)
            && date.starts_at > now
            && !date.removed
            && date.status(event) != "cancelled"
    }
}

/// One seat of a paid order line. `secret` is what its QR code carries.
#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = event_tickets)]
pub struct Ticket {
    pub id: i64,
    pub ticket_type_id: i64,
    pub order_reference: String,
    pub order_line: i32,
    pub seat: i32,
    pub user_id: Option<i64>,
    pub secret: String,
    /// `valid` or `void` (refunded).
    pub status: String,
    pub checked_in_at: Option<DateTime<Utc>>,
    pub checked_in_by: Option<i64>,
    pub voided_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

impl Ticket {
    pub fn is_valid(&self) -> bool {
        self.status == "valid"
    }
}
