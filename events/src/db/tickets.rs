//! Queries on `event_ticket_types` and `event_tickets`.
//!
//! Seats are taken and given back by the `Inventory` contract (a checkout's reservation); this
//! module makes ticket types, issues tickets for paid order lines (one row per seat, unique per
//! order line and seat, so issuing again changes nothing), voids them, and checks them in with
//! one guarded UPDATE, so a ticket scanned at two doors at once is let in once.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use shared::db::schema::{
    event_occurrences as occurrences, event_ticket_types as types, event_tickets as tickets,
    events, users,
};
use shared::models::events::{Event, Occurrence, Ticket, TicketType};

/// A new ticket type, checked by the domain.
pub struct NewTicketType<'a> {
    pub occurrence_id: i64,
    pub name: &'a str,
    pub price_cents: i64,
    pub currency: &'a str,
    pub quantity: i32,
    pub sales_start: Option<DateTime<Utc>>,
    pub sales_end: Option<DateTime<Utc>>,
}

pub async fn insert_type(
    conn: &mut AsyncPgConnection,
    new: &NewTicketType<'_>,
) -> QueryResult<TicketType> {
    diesel::insert_into(types::table)
        .values((
            types::occurrence_id.eq(new.occurrence_id),
            types::name.eq(new.name),
            types::price_cents.eq(new.price_cents),
            types::currency.eq(new.currency),
            types::quantity.eq(new.quantity),
            types::available.eq(new.quantity),
            types::sales_start.eq(new.sales_start),
            types::sales_end.eq(new.sales_end),
        ))
        .returning(TicketType::as_returning())
        .get_result(conn)
        .await
}

/// Changes a ticket type of the date (name, price, quantity, sales window), unless the new
/// quantity is below the seats already taken (sold, or held by a checkout): `None` then, and
/// nothing changed. The check is in the one UPDATE, so a checkout racing the edit cannot
/// oversell; the seats left follow the quantity.
pub async fn update_type(
    conn: &mut AsyncPgConnection,
    id: i64,
    new: &NewTicketType<'_>,
) -> QueryResult<Option<TicketType>> {
    diesel::update(
        types::table
            .find(id)
            .filter(types::occurrence_id.eq(new.occurrence_id))
            .filter((types::quantity - types::available).le(new.quantity)),
    )
    .set((
        types::name.eq(new.name),
        types::price_cents.eq(new.price_cents),
        types::currency.eq(new.currency),
        types::available.eq(types::available - types::quantity + new.quantity),
        types::quantity.eq(new.quantity),
        types::sales_start.eq(new.sales_start),
        types::sales_end.eq(new.sales_end),
        types::updated_at.eq(diesel::dsl::now),
    ))
    .returning(TicketType::as_returning())
    .get_result(conn)
    .await
    .optional()
}

/// The ticket types of these dates, cheapest first.
pub async fn types_of(
    conn: &mut AsyncPgConnection,
    occurrence_ids: &[i64],
) -> QueryResult<Vec<TicketType>> {
    types::table
        .filter(types::occurrence_id.eq_any(occurrence_ids))
        .order((types::occurrence_id, types::price_cents, types::id))
        .select(TicketType::as_select())
        .load(conn)
        .await
}

/// Stops a ticket type's sales now (it stays, with the tickets sold).
pub async fn end_sales(conn: &mut AsyncPgConnection, id: i64) -> QueryResult<usize> {
    diesel::update(types::table.find(id))
        .set(types::sales_end.eq(diesel::dsl::now))
        .execute(conn)
        .await
}

/// One seat to issue: the order line it belongs to and its secret.
pub struct Seat<'a> {
    pub ticket_type_id: i64,
    pub order_reference: &'a str,
    pub order_line: i32,
    pub seat: i32,
    pub user_id: Option<i64>,
    pub secret: &'a str,
}

