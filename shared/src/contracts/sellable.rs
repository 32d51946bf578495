//! What the cart may sell, owned by the seller: a market variant today, an events ticket type
//! when events sells seats. The cart stores only a [`SellableRef`] and a quantity; title, unit
//! price, currency and availability are always asked of the owner, so the cart owns no prices
//! and notices when an item disappears, changes price or sells out.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use super::dtos::Money;
use super::protocols::ServiceResult;
use crate::AppName;

/// Which owner answers for an item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SellableKind {
    /// A product variant (market).
    Variant,
    /// A ticket type (events).
    Ticket,
}

impl SellableKind {
    pub const ALL: [SellableKind; 2] = [SellableKind::Variant, SellableKind::Ticket];

    pub fn as_str(self) -> &'static str {
        match self {
            SellableKind::Variant => "variant",
            SellableKind::Ticket => "ticket",
        }
    }

    pub fn parse(s: &str) -> Option<SellableKind> {
        SellableKind::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// Names one sellable item: its kind and its id in the owner's table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct SellableRef {
    pub kind: SellableKind,
    pub id: i64,
}

impl SellableRef {
    pub fn variant(id: i64) -> SellableRef {
        SellableRef {
            kind: SellableKind::Variant,
            id,
        }
    }

    pub fn ticket(id: i64) -> SellableRef {
        SellableRef {
            kind: SellableKind::Ticket,
            id,
        }
    }
}

/// Whether, and how much of, an item can be bought now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Availability {
    /// No stock is counted (made to order): any quantity up to the cart's limit.
    Unlimited,
    /// This many can be bought now (zero: sold out).
    Limited(i32),
    /// Withdrawn from sale (a draft or archived product, a closed event).
    OffSale,
}

impl Availability {
    /// Whether `quantity` can be bought now.
    pub fn allows(self, quantity: i32) -> bool {
        match self {
            Availability::Unlimited => true,
            Availability::Limited(n) => quantity <= n,
            Availability::OffSale => false,
        }
    }
}

/// One item as its owner sells it now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SellableDto {
    pub item: SellableRef,
    /// What the buyer sees on a line ("Wool hat — M / Red").
    pub title: String,
    pub unit_price: Money,
    pub availability: Availability,
    /// Where the item's page is: the owner app and a path on it.
    pub app: AppName,
    pub path: String,
}

/// The items of the fleet's sellers, by reference.
#[async_trait]
pub trait Sellables: Send + Sync {
    /// The items of `refs` that still exist (an item that is gone is simply missing from the
    /// answer), in no particular order.
    async fn sellables(&self, refs: &[SellableRef]) -> ServiceResult<Vec<SellableDto>>;

    /// The variants of the active product `slug`, in the market's order (for an add-to-cart
    /// that names a product rather than a variant); `None` when there is no such product on
    /// sale.
    async fn variants_of_product(&self, slug: &str) -> ServiceResult<Option<Vec<SellableRef>>>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_read_back_and_availability_limits() {
        for kind in SellableKind::ALL {
            assert_eq!(SellableKind::parse(kind.as_str()), Some(kind));
        }
        assert_eq!(SellableKind::parse("product"), None);
        assert!(Availability::Unlimited.allows(99));
        assert!(Availability::Limited(3).allows(3));
        assert!(!Availability::Limited(3).allows(4));
        assert!(!Availability::Limited(0).allows(1));
        assert!(!Availability::OffSale.allows(1));
    }
}
