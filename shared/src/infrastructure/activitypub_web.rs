//! The web face of ActivityPub, which every app serves (the app factory mounts it): WebFinger, NodeInfo,
//! the app's actor with its inbox, outbox, followers and following, the shared inbox; and on the
//! app whose `AppSpec::person_actors` says so, members' Person actors (`link_catalog::routes::PERSON`).

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use serde_json::json;

use super::app::AppContext;
use super::errors::AppError;
use super::link_catalog;
use super::redirect::see_other;
use crate::activitypub::actors::{self, LocalActor, Profile};
use crate::activitypub::inbox::{self, Received};
use crate::activitypub::{CONTENT_TYPE, MAX_DOCUMENT_BYTES, store, wants_activity_json};

const PAGE_SIZE: i64 = 20;

pub fn configure(cfg: &mut web::ServiceConfig, person_actors: bool) {
    let inbox_body = web::PayloadConfig::new(MAX_DOCUMENT_BYTES);
    cfg.route("/.well-known/webfinger", web::get().to(webfinger))
        .route("/.well-known/nodeinfo", web::get().to(nodeinfo_links))
        .route("/nodeinfo/{version}", web::get().to(nodeinfo))
        .route("/actor", web::get().to(app_actor))
        .route("/actor/outbox", web::get().to(app_outbox))
        .route("/actor/followers", web::get().to(app_followers))
        .route("/actor/following", web::get().to(app_following))
        .route("/actor/activities/{id}", web::get().to(app_activity))
        .service(
            web::resource("/actor/inbox")
                .app_data(inbox_body.clone())
                .route(web::post().to(inbox_post)),
        )
        .service(
            web::resource("/inbox")
                .app_data(inbox_body.clone())
                .route(web::post().to(inbox_post)),
        );
    if person_actors {
        let person = link_catalog::routes::PERSON;
        cfg.route(person, web::get().to(user_actor))
            .route(&format!("{person}/outbox"), web::get().to(user_outbox))
            .route(
                &format!("{person}/followers"),
                web::get().to(user_followers),
            )
            .route(
                &format!("{person}/following"),
                web::get().to(user_following),
            )
            .route(
                &format!("{person}/activities/{{id}}"),
                web::get().to(user_activity),
            )
            .service(
                web::resource(format!("{person}/inbox"))
                    .app_data(inbox_body)
                    .route(web::post().to(inbox_post)),
            );
    }
}

fn activity_json(body: serde_json::Value) -> HttpResponse {
    HttpResponse::Ok()
        .content_type(CONTENT_TYPE)
        .insert_header((header::VARY, "Accept"))
        .insert_header((header::CACHE_CONTROL, "max-age=60"))
        .body(body.to_string())
}

fn wants_json(req: &HttpRequest) -> bool {
    req.headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(wants_activity_json)
}

#[derive(Debug, Deserialize)]
struct WebfingerQuery {
    resource: Option<String>,
}

/// `acct:name@host` (or an actor URL) on this host → the actor.
async fn webfinger(
    ctx: web::Data<AppContext>,
    query: web::Query<WebfingerQuery>,
) -> Result<HttpResponse, AppError> {
    let resource = query
        .resource
        .as_deref()
        .ok_or_else(|| AppError::bad_request("resource is required"))?;
    let config = ctx.config();
    let actor = if let Some(acct) = resource.strip_prefix("acct:") {
        let (name, host) = acct
            .rsplit_once('@')
            .ok_or_else(|| AppError::bad_request("resource must be acct:name@host"))?;
        if !host.eq_ignore_ascii_case(&actors::acct_host(config, ctx.name())) {
            return Err(AppError::not_found("Not an account of this host."));
        }
        if name == ctx.name().as_str() {
            LocalActor::App(ctx.name())
        } else if ctx.spec().person_actors {
            match member(&ctx, name).await? {
                Member::Served => LocalActor::User(name.to_owned()),
                Member::Gone => return Ok(HttpResponse::Gone().finish()),
                Member::Missing => return Err(AppError::not_found("No such account.")),
            }
        } else {
            return Err(AppError::not_found("No such account."));
        }
    } else {
        match LocalActor::from_id(config, resource) {
            Some(a) if a.app() == ctx.name() => a,
            _ => return Err(AppError::not_found("No such account.")),
        }
    };
    let profile_url = match &actor {
        LocalActor::App(app) => ctx.url(*app, "/"),
        LocalActor::User(name) => link_catalog::profile(name).url(&ctx),
    };
    Ok(HttpResponse::Ok()
        .content_type("application/jrd+json")
        .insert_header((header::ACCESS_CONTROL_ALLOW_ORIGIN, "*"))
        .body(actors::webfinger(config, &actor, &profile_url).to_string()))
}

