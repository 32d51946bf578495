//! Queries on `post_meta`: a post's SEO and social fields.

use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use shared::db::schema::post_meta;
use shared::models::blog::PostMeta;

use super::PgConn;

pub async fn post_meta<C: PgConn>(conn: &mut C, post_id: i64) -> QueryResult<PostMeta> {
    Ok(post_meta::table
        .find(post_id)
        .select(PostMeta::as_select())
        .first(conn)
        .await
        .optional()?
        .unwrap_or_default())
}

pub async fn set_post_meta(
    conn: &mut AsyncPgConnection,
    post_id: i64,
    meta: &PostMeta,
) -> QueryResult<()> {
    if *meta == PostMeta::default() {
        diesel::delete(post_meta::table.find(post_id))
            .execute(conn)
            .await?;
        return Ok(());
    }
    let values = (
        post_meta::post_id.eq(post_id),
        post_meta::meta_title.eq(&meta.meta_title),
        post_meta::meta_description.eq(&meta.meta_description),
        post_meta::canonical_url.eq(&meta.canonical_url),
        post_meta::og_title.eq(&meta.og_title),
        post_meta::og_description.eq(&meta.og_description),
        post_meta::og_image.eq(&meta.og_image),
    );
    diesel::insert_into(post_meta::table)
        .values(values)
        .on_conflict(post_meta::post_id)
        .do_update()
        .set((
            post_meta::meta_title.eq(&meta.meta_title),
            post_meta::meta_description.eq(&meta.meta_description),
            post_meta::canonical_url.eq(&meta.canonical_url),
            post_meta::og_title.eq(&meta.og_title),
            post_meta::og_description.eq(&meta.og_description),
            post_meta::og_image.eq(&meta.og_image),
        ))
        .execute(conn)
        .await
        .map(drop)
}
