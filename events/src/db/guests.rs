//! A guest's own cancellation through the link mailed to them (they have no account): the
//! booking is found by its cancel token's digest and cancelled under its date's lock, as every
//! booking change is (see `db::bookings`).

use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use shared::db::schema::event_bookings as bookings;

use super::bookings::{give_place_back, lock_date};

/// A guest booking found by its cancel token's digest: its id, date and status.
#[derive(Debug, Clone, Queryable)]
pub struct CancelClaim {
    pub id: i64,
    pub occurrence_id: i64,
    pub status: String,
}

pub async fn by_cancel_digest(
    conn: &mut AsyncPgConnection,
    digest: &str,
) -> QueryResult<Option<CancelClaim>> {
    bookings::table
        .filter(bookings::cancel_digest.eq(digest))
        .select((bookings::id, bookings::occurrence_id, bookings::status))
        .first(conn)
        .await
        .optional()
}

/// Cancels the guest's booking (a request not yet confirmed, a place, a waitlist spot or a
/// request awaiting approval) in the caller's transaction, its date locked first (so its status
/// read here is current: every status change holds that lock); the status it had, or `None`
/// when it was no longer live (cancelled or rejected already: nothing changed). A place given
/// back lowers the date's count; the caller then promotes the waitlist.
pub async fn cancel(
    conn: &mut AsyncPgConnection,
    claim: &CancelClaim,
) -> QueryResult<Option<String>> {
    lock_date(conn, claim.occurrence_id).await?;
    let status: String = bookings::table
        .find(claim.id)
        .select(bookings::status)
        .first(conn)
        .await?;
    if !["unconfirmed", "pending", "waitlisted", "booked"].contains(&status.as_str()) {
        return Ok(None);
    }
    diesel::update(bookings::table.find(claim.id))
        .set((
            bookings::status.eq("cancelled"),
            bookings::cancelled_at.eq(diesel::dsl::now),
        ))
        .execute(conn)
        .await?;
    if status == "booked" {
        give_place_back(conn, claim.occurrence_id).await?;
    }
    Ok(Some(status))
}
