//! A member's orders (cart owns them): what the account dashboard lists. Checkout, payment and
//! refunds happen on the cart's pages; other apps only read. An order's page is the cart's,
//! named by its reference (links to it come from `link_catalog`, like every cross-app link).

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::dtos::Money;
use super::protocols::ServiceResult;

/// Most orders one call lists.
pub const MAX_ORDERS: i64 = 100;

/// Where an order stands (Vendure's state names, as the cart stores them).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum OrderState {
    ArrangingPayment,
    PaymentAuthorized,
    PaymentSettled,
    Fulfilled,
    Cancelled,
    /// Refunded in full (a partial refund keeps the state and shows in `refunded`).
    Refunded,
}

impl OrderState {
    pub const ALL: [OrderState; 6] = [
        OrderState::ArrangingPayment,
        OrderState::PaymentAuthorized,
        OrderState::PaymentSettled,
        OrderState::Fulfilled,
        OrderState::Cancelled,
        OrderState::Refunded,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            OrderState::ArrangingPayment => "ArrangingPayment",
            OrderState::PaymentAuthorized => "PaymentAuthorized",
            OrderState::PaymentSettled => "PaymentSettled",
            OrderState::Fulfilled => "Fulfilled",
            OrderState::Cancelled => "Cancelled",
            OrderState::Refunded => "Refunded",
        }
    }

    pub fn parse(s: &str) -> Option<OrderState> {
        OrderState::ALL.into_iter().find(|st| st.as_str() == s)
    }

    /// What a buyer reads.
    pub fn label(self) -> &'static str {
        match self {
            OrderState::ArrangingPayment => "Awaiting payment",
            OrderState::PaymentAuthorized => "Payment authorised",
            OrderState::PaymentSettled => "Paid",
            OrderState::Fulfilled => "Fulfilled",
            OrderState::Cancelled => "Cancelled",
            OrderState::Refunded => "Refunded",
        }
    }

    /// Whether the order may move from `self` to `to` (the cart guards every move with it).
    pub fn can_move_to(self, to: OrderState) -> bool {
        use OrderState::*;
        matches!(
            (self, to),
            (
                ArrangingPayment,
                PaymentAuthorized | PaymentSettled | Cancelled
            ) | (PaymentAuthorized, PaymentSettled | Cancelled)
                | (PaymentSettled, Fulfilled | Refunded)
                | (Fulfilled, Refunded)
        )
    }

    /// Money has been taken (refunds are possible).
    pub fn is_paid(self) -> bool {
        matches!(
            self,
            OrderState::PaymentSettled | OrderState::Fulfilled | OrderState::Refunded
        )
    }
}

/// One line as bought: the title and quantity snapshotted at checkout.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderLineDto {
    pub title: String,
    pub quantity: i32,
    pub unit_price: Money,
}

/// One of a member's orders.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderDto {
    /// The order's reference (`RA-…`), which names its page.
    pub reference: String,
    pub state: OrderState,
    pub total: Money,
    /// How much of the total has been refunded (zero if nothing).
    pub refunded: Money,
    pub placed_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub paid_at: Option<DateTime<Utc>>,
    /// In the order they were bought.
    pub lines: Vec<OrderLineDto>,
}

#[async_trait]
pub trait Orders: Send + Sync {
    /// The member's orders, newest first, at most `limit` (clamped to 1..=[`MAX_ORDERS`]).
    async fn orders_of(&self, user_id: i64, limit: i64) -> ServiceResult<Vec<OrderDto>>;

    /// The order with this reference if it is the member's (`None` for another's or none).
    async fn order_of(&self, user_id: i64, reference: &str) -> ServiceResult<Option<OrderDto>>;
}
