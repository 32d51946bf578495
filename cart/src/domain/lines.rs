//! The cart's lines as the buyer sees them: each asked of its seller now, flagged when it
//! cannot be bought as it stands (gone, withdrawn, sold out, fewer left, a new price, another
//! currency), and the changes a buyer makes (add, set a quantity), refused while the cart is
//! frozen in checkout.

use std::collections::HashMap;

use diesel_async::AsyncConnection;
use serde::Serialize;
use shared::AppContext;
use shared::contracts::dtos::Money;
use shared::contracts::sellable::{Availability, SellableDto, SellableRef};
use shared::models::cart::{self, Cart, CartItem, CartOwner, MAX_LINES, MAX_QUANTITY};

use super::CartError;

/// Why a line cannot be checked out as it stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Flag {
    /// The seller no longer has the item.
    Gone,
    /// The seller withdrew it from sale.
    OffSale,
    SoldOut,
    /// Fewer left than the line asks for.
    NotEnough {
        available: i32,
    },
    /// The price changed since the buyer added it.
    PriceChanged {
        was: String,
        now: String,
    },
    /// Priced in another currency than the cart's other lines.
    OtherCurrency,
}

impl Flag {
    pub fn message(&self) -> String {
        match self {
            Flag::Gone => "This item is no longer sold: remove it to check out.".into(),
            Flag::OffSale => "This item is not on sale at the moment.".into(),
            Flag::SoldOut => "Sold out.".into(),
            Flag::NotEnough { available } => format!("Only {available} left."),
            Flag::PriceChanged { was, now } => {
                format!("The price changed from {was} to {now}: update the line to accept it.")
            }
            Flag::OtherCurrency => "Priced in another currency than the rest of the cart.".into(),
        }
    }
}

/// One line, resolved through its seller.
#[derive(Debug, Clone)]
pub struct Line {
    pub item: SellableRef,
    pub quantity: i32,
    /// `None` when the item is gone.
    pub sellable: Option<SellableDto>,
    pub flag: Option<Flag>,
}

impl Line {
    pub fn total(&self) -> Option<Money> {
        self.sellable
            .as_ref()
            .map(|s| s.unit_price.times(self.quantity))
    }
}

/// A cart as of now.
#[derive(Debug, Clone, Default)]
pub struct CartView {
    pub cart: Option<Cart>,
    pub lines: Vec<Line>,
}

impl CartView {
    /// The cart's currency: its first line's that still sells.
    pub fn currency(&self) -> Option<&str> {
        self.lines
            .iter()
            .find_map(|l| l.sellable.as_ref().map(|s| s.unit_price.currency.as_str()))
    }

    /// The total of the lines that can be bought (in the cart's currency).
    pub fn total(&self) -> Option<Money> {
        let currency = self.currency()?.to_owned();
        let cents = self
            .lines
            .iter()
            .filter(|l| l.flag.as_ref().is_none_or(|f| *f != Flag::OtherCurrency))
            .filter_map(Line::total)
            .fold(0i64, |sum, m| sum.saturating_add(m.cents));
        Some(Money { cents, currency })
    }

    pub fn item_count(&self) -> i64 {
        self.lines.iter().map(|l| i64::from(l.quantity)).sum()
    }

    pub fn is_flagged(&self) -> bool {
        self.lines.iter().any(|l| l.flag.is_some())
    }

    /// The order the cart is frozen in, if any.
    pub fn checkout_order(&self) -> Option<i64> {
        self.cart.as_ref().and_then(|c| c.checkout_order_id)
    }
}

fn flag(item: &CartItem, sellable: Option<&SellableDto>, currency: Option<&str>) -> Option<Flag> {
    let Some(s) = sellable else {
        return Some(Flag::Gone);
    };
    match s.availability {
        Availability::OffSale => return Some(Flag::OffSale),
        Availability::Limited(0) => return Some(Flag::SoldOut),
        Availability::Limited(n) if n < item.quantity => {
            return Some(Flag::NotEnough { available: n });
        }
        _ => {}
    }
    if currency.is_some_and(|c| c != s.unit_price.currency) {
        return Some(Flag::OtherCurrency);
    }
    match item.seen_price() {
        Some(seen) if seen != s.unit_price => Some(Flag::PriceChanged {
            was: seen.to_string(),
            now: s.unit_price.to_string(),
        }),
        _ => None,
    }
}

