//! Publishes scheduled posts on time: a background job, not a side effect of page views. Every
//! replica runs it; `FOR UPDATE SKIP LOCKED` hands each due post to exactly one.

use std::time::Duration;

use shared::AppContext;

use crate::content::service;

const EVERY: Duration = Duration::from_secs(1);

pub async fn run(ctx: AppContext) {
    let mut shutdown = ctx.shutdown_signal();
    loop {
        if let Err(e) = service::publish_due(&ctx).await {
            tracing::warn!(error = %e, "publishing scheduled posts failed");
        }
        tokio::select! {
            _ = tokio::time::sleep(EVERY) => {}
            _ = shutdown.changed() => return,
        }
    }
}
