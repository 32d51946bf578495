//! What moves a paid-for order: only SumUp's answer to our own `GET /v0.1/checkouts/{id}`
//! (a webhook's body is never read for state, it only says which checkout to ask about).
//! The answer must name the order's checkout and reference, its amount and currency, and our
//! merchant, or it changes nothing. Each move is a guarded update in one transaction with its
//! history line, the cart's thaw or close, and the jobs that follow (stock, receipt), so a
//! storm of duplicate or out-of-order news moves an order once.

use diesel_async::{AsyncConnection, AsyncPgConnection};
use shared::activitypub::actors::LocalActor;
use shared::activitypub::bus;
use shared::contracts::dtos::Money;
use shared::contracts::events::{OrderPaid, OrderRefunded, PaidLine};
use shared::contracts::sellable::{SellableKind, SellableRef};
use shared::jobs;
use shared::models::cart;
use shared::{AppContext, AppName};

use super::CartError;
use super::state::{Actor, OrderState};
use crate::db::orders::{self, Order};
use crate::jobs::{CommitStock, ReleaseStock, SendReceipt};
use crate::state::CartState;
use crate::sumup::{Checkout, CheckoutStatus, SumUpError, to_cents};

/// What an answer did to an order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The order moved to this state.
    Moved(OrderState),
    /// Nothing to do (still pending, or already applied).
    Unchanged,
    /// The answer does not describe this order (amount, currency, reference or merchant
    /// differ): ignored and logged.
    Mismatch,
    /// No order has that checkout.
    Unknown,
}

fn matches(order: &Order, checkout: &Checkout, merchant: &str) -> Result<(), String> {
    if order.sumup_checkout_id.as_deref() != Some(checkout.id.as_str()) {
        return Err("another checkout".into());
    }
    if checkout.checkout_reference != order.reference {
        return Err(format!("reference {}", checkout.checkout_reference));
    }
    if to_cents(checkout.amount) != Some(order.total_cents) {
        return Err(format!("amount {}", checkout.amount));
    }
    if checkout.currency != order.currency {
        return Err(format!("currency {}", checkout.currency));
    }
    if checkout
        .merchant_code
        .as_deref()
        .is_some_and(|m| m != merchant)
    {
        return Err("another merchant".into());
    }
    Ok(())
}

/// Cancels an order arranging payment, in the caller's transaction: the cart thaws and the
/// stock goes back (through a job, so a crash after the commit loses nothing).
async fn cancel_in(
    conn: &mut AsyncPgConnection,
    order: &Order,
    actor: Actor,
    note: &str,
) -> Result<bool, CartError> {
    let from = order.state();
    if !from.can_move_to(OrderState::Cancelled) {
        return Ok(false);
    }
    if !orders::transition(conn, order.id, from, OrderState::Cancelled, actor, note).await? {
        return Ok(false);
    }
    if let Some(cart_id) = order.cart_id {
        cart::thaw(conn, cart_id, order.id).await?;
    }
    jobs::enqueue(conn, &ReleaseStock { order_id: order.id }).await?;
    Ok(true)
}

/// The order's address on the bus (its page on the cart), the same for all of its events.
fn order_address(ctx: &AppContext, reference: &str) -> String {
    ctx.url(AppName::Cart, &format!("/orders/{reference}"))
}

