//! `/admin/ghost`: connect a Ghost site (the first import starts at once, its progress shown),
//! see how syncing goes, sync now, choose where Ghost sends its webhooks, settle slug clashes,
//! disconnect. Administrators only; a refused form is shown again with its error and values.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use diesel_async::{AsyncConnection, AsyncPgConnection};
use serde::{Deserialize, Serialize};
use shared::infrastructure::redirect::see_other;
use shared::infrastructure::sso::CurrentUser;
use shared::models::ghost::GhostSite;
use shared::{AppContext, AppError, AppName, PageRequest};

use crate::content::service;
use crate::content::{permissions, slug};
use crate::db;
use crate::ghost::api::BrowseIds;
use crate::ghost::client::{self, GhostClient, GhostError, KeyKind, Resource};
use crate::ghost::sync::{self, SyncError};
use crate::ghost::webhook;

const ADMINS_ONLY: &str = "Only administrators connect a Ghost site.";

/// How long "Sync now" waits before leaving the sync to finish in the background.
const SYNC_WAIT: std::time::Duration = std::time::Duration::from_secs(20);

/// Longest webhook address accepted.
const MAX_WEBHOOK_URL: usize = 2000;

/// What the last action did, told at the top of the page (set by the redirects below).
#[derive(Deserialize, Serialize, Default)]
pub struct StatusQuery {
    synced: Option<String>,
    running: Option<u8>,
    /// Connected (1), connected from a pasted admin address (2).
    connected: Option<u8>,
    /// Connected and the first import started.
    importing: Option<u8>,
    /// Connected while another sync ran: the import follows with the next sync.
    busy: Option<u8>,
    /// The webhook address changed.
    webhooks: Option<u8>,
    /// A slug clash was settled: `taken` or `kept`.
    slug: Option<String>,
}

/// A refused connection form: its values (the Admin API key's secret is not shown again) and
/// which field the error is about.
#[derive(Serialize, Default)]
struct ConnectView {
    url: String,
    content_key: String,
    /// The id part of the Admin API key that was given, to say which key to paste again.
    admin_key_id: Option<String>,
    field: &'static str,
    error: String,
}

#[derive(Serialize, Default)]
struct WebhookView {
    value: String,
    error: String,
}

#[derive(Serialize, Default)]
struct ClashFormView {
    post_id: i64,
    new_slug: String,
    error: String,
}

/// What a re-shown page carries beyond the stored state.
#[derive(Default)]
struct Shown {
    connect: Option<ConnectView>,
    webhook: Option<WebhookView>,
    clash: Option<ClashFormView>,
    /// An error about the page as a whole (a failed sync).
    error: Option<String>,
}

/// A listed slug clash and what the admin can do about it.
#[derive(Serialize)]
struct ClashView {
    #[serde(flatten)]
    clash: db::ghost::SlugClash,
    given_path: String,
    wanted_path: String,
    /// Where the post here that has (or had) Ghost's slug answers with it.
    holder_path: String,
    holder: Option<db::ghost::SlugHolder>,
    /// Why Ghost's address cannot be given here (then no form).
    blocked: Option<String>,
    /// A free slug for the post here that gives way.
    suggestion: String,
}

fn path_of(kind: &str, slug: &str) -> String {
    if kind == "page" {
        format!("/{slug}")
    } else {
        format!("/posts/{slug}")
    }
}

/// The address Ghost is asked to call: the one the admin set, else the blog's own.
fn default_webhook_url(ctx: &AppContext) -> String {
    ctx.url(AppName::Blog, "/webhooks/ghost")
}

async fn webhook_target(ctx: &AppContext) -> Result<String, AppError> {
    let mut conn = ctx.conn().await?;
    let state = db::ghost::sync_state(&mut conn).await?;
    Ok(state
        .webhook_url
        .unwrap_or_else(|| default_webhook_url(ctx)))
}

