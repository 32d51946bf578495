//! The dashboard's reads of the member: their `users` row (federation owns it; read here for
//! display, only while the account is live, as `UserDirectory::user` answers), whether their
//! address is confirmed and the subscriber their sign-ups made, in one query; and their
//! subscriptions. Each takes a shared connection so a page runs them pipelined on one pooled
//! connection (diesel-async sends them together), with the public lists
//! ([`super::newsletters::public`]): they were five queries on five checkouts.

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Bool, Nullable, Text};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use shared::db::prepared::Prepared;
use shared::db::schema::{newsletter_subscribers, newsletter_subscriptions, newsletters};

/// A live member as the dashboard shows them.
#[derive(Debug, QueryableByName)]
pub struct MemberRow {
    #[diesel(sql_type = BigInt)]
    pub id: i64,
    #[diesel(sql_type = Text)]
    pub username: String,
    #[diesel(sql_type = Text)]
    pub email: String,
    #[diesel(sql_type = Text)]
    pub display_name: String,
    #[diesel(sql_type = Nullable<Text>)]
    pub avatar_url: Option<String>,
    #[diesel(sql_type = Text)]
    pub role: String,
    /// They proved their address (confirmed sign-up).
    #[diesel(sql_type = Bool)]
    pub verified: bool,
    /// Their first subscriber row, once they subscribed (its preferences page).
    #[diesel(sql_type = Nullable<BigInt>)]
    pub subscriber_id: Option<i64>,
}

/// The member, or `None` for an unknown or disabled (so also a deleted) account.
pub async fn member(mut conn: &AsyncPgConnection, user_id: i64) -> QueryResult<Option<MemberRow>> {
    Prepared(
        diesel::sql_query(
            "SELECT u.id, u.username, u.email, u.display_name, u.avatar_url, u.role, \
               u.email_verified_at IS NOT NULL AS verified, \
               (SELECT s.id FROM newsletter_subscribers s WHERE s.user_id = u.id \
                ORDER BY s.id LIMIT 1) AS subscriber_id \
             FROM users u WHERE u.id = $1 AND u.disabled_at IS NULL",
        )
        .bind::<BigInt, _>(user_id),
    )
    .get_result(&mut conn)
    .await
    .optional()
}

/// The lists the member's addresses are on (any status but unsubscribed), in list order: the
/// list's slug and name and the status (as `shared::models::account::subscriptions_of_user`).
pub async fn subscriptions(
    mut conn: &AsyncPgConnection,
    user_id: i64,
) -> QueryResult<Vec<(String, String, String)>> {
    newsletter_subscriptions::table
        .inner_join(newsletters::table)
        .inner_join(newsletter_subscribers::table)
        .filter(newsletter_subscribers::user_id.eq(user_id))
        .filter(newsletter_subscriptions::status.ne("unsubscribed"))
        .order(newsletters::id)
        .select((
            newsletters::slug,
            newsletters::name,
            newsletter_subscriptions::status,
        ))
        .load(&mut conn)
        .await
}
