//! Queries on `event_bookings` and `event_booking_feeds`.
//!
//! Capacity is enforced in the booking's transaction: every change to a date's bookings first
//! locks the date's row (`SELECT … FOR UPDATE`), so concurrent bookings, cancellations and
//! approvals of one date queue; the `booked` counter is raised only below capacity, and a place
//! given back goes to the first on the waitlist before the lock is released.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error as DbError};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use shared::db::schema::{event_booking_feeds as feeds, event_bookings as bookings};

/// Statuses that are a live claim on a date (one per member or guest address and date).
pub const LIVE: [&str; 3] = ["pending", "waitlisted", "booked"];

/// Where a booking goes, decided under the date's row lock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Placed {
    /// Holds a place (the date's `booked` counter was raised in this transaction).
    Booked,
    /// Every place is taken: queued, first come first served.
    Waitlisted,
    /// The event asks an organiser to approve each booking: no place held yet.
    Pending,
    /// The date is cancelled, removed or its event cancelled (nothing changed).
    NotOpen,
}

impl Placed {
    pub fn status(self) -> &'static str {
        match self {
            Placed::Booked => "booked",
            Placed::Waitlisted => "waitlisted",
            Placed::Pending => "pending",
            Placed::NotOpen => "cancelled",
        }
    }
}

/// What a member's booking attempt did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Booked {
    /// A new booking (its id) with where it went.
    New(i64, Placed),
    /// The member already had a live booking (its id and status; nothing changed).
    Already(i64, String),
    /// The date is not open (nothing changed).
    NotOpen,
}

#[derive(QueryableByName)]
pub(super) struct DateState {
    #[diesel(sql_type = diesel::sql_types::Int4)]
    booked: i32,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Int4>)]
    capacity: Option<i32>,
    #[diesel(sql_type = diesel::sql_types::Bool)]
    approval_required: bool,
    #[diesel(sql_type = diesel::sql_types::Bool)]
    open: bool,
}

/// Locks the date's row (bookings, cancellations and approvals of one date queue behind each
/// other) and reads its count, capacity, approval setting and whether it is open.
pub(super) async fn lock_date(
    conn: &mut AsyncPgConnection,
    occurrence_id: i64,
) -> QueryResult<Option<DateState>> {
    use diesel::sql_types::Int8;
    let rows: Vec<DateState> = diesel::sql_query(
        "SELECT o.booked, e.capacity, e.approval_required, \
                (NOT o.removed AND e.status <> 'cancelled' \
                 AND COALESCE(o.status, '') <> 'cancelled') AS open \
         FROM event_occurrences o JOIN events e ON e.id = o.event_id \
         WHERE o.id = $1 FOR UPDATE OF o",
    )
    .bind::<Int8, _>(occurrence_id)
    .load(conn)
    .await?;
    Ok(rows.into_iter().next())
}

async fn take_place(conn: &mut AsyncPgConnection, occurrence_id: i64) -> QueryResult<()> {
    change_places(conn, occurrence_id, 1).await
}

pub(super) async fn give_place_back(
    conn: &mut AsyncPgConnection,
    occurrence_id: i64,
) -> QueryResult<()> {
    change_places(conn, occurrence_id, -1).await
}

/// Every change of a date's count of places passes here (booked, given back, promoted,
/// approved, remote Join and Leave), so none forgets to queue the federated participant count
/// (coalesced: at most one `Update` a minute per event, see `jobs::FederateParticipants`).
async fn change_places(
    conn: &mut AsyncPgConnection,
    occurrence_id: i64,
    by: i32,
) -> QueryResult<()> {
    use shared::db::schema::event_occurrences as occ;
    let event_id: i64 = diesel::update(occ::table.find(occurrence_id))
        .set(occ::booked.eq(occ::booked + by))
        .returning(occ::event_id)
        .get_result(conn)
        .await?;
    crate::jobs::schedule_participants(conn, event_id).await
}

/// Decides where a new claim on the date goes and, for a place, takes it. Must run inside the
/// claim's transaction: the date's row stays locked until it commits, so the last place goes to
/// exactly one of any number of concurrent bookings.
pub async fn place(conn: &mut AsyncPgConnection, occurrence_id: i64) -> QueryResult<Placed> {
    let Some(date) = lock_date(conn, occurrence_id).await? else {
        return Ok(Placed::NotOpen);
    };
    if !date.open {
        return Ok(Placed::NotOpen);
    }
    if date.approval_required {
        return Ok(Placed::Pending);
    }
    // Nobody jumps the queue: a place is only free when no one is waiting for it (places
    // freed by a cancellation go to the waitlist in the same transaction).
    let waiting = first_waiting(conn, occurrence_id).await?.is_some();
    if !waiting && date.capacity.is_none_or(|c| date.booked < c) {
        take_place(conn, occurrence_id).await?;
        return Ok(Placed::Booked);
    }
    Ok(Placed::Waitlisted)
}

