//! The events app's jobs: carrying each series' dates forward. A series is materialised up to
//! its horizon when it is saved; this job, queued for a day later in the same transaction
//! (one pending job per series), makes the dates that have come within the horizon since and
//! queues itself again while the series has dates left to make.

use chrono::{DateTime, Duration, Utc};
use diesel_async::AsyncPgConnection;
use shared::AppContext;
use shared::jobs::{self, Enqueue, EnqueueError, Job, JobError, JobRegistry, OnDuplicate};

use crate::db::events as event_rows;
use crate::domain::form::rule_of;
use crate::domain::series;

pub fn registry() -> JobRegistry<AppContext> {
    JobRegistry::new().register::<MaterialiseSeries>()
}

/// Makes a series' dates up to the horizon.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct MaterialiseSeries {
    pub event_id: i64,
}

impl Job for MaterialiseSeries {
    const JOB_TYPE: &'static str = "events.materialise_series";
    type Context = AppContext;

    async fn run(&self, ctx: &AppContext) -> Result<(), JobError> {
        let mut conn = ctx.db().get().await.map_err(JobError::failed)?;
        let now = Utc::now();
        let Some(event) = event_rows::by_id(&mut conn, self.event_id).await? else {
            return Ok(()); // deleted since
        };
        if !event.is_recurring() {
            return Ok(());
        }
        series::materialise(&mut conn, &event, now)
            .await
            .map_err(JobError::failed)?;
        if has_dates_beyond(&event, series::horizon(now)) {
            schedule_materialise(&mut conn, event.id, now)
                .await
                .map_err(JobError::failed)?;
        }
        Ok(())
    }
}

/// Whether the series goes on past `horizon` (open-ended, or its until/count not reached).
fn has_dates_beyond(event: &shared::models::events::Event, horizon: DateTime<Utc>) -> bool {
    let Some(rule) = rule_of(event) else {
        return false;
    };
    if rule.until.is_some_and(|u| u <= horizon) {
        return false;
    }
    match rule.count {
        Some(count) => series::instances_until(event, horizon).len() < count as usize,
        None => true,
    }
}

/// Queues the series' next run for a day after `now` (replacing a pending one).
pub async fn schedule_materialise(
    conn: &mut AsyncPgConnection,
    event_id: i64,
    now: DateTime<Utc>,
) -> Result<(), EnqueueError> {
    jobs::enqueue_with(
        conn,
        &MaterialiseSeries { event_id },
        Enqueue::default()
            .run_at(now + Duration::days(1))
            .dedupe(format!("event:{event_id}"), OnDuplicate::Replace),
    )
    .await
    .map(drop)
}
