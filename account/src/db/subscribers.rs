//! Queries on `newsletter_subscribers` (one row per address).

use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use shared::db::schema::newsletter_subscribers;
use shared::models::account::Subscriber;

pub async fn by_id(conn: &mut AsyncPgConnection, id: i64) -> QueryResult<Option<Subscriber>> {
    newsletter_subscribers::table
        .find(id)
        .select(Subscriber::as_select())
        .first(conn)
        .await
        .optional()
}

/// The subscriber for `email` (case-insensitively), created when there is none. A member who
/// subscribes their own address while signed in (`user_id`) is linked to it.
pub async fn find_or_create(
    conn: &mut AsyncPgConnection,
    email: &str,
    user_id: Option<i64>,
) -> QueryResult<Subscriber> {
    // One statement, so two concurrent subscriptions of one address meet on the unique index.
    diesel::sql_query(
        "INSERT INTO newsletter_subscribers (email, user_id) VALUES ($1, $2) \
         ON CONFLICT (lower(email)) DO UPDATE \
         SET user_id = COALESCE(EXCLUDED.user_id, newsletter_subscribers.user_id) \
         RETURNING id, email, user_id, created_at, blocklisted_at",
    )
    .bind::<diesel::sql_types::Text, _>(email)
    .bind::<diesel::sql_types::Nullable<diesel::sql_types::Int8>, _>(user_id)
    .get_result::<SubscriberRow>(conn)
    .await
    .map(Into::into)
}

#[derive(QueryableByName)]
struct SubscriberRow {
    #[diesel(sql_type = diesel::sql_types::Int8)]
    id: i64,
    #[diesel(sql_type = diesel::sql_types::Text)]
    email: String,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Int8>)]
    user_id: Option<i64>,
    #[diesel(sql_type = diesel::sql_types::Timestamptz)]
    created_at: chrono::DateTime<chrono::Utc>,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Timestamptz>)]
    blocklisted_at: Option<chrono::DateTime<chrono::Utc>>,
}

impl From<SubscriberRow> for Subscriber {
    fn from(r: SubscriberRow) -> Self {
        Subscriber {
            id: r.id,
            email: r.email,
            user_id: r.user_id,
            created_at: r.created_at,
            blocklisted_at: r.blocklisted_at,
        }
    }
}

/// The subscriber a member subscribed while signed in.
pub async fn of_user(
    conn: &mut AsyncPgConnection,
    user_id: i64,
) -> QueryResult<Option<Subscriber>> {
    newsletter_subscribers::table
        .filter(newsletter_subscribers::user_id.eq(user_id))
        .order(newsletter_subscribers::id)
        .select(Subscriber::as_select())
        .first(conn)
        .await
        .optional()
}
