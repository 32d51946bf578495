//! The process's password hashers: one thread per CPU, each running one Argon2 computation at a
//! time, behind a semaphore that makes a request wait at most [`BUSY_WAIT`] for a free one.
//!
//! Why dedicated threads rather than tokio's blocking pool: each computation allocates 19 MiB,
//! and the allocator keeps a freed block in the arena of the thread that used it. The blocking
//! pool spawns threads on demand, so after a burst many threads each held one; a fixed set of
//! threads holds at most one block each, which makes the bound on concurrency a bound on memory.

use std::sync::mpsc::{Receiver, SyncSender, TrySendError, sync_channel};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// How long a request waits for a free hasher before it is told to come back.
pub const BUSY_WAIT: Duration = Duration::from_millis(250);

#[derive(Debug, thiserror::Error)]
pub enum HasherError {
    #[error("every password hasher is busy")]
    Busy,
    #[error("the password hasher stopped")]
    Stopped,
}

type Job = Box<dyn FnOnce() + Send>;

struct Pool {
    permits: Arc<Semaphore>,
    jobs: SyncSender<Job>,
}

static POOL: OnceLock<Pool> = OnceLock::new();

fn pool() -> &'static Pool {
    POOL.get_or_init(|| {
        Pool::start(std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get))
    })
}

impl Pool {
    fn start(threads: usize) -> Pool {
        let threads = threads.max(1);
        // A job is queued only with a permit in hand, so the queue never holds more than this.
        let (jobs, queue) = sync_channel::<Job>(threads);
        let queue = Arc::new(Mutex::new(queue));
        let mut started = 0;
        for n in 0..threads {
            let queue = Arc::clone(&queue);
            match std::thread::Builder::new()
                .name(format!("password-hasher-{n}"))
                .spawn(move || work(&queue))
            {
                Ok(_) => started += 1,
                Err(e) => tracing::error!(error = %e, "could not start a password hasher"),
            }
        }
        Pool {
            // No thread at all: every attempt is refused (503) rather than left waiting forever.
            permits: Arc::new(Semaphore::new(started)),
            jobs,
        }
    }
}

fn work(queue: &Mutex<Receiver<Job>>) {
    loop {
        let job = match queue.lock() {
            Ok(queue) => queue.recv(),
            Err(_poisoned) => return,
        };
        match job {
            Ok(job) => job(),
            Err(_disconnected) => return,
        }
    }
}

/// Sets the number of hashers instead of the CPU count; only before the first use (the memory
/// measurement compares with one hasher per request). Returns whether it took effect.
pub fn set_concurrency(hashers: usize) -> bool {
    let mut fresh = false;
    POOL.get_or_init(|| {
        fresh = true;
        Pool::start(hashers)
    });
    fresh
}

/// Runs `f` on a hasher, waiting at most [`BUSY_WAIT`] for one to be free.
pub async fn run<T: Send + 'static>(
    f: impl FnOnce() -> T + Send + 'static,
) -> Result<T, HasherError> {
    let pool = pool();
    let permit: OwnedSemaphorePermit =
        match tokio::time::timeout(BUSY_WAIT, Arc::clone(&pool.permits).acquire_owned()).await {
            Ok(Ok(permit)) => permit,
            Ok(Err(_)) | Err(_) => return Err(HasherError::Busy),
        };
    let (done, result) = tokio::sync::oneshot::channel();
    let job: Job = Box::new(move || {
        // The permit is held until the work is done, even if the request went away.
        let _permit = permit;
        let _ = done.send(f());
    });
    match pool.jobs.try_send(job) {
        Ok(()) => result.await.map_err(|_dropped| HasherError::Stopped),
        Err(TrySendError::Full(_)) => Err(HasherError::Busy),
        Err(TrySendError::Disconnected(_)) => Err(HasherError::Stopped),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// With every hasher taken, the next request gives up after `BUSY_WAIT` instead of queueing.
    #[tokio::test]
    async fn a_saturated_pool_answers_busy_quickly() {
        let permits = Arc::clone(&pool().permits);
        let all = u32::try_from(permits.available_permits()).unwrap();
        let held = permits.acquire_many_owned(all).await.unwrap();
        let started = std::time::Instant::now();
        assert!(matches!(run(|| 1).await, Err(HasherError::Busy)));
        assert!(started.elapsed() < BUSY_WAIT * 4, "{:?}", started.elapsed());
        drop(held);
        assert_eq!(run(|| 2).await.unwrap(), 2);
    }
}
