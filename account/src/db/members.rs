//! What account reads about a member (federation owns `users`; account only reads).

use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use shared::db::schema::users;

/// A member's address and whether they proved it (confirmed sign-up), or `None` for an unknown
/// or disabled account.
pub async fn address(
    conn: &mut AsyncPgConnection,
    user_id: i64,
) -> QueryResult<Option<(String, bool)>> {
    users::table
        .find(user_id)
        .filter(users::disabled_at.is_null())
        .select((users::email, users::email_verified_at.is_not_null()))
        .first(conn)
        .await
        .optional()
}