async fn member_exists(ctx: &AppContext, name: &str) -> Result<bool, AppError> {
    let mut conn = ctx.conn().await?;
    Ok(crate::models::users::by_username(&mut conn, name)
        .await?
        .is_some())
}

/// What a member's actor is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Member {
    Missing,
    /// Live, or deleted with its `Delete` still on its way (its key is still needed).
    Served,
    /// Deleted, and every delivery of its `Delete` tried: 410.
    Gone,
}

async fn member(ctx: &AppContext, name: &str) -> Result<Member, AppError> {
    let mut conn = ctx.conn().await?;
    let Some(user) = crate::models::users::by_username(&mut conn, name).await? else {
        return Ok(Member::Missing);
    };
    if !user.is_deleted() {
        return Ok(Member::Served);
    }
    let actor = LocalActor::User(user.username).id(ctx.config());
    Ok(if store::self_delete_settled(&mut conn, &actor).await? {
        Member::Gone
    } else {
        Member::Served
    })
}

/// A deleted member's actor: 410 with a Tombstone, as a deleted object answers.
fn gone_actor(ctx: &AppContext, name: &str) -> HttpResponse {
    let tombstone = json!({
        "@context": crate::activitypub::AS_CONTEXT,
        "id": LocalActor::User(name.to_owned()).id(ctx.config()),
        "type": "Tombstone",
        "formerType": "Person",
    });
    HttpResponse::Gone()
        .content_type(CONTENT_TYPE)
        .body(tombstone.to_string())
}

async fn nodeinfo_links(ctx: web::Data<AppContext>) -> HttpResponse {
    let base = ctx.url(ctx.name(), "/nodeinfo");
    HttpResponse::Ok().json(json!({
        "links": [
            { "rel": "http://nodeinfo.diaspora.software/ns/schema/2.0", "href": format!("{base}/2.0") },
            { "rel": "http://nodeinfo.diaspora.software/ns/schema/2.1", "href": format!("{base}/2.1") },
        ]
    }))
}

async fn nodeinfo(
    ctx: web::Data<AppContext>,
    version: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let version = version.into_inner();
    if version != "2.0" && version != "2.1" {
        return Err(AppError::not_found("Unknown NodeInfo version."));
    }
    // Every app's NodeInfo describes the whole fleet, read through the owners' contracts.
    let registry = ctx.registry();
    let (members, local_posts) = tokio::try_join!(
        registry.users.member_count(),
        registry.publications.published_count(),
    )?;
    let mut software = json!({ "name": "rose-ash", "version": env!("CARGO_PKG_VERSION") });
    if version == "2.1" {
        software["homepage"] = json!(link_catalog::home().url(&ctx));
    }
    let body = json!({
        "version": version,
        "software": software,
        "protocols": ["activitypub"],
        "services": { "inbound": [], "outbound": ["rss2.0", "atom1.0"] },
        "openRegistrations": true,
        "usage": { "users": { "total": members }, "localPosts": local_posts },
        "metadata": { "nodeName": "Rose Ash", "app": ctx.name() },
    });
    Ok(HttpResponse::Ok()
        .content_type(format!(
            "application/json; profile=\"http://nodeinfo.diaspora.software/ns/schema/{version}#\""
        ))
        .body(body.to_string()))
}

async fn actor_document(
    ctx: &AppContext,
    actor: &LocalActor,
) -> Result<serde_json::Value, AppError> {
    let key = ctx.activitypub().key_of(actor).await?;
    let config = ctx.config();
    Ok(match actor {
        LocalActor::App(app) => {
            let profile = ctx.spec().actor;
            let name = format!("Rose Ash {}", app.title());
            let url = ctx.url(*app, "/");
            actors::document(
                config,
                actor,
                &Profile {
                    kind: profile.kind,
                    name: &name,
                    summary: profile.summary,
                    url: &url,
                    icon: None,
                    public_key_pem: &key.public_pem,
                    manually_approves_followers: false,
                },
            )
        }
        LocalActor::User(username) => {
            let mut conn = ctx.conn().await?;
            person_document(ctx, &mut conn, username, &key.public_pem)
                .await?
                .ok_or_else(|| AppError::not_found("No such member."))?
        }
    })
}

