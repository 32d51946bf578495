//! Carts and cart lines (owned by cart).
//!
//! A cart belongs to a signed-in user or to an anonymous cart-app session. A line names a
//! sellable item (`kind`, `item_id`: a market variant, later an events ticket type) and a
//! quantity; the item's title, price and stock are asked of its owner through the
//! `Sellables` contract, never stored here. The price the buyer saw when adding is kept only to
//! flag a change before checkout.
//!
//! Every change of the lines bumps the cart's `version`, which names the checkout's
//! idempotency key; while `checkout_order_id` is set the cart is frozen in checkout.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};

use crate::contracts::dtos::Money;
use crate::contracts::sellable::{SellableKind, SellableRef};
use crate::db::schema::{cart_items, carts, product_variants};

/// Most of one item a cart may hold.
pub const MAX_QUANTITY: i32 = 99;
/// Most lines a cart may hold.
pub const MAX_LINES: i64 = 50;

#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = carts)]
pub struct Cart {
    pub id: i64,
    pub user_id: Option<i64>,
    pub session_key: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i64,
    /// Set while the cart is frozen in checkout: the order arranging its payment.
    pub checkout_order_id: Option<i64>,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = cart_items)]
pub struct CartItem {
    pub cart_id: i64,
    pub quantity: i32,
    pub added_at: DateTime<Utc>,
    pub kind: String,
    pub item_id: i64,
    pub seen_price_cents: Option<i64>,
    pub seen_currency: Option<String>,
}

impl CartItem {
    /// The sellable the line names (`None` only for a kind this build does not know).
    pub fn item(&self) -> Option<SellableRef> {
        SellableKind::parse(&self.kind).map(|kind| SellableRef {
            kind,
            id: self.item_id,
        })
    }

    /// The unit price the buyer saw when adding the line.
    pub fn seen_price(&self) -> Option<Money> {
        match (self.seen_price_cents, &self.seen_currency) {
            (Some(cents), Some(currency)) => Some(Money {
                cents,
                currency: currency.clone(),
            }),
            _ => None,
        }
    }
}

/// Whose cart it is (a contract type: other apps ask for a cart's summary by it).
pub use crate::contracts::dtos::CartOwner;

pub async fn find(conn: &mut AsyncPgConnection, owner: &CartOwner) -> QueryResult<Option<Cart>> {
    let query = carts::table.select(Cart::as_select()).into_boxed();
    let query = match owner {
        CartOwner::User(id) => query.filter(carts::user_id.eq(*id)),
        CartOwner::Session(key) => query.filter(carts::session_key.eq(key.as_str())),
    };
    query.first(conn).await.optional()
}

/// The cart, locked until the end of the caller's transaction (changes to one cart queue).
pub async fn lock(conn: &mut AsyncPgConnection, cart_id: i64) -> QueryResult<Option<Cart>> {
    carts::table
        .find(cart_id)
        .select(Cart::as_select())
        .for_update()
        .first(conn)
        .await
        .optional()
}

/// The owner's cart, created on first use (safe against a concurrent first use).
pub async fn find_or_create(conn: &mut AsyncPgConnection, owner: &CartOwner) -> QueryResult<Cart> {
    if let Some(cart) = find(conn, owner).await? {
        return Ok(cart);
    }
    let (user_id, session_key) = match owner {
        CartOwner::User(id) => (Some(*id), None),
        CartOwner::Session(key) => (None, Some(key.as_str())),
    };
    let inserted = diesel::insert_into(carts::table)
        .values((
            carts::user_id.eq(user_id),
            carts::session_key.eq(session_key),
        ))
        .on_conflict_do_nothing()
        .returning(Cart::as_returning())
        .get_result(conn)
        .await
        .optional()?;
    match inserted {
        Some(cart) => Ok(cart),
        None => find(conn, owner)
            .await?
            .ok_or(diesel::result::Error::NotFound),
    }
}

/// Adds `quantity` of `item` (the sum capped at [`MAX_QUANTITY`]), remembering `seen` as the
/// price the buyer was shown, and bumps the cart's version.
pub async fn add_line(
    conn: &mut AsyncPgConnection,
    cart_id: i64,
    item: SellableRef,
    quantity: i32,
    seen: &Money,
) -> QueryResult<()> {
    let quantity = quantity.clamp(1, MAX_QUANTITY);
    diesel::insert_into(cart_items::table)
        .values((
            cart_items::cart_id.eq(cart_id),
            cart_items::kind.eq(item.kind.as_str()),
            cart_items::item_id.eq(item.id),
            cart_items::quantity.eq(quantity),
            cart_items::seen_price_cents.eq(seen.cents),
            cart_items::seen_currency.eq(&seen.currency),
        ))
        .on_conflict((cart_items::cart_id, cart_items::kind, cart_items::item_id))
        .do_update()
        .set((
            cart_items::quantity.eq(diesel::dsl::sql::<diesel::sql_types::Integer>(&format!(
                "LEAST(cart_items.quantity + excluded.quantity, {MAX_QUANTITY})"
            ))),
            cart_items::seen_price_cents.eq(seen.cents),
            cart_items::seen_currency.eq(&seen.currency),
        ))
        .execute(conn)
        .await?;
    bump(conn, cart_id).await
}

