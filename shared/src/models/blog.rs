//! Posts, tags, replies, settings and navigation menus (owned by blog): the row types every app
//! may read, and the reads other apps need. The blog's own queries and writes live in its `db/`.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};

use crate::db::schema::{blog_settings, nav_items, post_comments, post_meta, posts, tags};

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
    pub kind: String,
    pub markdown: Option<String>,
    pub feature_image_alt: Option<String>,
    pub ap_object_id: Option<String>,
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

/// Everything the editor writes (a new post, or every field of a save).
#[derive(Debug, Insertable, AsChangeset)]
#[diesel(table_name = posts, treat_none_as_null = true)]
pub struct PostFields<'a> {
    pub kind: &'a str,
    pub slug: &'a str,
    pub title: &'a str,
    pub excerpt: &'a str,
    pub html: &'a str,
    pub markdown: Option<&'a str>,
    pub feature_image: Option<&'a str>,
    pub feature_image_alt: Option<&'a str>,
    pub status: &'a str,
    pub author_id: Option<i64>,
    pub published_at: Option<DateTime<Utc>>,
}

/// SEO and social fields of a post (`post_meta`); all empty means no row.
#[derive(
    Debug,
    Clone,
    Default,
    PartialEq,
    Eq,
    Queryable,
    Selectable,
    serde::Serialize,
    serde::Deserialize,
)]
#[diesel(table_name = post_meta)]
pub struct PostMeta {
    pub meta_title: Option<String>,
    pub meta_description: Option<String>,
    pub canonical_url: Option<String>,
    pub og_title: Option<String>,
    pub og_description: Option<String>,
    pub og_image: Option<String>,
}

#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = tags)]
pub struct Tag {
    pub id: i64,
    pub slug: String,
    pub name: String,
    pub description: String,
    pub created_at: DateTime<Utc>,
    pub ghost_id: Option<String>,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = blog_settings)]
pub struct BlogSettings {
    pub title: String,
    pub description: String,
    pub federate_as: String,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = post_comments)]
pub struct Comment {
    pub id: i64,
    pub post_id: i64,
    pub object_id: String,
    pub actor_id: String,
    pub author_name: String,
    pub author_url: Option<String>,
    pub html: String,
    pub published_at: DateTime<Utc>,
    pub status: String,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = post_comments)]
pub struct NewComment<'a> {
    pub post_id: i64,
    pub object_id: &'a str,
    pub actor_id: &'a str,
    pub author_name: &'a str,
    pub author_url: Option<&'a str>,
    pub html: &'a str,
    pub published_at: DateTime<Utc>,
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

/// A menu's items, in order: the read behind the `Navigation` contract, which every app's
/// header shows (the blog's admin edits the menus through its own `db/navigation.rs`).
pub async fn menu(conn: &mut AsyncPgConnection, menu: &str) -> QueryResult<Vec<NavItem>> {
    nav_items::table
        .filter(nav_items::menu.eq(menu))
        .order((nav_items::position, nav_items::id))
        .select(NavItem::as_select())
        .load(conn)
        .await
}

/// The latest published posts (not pages), newest first: the `Publications` contract's list.
pub async fn recent_published_posts(
    conn: &mut AsyncPgConnection,
    limit: i64,
) -> QueryResult<Vec<Post>> {
    posts::table
        .filter(posts::status.eq("published"))
        .filter(posts::kind.eq("post"))
        .order((posts::published_at.desc().nulls_last(), posts::id.desc()))
        .limit(limit)
        .select(Post::as_select())
        .load(conn)
        .await
}

/// A published post (not a page) by id.
pub async fn published_post(conn: &mut AsyncPgConnection, id: i64) -> QueryResult<Option<Post>> {
    posts::table
        .find(id)
        .filter(posts::status.eq("published"))
        .filter(posts::kind.eq("post"))
        .select(Post::as_select())
        .first(conn)
        .await
        .optional()
}

/// Published posts and pages, counted for the fleet's NodeInfo (`usage.localPosts`).
pub async fn published_count(conn: &mut AsyncPgConnection) -> QueryResult<i64> {
    posts::table
        .filter(posts::status.eq("published"))
        .count()
        .get_result(conn)
        .await
}
