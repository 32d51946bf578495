//! Queries on the `events` table.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use shared::db::schema::events;
use shared::models::events::{Event, NewEvent};

/// Events that have not ended by `now`, soonest first. The query is shared because the
/// `Calendar` contract serves it to other apps; one definition keeps both lists identical.
pub async fn upcoming(
    conn: &mut AsyncPgConnection,
    now: DateTime<Utc>,
    limit: i64,
) -> QueryResult<Vec<Event>> {
    shared::models::events::upcoming(conn, now, limit).await
}

pub async fn by_slug(conn: &mut AsyncPgConnection, slug: &str) -> QueryResult<Option<Event>> {
    events::table
        .filter(events::slug.eq(slug))
        .select(Event::as_select())
        .first(conn)
        .await
        .optional()
}

/// Adds an event (the seed and test fixtures write through here, as the owner).
pub async fn insert(conn: &mut AsyncPgConnection, new: &NewEvent<'_>) -> QueryResult<Event> {
    diesel::insert_into(events::table)
        .values(new)
        .returning(Event::as_returning())
        .get_result(conn)
        .await
}