/// Applies SumUp's answer about the order's checkout.
pub async fn apply(
    ctx: &AppContext,
    state: &CartState,
    order_id: i64,
    checkout: &Checkout,
) -> Result<Outcome, CartError> {
    let merchant = state
        .sumup
        .as_ref()
        .map(|s| s.merchant_code().to_owned())
        .unwrap_or_default();
    let mut conn = ctx.db().get().await?;
    conn.transaction(async |conn| {
        let order = orders::lock(conn, order_id)
            .await?
            .ok_or(CartError::NoSuchOrder)?;
        if let Err(why) = matches(&order, checkout, &merchant) {
            tracing::warn!(order = %order.reference, %why, "SumUp's answer does not match the order; ignored");
            return Ok(Outcome::Mismatch);
        }
        let current = order.state();
        match checkout.status {
            CheckoutStatus::Pending => Ok(Outcome::Unchanged),
            CheckoutStatus::Paid => {
                if !current.can_move_to(OrderState::PaymentSettled) {
                    if current == OrderState::Cancelled {
                        // Deactivation comes before cancelling, so this needs a race SumUp
                        // should not allow; an admin must refund it by hand.
                        tracing::error!(order = %order.reference, "SumUp reports a cancelled order paid");
                    }
                    return Ok(Outcome::Unchanged);
                }
                let transaction = checkout.paid_transaction();
                let moved = orders::settle(
                    conn,
                    order.id,
                    current,
                    OrderState::PaymentSettled,
                    &format!(
                        "SumUp checkout {} paid (transaction {}).",
                        checkout.id,
                        transaction.as_deref().unwrap_or("unknown")
                    ),
                    transaction.as_deref(),
                )
                .await?;
                if !moved {
                    return Ok(Outcome::Unchanged);
                }
                let lines = orders::lines(conn, order.id)
                    .await?
                    .into_iter()
                    .filter_map(|l| {
                        Some(PaidLine {
                            position: l.position,
                            item: SellableRef {
                                kind: SellableKind::parse(&l.kind)?,
                                id: l.item_id,
                            },
                            quantity: l.quantity,
                        })
                    })
                    .collect();
                let paid = OrderPaid {
                    id: order_address(ctx, &order.reference),
                    reference: order.reference.clone(),
                    user_id: order.user_id,
                    total: Money {
                        cents: order.total_cents,
                        currency: order.currency.clone(),
                    },
                    paid_at: chrono::Utc::now(),
                    lines,
                };
                bus::publish(conn, ctx.config(), &LocalActor::App(AppName::Cart), &paid).await?;
                if let Some(cart_id) = order.cart_id {
                    cart::close(conn, cart_id, order.id).await?;
                }
                jobs::enqueue(conn, &CommitStock { order_id: order.id }).await?;
                jobs::enqueue(conn, &SendReceipt { order_id: order.id }).await?;
                Ok(Outcome::Moved(OrderState::PaymentSettled))
            }
            CheckoutStatus::Failed | CheckoutStatus::Expired => {
                let note = if checkout.status == CheckoutStatus::Failed {
                    "SumUp reports the payment failed."
                } else {
                    "SumUp reports the checkout expired."
                };
                if current == OrderState::ArrangingPayment
                    && cancel_in(conn, &order, Actor::Payment, note).await?
                {
                    Ok(Outcome::Moved(OrderState::Cancelled))
                } else {
                    Ok(Outcome::Unchanged)
                }
            }
        }
    })
    .await
}

/// Asks SumUp about `checkout_id` and applies the answer (the webhook's job).
pub async fn verify(
    ctx: &AppContext,
    state: &CartState,
    checkout_id: &str,
) -> Result<Outcome, CartError> {
    let sumup = state.sumup.as_ref().ok_or(CartError::PaymentsClosed)?;
    let order = {
        let mut conn = ctx.db().get().await?;
        orders::by_checkout_id(&mut conn, checkout_id).await?
    };
    let Some(order) = order else {
        return Ok(Outcome::Unknown);
    };
    if order.state() != OrderState::ArrangingPayment {
        return Ok(Outcome::Unchanged);
    }
    let checkout = sumup.checkout(checkout_id).await?;
    apply(ctx, state, order.id, &checkout).await
}

/// Asks SumUp about the order's checkout, if it has one, and applies the answer (the return
/// page and the expiry).
pub async fn refresh(
    ctx: &AppContext,
    state: &CartState,
    order: &Order,
) -> Result<Outcome, CartError> {
    match &order.sumup_checkout_id {
        Some(id) if order.state() == OrderState::ArrangingPayment => verify(ctx, state, id).await,
        _ => Ok(Outcome::Unchanged),
    }
}

/// Gives up an order still arranging payment (its expiry, or the buyer's cancel): the SumUp
/// checkout is deactivated first, so nobody can pay it after we cancel; if SumUp says it was
/// paid meanwhile, the payment wins.
pub async fn give_up(
    ctx: &AppContext,
    state: &CartState,
    order_id: i64,
    actor: Actor,
    note: &str,
) -> Result<Outcome, CartError> {
    let order = {
        let mut conn = ctx.db().get().await?;
        orders::by_id(&mut conn, order_id)
            .await?
            .ok_or(CartError::NoSuchOrder)?
    };
    if order.state() != OrderState::ArrangingPayment {
        return Ok(Outcome::Unchanged);
    }
    if let Some(checkout_id) = &order.sumup_checkout_id {
        let sumup = state.sumup.as_ref().ok_or(CartError::PaymentsClosed)?;
        match sumup.deactivate(checkout_id).await {
            Ok(_) => {}
            // Processed already (paid, or failed): its answer decides.
            Err(SumUpError::Refused { status: 409, .. }) => {
                let checkout = sumup.checkout(checkout_id).await?;
                let outcome = apply(ctx, state, order.id, &checkout).await?;
                if checkout.status == CheckoutStatus::Paid || outcome != Outcome::Unchanged {
                    return Ok(outcome);
                }
            }
            Err(SumUpError::Refused { status: 404, .. }) => {}
            Err(e) => return Err(e.into()),
        }
    }
    let mut conn = ctx.db().get().await?;
    let cancelled = conn
        .transaction(async |conn| {
            let order = orders::lock(conn, order_id)
                .await?
                .ok_or(CartError::NoSuchOrder)?;
            cancel_in(conn, &order, actor, note).await
        })
        .await?;
    Ok(if cancelled {
        Outcome::Moved(OrderState::Cancelled)
    } else {
        Outcome::Unchanged
    })
}

