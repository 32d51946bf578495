//! iCal feeds (`text/calendar`): every public event, a calendar's, one event's, and a member's
//! bookings behind their private address. Each answers `ETag`/`If-None-Match` with 304.

use actix_web::http::header;
use actix_web::web::Bytes;
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::Utc;
use shared::{AppContext, AppError, AppName};

use crate::answers::Answer;
use crate::domain::feed::{self, FeedSite, Item};
use crate::domain::{BookingDesk, Calendar, Listing};
use crate::state::EventsState;

/// The feed's bytes, or 304 when the client has them already.
fn respond(req: &HttpRequest, body: String, private: bool) -> HttpResponse {
    let etag = feed::etag(&body);
    respond_with(req, Bytes::from(body), etag, private)
}

fn respond_with(req: &HttpRequest, body: Bytes, etag: String, private: bool) -> HttpResponse {
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

/// The kept copy of a public listing's feed, if this process has one (see `answers`): the
/// same bytes for everyone, and the same until something changes.
fn kept(state: &EventsState, req: &HttpRequest, key: &str) -> Option<HttpResponse> {
    let answer = state.answers.get(key)?;
    Some(respond_with(
        req,
        answer.body.clone(),
        answer.etag.clone(),
        false,
    ))
}

/// Renders a public listing's feed and keeps it under `key`, for the data of `generation`
/// (read before any of its queries).
async fn listing_feed(
    ctx: &AppContext,
    state: &EventsState,
    req: &HttpRequest,
    (key, generation): (String, u64),
    listing: &Listing,
    name: &str,
) -> Result<HttpResponse, AppError> {
    let events = Calendar::new(ctx.db()).feed(listing).await?;
    let items: Vec<Item<'_>> = events.iter().map(|(e, d)| Item::Event(e, d)).collect();
    let body = render(ctx, name, &items);
    let etag = feed::etag(&body);
    let answer = state.answers.put(
        key,
        generation,
        Answer {
            body: Bytes::from(body),
            etag,
        },
    );
    Ok(respond_with(
        req,
        answer.body.clone(),
        answer.etag.clone(),
        false,
    ))
}

pub async fn all(
    ctx: web::Data<AppContext>,
    state: web::Data<EventsState>,
    req: HttpRequest,
    listing: web::Query<Listing>,
) -> Result<HttpResponse, AppError> {
    let key = format!(
        "feed\n{}\n{}\n{}",
        listing.calendar, listing.tag, listing.place
    );
    if let Some(res) = kept(&state, &req, &key) {
        return Ok(res);
    }
    let generation = state.answers.generation();
    let name = "Rose Ash events";
    listing_feed(&ctx, &state, &req, (key, generation), &listing, name).await
}

pub async fn calendar(
    ctx: web::Data<AppContext>,
    state: web::Data<EventsState>,
    req: HttpRequest,
    slug: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let key = format!("calendar-feed\n{slug}");
    if let Some(res) = kept(&state, &req, &key) {
        return Ok(res);
    }
    let generation = state.answers.generation();
    let (calendar, _) = Calendar::new(ctx.db()).calendar(&slug).await?;
    let listing = Listing {
        calendar: calendar.slug.clone(),
        ..Listing::default()
    };
    listing_feed(
        &ctx,
        &state,
        &req,
        (key, generation),
        &listing,
        &calendar.name,
    )
    .await
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
