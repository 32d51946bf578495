//! Booking a date in one click, giving the place back, and the member's bookings page with
//! their private calendar feed (and a button that replaces its address).

use actix_web::{HttpResponse, web};
use shared::infrastructure::link_catalog;
use shared::infrastructure::redirect::see_other;
use shared::infrastructure::sso::CurrentUser;
use shared::{AppContext, AppError, AppName, PageRequest};

use super::{actor, purge};
use crate::domain::{BookingDesk, TicketDesk};
use crate::state::EventsState;
use crate::views::{self, BookingsPage, FeedLinks};

pub async fn book(
    ctx: web::Data<AppContext>,
    user: CurrentUser,
    path: web::Path<(String, i64)>,
) -> Result<HttpResponse, AppError> {
    let (slug, id) = path.into_inner();
    let event = BookingDesk::new(ctx.db())
        .book(actor(&user), &slug, id)
        .await?;
    purge(&ctx).await;
    Ok(see_other(link_catalog::event(&event.slug).path).finish())
}

pub async fn cancel(
    ctx: web::Data<AppContext>,
    user: CurrentUser,
    path: web::Path<(String, i64)>,
) -> Result<HttpResponse, AppError> {
    let (slug, id) = path.into_inner();
    let event = BookingDesk::new(ctx.db())
        .cancel(actor(&user), &slug, id)
        .await?;
    purge(&ctx).await;
    Ok(see_other(link_catalog::event(&event.slug).path).finish())
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
