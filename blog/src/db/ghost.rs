//! The connected Ghost site (`ghost_sites`) and the posts and tags imported from it
//! (`ghost_posts`, `tags.ghost_id`).

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use shared::db::schema::{ghost_posts, ghost_sites, posts, tags};
use shared::models::ghost::GhostSite;

pub async fn site(conn: &mut AsyncPgConnection) -> QueryResult<Option<GhostSite>> {
    ghost_sites::table
        .select(GhostSite::as_select())
        .first(conn)
        .await
        .optional()
}

/// Connects (or reconnects) the site; a new URL starts the sync over.
pub async fn connect(
    conn: &mut AsyncPgConnection,
    url: &str,
    content_key: &str,
    admin_key: Option<&str>,
    webhook_secret: &str,
) -> QueryResult<()> {
    diesel::insert_into(ghost_sites::table)
        .values((
            ghost_sites::id.eq(1i16),
            ghost_sites::url.eq(url),
            ghost_sites::content_key.eq(content_key),
            ghost_sites::admin_key.eq(admin_key),
            ghost_sites::webhook_secret.eq(webhook_secret),
        ))
        .on_conflict(ghost_sites::id)
        .do_update()
        .set((
            ghost_sites::url.eq(url),
            ghost_sites::content_key.eq(content_key),
            ghost_sites::admin_key.eq(admin_key),
            ghost_sites::synced_until.eq(None::<DateTime<Utc>>),
            ghost_sites::last_error.eq(None::<String>),
        ))
        .execute(conn)
        .await
        .map(drop)
}

/// Remembers the webhooks registered on the site (replacing the list), and a problem if some
/// could not be.
pub async fn set_webhooks(
    conn: &mut AsyncPgConnection,
    ids: &[String],
    error: Option<&str>,
) -> QueryResult<()> {
    diesel::update(ghost_sites::table)
        .set((
            ghost_sites::webhook_ids.eq(ids),
            ghost_sites::last_error.eq(error),
        ))
        .execute(conn)
        .await
        .map(drop)
}

pub async fn disconnect(conn: &mut AsyncPgConnection) -> QueryResult<()> {
    diesel::delete(ghost_sites::table)
        .execute(conn)
        .await
        .map(drop)
}

/// Records how a sync ended.
pub async fn record_sync(
    conn: &mut AsyncPgConnection,
    synced_until: Option<DateTime<Utc>>,
    full_scan: bool,
    error: Option<&str>,
) -> QueryResult<()> {
    let now = Utc::now();
    diesel::update(ghost_sites::table)
        .set((
            ghost_sites::last_sync_at.eq(now),
            ghost_sites::last_error.eq(error),
        ))
        .execute(conn)
        .await?;
    if let Some(until) = synced_until {
        diesel::update(ghost_sites::table)
            .filter(
                ghost_sites::synced_until
                    .is_null()
                    .or(ghost_sites::synced_until.lt(until)),
            )
            .set(ghost_sites::synced_until.eq(until))
            .execute(conn)
            .await?;
    }
    if full_scan && error.is_none() {
        diesel::update(ghost_sites::table)
            .set(ghost_sites::last_full_scan_at.eq(now))
            .execute(conn)
            .await?;
    }
    Ok(())
}

/// Our post for a Ghost id, and the Ghost version it holds.
pub async fn imported(
    conn: &mut AsyncPgConnection,
    ghost_id: &str,
) -> QueryResult<Option<(i64, DateTime<Utc>)>> {
    ghost_posts::table
        .find(ghost_id)
        .select((ghost_posts::post_id, ghost_posts::ghost_updated_at))
        .first(conn)
        .await
        .optional()
}

pub async fn remember_import(
    conn: &mut AsyncPgConnection,
    ghost_id: &str,
    post_id: i64,
    ghost_updated_at: DateTime<Utc>,
) -> QueryResult<()> {
    diesel::insert_into(ghost_posts::table)
        .values((
            ghost_posts::ghost_id.eq(ghost_id),
            ghost_posts::post_id.eq(post_id),
            ghost_posts::ghost_updated_at.eq(ghost_updated_at),
        ))
        .on_conflict(ghost_posts::ghost_id)
        .do_update()
        .set(ghost_posts::ghost_updated_at.eq(ghost_updated_at))
        .execute(conn)
        .await
        .map(drop)
}

/// Every imported post or page of one kind: (Ghost id, our id).
pub async fn imported_of_kind(
    conn: &mut AsyncPgConnection,
    kind: &str,
) -> QueryResult<Vec<(String, i64)>> {
    ghost_posts::table
        .inner_join(posts::table)
        .filter(posts::kind.eq(kind))
        .select((ghost_posts::ghost_id, ghost_posts::post_id))
        .load(conn)
        .await
}

/// The tag Ghost knows by `ghost_id` (matched by slug the first time), created if new.
pub async fn upsert_tag(
    conn: &mut AsyncPgConnection,
    ghost_id: &str,
    slug: &str,
    name: &str,
    description: &str,
) -> QueryResult<i64> {
    let existing: Option<i64> = tags::table
        .filter(tags::ghost_id.eq(ghost_id).or(tags::slug.eq(slug)))
        .order(tags::ghost_id.eq(ghost_id).desc())
        .select(tags::id)
        .first(conn)
        .await
        .optional()?;
    match existing {
        Some(id) => {
            diesel::update(tags::table.find(id))
                .set((
                    tags::ghost_id.eq(ghost_id),
                    tags::name.eq(name),
                    tags::description.eq(description),
                ))
                .execute(conn)
                .await?;
            Ok(id)
        }
        None => {
            diesel::insert_into(tags::table)
                .values((
                    tags::ghost_id.eq(ghost_id),
                    tags::slug.eq(slug),
                    tags::name.eq(name),
                    tags::description.eq(description),
                ))
                .returning(tags::id)
                .get_result(conn)
                .await
        }
    }
}
