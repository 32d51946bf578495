//! The market's bus subscriptions: a member's `AccountDeleted` (`account_deletion`), and the
//! cart's `OrderPaid`, after which the market's cached pages and fragments are purged when the
//! order bought any of its goods (the stock its checkout took is gone for good). Stock changes
//! purge at once through the database's notification (`page_cache::follow_stock`); this is
//! the durable backstop, as the bus delivers at least once and purging twice is harmless.

use shared::activitypub::bus::{self, Subscriptions};
use shared::contracts::events::{AccountDeleted, BusEvent, OrderPaid};
use shared::contracts::sellable::SellableKind;
use shared::{AppContext, AppError};

pub static SUBSCRIPTIONS: Subscriptions<AppContext> = Subscriptions {
    // The consumer's name (its cursor on the bus) predates `OrderPaid`.
    consumer: "market-accounts",
    handlers: &[
        (AccountDeleted::KIND, |ctx, e| {
            Box::pin(
                async move { crate::account_deletion::account_deleted(ctx, bus::decode(e)?).await },
            )
        }),
        (OrderPaid::KIND, |ctx, e| {
            Box::pin(async move { paid(ctx, bus::decode(e)?).await })
        }),
    ],
};

async fn paid(ctx: &AppContext, event: OrderPaid) -> Result<(), AppError> {
    if event
        .lines
        .iter()
        .any(|line| line.item.kind == SellableKind::Variant)
    {
        crate::page_cache::purge_all(ctx).await;
    }
    Ok(())
}

/// The background task.
pub fn consume(ctx: &AppContext) -> shared::infrastructure::background::Task {
    Box::pin(bus::consume(ctx.clone(), &SUBSCRIPTIONS))
}
