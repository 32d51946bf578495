//! The public members directory (federation's home page).

use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use shared::db::schema::users;
use shared::models::users::User;

/// The first `limit` members, oldest first.
pub async fn directory(conn: &mut AsyncPgConnection, limit: i64) -> QueryResult<Vec<User>> {
    users::table
        .order(users::created_at)
        .limit(limit)
        .select(User::as_select())
        .load(conn)
        .await
}