/// A member's `Person` document as `conn` sees it (inside a caller's transaction, the state it
/// is about to commit), or none when there is no such member. The actor URL serves exactly
/// this; federation sends it in an `Update` when a change alters it.
pub async fn person_document(
    ctx: &AppContext,
    conn: &mut diesel_async::AsyncPgConnection,
    username: &str,
    public_pem: &str,
) -> Result<Option<serde_json::Value>, AppError> {
    let Some(user) = crate::models::users::by_username(conn, username).await? else {
        return Ok(None);
    };
    let locked = crate::models::users::manually_approves_followers(conn, user.id).await?;
    let url = link_catalog::profile(username).url(ctx);
    let summary = super::templates::escape_html(&user.bio);
    Ok(Some(actors::document(
        ctx.config(),
        &LocalActor::User(username.to_owned()),
        &Profile {
            kind: "Person",
            name: &user.display_name,
            summary: &summary,
            url: &url,
            icon: user.avatar_url.as_deref(),
            public_key_pem: public_pem,
            manually_approves_followers: locked,
        },
    )))
}

async fn serve_actor(
    req: &HttpRequest,
    ctx: &AppContext,
    actor: LocalActor,
    html_at: String,
) -> Result<HttpResponse, AppError> {
    if !wants_json(req) {
        return Ok(see_other(html_at)
            .insert_header((header::VARY, "Accept"))
            .finish());
    }
    Ok(activity_json(actor_document(ctx, &actor).await?))
}

async fn app_actor(req: HttpRequest, ctx: web::Data<AppContext>) -> Result<HttpResponse, AppError> {
    let home = ctx.url(ctx.name(), "/");
    serve_actor(&req, &ctx, LocalActor::App(ctx.name()), home).await
}

async fn user_actor(
    req: HttpRequest,
    ctx: web::Data<AppContext>,
    name: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let name = name.into_inner();
    match member(&ctx, &name).await? {
        Member::Missing => return Err(AppError::not_found("No such member.")),
        Member::Gone => return Ok(gone_actor(&ctx, &name)),
        Member::Served => {}
    }
    let profile = link_catalog::profile(&name).url(&ctx);
    serve_actor(&req, &ctx, LocalActor::User(name), profile).await
}

#[derive(Debug, Deserialize)]
struct PageQuery {
    page: Option<u32>,
}

enum Listing {
    Outbox,
    Followers,
    Following,
}

async fn collection(
    ctx: &AppContext,
    actor: &LocalActor,
    listing: Listing,
    page: Option<u32>,
) -> Result<HttpResponse, AppError> {
    let config = ctx.config();
    let actor_id = actor.id(config);
    let (id, total) = {
        let mut conn = ctx.conn().await?;
        match listing {
            Listing::Outbox => (
                actor.outbox(config),
                store::outbox_count(&mut conn, &actor_id).await?,
            ),
            Listing::Followers => (
                actor.followers(config),
                store::followers_count(&mut conn, &actor_id).await?,
            ),
            Listing::Following => (
                actor.following(config),
                store::following_count(&mut conn, &actor_id).await?,
            ),
        }
    };
    let Some(n) = page else {
        return Ok(activity_json(actors::collection(&id, total, None)));
    };
    if n == 0 {
        return Err(AppError::not_found("Pages start at 1."));
    }
    let offset = i64::from(n - 1) * PAGE_SIZE;
    let items: Vec<serde_json::Value> = {
        let mut conn = ctx.conn().await?;
        match listing {
            Listing::Outbox => store::outbox_page(&mut conn, &actor_id, PAGE_SIZE, offset).await?,
            Listing::Followers => store::followers_page(&mut conn, &actor_id, PAGE_SIZE, offset)
                .await?
                .into_iter()
                .map(serde_json::Value::from)
                .collect(),
            Listing::Following => store::following_page(&mut conn, &actor_id, PAGE_SIZE, offset)
                .await?
                .into_iter()
                .map(serde_json::Value::from)
                .collect(),
        }
    };
    let more = offset + (items.len() as i64) < total;
    Ok(activity_json(actors::collection(
        &id,
        total,
        Some((n, items, more)),
    )))
}

