//! Replies from the fediverse (`post_comments`): stored from the bus, moderated, shown.

use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use shared::db::schema::{post_comments, posts};
use shared::models::blog::{Comment, NewComment};

use super::PgConn;

/// Stores a reply once (by object id); `None` when it was already there.
pub async fn insert_comment(
    conn: &mut AsyncPgConnection,
    new: &NewComment<'_>,
) -> QueryResult<Option<i64>> {
    diesel::insert_into(post_comments::table)
        .values(new)
        .on_conflict(post_comments::object_id)
        .do_nothing()
        .returning(post_comments::id)
        .get_result(conn)
        .await
        .optional()
}

/// A remote edit of a reply: new text, back to moderation if it had been approved.
pub async fn update_comment_html(
    conn: &mut AsyncPgConnection,
    object_id: &str,
    actor_id: &str,
    html: &str,
) -> QueryResult<Option<i64>> {
    diesel::update(
        post_comments::table
            .filter(post_comments::object_id.eq(object_id))
            .filter(post_comments::actor_id.eq(actor_id)),
    )
    .set((
        post_comments::html.eq(html),
        post_comments::status.eq(diesel::dsl::sql::<diesel::sql_types::Text>(
            "CASE WHEN status = 'hidden' THEN 'hidden' ELSE 'pending' END",
        )),
    ))
    .returning(post_comments::post_id)
    .get_result(conn)
    .await
    .optional()
}

/// Removes a reply its author deleted; returns its post.
pub async fn delete_comment(
    conn: &mut AsyncPgConnection,
    object_id: &str,
    actor_id: &str,
) -> QueryResult<Option<i64>> {
    diesel::delete(
        post_comments::table
            .filter(post_comments::object_id.eq(object_id))
            .filter(post_comments::actor_id.eq(actor_id)),
    )
    .returning(post_comments::post_id)
    .get_result(conn)
    .await
    .optional()
}

pub async fn approved_comments<C: PgConn>(conn: &mut C, post_id: i64) -> QueryResult<Vec<Comment>> {
    post_comments::table
        .filter(post_comments::post_id.eq(post_id))
        .filter(post_comments::status.eq("approved"))
        .order((post_comments::published_at, post_comments::id))
        .select(Comment::as_select())
        .load(conn)
        .await
}

/// Comments for moderation, with their post's title and slug.
pub async fn comments_for_moderation(
    conn: &mut AsyncPgConnection,
    limit: i64,
) -> QueryResult<Vec<(Comment, String, String)>> {
    post_comments::table
        .inner_join(posts::table)
        .order((
            post_comments::status.eq("pending").desc(),
            post_comments::created_at.desc(),
        ))
        .limit(limit)
        .select((Comment::as_select(), posts::title, posts::slug))
        .load(conn)
        .await
}

/// Sets a comment's status; returns its post.
pub async fn set_comment_status(
    conn: &mut AsyncPgConnection,
    id: i64,
    status: &str,
) -> QueryResult<Option<i64>> {
    diesel::update(post_comments::table.find(id))
        .set(post_comments::status.eq(status))
        .returning(post_comments::post_id)
        .get_result(conn)
        .await
        .optional()
}
