//! A post's authors (`post_authors`), and which users may be named as one.

use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use shared::contracts::dtos::Role;
use shared::db::schema::{post_authors, posts, users};

use super::PgConn;

/// Replaces a post's authors, in order (the first is the primary author, `posts.author_id`).
pub async fn set_post_authors(
    conn: &mut AsyncPgConnection,
    post_id: i64,
    user_ids: &[i64],
) -> QueryResult<()> {
    diesel::delete(post_authors::table.filter(post_authors::post_id.eq(post_id)))
        .execute(conn)
        .await?;
    let rows: Vec<_> = user_ids
        .iter()
        .enumerate()
        .map(|(i, user_id)| {
            (
                post_authors::post_id.eq(post_id),
                post_authors::user_id.eq(*user_id),
                post_authors::position.eq(i32::try_from(i).unwrap_or(i32::MAX)),
            )
        })
        .collect();
    if !rows.is_empty() {
        diesel::insert_into(post_authors::table)
            .values(rows)
            .on_conflict_do_nothing()
            .execute(conn)
            .await?;
    }
    diesel::update(posts::table.find(post_id))
        .set(posts::author_id.eq(user_ids.first().copied()))
        .execute(conn)
        .await
        .map(drop)
}

/// A post's authors' ids, in order.
pub async fn author_ids_of(conn: &mut AsyncPgConnection, post_id: i64) -> QueryResult<Vec<i64>> {
    post_authors::table
        .filter(post_authors::post_id.eq(post_id))
        .order(post_authors::position)
        .select(post_authors::user_id)
        .load(conn)
        .await
}

/// The authors of each post, in order: (post id, display name, username).
pub async fn authors_of<C: PgConn>(
    conn: &mut C,
    post_ids: &[i64],
) -> QueryResult<Vec<(i64, String, String)>> {
    post_authors::table
        .inner_join(users::table)
        .filter(post_authors::post_id.eq_any(post_ids))
        .order((post_authors::post_id, post_authors::position))
        .select((post_authors::post_id, users::display_name, users::username))
        .load(conn)
        .await
}

/// Of `ids`, those of users who may write (authors, editors, administrators).
pub async fn writers_among(conn: &mut AsyncPgConnection, ids: &[i64]) -> QueryResult<Vec<i64>> {
    users::table
        .filter(users::id.eq_any(ids))
        .filter(users::role.eq_any(Role::WRITERS.map(Role::as_str)))
        .select(users::id)
        .load(conn)
        .await
}
