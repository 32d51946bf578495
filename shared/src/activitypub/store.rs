//! The ActivityPub tables: activities, deliveries, follows, remote actors and objects, blocks.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::upsert::excluded;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use serde_json::Value;

use crate::db::schema::{
    ap_activities, ap_blocks, ap_deliveries, ap_event_cursors, ap_followers, ap_following, ap_keys,
    ap_objects, ap_reactions, ap_remote_actors,
};

// ---------------------------------------------------------------- keys

pub async fn key(
    conn: &mut AsyncPgConnection,
    actor: &str,
) -> QueryResult<Option<(String, String)>> {
    ap_keys::table
        .find(actor)
        .select((ap_keys::private_pem, ap_keys::public_pem))
        .first(conn)
        .await
        .optional()
}

/// Stores a key unless one exists; returns the key that is stored.
pub async fn insert_key(
    conn: &mut AsyncPgConnection,
    actor: &str,
    private_pem: &str,
    public_pem: &str,
) -> QueryResult<(String, String)> {
    diesel::insert_into(ap_keys::table)
        .values((
            ap_keys::actor.eq(actor),
            ap_keys::private_pem.eq(private_pem),
            ap_keys::public_pem.eq(public_pem),
        ))
        .on_conflict_do_nothing()
        .execute(conn)
        .await?;
    key(conn, actor)
        .await?
        .ok_or(diesel::result::Error::NotFound)
}

// ---------------------------------------------------------------- activities

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = ap_activities)]
pub struct Activity {
    pub id: i64,
    pub activity_id: String,
    pub kind: String,
    pub actor: String,
    pub object_id: Option<String>,
    pub direction: String,
    pub payload: Value,
    pub status: String,
    pub attempts: i32,
    pub last_error: Option<String>,
    pub available_at: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
    pub processed_at: Option<DateTime<Utc>>,
    /// The inserting transaction's id (orders the event bus).
    pub txid: i64,
}

/// Stores an activity unless one with its id exists; returns its row id when new.
pub async fn insert_activity(
    conn: &mut AsyncPgConnection,
    activity_id: &str,
    kind: &str,
    actor: &str,
    object_id: Option<&str>,
    direction: &str,
    payload: &Value,
) -> QueryResult<Option<i64>> {
    diesel::insert_into(ap_activities::table)
        .values((
            ap_activities::activity_id.eq(activity_id),
            ap_activities::kind.eq(kind),
            ap_activities::actor.eq(actor),
            ap_activities::object_id.eq(object_id),
            ap_activities::direction.eq(direction),
            ap_activities::payload.eq(payload),
        ))
        .on_conflict(ap_activities::activity_id)
        .do_nothing()
        .returning(ap_activities::id)
        .get_result(conn)
        .await
        .optional()
}

/// Claims up to `limit` pending activities for `lease` (a crashed worker's claim lapses and
/// they are processed again: at least once). Safe with several processors.
pub async fn claim_activities(
    conn: &mut AsyncPgConnection,
    limit: i64,
    lease_secs: i64,
) -> QueryResult<Vec<Activity>> {
    diesel::sql_query(
        "UPDATE ap_activities SET available_at = now() + make_interval(secs => $2), attempts = attempts + 1 \
         WHERE id IN (SELECT id FROM ap_activities WHERE status = 'pending' AND available_at <= now() \
                      ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED) \
         RETURNING *",
    )
    .bind::<diesel::sql_types::BigInt, _>(limit)
    .bind::<diesel::sql_types::BigInt, _>(lease_secs)
    .load::<ActivityRow>(conn)
    .await
    .map(|rows| rows.into_iter().map(Activity::from).collect())
}

#[derive(QueryableByName)]
#[diesel(table_name = ap_activities)]
struct ActivityRow {
    id: i64,
    activity_id: String,
    kind: String,
    actor: String,
    object_id: Option<String>,
    direction: String,
    payload: Value,
    status: String,
    attempts: i32,
    last_error: Option<String>,
    available_at: DateTime<Utc>,
    created_at: DateTime<Utc>,
    processed_at: Option<DateTime<Utc>>,
    txid: i64,
}