async fn clash_views(conn: &mut AsyncPgConnection) -> Result<Vec<ClashView>, AppError> {
    let mut views = Vec::new();
    for clash in db::ghost::slug_clashes(conn).await? {
        let holder = match slug::validate(&clash.wanted) {
            Ok(()) => db::ghost::slug_holder(conn, &clash.wanted).await?,
            Err(_) => None,
        };
        let blocked = match (&slug::validate(&clash.wanted), &holder) {
            (Err(e), _) => Some(format!(
                "“{}” cannot be an address here ({e}): change the slug in Ghost to choose another.",
                clash.wanted
            )),
            (Ok(()), Some(h)) if h.imported && !h.former => Some(format!(
                "“{}” came from Ghost too: change the slug of one of them in Ghost.",
                h.title
            )),
            _ => None,
        };
        let mut suggestion = String::new();
        if let Some(h) = holder.as_ref().filter(|h| !h.former) {
            for n in 2..1000 {
                let candidate = format!("{}-{n}", clash.wanted);
                if slug::validate(&candidate).is_ok()
                    && !db::slugs::slug_taken(conn, &candidate, Some(h.post_id)).await?
                {
                    suggestion = candidate;
                    break;
                }
            }
        }
        views.push(ClashView {
            holder_path: holder
                .as_ref()
                .map(|h| path_of(&h.kind, &clash.wanted))
                .unwrap_or_default(),
            given_path: path_of(&clash.kind, &clash.given),
            wanted_path: path_of(&clash.kind, &clash.wanted),
            holder,
            blocked,
            suggestion,
            clash,
        });
    }
    Ok(views)
}

/// The page, with `shown` (a refused form) and `status`.
async fn render(
    ctx: &AppContext,
    page: &PageRequest,
    query: &StatusQuery,
    shown: Shown,
    status: StatusCode,
) -> Result<HttpResponse, AppError> {
    let mut conn = ctx.conn().await?;
    let site = db::ghost::site(&mut conn).await?;
    let state = db::ghost::sync_state(&mut conn).await?;
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
        context.insert(
            "last_webhook",
            &serde_json::json!({
                "at": state.last_webhook_at.map(|t| t.to_rfc3339()),
                "result": state.last_webhook_result,
            }),
        );
        context.insert("slug_clashes", &clash_views(&mut conn).await?);
        let running = state.progress_running && sync::is_running(&mut conn).await?;
        context.insert(
            "progress",
            &serde_json::json!({
                "running": running,
                "done": state.progress_done,
                "total": state.progress_total,
            }),
        );
    }
    if site.is_none() {
        context.insert("progress", &serde_json::json!({ "running": false }));
    }
    let default_url = default_webhook_url(ctx);
    context.insert(
        "webhook",
        &serde_json::json!({
            "url": state.webhook_url.clone().unwrap_or_else(|| default_url.clone()),
            "default": default_url,
            "custom": state.webhook_url.is_some(),
        }),
    );
    context.insert("notice", query);
    // The forms: what was refused, else what is stored.
    let connect = shown.connect.unwrap_or_else(|| ConnectView {
        url: site.as_ref().map(|s| s.url.clone()).unwrap_or_default(),
        ..ConnectView::default()
    });
    context.insert("connect_form", &connect);
    let webhook = shown.webhook.unwrap_or_else(|| WebhookView {
        value: state.webhook_url.clone().unwrap_or_default(),
        error: String::new(),
    });
    context.insert("webhook_form", &webhook);
    context.insert("clash_form", &shown.clash.unwrap_or_default());
    context.insert("page_error", &shown.error);
    drop(conn);
    let mut res = ctx
        .render_page(page, "admin/ghost.html", context, Vec::new())
        .await?;
    *res.status_mut() = status;
    Ok(res)
}

pub async fn show(
    ctx: web::Data<AppContext>,
    page: PageRequest,
    user: CurrentUser,
    query: web::Query<StatusQuery>,
) -> Result<HttpResponse, AppError> {
    permissions::require_admin(&user, ADMINS_ONLY)?;
    render(&ctx, &page, &query, Shown::default(), StatusCode::OK).await
}

#[derive(Deserialize)]
pub struct ConnectForm {
    url: String,
    content_key: String,
    #[serde(default)]
    admin_key: String,
    /// The form's "import now" box (ticked unless the admin unticks it).
    #[serde(default)]
    import: Option<String>,
}

