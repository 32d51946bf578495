//! Newsletters, subscribers and subscriptions (owned by account): the row types, and the one
//! read other apps need (a member's subscriptions, behind the `Newsletters` contract). The
//! account app's own queries and writes live in `account::db`.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};

use crate::db::schema::{newsletter_subscribers, newsletter_subscriptions, newsletters};

/// A list (`opt_in`: `single` | `double`; `visibility`: `public` | `private`).
#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = newsletters)]
pub struct Newsletter {
    pub id: i64,
    pub slug: String,
    pub name: String,
    pub description: String,
    pub opt_in: String,
    pub visibility: String,
    pub created_at: DateTime<Utc>,
}

impl Newsletter {
    /// Whether a new subscriber must confirm by mail before receiving anything.
    pub fn double_opt_in(&self) -> bool {
        self.opt_in == "double"
    }

    /// Whether the public forms offer it (a private list is filled by its editors).
    pub fn is_public(&self) -> bool {
        self.visibility == "public"
    }
}

/// One address (at most one row per address, compared case-insensitively).
#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = newsletter_subscribers)]
pub struct Subscriber {
    pub id: i64,
    pub email: String,
    /// The member who subscribed it while signed in, if any.
    pub user_id: Option<i64>,
    pub created_at: DateTime<Utc>,
    /// When bounces or a complaint stopped all mail to it (it cannot be confirmed again).
    pub blocklisted_at: Option<DateTime<Utc>>,
}

/// One subscriber on one list (`status`: `unconfirmed` | `confirmed` | `unsubscribed`).
#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = newsletter_subscriptions)]
pub struct Subscription {
    pub id: i64,
    pub newsletter_id: i64,
    pub subscriber_id: i64,
    pub status: String,
    /// When the subscriber confirmed (their consent, kept as proof).
    pub confirmed_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// The lists a member's address is on (any status but unsubscribed), in list order.
pub async fn subscriptions_of_user(
    conn: &mut AsyncPgConnection,
    user_id: i64,
) -> QueryResult<Vec<(Subscription, Newsletter)>> {
    newsletter_subscriptions::table
        .inner_join(newsletters::table)
        .inner_join(newsletter_subscribers::table)
        .filter(newsletter_subscribers::user_id.eq(user_id))
        .filter(newsletter_subscriptions::status.ne("unsubscribed"))
        .order(newsletters::id)
        .select((Subscription::as_select(), Newsletter::as_select()))
        .load(conn)
        .await
}