/// Resolves `items` through their sellers and flags them.
pub async fn resolve(ctx: &AppContext, items: &[CartItem]) -> Result<Vec<Line>, CartError> {
    let refs: Vec<SellableRef> = items.iter().filter_map(CartItem::item).collect();
    let found: HashMap<SellableRef, SellableDto> = if refs.is_empty() {
        HashMap::new()
    } else {
        ctx.registry()
            .sellables
            .sellables(&refs)
            .await?
            .into_iter()
            .map(|s| (s.item, s))
            .collect()
    };
    // The cart's currency is its first line's that still sells.
    let currency = items
        .iter()
        .filter_map(|i| i.item().and_then(|r| found.get(&r)))
        .map(|s| s.unit_price.currency.clone())
        .next();
    Ok(items
        .iter()
        .filter_map(|i| {
            let item = i.item()?;
            let sellable = found.get(&item).cloned();
            Some(Line {
                item,
                quantity: i.quantity,
                flag: flag(i, sellable.as_ref(), currency.as_deref()),
                sellable,
            })
        })
        .collect())
}

/// The owner's cart as of now (empty when there is none).
pub async fn view(ctx: &AppContext, owner: &CartOwner) -> Result<CartView, CartError> {
    let (cart, items) = {
        let mut conn = ctx.db().get().await?;
        match cart::find(&mut conn, owner).await? {
            Some(c) => {
                let items = cart::items(&mut conn, c.id).await?;
                (Some(c), items)
            }
            None => (None, Vec::new()),
        }
    };
    let lines = resolve(ctx, &items).await?;
    Ok(CartView { cart, lines })
}

/// What an add-to-cart form names: a variant, or a product with a single variant.
#[derive(Debug, Clone)]
pub enum Wanted {
    Item(SellableRef),
    Product(String),
}

/// Adds `quantity` of what `wanted` names to the owner's cart.
pub async fn add(
    ctx: &AppContext,
    owner: &CartOwner,
    wanted: Wanted,
    quantity: i32,
) -> Result<(), CartError> {
    check_quantity(quantity, false)?;
    let item = match wanted {
        Wanted::Item(item) => item,
        Wanted::Product(slug) => {
            let variants = ctx
                .registry()
                .sellables
                .variants_of_product(&slug)
                .await?
                .ok_or(CartError::NoSuchItem)?;
            match variants.as_slice() {
                [only] => *only,
                [] => return Err(CartError::NoSuchItem),
                _ => return Err(CartError::ChooseVariant),
            }
        }
    };
    let sellable = ctx
        .registry()
        .sellables
        .sellables(&[item])
        .await?
        .into_iter()
        .next()
        .ok_or(CartError::NoSuchItem)?;
    match sellable.availability {
        Availability::OffSale => return Err(CartError::NoSuchItem),
        Availability::Limited(0) => return Err(CartError::SoldOut(sellable.title)),
        _ => {}
    }
    let mut conn = ctx.db().get().await?;
    let c = cart::find_or_create(&mut conn, owner).await?;
    conn.transaction(async |conn| {
        let c = cart::lock(conn, c.id).await?.ok_or(CartError::NoSuchItem)?;
        if c.checkout_order_id.is_some() {
            return Err(CartError::Frozen);
        }
        let items = cart::items(conn, c.id).await?;
        let existing = items.iter().find(|i| i.item() == Some(item));
        if existing.is_none() && items.len() as i64 >= MAX_LINES {
            return Err(CartError::TooManyLines);
        }
        // One currency per cart: the other lines' (as the buyer saw them).
        if let Some(other) = items
            .iter()
            .filter(|i| i.item() != Some(item))
            .find_map(|i| i.seen_currency.clone())
            .filter(|c| *c != sellable.unit_price.currency)
        {
            return Err(CartError::OtherCurrency(other));
        }
        let total = existing
            .map_or(0, |i| i.quantity)
            .saturating_add(quantity)
            .min(MAX_QUANTITY);
        if !sellable.availability.allows(total) {
            let Availability::Limited(left) = sellable.availability else {
                return Err(CartError::SoldOut(sellable.title.clone()));
            };
            return Err(CartError::NotEnough {
                title: sellable.title.clone(),
                left,
            });
        }
        cart::add_line(conn, c.id, item, quantity, &sellable.unit_price).await?;
        Ok(())
    })
    .await
}

