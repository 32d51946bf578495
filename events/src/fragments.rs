//! Fragments the events app serves to the fleet (`/internal/fragments/<type>`).

use actix_web::{HttpResponse, web};
use shared::{AppContext, AppError, AppName};

use crate::domain::Calendar;
use crate::views::{self, EventCardFragment, UpcomingFragment};

/// How long other apps may cache an events fragment, in seconds.
const MAX_AGE: u32 = 60;

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
    let event = Calendar::new(ctx.db()).find(&query.slug).await?;
    let view = EventCardFragment::new(event.as_ref(), ctx.url(AppName::Events, "/"));
    ctx.render_fragment(
        "fragments/event-card.html",
        &views::context(&view)?,
        MAX_AGE,
    )
}

/// `upcoming`: the next few events.
async fn upcoming(ctx: web::Data<AppContext>) -> Result<HttpResponse, AppError> {
    let rows = Calendar::new(ctx.db()).widget(chrono::Utc::now()).await?;
    let view = UpcomingFragment::new(&rows, ctx.url(AppName::Events, "/"));
    ctx.render_fragment("fragments/upcoming.html", &views::context(&view)?, MAX_AGE)
}
