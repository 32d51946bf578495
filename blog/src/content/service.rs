//! Writing posts: every create, save, publish, schedule, unpublish and delete goes through here,
//! in one transaction with the activity that tells the fediverse about it (the transactional
//! outbox), and purges the blog's caches once it has committed.

use chrono::{DateTime, Utc};
use diesel_async::{AsyncConnection, AsyncPgConnection};
use serde::Deserialize;
use shared::activitypub::{outbox, store};
use shared::infrastructure::sso::CurrentUser;
use shared::models::blog::{Post, PostFields, PostMeta, Tag};
use shared::{AppContext, AppError};

use super::{federate, permissions, render, slug};

use crate::db;

const MAX_TITLE: usize = 300;
const MAX_EXCERPT: usize = 500;
const MAX_TAGS: usize = 20;
const MAX_META: usize = 300;
const MAX_URL: usize = 2000;

/// A post as the editor sends it (a whole document each save).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PostInput {
    /// `post` or `page`; only read when creating.
    pub kind: Option<String>,
    pub title: String,
    /// Empty: made from the title.
    pub slug: String,
    pub excerpt: String,
    /// The body as Markdown (rendered on save) …
    pub markdown: Option<String>,
    /// … or as HTML (sanitized on save).
    pub html: Option<String>,
    pub feature_image: Option<String>,
    pub feature_image_alt: Option<String>,
    pub tags: Vec<String>,
    /// `draft`, `scheduled` or `published`.
    pub status: Option<String>,
    pub published_at: Option<DateTime<Utc>>,
    pub meta: PostMeta,
    /// Editors may give a post to another author.
    pub author_id: Option<i64>,
    /// Further authors after the primary one, in order (editors only; `None` keeps them).
    pub co_author_ids: Option<Vec<i64>>,
    /// The version this save was made from (optimistic locking); required to save.
    pub updated_at: Option<DateTime<Utc>>,
}

