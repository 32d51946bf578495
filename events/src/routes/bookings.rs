//! Booking a date in one click (a place, the waitlist, or a request an organiser approves),
//! giving it back, guests' bookings confirmed through a mailed link (GET shows a button, POST
//! confirms) and cancelled through another (likewise), the organisers' attendee list and its CSV export with approve/reject, and the
//! member's bookings page with their private calendar feed (and a button that replaces its
//! address).

use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, web};
use shared::infrastructure::errors::message_response;
use shared::infrastructure::link_catalog;
use shared::infrastructure::redirect::see_other;
use shared::infrastructure::sso::CurrentUser;
use shared::infrastructure::{client_ip, rate_limit};
use shared::{AppContext, AppError, AppName, PageRequest};

use super::{actor, purge};
use crate::domain::{BookingDesk, EventsError, GuestForm, TicketDesk};
use crate::state::EventsState;
use crate::views::{self, AttendeesPage, BookingsPage, FeedLinks, GuestBookingPage};

/// The events app's public address without a trailing slash, for links in mails.
fn site(ctx: &AppContext) -> String {
    ctx.url(AppName::Events, "")
        .trim_end_matches('/')
        .to_owned()
}

pub async fn book(
    ctx: web::Data<AppContext>,
    user: CurrentUser,
    path: web::Path<(String, i64)>,
) -> Result<HttpResponse, AppError> {
    let (slug, id) = path.into_inner();
    let (event, _) = BookingDesk::new(ctx.db())
        .book(actor(&user), &slug, id)
        .await?;
    purge(&ctx).await;
    Ok(see_other(format!(
        "{}#date-{id}",
        link_catalog::event(&event.slug).path
    ))
    .finish())
}

pub async fn cancel(
    ctx: web::Data<AppContext>,
    user: CurrentUser,
    path: web::Path<(String, i64)>,
) -> Result<HttpResponse, AppError> {
    let (slug, id) = path.into_inner();
    let event = BookingDesk::new(ctx.db())
        .cancel(actor(&user), &slug, id, ctx.config())
        .await?;
    purge(&ctx).await;
    Ok(see_other(link_catalog::event(&event.slug).path).finish())
}

async fn guest_page(
    ctx: &AppContext,
    page: &PageRequest,
    view: &GuestBookingPage,
    status: StatusCode,
) -> Result<HttpResponse, AppError> {
    let context = views::page_context(ctx.base_context(), view)?;
    let mut res = ctx
        .render_page(page, "guest_booking.html", context, Vec::new())
        .await?;
    *res.status_mut() = status;
    Ok(res)
}

/// A guest's booking request (no account): "check your inbox", whatever the address. Each
/// request counts against its client IP's limit first, valid or not (429 beyond it).
pub async fn guest_request(
    ctx: web::Data<AppContext>,
    req: HttpRequest,
    page: PageRequest,
    path: web::Path<(String, i64)>,
    form: web::Form<GuestForm>,
) -> Result<HttpResponse, AppError> {
    let ip = client_ip::of_request(&req).map_or_else(String::new, |ip| ip.to_string());
    let window = crate::domain::GUEST_WINDOW.num_seconds().unsigned_abs();
    let key = crate::domain::guest_ip_key(&ip);
    let limit = [(key.as_str(), crate::domain::GUEST_REQUESTS_PER_IP)];
    if !rate_limit::allow(ctx.redis(), window, &limit).await? {
        return Err(EventsError::TooManyFromHere.into());
    }
    let (slug, id) = path.into_inner();
    let desk = BookingDesk::new(ctx.db());
    desk.request_as_guest(&slug, id, &form, &site(&ctx)).await?;
    let (event, date) = desk.date_of(&slug, id).await?;
    let view = GuestBookingPage::new(&event, &date, "check-email");
    guest_page(&ctx, &page, &view, StatusCode::OK).await
}

/// A used or expired link (or one whose booking is cancelled, or whose date has begun) is gone
/// (410), not wrong.
fn gone(err: EventsError) -> Result<HttpResponse, AppError> {
    match err {
        EventsError::LinkUsed
        | EventsError::LinkExpired
        | EventsError::AlreadyCancelled
        | EventsError::Begun => {
            let message = AppError::from(err).to_string();
            Ok(message_response(StatusCode::GONE, message))
        }
        other => Err(other.into()),
    }
}

/// The guest's mailed link: a page with a button. A link scanner fetching it confirms nothing.
pub async fn guest_confirm_form(
    ctx: web::Data<AppContext>,
    page: PageRequest,
    token: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let (event, date) = match BookingDesk::new(ctx.db()).guest_claim(&token).await {
        Ok(found) => found,
        Err(e) => return gone(e),
    };
    let mut view = GuestBookingPage::new(&event, &date, "confirm");
    view.action = Some(format!("/bookings/confirm/{token}"));
    guest_page(&ctx, &page, &view, StatusCode::OK).await
}

