//! `/`: the member's dashboard, and the public lists with their subscribe forms.

use actix_web::{HttpResponse, web};
use serde::Deserialize;
use shared::contracts::bookings::Which;
use shared::infrastructure::link_catalog;
use shared::models::cart::CartOwner;
use shared::{AppContext, AppName, PageRequest};

use crate::domain::NewsletterError;
use crate::state::AccountState;
use crate::views::{self, DashboardPage, EventLink, ListView, MemberView, OrderView, TicketLink};

/// How many of the member's latest orders, next bookings and tickets the dashboard lists.
const RECENT_ORDERS: i64 = 5;
const NEXT_BOOKINGS: i64 = 5;
const NEXT_TICKETS: i64 = 10;

/// A section's rows, or `None` (shown as "unavailable right now") when its source failed.
fn or_unavailable<T, E: std::fmt::Display>(what: &str, rows: Result<T, E>) -> Option<T> {
    rows.inspect_err(|err| tracing::warn!(error = %err, "the dashboard's {what} are unavailable"))
        .ok()
}

#[derive(Debug, Deserialize)]
pub struct DashboardQuery {
    subscribed: Option<String>,
}

pub async fn show(
    ctx: web::Data<AppContext>,
    state: web::Data<AccountState>,
    page: PageRequest,
    query: web::Query<DashboardQuery>,
) -> Result<HttpResponse, NewsletterError> {
    let service = super::newsletters(&ctx, &state);
    let lists = service.public_lists().await?;
    let member = match page.viewer.user_id() {
        Some(user_id) => member_view(&ctx, &service, user_id).await?,
        None => None,
    };
    let view = DashboardPage {
        newsletters: lists.iter().map(ListView::from).collect(),
        subscribed: query
            .subscribed
            .as_deref()
            .and_then(|slug| lists.iter().find(|n| n.slug == slug))
            .map(|n| n.name.as_str()),
        member,
        cart_url: link_catalog::cart().url(&ctx),
    };
    let context = views::page_context(ctx.base_context(), &view)?;
    Ok(ctx
        .render_page(&page, "dashboard.html", context, Vec::new())
        .await?)
}

async fn member_view(
    ctx: &AppContext,
    service: &crate::domain::Newsletters<'_>,
    user_id: i64,
) -> Result<Option<MemberView>, NewsletterError> {
    let registry = ctx.registry();
    let owner = CartOwner::User(user_id);
    let (user, cart, bookings, tickets, orders, subscriptions, member, preferences) = tokio::join!(
        registry.users.user(user_id),
        registry.carts.summary(&owner),
        registry
            .bookings
            .bookings_of(user_id, Which::Upcoming, NEXT_BOOKINGS),
        registry.bookings.tickets_of(user_id, NEXT_TICKETS),
        registry.orders.orders_of(user_id, RECENT_ORDERS),
        registry.newsletters.subscriptions_of(user_id),
        service.member(user_id),
        service.member_preferences(user_id),
    );
    let Some(user) = user.map_err(shared::AppError::from)? else {
        return Ok(None);
    };
    let cart = cart.map_err(shared::AppError::from)?;
    Ok(Some(MemberView {
        user,
        verified: member?.is_some_and(|m| m.verified),
        cart_count: cart.item_count,
        cart_totals: cart.totals.iter().map(ToString::to_string).collect(),
        bookings: or_unavailable("bookings", bookings).map(|rows| {
            rows.iter()
                .map(|b| EventLink {
                    url: link_catalog::event(&b.event_slug).url(ctx),
                    title: b.title.clone(),
                    starts_at: b.starts_at.to_rfc3339(),
                    time_zone: b.time_zone.clone(),
                })
                .collect()
        }),
        tickets: or_unavailable("tickets", tickets).map(|rows| {
            rows.iter()
                .map(|t| TicketLink {
                    url: ctx.url(AppName::Events, &t.path),
                    event_url: link_catalog::event(&t.event_slug).url(ctx),
                    title: t.title.clone(),
                    ticket_type: t.ticket_type.clone(),
                    seat: t.seat,
                    starts_at: t.starts_at.to_rfc3339(),
                    time_zone: t.time_zone.clone(),
                    valid: t.status == "valid",
                    checked_in: t.checked_in,
                })
                .collect()
        }),
        orders_unavailable: orders.is_err(),
        orders: match orders {
            Ok(list) => list.iter().map(|o| OrderView::new(o, ctx)).collect(),
            Err(err) => {
                tracing::warn!(error = %err, "the dashboard's orders are unavailable");
                Vec::new()
            }
        },
        subscriptions: subscriptions.map_err(shared::AppError::from)?,
        preferences_url: preferences?.map(|t| super::preferences_url(ctx, &t)),
    }))
}
