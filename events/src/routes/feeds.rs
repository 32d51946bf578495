//! iCal feeds (`text/calendar`): every public event, a calendar's, one event's, and a member's
//! bookings behind their private address. Each answers `ETag`/`If-None-Match` with 304.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::Utc;
use shared::{AppContext, AppError, AppName};

use crate::domain::feed::{self, FeedSite, Item};
use crate::domain::{BookingDesk, Calendar, Listing};
use crate::state::EventsState;

/// The feed's bytes, or 304 when the client has them already.
fn respond(req: &HttpRequest, body: String, private: bool) -> HttpResponse {
    let etag = feed::etag(&body);
    let cache = if private {
        "private, no-cache"
    } else {
        "public, max-age=300"
    };
    let matches = req
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag || t.trim() == "*"));
    if matches {
        return HttpResponse::NotModified()
            .insert_header((header::ETAG, etag))
            .insert_header((header::CACHE_CONTROL, cache))
            .finish();
    }
    HttpResponse::Ok()
        .content_type("text/calendar; charset=utf-8")
        .insert_header((header::ETAG, etag))
        .insert_header((header::CACHE_CONTROL, cache))
        .body(body)
}

fn render(ctx: &AppContext, name: &str, items: &[Item<'_>]) -> String {
    let base = ctx.url(AppName::Events, "/");
    let base = base.trim_end_matches('/');
    let host = url_host(base);
    feed::render(
        &FeedSite {
            host: &host,
            base_url: base,
        },
        name,
        items,
        Utc::now(),
    )
}

fn url_host(base: &str) -> String {
    base.split_once("://")
        .map(|(_, rest)| rest.split(['/', ':']).next().unwrap_or(rest))
        .unwrap_or(base)
        .to_owned()
}

async fn listing_feed(
    ctx: &AppContext,
    req: &HttpRequest,
    listing: &Listing,
    name: &str,
) -> Result<HttpResponse, AppError> {
    let events = Calendar::new(ctx.db()).feed(listing).await?;
    let items: Vec<Item<'_>> = events.iter().map(|(e, d)| Item::Event(e, d)).collect();
    Ok(respond(req, render(ctx, name, &items), false))
}

pub async fn all(
    ctx: web::Data<AppContext>,
    req: HttpRequest,
    listing: web::Query<Listing>,
) -> Result<HttpResponse, AppError> {
    listing_feed(&ctx, &req, &listing, "Rose Ash events").await
}

pub async fn calendar(
    ctx: web::Data<AppContext>,
    req: HttpRequest,
    slug: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let (calendar, _) = Calendar::new(ctx.db()).calendar(&slug).await?;
    let listing = Listing {
        calendar: calendar.slug.clone(),
        ..Listing::default()
    };
    listing_feed(&ctx, &req, &listing, &calendar.name).await
}

pub async fn event(
    ctx: web::Data<AppContext>,
    req: HttpRequest,
    slug: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let (event, dates) = Calendar::new(ctx.db()).event_feed(&slug).await?;
    let body = render(&ctx, &event.title, &[Item::Event(&event, &dates)]);
    Ok(respond(&req, body, false))
}

pub async fn bookings(
    ctx: web::Data<AppContext>,
    state: web::Data<EventsState>,
    req: HttpRequest,
    token: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let desk = BookingDesk::new(ctx.db());
    let Some(user_id) = desk.feed_owner(&state.feeds, &token).await? else {
        return Err(AppError::not_found("There is no such feed."));
    };
    let rows = desk.of(user_id, false).await?;
    let items: Vec<Item<'_>> = rows
        .iter()
        .map(|b| Item::Date(&b.event, &b.occurrence))
        .collect();
    Ok(respond(&req, render(&ctx, "My bookings", &items), true))
}
