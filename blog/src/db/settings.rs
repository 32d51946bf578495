//! The blog's one row of settings (`blog_settings`).

use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use shared::db::schema::blog_settings;
use shared::models::blog::BlogSettings;

pub async fn settings(conn: &mut AsyncPgConnection) -> QueryResult<BlogSettings> {
    blog_settings::table
        .select(BlogSettings::as_select())
        .first(conn)
        .await
}

pub async fn update_settings(
    conn: &mut AsyncPgConnection,
    title: &str,
    description: &str,
    federate_as: &str,
) -> QueryResult<()> {
    diesel::update(blog_settings::table)
        .set((
            blog_settings::title.eq(title),
            blog_settings::description.eq(description),
            blog_settings::federate_as.eq(federate_as),
        ))
        .execute(conn)
        .await
        .map(drop)
}
