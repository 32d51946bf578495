//! Queries on `calendars` and `calendar_organisers`.

use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use shared::db::schema::{calendar_organisers, calendars, users};
use shared::models::events::Calendar;

#[derive(Debug, Insertable, AsChangeset)]
#[diesel(table_name = calendars)]
pub struct CalendarFields<'a> {
    pub slug: &'a str,
    pub name: &'a str,
    pub description: &'a str,
}

pub async fn all(conn: &mut AsyncPgConnection) -> QueryResult<Vec<Calendar>> {
    calendars::table
        .order((calendars::name, calendars::id))
        .select(Calendar::as_select())
        .load(conn)
        .await
}

pub async fn by_slug(conn: &mut AsyncPgConnection, slug: &str) -> QueryResult<Option<Calendar>> {
    calendars::table
        .filter(calendars::slug.eq(slug))
        .select(Calendar::as_select())
        .first(conn)
        .await
        .optional()
}

pub async fn by_id(conn: &mut AsyncPgConnection, id: i64) -> QueryResult<Option<Calendar>> {
    calendars::table
        .find(id)
        .select(Calendar::as_select())
        .first(conn)
        .await
        .optional()
}

/// The calendar events land in when none is named (the first one, `community` in a fresh
/// database).
pub async fn default_id(conn: &mut AsyncPgConnection) -> QueryResult<i64> {
    calendars::table
        .order(calendars::id)
        .select(calendars::id)
        .first(conn)
        .await
}

pub async fn insert(
    conn: &mut AsyncPgConnection,
    fields: &CalendarFields<'_>,
) -> QueryResult<Calendar> {
    diesel::insert_into(calendars::table)
        .values(fields)
        .returning(Calendar::as_returning())
        .get_result(conn)
        .await
}

pub async fn update(
    conn: &mut AsyncPgConnection,
    id: i64,
    fields: &CalendarFields<'_>,
) -> QueryResult<Calendar> {
    diesel::update(calendars::table.find(id))
        .set(fields)
        .returning(Calendar::as_returning())
        .get_result(conn)
        .await
}

pub async fn is_organiser(
    conn: &mut AsyncPgConnection,
    calendar_id: i64,
    user_id: i64,
) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        calendar_organisers::table
            .filter(calendar_organisers::calendar_id.eq(calendar_id))
            .filter(calendar_organisers::user_id.eq(user_id)),
    ))
    .get_result(conn)
    .await
}

/// The calendars `user_id` organises.
pub async fn organised_by(conn: &mut AsyncPgConnection, user_id: i64) -> QueryResult<Vec<i64>> {
    calendar_organisers::table
        .filter(calendar_organisers::user_id.eq(user_id))
        .select(calendar_organisers::calendar_id)
        .load(conn)
        .await
}

pub async fn organiser_names(
    conn: &mut AsyncPgConnection,
    calendar_id: i64,
) -> QueryResult<Vec<String>> {
    calendar_organisers::table
        .inner_join(users::table)
        .filter(calendar_organisers::calendar_id.eq(calendar_id))
        .order(users::username)
        .select(users::username)
        .load(conn)
        .await
}

/// Makes `user_ids` the calendar's organisers (and nobody else).
pub async fn set_organisers(
    conn: &mut AsyncPgConnection,
    calendar_id: i64,
    user_ids: &[i64],
) -> QueryResult<()> {
    diesel::delete(
        calendar_organisers::table.filter(calendar_organisers::calendar_id.eq(calendar_id)),
    )
    .execute(conn)
    .await?;
    let rows: Vec<_> = user_ids
        .iter()
        .map(|u| {
            (
                calendar_organisers::calendar_id.eq(calendar_id),
                calendar_organisers::user_id.eq(*u),
            )
        })
        .collect();
    diesel::insert_into(calendar_organisers::table)
        .values(&rows)
        .on_conflict_do_nothing()
        .execute(conn)
        .await?;
    Ok(())
}

/// Ids of the members with these usernames (unknown names are left out).
pub async fn user_ids(
    conn: &mut AsyncPgConnection,
    names: &[String],
) -> QueryResult<Vec<(i64, String)>> {
    users::table
        .filter(users::username.eq_any(names))
        .select((users::id, users::username))
        .load(conn)
        .await
}