#[derive(Debug, thiserror::Error)]
pub enum SaveError {
    #[error("{0}")]
    Invalid(String),
    #[error("{0}")]
    Forbidden(&'static str),
    #[error("There is no such post.")]
    NotFound,
    /// Someone saved since this version was loaded.
    #[error("This post was changed elsewhere since you opened it.")]
    Conflict(Box<Post>),
    #[error(transparent)]
    Db(#[from] diesel::result::Error),
    #[error(transparent)]
    App(#[from] AppError),
    #[error(transparent)]
    Enqueue(#[from] shared::jobs::EnqueueError),
}

impl From<SaveError> for AppError {
    fn from(e: SaveError) -> Self {
        match e {
            SaveError::Invalid(why) => AppError::BadRequest(why),
            SaveError::Forbidden(why) => AppError::Forbidden(why.into()),
            SaveError::NotFound => AppError::not_found("There is no such post."),
            e @ SaveError::Conflict(_) => AppError::Conflict(e.to_string()),
            SaveError::Db(e) => e.into(),
            SaveError::App(e) => e,
            SaveError::Enqueue(e) => AppError::internal(e),
        }
    }
}

fn invalid(why: impl Into<String>) -> SaveError {
    SaveError::Invalid(why.into())
}

/// Input checked and turned into what is stored.
struct Checked {
    title: String,
    slug: Option<String>,
    excerpt: String,
    html: String,
    markdown: Option<String>,
    feature_image: Option<String>,
    feature_image_alt: Option<String>,
    tags: Vec<(String, String)>,
    status: String,
    published_at: Option<DateTime<Utc>>,
    meta: PostMeta,
}

fn trimmed(value: Option<String>, max: usize, what: &str) -> Result<Option<String>, SaveError> {
    match value.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty()) {
        Some(v) if v.chars().count() > max => Err(invalid(format!(
            "The {what} is longer than {max} characters."
        ))),
        other => Ok(other),
    }
}

fn image_ref(value: Option<String>, what: &str) -> Result<Option<String>, SaveError> {
    let value = trimmed(value, MAX_URL, what)?;
    if let Some(v) = &value {
        let ok = v.starts_with("/content/images/") || super::is_web_url(v);
        if !ok {
            return Err(invalid(format!(
                "The {what} must be an http(s) address or an uploaded image."
            )));
        }
    }
    Ok(value)
}

fn web_url(value: Option<String>, what: &str) -> Result<Option<String>, SaveError> {
    let value = trimmed(value, MAX_URL, what)?;
    if let Some(v) = &value
        && !super::is_web_url(v)
    {
        return Err(invalid(format!("The {what} must be an http(s) address.")));
    }
    Ok(value)
}

fn check(input: PostInput, previous: Option<&Post>) -> Result<Checked, SaveError> {
    let title = input.title.trim().to_owned();
    if title.is_empty() {
        return Err(invalid("A post needs a title."));
    }
    if title.chars().count() > MAX_TITLE {
        return Err(invalid(format!(
            "The title is longer than {MAX_TITLE} characters."
        )));
    }
    let slug = match input.slug.trim() {
        "" => None,
        s => {
            slug::validate(s).map_err(|e| invalid(format!("Slug: {e}.")))?;
            Some(s.to_owned())
        }
    };
    let excerpt = input.excerpt.trim().to_owned();
    if excerpt.chars().count() > MAX_EXCERPT {
        return Err(invalid(format!(
            "The excerpt is longer than {MAX_EXCERPT} characters."
        )));
    }
    let (html, markdown) = match (input.markdown, input.html) {
        (Some(md), _) => (render::markdown(&md), Some(md)),
        (None, Some(html)) => (render::sanitize(&html), None),
        (None, None) => (String::new(), Some(String::new())),
    };
    let mut tags = Vec::new();
    for name in input.tags {
        let name = name.trim().to_owned();
        if name.is_empty() {
            continue;
        }
        if name.chars().count() > 100 {
            return Err(invalid("A tag name is longer than 100 characters."));
        }
        let slug = slug::slugify(&name);
        if !tags.iter().any(|(s, _)| *s == slug) {
            tags.push((slug, name));
        }
    }
    if tags.len() > MAX_TAGS {
        return Err(invalid(format!("A post may have at most {MAX_TAGS} tags.")));
    }
    let status = input.status.unwrap_or_else(|| "draft".into());
    let published_at = match status.as_str() {
        "draft" => None,
        "scheduled" => match input.published_at {
            Some(at) if at > Utc::now() => Some(at),
            Some(_) => return Err(invalid("A scheduled post needs a time in the future.")),
            None => return Err(invalid("A scheduled post needs a time to publish.")),
        },
        "published" => Some(
            input
                .published_at
                .or_else(|| {
                    previous.and_then(|p| p.published_at.filter(|_| p.status == "published"))
                })
                .unwrap_or_else(Utc::now)
                .min(Utc::now()),
        ),
        _ => return Err(invalid("The status must be draft, scheduled or published.")),
    };
    let meta = PostMeta {
        meta_title: trimmed(input.meta.meta_title, MAX_META, "meta title")?,
        meta_description: trimmed(input.meta.meta_description, MAX_META, "meta description")?,
        canonical_url: web_url(input.meta.canonical_url, "canonical URL")?,
        og_title: trimmed(input.meta.og_title, MAX_META, "OpenGraph title")?,
        og_description: trimmed(input.meta.og_description, MAX_META, "OpenGraph description")?,
        og_image: image_ref(input.meta.og_image, "OpenGraph image")?,
    };
    Ok(Checked {
        title,
        slug,
        excerpt,
        html,
        markdown,
        feature_image: image_ref(input.feature_image, "feature image")?,
        feature_image_alt: trimmed(input.feature_image_alt, MAX_META, "image description")?,
        tags,
        status,
        published_at,
        meta,
    })
}

/// A free slug: the requested one (refused if taken), else one from the title with a number
/// added until it is free.
pub(crate) async fn free_slug(
    conn: &mut AsyncPgConnection,
    requested: Option<&str>,
    title: &str,
    post_id: Option<i64>,
) -> Result<String, SaveError> {
    if let Some(slug) = requested {
        if db::slugs::slug_taken(conn, slug, post_id).await? {
            return Err(invalid(format!(
                "The slug “{slug}” is already used by another post."
            )));
        }
        return Ok(slug.to_owned());
    }
    let base = slug::slugify(title);
    let mut candidate = base.clone();
    for n in 2.. {
        if !db::slugs::slug_taken(conn, &candidate, post_id).await? {
            break;
        }
        candidate = format!("{base}-{n}");
    }
    Ok(candidate)
}

async fn save_tags(
    conn: &mut AsyncPgConnection,
    post_id: i64,
    tags: &[(String, String)],
) -> Result<Vec<Tag>, SaveError> {
    let mut saved = Vec::with_capacity(tags.len());
    for (slug, name) in tags {
        saved.push(db::tags::upsert_tag(conn, slug, name).await?);
    }
    let ids: Vec<i64> = saved.iter().map(|t| t.id).collect();
    db::tags::set_post_tags(conn, post_id, &ids).await?;
    Ok(saved)
}

/// Tells the fediverse what changed about a post (posts only; pages stay home, as in Ghost):
/// Create when it goes live, Update when a live post changes, Delete when it leaves.
pub(crate) async fn federate_change(
    ctx: &AppContext,
    conn: &mut AsyncPgConnection,
    post: &Post,
    tags: &[Tag],
) -> Result<(), SaveError> {
    // Posts imported from Ghost are never announced, whichever path publishes them (issue 18).
    if post.kind != "post"
        || (post.ap_object_id.is_none() && db::ghost::is_import(conn, post.id).await?)
    {
        return Ok(());
    }
    let config = ctx.config();
    let live = post.status == "published";
    let as_note = db::settings::settings(conn).await?.federate_as == "Note";
    let activity = match (post.ap_object_id.as_deref(), live) {
        (None, true) => {
            let first = federate::object_id(config, post.id);
            let object_id = if store::was_deleted(conn, &first).await? {
                federate::republished_object_id(config, post.id)
            } else {
                first
            };
            db::posts::set_ap_object_id(conn, post.id, Some(&object_id)).await?;
            let object = federate::object(config, post, &object_id, tags, as_note, false);
            outbox::activity(config, &federate::BLOG, "Create", object)
        }
        (Some(object_id), true) => {
            let object = federate::object(config, post, object_id, tags, as_note, true);
            outbox::activity(config, &federate::BLOG, "Update", object)
        }
        (Some(object_id), false) => {
            let object = federate::tombstone(object_id, as_note);
            db::posts::set_ap_object_id(conn, post.id, None).await?;
            outbox::activity(config, &federate::BLOG, "Delete", object)
        }
        (None, false) => return Ok(()),
    };
    outbox::emit(conn, &activity).await?;
    Ok(())
}

/// Most authors a post may have.
const MAX_AUTHORS: usize = 10;

/// The primary author followed by the co-authors, without repeats; each must be a writer.
async fn author_list(
    conn: &mut AsyncPgConnection,
    primary: i64,
    co_authors: &[i64],
) -> Result<Vec<i64>, SaveError> {
    let mut list = vec![primary];
    for id in co_authors {
        if !list.contains(id) {
            list.push(*id);
        }
    }
    if list.len() > MAX_AUTHORS {
        return Err(invalid(format!(
            "A post has at most {MAX_AUTHORS} authors."
        )));
    }
    let writers = db::authors::writers_among(conn, &list).await?;
    if list.iter().any(|id| !writers.contains(id)) {
        return Err(invalid(
            "Every author must be a member who writes (an author, editor or administrator).",
        ));
    }
    Ok(list)
}

/// After a commit: every cached page and listing of the blog is out of date.
pub async fn purge(ctx: &AppContext) {
    if let Err(e) = crate::page_cache::purge(ctx).await {
        tracing::warn!(error = %e, "could not purge the blog's caches");
    }
}

/// Creates a post (or page) by `user`.
pub async fn create(
    ctx: &AppContext,
    user: &CurrentUser,
    input: PostInput,
) -> Result<Post, SaveError> {
    if !permissions::can_write(user) {
        return Err(SaveError::Forbidden(
            "Only authors, editors and administrators write posts.",
        ));
    }
    let kind = input.kind.clone().unwrap_or_else(|| "post".into());
    if kind != "post" && kind != "page" {
        return Err(invalid("The kind must be post or page."));
    }
    if kind == "page" && !permissions::is_editor(user) {
        return Err(SaveError::Forbidden(
            "Only editors and administrators write pages.",
        ));
    }
    let author_id = match input.author_id {
        Some(id) if id != user.id && !permissions::is_editor(user) => {
            return Err(SaveError::Forbidden(
                "Only editors may write as another author.",
            ));
        }
        Some(id) => id,
        None => user.id,
    };
    let co_authors = input.co_author_ids.clone().unwrap_or_default();
    if !co_authors.is_empty() && !permissions::is_editor(user) {
        return Err(SaveError::Forbidden("Only editors add co-authors."));
    }
    let checked = check(input, None)?;
    let mut conn = ctx.conn().await?;
    let post = conn
        .transaction(async |conn| {
            let authors = author_list(conn, author_id, &co_authors).await?;
            let slug = free_slug(conn, checked.slug.as_deref(), &checked.title, None).await?;
            let post = db::posts::insert_post_fields(
                conn,
                &fields(&kind, &slug, &checked, Some(author_id)),
            )
            .await?;
            db::authors::set_post_authors(conn, post.id, &authors).await?;
            let tags = save_tags(conn, post.id, &checked.tags).await?;
            db::meta::set_post_meta(conn, post.id, &checked.meta).await?;
            federate_change(ctx, conn, &post, &tags).await?;
            crate::jobs::schedule(conn, &post).await?;
            Ok::<_, SaveError>(post)
        })
        .await?;
    purge(ctx).await;
    Ok(post)
}

fn fields<'a>(
    kind: &'a str,
    slug: &'a str,
    c: &'a Checked,
    author_id: Option<i64>,
) -> PostFields<'a> {
    PostFields {
        kind,
        slug,
        title: &c.title,
        excerpt: &c.excerpt,
        html: &c.html,
        markdown: c.markdown.as_deref(),
        feature_image: c.feature_image.as_deref(),
        feature_image_alt: c.feature_image_alt.as_deref(),
        status: &c.status,
        author_id,
        published_at: c.published_at,
    }
}

/// Saves a whole post over the version `input.updated_at` names; refuses if it changed since.
pub async fn save(
    ctx: &AppContext,
    user: &CurrentUser,
    id: i64,
    input: PostInput,
) -> Result<Post, SaveError> {
    let Some(expected) = input.updated_at else {
        return Err(invalid(
            "A save must name the version it was made from (updated_at).",
        ));
    };
    let requested_author = input.author_id;
    let requested_co_authors = input.co_author_ids.clone();
    let mut conn = ctx.conn().await?;
    let post = conn
        .transaction(async |conn| {
            let Some(old) = db::posts::post_for_update(conn, id).await? else {
                return Err(SaveError::NotFound);
            };
            let old_authors = db::authors::author_ids_of(conn, id).await?;
            if !permissions::can_edit(user, &old, &old_authors) {
                return Err(SaveError::Forbidden("You may not edit this post."));
            }
            if old.updated_at != expected {
                return Err(SaveError::Conflict(Box::new(old)));
            }
            let author_id = match requested_author {
                Some(a) if Some(a) != old.author_id && !permissions::is_editor(user) => {
                    return Err(SaveError::Forbidden(
                        "Only editors may give a post to another author.",
                    ));
                }
                Some(a) => Some(a),
                None => old.author_id,
            };
            let authors = match (author_id, requested_co_authors) {
                (Some(primary), Some(co)) => author_list(conn, primary, &co).await?,
                (Some(primary), None) => {
                    let co: Vec<i64> = old_authors
                        .iter()
                        .copied()
                        .filter(|a| *a != primary)
                        .collect();
                    author_list(conn, primary, &co).await?
                }
                (None, _) => Vec::new(),
            };
            if authors != old_authors && !permissions::is_editor(user) {
                return Err(SaveError::Forbidden(
                    "Only editors change who wrote a post.",
                ));
            }
            let checked = check(input, Some(&old))?;
            let slug = free_slug(conn, checked.slug.as_deref(), &checked.title, Some(id)).await?;
            // A slug that changes keeps its old address working, once the post has been public.
            let slug = if checked.slug.is_none() && old.status != "draft" {
                old.slug.clone()
            } else {
                slug
            };
            if slug != old.slug && old.status == "published" {
                db::slugs::record_slug_change(conn, id, &old.slug, &slug).await?;
            }
            let post =
                db::posts::update_post(conn, id, &fields(&old.kind, &slug, &checked, author_id))
                    .await?;
            if authors != old_authors {
                db::authors::set_post_authors(conn, id, &authors).await?;
            }
            let tags = save_tags(conn, id, &checked.tags).await?;
            db::meta::set_post_meta(conn, id, &checked.meta).await?;
            federate_change(ctx, conn, &post, &tags).await?;
            crate::jobs::schedule(conn, &post).await?;
            Ok(post)
        })
        .await?;
    purge(ctx).await;
    Ok(post)
}

/// Deletes a post; a federated one leaves a Tombstone behind.
pub async fn delete(ctx: &AppContext, user: &CurrentUser, id: i64) -> Result<(), SaveError> {
    delete_as(ctx, Some(user), id).await
}

/// Deletes a post for the system (a Ghost deletion), with the same federation as [`delete`].
pub async fn remove(ctx: &AppContext, id: i64) -> Result<(), SaveError> {
    delete_as(ctx, None, id).await
}

async fn delete_as(ctx: &AppContext, user: Option<&CurrentUser>, id: i64) -> Result<(), SaveError> {
    let mut conn = ctx.conn().await?;
    conn.transaction(async |conn| {
        let Some(old) = db::posts::post_for_update(conn, id).await? else {
            return Err(SaveError::NotFound);
        };
        let authors = db::authors::author_ids_of(conn, id).await?;
        if user.is_some_and(|user| !permissions::can_edit(user, &old, &authors)) {
            return Err(SaveError::Forbidden("You may not delete this post."));
        }
        if let Some(object_id) = &old.ap_object_id {
            let as_note = db::settings::settings(conn).await?.federate_as == "Note";
            let object = federate::tombstone(object_id, as_note);
            let activity = outbox::activity(ctx.config(), &federate::BLOG, "Delete", object);
            outbox::emit(conn, &activity).await?;
        }
        db::posts::delete_post(conn, id).await?;
        Ok::<_, SaveError>(())
    })
    .await?;
    purge(ctx).await;
    Ok(())
}

/// Publishes post `id` if it is still scheduled and its time has come (the
/// `PublishScheduled` job); a post scheduled later meanwhile gets its job moved, anything else
/// is left alone. Returns whether it published.
pub async fn publish_scheduled(ctx: &AppContext, id: i64) -> Result<bool, SaveError> {
    let mut conn = ctx.conn().await?;
    let published = conn
        .transaction(async |conn| {
            let Some(post) = db::posts::post_for_update(conn, id).await? else {
                return Ok(false);
            };
            match post.published_at {
                Some(at) if post.status == "scheduled" && at <= Utc::now() => {}
                Some(at) if post.status == "scheduled" => {
                    crate::jobs::schedule_at(conn, id, at).await?;
                    return Ok(false);
                }
                _ => return Ok(false),
            }
            let post = db::posts::mark_published(conn, id).await?;
            let tags: Vec<Tag> = db::tags::tags_of(conn, &[post.id])
                .await?
                .into_iter()
                .map(|(_, t)| t)
                .collect();
            federate_change(ctx, conn, &post, &tags).await?;
            Ok::<_, SaveError>(true)
        })
        .await?;
    if published {
        tracing::info!(post = id, "scheduled post published");
        purge(ctx).await;
    }
    Ok(published)
}