impl From<ActivityRow> for Activity {
    fn from(r: ActivityRow) -> Self {
        Activity {
            id: r.id,
            activity_id: r.activity_id,
            kind: r.kind,
            actor: r.actor,
            object_id: r.object_id,
            direction: r.direction,
            payload: r.payload,
            status: r.status,
            attempts: r.attempts,
            last_error: r.last_error,
            available_at: r.available_at,
            created_at: r.created_at,
            processed_at: r.processed_at,
            txid: r.txid,
        }
    }
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
    diesel::sql_query(
        "UPDATE ap_activities SET last_error = $2, \
            status = CASE WHEN attempts >= $4 THEN 'failed' ELSE 'pending' END, \
            available_at = now() + make_interval(secs => $3) WHERE id = $1",
    )
    .bind::<diesel::sql_types::BigInt, _>(id)
    .bind::<diesel::sql_types::Text, _>(error)
    .bind::<diesel::sql_types::BigInt, _>(retry_in_secs)
    .bind::<diesel::sql_types::Integer, _>(max_attempts)
    .execute(conn)
    .await
    .map(drop)
}

pub async fn activity_by_id(
    conn: &mut AsyncPgConnection,
    activity_id: &str,
) -> QueryResult<Option<Activity>> {
    ap_activities::table
        .filter(ap_activities::activity_id.eq(activity_id))
        .select(Activity::as_select())
        .first(conn)
        .await
        .optional()
}

/// Whether we have sent a Delete for this object of ours (it then answers 410).
pub async fn was_deleted(conn: &mut AsyncPgConnection, object_id: &str) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        ap_activities::table
            .filter(ap_activities::direction.eq("outbound"))
            .filter(ap_activities::object_id.eq(object_id))
            .filter(ap_activities::kind.eq("Delete")),
    ))
    .get_result(conn)
    .await
}

/// A page of an actor's public outbound activities, newest first.
pub async fn outbox_page(
    conn: &mut AsyncPgConnection,
    actor: &str,
    limit: i64,
    offset: i64,
) -> QueryResult<Vec<Value>> {
    ap_activities::table
        .filter(ap_activities::actor.eq(actor))
        .filter(ap_activities::direction.eq("outbound"))
        .filter(ap_activities::kind.eq_any(["Create", "Announce", "Update", "Delete"]))
        .order(ap_activities::id.desc())
        .limit(limit)
        .offset(offset)
        .select(ap_activities::payload)
        .load(conn)
        .await
}

pub async fn outbox_count(conn: &mut AsyncPgConnection, actor: &str) -> QueryResult<i64> {
    ap_activities::table
        .filter(ap_activities::actor.eq(actor))
        .filter(ap_activities::direction.eq("outbound"))
        .filter(ap_activities::kind.eq_any(["Create", "Announce", "Update", "Delete"]))
        .count()
        .get_result(conn)
        .await
}

/// A consumer's place in the event bus: the last (txid, id) it has handled.
pub type Position = (i64, i64);

/// Bus events after `after` of the given kinds, in commit-safe order: only rows of transactions
/// older than every transaction still running, so no row can later appear behind the cursor.
pub async fn bus_events(
    conn: &mut AsyncPgConnection,
    after: Position,
    kinds: &[&str],
    limit: i64,
) -> QueryResult<Vec<Activity>> {
    diesel::sql_query(
        "SELECT * FROM ap_activities \
         WHERE direction IN ('local', 'outbound') AND (txid, id) > ($1, $2) \
           AND txid < pg_snapshot_xmin(pg_current_snapshot())::text::bigint AND kind = ANY($3) \
         ORDER BY txid, id LIMIT $4",
    )
    .bind::<diesel::sql_types::BigInt, _>(after.0)
    .bind::<diesel::sql_types::BigInt, _>(after.1)
    .bind::<diesel::sql_types::Array<diesel::sql_types::Text>, _>(kinds)
    .bind::<diesel::sql_types::BigInt, _>(limit)
    .load::<ActivityRow>(conn)
    .await
    .map(|rows| rows.into_iter().map(Activity::from).collect())
}

