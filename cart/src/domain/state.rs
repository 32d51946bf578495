//! The order's states (Vendure's names) and which moves are allowed. Every move is a guarded
//! update (`… WHERE state = from`) with a history line, so concurrent news moves an order once.
//!
//! ```text
//! ArrangingPayment ─┬─> PaymentAuthorized ─┬─> PaymentSettled ─┬─> Fulfilled ─> Refunded
//!                   │                      │                   └─> Refunded
//!                   ├──────────────────────┴─> PaymentSettled
//!                   └─> Cancelled  (expired, failed, or given up by the buyer)
//! ```

/// The states are the `Orders` contract's (other apps read them through it); the moves allowed
/// between them are written there too, beside the names.
pub use shared::contracts::orders::OrderState;

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
}