/// Sets a line's quantity (zero removes it) and accepts its current price.
pub async fn set_quantity(
    ctx: &AppContext,
    owner: &CartOwner,
    item: SellableRef,
    quantity: i32,
) -> Result<(), CartError> {
    check_quantity(quantity, true)?;
    let sellable = ctx
        .registry()
        .sellables
        .sellables(&[item])
        .await?
        .into_iter()
        .next();
    let mut conn = ctx.db().get().await?;
    let c = cart::find(&mut conn, owner)
        .await?
        .ok_or(CartError::NotInCart)?;
    conn.transaction(async |conn| {
        let c = cart::lock(conn, c.id).await?.ok_or(CartError::NotInCart)?;
        if c.checkout_order_id.is_some() {
            return Err(CartError::Frozen);
        }
        if !cart::set_quantity(conn, c.id, item, quantity).await? {
            return Err(CartError::NotInCart);
        }
        if let Some(s) = sellable.filter(|_| quantity > 0) {
            cart::accept_price(conn, c.id, item, &s.unit_price).await?;
        }
        Ok(())
    })
    .await
}

pub fn check_quantity(quantity: i32, allow_zero: bool) -> Result<i32, CartError> {
    let min = if allow_zero { 0 } else { 1 };
    if (min..=MAX_QUANTITY).contains(&quantity) {
        Ok(quantity)
    } else {
        Err(CartError::Quantity { min })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared::AppName;
    use shared::contracts::sellable::SellableKind;

    fn item(quantity: i32, seen: Option<(i64, &str)>) -> CartItem {
        CartItem {
            cart_id: 1,
            quantity,
            added_at: chrono::Utc::now(),
            kind: "variant".into(),
            item_id: 7,
            seen_price_cents: seen.map(|s| s.0),
            seen_currency: seen.map(|s| s.1.to_owned()),
        }
    }

    fn sellable(cents: i64, currency: &str, availability: Availability) -> SellableDto {
        SellableDto {
            item: SellableRef {
                kind: SellableKind::Variant,
                id: 7,
            },
            title: "Jelly".into(),
            unit_price: Money {
                cents,
                currency: currency.into(),
            },
            availability,
            app: AppName::Market,
            path: "/products/jelly".into(),
        }
    }

    #[test]
    fn lines_are_flagged_before_checkout() {
        let fine = sellable(725, "GBP", Availability::Limited(5));
        assert_eq!(
            flag(&item(2, Some((725, "GBP"))), Some(&fine), Some("GBP")),
            None
        );
        assert_eq!(flag(&item(2, None), None, None), Some(Flag::Gone));
        assert_eq!(
            flag(&item(6, Some((725, "GBP"))), Some(&fine), None),
            Some(Flag::NotEnough { available: 5 })
        );
        let sold = sellable(725, "GBP", Availability::Limited(0));
        assert_eq!(flag(&item(1, None), Some(&sold), None), Some(Flag::SoldOut));
        let off = sellable(725, "GBP", Availability::OffSale);
        assert_eq!(flag(&item(1, None), Some(&off), None), Some(Flag::OffSale));
        let dearer = sellable(800, "GBP", Availability::Unlimited);
        assert_eq!(
            flag(&item(1, Some((725, "GBP"))), Some(&dearer), Some("GBP")),
            Some(Flag::PriceChanged {
                was: "£7.25".into(),
                now: "£8.00".into()
            })
        );
        let euros = sellable(800, "EUR", Availability::Unlimited);
        assert_eq!(
            flag(&item(1, Some((800, "EUR"))), Some(&euros), Some("GBP")),
            Some(Flag::OtherCurrency)
        );
        assert!(check_quantity(0, false).is_err());
        assert!(check_quantity(0, true).is_ok());
        assert!(check_quantity(100, true).is_err());
    }
}
