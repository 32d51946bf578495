//! The events app's rows: the member's bookings (cancelled ones too), their tickets (without
//! the secret, which is a bearer credential, or who checked them in), their private booking
//! feed and the calendars they organise.

use super::{Query, many, one};

pub(super) const QUERIES: &[Query] = &[
    many(
        "bookings",
        "SELECT b.id, b.status, b.created_at, b.cancelled_at, e.slug AS event, \
         coalesce(oc.title, e.title) AS title, oc.starts_at, oc.ends_at, \
         coalesce(oc.location, e.location) AS location \
         FROM event_bookings b JOIN event_occurrences oc ON oc.id = b.occurrence_id \
         JOIN events e ON e.id = oc.event_id WHERE b.user_id = $1 ORDER BY b.id",
    ),
    many(
        "tickets",
        "SELECT t.id, t.order_reference, t.seat, t.status, t.checked_in_at, t.voided_at, \
         t.created_at, y.name AS ticket_type, y.price_cents, y.currency, e.slug AS event, \
         coalesce(oc.title, e.title) AS title, oc.starts_at \
         FROM event_tickets t JOIN event_ticket_types y ON y.id = t.ticket_type_id \
         JOIN event_occurrences oc ON oc.id = y.occurrence_id \
         JOIN events e ON e.id = oc.event_id WHERE t.user_id = $1 ORDER BY t.id",
    ),
    one(
        "booking_feed",
        "SELECT generation, updated_at FROM event_booking_feeds WHERE user_id = $1",
    ),
    many(
        "calendars_organised",
        "SELECT c.slug, c.name, c.created_at FROM calendar_organisers o \
         JOIN calendars c ON c.id = o.calendar_id WHERE o.user_id = $1 ORDER BY c.id",
    ),
];
