//! The cart's bus consumer: `AccountDeleted`. The member's orders stay for the legal retention
//! period with their amounts, lines, history and refunds as they were, but lose the buyer's
//! name, e-mail address and postal address; the member's cart (and its lines) goes. One
//! transaction, in this order: orders anonymised, orders unlinked from the member's carts
//! (explicitly, rather than by `orders.cart_id`'s `ON DELETE SET NULL`), cart lines, carts.
//! Idempotent: a second run finds nothing left to change.

use diesel::prelude::*;
use diesel_async::{AsyncConnection, RunQueryDsl};
use futures_util::FutureExt;
use futures_util::future::LocalBoxFuture;
use shared::activitypub::bus::{self, Subscriptions};
use shared::contracts::events::{AccountDeleted, BusEvent};
use shared::db::schema::{cart_items, carts, orders};
use shared::{AppContext, AppError};

/// What an anonymised order's address field holds (an `.invalid` address: no mail goes there).
pub const ERASED_EMAIL: &str = "erased@deleted.invalid";

pub static SUBSCRIPTIONS: Subscriptions<AppContext> = Subscriptions {
    consumer: "cart-accounts",
    handlers: &[(AccountDeleted::KIND, |ctx, e| {
        async move { account_deleted(ctx, bus::decode(e)?).await }.boxed_local()
    })],
};

pub async fn account_deleted(ctx: &AppContext, event: AccountDeleted) -> Result<(), AppError> {
    let user_id = event.user_id;
    let mut conn = ctx.conn().await?;
    let (orders_changed, carts_removed) = conn
        .transaction(async |conn| {
            let orders_changed = diesel::update(
                orders::table.filter(orders::user_id.eq(user_id)).filter(
                    orders::email
                        .ne(ERASED_EMAIL)
                        .or(orders::contact_name.ne(""))
                        .or(orders::address.ne("")),
                ),
            )
            .set((
                orders::email.eq(ERASED_EMAIL),
                orders::contact_name.eq(""),
                orders::address.eq(""),
            ))
            .execute(conn)
            .await?;
            let cart_ids: Vec<i64> = carts::table
                .filter(carts::user_id.eq(user_id))
                .select(carts::id)
                .for_update()
                .load(conn)
                .await?;
            diesel::update(orders::table.filter(orders::cart_id.eq_any(&cart_ids)))
                .set(orders::cart_id.eq(None::<i64>))
                .execute(conn)
                .await?;
            diesel::delete(cart_items::table.filter(cart_items::cart_id.eq_any(&cart_ids)))
                .execute(conn)
                .await?;
            let carts_removed = diesel::delete(carts::table.filter(carts::id.eq_any(&cart_ids)))
                .execute(conn)
                .await?;
            Ok::<_, AppError>((orders_changed, carts_removed))
        })
        .await?;
    tracing::info!(
        user_id,
        orders_changed,
        carts_removed,
        "former member's cart rows"
    );
    Ok(())
}

/// The background task.
pub fn consume(ctx: &AppContext) -> LocalBoxFuture<'static, ()> {
    bus::consume(ctx.clone(), &SUBSCRIPTIONS).boxed_local()
}