/// Which field of the form an error is about.
fn field_of(e: &GhostError, admin_key_given: bool) -> &'static str {
    match e {
        GhostError::MalformedKey {
            which: KeyKind::Content,
            ..
        } => "content_key",
        GhostError::MalformedKey {
            which: KeyKind::Admin,
            ..
        } => "admin_key",
        GhostError::BadKey(_) if admin_key_given => "admin_key",
        GhostError::BadKey(_) => "content_key",
        _ => "url",
    }
}

/// A sentence from an error's text.
fn sentence(text: &str) -> String {
    let mut chars = text.chars();
    let mut out: String = match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    };
    if !out.ends_with('.') {
        out.push('.');
    }
    out
}

/// `POST /admin/ghost`: checks the site answers with these keys before keeping anything, then
/// (unless the box was unticked) starts the first import at once.
pub async fn connect(
    ctx: web::Data<AppContext>,
    page: PageRequest,
    user: CurrentUser,
    form: web::Form<ConnectForm>,
) -> Result<HttpResponse, AppError> {
    permissions::require_admin(&user, ADMINS_ONLY)?;
    let admin_key = Some(form.admin_key.trim()).filter(|k| !k.is_empty());
    let refuse = |e: GhostError| ConnectView {
        url: form.url.trim().to_owned(),
        content_key: form.content_key.trim().to_owned(),
        admin_key_id: admin_key
            .and_then(|k| k.split_once(':'))
            .map(|(id, _)| id.chars().take(40).collect()),
        field: field_of(&e, admin_key.is_some()),
        error: sentence(&format!("Not connected: {e}")),
    };
    let checked = async {
        let (site_url, normalised) = client::site_address(&form.url)?;
        let client = GhostClient::new(
            &ctx.activitypub().fetcher,
            site_url.as_str(),
            &form.content_key,
            admin_key,
        )?;
        let probe = [("fields", "id".to_owned()), ("limit", "1".to_owned())];
        client.browse::<BrowseIds>(Resource::Posts, &probe).await?;
        Ok::<_, GhostError>((client, normalised))
    }
    .await;
    let (client, normalised) = match checked {
        Ok(checked) => checked,
        Err(e) => {
            let shown = Shown {
                connect: Some(refuse(e)),
                ..Shown::default()
            };
            return render(
                &ctx,
                &page,
                &StatusQuery::default(),
                shown,
                StatusCode::BAD_REQUEST,
            )
            .await;
        }
    };
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
            client.site_url().as_str(),
            form.content_key.trim(),
            admin_key,
            &secret,
        )
        .await?;
    }
    // With an Admin API key the webhooks register themselves; otherwise the page explains.
    let (ids, problem) = if client.uses_admin_api() {
        webhook::register(&client, &webhook_target(&ctx).await?, &secret).await
    } else {
        (Vec::new(), None)
    };
    {
        let mut conn = ctx.conn().await?;
        db::ghost::set_webhooks(&mut conn, &ids, problem.as_deref()).await?;
    }
    let connected = if normalised { 2 } else { 1 };
    if form.import.is_none() {
        return Ok(see_other(format!("/admin/ghost?connected={connected}")).finish());
    }
    // The first import runs on in the background; the page shows how far it has come.
    match sync::start(&ctx, true).await {
        Ok(_detached) => {
            Ok(see_other(format!("/admin/ghost?connected={connected}&importing=1")).finish())
        }
        Err(SyncError::Busy) => {
            Ok(see_other(format!("/admin/ghost?connected={connected}&busy=1")).finish())
        }
        Err(SyncError::App(e)) => Err(e),
        Err(e) => Err(AppError::internal(e)),
    }
}

