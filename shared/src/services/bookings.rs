//! The `Bookings` contract on the shared database: a member's rows in `event_bookings` with
//! their occurrence and event (`crate::models::events::bookings_of`, the same read the events
//! app's private feed uses), and their `event_tickets` with type, date and event.

use async_trait::async_trait;
use chrono::Utc;

use super::DbServices;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use crate::contracts::bookings::{BookingDto, Bookings, TicketDto, Which};
use crate::contracts::protocols::ServiceResult;
use crate::db::schema::{
    event_occurrences as occurrences, event_ticket_types as types, event_tickets as tickets,
    events as events_table,
};
use crate::models::events::{self, Event, MemberBooking, Occurrence, Ticket, TicketType};

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

    async fn tickets_of(&self, user_id: i64, limit: i64) -> ServiceResult<Vec<TicketDto>> {
        let mut conn = self.pool.get().await?;
        let rows: Vec<TicketRow> = tickets::table
            .inner_join(types::table.inner_join(occurrences::table.inner_join(events_table::table)))
            .filter(tickets::user_id.eq(user_id))
            .filter(
                occurrences::ends_at.ge(Utc::now()).or(occurrences::ends_at
                    .is_null()
                    .and(occurrences::starts_at.ge(Utc::now()))),
            )
            .order((occurrences::starts_at, tickets::id))
            .limit(limit.clamp(1, 500))
            .select((
                Ticket::as_select(),
                TicketType::as_select(),
                Occurrence::as_select(),
                Event::as_select(),
            ))
            .load(&mut conn)
            .await?;
        Ok(rows.into_iter().map(ticket_dto).collect())
    }

    async fn tickets_of_order(&self, reference: &str) -> ServiceResult<Vec<TicketDto>> {
        let mut conn = self.pool.get().await?;
        let rows: Vec<TicketRow> = tickets::table
            .inner_join(types::table.inner_join(occurrences::table.inner_join(events_table::table)))
            .filter(tickets::order_reference.eq(reference))
            .order((tickets::order_line, tickets::seat))
            .select((
                Ticket::as_select(),
                TicketType::as_select(),
                Occurrence::as_select(),
                Event::as_select(),
            ))
            .load(&mut conn)
            .await?;
        Ok(rows.into_iter().map(ticket_dto).collect())
    }
}

type TicketRow = (Ticket, TicketType, Occurrence, Event);

fn ticket_dto((ticket, kind, date, event): TicketRow) -> TicketDto {
    TicketDto {
        title: date.title(&event).to_owned(),
        event_slug: event.slug,
        ticket_type: kind.name,
        seat: ticket.seat,
        starts_at: date.starts_at,
        time_zone: event.time_zone,
        checked_in: ticket.checked_in_at.is_some(),
        status: ticket.status,
        path: format!("/tickets/{}", ticket.secret),
    }
}
