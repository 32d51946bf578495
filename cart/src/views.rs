//! One serialisable struct per template, so what a template receives is typed.

use serde::Serialize;
use shared::AppContext;
use shared::contracts::dtos::Money;

use crate::db::orders::{HistoryEntry, Order, OrderLine, Refund};
use crate::domain::lines::{CartView, Line};
use crate::domain::state::OrderState;

pub fn page_context<T: Serialize>(
    mut context: tera::Context,
    view: &T,
) -> Result<tera::Context, shared::AppError> {
    let extra = tera::Context::from_serialize(view).map_err(shared::AppError::internal)?;
    context.extend(extra);
    Ok(context)
}

fn money(cents: i64, currency: &str) -> String {
    Money {
        cents,
        currency: currency.to_owned(),
    }
    .to_string()
}

#[derive(Debug, Serialize)]
pub struct LineView {
    pub kind: &'static str,
    pub id: i64,
    pub title: String,
    /// The item's page at its seller.
    pub url: Option<String>,
    pub quantity: i32,
    pub unit_price: Option<String>,
    pub line_total: Option<String>,
    pub flag: Option<String>,
}

impl LineView {
    fn new(ctx: &AppContext, line: &Line) -> LineView {
        let s = line.sellable.as_ref();
        LineView {
            kind: line.item.kind.as_str(),
            id: line.item.id,
            title: s.map_or_else(|| "An item no longer sold".into(), |s| s.title.clone()),
            url: s.map(|s| ctx.url(s.app, &s.path)),
            quantity: line.quantity,
            unit_price: s.map(|s| s.unit_price.to_string()),
            line_total: line.total().map(|m| m.to_string()),
            flag: line.flag.as_ref().map(|f| f.message()),
        }
    }
}

#[derive(Debug, Serialize)]
pub struct CartPage {
    pub lines: Vec<LineView>,
    pub count: i64,
    pub total: Option<String>,
    pub flagged: bool,
    /// The order the cart is frozen in (its reference).
    pub checkout_order: Option<String>,
    pub market: String,
}

impl CartPage {
    pub fn new(ctx: &AppContext, cart: &CartView, checkout_order: Option<String>) -> CartPage {
        CartPage {
            lines: cart.lines.iter().map(|l| LineView::new(ctx, l)).collect(),
            count: cart.item_count(),
            total: cart.total().map(|m| m.to_string()),
            flagged: cart.is_flagged(),
            checkout_order,
            market: shared::infrastructure::link_catalog::market().url(ctx),
        }
    }
}

#[derive(Debug, Serialize)]
pub struct CheckoutPage {
    pub cart: CartPage,
    pub signed_in: bool,
    pub email: String,
    pub hold_minutes: u64,
}

#[derive(Debug, Serialize)]
pub struct OrderLineView {
    pub title: String,
    pub quantity: i32,
    pub unit_price: String,
    pub total: String,
}

#[derive(Debug, Serialize)]
pub struct HistoryView {
    pub at: String,
    pub from: Option<String>,
    pub to: String,
    pub by: String,
    pub note: String,
}

#[derive(Debug, Serialize)]
pub struct OrderPage {
    pub reference: String,
    pub state: &'static str,
    pub state_label: &'static str,
    pub awaiting_payment: bool,
    pub paid: bool,
    pub email: String,
    pub contact_name: String,
    pub fulfilment: String,
    pub address: String,
    pub total: String,
    pub refunded: Option<String>,
    pub refundable: Option<String>,
    pub expires_at: String,
    pub created_at: String,
    pub lines: Vec<OrderLineView>,
    pub history: Vec<HistoryView>,
    pub refunds: Vec<String>,
    /// `?token=…` to carry on forms, for guests.
    pub token_query: String,
    pub token: Option<String>,
    pub is_admin: bool,
    /// The order's event tickets (their pages carry the QR codes), for its buyer only.
    pub tickets: Vec<OrderTicket>,
}

#[derive(Debug, Serialize)]
pub struct OrderTicket {
    pub url: String,
    pub label: String,
    pub valid: bool,
}

impl OrderPage {
    pub fn new(
        order: &Order,
        lines: &[OrderLine],
        history: &[HistoryEntry],
        refunds: &[Refund],
        token: Option<&str>,
        is_admin: bool,
    ) -> OrderPage {
        let state = order.state();
        let c = order.currency.as_str();
        let left = order.total_cents - order.refunded_cents;
        OrderPage {
            reference: order.reference.clone(),
            state: state.as_str(),
            state_label: state.label(),
            awaiting_payment: state == OrderState::ArrangingPayment,
            paid: state.is_paid(),
            email: order.email.clone(),
            contact_name: order.contact_name.clone(),
            fulfilment: order.fulfilment.clone(),
            address: order.address.clone(),
            total: money(order.total_cents, c),
            refunded: (order.refunded_cents > 0).then(|| money(order.refunded_cents, c)),
            refundable: (state.is_paid() && state != OrderState::Refunded && left > 0)
                .then(|| format!("{:.2}", left as f64 / 100.0)),
            expires_at: order.expires_at.format("%H:%M UTC").to_string(),
            created_at: order.created_at.format("%Y-%m-%d %H:%M UTC").to_string(),
            lines: lines
                .iter()
                .map(|l| OrderLineView {
                    title: l.title.clone(),
                    quantity: l.quantity,
                    unit_price: money(l.unit_price_cents, c),
                    total: money(l.unit_price_cents.saturating_mul(i64::from(l.quantity)), c),
                })
                .collect(),
            history: history
                .iter()
                .map(|h| HistoryView {
                    at: h.created_at.format("%Y-%m-%d %H:%M:%S UTC").to_string(),
                    from: h
                        .from_state
                        .as_deref()
                        .and_then(OrderState::parse)
                        .map(|s| s.label().to_owned()),
                    to: OrderState::parse(&h.to_state)
                        .map_or_else(|| h.to_state.clone(), |s| s.label().to_owned()),
                    by: h.actor.clone(),
                    note: h.note.clone(),
                })
                .collect(),
            refunds: refunds
                .iter()
                .map(|r| {
                    format!(
                        "{} on {}",
                        money(r.amount_cents, c),
                        r.created_at.format("%Y-%m-%d %H:%M UTC")
                    )
                })
                .collect(),
            token_query: token.map_or_else(String::new, |t| format!("?token={t}")),
            token: token.map(str::to_owned),
            is_admin,
            tickets: Vec::new(),
        }
    }
}

#[derive(Debug, Serialize)]
pub struct OrderRow {
    pub reference: String,
    pub state_label: &'static str,
    pub email: String,
    pub total: String,
    pub created_at: String,
}

impl OrderRow {
    pub fn new(order: &Order) -> OrderRow {
        OrderRow {
            reference: order.reference.clone(),
            state_label: order.state().label(),
            email: order.email.clone(),
            total: money(order.total_cents, &order.currency),
            created_at: order.created_at.format("%Y-%m-%d %H:%M UTC").to_string(),
        }
    }
}

#[derive(Debug, Serialize)]
pub struct OrdersPage {
    pub heading: &'static str,
    pub orders: Vec<OrderRow>,
    pub admin: bool,
    pub states: Vec<(&'static str, &'static str)>,
    pub state: String,
    pub q: String,
}
