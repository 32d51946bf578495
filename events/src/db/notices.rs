//! Who hears that a date was cancelled: the members and guests holding a place, a waitlist
//! spot or a request awaiting approval, each told once (`event_bookings.cancel_notified_at`),
//! and the remote participants, whom the federated `Update` addresses.

use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use shared::db::schema::event_bookings as bookings;

use super::bookings::{ATTENDEE_SELECT, Attendee};

/// Marks the date's live bookings of members and guests as told of its cancellation and returns
/// them, in the caller's transaction (which queues their mails): each booking once, so a notice
/// job run again finds nobody left to tell.
pub async fn claim_cancelled(
    conn: &mut AsyncPgConnection,
    occurrence_id: i64,
) -> QueryResult<Vec<Attendee>> {
    use diesel::sql_types::Int8;
    diesel::sql_query(format!(
        "WITH told AS ( \
             UPDATE event_bookings SET cancel_notified_at = now() \
             WHERE occurrence_id = $1 AND status IN ('booked', 'waitlisted', 'pending') \
               AND cancel_notified_at IS NULL AND remote_actor IS NULL \
             RETURNING id) \
         {ATTENDEE_SELECT} WHERE b.id IN (SELECT id FROM told) ORDER BY b.id"
    ))
    .bind::<Int8, _>(occurrence_id)
    .load(conn)
    .await
}

/// The remote participants (actor ids) with a live booking at any of these dates.
pub async fn remote_participants(
    conn: &mut AsyncPgConnection,
    occurrence_ids: &[i64],
) -> QueryResult<Vec<String>> {
    let actors: Vec<Option<String>> = bookings::table
        .filter(bookings::occurrence_id.eq_any(occurrence_ids))
        .filter(bookings::status.eq_any(super::bookings::LIVE))
        .filter(bookings::remote_actor.is_not_null())
        .select(bookings::remote_actor)
        .distinct()
        .load(conn)
        .await?;
    Ok(actors.into_iter().flatten().collect())
}
