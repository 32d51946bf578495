//! The connected Ghost site (`ghost_sites`) and the posts and tags imported from it
//! (`ghost_posts`, `tags.ghost_id`), the Ghost ids we hold no copy of (`ghost_gone`), and what
//! the admin page shows (`ghost_sync_state`, `ghost_slug_clashes`).

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use shared::db::schema::{
    ghost_gone, ghost_posts, ghost_sites, ghost_slug_clashes, ghost_sync_state, posts, tags,
};
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
        .await?;
    clear_gone(conn).await
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

/// The tag Ghost knows by `ghost_id` (matched by slug the first time), created if new, its
/// name and description brought up to date. Safe when imports run at once: the insert yields
/// to one committed meanwhile (`ON CONFLICT DO NOTHING`, then read it).
pub async fn upsert_tag(
    conn: &mut AsyncPgConnection,
    ghost_id: &str,
    slug: &str,
    name: &str,
    description: &str,
) -> QueryResult<i64> {
    let inserted: Option<i64> = diesel::insert_into(tags::table)
        .values((
            tags::ghost_id.eq(ghost_id),
            tags::slug.eq(slug),
            tags::name.eq(name),
            tags::description.eq(description),
        ))
        .on_conflict_do_nothing()
        .returning(tags::id)
        .get_result(conn)
        .await
        .optional()?;
    if let Some(id) = inserted {
        return Ok(id);
    }
    let id: i64 = tags::table
        .filter(tags::ghost_id.eq(ghost_id).or(tags::slug.eq(slug)))
        .order(tags::ghost_id.eq(ghost_id).desc())
        .select(tags::id)
        .first(conn)
        .await?;
    diesel::update(tags::table.find(id))
        .filter(
            tags::ghost_id
                .is_distinct_from(ghost_id)
                .or(tags::name.ne(name))
                .or(tags::description.ne(description)),
        )
        .set((
            tags::ghost_id.eq(ghost_id),
            tags::name.eq(name),
            tags::description.eq(description),
        ))
        .execute(conn)
        .await?;
    Ok(id)
}

/// Holds Ghost id `ghost_id` for the rest of the transaction: imports of one Ghost post (a
/// webhook, another webhook, a sync pass) run one after the other and each sees the last.
pub async fn lock_ghost_id(conn: &mut AsyncPgConnection, ghost_id: &str) -> QueryResult<()> {
    diesel::sql_query("SELECT pg_advisory_xact_lock(hashtextextended('ghost-post:' || $1, 0))")
        .bind::<diesel::sql_types::Text, _>(ghost_id)
        .execute(conn)
        .await
        .map(drop)
}

/// The version a Ghost post left at, if we hold no copy of it (deleted, gated or unlisted).
pub async fn gone_version(
    conn: &mut AsyncPgConnection,
    ghost_id: &str,
) -> QueryResult<Option<DateTime<Utc>>> {
    ghost_gone::table
        .find(ghost_id)
        .select(ghost_gone::ghost_updated_at)
        .first(conn)
        .await
        .optional()
}

/// Remembers that we hold no copy of `ghost_id` as of `version` (the later of two wins).
pub async fn remember_gone(
    conn: &mut AsyncPgConnection,
    ghost_id: &str,
    version: DateTime<Utc>,
    reason: &str,
) -> QueryResult<()> {
    diesel::insert_into(ghost_gone::table)
        .values((
            ghost_gone::ghost_id.eq(ghost_id),
            ghost_gone::ghost_updated_at.eq(version),
            ghost_gone::reason.eq(reason),
        ))
        .on_conflict(ghost_gone::ghost_id)
        .do_update()
        .set((
            ghost_gone::ghost_updated_at.eq(diesel::dsl::sql::<diesel::sql_types::Timestamptz>(
                "GREATEST(ghost_gone.ghost_updated_at, excluded.ghost_updated_at)",
            )),
            ghost_gone::reason.eq(reason),
        ))
        .execute(conn)
        .await
        .map(drop)
}

pub async fn forget_gone(conn: &mut AsyncPgConnection, ghost_id: &str) -> QueryResult<()> {
    diesel::delete(ghost_gone::table.find(ghost_id))
        .execute(conn)
        .await
        .map(drop)
}

/// A new connection starts from what Ghost lists then.
pub async fn clear_gone(conn: &mut AsyncPgConnection) -> QueryResult<()> {
    diesel::delete(ghost_gone::table)
        .execute(conn)
        .await
        .map(drop)
}

/// Whether post `post_id` came from Ghost (Ghost publishes it, and it never federates).
pub async fn is_import(conn: &mut AsyncPgConnection, post_id: i64) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        ghost_posts::table.filter(ghost_posts::post_id.eq(post_id)),
    ))
    .get_result(conn)
    .await
}

