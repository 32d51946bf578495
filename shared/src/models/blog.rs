//! Posts and navigation menus (owned by blog).

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};

use crate::contracts::dtos::Role;
use crate::db::schema::{
    blog_settings, nav_items, post_authors, post_comments, post_meta, post_slug_history, post_tags,
    posts, tags, users,
};

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

/// A PostgreSQL connection: `AsyncPgConnection`, or a shared `&AsyncPgConnection`, through
/// which several independent reads are pipelined (sent together, answered in order).
pub trait PgConn: diesel_async::AsyncConnectionCore<Backend = diesel::pg::Pg> + Send {}
impl<C: diesel_async::AsyncConnectionCore<Backend = diesel::pg::Pg> + Send> PgConn for C {}

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

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = blog_settings)]
pub struct BlogSettings {
    pub title: String,
    pub description: String,
    pub federate_as: String,
    pub updated_at: DateTime<Utc>,
}

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

/// Replaces a menu's items, in order.
pub async fn replace_menu(
    conn: &mut AsyncPgConnection,
    menu: &str,
    items: &[(String, String)],
) -> QueryResult<()> {
    diesel::delete(nav_items::table.filter(nav_items::menu.eq(menu)))
        .execute(conn)
        .await?;
    let rows: Vec<NewNavItem<'_>> = items
        .iter()
        .enumerate()
        .map(|(i, (label, url))| NewNavItem {
            menu,
            label,
            url,
            position: i32::try_from(i).unwrap_or(i32::MAX),
        })
        .collect();
    if !rows.is_empty() {
        diesel::insert_into(nav_items::table)
            .values(rows)
            .execute(conn)
            .await?;
    }
    Ok(())
}
