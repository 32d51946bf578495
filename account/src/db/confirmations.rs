//! Queries on `newsletter_confirmations`: double opt-in tokens, stored as digests.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use shared::db::schema::newsletter_confirmations;

/// A confirmation as stored.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = newsletter_confirmations)]
pub struct Confirmation {
    pub subscription_id: i64,
    pub expires_at: DateTime<Utc>,
    pub used_at: Option<DateTime<Utc>>,
}

pub async fn insert(
    conn: &mut AsyncPgConnection,
    digest: &str,
    subscription_id: i64,
    expires_at: DateTime<Utc>,
) -> QueryResult<usize> {
    diesel::insert_into(newsletter_confirmations::table)
        .values((
            newsletter_confirmations::token_digest.eq(digest),
            newsletter_confirmations::subscription_id.eq(subscription_id),
            newsletter_confirmations::expires_at.eq(expires_at),
        ))
        .execute(conn)
        .await
}

/// The confirmation with this digest, whatever its state (the GET page reads it).
pub async fn find(conn: &mut AsyncPgConnection, digest: &str) -> QueryResult<Option<Confirmation>> {
    newsletter_confirmations::table
        .find(digest)
        .select(Confirmation::as_select())
        .first(conn)
        .await
        .optional()
}

/// Uses the token once: marks it used if it is unused and unexpired at `now`, in one statement,
/// so two presses of the button cannot both succeed. Returns its subscription.
pub async fn take(
    conn: &mut AsyncPgConnection,
    digest: &str,
    now: DateTime<Utc>,
) -> QueryResult<Option<i64>> {
    diesel::update(
        newsletter_confirmations::table
            .find(digest)
            .filter(newsletter_confirmations::used_at.is_null())
            .filter(newsletter_confirmations::expires_at.gt(now)),
    )
    .set(newsletter_confirmations::used_at.eq(now))
    .returning(newsletter_confirmations::subscription_id)
    .get_result(conn)
    .await
    .optional()
}