/// Records (or clears) that the import of `ghost_id` wanted slug `wanted` but got another.
pub async fn set_slug_clash(
    conn: &mut AsyncPgConnection,
    ghost_id: &str,
    wanted: Option<&str>,
) -> QueryResult<()> {
    match wanted {
        Some(wanted) => diesel::insert_into(ghost_slug_clashes::table)
            .values((
                ghost_slug_clashes::ghost_id.eq(ghost_id),
                ghost_slug_clashes::wanted.eq(wanted),
            ))
            .on_conflict(ghost_slug_clashes::ghost_id)
            .do_update()
            .set(ghost_slug_clashes::wanted.eq(wanted))
            .execute(conn)
            .await
            .map(drop),
        None => diesel::delete(ghost_slug_clashes::table.find(ghost_id))
            .execute(conn)
            .await
            .map(drop),
    }
}

/// An import whose Ghost slug was taken here.
#[derive(Debug, Clone, QueryableByName, serde::Serialize)]
pub struct SlugClash {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    pub post_id: i64,
    #[diesel(sql_type = diesel::sql_types::Text)]
    pub kind: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    pub title: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    pub given: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    pub wanted: String,
}

pub async fn slug_clashes(conn: &mut AsyncPgConnection) -> QueryResult<Vec<SlugClash>> {
    diesel::sql_query(
        "SELECT p.id AS post_id, p.kind, p.title, p.slug AS given, c.wanted \
         FROM ghost_slug_clashes c JOIN ghost_posts g USING (ghost_id) \
         JOIN posts p ON p.id = g.post_id ORDER BY p.title",
    )
    .load(conn)
    .await
}

/// Our tags that came from Ghost: (our id, Ghost id, slug, name, description).
pub async fn ghost_tags(
    conn: &mut AsyncPgConnection,
) -> QueryResult<Vec<(i64, String, String, String, String)>> {
    tags::table
        .filter(tags::ghost_id.is_not_null())
        .order(tags::ghost_id)
        .select((
            tags::id,
            tags::ghost_id.assume_not_null(),
            tags::slug,
            tags::name,
            tags::description,
        ))
        .load(conn)
        .await
}

/// Renames tag `id` (Ghost renamed it).
pub async fn rename_tag(
    conn: &mut AsyncPgConnection,
    id: i64,
    slug: &str,
    name: &str,
    description: &str,
) -> QueryResult<()> {
    diesel::update(tags::table.find(id))
        .set((
            tags::slug.eq(slug),
            tags::name.eq(name),
            tags::description.eq(description),
        ))
        .execute(conn)
        .await
        .map(drop)
}

/// A tag Ghost no longer has (or no longer shows): it leaves the imported posts, and goes if
/// nothing of ours uses it (one we had before, matched by slug, stays ours).
pub async fn drop_ghost_tag(conn: &mut AsyncPgConnection, id: i64) -> QueryResult<()> {
    use shared::db::schema::post_tags;
    let imported = ghost_posts::table.select(ghost_posts::post_id);
    diesel::delete(
        post_tags::table
            .filter(post_tags::tag_id.eq(id))
            .filter(post_tags::post_id.eq_any(imported)),
    )
    .execute(conn)
    .await?;
    let used: bool = diesel::select(diesel::dsl::exists(
        post_tags::table.filter(post_tags::tag_id.eq(id)),
    ))
    .get_result(conn)
    .await?;
    if used {
        diesel::update(tags::table.find(id))
            .set(tags::ghost_id.eq(None::<String>))
            .execute(conn)
            .await?;
    } else {
        diesel::delete(tags::table.find(id)).execute(conn).await?;
    }
    Ok(())
}

/// The tag Ghost knows by `ghost_id`, if we have it: (our id, slug, name, description).
pub async fn tag_by_ghost_id(
    conn: &mut AsyncPgConnection,
    ghost_id: &str,
) -> QueryResult<Option<(i64, String, String, String)>> {
    tags::table
        .filter(tags::ghost_id.eq(ghost_id))
        .select((tags::id, tags::slug, tags::name, tags::description))
        .first(conn)
        .await
        .optional()
}

/// Whether another tag than `id` has `slug`.
pub async fn tag_slug_taken(
    conn: &mut AsyncPgConnection,
    slug: &str,
    id: i64,
) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        tags::table
            .filter(tags::slug.eq(slug))
            .filter(tags::id.ne(id)),
    ))
    .get_result(conn)
    .await
}

/// The sync's own state (one row, made on first use).
#[derive(Debug, Clone, Default, Queryable, serde::Serialize)]
pub struct SyncState {
    pub webhook_url: Option<String>,
    pub last_webhook_at: Option<DateTime<Utc>>,
    pub last_webhook_result: Option<String>,
    pub progress_done: i32,
    pub progress_total: Option<i32>,
    pub progress_running: bool,
}

pub async fn sync_state(conn: &mut AsyncPgConnection) -> QueryResult<SyncState> {
    Ok(ghost_sync_state::table
        .select((
            ghost_sync_state::webhook_url,
            ghost_sync_state::last_webhook_at,
            ghost_sync_state::last_webhook_result,
            ghost_sync_state::progress_done,
            ghost_sync_state::progress_total,
            ghost_sync_state::progress_running,
        ))
        .first::<SyncState>(conn)
        .await
        .optional()?
        .unwrap_or_default())
}