/// `POST /admin/ghost/sync`: a full sync now (import, then the deletion scan).
pub async fn sync_now(
    ctx: web::Data<AppContext>,
    page: PageRequest,
    user: CurrentUser,
) -> Result<HttpResponse, AppError> {
    permissions::require_admin(&user, ADMINS_ONLY)?;
    let failed = |why: String| Shown {
        error: Some(why),
        ..Shown::default()
    };
    let task = match sync::start(&ctx, true).await {
        Ok(task) => task,
        // Already running (the first import, or the periodic sync): the page shows how far.
        Err(SyncError::Busy) => return Ok(see_other("/admin/ghost?running=1").finish()),
        Err(SyncError::NotConnected) => {
            let shown = failed("Connect a Ghost site first.".into());
            let query = StatusQuery::default();
            return render(&ctx, &page, &query, shown, StatusCode::BAD_REQUEST).await;
        }
        Err(SyncError::App(e)) => return Err(e),
        Err(SyncError::Ghost(e)) => return Err(AppError::internal(e)),
    };
    // A large site's sync can take minutes: wait a while for it, then let it finish in the
    // background (the page shows how it went).
    let outcome = match tokio::time::timeout(SYNC_WAIT, task).await {
        Ok(joined) => joined.map_err(AppError::internal)?,
        Err(_still_running) => return Ok(see_other("/admin/ghost?running=1").finish()),
    };
    let why = match outcome {
        Ok(r) => {
            return Ok(see_other(format!(
                "/admin/ghost?synced={}+new,+{}+updated,+{}+unchanged,+{}+removed",
                r.created, r.updated, r.unchanged, r.removed
            ))
            .finish());
        }
        Err(SyncError::NotConnected) => "Connect a Ghost site first.".to_owned(),
        Err(SyncError::Busy) => return Ok(see_other("/admin/ghost?running=1").finish()),
        Err(SyncError::Ghost(e)) => sentence(&format!("The sync failed: {e}")),
        Err(SyncError::App(e)) => return Err(e),
    };
    let query = StatusQuery::default();
    render(&ctx, &page, &query, failed(why), StatusCode::BAD_REQUEST).await
}

#[derive(Deserialize)]
pub struct WebhookForm {
    #[serde(default)]
    webhook_url: String,
}

/// The address as given, if Ghost can be told to call it: absolute http(s), no credentials,
/// no fragment.
fn check_webhook_url(value: &str) -> Result<String, String> {
    if value.len() > MAX_WEBHOOK_URL {
        return Err(format!(
            "The address is longer than {MAX_WEBHOOK_URL} characters."
        ));
    }
    let url = url::Url::parse(value).map_err(|e| {
        format!("“{value}” is not a full address ({e}); it looks like https://blog.example.org/webhooks/ghost.")
    })?;
    if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
        return Err("Ghost calls http or https addresses only.".into());
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err("The address may not carry a user name or password.".into());
    }
    if url.fragment().is_some() {
        return Err("The address may not end with a #fragment.".into());
    }
    Ok(url.to_string())
}

/// `POST /admin/ghost/webhook`: the address Ghost is to call (empty: the blog's own). With an
/// Admin API key the webhooks are registered again at the new address.
pub async fn set_webhook_url(
    ctx: web::Data<AppContext>,
    page: PageRequest,
    user: CurrentUser,
    form: web::Form<WebhookForm>,
) -> Result<HttpResponse, AppError> {
    permissions::require_admin(&user, ADMINS_ONLY)?;
    let value = form.webhook_url.trim();
    let default_url = default_webhook_url(&ctx);
    let target = if value.is_empty() {
        None
    } else {
        match check_webhook_url(value) {
            Ok(url) if url == default_url => None,
            Ok(url) => Some(url),
            Err(error) => {
                let shown = Shown {
                    webhook: Some(WebhookView {
                        value: value.chars().take(MAX_WEBHOOK_URL).collect(),
                        error,
                    }),
                    ..Shown::default()
                };
                let query = StatusQuery::default();
                return render(&ctx, &page, &query, shown, StatusCode::BAD_REQUEST).await;
            }
        }
    };
    let site = {
        let mut conn = ctx.conn().await?;
        db::ghost::set_webhook_url(&mut conn, target.as_deref()).await?;
        db::ghost::site(&mut conn).await?
    };
    if let Some(site) = site.filter(|s| s.admin_key.is_some()) {
        remove_webhooks(&ctx, &site).await;
        let target = target.unwrap_or(default_url);
        let (ids, problem) = match sync::client(&ctx, &site) {
            Ok(client) => webhook::register(&client, &target, &site.webhook_secret).await,
            Err(e) => (
                Vec::new(),
                Some(format!("The webhooks were not registered: {e}.")),
            ),
        };
        let mut conn = ctx.conn().await?;
        db::ghost::set_webhooks(&mut conn, &ids, problem.as_deref()).await?;
    }
    Ok(see_other("/admin/ghost?webhooks=1").finish())
}

