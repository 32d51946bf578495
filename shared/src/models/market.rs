//! Products (owned by market).

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};

use crate::db::schema::products;

#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = products)]
pub struct Product {
    pub id: i64,
    pub slug: String,
    pub title: String,
    pub description: String,
    pub price_cents: i64,
    pub currency: String,
    pub image_url: Option<String>,
    pub featured: bool,
    pub stock: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

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

pub async fn featured(conn: &mut AsyncPgConnection, limit: i64) -> QueryResult<Vec<Product>> {
    products::table
        .filter(products::featured.eq(true))
        .order((products::updated_at.desc(), products::id.desc()))
        .limit(limit)
        .select(Product::as_select())
        .load(conn)
        .await
}

pub async fn list(
    conn: &mut AsyncPgConnection,
    limit: i64,
    offset: i64,
) -> QueryResult<Vec<Product>> {
    products::table
        .order((products::title, products::id))
        .limit(limit)
        .offset(offset)
        .select(Product::as_select())
        .load(conn)
        .await
}

pub async fn count(conn: &mut AsyncPgConnection) -> QueryResult<i64> {
    products::table.count().get_result(conn).await
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

pub async fn insert(conn: &mut AsyncPgConnection, new: &NewProduct<'_>) -> QueryResult<Product> {
    diesel::insert_into(products::table)
        .values(new)
        .returning(Product::as_returning())
        .get_result(conn)
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
