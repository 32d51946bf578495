//! Which job types an app runs, and how: the typed jobs, erased to functions of a JSON payload.

use std::collections::HashMap;
use std::time::Duration;

use futures_util::future::LocalBoxFuture;

use super::{Job, JobError};

type RunFn<C> = fn(C, serde_json::Value) -> LocalBoxFuture<'static, Result<(), JobError>>;

pub(super) struct Handler<C> {
    pub run: RunFn<C>,
    pub timeout: Duration,
}

/// The job types an app handles (`AppSpec::jobs`); its runner claims only these.
pub struct JobRegistry<C> {
    handlers: HashMap<&'static str, Handler<C>>,
}

impl<C> Default for JobRegistry<C> {
    fn default() -> Self {
        JobRegistry {
            handlers: HashMap::new(),
        }
    }
}

fn run_erased<J: Job>(
    ctx: J::Context,
    payload: serde_json::Value,
) -> LocalBoxFuture<'static, Result<(), JobError>> {
    Box::pin(async move {
        let job: J = serde_json::from_value(payload)?;
        job.run(&ctx).await
    })
}

impl<C: Clone + 'static> JobRegistry<C> {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds job type `J` (a second registration of one type replaces the first).
    pub fn register<J: Job<Context = C>>(mut self) -> Self {
        self.handlers.insert(
            J::JOB_TYPE,
            Handler {
                run: run_erased::<J>,
                timeout: J::TIMEOUT,
            },
        );
        self
    }

    pub fn is_empty(&self) -> bool {
        self.handlers.is_empty()
    }

    /// The registered job types, sorted.
    pub fn types(&self) -> Vec<String> {
        let mut types: Vec<String> = self.handlers.keys().map(|t| (*t).to_owned()).collect();
        types.sort();
        types
    }

    pub(super) fn handler(&self, job_type: &str) -> Option<&Handler<C>> {
        self.handlers.get(job_type)
    }
}

/// For apps with no jobs.
pub fn none<C: Clone + 'static>() -> JobRegistry<C> {
    JobRegistry::new()
}
