//! Profiles: a member's or one of the fleet's apps' (`/@name`), and a remote actor's
//! (`/remote?actor=<handle or address>`), each with their posts and boosts, follower and
//! following counts, and the viewer's follow, block and mute buttons.

use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};
use shared::activitypub::actors::LocalActor;
use shared::activitypub::sanitize;
use shared::infrastructure::sso::CurrentUser;
use shared::{AppContext, AppError, AppName, PageRequest};

use super::timelines::{Listing, render};
use super::{Cursor, Viewer};
use crate::ap::remote;
use crate::social::authors::{self, Author};
use crate::social::db::timeline::Source;
use crate::social::db::{filters, local_follows};
use crate::social::domain::relations;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route(
        shared::infrastructure::link_catalog::routes::PROFILE,
        web::get().to(member),
    )
    .route("/remote", web::get().to(remote_profile));
}

#[derive(Debug, Serialize)]
struct ProfileView {
    author: Author,
    /// Their bio (members: plain text; remote: sanitised HTML).
    bio: String,
    followers: Option<i64>,
    following: Option<i64>,
    /// "accepted", "pending" or none: whether the viewer follows them.
    follow_state: Option<String>,
    follows_viewer: bool,
    blocked: bool,
    muted: bool,
    is_viewer: bool,
    remote_url: Option<String>,
    /// A remote actor: members may report them (a `Flag` to their server).
    reportable: bool,
}

async fn relation(
    ctx: &AppContext,
    viewer: &Viewer,
    actor: &str,
) -> Result<(Option<String>, bool, bool, bool), AppError> {
    let Some(user) = &viewer.user else {
        return Ok((None, false, false, false));
    };
    let mut conn = ctx.conn().await?;
    let state = local_follows::following_state(&mut conn, &viewer.actor, actor).await?;
    let follows_me = local_follows::following_state(&mut conn, actor, &viewer.actor)
        .await?
        .is_some()
        || local_follows::remote_follower(&mut conn, &viewer.actor, actor)
            .await?
            .is_some();
    let rows = filters::of(&conn, user.id).await?;
    let blocked = rows
        .iter()
        .any(|r| r.0 == "block" && r.1 == "actor" && r.2 == actor);
    let muted = rows
        .iter()
        .any(|r| r.0 == "mute" && r.1 == "actor" && r.2 == actor);
    Ok((state, follows_me, blocked, muted))
}

async fn member(
    ctx: web::Data<AppContext>,
    page: PageRequest,
    user: Option<CurrentUser>,
    username: web::Path<String>,
    q: web::Query<Cursor>,
) -> Result<HttpResponse, AppError> {
    let name = username.into_inner();
    let config = ctx.config();
    let member = {
        let mut conn = ctx.conn().await?;
        shared::models::users::by_username(&mut conn, &name).await?
    };
    let (actor, bio) = match (&member, AppName::ALL.iter().find(|a| a.as_str() == name)) {
        (Some(m), _) => (LocalActor::User(m.username.clone()), m.bio.clone()),
        (None, Some(app)) => (LocalActor::App(*app), String::new()),
        (None, None) => return Err(AppError::not_found("There is no member by that name.")),
    };
    let id = actor.id(config);
    let viewer = Viewer::of(&ctx, user).await?;
    let (author, counts) = {
        let mut conn = ctx.conn().await?;
        let people = authors::load(&conn, config, std::slice::from_ref(&id)).await?;
        (
            people.get(&id).cloned(),
            local_follows::counts(&mut conn, &id).await?,
        )
    };
    let author = author.ok_or_else(|| AppError::not_found("There is no member by that name."))?;
    let (follow_state, follows_viewer, blocked, muted) = relation(&ctx, &viewer, &id).await?;
    let profile = ProfileView {
        bio: shared::infrastructure::templates::escape_html(&bio),
        followers: Some(counts.0),
        following: Some(counts.1),
        follow_state,
        follows_viewer,
        blocked,
        muted,
        is_viewer: viewer.actor == id,
        remote_url: None,
        reportable: false,
        author,
    };
    let mut context = ctx.base_context();
    context.insert("profile", &profile);
    if let Some(m) = &member {
        context.insert("joined", &m.created_at.to_rfc3339());
    }
    let heading = profile.author.name.clone();
    render(
        &ctx,
        &page,
        &viewer,
        Listing {
            source: Source::Profile(&id),
            cursor: q.max_id,
            heading: &heading,
            template: "social/profile.html",
            with_posts: true,
        },
        context,
    )
    .await
}

#[derive(Debug, Deserialize)]
struct RemoteQuery {
    actor: String,
    max_id: Option<i64>,
    /// Back from sending a report.
    reported: Option<String>,
}

/// `totalItems` of a remote collection, if it answers (best effort: counts are decoration).
async fn total_items(ctx: &AppContext, url: Option<&str>) -> Option<i64> {
    let url = url.and_then(sanitize::web_url)?;
    let doc = tokio::time::timeout(
        std::time::Duration::from_secs(3),
        ctx.activitypub().fetcher.document(&url, None),
    )
    .await
    .ok()?
    .ok()?;
    doc["totalItems"].as_i64()
}

async fn remote_profile(
    ctx: web::Data<AppContext>,
    page: PageRequest,
    user: Option<CurrentUser>,
    q: web::Query<RemoteQuery>,
) -> Result<HttpResponse, AppError> {
    let config = ctx.config();
    let id = relations::resolve(&ctx, &q.actor).await?;
    if let Some(local) = LocalActor::from_id(config, &id) {
        return Ok(shared::infrastructure::redirect::see_other(format!(
            "/@{}",
            local.preferred_username()
        ))
        .finish());
    }
    let actor = remote::actor(&ctx, &id).await?;
    let viewer = Viewer::of(&ctx, user).await?;
    let (follow_state, follows_viewer, blocked, muted) = relation(&ctx, &viewer, &id).await?;
    // The actor document's collections, for their counts.
    let doc = tokio::time::timeout(
        std::time::Duration::from_secs(3),
        ctx.activitypub().fetcher.document(&id, None),
    )
    .await
    .ok()
    .and_then(Result::ok)
    .unwrap_or_default();
    let followers = total_items(&ctx, doc["followers"].as_str()).await;
    let following = total_items(&ctx, doc["following"].as_str()).await;
    let profile = ProfileView {
        bio: actor
            .summary
            .as_deref()
            .map(sanitize::html)
            .unwrap_or_default(),
        followers,
        following,
        follow_state,
        follows_viewer,
        blocked,
        muted,
        is_viewer: false,
        remote_url: actor.url.as_deref().and_then(sanitize::web_url),
        reportable: true,
        author: authors::from_remote(&actor),
    };
    let mut context = ctx.base_context();
    context.insert("profile", &profile);
    context.insert("reported", &q.reported.is_some());
    let heading = profile.author.name.clone();
    render(
        &ctx,
        &page,
        &viewer,
        Listing {
            source: Source::Profile(&id),
            cursor: q.max_id,
            heading: &heading,
            template: "social/profile.html",
            with_posts: true,
        },
        context,
    )
    .await
}
