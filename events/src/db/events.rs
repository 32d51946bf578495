//! Queries on `events` and `event_slug_history`.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use shared::db::schema::{event_occurrences, event_slug_history, events};
use shared::models::events::{Event, NewEvent};

use super::calendars;

/// Everything an organiser sets on an event (None clears a nullable field).
#[derive(Debug, Clone, Insertable, AsChangeset)]
#[diesel(table_name = events, treat_none_as_null = true)]
pub struct EventFields {
    pub calendar_id: i64,
    pub slug: String,
    pub title: String,
    pub description: String,
    pub location: String,
    pub place_address: String,
    pub online_url: Option<String>,
    pub image_url: Option<String>,
    pub starts_at: DateTime<Utc>,
    pub ends_at: Option<DateTime<Utc>>,
    pub time_zone: String,
    pub capacity: Option<i32>,
    pub status: String,
    pub visibility: String,
    pub tags: Vec<String>,
    pub repeat_freq: Option<String>,
    pub repeat_interval: i32,
    pub repeat_ordinal: Option<i16>,
    pub repeat_until: Option<DateTime<Utc>>,
    pub repeat_count: Option<i32>,
    pub approval_required: bool,
}

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

pub async fn by_id(conn: &mut AsyncPgConnection, id: i64) -> QueryResult<Option<Event>> {
    events::table
        .find(id)
        .select(Event::as_select())
        .first(conn)
        .await
        .optional()
}

/// Locks the event's row for a change (edits of one event queue rather than interleave).
pub async fn lock(conn: &mut AsyncPgConnection, id: i64) -> QueryResult<Option<Event>> {
    events::table
        .find(id)
        .for_update()
        .select(Event::as_select())
        .first(conn)
        .await
        .optional()
}

/// The current slug of the event that used to be called `slug`.
pub async fn moved(conn: &mut AsyncPgConnection, slug: &str) -> QueryResult<Option<String>> {
    event_slug_history::table
        .inner_join(events::table)
        .filter(event_slug_history::slug.eq(slug))
        .select(events::slug)
        .first(conn)
        .await
        .optional()
}

/// Adds a single event in the default calendar with its one occurrence (the seed and test
/// fixtures write through here, as the owner).
pub async fn insert(conn: &mut AsyncPgConnection, new: &NewEvent<'_>) -> QueryResult<Event> {
    conn.transaction(async |conn| {
        let calendar = calendars::default_id(conn).await?;
        let event: Event = diesel::insert_into(events::table)
            .values((new, events::calendar_id.eq(calendar)))
            .returning(Event::as_returning())
            .get_result(conn)
            .await?;
        diesel::insert_into(event_occurrences::table)
            .values((
                event_occurrences::event_id.eq(event.id),
                event_occurrences::original_start.eq(event.starts_at),
                event_occurrences::starts_at.eq(event.starts_at),
                event_occurrences::ends_at.eq(event.ends_at),
            ))
            .execute(conn)
            .await?;
        Ok(event)
    })
    .await
}

/// Adds an event row (its occurrences are the caller's, in the same transaction).
pub async fn insert_fields(
    conn: &mut AsyncPgConnection,
    fields: &EventFields,
) -> QueryResult<Event> {
    diesel::insert_into(events::table)
        .values(fields)
        .returning(Event::as_returning())
        .get_result(conn)
        .await
}

/// Replaces the event's fields; `new_version` starts a new series version and every change
/// bumps the iCal SEQUENCE.
pub async fn update_fields(
    conn: &mut AsyncPgConnection,
    id: i64,
    fields: &EventFields,
    new_version: bool,
) -> QueryResult<Event> {
    diesel::update(events::table.find(id))
        .set((
            fields,
            events::sequence.eq(events::sequence + 1),
            events::series_version.eq(events::series_version + i32::from(new_version)),
        ))
        .returning(Event::as_returning())
        .get_result(conn)
        .await
}

