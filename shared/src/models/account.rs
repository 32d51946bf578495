//! Newsletters and subscriptions (owned by account).

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};

use crate::db::schema::{newsletter_subscriptions, newsletters};

#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = newsletters)]
pub struct Newsletter {
    pub id: i64,
    pub slug: String,
    pub name: String,
    pub description: String,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = newsletter_subscriptions)]
pub struct Subscription {
    pub id: i64,
    pub newsletter_id: i64,
    pub email: String,
    pub user_id: Option<i64>,
    pub status: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

pub async fn newsletters(conn: &mut AsyncPgConnection) -> QueryResult<Vec<Newsletter>> {
    newsletters::table
        .order(newsletters::id)
        .select(Newsletter::as_select())
        .load(conn)
        .await
}

pub async fn newsletter_by_slug(
    conn: &mut AsyncPgConnection,
    slug: &str,
) -> QueryResult<Option<Newsletter>> {
    newsletters::table
        .filter(newsletters::slug.eq(slug))
        .select(Newsletter::as_select())
        .first(conn)
        .await
        .optional()
}

pub async fn insert_newsletter(
    conn: &mut AsyncPgConnection,
    slug: &str,
    name: &str,
    description: &str,
) -> QueryResult<Newsletter> {
    diesel::insert_into(newsletters::table)
        .values((
            newsletters::slug.eq(slug),
            newsletters::name.eq(name),
            newsletters::description.eq(description),
        ))
        .returning(Newsletter::as_returning())
        .get_result(conn)
        .await
}

/// Subscribes `email` (single opt-in for signed-in users whose address is known, unconfirmed
/// otherwise). Re-subscribing an unsubscribed address revives it; anything else is unchanged.
pub async fn subscribe(
    conn: &mut AsyncPgConnection,
    newsletter_id: i64,
    email: &str,
    user_id: Option<i64>,
) -> QueryResult<Subscription> {
    let status = if user_id.is_some() {
        "confirmed"
    } else {
        "unconfirmed"
    };
    let existing = newsletter_subscriptions::table
        .filter(newsletter_subscriptions::newsletter_id.eq(newsletter_id))
        .filter(
            diesel::dsl::sql::<diesel::sql_types::Bool>("lower(email) = lower(")
                .bind::<diesel::sql_types::Text, _>(email)
                .sql(")"),
        )
        .select(Subscription::as_select())
        .first(conn)
        .await
        .optional()?;
    match existing {
        Some(sub) if sub.status == "unsubscribed" => {
            diesel::update(newsletter_subscriptions::table.find(sub.id))
                .set((
                    newsletter_subscriptions::status.eq(status),
                    newsletter_subscriptions::user_id.eq(user_id.or(sub.user_id)),
                ))
                .returning(Subscription::as_returning())
                .get_result(conn)
                .await
        }
        Some(sub) => Ok(sub),
        None => {
            diesel::insert_into(newsletter_subscriptions::table)
                .values((
                    newsletter_subscriptions::newsletter_id.eq(newsletter_id),
                    newsletter_subscriptions::email.eq(email),
                    newsletter_subscriptions::user_id.eq(user_id),
                    newsletter_subscriptions::status.eq(status),
                ))
                .returning(Subscription::as_returning())
                .get_result(conn)
                .await
        }
    }
}

/// Ends a user's subscription to a newsletter. Returns whether one was active.
pub async fn unsubscribe_user(
    conn: &mut AsyncPgConnection,
    newsletter_id: i64,
    user_id: i64,
) -> QueryResult<bool> {
    diesel::update(
        newsletter_subscriptions::table
            .filter(newsletter_subscriptions::newsletter_id.eq(newsletter_id))
            .filter(newsletter_subscriptions::user_id.eq(user_id))
            .filter(newsletter_subscriptions::status.ne("unsubscribed")),
    )
    .set(newsletter_subscriptions::status.eq("unsubscribed"))
    .execute(conn)
    .await
    .map(|n| n > 0)
}

/// The newsletters a user is subscribed to (any status but unsubscribed).
pub async fn subscriptions_of_user(
    conn: &mut AsyncPgConnection,
    user_id: i64,
) -> QueryResult<Vec<(Subscription, Newsletter)>> {
    newsletter_subscriptions::table
        .inner_join(newsletters::table)
        .filter(newsletter_subscriptions::user_id.eq(user_id))
        .filter(newsletter_subscriptions::status.ne("unsubscribed"))
        .order(newsletters::id)
        .select((Subscription::as_select(), Newsletter::as_select()))
        .load(conn)
        .await
}

pub async fn confirmed_count(conn: &mut AsyncPgConnection, newsletter_id: i64) -> QueryResult<i64> {
    newsletter_subscriptions::table
        .filter(newsletter_subscriptions::newsletter_id.eq(newsletter_id))
        .filter(newsletter_subscriptions::status.eq("confirmed"))
        .count()
        .get_result(conn)
        .await
}
