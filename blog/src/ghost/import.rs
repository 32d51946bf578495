//! One Ghost post or page into ours: the same checks and sanitizing as the editor, matched by
//! Ghost's id so that importing again changes nothing, and its tags and author brought along.
//!
//! Webhooks and sync passes may deliver one post at the same moment and in any order (Ghost
//! sends `post.added` and `post.published` together for a post created published): each import
//! holds Ghost's id for its transaction and applies only a version newer than the one we hold
//! (or saw leave, `ghost_gone`), so every order ends on Ghost's latest `updated_at`.
//!
//! Imports never federate: a Ghost 6 site federates its own posts, and an archive of hundreds
//! should not arrive in followers' timelines at once. Scheduled posts go live by Ghost's word
//! (its `post.published` webhook or a sync), not by our scheduler. Only public posts are
//! imported: members-only, paid and tier posts stay behind (and an imported post that becomes
//! gated is removed), since every page here is public.

use chrono::{DateTime, Utc};
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use diesel_async::{AsyncConnection, AsyncPgConnection};
use shared::activitypub::outbox;
use shared::models::blog::{PostFields, PostMeta};
use shared::{AppContext, AppError};

use super::api::{GhostAuthor, GhostPost, GhostTag};
use super::cards;
use crate::content::service::{self, SaveError};
use crate::content::{federate, slug};
use crate::db;

/// How often an import is tried again after losing a race for a slug or tag to another import
/// (the next try sees the winner's committed row).
const ATTEMPTS: u32 = 3;

/// Why we hold no copy of a Ghost post.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Gone {
    /// Ghost said it deleted it (its ids are never reused: nothing brings it back).
    Deleted,
    /// Members, paid or tiers.
    Withheld,
    /// A full scan no longer saw it (unpublished, with the Content API): a newer version
    /// brings it back.
    Unlisted,
}

impl Gone {
    fn reason(self) -> &'static str {
        match self {
            Gone::Deleted => "deleted",
            Gone::Withheld => "withheld",
            Gone::Unlisted => "unlisted",
        }
    }
}

/// The version recorded for a deletion: later than any edit.
fn forever() -> DateTime<Utc> {
    use chrono::TimeZone;
    Utc.with_ymd_and_hms(9999, 12, 31, 0, 0, 0)
        .single()
        .unwrap_or(DateTime::<Utc>::MAX_UTC)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Created,
    Updated,
    Unchanged,
    /// Gated in Ghost (members, paid or tiers): not imported, and any earlier copy removed.
    Withheld,
}

/// Whether Ghost shows `post` to everyone. Ghost's `visibility` is `public`, `members`, `paid`
/// or `tiers` (and may gain values): anything but `public` is gated. Ghost before memberships
/// (no `visibility` at all) had only public posts.
pub fn is_public(post: &GhostPost) -> bool {
    matches!(post.visibility.as_deref(), None | Some("public"))
}

fn cut(text: &str, max: usize) -> String {
    text.trim().chars().take(max).collect()
}

fn web_url(value: Option<&str>) -> Option<String> {
    value
        .map(str::trim)
        .filter(|v| v.len() <= 2000)
        .filter(|v| crate::content::is_web_url(v))
        .map(str::to_owned)
}

fn text(value: Option<&str>, max: usize) -> Option<String> {
    value.map(|v| cut(v, max)).filter(|v| !v.is_empty())
}

/// A username for a Ghost author slug (ours are `[a-z0-9_]{1,30}`).
pub fn username_for(author_slug: &str) -> String {
    let name: String = author_slug
        .chars()
        .map(|c| {
            if c == '-' {
                '_'
            } else {
                c.to_ascii_lowercase()
            }
        })
        .filter(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '_')
        .take(30)
        .collect();
    if name.is_empty() {
        "ghost_author".into()
    } else {
        name
    }
}

/// Our accounts for a post's Ghost authors, in order (at most ten).
async fn author_ids(ctx: &AppContext, authors: &[GhostAuthor]) -> Result<Vec<i64>, AppError> {
    let mut ids = Vec::with_capacity(authors.len());
    for a in authors.iter().take(10) {
        let id = ctx
            .registry()
            .users
            .imported_author(
                &username_for(&a.slug),
                &cut(&a.name, 100),
                &cut(a.bio.as_deref().unwrap_or(""), 500),
                web_url(a.profile_image.as_deref()).as_deref(),
            )
            .await?;
        if !ids.contains(&id) {
            ids.push(id);
        }
    }
    Ok(ids)
}

/// Our status for a Ghost post: the Content API only shows published ones. A scheduled post
/// stays scheduled until Ghost publishes it, even past its time (Ghost's scheduler may be late,
/// or the post rescheduled).
fn status_of(post: &GhostPost) -> &'static str {
    match post.status.as_deref() {
        None | Some("published") | Some("sent") => "published",
        Some("scheduled") => "scheduled",
        Some(_) => "draft",
    }
}

fn is_race(e: &SaveError) -> bool {
    matches!(
        e,
        SaveError::Db(DieselError::DatabaseError(
            DatabaseErrorKind::UniqueViolation | DatabaseErrorKind::SerializationFailure,
            _
        ))
    )
}

