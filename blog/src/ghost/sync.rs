//! Syncing with the connected Ghost site: incremental by `updated_at` (every few minutes), a
//! full pass with an id scan that removes what Ghost no longer has (hourly), and on demand.
//! One replica at a time (a PostgreSQL advisory lock).

use std::collections::HashSet;
use std::time::Duration;

use chrono::{DateTime, Utc};
use diesel::QueryableByName;
use diesel::sql_types::{BigInt, Bool};
use diesel_async::RunQueryDsl;
use shared::models::ghost::GhostSite;
use shared::{AppContext, AppError};

use super::api::{Browse, BrowseIds};
use super::client::{GhostClient, GhostError, PAGE_SIZE, Resource};
use super::import::{self, Outcome};
use crate::content::service;
use crate::db;

/// Guards against a server that never stops paging.
const MAX_PAGES: u32 = 10_000;
const INCREMENTAL_EVERY: Duration = Duration::from_secs(5 * 60);
const FULL_EVERY: chrono::Duration = chrono::Duration::hours(1);
const LOCK_KEY: i64 = 0x6768_6f73_7473_796e; // "ghostsyn"

#[derive(Debug, Default, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Report {
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
    pub removed: usize,
    /// Gated posts (members, paid, tiers) left out.
    pub withheld: usize,
    /// Tags renamed (or gone) in Ghost.
    pub tags: usize,
}

