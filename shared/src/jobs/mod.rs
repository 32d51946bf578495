//! The durable job queue, modelled on crates.io's worker: typed jobs (a serde payload and a
//! [`Job::JOB_TYPE`] name) in the `background_jobs` table.
//!
//! - [`enqueue`] inserts a job on the caller's connection, so inside the caller's transaction
//!   the job exists only if the change that caused it commits. It also sends `NOTIFY
//!   background_jobs`, which PostgreSQL delivers on commit and wakes the workers.
//! - [`Runner`] claims due jobs of the types its [`JobRegistry`] knows as leases (`FOR UPDATE
//!   SKIP LOCKED`, so any number of replicas share the queue and no job runs twice while its
//!   worker lives), runs them, deletes the ones that succeed, retries failures with exponential
//!   backoff and jitter, and marks a job `dead` after its last try (federation's `/admin` lists
//!   dead jobs and retries them).
//! - Options: a priority, `run_at` (scheduled jobs) and a dedupe key (one pending job per key).
//! - On shutdown a runner hands back what it claimed but has not started and lets running jobs
//!   finish (a job still running after the grace period has its lease released).

mod registry;
mod runner;
pub mod store;

use std::future::Future;
use std::time::Duration;

use chrono::{DateTime, Utc};
use diesel_async::AsyncPgConnection;
use serde::Serialize;
use serde::de::DeserializeOwned;

pub use registry::JobRegistry;
pub use registry::none;
pub use runner::{Runner, RunnerConfig};
pub use store::{DeadJob, JobStats};

/// The `NOTIFY` channel that wakes the runners.
pub const CHANNEL: &str = "background_jobs";

/// A kind of job: its payload is `Self` (serde), its name [`Job::JOB_TYPE`].
pub trait Job: Serialize + DeserializeOwned + 'static {
    /// The name stored with each job; unique in the fleet, never renamed while jobs are queued.
    const JOB_TYPE: &'static str;
    /// Higher runs first.
    const PRIORITY: i16 = 0;
    /// Tries before the job is dead.
    const MAX_ATTEMPTS: i32 = 10;
    /// A try that takes longer fails (the lease outlives it, so no other worker takes the job
    /// while this one lives).
    const TIMEOUT: Duration = Duration::from_secs(120);
    /// What the job runs with (the apps: their `AppContext`).
    type Context: Clone + 'static;

    fn run(&self, ctx: &Self::Context) -> impl Future<Output = Result<(), JobError>>;
}

