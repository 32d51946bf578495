//! The events app's bus subscriptions: the cart's `OrderPaid` issues the tickets of its ticket
//! lines, and a full `OrderRefunded` voids them; federation's `RemoteJoin`/`RemoteLeave` (a
//! fediverse actor's Join or Leave of one of our Events) book or cancel a remote participant
//! (`domain::federate`). All are idempotent (tickets are unique per order line and seat;
//! voiding twice changes nothing; a Join is remembered by its id), as the bus delivers at least
//! once.

use futures_util::FutureExt;
use futures_util::future::LocalBoxFuture;
use shared::activitypub::bus::{self, Subscriptions};
use shared::contracts::events::{
    AccountDeleted, BusEvent, OrderPaid, OrderRefunded, RemoteJoin, RemoteLeave,
};
use shared::{AppContext, AppError};

use crate::domain::{TicketDesk, federate};

pub static SUBSCRIPTIONS: Subscriptions<AppContext> = Subscriptions {
    consumer: "events-tickets",
    handlers: &[
        (OrderPaid::KIND, |ctx, e| {
            async move { paid(ctx, bus::decode(e)?).await }.boxed_local()
        }),
        (OrderRefunded::KIND, |ctx, e| {
            async move { refunded(ctx, bus::decode(e)?).await }.boxed_local()
        }),
        (RemoteJoin::KIND, |ctx, e| {
            async move { joined(ctx, bus::decode(e)?).await }.boxed_local()
        }),
        (RemoteLeave::KIND, |ctx, e| {
            async move { left(ctx, bus::decode(e)?).await }.boxed_local()
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

async fn joined(ctx: &AppContext, join: RemoteJoin) -> Result<(), AppError> {
    let outcome = federate::remote_join(ctx.db(), ctx.config(), &join).await?;
    tracing::info!(actor = %join.actor, object = %join.object, ?outcome, "remote Join");
    Ok(())
}

async fn left(ctx: &AppContext, leave: RemoteLeave) -> Result<(), AppError> {
    let cancelled = federate::remote_leave(ctx.db(), ctx.config(), &leave).await?;
    tracing::info!(actor = %leave.actor, object = %leave.object, cancelled, "remote Leave");
    Ok(())
}

/// The background task.
pub fn consume(ctx: &AppContext) -> LocalBoxFuture<'static, ()> {
    bus::consume(ctx.clone(), &SUBSCRIPTIONS).boxed_local()
}