/// Why settling a clash was refused.
#[derive(Debug)]
enum Refusal {
    /// Shown on the clash's form again (400).
    Form(String),
    NotFound(String),
    Conflict(String),
    Save(service::SaveError),
}

impl From<diesel::result::Error> for Refusal {
    fn from(e: diesel::result::Error) -> Self {
        Refusal::Save(e.into())
    }
}

impl From<service::SaveError> for Refusal {
    fn from(e: service::SaveError) -> Self {
        Refusal::Save(e)
    }
}

#[derive(Deserialize)]
pub struct TakeForm {
    #[serde(default)]
    new_slug: String,
}

/// `POST /admin/ghost/clashes/{post_id}/take`: Ghost's post (our `post_id`) gets the address
/// Ghost gives it; the post here that had it moves to `new_slug`. The Ghost post's old address
/// redirects (301) to the new one.
pub async fn take_slug(
    ctx: web::Data<AppContext>,
    page: PageRequest,
    user: CurrentUser,
    post_id: web::Path<i64>,
    form: web::Form<TakeForm>,
) -> Result<HttpResponse, AppError> {
    permissions::require_admin(&user, ADMINS_ONLY)?;
    let post_id = post_id.into_inner();
    let new_slug = form.new_slug.trim();
    let result = {
        let mut conn = ctx.conn().await?;
        let ctx = ctx.get_ref();
        conn.transaction(async |conn| take_in(ctx, conn, post_id, new_slug).await)
            .await
    };
    match result {
        Ok(()) => {
            service::purge(&ctx).await;
            Ok(see_other("/admin/ghost?slug=taken").finish())
        }
        Err(Refusal::Form(error)) => {
            let shown = Shown {
                clash: Some(ClashFormView {
                    post_id,
                    new_slug: new_slug.chars().take(200).collect(),
                    error,
                }),
                ..Shown::default()
            };
            let query = StatusQuery::default();
            render(&ctx, &page, &query, shown, StatusCode::BAD_REQUEST).await
        }
        Err(Refusal::NotFound(why)) => Err(AppError::NotFound(why)),
        Err(Refusal::Conflict(why)) => Err(AppError::Conflict(why)),
        Err(Refusal::Save(e)) => Err(e.into()),
    }
}

const NO_CLASH: &str = "No slug clash is listed for this post (it may have been settled).";

async fn take_in(
    ctx: &AppContext,
    conn: &mut AsyncPgConnection,
    post_id: i64,
    new_slug: &str,
) -> Result<(), Refusal> {
    let Some((ghost_id, _)) = db::ghost::clash_of_post(conn, post_id).await? else {
        return Err(Refusal::NotFound(NO_CLASH.into()));
    };
    // Imports of this Ghost post wait, then see the result.
    db::ghost::lock_ghost_id(conn, &ghost_id).await?;
    let Some((_, wanted)) = db::ghost::clash_of_post(conn, post_id).await? else {
        return Err(Refusal::NotFound(NO_CLASH.into()));
    };
    if let Err(e) = slug::validate(&wanted) {
        return Err(Refusal::Conflict(format!(
            "“{wanted}” cannot be an address here ({e}): change the slug in Ghost."
        )));
    }
    let Some(ghost_post) = db::posts::post_for_update(conn, post_id).await? else {
        return Err(Refusal::NotFound(NO_CLASH.into()));
    };
    if ghost_post.slug != wanted {
        match db::ghost::slug_holder(conn, &wanted).await? {
            None => {}
            // Only an old address of another post: it stops redirecting there.
            Some(holder) if holder.former => db::ghost::forget_former_slug(conn, &wanted).await?,
            Some(holder) if holder.imported => {
                return Err(Refusal::Conflict(format!(
                    "“{}” came from Ghost too: change the slug of one of them in Ghost.",
                    holder.title
                )));
            }
            Some(holder) => move_aside(ctx, conn, holder.post_id, &wanted, new_slug).await?,
        }
        if ghost_post.status == "published" {
            db::slugs::record_slug_change(conn, post_id, &ghost_post.slug, &wanted).await?;
        } else {
            db::ghost::forget_former_slug(conn, &wanted).await?;
        }
        db::ghost::set_post_slug(conn, post_id, &wanted).await?;
    }
    db::ghost::set_slug_clash(conn, &ghost_id, None).await?;
    Ok(())
}

