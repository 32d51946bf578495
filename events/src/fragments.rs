//! Fragments the events app serves to the fleet.

use actix_web::{HttpResponse, web};
use shared::models::events;
use shared::{AppContext, AppError, AppName};

use crate::routes::EventView;

pub fn configure(cfg: &mut web::ServiceConfig, _ctx: &AppContext) {
    cfg.route("/upcoming", web::get().to(upcoming))
        .route("/event-card", web::get().to(event_card));
}

#[derive(serde::Deserialize)]
struct CardQuery {
    slug: String,
}

/// `event-card`: one event, for embedding in a blog post.
async fn event_card(
    ctx: web::Data<AppContext>,
    query: web::Query<CardQuery>,
) -> Result<HttpResponse, AppError> {
    let event = {
        let mut conn = ctx.conn().await?;
        events::by_slug(&mut conn, &query.slug).await?
    };
    let mut context = tera::Context::new();
    context.insert(
        "events",
        &event.iter().map(EventView::from).collect::<Vec<_>>(),
    );
    context.insert("events_url", &ctx.url(AppName::Events, "/"));
    context.insert("card", &true);
    ctx.render_fragment("fragments/event-card.html", &context, 60)
}

/// `upcoming`: the next few events.
async fn upcoming(ctx: web::Data<AppContext>) -> Result<HttpResponse, AppError> {
    let rows = {
        let mut conn = ctx.conn().await?;
        events::upcoming(&mut conn, chrono::Utc::now(), 4).await?
    };
    let mut context = tera::Context::new();
    context.insert(
        "events",
        &rows.iter().map(EventView::from).collect::<Vec<_>>(),
    );
    context.insert("events_url", &ctx.url(AppName::Events, "/"));
    ctx.render_fragment("fragments/upcoming.html", &context, 60)
}
