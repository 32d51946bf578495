//! The job queue (`shared::jobs`) against real PostgreSQL: enqueued in the caller's
//! transaction, each job run once by any number of runners, retries with backoff, the dead
//! letter and its retry, scheduled jobs, dedupe keys, priorities, dead workers' expired leases,
//! and shutdown handing jobs back.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use diesel_async::{AsyncConnection, AsyncPgConnection};
use serde::{Deserialize, Serialize};
use shared::config::{DatabaseConfig, Secret};
use shared::db::DbPool;
use shared::jobs::{
    self, Enqueue, Job, JobError, JobRegistry, OnDuplicate, Runner, RunnerConfig, store,
};
use shared::testing::{self, TestDb};
use tokio::sync::watch;

/// What the test jobs record.
#[derive(Clone, Default)]
struct Ctx {
    /// Which runner this context belongs to.
    runner: &'static str,
    runs: Arc<Mutex<HashMap<u32, Vec<&'static str>>>>,
    tries: Arc<Mutex<Vec<Instant>>>,
    healed: Arc<Mutex<bool>>,
    /// The `Ordered` jobs, in the order they ran.
    order: Arc<Mutex<Vec<u32>>>,
}

impl Ctx {
    fn for_runner(&self, runner: &'static str) -> Ctx {
        Ctx {
            runner,
            ..self.clone()
        }
    }
    fn tries(&self) -> Vec<Instant> {
        self.tries.lock().unwrap().clone()
    }
}

#[derive(Serialize, Deserialize)]
struct Count {
    n: u32,
}

impl Job for Count {
    const JOB_TYPE: &'static str = "test.count";
    type Context = Ctx;
    async fn run(&self, ctx: &Ctx) -> Result<(), JobError> {
        ctx.runs
            .lock()
            .unwrap()
            .entry(self.n)
            .or_default()
            .push(ctx.runner);
        Ok(())
    }
}

/// Fails its first `failures` tries.
#[derive(Serialize, Deserialize)]
struct Flaky {
    failures: usize,
}

impl Job for Flaky {
    const JOB_TYPE: &'static str = "test.flaky";
    type Context = Ctx;
    async fn run(&self, ctx: &Ctx) -> Result<(), JobError> {
        let mut tries = ctx.tries.lock().unwrap();
        tries.push(Instant::now());
        if tries.len() <= self.failures {
            return Err(JobError::failed(format!("try {} failed", tries.len())));
        }
        Ok(())
    }
}

/// Fails until the context is healed; two tries.
#[derive(Serialize, Deserialize)]
struct Broken;

impl Job for Broken {
    const JOB_TYPE: &'static str = "test.broken";
    const MAX_ATTEMPTS: i32 = 2;
    type Context = Ctx;
    async fn run(&self, ctx: &Ctx) -> Result<(), JobError> {
        ctx.tries.lock().unwrap().push(Instant::now());
        if *ctx.healed.lock().unwrap() {
            Ok(())
        } else {
            Err(JobError::failed("the mail server said no"))
        }
    }
}

/// Takes a while.
#[derive(Serialize, Deserialize)]
struct Slow {
    n: u32,
    ms: u64,
}

impl Job for Slow {
    const JOB_TYPE: &'static str = "test.slow";
    type Context = Ctx;
    async fn run(&self, ctx: &Ctx) -> Result<(), JobError> {
        ctx.tries.lock().unwrap().push(Instant::now());
        tokio::time::sleep(Duration::from_millis(self.ms)).await;
        ctx.runs
            .lock()
            .unwrap()
            .entry(self.n)
            .or_default()
            .push(ctx.runner);
        Ok(())
    }
}

/// Records when it ran among the others.
#[derive(Serialize, Deserialize)]
struct Ordered {
    n: u32,
}

impl Job for Ordered {
    const JOB_TYPE: &'static str = "test.ordered";
    type Context = Ctx;
    async fn run(&self, ctx: &Ctx) -> Result<(), JobError> {
        ctx.order.lock().unwrap().push(self.n);
        Ok(())
    }
}

fn registry() -> JobRegistry<Ctx> {
    JobRegistry::new()
        .register::<Count>()
        .register::<Ordered>()
        .register::<Flaky>()
        .register::<Broken>()
        .register::<Slow>()
}

fn pool(db: &TestDb) -> DbPool {
    shared::db::pool(
        &DatabaseConfig {
            url: Secret::new(db.url.clone()),
            pool_size: 4,
        },
        "jobs-test",
    )
    .unwrap()
}