/// Moves our post `id` off `wanted` to `new_slug` (checked here), telling the fediverse if it
/// was federated.
async fn move_aside(
    ctx: &AppContext,
    conn: &mut AsyncPgConnection,
    id: i64,
    wanted: &str,
    new_slug: &str,
) -> Result<(), Refusal> {
    if new_slug.is_empty() {
        return Err(Refusal::Form(format!(
            "Give the post here a new address, for “{wanted}” goes to Ghost's."
        )));
    }
    if let Err(e) = slug::validate(new_slug) {
        return Err(Refusal::Form(sentence(&format!("“{new_slug}”: {e}"))));
    }
    if new_slug == wanted {
        return Err(Refusal::Form(format!(
            "“{wanted}” is the address Ghost's post gets: choose another for the post here."
        )));
    }
    if db::slugs::slug_taken(conn, new_slug, Some(id)).await? {
        return Err(Refusal::Form(format!(
            "“{new_slug}” is already used by another post (now or as an old address)."
        )));
    }
    if db::posts::post_for_update(conn, id).await?.is_none() {
        return Err(Refusal::NotFound("The post here is gone.".into()));
    }
    // A former slug of its own it takes back is no longer a redirect.
    db::ghost::forget_former_slug(conn, new_slug).await?;
    db::ghost::set_post_slug(conn, id, new_slug).await?;
    if let Some(moved) = db::posts::post_for_update(conn, id).await? {
        let tags: Vec<_> = db::tags::tags_of(conn, &[id])
            .await?
            .into_iter()
            .map(|(_, t)| t)
            .collect();
        service::federate_change(ctx, conn, &moved, &tags).await?;
    }
    Ok(())
}

/// `POST /admin/ghost/clashes/{post_id}/dismiss`: keeps things as they are; the clash is
/// listed again only if the import's address changes.
pub async fn dismiss_clash(
    ctx: web::Data<AppContext>,
    user: CurrentUser,
    post_id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    permissions::require_admin(&user, ADMINS_ONLY)?;
    let mut conn = ctx.conn().await?;
    let Some((ghost_id, _)) = db::ghost::clash_of_post(&mut conn, *post_id).await? else {
        return Err(AppError::not_found(NO_CLASH));
    };
    db::ghost::set_slug_clash(&mut conn, &ghost_id, None).await?;
    Ok(see_other("/admin/ghost?slug=kept").finish())
}

/// `POST /admin/ghost/disconnect`: stops syncing; imported posts stay.
pub async fn disconnect(
    ctx: web::Data<AppContext>,
    user: CurrentUser,
) -> Result<HttpResponse, AppError> {
    permissions::require_admin(&user, ADMINS_ONLY)?;
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn webhook_addresses() {
        assert_eq!(
            check_webhook_url("https://blog.example.org/webhooks/ghost").as_deref(),
            Ok("https://blog.example.org/webhooks/ghost")
        );
        assert!(check_webhook_url("http://host.docker.internal:8080/webhooks/ghost").is_ok());
        for bad in [
            "blog.example.org/webhooks/ghost",
            "ftp://blog.example.org/",
            "https://u:p@blog.example.org/webhooks/ghost",
            "https://blog.example.org/webhooks/ghost#x",
        ] {
            assert!(check_webhook_url(bad).is_err(), "{bad}");
        }
        assert!(check_webhook_url(&format!("https://e.org/{}", "a".repeat(2000))).is_err());
    }

    #[test]
    fn errors_read_as_sentences() {
        assert_eq!(sentence("not connected: x"), "Not connected: x.");
        assert_eq!(sentence("Done."), "Done.");
    }
}