async fn app_outbox(
    ctx: web::Data<AppContext>,
    q: web::Query<PageQuery>,
) -> Result<HttpResponse, AppError> {
    collection(&ctx, &LocalActor::App(ctx.name()), Listing::Outbox, q.page).await
}
async fn app_followers(
    ctx: web::Data<AppContext>,
    q: web::Query<PageQuery>,
) -> Result<HttpResponse, AppError> {
    collection(
        &ctx,
        &LocalActor::App(ctx.name()),
        Listing::Followers,
        q.page,
    )
    .await
}
async fn app_following(
    ctx: web::Data<AppContext>,
    q: web::Query<PageQuery>,
) -> Result<HttpResponse, AppError> {
    collection(
        &ctx,
        &LocalActor::App(ctx.name()),
        Listing::Following,
        q.page,
    )
    .await
}

async fn known_user(ctx: &AppContext, name: String) -> Result<LocalActor, AppError> {
    if member_exists(ctx, &name).await? {
        Ok(LocalActor::User(name))
    } else {
        Err(AppError::not_found("No such member."))
    }
}

async fn user_outbox(
    ctx: web::Data<AppContext>,
    name: web::Path<String>,
    q: web::Query<PageQuery>,
) -> Result<HttpResponse, AppError> {
    let actor = known_user(&ctx, name.into_inner()).await?;
    collection(&ctx, &actor, Listing::Outbox, q.page).await
}
async fn user_followers(
    ctx: web::Data<AppContext>,
    name: web::Path<String>,
    q: web::Query<PageQuery>,
) -> Result<HttpResponse, AppError> {
    let actor = known_user(&ctx, name.into_inner()).await?;
    collection(&ctx, &actor, Listing::Followers, q.page).await
}
async fn user_following(
    ctx: web::Data<AppContext>,
    name: web::Path<String>,
    q: web::Query<PageQuery>,
) -> Result<HttpResponse, AppError> {
    let actor = known_user(&ctx, name.into_inner()).await?;
    collection(&ctx, &actor, Listing::Following, q.page).await
}

async fn activity_document(
    ctx: &AppContext,
    actor: &LocalActor,
    id: &str,
) -> Result<HttpResponse, AppError> {
    let full = format!("{}/activities/{id}", actor.id(ctx.config()));
    let row = {
        let mut conn = ctx.conn().await?;
        store::activity_by_id(&mut conn, &full).await?
    };
    match row {
        Some(a) if a.direction == "outbound" => Ok(activity_json(a.payload)),
        _ => Err(AppError::not_found("No such activity.")),
    }
}

async fn app_activity(
    ctx: web::Data<AppContext>,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    activity_document(&ctx, &LocalActor::App(ctx.name()), &id).await
}

async fn user_activity(
    ctx: web::Data<AppContext>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, AppError> {
    let (name, id) = path.into_inner();
    let actor = known_user(&ctx, name).await?;
    activity_document(&ctx, &actor, &id).await
}

/// Every inbox: verify, check, store, 202. Deliveries are never refused for not naming the
/// inbox's owner (shared inboxes carry activities for many).
async fn inbox_post(
    req: HttpRequest,
    ctx: web::Data<AppContext>,
    body: web::Bytes,
) -> HttpResponse {
    match inbox::receive(ctx.activitypub(), &req, &body).await {
        Ok(Received::Stored(_) | Received::Duplicate | Received::Ignored) => {
            HttpResponse::Accepted().finish()
        }
        Err(e) => {
            tracing::info!(error = %e, path = req.path(), "inbox delivery refused");
            HttpResponse::build(e.status())
                .content_type("application/json")
                .body(json!({ "error": e.to_string() }).to_string())
        }
    }
}

/// The answer to an app object's id (`/objects/...`): the AS2 document to an ActivityPub
/// client (`Vary: Accept`), a redirect to its page (`page` of the slug) for a browser, 410 with
/// the Tombstone once deleted, 404 (`missing`) for an id never published.
pub fn object_response(
    req: &HttpRequest,
    published: store::Published,
    page: impl FnOnce(&str) -> String,
    missing: &str,
) -> Result<HttpResponse, AppError> {
    let accept = req
        .headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    match published {
        store::Published::Live(object, _) if wants_activity_json(accept) => Ok(HttpResponse::Ok()
            .content_type(CONTENT_TYPE)
            .insert_header((header::VARY, "Accept"))
            .body(object.to_string())),
        store::Published::Live(_, slug) => Ok(see_other(page(&slug)).finish()),
        store::Published::Gone(tombstone) => Ok(HttpResponse::Gone()
            .content_type(CONTENT_TYPE)
            .body(tombstone.to_string())),
        store::Published::Missing => Err(AppError::not_found(missing)),
    }
}