/// Issues the seats; a seat already issued (same order line and seat number) is left as it
/// is. Returns how many were new.
pub async fn issue(conn: &mut AsyncPgConnection, seats: &[Seat<'_>]) -> QueryResult<usize> {
    let rows: Vec<_> = seats
        .iter()
        .map(|s| {
            (
                tickets::ticket_type_id.eq(s.ticket_type_id),
                tickets::order_reference.eq(s.order_reference),
                tickets::order_line.eq(s.order_line),
                tickets::seat.eq(s.seat),
                tickets::user_id.eq(s.user_id),
                tickets::secret.eq(s.secret),
            )
        })
        .collect();
    diesel::insert_into(tickets::table)
        .values(rows)
        .on_conflict((tickets::order_reference, tickets::order_line, tickets::seat))
        .do_nothing()
        .execute(conn)
        .await
}

/// Voids every valid ticket of the order; returns how many.
pub async fn void_order(conn: &mut AsyncPgConnection, reference: &str) -> QueryResult<usize> {
    diesel::update(
        tickets::table
            .filter(tickets::order_reference.eq(reference))
            .filter(tickets::status.eq("valid")),
    )
    .set((
        tickets::status.eq("void"),
        tickets::voided_at.eq(diesel::dsl::now),
    ))
    .execute(conn)
    .await
}

/// A ticket with what it admits to.
pub type Admission = (Ticket, TicketType, Occurrence, Event);

pub async fn by_secret(
    conn: &mut AsyncPgConnection,
    secret: &str,
) -> QueryResult<Option<Admission>> {
    tickets::table
        .inner_join(types::table.inner_join(occurrences::table.inner_join(events::table)))
        .filter(tickets::secret.eq(secret))
        .select((
            Ticket::as_select(),
            TicketType::as_select(),
            Occurrence::as_select(),
            Event::as_select(),
        ))
        .first(conn)
        .await
        .optional()
}

/// The member's tickets, soonest date first.
pub async fn of_user(conn: &mut AsyncPgConnection, user_id: i64) -> QueryResult<Vec<Admission>> {
    tickets::table
        .inner_join(types::table.inner_join(occurrences::table.inner_join(events::table)))
        .filter(tickets::user_id.eq(user_id))
        .order((occurrences::starts_at, tickets::id))
        .select((
            Ticket::as_select(),
            TicketType::as_select(),
            Occurrence::as_select(),
            Event::as_select(),
        ))
        .load(conn)
        .await
}

/// Admits a valid ticket not yet checked in; `None` when it was already (or is void).
pub async fn check_in(
    conn: &mut AsyncPgConnection,
    ticket_id: i64,
    by: i64,
) -> QueryResult<Option<DateTime<Utc>>> {
    diesel::update(
        tickets::table
            .find(ticket_id)
            .filter(tickets::status.eq("valid"))
            .filter(tickets::checked_in_at.is_null()),
    )
    .set((
        tickets::checked_in_at.eq(diesel::dsl::now),
        tickets::checked_in_by.eq(by),
    ))
    .returning(tickets::checked_in_at.assume_not_null())
    .get_result(conn)
    .await
    .optional()
}

/// Who checked a ticket in (their username).
pub async fn checked_in_by(conn: &mut AsyncPgConnection, user_id: i64) -> QueryResult<String> {
    users::table
        .find(user_id)
        .select(users::username)
        .first(conn)
        .await
}

/// Tickets issued and checked in per ticket type of these dates.
pub async fn counts(
    conn: &mut AsyncPgConnection,
    type_ids: &[i64],
) -> QueryResult<Vec<(i64, i64, i64)>> {
    use diesel::dsl::{count, count_star};
    tickets::table
        .filter(tickets::ticket_type_id.eq_any(type_ids))
        .filter(tickets::status.eq("valid"))
        .group_by(tickets::ticket_type_id)
        .select((
            tickets::ticket_type_id,
            count_star(),
            count(tickets::checked_in_at),
        ))
        .load(conn)
        .await
}
