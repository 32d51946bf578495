//! The order's states (Vendure's names) and which moves are allowed. Every move is a guarded
//! update (`… WHERE state = from`) with a history line, so concurrent news moves an order once.
//!
//! ```text
//! ArrangingPayment ─┬─> PaymentAuthorized ─┬─> PaymentSettled ─┬─> Fulfilled ─> Refunded
//!                   │                      │                   └─> Refunded
//!                   ├──────────────────────┴─> PaymentSettled
//!                   └─> Cancelled  (expired, failed, or given up by the buyer)
//! ```

use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum OrderState {
    ArrangingPayment,
    PaymentAuthorized,
    PaymentSettled,
    Fulfilled,
    Cancelled,
    /// Refunded in full (partial refunds leave the state and add to `refunded_cents`).
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

    /// Whether the order may move from `self` to `to`.
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

/// Who moved an order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Actor {
    Buyer,
    Admin,
    /// SumUp's answer to our `GET` (never a webhook body).
    Payment,
    /// A job (expiry, reconciliation).
    System,
}

impl Actor {
    pub fn as_str(self) -> &'static str {
        match self {
            Actor::Buyer => "buyer",
            Actor::Admin => "admin",
            Actor::Payment => "payment",
            Actor::System => "system",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use OrderState::*;

    #[test]
    fn only_vendures_moves_are_allowed() {
        assert!(ArrangingPayment.can_move_to(PaymentSettled));
        assert!(ArrangingPayment.can_move_to(Cancelled));
        assert!(PaymentAuthorized.can_move_to(PaymentSettled));
        assert!(PaymentSettled.can_move_to(Fulfilled));
        assert!(Fulfilled.can_move_to(Refunded));
        // Final states stay final; paid orders are refunded, not cancelled.
        for to in OrderState::ALL {
            assert!(!Cancelled.can_move_to(to));
            assert!(!Refunded.can_move_to(to));
        }
        assert!(!PaymentSettled.can_move_to(Cancelled));
        assert!(!PaymentSettled.can_move_to(ArrangingPayment));
        assert!(!ArrangingPayment.can_move_to(Fulfilled));
        assert!(!ArrangingPayment.can_move_to(Refunded));
        for s in OrderState::ALL {
            assert_eq!(OrderState::parse(s.as_str()), Some(s));
        }
    }

    /// Other apps read orders through the `Orders` contract's own state type: the same names
    /// and the same words for the buyer.
    #[test]
    fn the_orders_contract_names_every_state_alike() {
        use shared::contracts::orders::OrderState as Contract;
        assert_eq!(Contract::ALL.len(), OrderState::ALL.len());
        for s in OrderState::ALL {
            let c = Contract::parse(s.as_str()).expect("the contract knows the state");
            assert_eq!(c.label(), s.label());
        }
    }
}
