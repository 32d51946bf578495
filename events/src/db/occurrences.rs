//! Queries on `event_occurrences`: the dates lists, feeds and bookings are about.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use shared::db::schema::{event_occurrences as occ, events};
use shared::models::events::{Event, Occurrence};

/// Which public dates a listing shows.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub calendar_id: Option<i64>,
    pub tag: Option<String>,
    pub place: Option<String>,
}

/// Where in time a listing looks.
#[derive(Debug, Clone, Copy)]
pub enum Span {
    /// Not over at this moment, soonest first.
    Upcoming(DateTime<Utc>),
    /// Over before this moment, latest first (the archive).
    Past(DateTime<Utc>),
    /// Starting in `[from, to)`, in order (month and week views).
    Window(DateTime<Utc>, DateTime<Utc>),
}

/// Dates of public events (cancelled ones included, marked) matching `filter` in `span`.
pub async fn listing(
    conn: &mut AsyncPgConnection,
    filter: &Filter,
    span: Span,
    limit: i64,
    offset: i64,
) -> QueryResult<Vec<(Occurrence, Event)>> {
    let mut q = occ::table
        .inner_join(events::table)
        .filter(events::visibility.eq("public"))
        .filter(occ::removed.eq(false))
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
    q = match span {
        Span::Upcoming(now) => q
            .filter(
                occ::ends_at
                    .ge(now)
                    .or(occ::ends_at.is_null().and(occ::starts_at.ge(now))),
            )
            .order((occ::starts_at.asc(), occ::id.asc())),
        Span::Past(now) => q
            .filter(
                occ::ends_at
                    .lt(now)
                    .or(occ::ends_at.is_null().and(occ::starts_at.lt(now))),
            )
            .order((occ::starts_at.desc(), occ::id.desc())),
        Span::Window(from, to) => q
            .filter(occ::starts_at.ge(from))
            .filter(occ::starts_at.lt(to))
            .order((occ::starts_at.asc(), occ::id.asc())),
    };
    q.limit(limit)
        .offset(offset)
        .select((Occurrence::as_select(), Event::as_select()))
        .load(conn)
        .await
}

/// Every date of an event, removed ones included, in order.
pub async fn of_event(conn: &mut AsyncPgConnection, event_id: i64) -> QueryResult<Vec<Occurrence>> {
    occ::table
        .filter(occ::event_id.eq(event_id))
        .order((occ::starts_at, occ::id))
        .select(Occurrence::as_select())
        .load(conn)
        .await
}

/// Every date of these events, in order.
pub async fn of_events(
    conn: &mut AsyncPgConnection,
    event_ids: &[i64],
) -> QueryResult<Vec<Occurrence>> {
    occ::table
        .filter(occ::event_id.eq_any(event_ids))
        .order((occ::event_id, occ::starts_at, occ::id))
        .select(Occurrence::as_select())
        .load(conn)
        .await
}

pub async fn by_id(
    conn: &mut AsyncPgConnection,
    event_id: i64,
    id: i64,
) -> QueryResult<Option<Occurrence>> {
    occ::table
        .filter(occ::id.eq(id))
        .filter(occ::event_id.eq(event_id))
        .select(Occurrence::as_select())
        .first(conn)
        .await
        .optional()
}

/// A new date of a series: the instance it stands for and its times.
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = occ)]
pub struct NewOccurrence {
    pub event_id: i64,
    pub original_start: DateTime<Utc>,
    pub series_version: i32,
    pub starts_at: DateTime<Utc>,
    pub ends_at: Option<DateTime<Utc>>,
}

/// Adds dates that do not exist yet (an instance already there, edited or removed, stays as
/// it is). Returns how many were added.
pub async fn insert_missing(
    conn: &mut AsyncPgConnection,
    rows: &[NewOccurrence],
) -> QueryResult<usize> {
    if rows.is_empty() {
        return Ok(0);
    }
    diesel::insert_into(occ::table)
        .values(rows)
        .on_conflict((occ::event_id, occ::original_start))
        .do_nothing()
        .execute(conn)
        .await
}

/// Freezes the event's title and place into its dates that started before `now` and have
/// none of their own, so a later edit of the series leaves the past as it was.
pub async fn freeze_past(
    conn: &mut AsyncPgConnection,
    event: &Event,
    now: DateTime<Utc>,
) -> QueryResult<usize> {
    use diesel::sql_types::{Int8, Text, Timestamptz};
    diesel::sql_query(
        "UPDATE event_occurrences SET title = COALESCE(title, $1), location = COALESCE(location, $2) \
         WHERE event_id = $3 AND starts_at < $4",
    )
    .bind::<Text, _>(&event.title)
    .bind::<Text, _>(&event.location)
    .bind::<Int8, _>(event.id)
    .bind::<Timestamptz, _>(now)
    .execute(conn)
    .await
}

