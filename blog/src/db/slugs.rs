//! Slugs and their history (`post_slug_history`): uniqueness, and redirects from old slugs.

use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use shared::db::schema::{post_slug_history, posts};

/// Remembers `old` as a former slug of `post_id`; a post taking `new` back drops it from history.
pub async fn record_slug_change(
    conn: &mut AsyncPgConnection,
    post_id: i64,
    old: &str,
    new: &str,
) -> QueryResult<()> {
    diesel::delete(post_slug_history::table.filter(post_slug_history::slug.eq(new)))
        .execute(conn)
        .await?;
    diesel::insert_into(post_slug_history::table)
        .values((
            post_slug_history::slug.eq(old),
            post_slug_history::post_id.eq(post_id),
        ))
        .on_conflict(post_slug_history::slug)
        .do_update()
        .set(post_slug_history::post_id.eq(post_id))
        .execute(conn)
        .await
        .map(drop)
}

/// Whether a slug is taken by another post, now or in a post's history.
pub async fn slug_taken(
    conn: &mut AsyncPgConnection,
    slug: &str,
    except_post: Option<i64>,
) -> QueryResult<bool> {
    let except = except_post.unwrap_or(0);
    let current: i64 = posts::table
        .filter(posts::slug.eq(slug))
        .filter(posts::id.ne(except))
        .count()
        .get_result(conn)
        .await?;
    let historic: i64 = post_slug_history::table
        .filter(post_slug_history::slug.eq(slug))
        .filter(post_slug_history::post_id.ne(except))
        .count()
        .get_result(conn)
        .await?;
    Ok(current + historic > 0)
}

/// The current (kind, slug) of the published post that once had `slug`.
pub async fn redirect_for(
    conn: &mut AsyncPgConnection,
    slug: &str,
) -> QueryResult<Option<(String, String)>> {
    post_slug_history::table
        .inner_join(posts::table)
        .filter(post_slug_history::slug.eq(slug))
        .filter(posts::status.eq("published"))
        .select((posts::kind, posts::slug))
        .first(conn)
        .await
        .optional()
}