async fn ensure_state(conn: &mut AsyncPgConnection) -> QueryResult<()> {
    diesel::insert_into(ghost_sync_state::table)
        .values(ghost_sync_state::id.eq(1i16))
        .on_conflict_do_nothing()
        .execute(conn)
        .await
        .map(drop)
}

/// The address Ghost is to call (`None`: the blog's public one).
pub async fn set_webhook_url(conn: &mut AsyncPgConnection, url: Option<&str>) -> QueryResult<()> {
    ensure_state(conn).await?;
    diesel::update(ghost_sync_state::table)
        .set(ghost_sync_state::webhook_url.eq(url))
        .execute(conn)
        .await
        .map(drop)
}

/// A webhook delivery arrived: when, and what became of it.
pub async fn record_webhook(conn: &mut AsyncPgConnection, result: &str) -> QueryResult<()> {
    ensure_state(conn).await?;
    diesel::update(ghost_sync_state::table)
        .set((
            ghost_sync_state::last_webhook_at.eq(Utc::now()),
            ghost_sync_state::last_webhook_result.eq(result),
        ))
        .execute(conn)
        .await
        .map(drop)
}

/// How far a running sync has come (`running` false when it ends).
pub async fn set_progress(
    conn: &mut AsyncPgConnection,
    done: i32,
    total: Option<i32>,
    running: bool,
) -> QueryResult<()> {
    ensure_state(conn).await?;
    diesel::update(ghost_sync_state::table)
        .set((
            ghost_sync_state::progress_done.eq(done),
            ghost_sync_state::progress_total.eq(total),
            ghost_sync_state::progress_running.eq(running),
        ))
        .execute(conn)
        .await
        .map(drop)
}

/// The clash recorded for our post `post_id` (an import): (Ghost id, Ghost's slug).
pub async fn clash_of_post(
    conn: &mut AsyncPgConnection,
    post_id: i64,
) -> QueryResult<Option<(String, String)>> {
    ghost_slug_clashes::table
        .inner_join(ghost_posts::table.on(ghost_posts::ghost_id.eq(ghost_slug_clashes::ghost_id)))
        .filter(ghost_posts::post_id.eq(post_id))
        .select((ghost_slug_clashes::ghost_id, ghost_slug_clashes::wanted))
        .first(conn)
        .await
        .optional()
}

/// Who has `slug` here now: a post or page by its current slug, else one that once had it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct SlugHolder {
    pub post_id: i64,
    pub kind: String,
    pub title: String,
    /// Only a former slug of it (it redirects there).
    pub former: bool,
    /// It came from Ghost too.
    pub imported: bool,
}

pub async fn slug_holder(
    conn: &mut AsyncPgConnection,
    slug: &str,
) -> QueryResult<Option<SlugHolder>> {
    use shared::db::schema::post_slug_history;
    let current: Option<(i64, String, String)> = posts::table
        .filter(posts::slug.eq(slug))
        .select((posts::id, posts::kind, posts::title))
        .first(conn)
        .await
        .optional()?;
    let (found, former) = match current {
        Some(found) => (Some(found), false),
        None => (
            post_slug_history::table
                .inner_join(posts::table)
                .filter(post_slug_history::slug.eq(slug))
                .select((posts::id, posts::kind, posts::title))
                .first(conn)
                .await
                .optional()?,
            true,
        ),
    };
    let Some((post_id, kind, title)) = found else {
        return Ok(None);
    };
    let imported = is_import(conn, post_id).await?;
    Ok(Some(SlugHolder {
        post_id,
        kind,
        title,
        former,
        imported,
    }))
}

/// Gives post `post_id` the slug `slug` (its `updated_at` moves with it, by the trigger).
pub async fn set_post_slug(
    conn: &mut AsyncPgConnection,
    post_id: i64,
    slug: &str,
) -> QueryResult<()> {
    diesel::update(posts::table.find(post_id))
        .set(posts::slug.eq(slug))
        .execute(conn)
        .await
        .map(drop)
}

/// `slug` stops being a former slug (it no longer redirects anywhere).
pub async fn forget_former_slug(conn: &mut AsyncPgConnection, slug: &str) -> QueryResult<()> {
    use shared::db::schema::post_slug_history;
    diesel::delete(post_slug_history::table.filter(post_slug_history::slug.eq(slug)))
        .execute(conn)
        .await
        .map(drop)
}

/// Which of `post_ids` came from Ghost.
pub async fn imports_among(
    conn: &mut AsyncPgConnection,
    post_ids: &[i64],
) -> QueryResult<Vec<i64>> {
    ghost_posts::table
        .filter(ghost_posts::post_id.eq_any(post_ids))
        .select(ghost_posts::post_id)
        .load(conn)
        .await
}
