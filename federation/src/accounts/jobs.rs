//! What follows a sign-up or a reset request (looking the address up, writing, sending mail)
//! runs after the answer is sent, so the answer takes the same time whether or not the address
//! has an account. Bounded: at most [`SLOTS`] jobs at once in the process; beyond that a job is
//! dropped and logged (the visitor sees the usual page and may ask again). A durable queue would
//! also survive a restart; see the README.

use std::future::Future;
use std::sync::{Arc, LazyLock};

use shared::AppError;
use tokio::sync::Semaphore;

/// Jobs running at once.
pub const SLOTS: usize = 64;

static RUNNING: LazyLock<Arc<Semaphore>> = LazyLock::new(|| Arc::new(Semaphore::new(SLOTS)));

/// Runs `job` in the background on this worker; false when it was dropped (all slots busy).
pub fn spawn(
    what: &'static str,
    job: impl Future<Output = Result<(), AppError>> + 'static,
) -> bool {
    let Ok(slot) = Arc::clone(&RUNNING).try_acquire_owned() else {
        tracing::warn!(what, "too many account jobs at once: this one is dropped");
        return false;
    };
    actix_web::rt::spawn(async move {
        let _slot = slot;
        if let Err(e) = job.await {
            tracing::error!(what, error = %e, "account job failed");
        }
    });
    true
}
