//! The worker: claims batches of due jobs as leases, runs them a few at a time on this thread,
//! records the outcomes in batches, sleeps until a `NOTIFY`, the next scheduled job or the poll.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use tokio::sync::{mpsc, watch};

use super::registry::JobRegistry;
use super::store::{self, Claimed};
use super::{JobError, backoff};
use crate::db::DbPool;

/// How a runner works.
#[derive(Debug, Clone)]
pub struct RunnerConfig {
    /// Jobs running at once.
    pub concurrency: usize,
    /// Jobs claimed per round trip.
    pub batch: i64,
    /// Longest sleep without a wake (expired leases of dead workers are found this way).
    pub poll: Duration,
    /// The first retry's delay; each further one doubles it.
    pub backoff_base: Duration,
    /// How long a claim lasts; longer than any job's timeout.
    pub lease: Duration,
    /// How long running jobs get to finish after shutdown is asked for.
    pub grace: Duration,
}

impl Default for RunnerConfig {
    fn default() -> Self {
        RunnerConfig {
            concurrency: 4,
            batch: 32,
            poll: Duration::from_secs(5),
            backoff_base: Duration::from_secs(10),
            lease: Duration::from_secs(300),
            grace: Duration::from_secs(15),
        }
    }
}

#[derive(Debug, thiserror::Error)]
enum RoundError {
    #[error(transparent)]
    Pool(#[from] diesel_async::pooled_connection::deadpool::PoolError),
    #[error(transparent)]
    Db(#[from] diesel::result::Error),
}

/// One worker over the job types of `registry`.
pub struct Runner<C> {
    registry: Arc<JobRegistry<C>>,
    types: Vec<String>,
    ctx: C,
    pool: DbPool,
    database_url: String,
    config: RunnerConfig,
    /// Names this runner's leases.
    id: String,
}

struct Done {
    id: i64,
    attempts: i32,
    max_attempts: i32,
    outcome: Result<(), JobError>,
}

fn jitter() -> f64 {
    let mut b = [0u8; 2];
    // Without randomness the retry simply has no jitter.
    let _ = openssl::rand::rand_bytes(&mut b);
    f64::from(u16::from_le_bytes(b)) / f64::from(u16::MAX)
}

fn worker_id() -> String {
    let mut b = [0u8; 8];
    if openssl::rand::rand_bytes(&mut b).is_err() {
        // Uniqueness is what matters; the clock and pid give it if the RNG fails.
        let nanos = Utc::now().timestamp_nanos_opt().unwrap_or_default();
        return format!("{}-{nanos:x}", std::process::id());
    }
    hex::encode(b)
}

impl<C: Clone + 'static> Runner<C> {
    pub fn new(
        registry: JobRegistry<C>,
        ctx: C,
        pool: DbPool,
        database_url: String,
        config: RunnerConfig,
    ) -> Self {
        Runner {
            types: registry.types(),
            registry: Arc::new(registry),
            ctx,
            pool,
            database_url,
            config,
            id: worker_id(),
        }
    }

    /// Works until `shutdown` turns true, then hands back what it has not started and waits
    /// (up to the grace period) for what runs. Must run on a local task set (actix's runtime).
    pub async fn run(self, mut shutdown: watch::Receiver<bool>) {
        if self.types.is_empty() {
            return;
        }
        // Each NOTIFY names the type of the job it announces ('' wakes every runner): a
        // runner sleeps through the others' (six apps share the channel, and waking all of
        // them for every job cost a claim query each).
        let mut woken = crate::infrastructure::background::listen_with(
            self.database_url.clone(),
            &[super::CHANNEL],
            |n| n.payload().to_owned(),
        );
        let (done_tx, mut done_rx) = mpsc::unbounded_channel::<Done>();
        let mut queue: VecDeque<Claimed> = VecDeque::new();
        let mut running = 0usize;
        // Whether the last claim came back short: then wait for a wake before claiming again.
        let mut drained = false;
        loop {
            let mut finished = Vec::new();
            while let Ok(done) = done_rx.try_recv() {
                running -= 1;
                finished.push(done);
            }
            self.record(finished).await;
            if *shutdown.borrow() {
                break;
            }
            while running < self.config.concurrency
                && let Some(job) = queue.pop_front()
            {
                self.start(job, done_tx.clone());
                running += 1;
            }
            if queue.is_empty() && !drained && running < self.config.concurrency {
                match self.claim().await {
                    Ok(claimed) => {
                        drained = (claimed.len() as i64) < self.config.batch;
                        let any = !claimed.is_empty();
                        queue.extend(claimed);
                        if any {
                            continue;
                        }
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, "claiming jobs failed");
                        drained = true;
                    }
                }
            }
            let sleep = if drained && running == 0 {
                self.next_wait().await
            } else {
                self.config.poll
            };
            tokio::select! {
                done = done_rx.recv() => {
                    if let Some(done) = done {
                        // Record whatever else finished meanwhile in the same statements.
                        let mut finished = vec![done];
                        while let Ok(more) = done_rx.try_recv() {
                            finished.push(more);
                        }
                        running -= finished.len();
                        self.record(finished).await;
                    }
                }
                _ = async {
                    while let Some(job_type) = woken.recv().await {
                        if job_type.is_empty() || self.types.contains(&job_type) {
                            return;
                        }
                    }
                } => drained = false,
                _ = tokio::time::sleep(sleep) => drained = false,
                _ = shutdown.changed() => {}
            }
        }
        self.stop(queue, running, done_rx).await;
    }

