//! `/admin/ghost`: connect a Ghost site, see how syncing goes, sync now, disconnect.

use actix_web::{HttpResponse, web};
use serde::Deserialize;
use shared::infrastructure::redirect::see_other;
use shared::infrastructure::sso::CurrentUser;
use shared::models::ghost::GhostSite;
use shared::{AppContext, AppError, AppName, PageRequest};

use crate::content::permissions;
use crate::db;
use crate::ghost::api::BrowseIds;
use crate::ghost::client::{GhostClient, Resource};
use crate::ghost::sync::{self, SyncError};
use crate::ghost::webhook;

/// How long "Sync now" waits before leaving the sync to finish in the background.
const SYNC_WAIT: std::time::Duration = std::time::Duration::from_secs(20);

#[derive(Deserialize)]
pub struct StatusQuery {
    synced: Option<String>,
    running: Option<u8>,
}

pub async fn show(
    ctx: web::Data<AppContext>,
    page: PageRequest,
    user: CurrentUser,
    query: web::Query<StatusQuery>,
) -> Result<HttpResponse, AppError> {
    permissions::require_admin(&user, "Only administrators connect a Ghost site.")?;
    let site = {
        let mut conn = ctx.conn().await?;
        db::ghost::site(&mut conn).await?
    };
    let mut context = ctx.base_context();
    if let Some(site) = &site {
        context.insert(
            "site",
            &serde_json::json!({
                "url": site.url,
                "admin": site.admin_key.is_some(),
                "webhooks": site.webhook_ids.len(),
                "webhook_secret": site.webhook_secret,
                "synced_until": site.synced_until.map(|t| t.to_rfc3339()),
                "last_sync_at": site.last_sync_at.map(|t| t.to_rfc3339()),
                "last_full_scan_at": site.last_full_scan_at.map(|t| t.to_rfc3339()),
                "last_error": site.last_error,
            }),
        );
    }
    if site.is_some() {
        let mut conn = ctx.conn().await?;
        let state = db::ghost::sync_state(&mut conn).await?;
        context.insert(
            "last_webhook",
            &serde_json::json!({
                "at": state.last_webhook_at.map(|t| t.to_rfc3339()),
                "result": state.last_webhook_result,
            }),
        );
        context.insert("slug_clashes", &db::ghost::slug_clashes(&mut conn).await?);
    }
    context.insert("webhook_url", &ctx.url(AppName::Blog, "/webhooks/ghost"));
    context.insert("synced", &query.synced);
    context.insert("running", &query.running.is_some());
    ctx.render_page(&page, "admin/ghost.html", context, Vec::new())
        .await
}

#[derive(Deserialize)]
pub struct ConnectForm {
    url: String,
    content_key: String,
    #[serde(default)]
    admin_key: String,
}

/// `POST /admin/ghost`: checks the site answers with these keys before keeping anything.
pub async fn connect(
    ctx: web::Data<AppContext>,
    user: CurrentUser,
    form: web::Form<ConnectForm>,
) -> Result<HttpResponse, AppError> {
    permissions::require_admin(&user, "Only administrators connect a Ghost site.")?;
    let admin_key = Some(form.admin_key.trim()).filter(|k| !k.is_empty());
    let client = GhostClient::new(
        &ctx.activitypub().fetcher,
        &form.url,
        &form.content_key,
        admin_key,
    )
    .map_err(|e| AppError::BadRequest(format!("{e}.")))?;
    let probe = [("fields", "id".to_owned()), ("limit", "1".to_owned())];
    client
        .browse::<BrowseIds>(Resource::Posts, &probe)
        .await
        .map_err(|e| AppError::BadRequest(format!("Not connected: {e}.")))?;
    let previous = {
        let mut conn = ctx.conn().await?;
        db::ghost::site(&mut conn).await?
    };
    if let Some(previous) = &previous {
        remove_webhooks(&ctx, previous).await;
    }
    let secret = match previous {
        Some(site) => site.webhook_secret,
        None => shared::crypto::random_token()?,
    };
    {
        let mut conn = ctx.conn().await?;
        db::ghost::connect(
            &mut conn,
            form.url.trim(),
            form.content_key.trim(),
            admin_key,
            &secret,
        )
        .await?;
    }
    // With an Admin API key the webhooks register themselves; otherwise the page explains.
    let (ids, problem) = if client.uses_admin_api() {
        webhook::register(&client, &ctx.url(AppName::Blog, "/webhooks/ghost"), &secret).await
    } else {
        (Vec::new(), None)
    };
    {
        let mut conn = ctx.conn().await?;
        db::ghost::set_webhooks(&mut conn, &ids, problem.as_deref()).await?;
    }
    Ok(see_other("/admin/ghost").finish())
}

/// `POST /admin/ghost/sync`: a full sync now (import, then the deletion scan).
pub async fn sync_now(
    ctx: web::Data<AppContext>,
    user: CurrentUser,
) -> Result<HttpResponse, AppError> {
    permissions::require_admin(&user, "Only administrators connect a Ghost site.")?;
    // A large site's first import can take minutes: wait a while for it, then let it finish in
    // the background (the page shows how it went).
    let task_ctx = ctx.get_ref().clone();
    let task = actix_web::rt::spawn(async move { sync::run(&task_ctx, true).await });
    let outcome = match tokio::time::timeout(SYNC_WAIT, task).await {
        Ok(joined) => joined.map_err(AppError::internal)?,
        Err(_still_running) => return Ok(see_other("/admin/ghost?running=1").finish()),
    };
    match outcome {
        Ok(r) => Ok(see_other(format!(
            "/admin/ghost?synced={}+new,+{}+updated,+{}+unchanged,+{}+removed",
            r.created, r.updated, r.unchanged, r.removed
        ))
        .finish()),
        Err(SyncError::NotConnected) => Err(AppError::bad_request("Connect a Ghost site first.")),
        Err(SyncError::Busy) => Err(AppError::Conflict("A sync is already running.".into())),
        Err(SyncError::Ghost(e)) => Err(AppError::BadRequest(format!("The sync failed: {e}."))),
        Err(SyncError::App(e)) => Err(e),
    }
}

/// `POST /admin/ghost/disconnect`: stops syncing; imported posts stay.
pub async fn disconnect(
    ctx: web::Data<AppContext>,
    user: CurrentUser,
) -> Result<HttpResponse, AppError> {
    permissions::require_admin(&user, "Only administrators connect a Ghost site.")?;
    let site = {
        let mut conn = ctx.conn().await?;
        db::ghost::site(&mut conn).await?
    };
    if let Some(site) = &site {
        remove_webhooks(&ctx, site).await;
    }
    let mut conn = ctx.conn().await?;
    db::ghost::disconnect(&mut conn).await?;
    Ok(see_other("/admin/ghost").finish())
}

/// Removes the webhooks registered under a connection (best effort).
async fn remove_webhooks(ctx: &AppContext, site: &GhostSite) {
    if site.webhook_ids.is_empty() {
        return;
    }
    match sync::client(ctx, site) {
        Ok(client) => webhook::unregister(&client, &site.webhook_ids).await,
        Err(e) => tracing::warn!(error = %e, "could not remove the Ghost webhooks"),
    }
}
