//! `/orders`: a member's orders, an order's page (its buyer, an admin, or whoever holds its
//! signed link; anyone else gets 404, so references cannot be probed), and the page SumUp's
//! hosted checkout sends the buyer back to, which asks SumUp for the real state first.

use actix_web::{HttpResponse, web};
use serde::Deserialize;
use shared::contracts::sellable::SellableKind;
use shared::infrastructure::sso::CurrentUser;
use shared::{AppContext, AppError, AppName, PageRequest};

use crate::db::orders::{self, Order};
use crate::domain::CartError;
use crate::domain::checkout::token_opens;
use crate::domain::payments;
use crate::state::CartState;
use crate::views::{self, OrderPage, OrderRow, OrderTicket, OrdersPage};

#[derive(Debug, Deserialize)]
pub struct TokenQuery {
    pub token: Option<String>,
}

/// The order named `reference` if this viewer may see it; 404 otherwise.
pub async fn find_visible(
    ctx: &AppContext,
    reference: &str,
    user: Option<&CurrentUser>,
    token: &TokenQuery,
) -> Result<Order, AppError> {
    let order = {
        let mut conn = ctx.conn().await?;
        orders::by_reference(&mut conn, reference).await?
    };
    let order = order.ok_or(CartError::NoSuchOrder)?;
    let buyer = user.is_some_and(|u| order.user_id == Some(u.id));
    let admin = user.is_some_and(CurrentUser::is_admin);
    let linked = token
        .token
        .as_deref()
        .is_some_and(|t| token_opens(&order, t));
    if buyer || admin || linked {
        Ok(order)
    } else {
        Err(CartError::NoSuchOrder.into())
    }
}

/// The order's tickets as links to their pages; none (and a warning) when events cannot say.
async fn tickets(ctx: &AppContext, reference: &str) -> Vec<OrderTicket> {
    match ctx.registry().bookings.tickets_of_order(reference).await {
        Ok(list) => list
            .into_iter()
            .map(|t| OrderTicket {
                url: ctx.url(AppName::Events, &t.path),
                label: format!("{} — {}, seat {}", t.title, t.ticket_type, t.seat),
                valid: t.status == "valid",
            })
            .collect(),
        Err(err) => {
            tracing::warn!(error = %err, order = reference, "the order's tickets are unavailable");
            Vec::new()
        }
    }
}

async fn render(
    ctx: &AppContext,
    page: &PageRequest,
    order: &Order,
    user: Option<&CurrentUser>,
    token: &TokenQuery,
) -> Result<HttpResponse, AppError> {
    let (lines, history, refunds) = {
        let mut conn = ctx.conn().await?;
        (
            orders::lines(&mut conn, order.id).await?,
            orders::history(&mut conn, order.id).await?,
            orders::refunds(&mut conn, order.id).await?,
        )
    };
    let token = token.token.as_deref().filter(|t| token_opens(order, t));
    let mut view = OrderPage::new(
        order,
        &lines,
        &history,
        &refunds,
        token,
        user.is_some_and(CurrentUser::is_admin),
    );
    // Tickets are bearer credentials: shown to the buyer (signed in or holding the order's
    // link), not to an admin looking at someone else's order.
    let buyer = user.is_some_and(|u| order.user_id == Some(u.id)) || token.is_some();
    if buyer
        && lines
            .iter()
            .any(|l| l.kind == SellableKind::Ticket.as_str())
    {
        view.tickets = tickets(ctx, &order.reference).await;
    }
    let context = views::page_context(ctx.base_context(), &view)?;
    ctx.render_page(page, "order.html", context, Vec::new())
        .await
}

pub async fn show(
    ctx: web::Data<AppContext>,
    page: PageRequest,
    user: Option<CurrentUser>,
    reference: web::Path<String>,
    token: web::Query<TokenQuery>,
) -> Result<HttpResponse, AppError> {
    let order = find_visible(&ctx, &reference, user.as_ref(), &token).await?;
    render(&ctx, &page, &order, user.as_ref(), &token).await
}

/// Where SumUp's hosted page sends the buyer: whatever the address says, the state shown is
/// SumUp's answer to our own `GET`.
pub async fn came_back(
    ctx: web::Data<AppContext>,
    state: web::Data<CartState>,
    page: PageRequest,
    user: Option<CurrentUser>,
    reference: web::Path<String>,
    token: web::Query<TokenQuery>,
) -> Result<HttpResponse, AppError> {
    let order = find_visible(&ctx, &reference, user.as_ref(), &token).await?;
    if let Err(e) = payments::refresh(&ctx, &state, &order).await {
        // The page still shows what we know; the webhook's job or the expiry will catch up.
        tracing::warn!(order = %order.reference, error = %e, "could not ask SumUp on return");
    }
    let order = {
        let mut conn = ctx.conn().await?;
        orders::by_id(&mut conn, order.id)
            .await?
            .ok_or(CartError::NoSuchOrder)?
    };
    render(&ctx, &page, &order, user.as_ref(), &token).await
}

pub async fn mine(
    ctx: web::Data<AppContext>,
    page: PageRequest,
    user: CurrentUser,
) -> Result<HttpResponse, AppError> {
    let list = {
        let mut conn = ctx.conn().await?;
        orders::of_user(&mut conn, user.id, 100).await?
    };
    let view = OrdersPage {
        heading: "My orders",
        orders: list.iter().map(OrderRow::new).collect(),
        admin: false,
        states: Vec::new(),
        state: String::new(),
        q: String::new(),
    };
    let context = views::page_context(ctx.base_context(), &view)?;
    ctx.render_page(&page, "orders.html", context, Vec::new())
        .await
}
