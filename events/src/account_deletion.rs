//! `AccountDeleted`: the member's bookings are withdrawn as their own cancellations would be
//! (each place given back goes to the date's waitlist in order, and whoever is promoted is
//! mailed) and their tickets voided (as a refund voids them; the order that paid for the
//! tickets keeps its amounts in the cart, and any refund is the organiser's decision, not this
//! consumer's); their calendar-feed row and organiser roles go. One transaction, idempotent
//! (only live bookings and valid tickets change). Registered in the events app's bus consumer
//! (`consumers::SUBSCRIPTIONS`).

use diesel::prelude::*;
use diesel_async::{AsyncConnection, RunQueryDsl};
use shared::contracts::events::AccountDeleted;
use shared::db::schema::{calendar_organisers, event_booking_feeds, event_tickets};
use shared::{AppContext, AppError};

use crate::domain::withdraw_member;

pub async fn account_deleted(ctx: &AppContext, event: AccountDeleted) -> Result<(), AppError> {
    let user_id = event.user_id;
    let config = ctx.config();
    let mut conn = ctx.conn().await?;
    let (bookings, tickets) = conn
        .transaction(async |conn| {
            let bookings = withdraw_member(conn, user_id, config).await?;
            let tickets = diesel::update(
                event_tickets::table
                    .filter(event_tickets::user_id.eq(user_id))
                    .filter(event_tickets::status.eq("valid")),
            )
            .set((
                event_tickets::status.eq("void"),
                event_tickets::voided_at.eq(diesel::dsl::now),
            ))
            .execute(conn)
            .await?;
            diesel::delete(event_booking_feeds::table.find(user_id))
                .execute(conn)
                .await?;
            diesel::delete(
                calendar_organisers::table.filter(calendar_organisers::user_id.eq(user_id)),
            )
            .execute(conn)
            .await?;
            Ok::<_, AppError>((bookings, tickets))
        })
        .await?;
    tracing::info!(
        user_id,
        bookings,
        tickets,
        "former member's bookings and tickets cancelled"
    );
    Ok(())
}
