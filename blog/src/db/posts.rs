//! Queries on `posts`: listings, the editor's reads and writes, publishing.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use shared::db::schema::{post_authors, post_tags, posts, users};
use shared::models::blog::{NewPost, Post, PostFields};

/// A published post with its author's display name, for listings.
#[derive(Debug, Clone)]
pub struct PostWithAuthor {
    pub post: Post,
    /// The author's display name.
    pub author: Option<String>,
    /// The author's username (their page is `/author/<username>`).
    pub author_username: Option<String>,
}

type AuthorColumns = (
    diesel::dsl::Nullable<users::display_name>,
    diesel::dsl::Nullable<users::username>,
);

fn author_columns() -> AuthorColumns {
    (users::display_name.nullable(), users::username.nullable())
}

type AuthoredRow = (Post, (Option<String>, Option<String>));

fn with_author(rows: Vec<AuthoredRow>) -> Vec<PostWithAuthor> {
    rows.into_iter()
        .map(|(post, (author, author_username))| PostWithAuthor {
            post,
            author,
            author_username,
        })
        .collect()
}

/// Published posts (`kind` "post") or pages, newest first.
pub async fn published(
    conn: &mut AsyncPgConnection,
    limit: i64,
    offset: i64,
) -> QueryResult<Vec<PostWithAuthor>> {
    let rows = posts::table
        .left_join(users::table)
        .filter(posts::status.eq("published"))
        .filter(posts::kind.eq("post"))
        .order((posts::published_at.desc(), posts::id.desc()))
        .limit(limit)
        .offset(offset)
        .select((Post::as_select(), author_columns()))
        .load::<AuthoredRow>(conn)
        .await?;
    Ok(with_author(rows))
}

pub async fn count_published(conn: &mut AsyncPgConnection) -> QueryResult<i64> {
    posts::table
        .filter(posts::status.eq("published"))
        .filter(posts::kind.eq("post"))
        .count()
        .get_result(conn)
        .await
}

/// A published post or page by its current slug.
pub async fn published_by_slug(
    conn: &mut AsyncPgConnection,
    kind: &str,
    slug: &str,
) -> QueryResult<Option<PostWithAuthor>> {
    let rows = posts::table
        .left_join(users::table)
        .filter(posts::slug.eq(slug))
        .filter(posts::kind.eq(kind))
        .filter(posts::status.eq("published"))
        .select((Post::as_select(), author_columns()))
        .limit(1)
        .load::<AuthoredRow>(conn)
        .await?;
    Ok(with_author(rows).pop())
}

/// Any post by id, with its author (the editor and preview read drafts too).
pub async fn post_with_author(
    conn: &mut AsyncPgConnection,
    id: i64,
) -> QueryResult<Option<PostWithAuthor>> {
    let rows = posts::table
        .left_join(users::table)
        .filter(posts::id.eq(id))
        .select((Post::as_select(), author_columns()))
        .limit(1)
        .load::<AuthoredRow>(conn)
        .await?;
    Ok(with_author(rows).pop())
}

/// Which published posts a listing shows.
#[derive(Debug, Clone, Copy)]
pub enum Listing {
    /// Posts carrying the tag (pages too, if tagged).
    Tag(i64),
    /// One author's posts.
    Author(i64),
}

/// One page of a listing, newest first, and how many it holds in all.
pub async fn published_listing(
    conn: &mut AsyncPgConnection,
    listing: Listing,
    limit: i64,
    offset: i64,
) -> QueryResult<(Vec<PostWithAuthor>, i64)> {
    let tagged = |tag_id: i64| {
        post_tags::table
            .filter(post_tags::tag_id.eq(tag_id))
            .select(post_tags::post_id)
    };
    let written_by = |user_id: i64| {
        post_authors::table
            .filter(post_authors::user_id.eq(user_id))
            .select(post_authors::post_id)
    };
    let mut count = posts::table
        .filter(posts::status.eq("published"))
        .into_boxed();
    let mut rows = posts::table
        .left_join(users::table)
        .filter(posts::status.eq("published"))
        .into_boxed();
    match listing {
        Listing::Tag(tag_id) => {
            count = count.filter(posts::id.eq_any(tagged(tag_id)));
            rows = rows.filter(posts::id.eq_any(tagged(tag_id)));
        }
        Listing::Author(author_id) => {
            count = count
                .filter(posts::kind.eq("post"))
                .filter(posts::id.eq_any(written_by(author_id)));
            rows = rows
                .filter(posts::kind.eq("post"))
                .filter(posts::id.eq_any(written_by(author_id)));
        }
    }
    let total = count.count().get_result(conn).await?;
    let rows = rows
        .order((posts::published_at.desc(), posts::id.desc()))
        .limit(limit)
        .offset(offset)
        .select((Post::as_select(), author_columns()))
        .load::<AuthoredRow>(conn)
        .await?;
    Ok((with_author(rows), total))
}

