//! The `background_jobs` table: inserts, lease claims, outcomes, the dead letter, the gauges.

use chrono::{DateTime, Utc};
use diesel::QueryableByName;
use diesel::sql_types::{Array, BigInt, Double, Int2, Int4, Jsonb, Nullable, Text, Timestamptz};
use diesel_async::{AsyncPgConnection, RunQueryDsl};

use super::OnDuplicate;
use crate::db::prepared::Prepared;

pub(super) struct NewJob<'a> {
    pub job_type: &'a str,
    pub payload: serde_json::Value,
    pub priority: i16,
    pub run_at: Option<DateTime<Utc>>,
    pub max_attempts: i32,
    pub dedupe: Option<(String, OnDuplicate)>,
}

#[derive(QueryableByName)]
struct Id {
    #[diesel(sql_type = BigInt)]
    id: i64,
}

/// Inserts a job and notifies the runners (on commit, when inside a transaction). `None` when a
/// pending duplicate was kept.
pub(super) async fn insert(
    conn: &mut AsyncPgConnection,
    job: &NewJob<'_>,
) -> diesel::QueryResult<Option<i64>> {
    let on_conflict = match job.dedupe.as_ref().map(|(_, on)| *on) {
        None | Some(OnDuplicate::Keep) => "DO NOTHING",
        Some(OnDuplicate::Replace) => {
            "DO UPDATE SET payload = EXCLUDED.payload, priority = EXCLUDED.priority, \
             run_at = EXCLUDED.run_at, updated_at = now()"
        }
    };
    // One round trip: the insert and the NOTIFY (only when a row was written), naming the
    // job's type so that only the runners of that type wake.
    let sql = format!(
        "WITH written AS ( \
           INSERT INTO background_jobs (job_type, payload, priority, run_at, max_attempts, dedupe_key) \
           VALUES ($1, $2, $3, COALESCE($4, now()), $5, $6) \
           ON CONFLICT (job_type, dedupe_key) WHERE status = 'pending' AND dedupe_key IS NOT NULL \
           {on_conflict} RETURNING id) \
         SELECT id FROM written, LATERAL (SELECT pg_notify('{channel}', $1)) AS woken",
        channel = super::CHANNEL
    );
    let rows: Vec<Id> = Prepared(
        diesel::sql_query(sql)
            .bind::<Text, _>(job.job_type)
            .bind::<Jsonb, _>(&job.payload)
            .bind::<Int2, _>(job.priority)
            .bind::<Nullable<Timestamptz>, _>(job.run_at)
            .bind::<Int4, _>(job.max_attempts)
            .bind::<Nullable<Text>, _>(job.dedupe.as_ref().map(|(key, _)| key.as_str())),
    )
    .load(conn)
    .await?;
    Ok(rows.into_iter().next().map(|r| r.id))
}

/// Deletes the pending job of this type and dedupe key, if any; whether there was one.
pub(super) async fn delete_pending(
    conn: &mut AsyncPgConnection,
    job_type: &str,
    key: &str,
) -> diesel::QueryResult<bool> {
    let n = diesel::sql_query(
        "DELETE FROM background_jobs \
         WHERE job_type = $1 AND dedupe_key = $2 AND status = 'pending'",
    )
    .bind::<Text, _>(job_type)
    .bind::<Text, _>(key)
    .execute(conn)
    .await?;
    Ok(n > 0)
}