pub async fn set_status(conn: &mut AsyncPgConnection, id: i64, status: &str) -> QueryResult<Event> {
    diesel::update(events::table.find(id))
        .set((
            events::status.eq(status),
            events::sequence.eq(events::sequence + 1),
        ))
        .returning(Event::as_returning())
        .get_result(conn)
        .await
}

pub async fn set_materialised_until(
    conn: &mut AsyncPgConnection,
    id: i64,
    until: DateTime<Utc>,
) -> QueryResult<()> {
    diesel::update(events::table.find(id))
        .set(events::materialised_until.eq(until))
        .execute(conn)
        .await
        .map(drop)
}

pub async fn delete(conn: &mut AsyncPgConnection, id: i64) -> QueryResult<usize> {
    diesel::delete(events::table.find(id)).execute(conn).await
}

/// Remembers `old` as a former slug of the event (a slug taken back by its event is dropped
/// from the history, so it answers as current again).
pub async fn remember_slug(
    conn: &mut AsyncPgConnection,
    event_id: i64,
    old: &str,
    new: &str,
) -> QueryResult<()> {
    diesel::delete(event_slug_history::table.filter(event_slug_history::slug.eq(new)))
        .execute(conn)
        .await?;
    diesel::insert_into(event_slug_history::table)
        .values((
            event_slug_history::slug.eq(old),
            event_slug_history::event_id.eq(event_id),
        ))
        .on_conflict(event_slug_history::slug)
        .do_update()
        .set(event_slug_history::event_id.eq(event_id))
        .execute(conn)
        .await
        .map(drop)
}

/// Whether `slug` is a former slug of another event (a new event may not take it while it
/// redirects).
pub async fn slug_in_history(
    conn: &mut AsyncPgConnection,
    slug: &str,
    except_event: Option<i64>,
) -> QueryResult<bool> {
    let mut q = event_slug_history::table
        .filter(event_slug_history::slug.eq(slug))
        .into_boxed();
    if let Some(id) = except_event {
        q = q.filter(event_slug_history::event_id.ne(id));
    }
    diesel::select(diesel::dsl::exists(q))
        .get_result(conn)
        .await
}

/// Recurring events whose occurrences must be carried forward past `horizon`.
pub async fn series_needing(
    conn: &mut AsyncPgConnection,
    horizon: DateTime<Utc>,
) -> QueryResult<Vec<i64>> {
    events::table
        .filter(events::repeat_freq.is_not_null())
        .filter(
            events::materialised_until
                .is_null()
                .or(events::materialised_until.lt(horizon)),
        )
        .select(events::id)
        .load(conn)
        .await
}

/// Tags and places in use by public events, for the filters.
pub async fn facets(conn: &mut AsyncPgConnection) -> QueryResult<(Vec<String>, Vec<String>)> {
    let tags: Vec<Vec<String>> = events::table
        .filter(events::visibility.eq("public"))
        .select(events::tags)
        .load(conn)
        .await?;
    let mut tags: Vec<String> = tags.into_iter().flatten().collect();
    tags.sort();
    tags.dedup();
    let places: Vec<String> = events::table
        .filter(events::visibility.eq("public"))
        .filter(events::location.ne(""))
        .select(events::location)
        .distinct()
        .order(events::location)
        .load(conn)
        .await?;
    Ok((tags, places))
}

/// Public events matching `filter` (a calendar, a tag, a place), for feeds, oldest first.
pub async fn public(
    conn: &mut AsyncPgConnection,
    filter: &super::occurrences::Filter,
    limit: i64,
) -> QueryResult<Vec<Event>> {
    let mut q = events::table
        .filter(events::visibility.eq("public"))
        .into_boxed();
    if let Some(c) = filter.calendar_id {
        q = q.filter(events::calendar_id.eq(c));
    }
    if let Some(tag) = &filter.tag {
        q = q.filter(events::tags.contains(vec![tag.clone()]));
    }
    if let Some(place) = &filter.place {
        q = q.filter(events::location.eq(place.clone()));
    }
    q.order((events::starts_at, events::id))
        .limit(limit)
        .select(Event::as_select())
        .load(conn)
        .await
}
