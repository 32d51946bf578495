//! Carts and cart items (owned by cart).
//!
//! A cart belongs to a signed-in user or to an anonymous cart-app session. Product details are
//! read through the catalog service, not joined here: `products` belongs to market.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};

use crate::db::schema::{cart_items, carts};

/// Most of one product a cart may hold.
pub const MAX_QUANTITY: i32 = 99;

#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = carts)]
pub struct Cart {
    pub id: i64,
    pub user_id: Option<i64>,
    pub session_key: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = cart_items)]
pub struct CartItem {
    pub cart_id: i64,
    pub product_id: i64,
    pub quantity: i32,
    pub added_at: DateTime<Utc>,
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

/// Adds `quantity` of a product (capped at [`MAX_QUANTITY`]) and touches the cart.
pub async fn add_item(
    conn: &mut AsyncPgConnection,
    cart_id: i64,
    product_id: i64,
    quantity: i32,
) -> QueryResult<()> {
    let quantity = quantity.clamp(1, MAX_QUANTITY);
    diesel::insert_into(cart_items::table)
        .values((
            cart_items::cart_id.eq(cart_id),
            cart_items::product_id.eq(product_id),
            cart_items::quantity.eq(quantity),
        ))
        .on_conflict((cart_items::cart_id, cart_items::product_id))
        .do_update()
        .set(
            cart_items::quantity.eq(diesel::dsl::sql::<diesel::sql_types::Integer>(&format!(
                "LEAST(cart_items.quantity + excluded.quantity, {MAX_QUANTITY})"
            ))),
        )
        .execute(conn)
        .await?;
    touch(conn, cart_id).await
}

/// Sets a line's quantity; zero removes it. Returns whether the line existed.
pub async fn set_quantity(
    conn: &mut AsyncPgConnection,
    cart_id: i64,
    product_id: i64,
    quantity: i32,
) -> QueryResult<bool> {
    let line = cart_items::table.find((cart_id, product_id));
    let changed = if quantity <= 0 {
        diesel::delete(line).execute(conn).await?
    } else {
        diesel::update(line)
            .set(cart_items::quantity.eq(quantity.min(MAX_QUANTITY)))
            .execute(conn)
            .await?
    };
    touch(conn, cart_id).await?;
    Ok(changed > 0)
}

pub async fn items(conn: &mut AsyncPgConnection, cart_id: i64) -> QueryResult<Vec<CartItem>> {
    cart_items::table
        .filter(cart_items::cart_id.eq(cart_id))
        .order((cart_items::added_at, cart_items::product_id))
        .select(CartItem::as_select())
        .load(conn)
        .await
}

async fn touch(conn: &mut AsyncPgConnection, cart_id: i64) -> QueryResult<()> {
    diesel::update(carts::table.find(cart_id))
        .set(carts::updated_at.eq(diesel::dsl::now))
        .execute(conn)
        .await
        .map(drop)
}

pub async fn delete(conn: &mut AsyncPgConnection, cart_id: i64) -> QueryResult<usize> {
    diesel::delete(carts::table.find(cart_id))
        .execute(conn)
        .await
}
