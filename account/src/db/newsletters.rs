//! Queries on the `newsletters` table (the lists).

use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use shared::db::schema::newsletters;
use shared::models::account::Newsletter;

/// A new list.
#[derive(Debug, Clone, Copy)]
pub struct NewNewsletter<'a> {
    pub slug: &'a str,
    pub name: &'a str,
    pub description: &'a str,
    /// `single` or `double`.
    pub opt_in: &'a str,
    /// `public` or `private`.
    pub visibility: &'a str,
}

impl<'a> NewNewsletter<'a> {
    /// A public, double opt-in list (the default for anything anyone can subscribe to).
    pub fn public(slug: &'a str, name: &'a str, description: &'a str) -> Self {
        NewNewsletter {
            slug,
            name,
            description,
            opt_in: "double",
            visibility: "public",
        }
    }
}

/// Every list, in creation order.
pub async fn all(conn: &mut AsyncPgConnection) -> QueryResult<Vec<Newsletter>> {
    newsletters::table
        .order(newsletters::id)
        .select(Newsletter::as_select())
        .load(conn)
        .await
}

/// The lists the public forms offer, in creation order. On a shared connection: the dashboard
/// pipelines it with its other reads.
pub async fn public(mut conn: &AsyncPgConnection) -> QueryResult<Vec<Newsletter>> {
    newsletters::table
        .filter(newsletters::visibility.eq("public"))
        .order(newsletters::id)
        .select(Newsletter::as_select())
        .load(&mut conn)
        .await
}

pub async fn by_id(conn: &mut AsyncPgConnection, id: i64) -> QueryResult<Option<Newsletter>> {
    newsletters::table
        .find(id)
        .select(Newsletter::as_select())
        .first(conn)
        .await
        .optional()
}

pub async fn by_slug(conn: &mut AsyncPgConnection, slug: &str) -> QueryResult<Option<Newsletter>> {
    newsletters::table
        .filter(newsletters::slug.eq(slug))
        .select(Newsletter::as_select())
        .first(conn)
        .await
        .optional()
}

pub async fn insert(
    conn: &mut AsyncPgConnection,
    new: &NewNewsletter<'_>,
) -> QueryResult<Newsletter> {
    diesel::insert_into(newsletters::table)
        .values((
            newsletters::slug.eq(new.slug),
            newsletters::name.eq(new.name),
            newsletters::description.eq(new.description),
            newsletters::opt_in.eq(new.opt_in),
            newsletters::visibility.eq(new.visibility),
        ))
        .returning(Newsletter::as_returning())
        .get_result(conn)
        .await
}
