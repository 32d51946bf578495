//! The ActivityPub row types every app may read, and the queries shared code runs: the key
//! store, the inbox (remote actors, blocks, storing activities), the outbox, the event bus, the
//! actor collections and `/metrics`. Federation's own queries and writes (the processor's and the
//! delivery worker's claims, follows, objects, reactions) live in `federation::db`.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::upsert::excluded;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use serde_json::Value;

use crate::db::prepared::Prepared;

use crate::db::schema::{
    ap_activities, ap_blocks, ap_deliveries, ap_event_cursors, ap_followers, ap_following, ap_keys,
    ap_objects, ap_remote_actors,
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

#[derive(Debug, Clone, Queryable, Selectable, QueryableByName)]
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

/// Whether the `Delete` a deleted member's actor sent of itself has been fanned out and every
/// delivery of it has been tried (delivered, given up, or failed once and waiting to retry).
/// Until then the actor keeps serving its document, whose key each receiver fetches while the
/// delivery is made to verify that `Delete`; from then on it is gone. (A receiver that was
/// down needs the key it cached, as with Mastodon's deleted accounts: waiting for the retries
/// would keep the actor up for days when a follower's server is dead.)
pub async fn self_delete_settled(conn: &mut AsyncPgConnection, actor: &str) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        ap_activities::table
            .filter(ap_activities::direction.eq("outbound"))
            .filter(ap_activities::kind.eq("Delete"))
            .filter(ap_activities::actor.eq(actor))
            .filter(ap_activities::object_id.eq(actor))
            .filter(ap_activities::status.ne("pending"))
            .filter(diesel::dsl::not(diesel::dsl::exists(
                ap_deliveries::table
                    .filter(ap_deliveries::activity_id.eq(ap_activities::id))
                    .filter(ap_deliveries::status.eq("pending"))
                    .filter(ap_deliveries::last_status.is_null())
                    .filter(ap_deliveries::last_error.is_null()),
            ))),
    ))
    .get_result(conn)
    .await
}

/// What the id of one of an app's published objects answers.
pub enum Published {
    /// The live object, and the slug of its page (where a browser is sent).
    Live(Box<serde_json::Value>, String),
    /// A Tombstone: the id was deleted.
    Gone(serde_json::Value),
    Missing,
}

/// The id a publication of one of our objects uses now, given the id of its first publication:
/// the first of `first`, `first/r1`, `first/r2` … that no outbound `Delete` has named. Peers
/// keep a deleted id's Tombstone for good, so an object published again needs a fresh id.
pub async fn current_object_id(conn: &mut AsyncPgConnection, first: &str) -> QueryResult<String> {
    let mut candidate = first.to_owned();
    let mut n = 0u32;
    while was_deleted(conn, &candidate).await? {
        n += 1;
        candidate = format!("{first}/r{n}");
    }
    Ok(candidate)
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
    Prepared(
        diesel::sql_query(
            "SELECT * FROM ap_activities \
             WHERE direction IN ('local', 'outbound') AND (txid, id) > ($1, $2) \
               AND txid < pg_snapshot_xmin(pg_current_snapshot())::text::bigint \
               AND kind = ANY($3) \
             ORDER BY txid, id LIMIT $4",
        )
        .bind::<diesel::sql_types::BigInt, _>(after.0)
        .bind::<diesel::sql_types::BigInt, _>(after.1)
        .bind::<diesel::sql_types::Array<diesel::sql_types::Text>, _>(kinds)
        .bind::<diesel::sql_types::BigInt, _>(limit),
    )
    .load(conn)
    .await
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
    let lock: Locked = Prepared(
        diesel::sql_query("SELECT pg_try_advisory_xact_lock(hashtextextended($1, 7)) AS locked")
            .bind::<diesel::sql_types::Text, _>(consumer),
    )
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

impl QueueStats {
    /// The queue gauges in Prometheus' text format.
    pub fn render(&self) -> String {
        let mut out = String::new();
        for (name, help, value) in [
            (
                "activitypub_deliveries_pending",
                "Deliveries waiting to go out (due or backing off).",
                self.deliveries_pending as f64,
            ),
            (
                "activitypub_deliveries_dead",
                "Deliveries given up on after the last retry (the dead letter).",
                self.deliveries_dead as f64,
            ),
            (
                "activitypub_delivery_oldest_due_seconds",
                "How long the oldest due delivery has waited.",
                self.oldest_due_seconds,
            ),
            (
                "activitypub_activities_pending",
                "Activities not yet processed.",
                self.activities_pending as f64,
            ),
        ] {
            out.push_str(&format!(
                "# HELP {name} {help}\n# TYPE {name} gauge\n{name} {value}\n"
            ));
        }
        out
    }
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

// ---------------------------------------------------------------- blocks

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
