//! Queries on `newsletter_bounces` and the blocklist on `newsletter_subscribers`.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Nullable, Text, Timestamptz};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use shared::db::schema::{newsletter_bounces, newsletter_subscribers};

/// The subscriber with `email` (case-insensitively), locked for the caller's transaction so
/// two reports about one address are counted one after the other.
pub async fn lock_subscriber(
    conn: &mut AsyncPgConnection,
    email: &str,
) -> QueryResult<Option<i64>> {
    #[derive(QueryableByName)]
    struct Row {
        #[diesel(sql_type = BigInt)]
        id: i64,
    }
    let rows: Vec<Row> = diesel::sql_query(
        "SELECT id FROM newsletter_subscribers WHERE lower(email) = lower($1) FOR UPDATE",
    )
    .bind::<Text, _>(email)
    .load(conn)
    .await?;
    Ok(rows.into_iter().next().map(|r| r.id))
}

/// One bounce as reported.
pub struct NewBounce<'a> {
    pub subscriber_id: i64,
    pub campaign_id: Option<i64>,
    pub kind: &'a str,
    pub source: &'a str,
    /// JSON text.
    pub meta: &'a str,
    pub bounced_at: DateTime<Utc>,
    pub digest: &'a str,
}

/// Stores a bounce; `false` when the same report was stored before (a replay).
pub async fn insert(conn: &mut AsyncPgConnection, b: &NewBounce<'_>) -> QueryResult<bool> {
    diesel::sql_query(
        "INSERT INTO newsletter_bounces \
         (subscriber_id, campaign_id, kind, source, meta, bounced_at, report_digest) \
         VALUES ($1, $2, $3, $4, $5::jsonb, $6, $7) \
         ON CONFLICT (report_digest) DO NOTHING",
    )
    .bind::<BigInt, _>(b.subscriber_id)
    .bind::<Nullable<BigInt>, _>(b.campaign_id)
    .bind::<Text, _>(b.kind)
    .bind::<Text, _>(b.source)
    .bind::<Text, _>(b.meta)
    .bind::<Timestamptz, _>(b.bounced_at)
    .bind::<Text, _>(b.digest)
    .execute(conn)
    .await
    .map(|n| n > 0)
}

/// How many bounces of `kind` the subscriber has had.
pub async fn count_of(
    conn: &mut AsyncPgConnection,
    subscriber_id: i64,
    kind: &str,
) -> QueryResult<i64> {
    newsletter_bounces::table
        .filter(newsletter_bounces::subscriber_id.eq(subscriber_id))
        .filter(newsletter_bounces::kind.eq(kind))
        .count()
        .get_result(conn)
        .await
}

/// Stops all mail to a subscriber: blocklisted (once; the first reason stays), and off every
/// list. Returns whether it was newly blocklisted.
pub async fn blocklist(
    conn: &mut AsyncPgConnection,
    subscriber_id: i64,
    reason: &str,
) -> QueryResult<bool> {
    let newly = diesel::update(
        newsletter_subscribers::table
            .find(subscriber_id)
            .filter(newsletter_subscribers::blocklisted_at.is_null()),
    )
    .set((
        newsletter_subscribers::blocklisted_at.eq(diesel::dsl::now),
        newsletter_subscribers::blocklist_reason.eq(reason),
        newsletter_subscribers::updated_at.eq(diesel::dsl::now),
    ))
    .execute(conn)
    .await?
        > 0;
    diesel::sql_query(
        "UPDATE newsletter_subscriptions SET status = 'unsubscribed', updated_at = now() \
         WHERE subscriber_id = $1 AND status <> 'unsubscribed'",
    )
    .bind::<BigInt, _>(subscriber_id)
    .execute(conn)
    .await?;
    Ok(newly)
}

/// Bounces per kind (of one campaign, or of all).
#[derive(Debug, Default, Clone, serde::Serialize)]
pub struct Counts {
    pub hard: i64,
    pub soft: i64,
    pub complaint: i64,
}

impl Counts {
    fn from_rows(rows: Vec<(String, i64)>) -> Self {
        let mut counts = Counts::default();
        for (kind, n) in rows {
            match kind.as_str() {
                "hard" => counts.hard = n,
                "soft" => counts.soft = n,
                _ => counts.complaint += n,
            }
        }
        counts
    }
}

pub async fn counts_of_campaign(
    conn: &mut AsyncPgConnection,
    campaign_id: i64,
) -> QueryResult<Counts> {
    let rows = newsletter_bounces::table
        .filter(newsletter_bounces::campaign_id.eq(campaign_id))
        .group_by(newsletter_bounces::kind)
        .select((newsletter_bounces::kind, diesel::dsl::count_star()))
        .load(conn)
        .await?;
    Ok(Counts::from_rows(rows))
}

/// A subscriber with bounces, for the editors' list.
#[derive(Debug, QueryableByName, serde::Serialize)]
pub struct Bounced {
    #[diesel(sql_type = Text)]
    pub email: String,
    #[diesel(sql_type = BigInt)]
    pub hard: i64,
    #[diesel(sql_type = BigInt)]
    pub soft: i64,
    #[diesel(sql_type = BigInt)]
    pub complaint: i64,
    #[diesel(sql_type = Timestamptz)]
    pub last_at: DateTime<Utc>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    pub blocklisted_at: Option<DateTime<Utc>>,
    #[diesel(sql_type = Nullable<Text>)]
    pub blocklist_reason: Option<String>,
}

/// The subscribers with the latest bounces, with their counts per kind.
pub async fn bounced_subscribers(
    conn: &mut AsyncPgConnection,
    limit: i64,
) -> QueryResult<Vec<Bounced>> {
    diesel::sql_query(
        "SELECT s.email, \
           count(*) FILTER (WHERE b.kind = 'hard') AS hard, \
           count(*) FILTER (WHERE b.kind = 'soft') AS soft, \
           count(*) FILTER (WHERE b.kind = 'complaint') AS complaint, \
           max(b.bounced_at) AS last_at, s.blocklisted_at, s.blocklist_reason \
         FROM newsletter_bounces b JOIN newsletter_subscribers s ON s.id = b.subscriber_id \
         GROUP BY s.id ORDER BY max(b.received_at) DESC, s.id LIMIT $1",
    )
    .bind::<BigInt, _>(limit)
    .load(conn)
    .await
}