/// Imports `post` as a `kind` ("post" or "page"), or removes our copy if Ghost gates it.
pub async fn import(ctx: &AppContext, kind: &str, post: &GhostPost) -> Result<Outcome, AppError> {
    let public = is_public(post);
    let authors = if public {
        author_ids(ctx, &post.authors).await?
    } else {
        Vec::new()
    };
    let html = cards::clean(post.html.as_deref().unwrap_or(""));
    let mut attempt = 1;
    loop {
        let mut conn = ctx.conn().await?;
        let result = conn
            .transaction(async |conn| {
                db::ghost::lock_ghost_id(conn, &post.id).await?;
                if public {
                    import_in(conn, kind, post, &html, &authors).await
                } else {
                    let removed =
                        remove_in(ctx, conn, &post.id, post.updated_at, Gone::Withheld).await?;
                    Ok(if removed == Removal::Stale {
                        Outcome::Unchanged
                    } else {
                        Outcome::Withheld
                    })
                }
            })
            .await;
        match result {
            Err(e) if attempt < ATTEMPTS && is_race(&e) => {
                tracing::info!(ghost_id = %post.id, error = %e, "Ghost import raced another; trying again");
                attempt += 1;
            }
            Err(e) => {
                tracing::warn!(ghost_id = %post.id, kind, error = %e, "Ghost import failed");
                return Err(e.into());
            }
            Ok(outcome) => return Ok(outcome),
        }
    }
}

async fn import_in(
    conn: &mut AsyncPgConnection,
    kind: &str,
    post: &GhostPost,
    html: &str,
    authors: &[i64],
) -> Result<Outcome, SaveError> {
    let author_id = authors.first().copied();
    let existing = db::ghost::imported(conn, &post.id).await?;
    let gone = db::ghost::gone_version(conn, &post.id).await?;
    // A delivery of the version we hold (or one older, arriving late) changes nothing.
    if existing
        .map(|(_, v)| v)
        .max(gone)
        .is_some_and(|held| held >= post.updated_at)
    {
        return Ok(Outcome::Unchanged);
    }
    let post_id = existing.map(|(id, _)| id);
    let title = match cut(&post.title, 300) {
        t if t.is_empty() => "Untitled".to_owned(),
        t => t,
    };
    let wanted = if slug::validate(&post.slug).is_ok() {
        post.slug.clone()
    } else {
        slug::slugify(&post.slug)
    };
    let slug = service::free_slug(conn, None, &wanted, post_id).await?;
    let excerpt = cut(
        post.custom_excerpt
            .as_deref()
            .or(post.excerpt.as_deref())
            .unwrap_or(""),
        500,
    );
    let status = status_of(post);
    let published_at = match status {
        "draft" => None,
        _ => Some(post.published_at.unwrap_or(post.updated_at)),
    };
    let feature_image = web_url(post.feature_image.as_deref());
    let feature_image_alt = text(post.feature_image_alt.as_deref(), 300);
    let fields = PostFields {
        kind,
        slug: &slug,
        title: &title,
        excerpt: &excerpt,
        html,
        markdown: None,
        feature_image: feature_image.as_deref(),
        feature_image_alt: feature_image_alt.as_deref(),
        status,
        author_id,
        published_at,
    };
    let (id, outcome, moved) = match post_id {
        Some(id) => {
            let Some(old) = db::posts::post_for_update(conn, id).await? else {
                return Err(SaveError::NotFound);
            };
            if old.slug != slug && old.status == "published" {
                db::slugs::record_slug_change(conn, id, &old.slug, &slug).await?;
            }
            db::posts::update_post(conn, id, &fields).await?;
            (id, Outcome::Updated, old.slug != slug)
        }
        None => (
            db::posts::insert_post_fields(conn, &fields).await?.id,
            Outcome::Created,
            true,
        ),
    };
    let tag_ids = upsert_tags(conn, &post.tags).await?;
    db::tags::set_post_tags(conn, id, &tag_ids).await?;
    db::authors::set_post_authors(conn, id, authors).await?;
    let meta = PostMeta {
        meta_title: text(post.meta_title.as_deref(), 300),
        meta_description: text(post.meta_description.as_deref(), 300),
        canonical_url: web_url(post.canonical_url.as_deref()),
        og_title: text(post.og_title.as_deref(), 300),
        og_description: text(post.og_description.as_deref(), 300),
        og_image: web_url(post.og_image.as_deref()),
    };
    db::meta::set_post_meta(conn, id, &meta).await?;
    db::ghost::remember_import(conn, &post.id, id, post.updated_at).await?;
    db::ghost::forget_gone(conn, &post.id).await?;
    // Ghost's slug taken here (or not one ours may be): the admin page lists it until it is
    // resolved or the admin keeps it as it is (then it is listed again only when our slug for
    // it changes).
    if slug == post.slug {
        db::ghost::set_slug_clash(conn, &post.id, None).await?;
    } else if moved {
        db::ghost::set_slug_clash(conn, &post.id, Some(&post.slug)).await?;
    }
    Ok(outcome)
}

