//! Background work an app runs beside its HTTP server (federation: the ActivityPub processor and
//! delivery worker; every app with jobs: its `shared::jobs` runner), started and stopped with
//! it: on shutdown every task is told to stop, and given time to finish what it holds (the
//! queues are in PostgreSQL, so nothing is lost).

use std::time::Duration;

use futures_util::future::LocalBoxFuture;
use tokio::sync::mpsc;

use super::app::AppContext;

/// One long-running task. It should return soon after `ctx.shutdown_signal()` changes.
pub type Task = LocalBoxFuture<'static, ()>;

/// For apps with no background work.
pub fn none(_: &AppContext) -> Vec<Task> {
    Vec::new()
}

/// The running tasks of one app.
pub struct Running {
    ctx: AppContext,
    handles: Vec<actix_web::rt::task::JoinHandle<()>>,
}

pub fn start(ctx: &AppContext) -> Running {
    let mut tasks = (ctx.spec().background)(ctx);
    let jobs = (ctx.spec().jobs)();
    if !jobs.is_empty() {
        let runner = crate::jobs::Runner::new(
            jobs,
            ctx.clone(),
            ctx.db().clone(),
            ctx.config().database.url.expose().to_owned(),
            crate::jobs::RunnerConfig {
                concurrency: ctx.config().job_concurrency,
                ..crate::jobs::RunnerConfig::default()
            },
        );
        tasks.push(Box::pin(runner.run(ctx.shutdown_signal())));
    }
    let handles = tasks.into_iter().map(actix_web::rt::spawn).collect();
    Running {
        ctx: ctx.clone(),
        handles,
    }
}

impl Running {
    /// Ends every task where it stands, as a killed process would (nothing is handed back:
    /// what they held comes back when its lease runs out).
    pub fn abort(self) {
        for handle in self.handles {
            handle.abort();
        }
    }

    /// Asks every task to stop and waits (up to 20 s) for them.
    pub async fn stop(self) {
        self.ctx.request_shutdown();
        for handle in self.handles {
            if tokio::time::timeout(Duration::from_secs(20), handle)
                .await
                .is_err()
            {
                tracing::warn!("a background task did not stop in time");
            }
        }
    }
}

/// Wakes on PostgreSQL `NOTIFY` on `channels` (a dedicated connection; reconnects). Each
/// notification sends a unit; callers also poll, so a lost connection only delays work.
pub fn listen(database_url: String, channels: &'static [&'static str]) -> mpsc::Receiver<()> {
    listen_with(database_url, channels, |_| ())
}

/// Like [`listen`], sending what `read` makes of each notification (e.g. its payload).
pub fn listen_with<T: Send + 'static>(
    database_url: String,
    channels: &'static [&'static str],
    read: fn(&tokio_postgres::Notification) -> T,
) -> mpsc::Receiver<T> {
    let (tx, rx) = mpsc::channel(64);
    actix_web::rt::spawn(async move {
        loop {
            match tokio_postgres::connect(&database_url, tokio_postgres::NoTls).await {
                Ok((client, mut connection)) => {
                    let (note_tx, mut note_rx) = mpsc::unbounded_channel::<T>();
                    let driver = actix_web::rt::spawn(async move {
                        loop {
                            let message =
                                futures_util::future::poll_fn(|cx| connection.poll_message(cx))
                                    .await;
                            match message {
                                Some(Ok(tokio_postgres::AsyncMessage::Notification(n))) => {
                                    if note_tx.send(read(&n)).is_err() {
                                        break;
                                    }
                                }
                                Some(Ok(_)) => {}
                                Some(Err(_)) | None => break,
                            }
                        }
                    });
                    let listen = channels
                        .iter()
                        .map(|c| format!("LISTEN {c};"))
                        .collect::<String>();
                    if client.batch_execute(&listen).await.is_ok() {
                        while let Some(note) = note_rx.recv().await {
                            if tx.try_send(note).is_err() && tx.is_closed() {
                                driver.abort();
                                return;
                            }
                        }
                    }
                    driver.abort();
                }
                Err(e) => tracing::warn!(error = %e, "LISTEN connection failed; retrying"),
            }
            if tx.is_closed() {
                return;
            }
            tokio::time::sleep(Duration::from_secs(2)).await;
        }
    });
    rx
}