async fn live(
    conn: &mut AsyncPgConnection,
    occurrence_id: i64,
    user_id: i64,
) -> QueryResult<Option<(i64, String)>> {
    bookings::table
        .filter(bookings::occurrence_id.eq(occurrence_id))
        .filter(bookings::user_id.eq(user_id))
        .filter(bookings::status.eq_any(LIVE))
        .select((bookings::id, bookings::status))
        .first(conn)
        .await
        .optional()
}

/// Books `user_id` at the date in the caller's transaction: a place while there is one, else
/// the waitlist, or "pending" for an event that approves its bookings. Booking twice is the
/// same booking. A racing second request of the same member fails on the live-booking index
/// (the caller's transaction then rolls back; see [`already`]).
pub async fn book(
    conn: &mut AsyncPgConnection,
    occurrence_id: i64,
    user_id: i64,
) -> QueryResult<Booked> {
    if let Some((id, status)) = live(conn, occurrence_id, user_id).await? {
        return Ok(Booked::Already(id, status));
    }
    let placed = place(conn, occurrence_id).await?;
    if placed == Placed::NotOpen {
        return Ok(Booked::NotOpen);
    }
    let now = chrono::Utc::now();
    let id = diesel::insert_into(bookings::table)
        .values((
            bookings::occurrence_id.eq(occurrence_id),
            bookings::user_id.eq(user_id),
            bookings::status.eq(placed.status()),
            bookings::waitlisted_at.eq((placed == Placed::Waitlisted).then_some(now)),
        ))
        .returning(bookings::id)
        .get_result(conn)
        .await?;
    Ok(Booked::New(id, placed))
}

/// A remote participant's live booking of the date: id, status and the Join it answers.
pub async fn live_remote(
    conn: &mut AsyncPgConnection,
    occurrence_id: i64,
    actor: &str,
) -> QueryResult<Option<(i64, String, Option<String>)>> {
    bookings::table
        .filter(bookings::occurrence_id.eq(occurrence_id))
        .filter(bookings::remote_actor.eq(actor))
        .filter(bookings::status.eq_any(LIVE))
        .select((bookings::id, bookings::status, bookings::remote_join))
        .first(conn)
        .await
        .optional()
}

/// Books a remote participant (a fediverse actor's `Join`) at the date in the caller's
/// transaction, by the same rules as a member ([`place`] under the date's lock). A live booking
/// of theirs is [`Booked::Already`] (nothing changed).
pub async fn book_remote(
    conn: &mut AsyncPgConnection,
    occurrence_id: i64,
    actor: &str,
    name: &str,
    join_id: &str,
) -> QueryResult<Booked> {
    // The date first, as every booking change locks it first: a second Join of the same
    // actor waits here and then finds the first one's booking.
    lock_date(conn, occurrence_id).await?;
    if let Some((id, status, _)) = live_remote(conn, occurrence_id, actor).await? {
        return Ok(Booked::Already(id, status));
    }
    let placed = place(conn, occurrence_id).await?;
    if placed == Placed::NotOpen {
        return Ok(Booked::NotOpen);
    }
    let now = chrono::Utc::now();
    let id = diesel::insert_into(bookings::table)
        .values((
            bookings::occurrence_id.eq(occurrence_id),
            bookings::remote_actor.eq(actor),
            bookings::remote_join.eq(join_id),
            bookings::guest_name.eq(name),
            bookings::status.eq(placed.status()),
            bookings::waitlisted_at.eq((placed == Placed::Waitlisted).then_some(now)),
        ))
        .returning(bookings::id)
        .get_result(conn)
        .await?;
    Ok(Booked::New(id, placed))
}