/// Refunds `cents` of a paid order (`None`: what is left) through SumUp, then records it.
/// Refused for an order not paid, or for more than is left.
pub async fn refund(
    ctx: &AppContext,
    state: &CartState,
    order_id: i64,
    cents: Option<i64>,
    admin_id: i64,
) -> Result<Order, CartError> {
    let sumup = state.sumup.as_ref().ok_or(CartError::PaymentsClosed)?;
    let order = {
        let mut conn = ctx.db().get().await?;
        orders::by_id(&mut conn, order_id)
            .await?
            .ok_or(CartError::NoSuchOrder)?
    };
    let current = order.state();
    if !current.is_paid() || current == OrderState::Refunded {
        return Err(CartError::NotAllowed(current.label(), "refunded"));
    }
    let left = order.total_cents - order.refunded_cents;
    let amount = cents.unwrap_or(left);
    if amount <= 0 || amount > left {
        return Err(CartError::Invalid(format!(
            "A refund is between 0.01 and {}.",
            shared::contracts::dtos::Money {
                cents: left,
                currency: order.currency.clone()
            }
        )));
    }
    let transaction = order
        .sumup_transaction_id
        .clone()
        .ok_or(CartError::NotAllowed(
            current.label(),
            "refunded without its transaction",
        ))?;
    sumup
        .refund(
            &transaction,
            (amount != order.total_cents || order.refunded_cents > 0).then_some(amount),
        )
        .await?;
    let mut conn = ctx.db().get().await?;
    conn.transaction(async |conn| {
        let locked = orders::lock(conn, order_id)
            .await?
            .ok_or(CartError::NoSuchOrder)?;
        orders::add_refund(conn, order_id, amount, admin_id, "").await?;
        let refunded = locked.refunded_cents + amount;
        let money = Money {
            cents: amount,
            currency: locked.currency.clone(),
        };
        let in_full = refunded >= locked.total_cents;
        let event = OrderRefunded {
            id: order_address(ctx, &locked.reference),
            reference: locked.reference.clone(),
            user_id: locked.user_id,
            amount: money.clone(),
            refunded: Money {
                cents: refunded,
                currency: locked.currency.clone(),
            },
            in_full,
            refunded_at: chrono::Utc::now(),
        };
        bus::publish(conn, ctx.config(), &LocalActor::App(AppName::Cart), &event).await?;
        if in_full {
            orders::transition(
                conn,
                order_id,
                locked.state(),
                OrderState::Refunded,
                Actor::Admin,
                &format!("Refunded {money} (in full)."),
            )
            .await?;
        } else {
            orders::record(
                conn,
                order_id,
                Some(locked.state()),
                locked.state(),
                Actor::Admin,
                &format!("Refunded {money} (partly)."),
            )
            .await?;
        }
        orders::by_id(conn, order_id)
            .await?
            .ok_or(CartError::NoSuchOrder)
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn order() -> Order {
        let now = chrono::Utc::now();
        Order {
            id: 1,
            reference: "RA-AAAABBBBCCCC".into(),
            idempotency_key: "cart-1-v1".into(),
            cart_id: Some(1),
            user_id: None,
            email: "a@example.org".into(),
            contact_name: String::new(),
            fulfilment: "collection".into(),
            address: String::new(),
            state: "ArrangingPayment".into(),
            currency: "GBP".into(),
            total_cents: 1450,
            refunded_cents: 0,
            reservation_key: "cart-1-v1".into(),
            expires_at: now,
            sumup_checkout_id: Some("co-1".into()),
            hosted_checkout_url: None,
            sumup_transaction_id: None,
            access_digest: String::new(),
            paid_at: None,
            created_at: now,
            updated_at: now,
        }
    }

    fn checkout(amount: f64, currency: &str, reference: &str) -> Checkout {
        serde_json::from_value(serde_json::json!({
            "id": "co-1", "checkout_reference": reference, "amount": amount,
            "currency": currency, "merchant_code": "MTEST", "status": "PAID"
        }))
        .unwrap()
    }

    #[test]
    fn an_answer_must_describe_the_order() {
        let o = order();
        assert!(matches(&o, &checkout(14.5, "GBP", "RA-AAAABBBBCCCC"), "MTEST").is_ok());
        assert!(matches(&o, &checkout(0.01, "GBP", "RA-AAAABBBBCCCC"), "MTEST").is_err());
        assert!(matches(&o, &checkout(14.5, "EUR", "RA-AAAABBBBCCCC"), "MTEST").is_err());
        assert!(matches(&o, &checkout(14.5, "GBP", "RA-OTHER"), "MTEST").is_err());
        assert!(matches(&o, &checkout(14.5, "GBP", "RA-AAAABBBBCCCC"), "MOTHER").is_err());
    }
}
