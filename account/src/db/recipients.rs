//! Queries on `newsletter_campaign_recipients`: one row per subscriber and campaign, the
//! campaign's sending queue.

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Int4, Text};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use shared::db::prepared::Prepared;
use shared::db::schema::newsletter_campaign_recipients as recipients;

/// Adds every confirmed subscriber of the list that is not blocklisted (once: a second call
/// adds only newcomers).
pub async fn materialize(
    conn: &mut AsyncPgConnection,
    campaign_id: i64,
    newsletter_id: i64,
) -> QueryResult<usize> {
    diesel::sql_query(
        "INSERT INTO newsletter_campaign_recipients (campaign_id, subscriber_id, subscription_id) \
         SELECT $1, s.subscriber_id, s.id FROM newsletter_subscriptions s \
         JOIN newsletter_subscribers sb ON sb.id = s.subscriber_id AND sb.blocklisted_at IS NULL \
         WHERE s.newsletter_id = $2 AND s.status = 'confirmed' \
         ORDER BY s.id \
         ON CONFLICT (campaign_id, subscriber_id) DO NOTHING",
    )
    .bind::<BigInt, _>(campaign_id)
    .bind::<BigInt, _>(newsletter_id)
    .execute(conn)
    .await
}

/// The next pending recipient, locked for the caller's transaction (others skip it).
#[derive(Debug, QueryableByName)]
pub struct Claimed {
    #[diesel(sql_type = BigInt)]
    pub id: i64,
    #[diesel(sql_type = BigInt)]
    pub subscription_id: i64,
    #[diesel(sql_type = BigInt)]
    pub subscriber_id: i64,
    #[diesel(sql_type = Text)]
    pub email: String,
    /// The subscription's status now (an unsubscribe since the start means no mail), or
    /// `blocklisted` when the address bounced or complained since.
    #[diesel(sql_type = Text)]
    pub subscription_status: String,
    #[diesel(sql_type = Int4)]
    pub attempts: i32,
}

/// Fresh recipients first, then ones that failed a try (by fewest tries).
pub async fn claim_next(
    conn: &mut AsyncPgConnection,
    campaign_id: i64,
) -> QueryResult<Option<Claimed>> {
    let rows: Vec<Claimed> = Prepared(
        diesel::sql_query(
            "SELECT r.id, r.subscription_id, r.subscriber_id, s.email, \
             CASE WHEN s.blocklisted_at IS NULL THEN sub.status ELSE 'blocklisted' END \
               AS subscription_status, r.attempts \
             FROM newsletter_campaign_recipients r \
             JOIN newsletter_subscribers s ON s.id = r.subscriber_id \
             JOIN newsletter_subscriptions sub ON sub.id = r.subscription_id \
             WHERE r.campaign_id = $1 AND r.status = 'pending' \
             ORDER BY r.attempts, r.id LIMIT 1 \
             FOR UPDATE OF r SKIP LOCKED",
        )
        .bind::<BigInt, _>(campaign_id),
    )
    .load(conn)
    .await?;
    Ok(rows.into_iter().next())
}

pub async fn mark_sent(conn: &mut AsyncPgConnection, id: i64) -> QueryResult<usize> {
    diesel::update(recipients::table.find(id))
        .set((
            recipients::status.eq("sent"),
            recipients::sent_at.eq(diesel::dsl::now),
            recipients::attempts.eq(recipients::attempts + 1),
            recipients::last_error.eq(None::<String>),
        ))
        .execute(conn)
        .await
}

pub async fn mark_skipped(conn: &mut AsyncPgConnection, id: i64) -> QueryResult<usize> {
    diesel::update(recipients::table.find(id))
        .set(recipients::status.eq("skipped"))
        .execute(conn)
        .await
}

/// A failed try: `failed` for good, or back in the queue behind fresh recipients.
pub async fn mark_failure(
    conn: &mut AsyncPgConnection,
    id: i64,
    error: &str,
    give_up: bool,
) -> QueryResult<usize> {
    diesel::update(recipients::table.find(id))
        .set((
            recipients::status.eq(if give_up { "failed" } else { "pending" }),
            recipients::attempts.eq(recipients::attempts + 1),
            recipients::last_error.eq(error),
        ))
        .execute(conn)
        .await
}

/// How many recipients are in each state.
#[derive(Debug, Default, Clone, serde::Serialize)]
pub struct Counts {
    pub pending: i64,
    pub sent: i64,
    pub failed: i64,
    pub skipped: i64,
}

pub async fn counts(conn: &mut AsyncPgConnection, campaign_id: i64) -> QueryResult<Counts> {
    let rows: Vec<(String, i64)> = recipients::table
        .filter(recipients::campaign_id.eq(campaign_id))
        .group_by(recipients::status)
        .select((recipients::status, diesel::dsl::count_star()))
        .load(conn)
        .await?;
    let mut counts = Counts::default();
    for (status, n) in rows {
        match status.as_str() {
            "pending" => counts.pending = n,
            "sent" => counts.sent = n,
            "failed" => counts.failed = n,
            _ => counts.skipped += n,
        }
    }
    Ok(counts)
}