/// Cancels a remote participant's live booking of the date (their `Leave`); the status it had.
pub async fn cancel_remote(
    conn: &mut AsyncPgConnection,
    occurrence_id: i64,
    actor: &str,
) -> QueryResult<Option<String>> {
    lock_date(conn, occurrence_id).await?;
    let Some((id, status, _)) = live_remote(conn, occurrence_id, actor).await? else {
        return Ok(None);
    };
    diesel::update(bookings::table.find(id))
        .set((
            bookings::status.eq("cancelled"),
            bookings::cancelled_at.eq(diesel::dsl::now),
        ))
        .execute(conn)
        .await?;
    if status == "booked" {
        give_place_back(conn, occurrence_id).await?;
    }
    Ok(Some(status))
}

/// The dates of `event_id` at which the remote actor holds a live booking, in id order.
pub async fn remote_live_dates(
    conn: &mut AsyncPgConnection,
    event_id: i64,
    actor: &str,
) -> QueryResult<Vec<i64>> {
    use shared::db::schema::event_occurrences as occurrences;
    bookings::table
        .inner_join(occurrences::table)
        .filter(occurrences::event_id.eq(event_id))
        .filter(bookings::remote_actor.eq(actor))
        .filter(bookings::status.eq_any(LIVE))
        .select(bookings::occurrence_id)
        .distinct()
        .order(bookings::occurrence_id.asc())
        .load(conn)
        .await
}

/// After a unique violation on the live index: the member's booking that won the race.
pub async fn already(
    conn: &mut AsyncPgConnection,
    occurrence_id: i64,
    user_id: i64,
) -> QueryResult<Booked> {
    Ok(match live(conn, occurrence_id, user_id).await? {
        Some((id, status)) => Booked::Already(id, status),
        None => Booked::NotOpen,
    })
}

pub fn is_unique_violation(e: &DbError) -> bool {
    matches!(
        e,
        DbError::DatabaseError(DatabaseErrorKind::UniqueViolation, _)
    )
}

/// Cancels the member's live booking of the date in the caller's transaction; the status it
/// had (`None` when they had none). A place given back goes to the waitlist: see [`promote`].
pub async fn cancel(
    conn: &mut AsyncPgConnection,
    occurrence_id: i64,
    user_id: i64,
) -> QueryResult<Option<String>> {
    // The date first, as every booking change locks it first (no lock-order deadlocks).
    lock_date(conn, occurrence_id).await?;
    let Some((id, status)) = live(conn, occurrence_id, user_id).await? else {
        return Ok(None);
    };
    diesel::update(bookings::table.find(id))
        .set((
            bookings::status.eq("cancelled"),
            bookings::cancelled_at.eq(diesel::dsl::now),
        ))
        .execute(conn)
        .await?;
    if status == "booked" {
        give_place_back(conn, occurrence_id).await?;
    }
    Ok(Some(status))
}

/// The dates at which the member holds a live booking, in id order.
pub async fn live_dates_of(conn: &mut AsyncPgConnection, user_id: i64) -> QueryResult<Vec<i64>> {
    bookings::table
        .filter(bookings::user_id.eq(user_id))
        .filter(bookings::status.eq_any(LIVE))
        .select(bookings::occurrence_id)
        .distinct()
        .order(bookings::occurrence_id.asc())
        .load(conn)
        .await
}

async fn first_waiting(
    conn: &mut AsyncPgConnection,
    occurrence_id: i64,
) -> QueryResult<Option<i64>> {
    bookings::table
        .filter(bookings::occurrence_id.eq(occurrence_id))
        .filter(bookings::status.eq("waitlisted"))
        .order((bookings::waitlisted_at.asc(), bookings::id.asc()))
        .select(bookings::id)
        .first(conn)
        .await
        .optional()
}

/// Gives free places at the date to the waitlist, first come first served, in the caller's
/// transaction; the promoted bookings' ids in order.
pub async fn promote(conn: &mut AsyncPgConnection, occurrence_id: i64) -> QueryResult<Vec<i64>> {
    let mut promoted = Vec::new();
    loop {
        let Some(date) = lock_date(conn, occurrence_id).await? else {
            return Ok(promoted);
        };
        if !date.open || date.capacity.is_some_and(|c| date.booked >= c) {
            return Ok(promoted);
        }
        let Some(id) = first_waiting(conn, occurrence_id).await? else {
            return Ok(promoted);
        };
        diesel::update(bookings::table.find(id))
            .set(bookings::status.eq("booked"))
            .execute(conn)
            .await?;
        take_place(conn, occurrence_id).await?;
        promoted.push(id);
    }
}

