//! A member's forms about other actors: follow (by handle or address), unfollow, answer
//! follow requests, remove followers, block and mute (actors and domains), lock the account;
//! and the page listing all of it (`/follows`).

use actix_web::{HttpResponse, web};
use diesel_async::AsyncConnection;
use serde::{Deserialize, Serialize};
use shared::infrastructure::redirect::see_other;
use shared::infrastructure::sso::CurrentUser;
use shared::{AppContext, AppError, PageRequest};

use super::Viewer;
use crate::social::authors::{self, Author};
use crate::social::db::{filters, local_follows, settings};
use crate::social::domain::actor_updates::PersonUpdate;
use crate::social::domain::relations;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/follows", web::get().to(follows_page))
        .route("/social/follow", web::post().to(follow))
        .route("/social/unfollow", web::post().to(unfollow))
        .route("/social/followers/{answer}", web::post().to(answer))
        .route("/social/filters", web::post().to(add_filter))
        .route("/social/filters/remove", web::post().to(remove_filter))
        .route("/social/settings", web::post().to(save_settings));
}

#[derive(Debug, Deserialize)]
struct ActorForm {
    /// A handle (`name@host`) or an address.
    actor: String,
    back: Option<String>,
}

fn back(back: Option<&str>) -> String {
    match back {
        Some(b) if b.starts_with('/') && !b.starts_with("//") && !b.contains('\\') => b.to_owned(),
        _ => "/follows".to_owned(),
    }
}

async fn follow(
    ctx: web::Data<AppContext>,
    user: CurrentUser,
    form: web::Form<ActorForm>,
) -> Result<HttpResponse, AppError> {
    let target = relations::resolve(&ctx, &form.actor).await?;
    relations::follow(&ctx, user.id, &user.username, &target).await?;
    Ok(see_other(back(form.back.as_deref())).finish())
}

async fn unfollow(
    ctx: web::Data<AppContext>,
    user: CurrentUser,
    form: web::Form<ActorForm>,
) -> Result<HttpResponse, AppError> {
    relations::unfollow(&ctx, &user.username, form.actor.trim()).await?;
    Ok(see_other(back(form.back.as_deref())).finish())
}

async fn answer(
    ctx: web::Data<AppContext>,
    user: CurrentUser,
    what: web::Path<String>,
    form: web::Form<ActorForm>,
) -> Result<HttpResponse, AppError> {
    let accept = match what.as_str() {
        "accept" => true,
        "reject" | "remove" => false,
        _ => return Err(AppError::not_found("No such answer.")),
    };
    relations::answer_follower(&ctx, &user.username, form.actor.trim(), accept).await?;
    Ok(see_other(back(form.back.as_deref())).finish())
}

#[derive(Debug, Deserialize)]
struct FilterForm {
    kind: String,
    target_kind: String,
    target: String,
    back: Option<String>,
}

async fn add_filter(
    ctx: web::Data<AppContext>,
    user: CurrentUser,
    form: web::Form<FilterForm>,
) -> Result<HttpResponse, AppError> {
    let target = if form.target_kind == "actor" {
        relations::resolve(&ctx, &form.target).await?
    } else {
        form.target.clone()
    };
    relations::filter(
        &ctx,
        user.id,
        &user.username,
        &form.kind,
        &form.target_kind,
        &target,
    )
    .await?;
    Ok(see_other(back(form.back.as_deref())).finish())
}

async fn remove_filter(
    ctx: web::Data<AppContext>,
    user: CurrentUser,
    form: web::Form<FilterForm>,
) -> Result<HttpResponse, AppError> {
    relations::unfilter(
        &ctx,
        user.id,
        &user.username,
        &form.kind,
        &form.target_kind,
        form.target.trim(),
    )
    .await?;
    Ok(see_other(back(form.back.as_deref())).finish())
}

#[derive(Debug, Deserialize)]
struct SettingsForm {
    locked: Option<String>,
}

async fn save_settings(
    ctx: web::Data<AppContext>,
    user: CurrentUser,
    form: web::Form<SettingsForm>,
) -> Result<HttpResponse, AppError> {
    let mut person = PersonUpdate::new(&ctx, &user.username).await?;
    let mut conn = ctx.conn().await?;
    conn.transaction(async |conn| {
        person.before(conn).await?;
        settings::set_manually_approves(conn, user.id, form.locked.is_some()).await?;
        person.after(conn).await?;
        Ok::<_, AppError>(())
    })
    .await?;
    Ok(see_other("/follows").finish())
}

#[derive(Debug, Serialize)]
struct Row {
    author: Author,
    state: String,
}

#[derive(Debug, Serialize)]
struct FilterRow {
    kind: String,
    target_kind: String,
    target: String,
    label: String,
}

async fn follows_page(
    ctx: web::Data<AppContext>,
    page: PageRequest,
    user: CurrentUser,
) -> Result<HttpResponse, AppError> {
    let user_id = user.id;
    let viewer = Viewer::of(&ctx, Some(user)).await?;
    let mut conn = ctx.conn().await?;
    let followers = local_follows::followers(&mut conn, &viewer.actor, 200).await?;
    let following = local_follows::following_list(&mut conn, &viewer.actor, 200).await?;
    let filter_rows = filters::of(&conn, user_id).await?;
    let locked = settings::manually_approves(&mut conn, user_id).await?;
    let mut ids: Vec<String> = followers
        .iter()
        .chain(following.iter())
        .map(|(a, _)| a.clone())
        .chain(
            filter_rows
                .iter()
                .filter(|f| f.1 == "actor")
                .map(|f| f.2.clone()),
        )
        .collect();
    ids.sort();
    ids.dedup();
    let people = authors::load(&conn, ctx.config(), &ids).await?;
    drop(conn);
    let rows = |list: Vec<(String, String)>| -> Vec<Row> {
        list.into_iter()
            .filter_map(|(a, state)| people.get(&a).cloned().map(|author| Row { author, state }))
            .collect()
    };
    let (requests, followers): (Vec<Row>, Vec<Row>) = rows(followers)
        .into_iter()
        .partition(|r| r.state == "pending");
    let filters: Vec<FilterRow> = filter_rows
        .into_iter()
        .map(|(kind, target_kind, target)| FilterRow {
            label: people
                .get(&target)
                .map(|a| a.handle.clone())
                .unwrap_or_else(|| target.clone()),
            kind,
            target_kind,
            target,
        })
        .collect();
    let mut context = ctx.base_context();
    context.insert("requests", &requests);
    context.insert("followers", &followers);
    context.insert("following", &rows(following));
    context.insert("filters", &filters);
    context.insert("locked", &locked);
    viewer.insert_into(&mut context);
    ctx.render_page(&page, "social/follows.html", context, Vec::new())
        .await
}
