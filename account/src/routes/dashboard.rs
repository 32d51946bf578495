//! `/`: the member's dashboard, and the public lists with their subscribe forms.

use actix_web::{HttpResponse, web};
use diesel_async::AsyncPgConnection;
use serde::Deserialize;
use shared::contracts::bookings::Which;
use shared::contracts::dtos::{Role, SubscriptionDto, UserDto};
use shared::infrastructure::link_catalog;
use shared::models::account::Newsletter;
use shared::models::cart::CartOwner;
use shared::{AppContext, AppName, PageRequest};

use crate::db;
use crate::domain::NewsletterError;
use crate::domain::links::Purpose;
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
    let (lists, member) = match page.viewer.user_id() {
        Some(user_id) => member_view(&ctx, &state, user_id).await?,
        None => {
            let conn = ctx.conn().await?;
            (db::newsletters::public(&conn).await?, None)
        }
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

/// The public lists and the member's sections. Account's own reads (the member, their
/// subscriptions, the lists) go pipelined on one connection while the other owners' contracts
/// are asked at the same time; a contract that fails leaves its section "unavailable right
/// now", account's own rows failing fails the page.
async fn member_view(
    ctx: &AppContext,
    state: &AccountState,
    user_id: i64,
) -> Result<(Vec<Newsletter>, Option<MemberView>), NewsletterError> {
    let registry = ctx.registry();
    let owner = CartOwner::User(user_id);
    let own = async {
        let conn = ctx.conn().await?;
        let shared: &AsyncPgConnection = &conn;
        let rows = tokio::try_join!(
            db::newsletters::public(shared),
            db::dashboard::member(shared, user_id),
            db::dashboard::subscriptions(shared, user_id),
        )?;
        Ok::<_, NewsletterError>(rows)
    };
    let (own, cart, bookings, tickets, orders) = tokio::join!(
        own,
        registry.carts.summary(&owner),
        registry
            .bookings
            .bookings_of(user_id, Which::Upcoming, NEXT_BOOKINGS),
        registry.bookings.tickets_of(user_id, NEXT_TICKETS),
        registry.orders.orders_of(user_id, RECENT_ORDERS),
    );
    let (lists, member, subscriptions) = own?;
    let Some(member) = member else {
        return Ok((lists, None));
    };
    let preferences_url = match member.subscriber_id {
        Some(id) => Some(super::preferences_url(
            ctx,
            &state.links.sign(Purpose::Preferences, id)?,
        )),
        None => None,
    };
    let cart = or_unavailable("cart", cart);
    let view = MemberView {
        verified: member.verified,
        user: UserDto {
            id: member.id,
            role: Role::parse(&member.role),
            username: member.username,
            email: member.email,
            display_name: member.display_name,
            avatar_url: member.avatar_url,
        },
        cart_unavailable: cart.is_none(),
        cart_count: cart.as_ref().map_or(0, |c| c.item_count),
        cart_totals: cart
            .iter()
            .flat_map(|c| c.totals.iter().map(ToString::to_string))
            .collect(),
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
        subscriptions: subscriptions
            .into_iter()
            .map(
                |(newsletter_slug, newsletter_name, status)| SubscriptionDto {
                    newsletter_slug,
                    newsletter_name,
                    status,
                },
            )
            .collect(),
        preferences_url,
    };
    Ok((lists, Some(view)))
}
