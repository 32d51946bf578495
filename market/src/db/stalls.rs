//! Queries on `stalls` and `stall_owners`.

use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use shared::db::schema::{stall_owners, stalls, users};
use shared::models::market::Stall;

/// A stall as its form sets it: an empty image or calendar clears it.
#[derive(Debug, Insertable, AsChangeset)]
#[diesel(table_name = stalls, treat_none_as_null = true)]
pub struct StallFields<'a> {
    pub slug: &'a str,
    pub name: &'a str,
    pub description: &'a str,
    pub image_url: Option<&'a str>,
    pub contact: &'a str,
    pub location: &'a str,
    pub calendar_slug: Option<&'a str>,
}

pub async fn all(conn: &mut AsyncPgConnection) -> QueryResult<Vec<Stall>> {
    stalls::table
        .order((stalls::name, stalls::id))
        .select(Stall::as_select())
        .load(conn)
        .await
}

pub async fn by_slug(conn: &mut AsyncPgConnection, slug: &str) -> QueryResult<Option<Stall>> {
    stalls::table
        .filter(stalls::slug.eq(slug))
        .select(Stall::as_select())
        .first(conn)
        .await
        .optional()
}

pub async fn by_id(conn: &mut AsyncPgConnection, id: i64) -> QueryResult<Option<Stall>> {
    stalls::table
        .find(id)
        .select(Stall::as_select())
        .first(conn)
        .await
        .optional()
}

/// The stalls whose market days are calendar `slug`, by name (at most `limit`).
pub async fn of_calendar(
    conn: &mut AsyncPgConnection,
    slug: &str,
    limit: i64,
) -> QueryResult<Vec<Stall>> {
    stalls::table
        .filter(stalls::calendar_slug.eq(slug))
        .order((stalls::name, stalls::id))
        .limit(limit)
        .select(Stall::as_select())
        .load(conn)
        .await
}

pub async fn insert(conn: &mut AsyncPgConnection, fields: &StallFields<'_>) -> QueryResult<Stall> {
    diesel::insert_into(stalls::table)
        .values(fields)
        .returning(Stall::as_returning())
        .get_result(conn)
        .await
}

pub async fn update(
    conn: &mut AsyncPgConnection,
    id: i64,
    fields: &StallFields<'_>,
) -> QueryResult<Stall> {
    diesel::update(stalls::table.find(id))
        .set(fields)
        .returning(Stall::as_returning())
        .get_result(conn)
        .await
}

pub async fn add_owner(
    conn: &mut AsyncPgConnection,
    stall_id: i64,
    user_id: i64,
) -> QueryResult<()> {
    diesel::insert_into(stall_owners::table)
        .values((
            stall_owners::stall_id.eq(stall_id),
            stall_owners::user_id.eq(user_id),
        ))
        .on_conflict_do_nothing()
        .execute(conn)
        .await
        .map(drop)
}

pub async fn is_owner(
    conn: &mut AsyncPgConnection,
    stall_id: i64,
    user_id: i64,
) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        stall_owners::table
            .filter(stall_owners::stall_id.eq(stall_id))
            .filter(stall_owners::user_id.eq(user_id)),
    ))
    .get_result(conn)
    .await
}

/// The owners' display names (a read of federation's users, for display).
pub async fn owner_names(conn: &mut AsyncPgConnection, stall_id: i64) -> QueryResult<Vec<String>> {
    stall_owners::table
        .inner_join(users::table)
        .filter(stall_owners::stall_id.eq(stall_id))
        .order(users::display_name)
        .select(users::display_name)
        .load(conn)
        .await
}

/// Member ids by username, to assign owners by name (a read of federation's users).
pub async fn user_ids_by_name(
    conn: &mut AsyncPgConnection,
    names: &[String],
) -> QueryResult<Vec<(String, i64)>> {
    users::table
        .filter(users::username.eq_any(names))
        .select((users::username, users::id))
        .load(conn)
        .await
}
