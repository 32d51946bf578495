//! A member's notifications, newest first, and marking them read.

use actix_web::{HttpResponse, web};
use serde::Serialize;
use shared::infrastructure::link_catalog;
use shared::infrastructure::redirect::see_other;
use shared::infrastructure::sso::CurrentUser;
use shared::{AppContext, AppError, PageRequest};

use super::{Cursor, PAGE, Viewer};
use crate::social::authors::{self, Author};
use crate::social::db::{notifications, timeline};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route(link_catalog::routes::NOTIFICATIONS, web::get().to(list))
        .route("/notifications/read", web::post().to(mark_read));
}

#[derive(Debug, Serialize)]
struct NotificationView {
    id: i64,
    kind: String,
    actor: Author,
    /// Our page for the post it is about.
    post: Option<String>,
    unread: bool,
    when: String,
    when_iso: String,
}

async fn list(
    ctx: web::Data<AppContext>,
    page: PageRequest,
    user: CurrentUser,
    q: web::Query<Cursor>,
) -> Result<HttpResponse, AppError> {
    let user_id = user.id;
    let viewer = Viewer::of(&ctx, Some(user)).await?;
    let mut conn = ctx.conn().await?;
    let rows = notifications::page(&mut conn, user_id, q.max_id, PAGE).await?;
    let ids: Vec<String> = rows.iter().map(|n| n.actor.clone()).collect();
    let people = authors::load(&conn, ctx.config(), &ids).await?;
    let now = chrono::Utc::now();
    let mut items = Vec::new();
    for n in &rows {
        let post = match &n.object_id {
            Some(o) => timeline::seq_of(&mut conn, o)
                .await?
                .map(|s| format!("/statuses/{s}")),
            None => None,
        };
        items.push(NotificationView {
            id: n.id,
            kind: n.kind.clone(),
            actor: people
                .get(&n.actor)
                .cloned()
                .unwrap_or_else(|| authors::Author {
                    id: n.actor.clone(),
                    name: n.actor.clone(),
                    handle: n.actor.clone(),
                    profile: authors::remote_profile_path(&n.actor),
                    avatar: None,
                    local: false,
                    bot: false,
                }),
            post,
            unread: n.read_at.is_none(),
            when: crate::social::views::relative(n.created_at, now),
            when_iso: n.created_at.to_rfc3339(),
        });
    }
    drop(conn);
    let next = (items.len() as i64 == PAGE)
        .then(|| items.last().map(|n| n.id))
        .flatten();
    let mut context = ctx.base_context();
    context.insert("notifications", &items);
    context.insert("next_max_id", &next);
    viewer.insert_into(&mut context);
    ctx.render_page(&page, "social/notifications.html", context, Vec::new())
        .await
}

async fn mark_read(
    ctx: web::Data<AppContext>,
    user: CurrentUser,
) -> Result<HttpResponse, AppError> {
    let mut conn = ctx.conn().await?;
    notifications::mark_all_read(&mut conn, user.id).await?;
    Ok(see_other("/notifications").finish())
}
