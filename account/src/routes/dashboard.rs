//! `/`: the member's dashboard, and the public lists with their subscribe forms.

use actix_web::{HttpResponse, web};
use serde::Deserialize;
use shared::infrastructure::link_catalog;
use shared::models::cart::CartOwner;
use shared::{AppContext, PageRequest};

use crate::domain::NewsletterError;
use crate::state::AccountState;
use crate::views::{self, DashboardPage, EventLink, ListView, MemberView, OrderView};

/// How many of the member's latest orders the dashboard lists.
const RECENT_ORDERS: i64 = 5;

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
    let (user, cart, events, orders, subscriptions, member, preferences) = tokio::join!(
        registry.users.user(user_id),
        registry.carts.summary(&owner),
        registry.calendar.upcoming(3),
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
        events: events
            .map_err(shared::AppError::from)?
            .iter()
            .map(|e| EventLink {
                url: link_catalog::event(&e.slug).url(ctx),
                title: e.title.clone(),
                starts_at: e.starts_at.to_rfc3339(),
            })
            .collect(),
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