/// Whether Ghost shows `tag` to readers (`internal` tags, named `#…`, are its own machinery).
pub fn is_public_tag(tag: &GhostTag) -> bool {
    tag.visibility.as_deref() != Some("internal") && !tag.name.starts_with('#')
}

/// Our slug, name and description for a Ghost tag.
pub fn tag_fields(tag: &GhostTag) -> (String, String, String) {
    let tag_slug = if slug::validate(&tag.slug).is_ok() {
        tag.slug.clone()
    } else {
        slug::slugify(&tag.name)
    };
    let name = match cut(&tag.name, 100) {
        n if n.is_empty() => tag_slug.clone(),
        n => n,
    };
    let description = cut(tag.description.as_deref().unwrap_or(""), 500);
    (tag_slug, name, description)
}

/// Our ids for a post's public Ghost tags, in the post's order. Tags are written in Ghost-id
/// order so that two imports sharing tags lock them in the same order (no deadlock).
async fn upsert_tags(
    conn: &mut AsyncPgConnection,
    tags: &[GhostTag],
) -> Result<Vec<i64>, SaveError> {
    let mut wanted: Vec<&GhostTag> = tags.iter().filter(|t| is_public_tag(t)).collect();
    wanted.sort_by(|a, b| a.id.cmp(&b.id));
    wanted.dedup_by(|a, b| a.id == b.id);
    let mut ids = std::collections::HashMap::new();
    for tag in wanted {
        let (tag_slug, name, description) = tag_fields(tag);
        let id = db::ghost::upsert_tag(conn, &tag.id, &tag_slug, &name, &description).await?;
        ids.insert(tag.id.as_str(), id);
    }
    let mut ordered = Vec::with_capacity(ids.len());
    for tag in tags {
        if let Some(id) = ids.get(tag.id.as_str())
            && !ordered.contains(id)
        {
            ordered.push(*id);
        }
    }
    Ok(ordered)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Removal {
    Removed,
    /// We held no copy.
    Absent,
    /// We hold a newer version than the one that left.
    Stale,
}

/// Removes our copy of Ghost post `ghost_id`, which left Ghost (or our view of it) at
/// `version`.
pub async fn remove(
    ctx: &AppContext,
    ghost_id: &str,
    version: Option<DateTime<Utc>>,
    why: Gone,
) -> Result<Removal, AppError> {
    let version = match why {
        Gone::Deleted => forever(),
        _ => version.unwrap_or_else(Utc::now),
    };
    let mut conn = ctx.conn().await?;
    let removal = conn
        .transaction(async |conn| {
            db::ghost::lock_ghost_id(conn, ghost_id).await?;
            remove_in(ctx, conn, ghost_id, version, why).await
        })
        .await
        .inspect_err(|e| tracing::warn!(ghost_id, error = %e, "removing a Ghost import failed"))?;
    Ok(removal)
}

/// In the transaction holding `ghost_id`: deletes our copy unless we hold a version newer than
/// `version`, and remembers that it left. A copy federated before imports stopped federating
/// leaves a Tombstone, as any deleted post does.
async fn remove_in(
    ctx: &AppContext,
    conn: &mut AsyncPgConnection,
    ghost_id: &str,
    version: DateTime<Utc>,
    why: Gone,
) -> Result<Removal, SaveError> {
    let existing = db::ghost::imported(conn, ghost_id).await?;
    if existing.is_some_and(|(_, held)| held > version) {
        return Ok(Removal::Stale);
    }
    db::ghost::remember_gone(conn, ghost_id, version, why.reason()).await?;
    let Some((post_id, _)) = existing else {
        return Ok(Removal::Absent);
    };
    if let Some(old) = db::posts::post_for_update(conn, post_id).await?
        && let Some(object_id) = &old.ap_object_id
    {
        let as_note = db::settings::settings(conn).await?.federate_as == "Note";
        let object = federate::tombstone(object_id, as_note);
        let activity = outbox::activity(ctx.config(), &federate::BLOG, "Delete", object);
        outbox::emit(conn, &activity).await?;
    }
    db::posts::delete_post(conn, post_id).await?;
    Ok(Removal::Removed)
}

#[cfg(test)]
mod tests {
    #[test]
    fn only_public_posts_are_public() {
        let post = |visibility: Option<&str>| -> super::GhostPost {
            serde_json::from_value(serde_json::json!({
                "id": "1", "title": "T", "slug": "t", "updated_at": "2024-01-01T00:00:00Z",
                "visibility": visibility,
            }))
            .unwrap()
        };
        assert!(super::is_public(&post(Some("public"))));
        assert!(super::is_public(&post(None)));
        for gated in ["members", "paid", "tiers", "filter:something", ""] {
            assert!(!super::is_public(&post(Some(gated))), "{gated}");
        }
    }

    #[test]
    fn usernames_from_author_slugs() {
        assert_eq!(super::username_for("jane-doe"), "jane_doe");
        assert_eq!(super::username_for("Émile"), "mile");
        assert_eq!(super::username_for("---"), "___");
        assert_eq!(super::username_for("é"), "ghost_author");
        assert_eq!(super::username_for(&"a".repeat(40)).len(), 30);
    }
}