/// Moves a date to a new instance of the series (its bookings stay with it).
pub async fn reassign(
    conn: &mut AsyncPgConnection,
    id: i64,
    original_start: DateTime<Utc>,
    series_version: i32,
    times: Option<(DateTime<Utc>, Option<DateTime<Utc>>)>,
) -> QueryResult<()> {
    match times {
        Some((starts_at, ends_at)) => {
            diesel::update(occ::table.find(id))
                .set((
                    occ::original_start.eq(original_start),
                    occ::series_version.eq(series_version),
                    occ::starts_at.eq(starts_at),
                    occ::ends_at.eq(ends_at),
                    occ::sequence.eq(occ::sequence + 1),
                ))
                .execute(conn)
                .await?
        }
        None => {
            diesel::update(occ::table.find(id))
                .set((
                    occ::original_start.eq(original_start),
                    occ::series_version.eq(series_version),
                ))
                .execute(conn)
                .await?
        }
    };
    Ok(())
}

/// Moves the instance keys of these dates out of the way (far in the past) so that they can
/// be reassigned one by one without clashing with each other.
pub async fn park(conn: &mut AsyncPgConnection, ids: &[i64]) -> QueryResult<usize> {
    use diesel::sql_types::{Array, Int8};
    diesel::sql_query(
        "UPDATE event_occurrences SET original_start = original_start - interval '5000 years' \
         WHERE id = ANY($1)",
    )
    .bind::<Array<Int8>, _>(ids)
    .execute(conn)
    .await
}

pub async fn delete(conn: &mut AsyncPgConnection, ids: &[i64]) -> QueryResult<usize> {
    diesel::delete(occ::table.filter(occ::id.eq_any(ids)))
        .execute(conn)
        .await
}

/// What an organiser changes on one date.
#[derive(Debug, Clone, AsChangeset)]
#[diesel(table_name = occ, treat_none_as_null = true)]
pub struct OccurrenceEdit {
    pub starts_at: DateTime<Utc>,
    pub ends_at: Option<DateTime<Utc>>,
    pub title: Option<String>,
    pub location: Option<String>,
    pub status: Option<String>,
    pub removed: bool,
}

pub async fn edit(
    conn: &mut AsyncPgConnection,
    id: i64,
    edit: &OccurrenceEdit,
) -> QueryResult<Occurrence> {
    diesel::update(occ::table.find(id))
        .set((
            edit,
            occ::detached.eq(true),
            occ::sequence.eq(occ::sequence + 1),
        ))
        .returning(Occurrence::as_returning())
        .get_result(conn)
        .await
}

/// Follows a single event's new times (its one date is the event).
pub async fn retime_single(conn: &mut AsyncPgConnection, event: &Event) -> QueryResult<usize> {
    diesel::update(occ::table.filter(occ::event_id.eq(event.id)))
        .set((
            occ::original_start.eq(event.starts_at),
            occ::starts_at.eq(event.starts_at),
            occ::ends_at.eq(event.ends_at),
            occ::series_version.eq(event.series_version),
        ))
        .execute(conn)
        .await
}

/// A date by its id alone (a guest's link and a reminder know only that).
pub async fn by_plain_id(conn: &mut AsyncPgConnection, id: i64) -> QueryResult<Option<Occurrence>> {
    occ::table
        .find(id)
        .select(Occurrence::as_select())
        .first(conn)
        .await
        .optional()
}

/// When the date starts.
pub async fn starts_at(conn: &mut AsyncPgConnection, id: i64) -> QueryResult<DateTime<Utc>> {
    occ::table.find(id).select(occ::starts_at).first(conn).await
}

/// The event's next date not over by `now` and not taken out of the series (cancelled ones
/// included: a cancelled event still says when it was to be); `None` when all are over.
pub async fn next_of(
    conn: &mut AsyncPgConnection,
    event_id: i64,
    now: DateTime<Utc>,
) -> QueryResult<Option<Occurrence>> {
    occ::table
        .filter(occ::event_id.eq(event_id))
        .filter(occ::removed.eq(false))
        .filter(
            occ::ends_at
                .ge(now)
                .or(occ::ends_at.is_null().and(occ::starts_at.ge(now))),
        )
        .order((occ::starts_at, occ::id))
        .select(Occurrence::as_select())
        .first(conn)
        .await
        .optional()
}

/// The event's last date (for an event that is over).
pub async fn last_of(
    conn: &mut AsyncPgConnection,
    event_id: i64,
) -> QueryResult<Option<Occurrence>> {
    occ::table
        .filter(occ::event_id.eq(event_id))
        .filter(occ::removed.eq(false))
        .order((occ::starts_at.desc(), occ::id.desc()))
        .select(Occurrence::as_select())
        .first(conn)
        .await
        .optional()
}
