//! Bulk imports: a list of product page addresses, one row per address with its state, so
//! the owner's progress page reads the truth after any restart.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};

use shared::db::schema::{market_import_items, market_imports};

pub const QUEUED: &str = "queued";
pub const DONE: &str = "done";
pub const FAILED: &str = "failed";

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = market_imports)]
pub struct Import {
    pub id: i64,
    pub stall_id: i64,
    pub created_by: i64,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = market_import_items)]
pub struct Item {
    pub id: i64,
    pub import_id: i64,
    pub position: i32,
    pub url: String,
    pub state: String,
    pub error: Option<String>,
    pub product_id: Option<i64>,
    pub updated_at: DateTime<Utc>,
}

/// A new import of `urls` for a stall; returns it and its items' ids in order.
pub async fn insert(
    conn: &mut AsyncPgConnection,
    stall_id: i64,
    created_by: i64,
    urls: &[String],
) -> QueryResult<(Import, Vec<i64>)> {
    let import: Import = diesel::insert_into(market_imports::table)
        .values((
            market_imports::stall_id.eq(stall_id),
            market_imports::created_by.eq(created_by),
        ))
        .returning(Import::as_returning())
        .get_result(conn)
        .await?;
    let rows: Vec<_> = urls
        .iter()
        .enumerate()
        .map(|(i, url)| {
            (
                market_import_items::import_id.eq(import.id),
                market_import_items::position.eq(i as i32),
                market_import_items::url.eq(url),
            )
        })
        .collect();
    let ids = diesel::insert_into(market_import_items::table)
        .values(&rows)
        .returning(market_import_items::id)
        .get_results(conn)
        .await?;
    Ok((import, ids))
}

pub async fn by_id(conn: &mut AsyncPgConnection, id: i64) -> QueryResult<Option<Import>> {
    market_imports::table
        .find(id)
        .select(Import::as_select())
        .first(conn)
        .await
        .optional()
}

pub async fn items_of(conn: &mut AsyncPgConnection, import_id: i64) -> QueryResult<Vec<Item>> {
    market_import_items::table
        .filter(market_import_items::import_id.eq(import_id))
        .order(market_import_items::position)
        .select(Item::as_select())
        .load(conn)
        .await
}

/// The item and its import, locked until the transaction ends, so two runs of its job
/// (a retry racing a slow first try) cannot both save a product.
pub async fn lock_item(
    conn: &mut AsyncPgConnection,
    item_id: i64,
) -> QueryResult<Option<(Item, Import)>> {
    market_import_items::table
        .inner_join(market_imports::table)
        .filter(market_import_items::id.eq(item_id))
        .select((Item::as_select(), Import::as_select()))
        .for_update()
        .first(conn)
        .await
        .optional()
}

pub async fn item(conn: &mut AsyncPgConnection, item_id: i64) -> QueryResult<Option<Item>> {
    market_import_items::table
        .find(item_id)
        .select(Item::as_select())
        .first(conn)
        .await
        .optional()
}

/// Marks an item done (its product, and a note such as the images left out, kept in `error`)
/// or failed (why).
pub async fn finish(
    conn: &mut AsyncPgConnection,
    item_id: i64,
    outcome: Result<(i64, Option<&str>), &str>,
) -> QueryResult<()> {
    let (state, error, product) = match outcome {
        Ok((product, note)) => (DONE, note, Some(product)),
        Err(why) => (FAILED, Some(why), None),
    };
    diesel::update(market_import_items::table.find(item_id))
        .set((
            market_import_items::state.eq(state),
            market_import_items::error.eq(error),
            market_import_items::product_id.eq(product),
            market_import_items::updated_at.eq(diesel::dsl::now),
        ))
        .execute(conn)
        .await
        .map(drop)
}

/// The slugs of imported products, for links from the progress page.
pub async fn product_slugs(
    conn: &mut AsyncPgConnection,
    ids: &[i64],
) -> QueryResult<Vec<(i64, String)>> {
    use shared::db::schema::products;
    products::table
        .filter(products::id.eq_any(ids))
        .select((products::id, products::slug))
        .load(conn)
        .await
}
