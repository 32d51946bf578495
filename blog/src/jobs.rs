//! The blog's jobs (`shared::jobs`): publishing a scheduled post on time.
//!
//! Scheduling a post (create, save) enqueues [`PublishScheduled`] at its time in
//! the same transaction, one pending job per post: rescheduling moves that job. When it runs it
//! publishes the post only if it is still scheduled and due, so a post unscheduled, published
//! by hand or deleted meanwhile is left alone. A post imported from Ghost is never published
//! here: Ghost publishes it (its `post.published` webhook or the next sync), and imports never
//! federate.

use chrono::{DateTime, Utc};
use diesel_async::AsyncPgConnection;
use serde::{Deserialize, Serialize};
use shared::AppContext;
use shared::jobs::{self, Enqueue, EnqueueError, Job, JobError, JobRegistry, OnDuplicate};
use shared::models::blog::Post;

use crate::content::service;

/// The blog's job types.
pub fn registry() -> JobRegistry<AppContext> {
    JobRegistry::new().register::<PublishScheduled>()
}

/// Publishes post `post_id` if it is scheduled and its time has come.
#[derive(Debug, Serialize, Deserialize)]
pub struct PublishScheduled {
    pub post_id: i64,
}

impl Job for PublishScheduled {
    const JOB_TYPE: &'static str = "blog.publish_scheduled";
    const PRIORITY: i16 = 10;
    const MAX_ATTEMPTS: i32 = 20;
    type Context = AppContext;

    async fn run(&self, ctx: &AppContext) -> Result<(), JobError> {
        let imported = {
            let mut conn = ctx.conn().await.map_err(JobError::failed)?;
            crate::db::ghost::is_import(&mut conn, self.post_id)
                .await
                .map_err(JobError::failed)?
        };
        if imported {
            tracing::info!(
                post = self.post_id,
                "a scheduled Ghost import waits for Ghost to publish it"
            );
            return Ok(());
        }
        service::publish_scheduled(ctx, self.post_id)
            .await
            .map(drop)
            .map_err(JobError::failed)
    }
}

/// Enqueues (or moves) the publishing job of `post` if it is scheduled; call in the transaction
/// that saved it.
pub async fn schedule(conn: &mut AsyncPgConnection, post: &Post) -> Result<(), EnqueueError> {
    match (post.status.as_str(), post.published_at) {
        ("scheduled", Some(at)) => schedule_at(conn, post.id, at).await,
        _ => Ok(()),
    }
}

pub(crate) async fn schedule_at(
    conn: &mut AsyncPgConnection,
    post_id: i64,
    at: DateTime<Utc>,
) -> Result<(), EnqueueError> {
    jobs::enqueue_with(
        conn,
        &PublishScheduled { post_id },
        Enqueue::default()
            .run_at(at)
            .dedupe(format!("post:{post_id}"), OnDuplicate::Replace),
    )
    .await
    .map(drop)
}
