//! Waking federation's processor after the inbox stores an activity, without a `NOTIFY` in the
//! storing transaction: PostgreSQL serializes the commits of notifying transactions (each holds
//! the notify queue's lock through its WAL flush), which capped the inbox at one fsync per
//! activity. Instead each app sends at most one `NOTIFY ap_activities` per few milliseconds,
//! after the commits it covers, from one task; the processor also polls, so a lost wake only
//! delays work.

use std::sync::Mutex;
use std::time::Duration;

use diesel_async::RunQueryDsl;
use tokio::sync::mpsc;

use crate::db::DbPool;

/// Wakes coalesced within this window share one `NOTIFY`.
const WINDOW: Duration = Duration::from_millis(5);

pub struct ProcessorWake {
    tx: mpsc::Sender<()>,
    /// Taken by the first `wake`, which starts the notifying task.
    idle: Mutex<Option<(mpsc::Receiver<()>, DbPool)>>,
}

impl ProcessorWake {
    pub fn new(pool: DbPool) -> Self {
        let (tx, rx) = mpsc::channel(1);
        ProcessorWake {
            tx,
            idle: Mutex::new(Some((rx, pool))),
        }
    }

    /// Asks for a `NOTIFY` soon (call after the commit it is about).
    pub fn wake(&self) {
        let idle = self
            .idle
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .take();
        if let Some((rx, pool)) = idle {
            tokio::spawn(notifier(rx, pool));
        }
        // Full means a NOTIFY is already due: this wake rides along.
        let _ = self.tx.try_send(());
    }
}

/// Ends when the app's context (and with it the sender) is dropped.
async fn notifier(mut rx: mpsc::Receiver<()>, pool: DbPool) {
    while rx.recv().await.is_some() {
        tokio::time::sleep(WINDOW).await;
        // Wakes that arrived during the window are covered by this NOTIFY.
        while rx.try_recv().is_ok() {}
        match pool.get().await {
            Ok(mut conn) => {
                if let Err(e) = diesel::sql_query("NOTIFY ap_activities")
                    .execute(&mut conn)
                    .await
                {
                    tracing::debug!(error = %e, "NOTIFY failed; the processor will poll");
                }
            }
            Err(e) => {
                tracing::debug!(error = %e, "no connection for NOTIFY; the processor will poll")
            }
        }
    }
}
