//! The delivery queue (`ap_deliveries`): queued per inbox by the processor, claimed under a
//! lease by the delivery worker, then delivered, retried or given up (the dead letter).

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use serde_json::Value;
use shared::activitypub::store::Delivery;
use shared::db::prepared::Prepared;
use shared::db::schema::{ap_activities, ap_deliveries};

/// Queues `activity` for each inbox (once per inbox, whatever happens).
pub async fn queue_deliveries(
    conn: &mut AsyncPgConnection,
    activity: i64,
    inboxes: &[String],
) -> QueryResult<usize> {
    let rows: Vec<_> = inboxes
        .iter()
        .filter_map(|inbox| {
            let host = shared::activitypub::host_of(inbox)?;
            Some((
                ap_deliveries::activity_id.eq(activity),
                ap_deliveries::inbox.eq(inbox.clone()),
                ap_deliveries::host.eq(host),
            ))
        })
        .collect();
    if rows.is_empty() {
        return Ok(0);
    }
    diesel::insert_into(ap_deliveries::table)
        .values(rows)
        .on_conflict_do_nothing()
        .execute(conn)
        .await
}

/// Claims up to `limit` due deliveries under a lease (see [`claim_activities`]).
pub async fn claim_deliveries(
    conn: &mut AsyncPgConnection,
    limit: i64,
    lease_secs: i64,
) -> QueryResult<Vec<Delivery>> {
    Prepared(
        diesel::sql_query(
            "UPDATE ap_deliveries SET next_attempt_at = now() + make_interval(secs => $2), attempts = attempts + 1 \
             WHERE id IN (SELECT id FROM ap_deliveries WHERE status = 'pending' AND next_attempt_at <= now() \
                          ORDER BY next_attempt_at, id LIMIT $1 FOR UPDATE SKIP LOCKED) \
             RETURNING *",
        )
        .bind::<diesel::sql_types::BigInt, _>(limit)
        .bind::<diesel::sql_types::BigInt, _>(lease_secs),
    )
    .load(conn)
    .await
}

/// Gives claimed deliveries that were never attempted back to the queue, due now.
pub async fn release_deliveries(conn: &mut AsyncPgConnection, ids: &[i64]) -> QueryResult<usize> {
    diesel::update(
        ap_deliveries::table
            .filter(ap_deliveries::id.eq_any(ids))
            .filter(ap_deliveries::status.eq("pending")),
    )
    .set((
        ap_deliveries::next_attempt_at.eq(diesel::dsl::now),
        ap_deliveries::attempts.eq(ap_deliveries::attempts - 1),
    ))
    .execute(conn)
    .await
}

pub async fn delivered(conn: &mut AsyncPgConnection, id: i64, status: i32) -> QueryResult<()> {
    diesel::update(ap_deliveries::table.find(id))
        .set((
            ap_deliveries::status.eq("delivered"),
            ap_deliveries::last_status.eq(status),
            ap_deliveries::delivered_at.eq(diesel::dsl::now),
            ap_deliveries::last_error.eq(None::<String>),
        ))
        .execute(conn)
        .await
        .map(drop)
}

/// Schedules another attempt, or (`retry_at` none) gives up: the dead letter.
pub async fn undelivered(
    conn: &mut AsyncPgConnection,
    id: i64,
    status: Option<i32>,
    error: &str,
    retry_at: Option<DateTime<Utc>>,
) -> QueryResult<()> {
    let target = ap_deliveries::table.find(id);
    match retry_at {
        Some(at) => diesel::update(target)
            .set((
                ap_deliveries::next_attempt_at.eq(at),
                ap_deliveries::last_status.eq(status),
                ap_deliveries::last_error.eq(error),
            ))
            .execute(conn)
            .await
            .map(drop),
        None => diesel::update(target)
            .set((
                ap_deliveries::status.eq("dead"),
                ap_deliveries::last_status.eq(status),
                ap_deliveries::last_error.eq(error),
            ))
            .execute(conn)
            .await
            .map(drop),
    }
}

pub async fn activity_payload(
    conn: &mut AsyncPgConnection,
    id: i64,
) -> QueryResult<(String, Value)> {
    ap_activities::table
        .find(id)
        .select((ap_activities::actor, ap_activities::payload))
        .first(conn)
        .await
}