#[derive(QueryableByName)]
struct Written {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

/// Inserts many jobs of one type to run now, in one statement and one NOTIFY (no dedupe keys).
pub(super) async fn insert_many(
    conn: &mut AsyncPgConnection,
    job_type: &str,
    payloads: &[serde_json::Value],
    priority: i16,
    max_attempts: i32,
) -> diesel::QueryResult<i64> {
    let sql = format!(
        "WITH written AS ( \
           INSERT INTO background_jobs (job_type, payload, priority, run_at, max_attempts) \
           SELECT $1, p, $3, now(), $4 FROM unnest($2::jsonb[]) AS p RETURNING 1), \
         counted AS (SELECT count(*) AS n FROM written) \
         SELECT n FROM counted, LATERAL (SELECT pg_notify('{channel}', $1)) AS woken",
        channel = super::CHANNEL
    );
    let written: Written = Prepared(
        diesel::sql_query(sql)
            .bind::<Text, _>(job_type)
            .bind::<Array<Jsonb>, _>(payloads)
            .bind::<Int2, _>(priority)
            .bind::<Int4, _>(max_attempts),
    )
    .get_result(conn)
    .await?;
    Ok(written.n)
}

/// A job a runner holds the lease of.
#[derive(Debug, Clone, QueryableByName)]
pub struct Claimed {
    #[diesel(sql_type = BigInt)]
    pub id: i64,
    #[diesel(sql_type = Text)]
    pub job_type: String,
    #[diesel(sql_type = Jsonb)]
    pub payload: serde_json::Value,
    /// Including this one.
    #[diesel(sql_type = Int4)]
    pub attempts: i32,
    #[diesel(sql_type = Int4)]
    pub max_attempts: i32,
}

/// Leases up to `limit` due jobs of `types` to `worker` for `lease_secs`: pending ones whose
/// time has come, and running ones whose worker's lease ran out (it died), highest priority
/// first. Each claim is a try.
///
/// The two kinds are locked apart so that each walks its own partial index and stops after
/// `limit` rows (one `OR` of both was a sort of the whole queue per claim: 50 ms at 60,000
/// queued jobs), and the rows are updated through the primary key.
pub(super) async fn claim(
    conn: &mut AsyncPgConnection,
    types: &[String],
    worker: &str,
    limit: i64,
    lease_secs: f64,
) -> diesel::QueryResult<Vec<Claimed>> {
    Prepared(
        diesel::sql_query(
            "WITH due AS ( \
               SELECT id, priority, run_at FROM background_jobs \
               WHERE status = 'pending' AND run_at <= now() AND job_type = ANY($1) \
               ORDER BY priority DESC, run_at, id LIMIT $3 FOR UPDATE SKIP LOCKED), \
             expired AS ( \
               SELECT id, priority, run_at FROM background_jobs \
               WHERE status = 'running' AND locked_until < now() AND job_type = ANY($1) \
               ORDER BY priority DESC, run_at, id LIMIT $3 FOR UPDATE SKIP LOCKED) \
             UPDATE background_jobs SET status = 'running', attempts = attempts + 1, \
               locked_by = $2, locked_until = now() + make_interval(secs => $4), \
               updated_at = now() \
             WHERE id = ANY(ARRAY( \
               SELECT id FROM (SELECT * FROM due UNION ALL SELECT * FROM expired) AS claimable \
               ORDER BY priority DESC, run_at, id LIMIT $3)) \
             RETURNING id, job_type, payload, attempts, max_attempts",
        )
        .bind::<Array<Text>, _>(types)
        .bind::<Text, _>(worker)
        .bind::<BigInt, _>(limit)
        .bind::<Double, _>(lease_secs),
    )
    .load(conn)
    .await
}

/// Deletes the jobs that succeeded (those `worker` still holds).
pub(super) async fn succeeded(
    conn: &mut AsyncPgConnection,
    worker: &str,
    ids: &[i64],
) -> diesel::QueryResult<usize> {
    Prepared(diesel::sql_query(
        "DELETE FROM background_jobs WHERE id = ANY($1) AND status = 'running' AND locked_by = $2",
    )
    .bind::<Array<BigInt>, _>(ids)
    .bind::<Text, _>(worker))
    .execute(conn)
    .await
}

/// Puts jobs `worker` holds back to pending at `retry_at` (`None`: dead, kept with `error`).
/// `refund` gives the try back (a job handed back unstarted). A job whose dedupe key has a
/// pending job meanwhile is deleted instead: that one will do the work.
pub(super) async fn unclaim(
    conn: &mut AsyncPgConnection,
    worker: &str,
    ids: &[i64],
    retry_at: Option<DateTime<Utc>>,
    error: Option<&str>,
    refund: bool,
) -> diesel::QueryResult<()> {
    use diesel_async::AsyncConnection;
    let ids = ids.to_vec();
    let worker = worker.to_owned();
    let error = error.map(str::to_owned);
    conn.transaction(async move |conn| {
        Prepared(
            diesel::sql_query(
                "DELETE FROM background_jobs j WHERE j.id = ANY($1) AND j.status = 'running' \
               AND j.locked_by = $2 AND $3 IS NOT NULL AND j.dedupe_key IS NOT NULL \
               AND EXISTS (SELECT 1 FROM background_jobs p WHERE p.status = 'pending' \
                           AND p.job_type = j.job_type AND p.dedupe_key = j.dedupe_key)",
            )
            .bind::<Array<BigInt>, _>(&ids)
            .bind::<Text, _>(&worker)
            .bind::<Nullable<Timestamptz>, _>(retry_at),
        )
        .execute(conn)
        .await?;
        Prepared(
            diesel::sql_query(
                "UPDATE background_jobs SET \
               status = CASE WHEN $3::timestamptz IS NULL THEN 'dead' ELSE 'pending' END, \
               run_at = COALESCE($3, run_at), \
               attempts = CASE WHEN $5 THEN greatest(attempts - 1, 0) ELSE attempts END, \
               last_error = COALESCE($4, last_error), \
               locked_by = NULL, locked_until = NULL, updated_at = now() \
             WHERE id = ANY($1) AND status = 'running' AND locked_by = $2",
            )
            .bind::<Array<BigInt>, _>(&ids)
            .bind::<Text, _>(&worker)
            .bind::<Nullable<Timestamptz>, _>(retry_at)
            .bind::<Nullable<Text>, _>(error.as_deref())
            .bind::<diesel::sql_types::Bool, _>(refund),
        )
        .execute(conn)
        .await?;
        Ok(())
    })
    .await
}

#[derive(QueryableByName)]
struct NextDue {
    #[diesel(sql_type = Nullable<Double>)]
    secs: Option<f64>,
}

/// Seconds until the next pending job of `types` is due (0 if one is), `None` if none waits.
pub async fn next_due_in(
    conn: &mut AsyncPgConnection,
    types: &[String],
) -> diesel::QueryResult<Option<f64>> {
    // Not `greatest(…, 0)` in SQL: GREATEST skips NULLs, so an empty queue would read as "due
    // now" and every idle runner would claim in a loop (it did, ~200 times a second each).
    let row: NextDue = Prepared(
        diesel::sql_query(
            "SELECT extract(epoch FROM min(run_at) - now())::float8 AS secs \
         FROM background_jobs WHERE status = 'pending' AND job_type = ANY($1)",
        )
        .bind::<Array<Text>, _>(types),
    )
    .get_result(conn)
    .await?;
    Ok(row.secs.map(|secs| secs.max(0.0)))
}

/// The queue of some job types at a glance, for `/metrics`.
#[derive(Debug, Clone, Copy, Default, QueryableByName)]
pub struct JobStats {
    /// Waiting, due or not.
    #[diesel(sql_type = BigInt)]
    pub pending: i64,
    #[diesel(sql_type = BigInt)]
    pub running: i64,
    /// Given up on after the last try.
    #[diesel(sql_type = BigInt)]
    pub dead: i64,
    /// How long the oldest due pending job has waited.
    #[diesel(sql_type = Double)]
    pub oldest_pending_seconds: f64,
}

pub async fn stats(
    conn: &mut AsyncPgConnection,
    types: &[String],
) -> diesel::QueryResult<JobStats> {
    Prepared(
        diesel::sql_query(
            "SELECT count(*) FILTER (WHERE status = 'pending') AS pending, \
                count(*) FILTER (WHERE status = 'running') AS running, \
                count(*) FILTER (WHERE status = 'dead') AS dead, \
                COALESCE(extract(epoch FROM now() - min(run_at) \
                  FILTER (WHERE status = 'pending' AND run_at <= now())), 0)::float8 \
                  AS oldest_pending_seconds \
         FROM background_jobs WHERE job_type = ANY($1)",
        )
        .bind::<Array<Text>, _>(types),
    )
    .get_result(conn)
    .await
}

/// A job given up on, as the admin page lists it (without its payload, which may hold secrets
/// such as a mail's links).
#[derive(Debug, Clone, QueryableByName, serde::Serialize)]
pub struct DeadJob {
    #[diesel(sql_type = BigInt)]
    pub id: i64,
    #[diesel(sql_type = Text)]
    pub job_type: String,
    #[diesel(sql_type = Int4)]
    pub attempts: i32,
    #[diesel(sql_type = Nullable<Text>)]
    pub last_error: Option<String>,
    #[diesel(sql_type = Timestamptz)]
    pub created_at: DateTime<Utc>,
    #[diesel(sql_type = Timestamptz)]
    pub updated_at: DateTime<Utc>,
}

/// The newest dead jobs of the fleet, at most `limit`.
pub async fn dead(conn: &mut AsyncPgConnection, limit: i64) -> diesel::QueryResult<Vec<DeadJob>> {
    Prepared(
        diesel::sql_query(
            "SELECT id, job_type, attempts, last_error, created_at, updated_at \
         FROM background_jobs WHERE status = 'dead' ORDER BY updated_at DESC, id DESC LIMIT $1",
        )
        .bind::<BigInt, _>(limit),
    )
    .load(conn)
    .await
}

/// Gives dead job `id` a fresh set of tries, due now; false if there is no such dead job. If
/// its dedupe key has a pending job meanwhile, the dead one goes (that one does the work).
pub async fn retry_dead(conn: &mut AsyncPgConnection, id: i64) -> diesel::QueryResult<bool> {
    use diesel_async::AsyncConnection;
    conn.transaction(async move |conn| {
        let superseded = Prepared(
            diesel::sql_query(
                "DELETE FROM background_jobs j WHERE j.id = $1 AND j.status = 'dead' \
               AND j.dedupe_key IS NOT NULL \
               AND EXISTS (SELECT 1 FROM background_jobs p WHERE p.status = 'pending' \
                           AND p.job_type = j.job_type AND p.dedupe_key = j.dedupe_key)",
            )
            .bind::<BigInt, _>(id),
        )
        .execute(conn)
        .await?;
        let revived = Prepared(
            diesel::sql_query(
                "WITH revived AS ( \
               UPDATE background_jobs SET status = 'pending', attempts = 0, run_at = now(), \
                 updated_at = now() \
               WHERE id = $1 AND status = 'dead' RETURNING id) \
             SELECT id FROM revived, LATERAL (SELECT pg_notify('background_jobs', '')) AS woken",
            )
            .bind::<BigInt, _>(id),
        )
        .load::<Id>(conn)
        .await?;
        Ok(superseded > 0 || !revived.is_empty())
    })
    .await
}

/// Every job in the queue, for tests: (type, status, attempts).
#[derive(Debug, Clone, QueryableByName)]
pub struct JobRow {
    #[diesel(sql_type = BigInt)]
    pub id: i64,
    #[diesel(sql_type = Text)]
    pub job_type: String,
    #[diesel(sql_type = Text)]
    pub status: String,
    #[diesel(sql_type = Int4)]
    pub attempts: i32,
    #[diesel(sql_type = Timestamptz)]
    pub run_at: DateTime<Utc>,
    #[diesel(sql_type = Nullable<Text>)]
    pub last_error: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub dedupe_key: Option<String>,
    #[diesel(sql_type = Text)]
    pub payload: String,
}

pub async fn all(conn: &mut AsyncPgConnection) -> diesel::QueryResult<Vec<JobRow>> {
    Prepared(diesel::sql_query(
        "SELECT id, job_type, status, attempts, run_at, last_error, dedupe_key, payload::text AS payload \
         FROM background_jobs ORDER BY id",
    ))
    .load(conn)
    .await
}

/// Gives up every lease `worker` holds: its jobs come back due now, the try counted.
pub(super) async fn release_worker(
    conn: &mut AsyncPgConnection,
    worker: &str,
) -> diesel::QueryResult<()> {
    let held: Vec<Id> = Prepared(
        diesel::sql_query(
            "SELECT id FROM background_jobs WHERE status = 'running' AND locked_by = $1",
        )
        .bind::<Text, _>(worker),
    )
    .load(conn)
    .await?;
    let ids: Vec<i64> = held.into_iter().map(|r| r.id).collect();
    unclaim(conn, worker, &ids, Some(Utc::now()), None, false).await
}
