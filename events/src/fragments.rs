//! Fragments the events app serves to the fleet (`/internal/fragments/<type>`): `upcoming`
//! (by calendar, tag, limit), `event-card` (one event) and `calendar-month` (a month grid).

use actix_web::{HttpResponse, web};
use chrono::Utc;
use shared::{AppContext, AppError, AppName};

use crate::domain::{Calendar, Listing, WIDGET_SIZE};
use crate::month;
use crate::routes::parse_month;
use crate::state::EventsState;
use crate::views::{self, EventCardFragment, MonthPage, UpcomingFragment};

/// How long other apps may cache an events fragment, in seconds.
const MAX_AGE: u32 = 60;
/// Most dates an `upcoming` fragment lists.
const MAX_LIMIT: i64 = 20;

pub fn configure(cfg: &mut web::ServiceConfig, _ctx: &AppContext) {
    cfg.route("/upcoming", web::get().to(upcoming))
        .route("/event-card", web::get().to(event_card))
        .route("/calendar-month", web::get().to(calendar_month));
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
    let card = Calendar::new(ctx.db())
        .card(&query.slug, Utc::now())
        .await?;
    let view = EventCardFragment::new(card.as_ref(), ctx.url(AppName::Events, "/"));
    ctx.render_fragment(
        "fragments/event-card.html",
        &views::context(&view)?,
        MAX_AGE,
    )
}

#[derive(serde::Deserialize)]
struct UpcomingQuery {
    #[serde(default)]
    limit: Option<i64>,
}

/// `upcoming`: the next few dates (of a calendar, of a tag).
async fn upcoming(
    ctx: web::Data<AppContext>,
    listing: web::Query<Listing>,
    query: web::Query<UpcomingQuery>,
) -> Result<HttpResponse, AppError> {
    let limit = query.limit.unwrap_or(WIDGET_SIZE).clamp(1, MAX_LIMIT);
    let rows = Calendar::new(ctx.db())
        .widget(&listing, Utc::now(), limit)
        .await?;
    let view = UpcomingFragment::new(&rows, ctx.url(AppName::Events, "/"));
    ctx.render_fragment("fragments/upcoming.html", &views::context(&view)?, MAX_AGE)
}

#[derive(serde::Deserialize)]
struct MonthQuery {
    #[serde(default)]
    month: String,
}

/// `calendar-month`: a month's grid (this month unless `month=YYYY-MM`).
async fn calendar_month(
    ctx: web::Data<AppContext>,
    state: web::Data<EventsState>,
    listing: web::Query<Listing>,
    query: web::Query<MonthQuery>,
) -> Result<HttpResponse, AppError> {
    let first = parse_month(&query.month)?;
    let month = month::read(ctx.db(), &state.months, &listing, first).await?;
    let today = Utc::now()
        .with_timezone(&chrono_tz::Europe::London)
        .date_naive();
    let events_url = ctx.url(AppName::Events, "/");
    let view = MonthPage::new(&month, &listing, today, events_url.clone(), &events_url);
    ctx.render_fragment(
        "fragments/calendar-month.html",
        &views::context(&view)?,
        MAX_AGE,
    )
}
