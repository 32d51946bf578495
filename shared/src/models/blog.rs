//! Posts and navigation menus (owned by blog).

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};

use crate::db::schema::{nav_items, posts, users};

#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = posts)]
pub struct Post {
    pub id: i64,
    pub slug: String,
    pub title: String,
    pub excerpt: String,
    pub html: String,
    pub feature_image: Option<String>,
    pub status: String,
    pub author_id: Option<i64>,
    pub published_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = posts)]
pub struct NewPost<'a> {
    pub slug: &'a str,
    pub title: &'a str,
    pub excerpt: &'a str,
    pub html: &'a str,
    pub feature_image: Option<&'a str>,
    pub status: &'a str,
    pub author_id: Option<i64>,
    pub published_at: Option<DateTime<Utc>>,
}

/// A published post with its author's display name, for listings.
#[derive(Debug, Clone)]
pub struct PostWithAuthor {
    pub post: Post,
    pub author: Option<String>,
}

pub async fn published(
    conn: &mut AsyncPgConnection,
    limit: i64,
    offset: i64,
) -> QueryResult<Vec<PostWithAuthor>> {
    let rows: Vec<(Post, Option<String>)> = posts::table
        .left_join(users::table)
        .filter(posts::status.eq("published"))
        .order((posts::published_at.desc(), posts::id.desc()))
        .limit(limit)
        .offset(offset)
        .select((Post::as_select(), users::display_name.nullable()))
        .load(conn)
        .await?;
    Ok(rows
        .into_iter()
        .map(|(post, author)| PostWithAuthor { post, author })
        .collect())
}

pub async fn count_published(conn: &mut AsyncPgConnection) -> QueryResult<i64> {
    posts::table
        .filter(posts::status.eq("published"))
        .count()
        .get_result(conn)
        .await
}

pub async fn published_by_slug(
    conn: &mut AsyncPgConnection,
    slug: &str,
) -> QueryResult<Option<PostWithAuthor>> {
    let row: Option<(Post, Option<String>)> = posts::table
        .left_join(users::table)
        .filter(posts::slug.eq(slug))
        .filter(posts::status.eq("published"))
        .select((Post::as_select(), users::display_name.nullable()))
        .first(conn)
        .await
        .optional()?;
    Ok(row.map(|(post, author)| PostWithAuthor { post, author }))
}

pub async fn insert_post(conn: &mut AsyncPgConnection, new: &NewPost<'_>) -> QueryResult<Post> {
    diesel::insert_into(posts::table)
        .values(new)
        .returning(Post::as_returning())
        .get_result(conn)
        .await
}

#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = nav_items)]
pub struct NavItem {
    pub id: i64,
    pub menu: String,
    pub label: String,
    pub url: String,
    pub position: i32,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = nav_items)]
pub struct NewNavItem<'a> {
    pub menu: &'a str,
    pub label: &'a str,
    pub url: &'a str,
    pub position: i32,
}

pub async fn menu(conn: &mut AsyncPgConnection, menu: &str) -> QueryResult<Vec<NavItem>> {
    nav_items::table
        .filter(nav_items::menu.eq(menu))
        .order((nav_items::position, nav_items::id))
        .select(NavItem::as_select())
        .load(conn)
        .await
}

pub async fn insert_nav_item(
    conn: &mut AsyncPgConnection,
    new: &NewNavItem<'_>,
) -> QueryResult<NavItem> {
    diesel::insert_into(nav_items::table)
        .values(new)
        .returning(NavItem::as_returning())
        .get_result(conn)
        .await
}
