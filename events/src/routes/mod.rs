//! The calendar and event pages.

use actix_web::{HttpResponse, web};
use serde::Serialize;
use shared::infrastructure::link_catalog;
use shared::models::events::{self, Event};
use shared::{AppContext, AppError, PageRequest};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/", web::get().to(index))
        .route(link_catalog::routes::EVENT, web::get().to(show));
}

#[derive(Debug, Serialize)]
pub struct EventView<'a> {
    pub slug: &'a str,
    pub title: &'a str,
    pub description: &'a str,
    pub location: &'a str,
    pub starts_at: String,
    pub ends_at: Option<String>,
}

impl<'a> From<&'a Event> for EventView<'a> {
    fn from(e: &'a Event) -> Self {
        EventView {
            slug: &e.slug,
            title: &e.title,
            description: &e.description,
            location: &e.location,
            starts_at: e.starts_at.to_rfc3339(),
            ends_at: e.ends_at.map(|t| t.to_rfc3339()),
        }
    }
}

async fn index(ctx: web::Data<AppContext>, page: PageRequest) -> Result<HttpResponse, AppError> {
    let rows = {
        let mut conn = ctx.conn().await?;
        events::upcoming(&mut conn, chrono::Utc::now(), 50).await?
    };
    let mut context = ctx.base_context();
    context.insert(
        "events",
        &rows.iter().map(EventView::from).collect::<Vec<_>>(),
    );
    ctx.render_page(&page, "index.html", context, Vec::new())
        .await
}

async fn show(
    ctx: web::Data<AppContext>,
    page: PageRequest,
    slug: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let event = {
        let mut conn = ctx.conn().await?;
        events::by_slug(&mut conn, &slug).await?
    }
    .ok_or_else(|| AppError::not_found("There is no such event."))?;
    let mut context = ctx.base_context();
    context.insert("event", &EventView::from(&event));
    ctx.render_page(&page, "event.html", context, Vec::new())
        .await
}
