//! Queries on `event_bookings` and `event_booking_feeds`.
//!
//! Capacity is enforced in the booking's transaction: the occurrence's `booked` counter is
//! raised by one guarded UPDATE (`booked < capacity`), whose row lock makes concurrent
//! bookings of one date queue, so the last place goes to exactly one of them.

use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error as DbError};
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use shared::db::schema::{event_booking_feeds as feeds, event_bookings as bookings, users};

/// What a booking attempt did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Booked {
    /// A new booking, with its id.
    New(i64),
    /// The member already had a place (nothing changed).
    Already(i64),
    /// Every place is taken (nothing changed).
    Full,
    /// The date is cancelled, removed or its event cancelled (nothing changed).
    NotOpen,
}

#[derive(QueryableByName)]
struct Raised {
    #[diesel(sql_type = diesel::sql_types::Int4)]
    #[allow(dead_code)]
    booked: i32,
}

async fn live(
    conn: &mut AsyncPgConnection,
    occurrence_id: i64,
    user_id: i64,
) -> QueryResult<Option<i64>> {
    bookings::table
        .filter(bookings::occurrence_id.eq(occurrence_id))
        .filter(bookings::user_id.eq(user_id))
        .filter(bookings::status.eq("booked"))
        .select(bookings::id)
        .first(conn)
        .await
        .optional()
}

/// Why the date is not open for booking, checked after the guarded raise failed.
#[derive(QueryableByName)]
struct Openness {
    #[diesel(sql_type = diesel::sql_types::Bool)]
    open: bool,
}

/// Books a place at `occurrence_id` for `user_id`, in one transaction.
pub async fn book(
    conn: &mut AsyncPgConnection,
    occurrence_id: i64,
    user_id: i64,
) -> QueryResult<Booked> {
    use diesel::sql_types::Int8;
    let result = conn
        .transaction::<Booked, DbError, _>(async |conn| {
            {
                if let Some(id) = live(conn, occurrence_id, user_id).await? {
                    return Ok(Booked::Already(id));
                }
                let raised: Vec<Raised> = diesel::sql_query(
                    "UPDATE event_occurrences o SET booked = o.booked + 1 FROM events e \
                     WHERE o.id = $1 AND e.id = o.event_id AND NOT o.removed \
                       AND e.status <> 'cancelled' AND COALESCE(o.status, '') <> 'cancelled' \
                       AND (e.capacity IS NULL OR o.booked < e.capacity) \
                     RETURNING o.booked",
                )
                .bind::<Int8, _>(occurrence_id)
                .load(conn)
                .await?;
                if raised.is_empty() {
                    let open: Vec<Openness> = diesel::sql_query(
                        "SELECT (NOT o.removed AND e.status <> 'cancelled' \
                                 AND COALESCE(o.status, '') <> 'cancelled') AS open \
                         FROM event_occurrences o JOIN events e ON e.id = o.event_id WHERE o.id = $1",
                    )
                    .bind::<Int8, _>(occurrence_id)
                    .load(conn)
                    .await?;
                    return Ok(match open.into_iter().next() {
                        Some(o) if o.open => Booked::Full,
                        _ => Booked::NotOpen,
                    });
                }
                let id = diesel::insert_into(bookings::table)
                    .values((
                        bookings::occurrence_id.eq(occurrence_id),
                        bookings::user_id.eq(user_id),
                    ))
                    .returning(bookings::id)
                    .get_result(conn)
                    .await?;
                Ok(Booked::New(id))
            }
        })
        .await;
    match result {
        // The same member's second request raced the first past the check: theirs stands.
        Err(DbError::DatabaseError(DatabaseErrorKind::UniqueViolation, _)) => {
            Ok(match live(conn, occurrence_id, user_id).await? {
                Some(id) => Booked::Already(id),
                None => Booked::NotOpen,
            })
        }
        other => other,
    }
}

/// Cancels the member's booking of the date; `false` when they had none.
pub async fn cancel(
    conn: &mut AsyncPgConnection,
    occurrence_id: i64,
    user_id: i64,
) -> QueryResult<bool> {
    use diesel::sql_types::Int8;
    conn.transaction::<bool, DbError, _>(async |conn| {
        let cancelled: Vec<i64> = diesel::update(
            bookings::table
                .filter(bookings::occurrence_id.eq(occurrence_id))
                .filter(bookings::user_id.eq(user_id))
                .filter(bookings::status.eq("booked")),
        )
        .set((
            bookings::status.eq("cancelled"),
            bookings::cancelled_at.eq(diesel::dsl::now),
        ))
        .returning(bookings::id)
        .get_results(conn)
        .await?;
        if cancelled.is_empty() {
            return Ok(false);
        }
        diesel::sql_query("UPDATE event_occurrences SET booked = booked - $2 WHERE id = $1")
            .bind::<Int8, _>(occurrence_id)
            .bind::<Int8, _>(cancelled.len() as i64)
            .execute(conn)
            .await?;
        Ok(true)
    })
    .await
}

/// Which of these dates the member holds a place at.
pub async fn booked_by(
    conn: &mut AsyncPgConnection,
    occurrence_ids: &[i64],
    user_id: i64,
) -> QueryResult<Vec<i64>> {
    bookings::table
        .filter(bookings::occurrence_id.eq_any(occurrence_ids))
        .filter(bookings::user_id.eq(user_id))
        .filter(bookings::status.eq("booked"))
        .select(bookings::occurrence_id)
        .load(conn)
        .await
}

/// Who holds a place at the date, in booking order.
pub async fn attendees(
    conn: &mut AsyncPgConnection,
    occurrence_id: i64,
) -> QueryResult<Vec<String>> {
    bookings::table
        .inner_join(users::table)
        .filter(bookings::occurrence_id.eq(occurrence_id))
        .filter(bookings::status.eq("booked"))
        .order(bookings::id)
        .select(users::username)
        .load(conn)
        .await
}

/// The generation of the member's bookings feed address (1 if they never reset it).
pub async fn feed_generation(conn: &mut AsyncPgConnection, user_id: i64) -> QueryResult<i32> {
    Ok(feeds::table
        .find(user_id)
        .select(feeds::generation)
        .first(conn)
        .await
        .optional()?
        .unwrap_or(1))
}

/// A new address for the member's bookings feed: the old one stops working.
pub async fn reset_feed(conn: &mut AsyncPgConnection, user_id: i64) -> QueryResult<i32> {
    diesel::insert_into(feeds::table)
        .values((feeds::user_id.eq(user_id), feeds::generation.eq(2)))
        .on_conflict(feeds::user_id)
        .do_update()
        .set((
            feeds::generation.eq(feeds::generation + 1),
            feeds::updated_at.eq(diesel::dsl::now),
        ))
        .returning(feeds::generation)
        .get_result(conn)
        .await
}
