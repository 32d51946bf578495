//! Calendar events (owned by events): the row types every app may read and the one read
//! other apps need (`upcoming`, behind the `Calendar` contract). The events app's own queries
//! and its writes live in `events/src/db/`.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};

use crate::db::schema::events;

#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = events)]
pub struct Event {
    pub id: i64,
    pub slug: String,
    pub title: String,
    pub description: String,
    pub location: String,
    pub starts_at: DateTime<Utc>,
    pub ends_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

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

/// Events that have not ended by `now`, soonest first.
pub async fn upcoming(
    conn: &mut AsyncPgConnection,
    now: DateTime<Utc>,
    limit: i64,
) -> QueryResult<Vec<Event>> {
    events::table
        .filter(
            events::ends_at
                .ge(now)
                .or(events::ends_at.is_null().and(events::starts_at.ge(now))),
        )
        .order((events::starts_at, events::id))
        .limit(limit)
        .select(Event::as_select())
        .load(conn)
        .await
}