#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error("no Ghost site is connected")]
    NotConnected,
    #[error("another sync is running")]
    Busy,
    #[error(transparent)]
    Ghost(#[from] GhostError),
    #[error(transparent)]
    App(#[from] AppError),
}

pub fn client(ctx: &AppContext, site: &GhostSite) -> Result<GhostClient, GhostError> {
    GhostClient::new(
        &ctx.activitypub().fetcher,
        &site.url,
        &site.content_key,
        site.admin_key.as_deref(),
    )
}

/// NQL's date literal.
fn nql_time(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M:%S").to_string()
}

/// The sync lock (a session-level advisory lock on a connection of its own), if free.
async fn lock(ctx: &AppContext) -> Result<shared::db::DbConn, SyncError> {
    let mut lock_conn = ctx.conn().await?;
    #[derive(QueryableByName)]
    struct Locked {
        #[diesel(sql_type = Bool)]
        locked: bool,
    }
    let locked = diesel::sql_query("SELECT pg_try_advisory_lock($1) AS locked")
        .bind::<BigInt, _>(LOCK_KEY)
        .get_result::<Locked>(&mut lock_conn)
        .await
        .map_err(AppError::from)?;
    if !locked.locked {
        return Err(SyncError::Busy);
    }
    Ok(lock_conn)
}

async fn unlock(mut lock_conn: shared::db::DbConn) {
    if let Err(e) = diesel::sql_query("SELECT pg_advisory_unlock($1)")
        .bind::<BigInt, _>(LOCK_KEY)
        .execute(&mut lock_conn)
        .await
    {
        tracing::warn!(error = %e, "could not release the Ghost sync lock");
    }
}

/// Whether a sync holds the lock now (on any replica): a crashed one leaves progress marked
/// running, but not the lock.
pub async fn is_running(conn: &mut diesel_async::AsyncPgConnection) -> Result<bool, AppError> {
    #[derive(QueryableByName)]
    struct Held {
        #[diesel(sql_type = Bool)]
        held: bool,
    }
    // A bigint advisory key shows in pg_locks as classid (high half), objid (low half),
    // objsubid 1, in its database.
    let (high, low) = ((LOCK_KEY as u64) >> 32, (LOCK_KEY as u64) & 0xffff_ffff);
    let held = diesel::sql_query(format!(
        "SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND granted \
         AND classid = {high}::bigint::oid AND objid = {low}::bigint::oid AND objsubid = 1 \
         AND database = (SELECT oid FROM pg_database WHERE datname = current_database())) AS held"
    ))
    .get_result::<Held>(conn)
    .await?;
    Ok(held.held)
}

/// Marks a sync started (before anything is read, so a page asked at once shows it).
async fn mark_started(ctx: &AppContext) -> Result<(), SyncError> {
    let mut conn = ctx.conn().await?;
    db::ghost::set_progress(&mut conn, 0, None, true)
        .await
        .map_err(AppError::from)?;
    Ok(())
}

/// Runs one sync (full: everything, then the deletion scan) and records how it went.
pub async fn run(ctx: &AppContext, full: bool) -> Result<Report, SyncError> {
    let lock_conn = lock(ctx).await?;
    let outcome = match mark_started(ctx).await {
        Ok(()) => run_locked(ctx, full).await,
        Err(e) => Err(e),
    };
    unlock(lock_conn).await;
    outcome
}

/// Starts a sync in the background once it holds the lock (`Busy` if another runs): the
/// page asked next shows it running. The handle yields how it went.
pub async fn start(
    ctx: &AppContext,
    full: bool,
) -> Result<actix_web::rt::task::JoinHandle<Result<Report, SyncError>>, SyncError> {
    let lock_conn = lock(ctx).await?;
    if let Err(e) = mark_started(ctx).await {
        unlock(lock_conn).await;
        return Err(e);
    }
    let ctx = ctx.clone();
    Ok(actix_web::rt::spawn(async move {
        let outcome = run_locked(&ctx, full).await;
        unlock(lock_conn).await;
        outcome
    }))
}

async fn run_locked(ctx: &AppContext, full: bool) -> Result<Report, SyncError> {
    let site = {
        let mut conn = ctx.conn().await?;
        db::ghost::site(&mut conn).await.map_err(AppError::from)?
    }
    .ok_or(SyncError::NotConnected)?;
    let mut report = Report::default();
    let mut progress = Progress::default();
    let result = pass(ctx, &site, full, &mut report, &mut progress).await;
    progress.finish(ctx).await;
    if report
        != (Report {
            unchanged: report.unchanged,
            ..Report::default()
        })
    {
        service::purge(ctx).await;
    }
    let mut conn = ctx.conn().await?;
    match result {
        Ok(newest) => {
            db::ghost::record_sync(&mut conn, newest, full, None)
                .await
                .map_err(AppError::from)?;
            tracing::info!(?report, full, "Ghost sync done");
            Ok(report)
        }
        Err(e) => {
            let message = e.to_string();
            db::ghost::record_sync(&mut conn, None, false, Some(&message))
                .await
                .map_err(AppError::from)?;
            tracing::warn!(error = %message, "Ghost sync failed");
            Err(e)
        }
    }
}

/// How far a sync has come, written for the admin page now and then (not on every post).
#[derive(Default)]
struct Progress {
    done: i32,
    total: Option<i32>,
    written: Option<std::time::Instant>,
}

impl Progress {
    const EVERY: Duration = Duration::from_millis(250);

    async fn write(&mut self, ctx: &AppContext, running: bool) {
        self.written = Some(std::time::Instant::now());
        let result = match ctx.conn().await {
            Ok(mut conn) => db::ghost::set_progress(&mut conn, self.done, self.total, running)
                .await
                .map_err(AppError::from),
            Err(e) => Err(e),
        };
        if let Err(e) = result {
            tracing::warn!(error = %e, "could not record the Ghost sync's progress");
        }
    }

    /// One more post or page read.
    async fn step(&mut self, ctx: &AppContext) {
        self.done = self.done.saturating_add(1);
        if self.written.is_none_or(|t| t.elapsed() >= Self::EVERY) {
            self.write(ctx, true).await;
        }
    }

    async fn finish(&mut self, ctx: &AppContext) {
        self.write(ctx, false).await;
    }
}

async fn pass(
    ctx: &AppContext,
    site: &GhostSite,
    full: bool,
    report: &mut Report,
    progress: &mut Progress,
) -> Result<Option<DateTime<Utc>>, SyncError> {
    let client = client(ctx, site)?;
    let since = if full { None } else { site.synced_until };
    let query = |page: u32| {
        let mut query = vec![
            ("include", "tags,authors".to_owned()),
            ("formats", "html".to_owned()),
            ("limit", PAGE_SIZE.to_string()),
            ("page", page.to_string()),
            ("order", "updated_at asc".to_owned()),
        ];
        if let Some(since) = since {
            // `>=`: posts saved in the cursor's own second are seen again, and skipped as
            // unchanged.
            query.push(("filter", format!("updated_at:>='{}'", nql_time(since))));
        }
        query
    };
    // The first page of each tells how many there are to read (the progress shown).
    let mut firsts = Vec::with_capacity(2);
    for resource in [Resource::Posts, Resource::Pages] {
        let first: Browse = client.browse(resource, &query(1)).await?;
        firsts.push((resource, first));
    }
    let total: u64 = firsts.iter().map(|(_, b)| b.meta.pagination.total).sum();
    progress.total = Some(i32::try_from(total).unwrap_or(i32::MAX));
    progress.write(ctx, true).await;
    let mut newest: Option<DateTime<Utc>> = None;
    for (resource, first) in firsts {
        let mut page = 1;
        let mut batch = first;
        loop {
            for post in &batch.posts {
                match import::import(ctx, resource.kind(), post).await? {
                    Outcome::Created => report.created += 1,
                    Outcome::Updated => report.updated += 1,
                    Outcome::Unchanged => report.unchanged += 1,
                    Outcome::Withheld => report.withheld += 1,
                }
                newest = newest.max(Some(post.updated_at));
                progress.step(ctx).await;
            }
            // Before asking for the next page (which may take a while).
            progress.write(ctx, true).await;
            match batch.meta.pagination.next {
                Some(next) if next > page && next <= MAX_PAGES => page = next,
                _ => break,
            }
            batch = client.browse(resource, &query(page)).await?;
        }
        if full {
            report.removed += scan_deletions(ctx, &client, resource).await?;
        }
    }
    report.tags += super::tags::sync(ctx, &client).await?;
    Ok(newest)
}

/// Ghost's ids of every `resource`, then removes our imports it no longer lists. Only imports
/// whose version predates the listing go: one a webhook brought in meanwhile was not listed
/// because it did not exist yet.
async fn scan_deletions(
    ctx: &AppContext,
    client: &GhostClient,
    resource: Resource,
) -> Result<usize, SyncError> {
    let listed_at = Utc::now();
    let mut ids = HashSet::new();
    let mut page = 1;
    loop {
        let query = [
            ("fields", "id".to_owned()),
            ("limit", "100".to_owned()),
            ("page", page.to_string()),
        ];
        let batch: BrowseIds = client.browse(resource, &query).await?;
        ids.extend(batch.posts.into_iter().map(|p| p.id));
        match batch.meta.pagination.next {
            Some(next) if next > page && next <= MAX_PAGES => page = next,
            _ => break,
        }
    }
    let ours = {
        let mut conn = ctx.conn().await?;
        db::ghost::imported_of_kind(&mut conn, resource.kind())
            .await
            .map_err(AppError::from)?
    };
    let mut removed = 0;
    for (ghost_id, _) in ours.iter().filter(|(g, _)| !ids.contains(g)) {
        let removal =
            import::remove(ctx, ghost_id, Some(listed_at), import::Gone::Unlisted).await?;
        if removal == import::Removal::Removed {
            removed += 1;
        }
    }
    Ok(removed)
}

/// The background job: incremental syncs every few minutes, a full one hourly.
pub async fn background(ctx: AppContext) {
    let mut shutdown = ctx.shutdown_signal();
    loop {
        tokio::select! {
            _ = tokio::time::sleep(INCREMENTAL_EVERY) => {}
            _ = shutdown.changed() => return,
        }
        let site = match ctx.conn().await {
            Ok(mut conn) => db::ghost::site(&mut conn).await.ok().flatten(),
            Err(_) => None,
        };
        let Some(site) = site else { continue };
        let full = site
            .last_full_scan_at
            .is_none_or(|t| Utc::now() - t > FULL_EVERY);
        match run(&ctx, full).await {
            Ok(_) | Err(SyncError::Busy) | Err(SyncError::NotConnected) => {}
            Err(e) => tracing::warn!(error = %e, "scheduled Ghost sync failed"),
        }
    }
}
