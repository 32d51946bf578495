//! `deploy bench jobs`: no-op jobs enqueued and run per second through `shared::jobs`.
//!
//! On a scratch database, two runners (as two replicas would) work the queue while four
//! producers enqueue no-op jobs in transactions of 100: first with one `enqueue` per job (as
//! most application code calls it), then with one `enqueue_many` per transaction (imports,
//! newsletter sends). The runners claim in batches of 512 and run up to 256 jobs at once. The
//! figure is jobs done end to end (enqueued, run and deleted), from the first enqueue until the
//! queue is empty, per second.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::bail;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use futures_util::future::try_join_all;
use serde::{Deserialize, Serialize};
use shared::config::{DatabaseConfig, Secret};
use shared::db::migrate;
use shared::devenv;
use shared::jobs::{self, Job, JobError, JobRegistry, Runner, RunnerConfig};

const DATABASE: &str = "rose_ash_bench_jobs";
const JOBS: u64 = 60_000;
const PRODUCERS: u64 = 4;
const PER_TRANSACTION: u64 = 100;

/// Does nothing but count.
#[derive(Serialize, Deserialize)]
struct Noop {
    n: u64,
}

impl Job for Noop {
    const JOB_TYPE: &'static str = "bench.noop";
    type Context = Arc<AtomicU64>;

    async fn run(&self, ran: &Arc<AtomicU64>) -> Result<(), JobError> {
        ran.fetch_add(1, Ordering::Relaxed);
        Ok(())
    }
}

#[derive(diesel::QueryableByName)]
struct Count {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    n: i64,
}

pub async fn run() -> anyhow::Result<()> {
    println!("Rose Ash job queue benchmark");
    let services = devenv::ensure(DATABASE, &crate::dev::state_dir()).await?;
    let admin_url = services.database_url_for("postgres")?;
    let mut admin = AsyncPgConnection::establish(&admin_url).await?;
    diesel::sql_query(format!("DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)"))
        .execute(&mut admin)
        .await?;
    diesel::sql_query(format!("CREATE DATABASE {DATABASE}"))
        .execute(&mut admin)
        .await?;
    let database_url = services.database_url_for(DATABASE)?;
    migrate::run_pending(&database_url).await?;
    let pool = shared::db::pool(
        &DatabaseConfig {
            url: Secret::new(database_url.clone()),
            pool_size: 8,
        },
        "bench-jobs",
    )?;

    let ran = Arc::new(AtomicU64::new(0));
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let config = RunnerConfig {
        concurrency: 256,
        batch: 512,
        ..RunnerConfig::default()
    };
    let runners: Vec<_> = (0..2)
        .map(|_| {
            let runner = Runner::new(
                JobRegistry::new().register::<Noop>(),
                ran.clone(),
                pool.clone(),
                database_url.clone(),
                config.clone(),
            );
            actix_web::rt::spawn(runner.run(stopped.clone()))
        })
        .collect();
    // Let the runners open their LISTEN connections.
    tokio::time::sleep(Duration::from_millis(500)).await;

    println!(
        "{JOBS} no-op jobs, {PRODUCERS} producers ({PER_TRANSACTION} per transaction), 2 runners \
         (claiming {} at a time, {} running at once)",
        config.batch, config.concurrency
    );
    for batched in [false, true] {
        ran.store(0, Ordering::Relaxed);
        let (enqueued, empty) = measure(&database_url, &ran, batched).await?;
        println!(
            "  {}: enqueued in {:.2} s ({:.0}/s), queue empty after {:.2} s: {:.0} jobs enqueued+run per second (target >= 5,000)",
            if batched {
                "enqueue_many (one statement per transaction)"
            } else {
                "enqueue (one statement per job)"
            },
            enqueued.as_secs_f64(),
            JOBS as f64 / enqueued.as_secs_f64(),
            empty.as_secs_f64(),
            JOBS as f64 / empty.as_secs_f64()
        );
        let ran = AtomicU64::load(&ran, Ordering::Relaxed);
        if ran != JOBS {
            bail!("{ran} runs for {JOBS} jobs");
        }
    }
    stop.send_replace(true);
    for runner in runners {
        let _ = runner.await;
    }
    Ok(())
}

/// Enqueues `JOBS` (one `enqueue` per job, or one `enqueue_many` per transaction) and waits until
/// all ran and the queue is empty: (time to enqueue, time until empty).
async fn measure(
    database_url: &str,
    ran: &AtomicU64,
    batched: bool,
) -> anyhow::Result<(Duration, Duration)> {
    let started = Instant::now();
    try_join_all((0..PRODUCERS).map(|p| async move {
        let mut conn = AsyncPgConnection::establish(database_url).await?;
        let per_producer = JOBS / PRODUCERS;
        for chunk in 0..per_producer / PER_TRANSACTION {
            let first = p * per_producer + chunk * PER_TRANSACTION;
            conn.transaction(async |conn| {
                if batched {
                    let batch: Vec<Noop> = (0..PER_TRANSACTION)
                        .map(|i| Noop { n: first + i })
                        .collect();
                    jobs::enqueue_many(conn, &batch).await?;
                } else {
                    for i in 0..PER_TRANSACTION {
                        jobs::enqueue(conn, &Noop { n: first + i }).await?;
                    }
                }
                Ok::<_, jobs::EnqueueError>(())
            })
            .await?;
        }
        anyhow::Ok(())
    }))
    .await?;
    let enqueued = started.elapsed();
    let deadline = Instant::now() + Duration::from_secs(120);
    while ran.load(Ordering::Relaxed) < JOBS {
        if Instant::now() > deadline {
            bail!(
                "only {} of {JOBS} jobs ran in time",
                ran.load(Ordering::Relaxed)
            );
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    // The last deletes land just after the last run.
    let mut conn = AsyncPgConnection::establish(database_url).await?;
    loop {
        let left: Count = diesel::sql_query("SELECT count(*) AS n FROM background_jobs")
            .get_result(&mut conn)
            .await?;
        if left.n == 0 {
            break;
        }
        if Instant::now() > deadline {
            bail!("{} jobs were left in the queue", left.n);
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    Ok((enqueued, started.elapsed()))
}