/// Why a try failed.
#[derive(Debug, thiserror::Error)]
pub enum JobError {
    /// The stored payload does not fit the job type (retrying cannot help: dead at once).
    #[error("bad payload: {0}")]
    Payload(#[from] serde_json::Error),
    /// Worth another try later.
    #[error("{0}")]
    Failed(String),
    /// Never worth another try (dead at once).
    #[error("{0}")]
    Permanent(String),
    #[error("database: {0}")]
    Db(#[from] diesel::result::Error),
    #[error("timed out after {0:?}")]
    TimedOut(Duration),
}

impl JobError {
    pub fn failed(e: impl std::fmt::Display) -> Self {
        JobError::Failed(e.to_string())
    }

    fn retryable(&self) -> bool {
        !matches!(self, JobError::Payload(_) | JobError::Permanent(_))
    }
}

#[derive(Debug, thiserror::Error)]
pub enum EnqueueError {
    #[error("the job could not be serialized: {0}")]
    Serialize(#[from] serde_json::Error),
    #[error("database: {0}")]
    Db(#[from] diesel::result::Error),
}

/// What [`enqueue_with`] does when a pending job of the same type has the same dedupe key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnDuplicate {
    /// Keep the pending job as it is (the new one is dropped).
    Keep,
    /// Give the pending job this payload, priority and `run_at` (a rescheduled post).
    Replace,
}

/// Options of one enqueue.
#[derive(Debug, Clone, Default)]
pub struct Enqueue {
    run_at: Option<DateTime<Utc>>,
    priority: Option<i16>,
    dedupe: Option<(String, OnDuplicate)>,
}

impl Enqueue {
    /// Not before `at`.
    pub fn run_at(mut self, at: DateTime<Utc>) -> Self {
        self.run_at = Some(at);
        self
    }

    /// Overrides [`Job::PRIORITY`].
    pub fn priority(mut self, priority: i16) -> Self {
        self.priority = Some(priority);
        self
    }

    /// At most one pending job of this type with `key`.
    pub fn dedupe(mut self, key: impl Into<String>, on_duplicate: OnDuplicate) -> Self {
        self.dedupe = Some((key.into(), on_duplicate));
        self
    }
}

/// Queues `job` to run now. Returns its id.
pub async fn enqueue<J: Job>(conn: &mut AsyncPgConnection, job: &J) -> Result<i64, EnqueueError> {
    let id = enqueue_with(conn, job, Enqueue::default()).await?;
    // Without a dedupe key every insert returns its id.
    Ok(id.unwrap_or_default())
}

/// Queues many jobs of one type to run now, in one statement (an import, a newsletter's
/// recipients): inside the caller's transaction like [`enqueue`]. Returns how many were queued.
pub async fn enqueue_many<J: Job>(
    conn: &mut AsyncPgConnection,
    jobs: &[J],
) -> Result<i64, EnqueueError> {
    let payloads = jobs
        .iter()
        .map(serde_json::to_value)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(store::insert_many(conn, J::JOB_TYPE, &payloads, J::PRIORITY, J::MAX_ATTEMPTS).await?)
}

/// Queues `job` with `options`: `None` when a pending duplicate was kept instead.
pub async fn enqueue_with<J: Job>(
    conn: &mut AsyncPgConnection,
    job: &J,
    options: Enqueue,
) -> Result<Option<i64>, EnqueueError> {
    let payload = serde_json::to_value(job)?;
    Ok(store::insert(
        conn,
        &store::NewJob {
            job_type: J::JOB_TYPE,
            payload,
            priority: options.priority.unwrap_or(J::PRIORITY),
            run_at: options.run_at,
            max_attempts: J::MAX_ATTEMPTS,
            dedupe: options.dedupe,
        },
    )
    .await?)
}

/// Drops the pending job of `J`'s type with dedupe `key` (work that another change has just
/// done); whether there was one. A job already running is left to finish.
pub async fn cancel_pending<J: Job>(
    conn: &mut AsyncPgConnection,
    key: &str,
) -> diesel::QueryResult<bool> {
    store::delete_pending(conn, J::JOB_TYPE, key).await
}

/// The gauges of `stats` (an app's job types) in the Prometheus text format, for `/metrics`.
pub fn render_metrics(app: &str, stats: &JobStats) -> String {
    let mut out = String::new();
    for (name, help, value) in [
        (
            "jobs_pending",
            "Jobs waiting to run (due or scheduled).",
            stats.pending as f64,
        ),
        (
            "jobs_running",
            "Jobs a worker holds the lease of.",
            stats.running as f64,
        ),
        (
            "jobs_dead",
            "Jobs given up on after their last try (the dead letter).",
            stats.dead as f64,
        ),
        (
            "jobs_oldest_pending_seconds",
            "How long the oldest due job has waited.",
            stats.oldest_pending_seconds,
        ),
    ] {
        out.push_str(&format!(
            "# HELP {name} {help}\n# TYPE {name} gauge\n{name}{{app=\"{app}\"}} {value}\n"
        ));
    }
    out
}

/// Seconds to wait after failed try number `attempts` (1-based): `base · 2^(attempts-1)`,
/// capped at six hours, plus up to half as much again at random (`jitter` in 0..=1) so that
/// jobs that failed together do not all come back together.
pub fn backoff(base: Duration, attempts: i32, jitter: f64) -> Duration {
    let exponent = attempts.clamp(1, 30) - 1;
    let secs = (base.as_secs_f64() * 2f64.powi(exponent)).min(6.0 * 3600.0);
    Duration::from_secs_f64(secs * (1.0 + 0.5 * jitter.clamp(0.0, 1.0)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_with_jitter_and_a_cap() {
        let base = Duration::from_secs(10);
        assert_eq!(backoff(base, 1, 0.0), Duration::from_secs(10));
        assert_eq!(backoff(base, 2, 0.0), Duration::from_secs(20));
        assert_eq!(backoff(base, 4, 0.0), Duration::from_secs(80));
        assert_eq!(backoff(base, 1, 1.0), Duration::from_secs(15));
        assert_eq!(backoff(base, 30, 0.0), Duration::from_secs(6 * 3600));
    }
}
