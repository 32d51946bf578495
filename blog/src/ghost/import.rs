//! One Ghost post or page into ours: the same checks and sanitizing as the editor, matched by
//! Ghost's id so that importing again changes nothing, and its tags and author brought along.
//! Imports never federate: a Ghost 6 site federates its own posts, and an archive of hundreds
//! should not arrive in followers' timelines at once. Only public posts are imported: members-
//! only, paid and tier posts stay behind (and an imported post that becomes gated is removed),
//! since every page here is public.

use chrono::Utc;
use diesel_async::{AsyncConnection, AsyncPgConnection};
use shared::models::blog::{PostFields, PostMeta};
use shared::{AppContext, AppError};

use super::api::{GhostAuthor, GhostPost};
use crate::content::render;
use crate::content::service::{self, SaveError};
use crate::content::slug;
use crate::db;

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

/// Our status for a Ghost post: the Content API only shows published ones.
fn status_of(post: &GhostPost) -> &'static str {
    match post.status.as_deref() {
        None | Some("published") | Some("sent") => "published",
        Some("scheduled") if post.published_at.is_some_and(|t| t > Utc::now()) => "scheduled",
        Some("scheduled") => "published",
        Some(_) => "draft",
    }
}

/// Imports `post` as a `kind` ("post" or "page").
pub async fn import(ctx: &AppContext, kind: &str, post: &GhostPost) -> Result<Outcome, AppError> {
    if !is_public(post) {
        remove(ctx, &post.id).await?;
        return Ok(Outcome::Withheld);
    }
    let authors = author_ids(ctx, &post.authors).await?;
    let mut conn = ctx.conn().await?;
    let outcome = conn
        .transaction(async |conn| import_in(conn, kind, post, &authors).await)
        .await?;
    Ok(outcome)
}

async fn import_in(
    conn: &mut AsyncPgConnection,
    kind: &str,
    post: &GhostPost,
    authors: &[i64],
) -> Result<Outcome, SaveError> {
    let author_id = authors.first().copied();
    let existing = db::ghost::imported(conn, &post.id).await?;
    if let Some((_, version)) = existing
        && version == post.updated_at
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
    let html = render::sanitize(post.html.as_deref().unwrap_or(""));
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
        html: &html,
        markdown: None,
        feature_image: feature_image.as_deref(),
        feature_image_alt: feature_image_alt.as_deref(),
        status,
        author_id,
        published_at,
    };
    let (id, outcome) = match post_id {
        Some(id) => {
            let Some(old) = db::posts::post_for_update(conn, id).await? else {
                return Err(SaveError::NotFound);
            };
            if old.slug != slug && old.status == "published" {
                db::slugs::record_slug_change(conn, id, &old.slug, &slug).await?;
            }
            db::posts::update_post(conn, id, &fields).await?;
            (id, Outcome::Updated)
        }
        None => (
            db::posts::insert_post_fields(conn, &fields).await?.id,
            Outcome::Created,
        ),
    };
    if let ("scheduled", Some(at)) = (status, published_at) {
        crate::jobs::schedule_at(conn, id, at).await?;
    }
    let mut tag_ids = Vec::new();
    for tag in &post.tags {
        if tag.visibility.as_deref() == Some("internal") || tag.name.starts_with('#') {
            continue;
        }
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
        tag_ids.push(db::ghost::upsert_tag(conn, &tag.id, &tag_slug, &name, &description).await?);
    }
    tag_ids.dedup();
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
    Ok(outcome)
}

/// Removes our copy of a post Ghost no longer has; true if there was one.
pub async fn remove(ctx: &AppContext, ghost_id: &str) -> Result<bool, AppError> {
    let found = {
        let mut conn = ctx.conn().await?;
        db::ghost::imported(&mut conn, ghost_id).await?
    };
    match found {
        Some((post_id, _)) => {
            service::remove(ctx, post_id).await?;
            Ok(true)
        }
        None => Ok(false),
    }
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
