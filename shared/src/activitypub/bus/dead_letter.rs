//! The event bus's dead letter (`ap_event_dead_letters`): one row per (consumer, event) whose
//! handler kept failing. An administrator re-queues a row (`retry`); the consumer runs it again
//! and deletes the row when it succeeds, or marks it dead again. Rows are written in the
//! consumer's own transaction, together with its cursor.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};

use crate::activitypub::store::Activity;
use crate::db::schema::{ap_activities, ap_event_dead_letters as dl};

pub const DEAD: &str = "dead";
pub const RETRY: &str = "retry";

/// One dead-lettered event, as the admin page lists it.
#[derive(Debug, Clone, Queryable, Selectable, serde::Serialize)]
#[diesel(table_name = dl)]
pub struct DeadLetter {
    pub id: i64,
    pub consumer: String,
    /// The event's row in `ap_activities`.
    pub activity: i64,
    pub kind: String,
    pub object_id: Option<String>,
    /// `dead`, or `retry` once an administrator re-queued it.
    pub status: String,
    /// Handler runs so far, over every retry.
    pub attempts: i32,
    pub last_error: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// Records that `consumer` failed `event` `attempts` more times (a repeat adds to the count).
pub async fn record(
    conn: &mut AsyncPgConnection,
    consumer: &str,
    event: &Activity,
    attempts: i32,
    error: &str,
) -> QueryResult<()> {
    diesel::insert_into(dl::table)
        .values((
            dl::consumer.eq(consumer),
            dl::activity.eq(event.id),
            dl::kind.eq(&event.kind),
            dl::object_id.eq(event.object_id.as_deref()),
            dl::attempts.eq(attempts),
            dl::last_error.eq(error),
        ))
        .on_conflict((dl::consumer, dl::activity))
        .do_update()
        .set((
            dl::status.eq(DEAD),
            dl::attempts.eq(dl::attempts + attempts),
            dl::last_error.eq(error),
            dl::updated_at.eq(diesel::dsl::now),
        ))
        .execute(conn)
        .await
        .map(drop)
}

/// Removes a letter whose event finally went through.
pub async fn resolve(conn: &mut AsyncPgConnection, id: i64) -> QueryResult<()> {
    diesel::delete(dl::table.find(id))
        .execute(conn)
        .await
        .map(drop)
}

/// `consumer`'s re-queued letters with their events, in bus order.
pub async fn queued(
    conn: &mut AsyncPgConnection,
    consumer: &str,
    limit: i64,
) -> QueryResult<Vec<(i64, Activity)>> {
    dl::table
        .inner_join(ap_activities::table)
        .filter(dl::consumer.eq(consumer).and(dl::status.eq(RETRY)))
        .order((ap_activities::txid, ap_activities::id))
        .limit(limit)
        .select((dl::id, Activity::as_select()))
        .load(conn)
        .await
}

/// Whether `consumer` has any letter at all.
pub async fn any(conn: &mut AsyncPgConnection, consumer: &str) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        dl::table.filter(dl::consumer.eq(consumer)).select(dl::id),
    ))
    .get_result(conn)
    .await
}

/// Whether an event about `object_id` that comes before `before` in bus order (any, when
/// `None`) is in `consumer`'s dead letter: later events about the object wait behind it.
pub async fn blocks(
    conn: &mut AsyncPgConnection,
    consumer: &str,
    object_id: &str,
    before: Option<(i64, i64)>,
) -> QueryResult<bool> {
    let mut query = dl::table
        .inner_join(ap_activities::table)
        .filter(dl::consumer.eq(consumer))
        .filter(dl::object_id.eq(object_id))
        .into_boxed();
    if let Some((txid, id)) = before {
        query = query.filter(
            ap_activities::txid
                .lt(txid)
                .or(ap_activities::txid.eq(txid).and(ap_activities::id.lt(id))),
        );
        // A re-queued letter ahead of this one runs first in the same pass.
        query = query.filter(dl::status.eq(DEAD));
    }
    diesel::select(diesel::dsl::exists(query.select(dl::id)))
        .get_result(conn)
        .await
}

/// Every letter, newest first (the admin page).
pub async fn list(conn: &mut AsyncPgConnection, limit: i64) -> QueryResult<Vec<DeadLetter>> {
    dl::table
        .order(dl::id.desc())
        .limit(limit)
        .select(DeadLetter::as_select())
        .load(conn)
        .await
}

/// Re-queues dead letter `id` and every other dead letter of its consumer about the same object
/// (those wait behind one another; the consumer runs them in bus order). Returns how many, 0
/// when `id` is no dead letter.
pub async fn requeue(conn: &mut AsyncPgConnection, id: i64) -> QueryResult<usize> {
    let Some((consumer, object_id)) = dl::table
        .find(id)
        .filter(dl::status.eq(DEAD))
        .select((dl::consumer, dl::object_id))
        .first::<(String, Option<String>)>(conn)
        .await
        .optional()?
    else {
        return Ok(0);
    };
    let same_object = dl::consumer
        .eq(consumer)
        .and(dl::object_id.eq(object_id))
        .and(dl::status.eq(DEAD));
    diesel::update(dl::table.filter(dl::id.eq(id).or(same_object)))
        .set((dl::status.eq(RETRY), dl::updated_at.eq(diesel::dsl::now)))
        .execute(conn)
        .await
}

/// Dead-lettered events per consumer (the `/metrics` gauge; re-queued ones not counted).
pub async fn counts(conn: &mut AsyncPgConnection) -> QueryResult<Vec<(String, i64)>> {
    dl::table
        .filter(dl::status.eq(DEAD))
        .group_by(dl::consumer)
        .select((dl::consumer, diesel::dsl::count_star()))
        .order(dl::consumer)
        .load(conn)
        .await
}

/// The gauge in the Prometheus text format.
pub fn render_metrics(counts: &[(String, i64)]) -> String {
    let mut out = String::from(
        "# HELP event_bus_dead_letters Events a consumer gave up on after its retries, awaiting an administrator.\n\
         # TYPE event_bus_dead_letters gauge\n",
    );
    for (consumer, n) in counts {
        // Consumer names are static identifiers in code, never input.
        out.push_str(&format!(
            "event_bus_dead_letters{{consumer=\"{consumer}\"}} {n}\n"
        ));
    }
    out
}