/// A guest's request: held as `unconfirmed` (no place) until the mailed link is used; the
/// digests of its confirmation and cancel tokens.
pub async fn insert_guest(
    conn: &mut AsyncPgConnection,
    occurrence_id: i64,
    name: &str,
    email: &str,
    digest: &str,
    cancel_digest: &str,
    expires_at: DateTime<Utc>,
) -> QueryResult<i64> {
    diesel::insert_into(bookings::table)
        .values((
            bookings::occurrence_id.eq(occurrence_id),
            bookings::status.eq("unconfirmed"),
            bookings::guest_name.eq(name),
            bookings::guest_email.eq(email),
            bookings::confirm_digest.eq(digest),
            bookings::cancel_digest.eq(cancel_digest),
            bookings::confirm_expires_at.eq(expires_at),
        ))
        .returning(bookings::id)
        .get_result(conn)
        .await
}

/// Guest booking requests for the address (stored lower-case) in the last `window`.
pub async fn recent_guest_requests(
    conn: &mut AsyncPgConnection,
    email: &str,
    window: chrono::Duration,
) -> QueryResult<i64> {
    bookings::table
        .filter(bookings::guest_email.eq(email))
        .filter(bookings::created_at.gt(Utc::now() - window))
        .count()
        .get_result(conn)
        .await
}

/// A guest booking found by its confirmation token's digest.
#[derive(Debug, Clone, Queryable)]
pub struct GuestClaim {
    pub id: i64,
    pub occurrence_id: i64,
    pub status: String,
    pub expires_at: Option<DateTime<Utc>>,
    pub email: Option<String>,
}

pub async fn guest_by_digest(
    conn: &mut AsyncPgConnection,
    digest: &str,
    lock: bool,
) -> QueryResult<Option<GuestClaim>> {
    let query = bookings::table
        .filter(bookings::confirm_digest.eq(digest))
        .select((
            bookings::id,
            bookings::occurrence_id,
            bookings::status,
            bookings::confirm_expires_at,
            bookings::guest_email,
        ));
    if lock {
        query.for_update().first(conn).await.optional()
    } else {
        query.first(conn).await.optional()
    }
}

/// Whether the guest's address (stored lower-case) already has a live booking at the date.
pub async fn guest_live(
    conn: &mut AsyncPgConnection,
    occurrence_id: i64,
    email: &str,
) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        bookings::table
            .filter(bookings::occurrence_id.eq(occurrence_id))
            .filter(bookings::status.eq_any(LIVE))
            .filter(bookings::guest_email.eq(email.to_lowercase())),
    ))
    .get_result(conn)
    .await
}

/// Sets a booking's status (and, for the waitlist, its place in the queue). A guest's link is
/// used up by this: it works only while the booking is `unconfirmed`.
pub async fn set_status(
    conn: &mut AsyncPgConnection,
    id: i64,
    placed: Placed,
    confirmed: bool,
) -> QueryResult<()> {
    let now = chrono::Utc::now();
    diesel::update(bookings::table.find(id))
        .set((
            bookings::status.eq(placed.status()),
            bookings::waitlisted_at.eq((placed == Placed::Waitlisted).then_some(now)),
            bookings::confirmed_at.eq(confirmed.then_some(now)),
        ))
        .execute(conn)
        .await
        .map(drop)
}

/// One booking as the organiser's list and the mails need it.
#[derive(Debug, Clone, QueryableByName)]
pub struct Attendee {
    #[diesel(sql_type = diesel::sql_types::Int8)]
    pub id: i64,
    #[diesel(sql_type = diesel::sql_types::Int8)]
    pub occurrence_id: i64,
    #[diesel(sql_type = diesel::sql_types::Text)]
    pub status: String,
    #[diesel(sql_type = diesel::sql_types::Timestamptz)]
    pub created_at: DateTime<Utc>,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Int8>)]
    pub user_id: Option<i64>,
    /// The member's display name, or the guest's name.
    #[diesel(sql_type = diesel::sql_types::Text)]
    pub name: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    pub email: String,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
    pub username: Option<String>,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Timestamptz>)]
    pub reminded_at: Option<DateTime<Utc>>,
    /// A remote participant's actor id (they have no address: they are answered over
    /// ActivityPub, never mailed).
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
    pub remote_actor: Option<String>,
    /// The id of the remote participant's Join (what the answer names).
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
    pub remote_join: Option<String>,
}

