//! The social hub's pages and forms (thin: the rules are in `domain`).

mod actions;
mod notifications;
mod profiles;
mod reports;
mod statuses;
mod timelines;

use actix_web::web;
use shared::activitypub::actors::LocalActor;
use shared::infrastructure::sso::CurrentUser;
use shared::{AppContext, AppError, PageRequest};

use super::db::{filters, notifications as notification_rows, timeline};
use super::post_html;

pub fn configure(cfg: &mut web::ServiceConfig) {
    timelines::configure(cfg);
    statuses::configure(cfg);
    profiles::configure(cfg);
    actions::configure(cfg);
    notifications::configure(cfg);
    reports::configure(cfg);
}

/// Who is looking: their actor id ('' when signed out), the LIKE patterns of whom they block or
/// mute, and their unread notifications.
pub struct Viewer {
    pub user: Option<CurrentUser>,
    pub actor: String,
    pub hidden: Vec<String>,
    pub unread: i64,
}

impl Viewer {
    pub async fn of(ctx: &AppContext, user: Option<CurrentUser>) -> Result<Viewer, AppError> {
        let Some(user) = user else {
            return Ok(Viewer {
                user: None,
                actor: String::new(),
                hidden: Vec::new(),
                unread: 0,
            });
        };
        // Both go to PostgreSQL together on one connection (diesel-async pipelines them).
        let conn = ctx.conn().await?;
        let (rows, unread) = tokio::try_join!(
            filters::of(&conn, user.id),
            notification_rows::unread(&conn, user.id)
        )?;
        let actors: Vec<String> = rows
            .iter()
            .filter(|r| r.1 == "actor")
            .map(|r| r.2.clone())
            .collect();
        let domains: Vec<String> = rows
            .iter()
            .filter(|r| r.1 == "domain")
            .map(|r| r.2.clone())
            .collect();
        Ok(Viewer {
            actor: LocalActor::User(user.username.clone()).id(ctx.config()),
            hidden: timeline::hidden_patterns(&actors, &domains),
            unread,
            user: Some(user),
        })
    }

    /// What the posts' forms need: a signed-in viewer and the page's CSRF token.
    pub fn forms<'a>(&self, page: &'a PageRequest) -> post_html::Forms<'a> {
        post_html::Forms {
            signed_in: self.user.is_some(),
            csrf_token: page.csrf_token.as_deref(),
        }
    }

    /// What every social page's template needs about the viewer.
    pub fn insert_into(&self, context: &mut tera::Context) {
        context.insert("me", &self.user.as_ref().map(|u| &u.username));
        context.insert("unread", &self.unread);
    }
}

/// `?max_id=N`: entries older than N.
#[derive(Debug, serde::Deserialize)]
pub struct Cursor {
    pub max_id: Option<i64>,
}

pub const PAGE: i64 = 20;
