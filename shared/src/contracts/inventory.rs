//! Stock and seats held for a checkout: the cart reserves a cart's items (market variants'
//! stock, events ticket types' seats) under an idempotency key before payment, commits them
//! once paid, releases them on cancel. A reservation not committed by its expiry is released
//! by market's job, so abandoned checkouts give their stock and seats back.
//!
//! Every call is idempotent by key: reserving a key again answers the first reservation (and
//! takes no more), committing or releasing twice does nothing the second time. Stock and seats
//! never go below zero: a reservation takes all its lines or none.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::protocols::ServiceResult;
use super::sellable::SellableRef;

/// One line of a reservation: `quantity` of `item` (a variant's stock or a ticket type's seats).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct StockLine {
    pub item: SellableRef,
    pub quantity: i32,
}

impl StockLine {
    pub fn new(item: SellableRef, quantity: i32) -> StockLine {
        StockLine { item, quantity }
    }
}

/// Where a reservation stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ReservationState {
    /// Stock is set aside until it is committed, released, or it expires.
    Held,
    /// Sold: final; releasing it does nothing.
    Committed,
    /// Given back (by the caller or on expiry): final; committing it fails.
    Released,
}

impl ReservationState {
    pub fn as_str(self) -> &'static str {
        match self {
            ReservationState::Held => "held",
            ReservationState::Committed => "committed",
            ReservationState::Released => "released",
        }
    }

    pub fn parse(s: &str) -> Option<ReservationState> {
        match s {
            "held" => Some(ReservationState::Held),
            "committed" => Some(ReservationState::Committed),
            "released" => Some(ReservationState::Released),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReservationDto {
    pub key: String,
    pub state: ReservationState,
    pub expires_at: DateTime<Utc>,
    pub lines: Vec<StockLine>,
}

/// Why a reservation could not be made or moved, beyond the usual [`super::protocols::ServiceError`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Refusal {
    /// Not enough stock or seats of this item, or not on sale now (nothing was taken).
    OutOfStock { item: SellableRef },
    /// The key's reservation was released (or expired) and cannot be committed.
    AlreadyReleased,
}

#[async_trait]
pub trait Inventory: Send + Sync {
    /// Sets aside `lines` until `expires_at` under `key`, all or nothing. The same key again
    /// returns the reservation made first, whatever the lines.
    async fn reserve(
        &self,
        key: &str,
        lines: &[StockLine],
        expires_at: DateTime<Utc>,
    ) -> ServiceResult<Result<ReservationDto, Refusal>>;

    /// Makes the key's reservation final (stock stays taken). Committing twice is a no-op.
    async fn commit(&self, key: &str) -> ServiceResult<Result<ReservationDto, Refusal>>;

    /// Gives the key's held stock back. Releasing twice, or after a commit, changes nothing.
    async fn release(&self, key: &str) -> ServiceResult<ReservationDto>;

    /// Releases every held reservation whose expiry is before `now`; returns how many.
    async fn release_expired(&self, now: DateTime<Utc>) -> ServiceResult<u64>;

    /// The key's reservation, if any.
    async fn reservation(&self, key: &str) -> ServiceResult<Option<ReservationDto>>;
}