    /// Hands back the unstarted jobs, waits for the running ones, releases those that overrun.
    async fn stop(
        &self,
        queue: VecDeque<Claimed>,
        mut running: usize,
        mut done_rx: mpsc::UnboundedReceiver<Done>,
    ) {
        let unstarted: Vec<i64> = queue.iter().map(|j| j.id).collect();
        if !unstarted.is_empty() {
            match self.unclaim(&unstarted, Some(Utc::now()), None, true).await {
                Ok(()) => tracing::info!(jobs = unstarted.len(), "handed back unstarted jobs"),
                Err(e) => {
                    tracing::warn!(error = %e, "handing back jobs failed; their lease will expire")
                }
            }
        }
        let deadline = tokio::time::Instant::now() + self.config.grace;
        while running > 0 {
            match tokio::time::timeout_at(deadline, done_rx.recv()).await {
                Ok(Some(done)) => {
                    running -= 1;
                    self.record(vec![done]).await;
                }
                Ok(None) => break,
                Err(_) => {
                    // Still running: give their leases up so another worker can retry soon.
                    tracing::warn!(
                        jobs = running,
                        "jobs still running at shutdown: releasing them"
                    );
                    let released = self.release_all().await;
                    if let Err(e) = released {
                        tracing::warn!(error = %e, "releasing jobs failed; their lease will expire");
                    }
                    break;
                }
            }
        }
    }

    fn start(&self, job: Claimed, done: mpsc::UnboundedSender<Done>) {
        let ctx = self.ctx.clone();
        let registry = self.registry.clone();
        actix_web::rt::spawn(async move {
            let outcome = match registry.handler(&job.job_type) {
                Some(handler) => {
                    let run = (handler.run)(ctx, job.payload);
                    match tokio::time::timeout(handler.timeout, run).await {
                        Ok(outcome) => outcome,
                        Err(_) => Err(JobError::TimedOut(handler.timeout)),
                    }
                }
                None => Err(JobError::Permanent(format!(
                    "no handler for job type {}",
                    job.job_type
                ))),
            };
            let _ = done.send(Done {
                id: job.id,
                attempts: job.attempts,
                max_attempts: job.max_attempts,
                outcome,
            });
        });
    }

    async fn claim(&self) -> Result<Vec<Claimed>, RoundError> {
        let mut conn = self.pool.get().await?;
        Ok(store::claim(
            &mut conn,
            &self.types,
            &self.id,
            self.config.batch,
            self.config.lease.as_secs_f64(),
        )
        .await?)
    }

    /// How long to sleep when idle: until the next scheduled job, at most the poll interval.
    async fn next_wait(&self) -> Duration {
        let due = match self.pool.get().await {
            Ok(mut conn) => store::next_due_in(&mut conn, &self.types)
                .await
                .ok()
                .flatten(),
            Err(_) => None,
        };
        match due {
            // A little after it is due, so that the claim finds it.
            Some(secs) => Duration::from_secs_f64(secs + 0.005).min(self.config.poll),
            None => self.config.poll,
        }
    }

    async fn unclaim(
        &self,
        ids: &[i64],
        retry_at: Option<chrono::DateTime<Utc>>,
        error: Option<&str>,
        refund: bool,
    ) -> Result<(), RoundError> {
        let mut conn = self.pool.get().await?;
        Ok(store::unclaim(&mut conn, &self.id, ids, retry_at, error, refund).await?)
    }

    /// Gives up every lease this runner still holds (their jobs come back due now).
    async fn release_all(&self) -> Result<(), RoundError> {
        let mut conn = self.pool.get().await?;
        store::release_worker(&mut conn, &self.id).await?;
        Ok(())
    }

    /// Deletes what succeeded (one statement), reschedules or buries what failed.
    async fn record(&self, finished: Vec<Done>) {
        if finished.is_empty() {
            return;
        }
        let ok: Vec<i64> = finished
            .iter()
            .filter(|d| d.outcome.is_ok())
            .map(|d| d.id)
            .collect();
        if !ok.is_empty() {
            let deleted = match self.pool.get().await {
                Ok(mut conn) => store::succeeded(&mut conn, &self.id, &ok)
                    .await
                    .map_err(RoundError::from),
                Err(e) => Err(e.into()),
            };
            if let Err(e) = deleted {
                tracing::warn!(error = %e, "recording finished jobs failed; they may run again");
            }
        }
        for done in finished {
            let Err(error) = done.outcome else {
                continue;
            };
            let retry_at = (error.retryable() && done.attempts < done.max_attempts).then(|| {
                let wait = backoff(self.config.backoff_base, done.attempts, jitter());
                Utc::now() + chrono::Duration::from_std(wait).unwrap_or(chrono::Duration::hours(6))
            });
            match retry_at {
                Some(_) => {
                    tracing::info!(job = done.id, attempts = done.attempts, error = %error, "job failed; will retry")
                }
                None => {
                    tracing::warn!(job = done.id, attempts = done.attempts, error = %error, "job failed for the last time: dead")
                }
            }
            let message = error.to_string();
            if let Err(e) = self
                .unclaim(&[done.id], retry_at, Some(&message), false)
                .await
            {
                tracing::warn!(error = %e, "recording a failed job failed; its lease will expire");
            }
        }
    }
}
