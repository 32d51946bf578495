//! The EventProcessor's claims on `ap_activities`: leased batches, done or failed with a retry.

use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use shared::activitypub::store::Activity;
use shared::db::prepared::Prepared;
use shared::db::schema::ap_activities;

/// Claims up to `limit` pending activities for `lease` (a crashed worker's claim lapses and
/// they are processed again: at least once). Safe with several processors.
pub async fn claim_activities(
    conn: &mut AsyncPgConnection,
    limit: i64,
    lease_secs: i64,
) -> QueryResult<Vec<Activity>> {
    Prepared(
        diesel::sql_query(
            "UPDATE ap_activities SET available_at = now() + make_interval(secs => $2), attempts = attempts + 1 \
             WHERE id IN (SELECT id FROM ap_activities WHERE status = 'pending' AND available_at <= now() \
                          ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED) \
             RETURNING *",
        )
        .bind::<diesel::sql_types::BigInt, _>(limit)
        .bind::<diesel::sql_types::BigInt, _>(lease_secs),
    )
    .load(conn)
    .await
}

pub async fn finish_activity(conn: &mut AsyncPgConnection, id: i64) -> QueryResult<()> {
    diesel::update(ap_activities::table.find(id))
        .set((
            ap_activities::status.eq("done"),
            ap_activities::processed_at.eq(diesel::dsl::now),
            ap_activities::last_error.eq(None::<String>),
        ))
        .execute(conn)
        .await
        .map(drop)
}

/// Records a failure: retried later, or given up after `max_attempts`.
pub async fn fail_activity(
    conn: &mut AsyncPgConnection,
    id: i64,
    error: &str,
    retry_in_secs: i64,
    max_attempts: i32,
) -> QueryResult<()> {
    Prepared(
        diesel::sql_query(
            "UPDATE ap_activities SET last_error = $2, \
                status = CASE WHEN attempts >= $4 THEN 'failed' ELSE 'pending' END, \
                available_at = now() + make_interval(secs => $3) WHERE id = $1",
        )
        .bind::<diesel::sql_types::BigInt, _>(id)
        .bind::<diesel::sql_types::Text, _>(error)
        .bind::<diesel::sql_types::BigInt, _>(retry_in_secs)
        .bind::<diesel::sql_types::Integer, _>(max_attempts),
    )
    .execute(conn)
    .await
    .map(drop)
}
