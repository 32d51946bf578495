//! Ghost's tags themselves: a rename, a new slug or description in Ghost reaches the tags we
//! hold (a post's `updated_at` does not move when one of its tags is renamed, so following
//! posts alone never sees it), and a tag Ghost deletes or hides leaves our imports.
//!
//! Each sync lists Ghost's tags by id (the Content API's tags carry no `updated_at`, so the
//! list is compared field by field; a site has far fewer tags than posts), and the `tag.edited`
//! and `tag.deleted` webhooks apply the same change at once.

use std::collections::HashMap;

use diesel_async::AsyncPgConnection;
use shared::{AppContext, AppError};

use super::api::{BrowseTags, GhostTag};
use super::client::{GhostClient, GhostError, Resource};
use super::import::{is_public_tag, tag_fields};
use crate::db;

/// Guards against a server that never stops paging.
const MAX_PAGES: u32 = 1_000;

/// Every tag Ghost lists (public ones with the Content API; all with the Admin API).
async fn list(client: &GhostClient) -> Result<Vec<GhostTag>, GhostError> {
    let mut tags = Vec::new();
    let mut page = 1;
    loop {
        let query = [("limit", "100".to_owned()), ("page", page.to_string())];
        let batch: BrowseTags = client.browse(Resource::Tags, &query).await?;
        tags.extend(batch.tags);
        match batch.meta.pagination.next {
            Some(next) if next > page && next <= MAX_PAGES => page = next,
            _ => break,
        }
    }
    Ok(tags)
}

/// Brings our tag `id` in line with Ghost's `tag`; whether anything changed. A new slug another
/// tag of ours already has is not taken (the name and description still change).
async fn apply(
    conn: &mut AsyncPgConnection,
    id: i64,
    ours: (&str, &str, &str),
    tag: &GhostTag,
) -> Result<bool, AppError> {
    let (slug, name, description) = tag_fields(tag);
    let slug = if slug != ours.0 && db::ghost::tag_slug_taken(conn, &slug, id).await? {
        tracing::warn!(ghost_id = %tag.id, slug, "a renamed Ghost tag's slug is taken here; keeping ours");
        ours.0.to_owned()
    } else {
        slug
    };
    if (slug.as_str(), name.as_str(), description.as_str()) == ours {
        return Ok(false);
    }
    db::ghost::rename_tag(conn, id, &slug, &name, &description).await?;
    Ok(true)
}

/// Syncs the tags we hold with Ghost's list; how many changed or left.
pub async fn sync(ctx: &AppContext, client: &GhostClient) -> Result<usize, super::sync::SyncError> {
    let listed = list(client).await?;
    let by_id: HashMap<&str, &GhostTag> = listed.iter().map(|t| (t.id.as_str(), t)).collect();
    let mut conn = ctx.conn().await?;
    let ours = db::ghost::ghost_tags(&mut conn)
        .await
        .map_err(AppError::from)?;
    let mut changed = 0;
    for (id, ghost_id, slug, name, description) in &ours {
        match by_id.get(ghost_id.as_str()) {
            Some(tag) if is_public_tag(tag) => {
                if apply(&mut conn, *id, (slug, name, description), tag).await? {
                    changed += 1;
                }
            }
            _ => {
                db::ghost::drop_ghost_tag(&mut conn, *id)
                    .await
                    .map_err(AppError::from)?;
                changed += 1;
            }
        }
    }
    Ok(changed)
}

/// `tag.edited` (and `tag.added`): applies `tag` if we hold it; whether anything changed.
pub async fn changed(ctx: &AppContext, tag: &GhostTag) -> Result<bool, AppError> {
    let mut conn = ctx.conn().await?;
    let Some((id, slug, name, description)) =
        db::ghost::tag_by_ghost_id(&mut conn, &tag.id).await?
    else {
        // Not used by any post we imported: it arrives with the first one that is.
        return Ok(false);
    };
    if !is_public_tag(tag) {
        db::ghost::drop_ghost_tag(&mut conn, id).await?;
        return Ok(true);
    }
    apply(&mut conn, id, (&slug, &name, &description), tag).await
}

/// `tag.deleted`: the tag leaves our imports; whether we held it.
pub async fn deleted(ctx: &AppContext, ghost_id: &str) -> Result<bool, AppError> {
    let mut conn = ctx.conn().await?;
    match db::ghost::tag_by_ghost_id(&mut conn, ghost_id).await? {
        Some((id, ..)) => {
            db::ghost::drop_ghost_tag(&mut conn, id).await?;
            Ok(true)
        }
        None => Ok(false),
    }
}
