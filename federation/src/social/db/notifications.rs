//! A member's notifications (`social_notifications`): one per (member, kind, actor, object),
//! so a handler that runs twice notifies once.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use shared::db::schema::social_notifications;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = social_notifications)]
pub struct Notification {
    pub id: i64,
    pub user_id: i64,
    pub kind: String,
    pub actor: String,
    pub object_id: Option<String>,
    pub created_at: DateTime<Utc>,
    pub read_at: Option<DateTime<Utc>>,
}

/// Records a notification; whether it is new.
pub async fn add(
    conn: &mut AsyncPgConnection,
    user_id: i64,
    kind: &str,
    actor: &str,
    object_id: Option<&str>,
) -> QueryResult<bool> {
    diesel::insert_into(social_notifications::table)
        .values((
            social_notifications::user_id.eq(user_id),
            social_notifications::kind.eq(kind),
            social_notifications::actor.eq(actor),
            social_notifications::object_id.eq(object_id),
        ))
        .on_conflict_do_nothing()
        .execute(conn)
        .await
        .map(|n| n > 0)
}

/// Removes a notification whose cause was undone (an unliked post, a withdrawn request).
pub async fn remove(
    conn: &mut AsyncPgConnection,
    user_id: i64,
    kind: &str,
    actor: &str,
    object_id: Option<&str>,
) -> QueryResult<usize> {
    let query = social_notifications::table
        .filter(social_notifications::user_id.eq(user_id))
        .filter(social_notifications::kind.eq(kind))
        .filter(social_notifications::actor.eq(actor));
    match object_id {
        Some(o) => {
            diesel::delete(query.filter(social_notifications::object_id.eq(o)))
                .execute(conn)
                .await
        }
        None => {
            diesel::delete(query.filter(social_notifications::object_id.is_null()))
                .execute(conn)
                .await
        }
    }
}

/// Newest first, older than `before` (keyset).
pub async fn page(
    conn: &mut AsyncPgConnection,
    user_id: i64,
    before: Option<i64>,
    limit: i64,
) -> QueryResult<Vec<Notification>> {
    social_notifications::table
        .filter(social_notifications::user_id.eq(user_id))
        .filter(social_notifications::id.lt(before.unwrap_or(i64::MAX)))
        .order(social_notifications::id.desc())
        .limit(limit)
        .select(Notification::as_select())
        .load(conn)
        .await
}

pub async fn unread(mut conn: &AsyncPgConnection, user_id: i64) -> QueryResult<i64> {
    social_notifications::table
        .filter(social_notifications::user_id.eq(user_id))
        .filter(social_notifications::read_at.is_null())
        .count()
        .get_result(&mut conn)
        .await
}

pub async fn mark_all_read(conn: &mut AsyncPgConnection, user_id: i64) -> QueryResult<usize> {
    diesel::update(
        social_notifications::table
            .filter(social_notifications::user_id.eq(user_id))
            .filter(social_notifications::read_at.is_null()),
    )
    .set(social_notifications::read_at.eq(diesel::dsl::now))
    .execute(conn)
    .await
}