/// Takes `consumer`'s cursor for this transaction (`None`: another replica holds it). An
/// advisory lock rather than a row lock, so that holding it assigns no transaction id (which
/// would hold back every reader's xmin).
pub async fn lock_cursor(
    conn: &mut AsyncPgConnection,
    consumer: &str,
) -> QueryResult<Option<Position>> {
    #[derive(QueryableByName)]
    struct Locked {
        #[diesel(sql_type = diesel::sql_types::Bool)]
        locked: bool,
    }
    let lock: Locked =
        diesel::sql_query("SELECT pg_try_advisory_xact_lock(hashtextextended($1, 7)) AS locked")
            .bind::<diesel::sql_types::Text, _>(consumer)
            .get_result(conn)
            .await?;
    if !lock.locked {
        return Ok(None);
    }
    Ok(Some(
        ap_event_cursors::table
            .find(consumer)
            .select((ap_event_cursors::last_txid, ap_event_cursors::last_id))
            .first(conn)
            .await
            .optional()?
            .unwrap_or((0, 0)),
    ))
}

pub async fn set_cursor(
    conn: &mut AsyncPgConnection,
    consumer: &str,
    position: Position,
) -> QueryResult<()> {
    diesel::insert_into(ap_event_cursors::table)
        .values((
            ap_event_cursors::consumer.eq(consumer),
            ap_event_cursors::last_txid.eq(position.0),
            ap_event_cursors::last_id.eq(position.1),
        ))
        .on_conflict(ap_event_cursors::consumer)
        .do_update()
        .set((
            ap_event_cursors::last_txid.eq(excluded(ap_event_cursors::last_txid)),
            ap_event_cursors::last_id.eq(excluded(ap_event_cursors::last_id)),
            ap_event_cursors::updated_at.eq(diesel::dsl::now),
        ))
        .execute(conn)
        .await
        .map(drop)
}

// ---------------------------------------------------------------- deliveries

#[derive(Debug, Clone, Queryable, Selectable, QueryableByName)]
#[diesel(table_name = ap_deliveries)]
pub struct Delivery {
    pub id: i64,
    pub activity_id: i64,
    pub inbox: String,
    pub host: String,
    pub status: String,
    pub attempts: i32,
    pub next_attempt_at: DateTime<Utc>,
    pub last_status: Option<i32>,
    pub last_error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub delivered_at: Option<DateTime<Utc>>,
}