/// Adds `quantity` of a product's first variant at its current price (the seed and the
/// fleet's fixtures fill carts this way).
pub async fn add_item(
    conn: &mut AsyncPgConnection,
    cart_id: i64,
    product_id: i64,
    quantity: i32,
) -> QueryResult<()> {
    let (variant_id, cents, currency): (i64, i64, String) = product_variants::table
        .filter(product_variants::product_id.eq(product_id))
        .order((product_variants::position, product_variants::id))
        .select((
            product_variants::id,
            product_variants::price_cents,
            product_variants::currency,
        ))
        .first(conn)
        .await?;
    add_line(
        conn,
        cart_id,
        SellableRef::variant(variant_id),
        quantity,
        &Money { cents, currency },
    )
    .await
}

/// Sets a line's quantity (capped); zero removes it. Returns whether the line existed.
pub async fn set_quantity(
    conn: &mut AsyncPgConnection,
    cart_id: i64,
    item: SellableRef,
    quantity: i32,
) -> QueryResult<bool> {
    let line = cart_items::table.find((cart_id, item.kind.as_str(), item.id));
    let changed = if quantity <= 0 {
        diesel::delete(line).execute(conn).await?
    } else {
        diesel::update(line)
            .set(cart_items::quantity.eq(quantity.min(MAX_QUANTITY)))
            .execute(conn)
            .await?
    };
    if changed > 0 {
        bump(conn, cart_id).await?;
    }
    Ok(changed > 0)
}

/// Remembers `seen` as the price the buyer has now been shown for a line (after a change was
/// flagged and confirmed).
pub async fn accept_price(
    conn: &mut AsyncPgConnection,
    cart_id: i64,
    item: SellableRef,
    seen: &Money,
) -> QueryResult<()> {
    diesel::update(cart_items::table.find((cart_id, item.kind.as_str(), item.id)))
        .set((
            cart_items::seen_price_cents.eq(seen.cents),
            cart_items::seen_currency.eq(&seen.currency),
        ))
        .execute(conn)
        .await?;
    bump(conn, cart_id).await
}

pub async fn items(conn: &mut AsyncPgConnection, cart_id: i64) -> QueryResult<Vec<CartItem>> {
    cart_items::table
        .filter(cart_items::cart_id.eq(cart_id))
        .order((cart_items::added_at, cart_items::kind, cart_items::item_id))
        .select(CartItem::as_select())
        .load(conn)
        .await
}

pub async fn line_count(conn: &mut AsyncPgConnection, cart_id: i64) -> QueryResult<i64> {
    cart_items::table
        .filter(cart_items::cart_id.eq(cart_id))
        .count()
        .get_result(conn)
        .await
}

/// A new version: any idempotency key of the old one no longer names this cart's content.
async fn bump(conn: &mut AsyncPgConnection, cart_id: i64) -> QueryResult<()> {
    diesel::update(carts::table.find(cart_id))
        .set((
            carts::updated_at.eq(diesel::dsl::now),
            carts::version.eq(carts::version + 1),
        ))
        .execute(conn)
        .await
        .map(drop)
}

/// Freezes the cart in checkout for `order_id`.
pub async fn freeze(conn: &mut AsyncPgConnection, cart_id: i64, order_id: i64) -> QueryResult<()> {
    diesel::update(carts::table.find(cart_id))
        .set(carts::checkout_order_id.eq(order_id))
        .execute(conn)
        .await
        .map(drop)
}

/// Ends the checkout of `order_id` (if it is still the cart's): the cart thaws with its lines
/// and a new version, so another checkout is a new order.
pub async fn thaw(conn: &mut AsyncPgConnection, cart_id: i64, order_id: i64) -> QueryResult<()> {
    let thawed = diesel::update(
        carts::table
            .find(cart_id)
            .filter(carts::checkout_order_id.eq(order_id)),
    )
    .set(carts::checkout_order_id.eq(None::<i64>))
    .execute(conn)
    .await?;
    if thawed > 0 {
        bump(conn, cart_id).await?;
    }
    Ok(())
}

/// The order of `order_id` is paid: its cart empties and thaws.
pub async fn close(conn: &mut AsyncPgConnection, cart_id: i64, order_id: i64) -> QueryResult<()> {
    let closed = diesel::update(
        carts::table
            .find(cart_id)
            .filter(carts::checkout_order_id.eq(order_id)),
    )
    .set(carts::checkout_order_id.eq(None::<i64>))
    .execute(conn)
    .await?;
    if closed > 0 {
        diesel::delete(cart_items::table.filter(cart_items::cart_id.eq(cart_id)))
            .execute(conn)
            .await?;
        bump(conn, cart_id).await?;
    }
    Ok(())
}

pub async fn delete(conn: &mut AsyncPgConnection, cart_id: i64) -> QueryResult<usize> {
    diesel::delete(carts::table.find(cart_id))
        .execute(conn)
        .await
}
