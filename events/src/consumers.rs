//! The events app's bus subscriptions: the cart's `OrderPaid` issues the tickets of its ticket
//! lines, and a full `OrderRefunded` voids them. Both are idempotent (tickets are unique per
//! order line and seat; voiding twice changes nothing), as the bus delivers at least once.

use futures_util::FutureExt;
use futures_util::future::LocalBoxFuture;
use shared::activitypub::bus::{self, Subscriptions};
use shared::contracts::events::{AccountDeleted, BusEvent, OrderPaid, OrderRefunded};
use shared::{AppContext, AppError};

use crate::domain::TicketDesk;

pub static SUBSCRIPTIONS: Subscriptions<AppContext> = Subscriptions {
    consumer: "events-tickets",
    handlers: &[
        (OrderPaid::KIND, |ctx, e| {
            async move { paid(ctx, bus::decode(e)?).await }.boxed_local()
        }),
        (OrderRefunded::KIND, |ctx, e| {
            async move { refunded(ctx, bus::decode(e)?).await }.boxed_local()
        }),
        // Account deletions too (`account_deletion`), so the app keeps one bus connection.
        (AccountDeleted::KIND, |ctx, e| {
            async move { crate::account_deletion::account_deleted(ctx, bus::decode(e)?).await }
                .boxed_local()
        }),
    ],
};

async fn paid(ctx: &AppContext, event: OrderPaid) -> Result<(), AppError> {
    let issued = TicketDesk::new(ctx.db()).issue(&event).await?;
    if issued > 0 {
        tracing::info!(order = %event.reference, issued, "tickets issued");
    }
    Ok(())
}

async fn refunded(ctx: &AppContext, event: OrderRefunded) -> Result<(), AppError> {
    let voided = TicketDesk::new(ctx.db()).refunded(&event).await?;
    if voided > 0 {
        tracing::info!(order = %event.reference, voided, "tickets voided by a refund");
    }
    Ok(())
}

/// The background task.
pub fn consume(ctx: &AppContext) -> LocalBoxFuture<'static, ()> {
    bus::consume(ctx.clone(), &SUBSCRIPTIONS).boxed_local()
}