/// Queues `activity` for each inbox (once per inbox, whatever happens).
pub async fn queue_deliveries(
    conn: &mut AsyncPgConnection,
    activity: i64,
    inboxes: &[String],
) -> QueryResult<usize> {
    let rows: Vec<_> = inboxes
        .iter()
        .filter_map(|inbox| {
            let host = super::host_of(inbox)?;
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
    diesel::sql_query(
        "UPDATE ap_deliveries SET next_attempt_at = now() + make_interval(secs => $2), attempts = attempts + 1 \
         WHERE id IN (SELECT id FROM ap_deliveries WHERE status = 'pending' AND next_attempt_at <= now() \
                      ORDER BY next_attempt_at, id LIMIT $1 FOR UPDATE SKIP LOCKED) \
         RETURNING *",
    )
    .bind::<diesel::sql_types::BigInt, _>(limit)
    .bind::<diesel::sql_types::BigInt, _>(lease_secs)
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

/// The queues at a glance, for `/metrics`.
#[derive(Debug, Clone, Copy, Default, QueryableByName)]
pub struct QueueStats {
    /// Deliveries waiting to go out (due or backing off).
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    pub deliveries_pending: i64,
    /// Deliveries given up on (the dead letter).
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    pub deliveries_dead: i64,
    /// Seconds the oldest due delivery has waited.
    #[diesel(sql_type = diesel::sql_types::Double)]
    pub oldest_due_seconds: f64,
    /// Activities not yet processed.
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    pub activities_pending: i64,
}

pub async fn queue_stats(conn: &mut AsyncPgConnection) -> QueryResult<QueueStats> {
    diesel::sql_query(
        "SELECT \
           (SELECT count(*) FROM ap_deliveries WHERE status = 'pending') AS deliveries_pending, \
           (SELECT count(*) FROM ap_deliveries WHERE status = 'dead') AS deliveries_dead, \
           COALESCE((SELECT extract(epoch FROM now() - min(next_attempt_at))::float8 \
                     FROM ap_deliveries WHERE status = 'pending' AND next_attempt_at <= now()), 0) \
             AS oldest_due_seconds, \
           (SELECT count(*) FROM ap_activities WHERE status = 'pending') AS activities_pending",
    )
    .get_result(conn)
    .await
}

// ---------------------------------------------------------------- follows

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = ap_followers)]
pub struct Follower {
    pub local_actor: String,
    pub follower: String,
    pub inbox: String,
    pub shared_inbox: Option<String>,
    pub follow_activity_id: String,
    pub state: String,
    pub created_at: DateTime<Utc>,
}

pub async fn add_follower(
    conn: &mut AsyncPgConnection,
    local_actor: &str,
    follower: &str,
    inbox: &str,
    shared_inbox: Option<&str>,
    follow_activity_id: &str,
    state: &str,
) -> QueryResult<()> {
    diesel::insert_into(ap_followers::table)
        .values((
            ap_followers::local_actor.eq(local_actor),
            ap_followers::follower.eq(follower),
            ap_followers::inbox.eq(inbox),
            ap_followers::shared_inbox.eq(shared_inbox),
            ap_followers::follow_activity_id.eq(follow_activity_id),
            ap_followers::state.eq(state),
        ))
        .on_conflict((ap_followers::local_actor, ap_followers::follower))
        .do_update()
        .set((
            ap_followers::inbox.eq(inbox),
            ap_followers::shared_inbox.eq(shared_inbox),
            ap_followers::follow_activity_id.eq(follow_activity_id),
            ap_followers::state.eq(state),
        ))
        .execute(conn)
        .await
        .map(drop)
}

pub async fn remove_follower(
    conn: &mut AsyncPgConnection,
    local_actor: &str,
    follower: &str,
) -> QueryResult<usize> {
    diesel::delete(ap_followers::table.find((local_actor, follower)))
        .execute(conn)
        .await
}

pub async fn remove_follower_everywhere(
    conn: &mut AsyncPgConnection,
    follower: &str,
) -> QueryResult<usize> {
    diesel::delete(ap_followers::table.filter(ap_followers::follower.eq(follower)))
        .execute(conn)
        .await
}

/// One inbox per server: the shared inbox where there is one.
pub async fn follower_inboxes(
    conn: &mut AsyncPgConnection,
    local_actor: &str,
) -> QueryResult<Vec<String>> {
    let rows: Vec<(String, Option<String>)> = ap_followers::table
        .filter(ap_followers::local_actor.eq(local_actor))
        .filter(ap_followers::state.eq("accepted"))
        .select((ap_followers::inbox, ap_followers::shared_inbox))
        .load(conn)
        .await?;
    let mut inboxes: Vec<String> = rows
        .into_iter()
        .map(|(inbox, shared)| shared.unwrap_or(inbox))
        .collect();
    inboxes.sort();
    inboxes.dedup();
    Ok(inboxes)
}

pub async fn followers_page(
    conn: &mut AsyncPgConnection,
    local_actor: &str,
    limit: i64,
    offset: i64,
) -> QueryResult<Vec<String>> {
    ap_followers::table
        .filter(ap_followers::local_actor.eq(local_actor))
        .filter(ap_followers::state.eq("accepted"))
        .order(ap_followers::created_at.desc())
        .limit(limit)
        .offset(offset)
        .select(ap_followers::follower)
        .load(conn)
        .await
}

pub async fn followers_count(conn: &mut AsyncPgConnection, local_actor: &str) -> QueryResult<i64> {
    ap_followers::table
        .filter(ap_followers::local_actor.eq(local_actor))
        .filter(ap_followers::state.eq("accepted"))
        .count()
        .get_result(conn)
        .await
}

pub async fn add_following(
    conn: &mut AsyncPgConnection,
    local_actor: &str,
    remote: &str,
    follow_activity_id: &str,
) -> QueryResult<()> {
    diesel::insert_into(ap_following::table)
        .values((
            ap_following::local_actor.eq(local_actor),
            ap_following::remote_actor.eq(remote),
            ap_following::follow_activity_id.eq(follow_activity_id),
        ))
        .on_conflict((ap_following::local_actor, ap_following::remote_actor))
        .do_update()
        .set(ap_following::follow_activity_id.eq(follow_activity_id))
        .execute(conn)
        .await
        .map(drop)
}

/// Marks a follow accepted by the followed actor (matched by the Follow's id).
pub async fn accept_following(
    conn: &mut AsyncPgConnection,
    follow_activity_id: &str,
    remote: &str,
) -> QueryResult<usize> {
    diesel::update(
        ap_following::table
            .filter(ap_following::follow_activity_id.eq(follow_activity_id))
            .filter(ap_following::remote_actor.eq(remote)),
    )
    .set(ap_following::state.eq("accepted"))
    .execute(conn)
    .await
}

pub async fn remove_following(
    conn: &mut AsyncPgConnection,
    follow_activity_id: &str,
    remote: &str,
) -> QueryResult<usize> {
    diesel::delete(
        ap_following::table
            .filter(ap_following::follow_activity_id.eq(follow_activity_id))
            .filter(ap_following::remote_actor.eq(remote)),
    )
    .execute(conn)
    .await
}

pub async fn following_page(
    conn: &mut AsyncPgConnection,
    local_actor: &str,
    limit: i64,
    offset: i64,
) -> QueryResult<Vec<String>> {
    ap_following::table
        .filter(ap_following::local_actor.eq(local_actor))
        .filter(ap_following::state.eq("accepted"))
        .order(ap_following::created_at.desc())
        .limit(limit)
        .offset(offset)
        .select(ap_following::remote_actor)
        .load(conn)
        .await
}

pub async fn following_count(conn: &mut AsyncPgConnection, local_actor: &str) -> QueryResult<i64> {
    ap_following::table
        .filter(ap_following::local_actor.eq(local_actor))
        .filter(ap_following::state.eq("accepted"))
        .count()
        .get_result(conn)
        .await
}

/// Whether `local_actor` follows `remote` (accepted).
pub async fn follows(
    conn: &mut AsyncPgConnection,
    local_actor: &str,
    remote: &str,
) -> QueryResult<bool> {
    ap_following::table
        .find((local_actor, remote))
        .filter(ap_following::state.eq("accepted"))
        .count()
        .get_result::<i64>(conn)
        .await
        .map(|n| n > 0)
}

// ---------------------------------------------------------------- remote actors

#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = ap_remote_actors)]
pub struct RemoteActor {
    pub id: String,
    pub kind: String,
    pub preferred_username: Option<String>,
    pub name: Option<String>,
    pub summary: Option<String>,
    pub url: Option<String>,
    pub icon: Option<String>,
    pub inbox: String,
    pub shared_inbox: Option<String>,
    pub key_id: String,
    pub public_key_pem: String,
    pub fetched_at: DateTime<Utc>,
    pub deleted_at: Option<DateTime<Utc>>,
}

pub async fn upsert_remote_actor(
    conn: &mut AsyncPgConnection,
    actor: &RemoteActor,
) -> QueryResult<()> {
    diesel::insert_into(ap_remote_actors::table)
        .values(actor)
        .on_conflict(ap_remote_actors::id)
        .do_update()
        .set(actor)
        .execute(conn)
        .await
        .map(drop)
}

pub async fn remote_actor(
    conn: &mut AsyncPgConnection,
    id: &str,
) -> QueryResult<Option<RemoteActor>> {
    ap_remote_actors::table
        .find(id)
        .select(RemoteActor::as_select())
        .first(conn)
        .await
        .optional()
}

pub async fn remote_actor_by_key(
    conn: &mut AsyncPgConnection,
    key_id: &str,
) -> QueryResult<Option<RemoteActor>> {
    ap_remote_actors::table
        .filter(ap_remote_actors::key_id.eq(key_id))
        .filter(ap_remote_actors::deleted_at.is_null())
        .select(RemoteActor::as_select())
        .first(conn)
        .await
        .optional()
}

pub async fn delete_remote_actor(conn: &mut AsyncPgConnection, id: &str) -> QueryResult<usize> {
    diesel::update(ap_remote_actors::table.find(id))
        .set(ap_remote_actors::deleted_at.eq(diesel::dsl::now))
        .execute(conn)
        .await
}

// ---------------------------------------------------------------- objects

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = ap_objects)]
pub struct Object {
    pub id: String,
    pub kind: String,
    pub attributed_to: String,
    pub local: bool,
    pub name: Option<String>,
    pub summary: Option<String>,
    pub content: String,
    pub url: Option<String>,
    pub in_reply_to: Option<String>,
    pub published: Option<DateTime<Utc>>,
    pub updated: Option<DateTime<Utc>>,
    pub likes: i32,
    pub announces: i32,
    pub payload: Value,
    pub deleted_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

pub async fn object(conn: &mut AsyncPgConnection, id: &str) -> QueryResult<Option<Object>> {
    ap_objects::table
        .find(id)
        .select(Object::as_select())
        .first(conn)
        .await
        .optional()
}

/// Stores a new object (an existing id is left alone: Create is idempotent).
pub async fn insert_object(conn: &mut AsyncPgConnection, object: &Object) -> QueryResult<bool> {
    diesel::insert_into(ap_objects::table)
        .values(object)
        .on_conflict_do_nothing()
        .execute(conn)
        .await
        .map(|n| n > 0)
}

/// Applies an edit if it is newer than what is stored (Update only counts with `updated`).
pub async fn update_object(
    conn: &mut AsyncPgConnection,
    id: &str,
    updated: DateTime<Utc>,
    name: Option<&str>,
    summary: Option<&str>,
    content: &str,
    payload: &Value,
) -> QueryResult<bool> {
    diesel::update(
        ap_objects::table
            .find(id)
            .filter(ap_objects::deleted_at.is_null())
            .filter(
                ap_objects::updated
                    .is_null()
                    .or(ap_objects::updated.lt(updated)),
            ),
    )
    .set((
        ap_objects::updated.eq(updated),
        ap_objects::name.eq(name),
        ap_objects::summary.eq(summary),
        ap_objects::content.eq(content),
        ap_objects::payload.eq(payload),
    ))
    .execute(conn)
    .await
    .map(|n| n > 0)
}

/// Leaves a Tombstone: the content goes, the id stays (and answers 410).
pub async fn tombstone(conn: &mut AsyncPgConnection, id: &str) -> QueryResult<bool> {
    diesel::update(
        ap_objects::table
            .find(id)
            .filter(ap_objects::deleted_at.is_null()),
    )
    .set((
        ap_objects::deleted_at.eq(diesel::dsl::now),
        ap_objects::content.eq(""),
        ap_objects::summary.eq(None::<String>),
        ap_objects::name.eq(None::<String>),
        ap_objects::payload.eq(serde_json::json!({ "id": id, "type": "Tombstone" })),
    ))
    .execute(conn)
    .await
    .map(|n| n > 0)
}

/// Moves an object's Like or Announce counter one up or (never below zero) one down.
async fn bump_reaction_count(
    conn: &mut AsyncPgConnection,
    object_id: &str,
    kind: &str,
    up: bool,
) -> QueryResult<usize> {
    let target = ap_objects::table.find(object_id);
    match (kind == "Like", up) {
        (true, true) => {
            diesel::update(target)
                .set(ap_objects::likes.eq(ap_objects::likes + 1))
                .execute(conn)
                .await
        }
        (true, false) => {
            diesel::update(target.filter(ap_objects::likes.gt(0)))
                .set(ap_objects::likes.eq(ap_objects::likes - 1))
                .execute(conn)
                .await
        }
        (false, true) => {
            diesel::update(target)
                .set(ap_objects::announces.eq(ap_objects::announces + 1))
                .execute(conn)
                .await
        }
        (false, false) => {
            diesel::update(target.filter(ap_objects::announces.gt(0)))
                .set(ap_objects::announces.eq(ap_objects::announces - 1))
                .execute(conn)
                .await
        }
    }
}

/// Records `actor`'s Like or Announce of `object_id` once; the object's counter moves only when
/// it is new. Returns whether it was new.
pub async fn add_reaction(
    conn: &mut AsyncPgConnection,
    actor: &str,
    object_id: &str,
    kind: &str,
    activity_id: &str,
) -> QueryResult<bool> {
    use diesel_async::AsyncConnection;
    conn.transaction(async |conn| {
        let added = diesel::insert_into(ap_reactions::table)
            .values((
                ap_reactions::actor.eq(actor),
                ap_reactions::object_id.eq(object_id),
                ap_reactions::kind.eq(kind),
                ap_reactions::activity_id.eq(activity_id),
            ))
            .on_conflict_do_nothing()
            .execute(conn)
            .await?
            > 0;
        if added {
            bump_reaction_count(conn, object_id, kind, true).await?;
        }
        Ok(added)
    })
    .await
}

/// Which reaction an Undo names: by what it was about, or by the Like/Announce's own id.
pub enum ReactionRef<'a> {
    Of { object_id: &'a str, kind: &'a str },
    Activity(&'a str),
}

/// Removes `actor`'s reaction (only theirs) and moves the counter back. Returns whether one went.
pub async fn remove_reaction(
    conn: &mut AsyncPgConnection,
    actor: &str,
    which: ReactionRef<'_>,
) -> QueryResult<bool> {
    use diesel_async::AsyncConnection;
    conn.transaction(async |conn| {
        let mine = ap_reactions::table.filter(ap_reactions::actor.eq(actor));
        let removed: Option<(String, String)> = match which {
            ReactionRef::Of { object_id, kind } => {
                diesel::delete(
                    mine.filter(ap_reactions::object_id.eq(object_id))
                        .filter(ap_reactions::kind.eq(kind)),
                )
                .returning((ap_reactions::object_id, ap_reactions::kind))
                .get_result(conn)
                .await
            }
            ReactionRef::Activity(id) => {
                diesel::delete(mine.filter(ap_reactions::activity_id.eq(id)))
                    .returning((ap_reactions::object_id, ap_reactions::kind))
                    .get_result(conn)
                    .await
            }
        }
        .optional()?;
        if let Some((object_id, kind)) = &removed {
            bump_reaction_count(conn, object_id, kind, false).await?;
        }
        Ok(removed.is_some())
    })
    .await
}

// ---------------------------------------------------------------- blocks

pub async fn block(conn: &mut AsyncPgConnection, kind: &str, value: &str) -> QueryResult<()> {
    diesel::insert_into(ap_blocks::table)
        .values((
            ap_blocks::kind.eq(kind),
            ap_blocks::value.eq(value.to_ascii_lowercase()),
        ))
        .on_conflict_do_nothing()
        .execute(conn)
        .await
        .map(drop)
}

/// Whether an actor, or its domain, is blocked.
pub async fn is_blocked(conn: &mut AsyncPgConnection, actor: &str) -> QueryResult<bool> {
    let domain = super::host_of(actor).unwrap_or_default();
    let host_only = domain.split(':').next().unwrap_or("").to_owned();
    ap_blocks::table
        .filter(
            (ap_blocks::kind
                .eq("actor")
                .and(ap_blocks::value.eq(actor.to_ascii_lowercase())))
            .or(ap_blocks::kind
                .eq("domain")
                .and(ap_blocks::value.eq_any([domain, host_only]))),
        )
        .count()
        .get_result::<i64>(conn)
        .await
        .map(|n| n > 0)
}