fn quick() -> RunnerConfig {
    RunnerConfig {
        poll: Duration::from_millis(500),
        backoff_base: Duration::from_millis(300),
        ..RunnerConfig::default()
    }
}

/// A runner working in the background until the returned sender says stop.
fn start(
    db: &TestDb,
    ctx: Ctx,
    config: RunnerConfig,
) -> (watch::Sender<bool>, actix_web::rt::task::JoinHandle<()>) {
    let (stop, stopped) = watch::channel(false);
    let runner = Runner::new(registry(), ctx, pool(db), db.url.clone(), config);
    (stop, actix_web::rt::spawn(runner.run(stopped)))
}

async fn stop(runner: (watch::Sender<bool>, actix_web::rt::task::JoinHandle<()>)) {
    runner.0.send_replace(true);
    tokio::time::timeout(Duration::from_secs(20), runner.1)
        .await
        .expect("the runner stops")
        .unwrap();
}

async fn rows(conn: &mut AsyncPgConnection) -> Vec<store::JobRow> {
    store::all(conn).await.unwrap()
}

async fn eventually<F, Fut>(secs: u64, what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = Instant::now() + Duration::from_secs(secs);
    while Instant::now() < deadline {
        if check().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("timed out waiting for {what}");
}

#[actix_web::test]
async fn a_job_enqueued_in_a_rolled_back_transaction_never_exists() {
    let db = TestDb::new().await;
    let mut conn = db.conn().await;
    let rolled_back = conn
        .transaction(async |conn| {
            jobs::enqueue(conn, &Count { n: 1 }).await.unwrap();
            Err::<(), _>(diesel::result::Error::RollbackTransaction)
        })
        .await;
    assert!(rolled_back.is_err());
    testing::assert_queue_empty(&db).await;

    conn.transaction(async |conn| {
        jobs::enqueue(conn, &Count { n: 2 }).await.unwrap();
        Ok::<_, diesel::result::Error>(())
    })
    .await
    .unwrap();
    let left = rows(&mut conn).await;
    assert_eq!(left.len(), 1);
    assert_eq!(left[0].job_type, "test.count");
    assert_eq!(left[0].payload, r#"{"n": 2}"#);

    let ctx = Ctx::default();
    let runner = start(&db, ctx.clone(), quick());
    testing::assert_queue_drains(&db, 10).await;
    stop(runner).await;
    assert_eq!(ctx.runs.lock().unwrap().get(&2).map(Vec::len), Some(1));
    assert_eq!(
        ctx.runs.lock().unwrap().len(),
        1,
        "the rolled back job never ran"
    );
}

#[actix_web::test]
async fn jobs_enqueued_many_at_once_follow_the_transaction_and_each_run_once() {
    let db = TestDb::new().await;
    let mut conn = db.conn().await;
    let batch: Vec<Count> = (0..50).map(|n| Count { n }).collect();
    let rolled_back = conn
        .transaction(async |conn| {
            jobs::enqueue_many(conn, &batch).await.unwrap();
            Err::<(), _>(diesel::result::Error::RollbackTransaction)
        })
        .await;
    assert!(rolled_back.is_err());
    testing::assert_queue_empty(&db).await;

    let queued = conn
        .transaction(async |conn| {
            Ok::<_, diesel::result::Error>(jobs::enqueue_many(conn, &batch).await.unwrap())
        })
        .await
        .unwrap();
    assert_eq!(queued, 50);
    let ctx = Ctx::default();
    let runner = start(&db, ctx.clone(), quick());
    testing::assert_queue_drains(&db, 10).await;
    stop(runner).await;
    let runs = ctx.runs.lock().unwrap().clone();
    assert_eq!(runs.len(), 50);
    assert!(runs.values().all(|r| r.len() == 1), "each ran once");
}

#[actix_web::test]
async fn two_runners_run_every_job_exactly_once() {
    let db = TestDb::new().await;
    let mut conn = db.conn().await;
    const JOBS: u32 = 600;
    let ctx = Ctx::default();
    let config = RunnerConfig {
        batch: 8,
        ..quick()
    };
    let a = start(&db, ctx.for_runner("a"), config.clone());
    let b = start(&db, ctx.for_runner("b"), config);
    // Enqueued while both run, in transactions of 50, so both wake and compete.
    for chunk in 0..JOBS / 50 {
        conn.transaction(async |conn| {
            for n in chunk * 50..(chunk + 1) * 50 {
                jobs::enqueue(conn, &Count { n }).await?;
            }
            Ok::<_, jobs::EnqueueError>(())
        })
        .await
        .unwrap();
    }
    testing::assert_queue_drains(&db, 30).await;
    stop(a).await;
    stop(b).await;
    let runs = ctx.runs.lock().unwrap().clone();
    assert_eq!(runs.len(), JOBS as usize, "every job ran");
    let twice: Vec<_> = runs.iter().filter(|(_, by)| by.len() != 1).collect();
    assert!(twice.is_empty(), "jobs run more than once: {twice:?}");
    let by_a = runs.values().filter(|by| by[0] == "a").count();
    eprintln!("runner a ran {by_a} of {JOBS}, runner b the rest");
}

#[actix_web::test]
async fn a_failing_job_is_retried_with_growing_backoff() {
    let db = TestDb::new().await;
    let mut conn = db.conn().await;
    let ctx = Ctx::default();
    let runner = start(&db, ctx.clone(), quick());
    jobs::enqueue(&mut conn, &Flaky { failures: 2 })
        .await
        .unwrap();
    // After the first failure: pending again, later, with the error kept.
    eventually(10, "the first try", || async { !ctx.tries().is_empty() }).await;
    eventually(5, "the failure recorded", || async {
        rows(&mut db.conn().await)
            .await
            .first()
            .is_some_and(|r| r.status == "pending" && r.attempts == 1)
    })
    .await;
    let row = rows(&mut conn).await.remove(0);
    assert_eq!(row.last_error.as_deref(), Some("try 1 failed"));
    assert!(row.run_at > chrono::Utc::now(), "the retry waits");
    testing::assert_queue_drains(&db, 15).await;
    stop(runner).await;
    let tries = ctx.tries();
    assert_eq!(tries.len(), 3, "two failures, then success");
    let first_wait = tries[1] - tries[0];
    let second_wait = tries[2] - tries[1];
    // base 300 ms, doubling, plus up to half again as jitter.
    assert!(first_wait >= Duration::from_millis(300), "{first_wait:?}");
    assert!(second_wait >= Duration::from_millis(600), "{second_wait:?}");
    assert!(
        second_wait < Duration::from_millis(600 * 3 / 2 + 1_500),
        "{second_wait:?}"
    );
}

#[actix_web::test]
async fn the_last_failure_is_dead_until_an_admin_retries_it() {
    let db = TestDb::new().await;
    let mut conn = db.conn().await;
    let ctx = Ctx::default();
    let runner = start(
        &db,
        ctx.clone(),
        RunnerConfig {
            backoff_base: Duration::from_millis(50),
            ..quick()
        },
    );
    let id = jobs::enqueue(&mut conn, &Broken).await.unwrap();
    eventually(10, "the job to die", || async {
        rows(&mut db.conn().await)
            .await
            .first()
            .is_some_and(|r| r.status == "dead")
    })
    .await;
    tokio::time::sleep(Duration::from_millis(700)).await;
    assert_eq!(ctx.tries().len(), 2, "MAX_ATTEMPTS tries, no more");
    let dead = store::dead(&mut conn, 10).await.unwrap();
    assert_eq!(dead.len(), 1);
    assert_eq!(dead[0].id, id);
    assert_eq!(dead[0].attempts, 2);
    assert_eq!(
        dead[0].last_error.as_deref(),
        Some("the mail server said no")
    );
    let stats = store::stats(&mut conn, &["test.broken".to_owned()])
        .await
        .unwrap();
    assert_eq!((stats.pending, stats.running, stats.dead), (0, 0, 1));

    *ctx.healed.lock().unwrap() = true;
    assert!(!store::retry_dead(&mut conn, id + 1000).await.unwrap());
    assert!(store::retry_dead(&mut conn, id).await.unwrap());
    testing::assert_queue_drains(&db, 10).await;
    stop(runner).await;
    assert_eq!(ctx.tries().len(), 3, "the retry ran it once more");
}

#[actix_web::test]
async fn an_idle_runner_sleeps_until_the_next_job_or_the_poll() {
    let db = TestDb::new().await;
    let mut conn = db.conn().await;
    let types = vec!["test.flaky".to_owned()];
    // Nothing waits: no deadline (an idle runner sleeps for the whole poll, it does not spin).
    assert_eq!(store::next_due_in(&mut conn, &types).await.unwrap(), None);
    let at = chrono::Utc::now() + chrono::Duration::seconds(60);
    jobs::enqueue_with(
        &mut conn,
        &Flaky { failures: 0 },
        Enqueue::default().run_at(at),
    )
    .await
    .unwrap();
    let secs = store::next_due_in(&mut conn, &types)
        .await
        .unwrap()
        .unwrap();
    assert!((55.0..=60.0).contains(&secs), "{secs}");
    let other = vec!["test.other".to_owned()];
    assert_eq!(store::next_due_in(&mut conn, &other).await.unwrap(), None);
    jobs::enqueue(&mut conn, &Flaky { failures: 0 })
        .await
        .unwrap();
    assert_eq!(
        store::next_due_in(&mut conn, &types).await.unwrap(),
        Some(0.0)
    );
}

#[actix_web::test]
async fn a_scheduled_job_does_not_run_early() {
    let db = TestDb::new().await;
    let mut conn = db.conn().await;
    let ctx = Ctx::default();
    let runner = start(&db, ctx.clone(), quick());
    let at = chrono::Utc::now() + chrono::Duration::milliseconds(1500);
    jobs::enqueue_with(
        &mut conn,
        &Flaky { failures: 0 },
        Enqueue::default().run_at(at),
    )
    .await
    .unwrap();
    tokio::time::sleep(Duration::from_millis(1000)).await;
    assert!(ctx.tries().is_empty(), "not before its time");
    testing::assert_queue_drains(&db, 5).await;
    assert!(chrono::Utc::now() >= at);
    stop(runner).await;
    assert_eq!(ctx.tries().len(), 1);
}

#[actix_web::test]
async fn a_dedupe_key_keeps_one_pending_job() {
    let db = TestDb::new().await;
    let mut conn = db.conn().await;
    let later = chrono::Utc::now() + chrono::Duration::hours(1);
    let first = jobs::enqueue_with(
        &mut conn,
        &Count { n: 1 },
        Enqueue::default()
            .run_at(later)
            .dedupe("k", OnDuplicate::Keep),
    )
    .await
    .unwrap();
    assert!(first.is_some());
    let kept = jobs::enqueue_with(
        &mut conn,
        &Count { n: 2 },
        Enqueue::default().dedupe("k", OnDuplicate::Keep),
    )
    .await
    .unwrap();
    assert_eq!(kept, None, "a pending job with the key exists");
    let left = rows(&mut conn).await;
    assert_eq!(left.len(), 1);
    assert_eq!(left[0].payload, r#"{"n": 1}"#);

    // Replace: the pending job takes the new payload and time (a rescheduled post).
    let sooner = chrono::Utc::now() + chrono::Duration::minutes(5);
    let replaced = jobs::enqueue_with(
        &mut conn,
        &Count { n: 3 },
        Enqueue::default()
            .run_at(sooner)
            .dedupe("k", OnDuplicate::Replace),
    )
    .await
    .unwrap();
    assert_eq!(replaced, first);
    let left = rows(&mut conn).await;
    assert_eq!(left.len(), 1);
    assert_eq!(left[0].payload, r#"{"n": 3}"#);
    assert!((left[0].run_at - sooner).num_milliseconds().abs() < 5);

    // Another key, or the same key of another job type, is another job.
    jobs::enqueue_with(
        &mut conn,
        &Count { n: 4 },
        Enqueue::default().dedupe("j", OnDuplicate::Keep),
    )
    .await
    .unwrap()
    .unwrap();
    jobs::enqueue_with(
        &mut conn,
        &Flaky { failures: 0 },
        Enqueue::default()
            .dedupe("k", OnDuplicate::Keep)
            .run_at(later),
    )
    .await
    .unwrap()
    .unwrap();
    assert_eq!(rows(&mut conn).await.len(), 3);
}

#[actix_web::test]
async fn shutdown_hands_back_claimed_jobs_and_lets_the_running_one_finish() {
    let db = TestDb::new().await;
    let mut conn = db.conn().await;
    for n in 0..5 {
        jobs::enqueue(&mut conn, &Slow { n, ms: 600 })
            .await
            .unwrap();
    }
    let ctx = Ctx::default();
    let first = start(
        &db,
        ctx.for_runner("first"),
        RunnerConfig {
            concurrency: 1,
            batch: 10,
            ..quick()
        },
    );
    eventually(10, "the first job to start", || async {
        !ctx.tries().is_empty()
    })
    .await;
    // Every job is claimed by now (one batch); one runs.
    let claimed = rows(&mut conn).await;
    assert!(
        claimed.iter().all(|r| r.status == "running"),
        "{claimed:#?}"
    );
    let began = Instant::now();
    stop(first).await;
    assert!(began.elapsed() < Duration::from_secs(5));
    let runs = ctx.runs.lock().unwrap().clone();
    assert_eq!(runs.len(), 1, "the running job finished: {runs:?}");
    let left = rows(&mut conn).await;
    assert_eq!(left.len(), 4);
    for r in &left {
        assert_eq!(r.status, "pending", "{r:?}");
        assert_eq!(r.attempts, 0, "an unstarted job's try is given back: {r:?}");
        assert!(r.run_at <= chrono::Utc::now(), "due at once: {r:?}");
    }

    // The next runner takes them at once.
    let second = start(&db, ctx.for_runner("second"), quick());
    testing::assert_queue_drains(&db, 10).await;
    stop(second).await;
    let runs = ctx.runs.lock().unwrap().clone();
    assert_eq!(runs.len(), 5);
    assert!(runs.values().all(|by| by.len() == 1), "{runs:?}");
}

#[actix_web::test]
async fn claims_go_by_priority_and_take_over_a_dead_workers_expired_lease() {
    // Here only: its `first` would shadow the slices' elsewhere.
    use diesel_async::RunQueryDsl;
    let db = TestDb::new().await;
    let mut conn = db.conn().await;
    jobs::enqueue(&mut conn, &Ordered { n: 1 }).await.unwrap();
    jobs::enqueue_with(&mut conn, &Ordered { n: 2 }, Enqueue::default().priority(5))
        .await
        .unwrap();
    jobs::enqueue(&mut conn, &Ordered { n: 3 }).await.unwrap();
    // Claimed (its first try) by a worker that died: its lease ran out a second ago.
    let orphan = jobs::enqueue_with(&mut conn, &Ordered { n: 4 }, Enqueue::default().priority(1))
        .await
        .unwrap()
        .unwrap();
    diesel::sql_query(
        "UPDATE background_jobs SET status = 'running', attempts = 1, locked_by = 'gone', \
           locked_until = now() - interval '1 second' WHERE id = $1",
    )
    .bind::<diesel::sql_types::BigInt, _>(orphan)
    .execute(&mut conn)
    .await
    .unwrap();
    // Not yet due: claimed by nobody.
    jobs::enqueue_with(
        &mut conn,
        &Ordered { n: 5 },
        Enqueue::default()
            .priority(9)
            .run_at(chrono::Utc::now() + chrono::Duration::hours(1)),
    )
    .await
    .unwrap();

    let ctx = Ctx::default();
    // One job per claim, so the runs follow the claims.
    let runner = start(
        &db,
        ctx.clone(),
        RunnerConfig {
            concurrency: 1,
            batch: 1,
            ..quick()
        },
    );
    eventually(10, "the due jobs to run", || async {
        ctx.order.lock().unwrap().len() >= 4
    })
    .await;
    stop(runner).await;
    assert_eq!(
        *ctx.order.lock().unwrap(),
        vec![2, 4, 1, 3],
        "highest priority first, then the oldest; the orphan among them by its priority"
    );
    let left = rows(&mut conn).await;
    assert_eq!(left.len(), 1, "{left:#?}");
    assert_eq!(left[0].payload, r#"{"n": 5}"#);
    assert_eq!(left[0].status, "pending");
}

#[actix_web::test]
async fn a_notify_names_its_job_type_so_only_that_types_runners_wake() {
    let db = TestDb::new().await;
    let mut woken =
        shared::infrastructure::background::listen_with(db.url.clone(), &[jobs::CHANNEL], |n| {
            n.payload().to_owned()
        });
    // The LISTEN is under way once a bare NOTIFY (which wakes every runner) comes back.
    let mut conn = db.conn().await;
    let mut first = None;
    for _ in 0..100 {
        diesel_async::RunQueryDsl::execute(diesel::sql_query("NOTIFY background_jobs"), &mut conn)
            .await
            .unwrap();
        if let Ok(note) = tokio::time::timeout(Duration::from_millis(100), woken.recv()).await {
            first = note;
            break;
        }
    }
    assert_eq!(first.as_deref(), Some(""));
    while woken.try_recv().is_ok() {}
    jobs::enqueue(&mut conn, &Count { n: 1 }).await.unwrap();
    jobs::enqueue_many(&mut conn, &[Flaky { failures: 0 }])
        .await
        .unwrap();
    let mut named = Vec::new();
    while named.len() < 2 {
        let note = tokio::time::timeout(Duration::from_secs(10), woken.recv())
            .await
            .expect("a notification")
            .unwrap();
        if !note.is_empty() {
            named.push(note);
        }
    }
    assert_eq!(named, ["test.count", "test.flaky"]);
}