/// The button: confirms the guest's booking, once.
pub async fn guest_confirm(
    ctx: web::Data<AppContext>,
    page: PageRequest,
    token: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let (event, date, placed) = match BookingDesk::new(ctx.db()).confirm_guest(&token).await {
        Ok(done) => done,
        Err(e) => return gone(e),
    };
    purge(&ctx).await;
    let mut view = GuestBookingPage::new(&event, &date, "done");
    view.outcome = Some(placed.status());
    view.cancel_link = Some(format!(
        "/bookings/cancel/{}",
        crate::domain::cancel_token(&token).map_err(EventsError::from)?
    ));
    guest_page(&ctx, &page, &view, StatusCode::OK).await
}

/// The guest's cancel link: a page with a button (a link scanner cancels nothing).
pub async fn guest_cancel_form(
    ctx: web::Data<AppContext>,
    page: PageRequest,
    token: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let (event, date) = match BookingDesk::new(ctx.db()).guest_cancel_claim(&token).await {
        Ok(found) => found,
        Err(e) => return gone(e),
    };
    let mut view = GuestBookingPage::new(&event, &date, "cancel");
    view.action = Some(format!("/bookings/cancel/{token}"));
    guest_page(&ctx, &page, &view, StatusCode::OK).await
}

/// The button: cancels the guest's booking, once (its place goes to the waitlist).
pub async fn guest_cancel(
    ctx: web::Data<AppContext>,
    page: PageRequest,
    token: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let done = BookingDesk::new(ctx.db())
        .cancel_guest(&token, ctx.config())
        .await;
    let (event, date) = match done {
        Ok(done) => done,
        Err(e) => return gone(e),
    };
    purge(&ctx).await;
    let view = GuestBookingPage::new(&event, &date, "cancelled");
    guest_page(&ctx, &page, &view, StatusCode::OK).await
}

/// The organisers' list of a date's bookings (403 for others).
pub async fn attendees(
    ctx: web::Data<AppContext>,
    page: PageRequest,
    user: CurrentUser,
    path: web::Path<(String, i64)>,
) -> Result<HttpResponse, AppError> {
    let (slug, id) = path.into_inner();
    let (event, date, rows) = BookingDesk::new(ctx.db())
        .attendees(actor(&user), &slug, id)
        .await?;
    let view = AttendeesPage::new(&event, &date, &rows);
    let context = views::page_context(ctx.base_context(), &view)?;
    ctx.render_page(&page, "attendees.html", context, Vec::new())
        .await
}

/// The same list as CSV for a spreadsheet (403 for others; never cached).
pub async fn attendees_csv(
    ctx: web::Data<AppContext>,
    user: CurrentUser,
    path: web::Path<(String, i64)>,
) -> Result<HttpResponse, AppError> {
    let (slug, id) = path.into_inner();
    let (event, date, rows) = BookingDesk::new(ctx.db())
        .attendees(actor(&user), &slug, id)
        .await?;
    let day = date
        .starts_at
        .with_timezone(&crate::domain::form::zone_of(&event))
        .format("%Y-%m-%d");
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!(
                "attachment; filename=\"{}-{day}-attendees.csv\"",
                event.slug
            ),
        ))
        .insert_header((header::CACHE_CONTROL, "private, no-store"))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .body(crate::domain::attendees_csv(&rows)))
}

async fn decide(
    ctx: &AppContext,
    user: &CurrentUser,
    path: (String, i64, i64),
    approve: bool,
) -> Result<HttpResponse, AppError> {
    let (slug, id, booking) = path;
    let event = BookingDesk::new(ctx.db())
        .decide(actor(user), &slug, id, booking, approve, ctx.config())
        .await?;
    purge(ctx).await;
    Ok(see_other(format!("/events/{}/dates/{id}/attendees", event.slug)).finish())
}

pub async fn approve(
    ctx: web::Data<AppContext>,
    user: CurrentUser,
    path: web::Path<(String, i64, i64)>,
) -> Result<HttpResponse, AppError> {
    decide(&ctx, &user, path.into_inner(), true).await
}

pub async fn reject(
    ctx: web::Data<AppContext>,
    user: CurrentUser,
    path: web::Path<(String, i64, i64)>,
) -> Result<HttpResponse, AppError> {
    decide(&ctx, &user, path.into_inner(), false).await
}

fn feed_links(ctx: &AppContext, token: &str) -> FeedLinks {
    FeedLinks::new(ctx.url(AppName::Events, &format!("/bookings/{token}/feed.ics")))
}

pub async fn mine(
    ctx: web::Data<AppContext>,
    state: web::Data<EventsState>,
    page: PageRequest,
    user: CurrentUser,
) -> Result<HttpResponse, AppError> {
    let desk = BookingDesk::new(ctx.db());
    let rows = desk.of(user.id, true).await?;
    let tickets = TicketDesk::new(ctx.db()).of_member(user.id).await?;
    let token = desk.feed_token(&state.feeds, user.id).await?;
    let view = BookingsPage::new(&rows, &tickets, feed_links(&ctx, &token));
    let context = views::page_context(ctx.base_context(), &view)?;
    ctx.render_page(&page, "bookings.html", context, Vec::new())
        .await
}

pub async fn reset_feed(
    ctx: web::Data<AppContext>,
    state: web::Data<EventsState>,
    user: CurrentUser,
) -> Result<HttpResponse, AppError> {
    BookingDesk::new(ctx.db())
        .reset_feed(&state.feeds, user.id)
        .await?;
    Ok(see_other("/bookings").finish())
}