pub(super) const ATTENDEE_SELECT: &str = "SELECT b.id, b.occurrence_id, b.status, b.created_at, b.user_id, \
     COALESCE(u.display_name, b.guest_name, '') AS name, \
     COALESCE(u.email, b.guest_email, '') AS email, u.username, b.reminded_at, \
     b.remote_actor, b.remote_join \
     FROM event_bookings b LEFT JOIN users u ON u.id = b.user_id";

/// The date's live bookings: who holds a place (in booking order), then who waits for an
/// organiser, then the waitlist in its order.
pub async fn attendees_of(
    conn: &mut AsyncPgConnection,
    occurrence_id: i64,
) -> QueryResult<Vec<Attendee>> {
    use diesel::sql_types::Int8;
    diesel::sql_query(format!(
        "{ATTENDEE_SELECT} WHERE b.occurrence_id = $1 \
           AND b.status IN ('booked', 'pending', 'waitlisted') \
         ORDER BY CASE b.status WHEN 'booked' THEN 0 WHEN 'pending' THEN 1 ELSE 2 END, \
                  COALESCE(b.waitlisted_at, b.created_at), b.id"
    ))
    .bind::<Int8, _>(occurrence_id)
    .load(conn)
    .await
}

pub async fn attendee(conn: &mut AsyncPgConnection, id: i64) -> QueryResult<Option<Attendee>> {
    use diesel::sql_types::Int8;
    let rows: Vec<Attendee> = diesel::sql_query(format!("{ATTENDEE_SELECT} WHERE b.id = $1"))
        .bind::<Int8, _>(id)
        .load(conn)
        .await?;
    Ok(rows.into_iter().next())
}

/// An organiser's decision on a pending booking of the date, under the date's lock: approved
/// takes a place (`Ok(Some(true))`), or `Ok(Some(false))` when every place is taken (nothing
/// changed); rejected frees nothing. `None`: no such pending booking.
pub async fn decide(
    conn: &mut AsyncPgConnection,
    occurrence_id: i64,
    id: i64,
    organiser: i64,
    approve: bool,
) -> QueryResult<Option<bool>> {
    let Some(date) = lock_date(conn, occurrence_id).await? else {
        return Ok(None);
    };
    let pending: Option<i64> = bookings::table
        .filter(bookings::id.eq(id))
        .filter(bookings::occurrence_id.eq(occurrence_id))
        .filter(bookings::status.eq("pending"))
        .select(bookings::id)
        .first(conn)
        .await
        .optional()?;
    if pending.is_none() {
        return Ok(None);
    }
    if approve && (!date.open || date.capacity.is_some_and(|c| date.booked >= c)) {
        return Ok(Some(false));
    }
    diesel::update(bookings::table.find(id))
        .set((
            bookings::status.eq(if approve { "booked" } else { "rejected" }),
            bookings::decided_at.eq(diesel::dsl::now),
            bookings::decided_by.eq(organiser),
        ))
        .execute(conn)
        .await?;
    if approve {
        take_place(conn, occurrence_id).await?;
    }
    Ok(Some(true))
}

/// Marks the booking reminded if it holds a place and was not reminded yet; whether it did.
pub async fn mark_reminded(conn: &mut AsyncPgConnection, id: i64) -> QueryResult<bool> {
    diesel::update(
        bookings::table
            .find(id)
            .filter(bookings::status.eq("booked"))
            .filter(bookings::reminded_at.is_null()),
    )
    .set(bookings::reminded_at.eq(diesel::dsl::now))
    .execute(conn)
    .await
    .map(|n| n == 1)
}

/// The member's live bookings among these dates: (date, status).
pub async fn booked_by(
    conn: &mut AsyncPgConnection,
    occurrence_ids: &[i64],
    user_id: i64,
) -> QueryResult<Vec<(i64, String)>> {
    bookings::table
        .filter(bookings::occurrence_id.eq_any(occurrence_ids))
        .filter(bookings::user_id.eq(user_id))
        .filter(bookings::status.eq_any(LIVE))
        .select((bookings::occurrence_id, bookings::status))
        .load(conn)
        .await
}

/// Who holds a place at the date, in booking order (members' usernames, guests' names).
pub async fn attendees(
    conn: &mut AsyncPgConnection,
    occurrence_id: i64,
) -> QueryResult<Vec<String>> {
    Ok(attendees_of(conn, occurrence_id)
        .await?
        .into_iter()
        .filter(|a| a.status == "booked")
        .map(|a| a.username.unwrap_or(a.name))
        .collect())
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
