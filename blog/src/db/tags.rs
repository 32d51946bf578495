//! Queries on `tags` and `post_tags`.

use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use shared::db::schema::{post_tags, tags};
use shared::models::blog::Tag;

use super::PgConn;

/// The tag with this slug, created with `name` if new.
pub async fn upsert_tag(conn: &mut AsyncPgConnection, slug: &str, name: &str) -> QueryResult<Tag> {
    diesel::insert_into(tags::table)
        .values((tags::slug.eq(slug), tags::name.eq(name)))
        .on_conflict(tags::slug)
        .do_update()
        .set(tags::slug.eq(slug))
        .returning(Tag::as_returning())
        .get_result(conn)
        .await
}

/// Every tag with how many posts carry it, by name.
pub async fn tags_with_counts(conn: &mut AsyncPgConnection) -> QueryResult<Vec<(Tag, i64)>> {
    let tags: Vec<Tag> = tags::table
        .order(tags::name)
        .select(Tag::as_select())
        .load(conn)
        .await?;
    let counts: Vec<(i64, i64)> = post_tags::table
        .group_by(post_tags::tag_id)
        .select((post_tags::tag_id, diesel::dsl::count_star()))
        .load(conn)
        .await?;
    Ok(tags
        .into_iter()
        .map(|t| {
            let n = counts
                .iter()
                .find(|(id, _)| *id == t.id)
                .map_or(0, |(_, n)| *n);
            (t, n)
        })
        .collect())
}

/// Renames a tag; `None` when there is no such tag.
pub async fn update_tag(
    conn: &mut AsyncPgConnection,
    id: i64,
    slug: &str,
    name: &str,
    description: &str,
) -> QueryResult<Option<Tag>> {
    diesel::update(tags::table.find(id))
        .set((
            tags::slug.eq(slug),
            tags::name.eq(name),
            tags::description.eq(description),
        ))
        .returning(Tag::as_returning())
        .get_result(conn)
        .await
        .optional()
}

pub async fn delete_tag(conn: &mut AsyncPgConnection, id: i64) -> QueryResult<usize> {
    diesel::delete(tags::table.find(id)).execute(conn).await
}

pub async fn tag_by_slug(conn: &mut AsyncPgConnection, slug: &str) -> QueryResult<Option<Tag>> {
    tags::table
        .filter(tags::slug.eq(slug))
        .select(Tag::as_select())
        .first(conn)
        .await
        .optional()
}

/// Replaces a post's tags, in order.
pub async fn set_post_tags(
    conn: &mut AsyncPgConnection,
    post_id: i64,
    tag_ids: &[i64],
) -> QueryResult<()> {
    diesel::delete(post_tags::table.filter(post_tags::post_id.eq(post_id)))
        .execute(conn)
        .await?;
    let rows: Vec<_> = tag_ids
        .iter()
        .enumerate()
        .map(|(i, tag_id)| {
            (
                post_tags::post_id.eq(post_id),
                post_tags::tag_id.eq(*tag_id),
                post_tags::position.eq(i32::try_from(i).unwrap_or(i32::MAX)),
            )
        })
        .collect();
    if !rows.is_empty() {
        diesel::insert_into(post_tags::table)
            .values(rows)
            .on_conflict_do_nothing()
            .execute(conn)
            .await?;
    }
    Ok(())
}

/// The tags of each post, in the posts' tag order: (post id, tag).
pub async fn tags_of<C: PgConn>(conn: &mut C, post_ids: &[i64]) -> QueryResult<Vec<(i64, Tag)>> {
    post_tags::table
        .inner_join(tags::table)
        .filter(post_tags::post_id.eq_any(post_ids))
        .order((post_tags::post_id, post_tags::position))
        .select((post_tags::post_id, Tag::as_select()))
        .load(conn)
        .await
}