/// Every published post and page, for the sitemap: (kind, slug, updated_at).
pub async fn published_index(
    conn: &mut AsyncPgConnection,
) -> QueryResult<Vec<(String, String, DateTime<Utc>)>> {
    posts::table
        .filter(posts::status.eq("published"))
        .order((posts::published_at.desc(), posts::id.desc()))
        .select((posts::kind, posts::slug, posts::updated_at))
        .load(conn)
        .await
}

/// Posts for the editor's list: everyone's for editors (`author_id` None), else one author's.
pub async fn editor_list(
    conn: &mut AsyncPgConnection,
    author_id: Option<i64>,
    limit: i64,
) -> QueryResult<Vec<PostWithAuthor>> {
    let mut query = posts::table
        .left_join(users::table)
        .order(posts::updated_at.desc())
        .limit(limit)
        .select((Post::as_select(), author_columns()))
        .into_boxed();
    if let Some(author_id) = author_id {
        let written = post_authors::table
            .filter(post_authors::user_id.eq(author_id))
            .select(post_authors::post_id);
        query = query.filter(posts::author_id.eq(author_id).or(posts::id.eq_any(written)));
    }
    let rows = query.load::<AuthoredRow>(conn).await?;
    Ok(with_author(rows))
}

pub async fn insert_post(conn: &mut AsyncPgConnection, new: &NewPost<'_>) -> QueryResult<Post> {
    let post = diesel::insert_into(posts::table)
        .values(new)
        .returning(Post::as_returning())
        .get_result(conn)
        .await?;
    record_primary_author(conn, &post).await?;
    Ok(post)
}

/// A new post's author is its first entry in `post_authors`.
async fn record_primary_author(conn: &mut AsyncPgConnection, post: &Post) -> QueryResult<()> {
    if let Some(author_id) = post.author_id {
        diesel::insert_into(post_authors::table)
            .values((
                post_authors::post_id.eq(post.id),
                post_authors::user_id.eq(author_id),
                post_authors::position.eq(0),
            ))
            .on_conflict_do_nothing()
            .execute(conn)
            .await?;
    }
    Ok(())
}

pub async fn insert_post_fields(
    conn: &mut AsyncPgConnection,
    fields: &PostFields<'_>,
) -> QueryResult<Post> {
    let post = diesel::insert_into(posts::table)
        .values(fields)
        .returning(Post::as_returning())
        .get_result(conn)
        .await?;
    record_primary_author(conn, &post).await?;
    Ok(post)
}

/// The post, locked for the rest of the transaction.
pub async fn post_for_update(conn: &mut AsyncPgConnection, id: i64) -> QueryResult<Option<Post>> {
    posts::table
        .find(id)
        .for_update()
        .select(Post::as_select())
        .first(conn)
        .await
        .optional()
}

pub async fn post_by_slug(conn: &mut AsyncPgConnection, slug: &str) -> QueryResult<Option<Post>> {
    posts::table
        .filter(posts::slug.eq(slug))
        .select(Post::as_select())
        .first(conn)
        .await
        .optional()
}

/// The published post whose ActivityPub object id or public URL is `id`.
pub async fn post_by_object_id(
    conn: &mut AsyncPgConnection,
    object_id: &str,
) -> QueryResult<Option<Post>> {
    posts::table
        .filter(posts::ap_object_id.eq(object_id))
        .filter(posts::status.eq("published"))
        .select(Post::as_select())
        .first(conn)
        .await
        .optional()
}

pub async fn update_post(
    conn: &mut AsyncPgConnection,
    id: i64,
    fields: &PostFields<'_>,
) -> QueryResult<Post> {
    diesel::update(posts::table.find(id))
        .set(fields)
        .returning(Post::as_returning())
        .get_result(conn)
        .await
}

pub async fn set_ap_object_id(
    conn: &mut AsyncPgConnection,
    id: i64,
    object_id: Option<&str>,
) -> QueryResult<()> {
    diesel::update(posts::table.find(id))
        .set(posts::ap_object_id.eq(object_id))
        .execute(conn)
        .await
        .map(drop)
}

pub async fn delete_post(conn: &mut AsyncPgConnection, id: i64) -> QueryResult<usize> {
    diesel::delete(posts::table.find(id)).execute(conn).await
}

/// Marks a scheduled post published (its `published_at` is the scheduled time).
pub async fn mark_published(conn: &mut AsyncPgConnection, id: i64) -> QueryResult<Post> {
    diesel::update(posts::table.find(id))
        .set(posts::status.eq("published"))
        .returning(Post::as_returning())
        .get_result(conn)
        .await
}
