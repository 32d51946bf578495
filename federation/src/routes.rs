//! The members directory.

use actix_web::{HttpResponse, web};
use serde::Serialize;
use shared::models::users::User;
use shared::{AppContext, AppError, PageRequest};

use crate::db::members;

pub fn configure(cfg: &mut web::ServiceConfig) {
    // A member's profile (`/@name`) is the social hub's (`crate::social`).
    cfg.route("/", web::get().to(index));
}

#[derive(Debug, Serialize)]
struct MemberView<'a> {
    username: &'a str,
    display_name: &'a str,
    avatar_url: Option<&'a str>,
    bio: &'a str,
    role: &'a str,
    joined: String,
}

impl<'a> From<&'a User> for MemberView<'a> {
    fn from(u: &'a User) -> Self {
        MemberView {
            username: &u.username,
            display_name: &u.display_name,
            avatar_url: u.avatar_url.as_deref(),
            bio: &u.bio,
            role: &u.role,
            joined: u.created_at.to_rfc3339(),
        }
    }
}

async fn index(ctx: web::Data<AppContext>, page: PageRequest) -> Result<HttpResponse, AppError> {
    let members: Vec<User> = {
        let mut conn = ctx.conn().await?;
        members::directory(&mut conn, 100).await?
    };
    let mut context = ctx.base_context();
    context.insert(
        "members",
        &members.iter().map(MemberView::from).collect::<Vec<_>>(),
    );
    ctx.render_page(&page, "index.html", context, Vec::new())
        .await
}
