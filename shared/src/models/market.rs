//! Market rows (owned by market): stalls, products, their options, variants and images.
//!
//! Writes live in the market crate's `db/`; what stays here is the row types and the reads
//! other apps need (the `Catalog` contract's), plus [`insert`], the one-variant product the
//! seed and the fleet's fixtures write.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};

use crate::db::schema::{product_images, product_options, product_variants, products, stalls};

/// What a product's `status` may be.
pub mod status {
    pub const DRAFT: &str = "draft";
    pub const ACTIVE: &str = "active";
    pub const ARCHIVED: &str = "archived";
    pub const ALL: [&str; 3] = [DRAFT, ACTIVE, ARCHIVED];
}

/// At most this many options (size, colour, …) per product.
pub const MAX_OPTIONS: usize = 3;

#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = stalls)]
pub struct Stall {
    pub id: i64,
    pub slug: String,
    pub name: String,
    pub description: String,
    pub image_url: Option<String>,
    pub contact: String,
    pub location: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// The events calendar of its opening / market days, by slug (shown through the events
    /// app's `upcoming` fragment).
    pub calendar_slug: Option<String>,
}

#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = products)]
pub struct Product {
    pub id: i64,
    pub slug: String,
    pub title: String,
    pub description: String,
    /// The first variant's price (kept by a trigger on `product_variants`).
    pub price_cents: i64,
    pub currency: String,
    pub image_url: Option<String>,
    pub featured: bool,
    /// The variants' tracked stock summed (an untracked variant counts as plenty).
    pub stock: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub stall_id: Option<i64>,
    pub status: String,
    pub tags: Vec<String>,
}

impl Product {
    pub fn is_active(&self) -> bool {
        self.status == status::ACTIVE
    }
}

/// A published product with one default variant (price and stock), as the seed and the
/// fleet's fixtures write it.
#[derive(Debug, Insertable)]
#[diesel(table_name = products)]
pub struct NewProduct<'a> {
    pub slug: &'a str,
    pub title: &'a str,
    pub description: &'a str,
    pub price_cents: i64,
    pub currency: &'a str,
    pub image_url: Option<&'a str>,
    pub featured: bool,
    pub stock: i32,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = product_options)]
pub struct ProductOption {
    pub product_id: i64,
    pub position: i16,
    pub name: String,
}

#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = product_variants)]
pub struct Variant {
    pub id: i64,
    pub product_id: i64,
    pub sku: Option<String>,
    pub option1: Option<String>,
    pub option2: Option<String>,
    pub option3: Option<String>,
    pub price_cents: i64,
    pub currency: String,
    /// `None`: not tracked (made to order, always available).
    pub stock: Option<i32>,
    pub image_url: Option<String>,
    pub position: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Variant {
    pub fn in_stock(&self) -> bool {
        self.stock.is_none_or(|s| s > 0)
    }

    /// The option values that are set, in order ("Large / Red").
    pub fn options(&self) -> Vec<&str> {
        [&self.option1, &self.option2, &self.option3]
            .into_iter()
            .filter_map(|o| o.as_deref())
            .collect()
    }
}

#[derive(Debug, Insertable)]
#[diesel(table_name = product_variants)]
pub struct NewVariant<'a> {
    pub product_id: i64,
    pub sku: Option<&'a str>,
    pub option1: Option<&'a str>,
    pub option2: Option<&'a str>,
    pub option3: Option<&'a str>,
    pub price_cents: i64,
    pub currency: &'a str,
    pub stock: Option<i32>,
    pub image_url: Option<&'a str>,
    pub position: i32,
}

#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = product_images)]
pub struct ProductImage {
    pub id: i64,
    pub product_id: i64,
    pub url: String,
    pub alt: String,
    pub position: i32,
}

pub async fn featured(conn: &mut AsyncPgConnection, limit: i64) -> QueryResult<Vec<Product>> {
    products::table
        .filter(products::featured.eq(true))
        .filter(products::status.eq(status::ACTIVE))
        .order((products::updated_at.desc(), products::id.desc()))
        .limit(limit)
        .select(Product::as_select())
        .load(conn)
        .await
}

pub async fn by_slug(conn: &mut AsyncPgConnection, slug: &str) -> QueryResult<Option<Product>> {
    products::table
        .filter(products::slug.eq(slug))
        .select(Product::as_select())
        .first(conn)
        .await
        .optional()
}

pub async fn by_id(conn: &mut AsyncPgConnection, id: i64) -> QueryResult<Option<Product>> {
    products::table
        .find(id)
        .select(Product::as_select())
        .first(conn)
        .await
        .optional()
}

pub async fn by_ids(conn: &mut AsyncPgConnection, ids: &[i64]) -> QueryResult<Vec<Product>> {
    products::table
        .filter(products::id.eq_any(ids))
        .select(Product::as_select())
        .load(conn)
        .await
}

/// Writes `new` as an active product with one default variant carrying its price and stock.
pub async fn insert(conn: &mut AsyncPgConnection, new: &NewProduct<'_>) -> QueryResult<Product> {
    conn.transaction(async |conn| {
        let product: Product = diesel::insert_into(products::table)
            .values((new, products::status.eq(status::ACTIVE)))
            .returning(Product::as_returning())
            .get_result(conn)
            .await?;
        diesel::insert_into(product_variants::table)
            .values(&NewVariant {
                product_id: product.id,
                sku: None,
                option1: None,
                option2: None,
                option3: None,
                price_cents: new.price_cents,
                currency: new.currency,
                stock: Some(new.stock),
                image_url: new.image_url,
                position: 0,
            })
            .execute(conn)
            .await?;
        Ok(product)
    })
    .await
}

pub async fn set_featured(
    conn: &mut AsyncPgConnection,
    id: i64,
    featured: bool,
) -> QueryResult<usize> {
    diesel::update(products::table.find(id))
        .set(products::featured.eq(featured))
        .execute(conn)
        .await
}
