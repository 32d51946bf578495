//! The events app's jobs: booking reminders, cancellation notices and the federated participant
//! count (below), and carrying each series' dates forward. A series is materialised up to
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
    JobRegistry::new()
        .register::<MaterialiseSeries>()
        .register::<SendReminder>()
        .register::<CancellationNotices>()
        .register::<FederateParticipants>()
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

/// How long before a date starts its bookings are reminded.
pub const REMINDER_BEFORE: Duration = Duration::hours(24);

/// Mails one booking's reminder, [`REMINDER_BEFORE`] the date starts. Queued when the booking
/// gets its place (booked, promoted from the waitlist, approved, a guest's confirmed), once per
/// booking (dedupe key); at run time it sends only for a booking that still holds its place and
/// was not reminded yet (`reminded_at`, set in the transaction that queues the mail), for a date
/// not begun; a date moved later puts the reminder off.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct SendReminder {
    pub booking_id: i64,
}

impl Job for SendReminder {
    const JOB_TYPE: &'static str = "events.booking_reminder";
    type Context = AppContext;

    async fn run(&self, ctx: &AppContext) -> Result<(), JobError> {
        use diesel_async::AsyncConnection;
        let mut conn = ctx.db().get().await.map_err(JobError::failed)?;
        let now = Utc::now();
        let site = ctx.url(shared::AppName::Events, "");
        let site = site.trim_end_matches('/').to_owned();
        let id = self.booking_id;
        conn.transaction::<(), JobError, _>(async |conn| {
            let Some(who) = crate::db::bookings::attendee(conn, id).await? else {
                return Ok(()); // the date was deleted since
            };
            // Remote participants have no address: their server reminds them, if anyone.
            if who.status != "booked" || who.reminded_at.is_some() || who.remote_actor.is_some() {
                return Ok(());
            }
            let Some(date) = crate::db::occurrences::by_plain_id(conn, who.occurrence_id).await?
            else {
                return Ok(());
            };
            let Some(event) = event_rows::by_id(conn, date.event_id).await? else {
                return Ok(());
            };
            if date.starts_at <= now || crate::domain::cancellations::is_off(&date, &event) {
                return Ok(()); // begun (too late for a reminder), or cancelled
            }
            if date.starts_at - REMINDER_BEFORE > now + Duration::minutes(5) {
                // Moved later since it was queued: come back then.
                return schedule_reminder(conn, id, date.starts_at, now)
                    .await
                    .map_err(JobError::failed);
            }
            if !crate::db::bookings::mark_reminded(conn, id).await? {
                return Ok(());
            }
            let mail = shared::infrastructure::mail::SendMail {
                to: who.email.clone(),
                subject: format!("Reminder: {}", date.title(&event)),
                body: format!(
                    "Hello {name},\n\na reminder that you have a place at\n\n  {what}\n\n\
                     {site}/events/{slug}\n\nIf you cannot come, please give your place back \
                     so someone on the waitlist gets it: {how}\n",
                    name = who.name,
                    what = crate::domain::bookings_describe(&event, &date),
                    slug = event.slug,
                    how = crate::domain::give_back_hint(&who, &site, &event.slug),
                ),
            };
            jobs::enqueue(conn, &mail).await.map_err(JobError::failed)?;
            Ok(())
        })
        .await
    }
}

/// Queues the booking's reminder for [`REMINDER_BEFORE`] its date starts (at once when that is
/// past already; none for a date begun). One per booking: a pending one is kept.
pub async fn schedule_reminder(
    conn: &mut AsyncPgConnection,
    booking_id: i64,
    starts_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<(), EnqueueError> {
    if starts_at <= now {
        return Ok(());
    }
    jobs::enqueue_with(
        conn,
        &SendReminder { booking_id },
        Enqueue::default()
            .run_at((starts_at - REMINDER_BEFORE).max(now))
            .dedupe(format!("reminder:{booking_id}"), OnDuplicate::Replace),
    )
    .await
    .map(drop)
}

/// Tells everyone holding a booking at a cancelled date (see `domain::cancellations`). Queued
/// in the cancellation's transaction, one pending per date; each booking is told once however
/// often it runs.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct CancellationNotices {
    pub occurrence_id: i64,
}

impl Job for CancellationNotices {
    const JOB_TYPE: &'static str = "events.cancellation_notices";
    type Context = AppContext;

    async fn run(&self, ctx: &AppContext) -> Result<(), JobError> {
        use diesel_async::AsyncConnection;
        let mut conn = ctx.db().get().await.map_err(JobError::failed)?;
        let config = ctx.config();
        conn.transaction::<usize, crate::domain::EventsError, _>(async |conn| {
            crate::domain::cancellations::notify(conn, config, self.occurrence_id).await
        })
        .await
        .map_err(JobError::failed)?;
        Ok(())
    }
}

pub async fn schedule_cancellation_notices(
    conn: &mut AsyncPgConnection,
    occurrence_id: i64,
) -> Result<(), EnqueueError> {
    jobs::enqueue_with(
        conn,
        &CancellationNotices { occurrence_id },
        Enqueue::default().dedupe(format!("cancelled:{occurrence_id}"), OnDuplicate::Keep),
    )
    .await
    .map(drop)
}

/// How long booking changes gather before `@events` sends the new participant count.
pub const PARTICIPANTS_EVERY: Duration = Duration::minutes(1);

/// Sends `@events`' followers an `Update` of a public Event with its current `participantCount`
/// after bookings changed (booked, given back, promoted), at most once a minute per event: each
/// change of a date's places queues this a minute ahead, one pending per event (later changes
/// join it; a change while it runs queues the next a minute on). An edit or cancellation of the
/// event carries the count itself and drops the pending one (`federate::change_to`).
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct FederateParticipants {
    pub event_id: i64,
}

impl FederateParticipants {
    pub fn key(event_id: i64) -> String {
        format!("participants:{event_id}")
    }
}

impl Job for FederateParticipants {
    const JOB_TYPE: &'static str = "events.federate_participants";
    type Context = AppContext;

    async fn run(&self, ctx: &AppContext) -> Result<(), JobError> {
        let mut conn = ctx.db().get().await.map_err(JobError::failed)?;
        let Some(event) = event_rows::by_id(&mut conn, self.event_id).await? else {
            return Ok(()); // deleted since
        };
        // Unlisted events do not federate; a cancelled one's count no longer matters.
        if !event.is_public() || event.status == "cancelled" {
            return Ok(());
        }
        crate::domain::federate::participants(&mut conn, ctx.config(), &event).await?;
        Ok(())
    }
}

/// Queues the event's participant count for [`PARTICIPANTS_EVERY`] from now, unless one is
/// pending already (in the caller's transaction: the change of places that calls for it).
pub async fn schedule_participants(
    conn: &mut AsyncPgConnection,
    event_id: i64,
) -> diesel::QueryResult<()> {
    let queued = jobs::enqueue_with(
        conn,
        &FederateParticipants { event_id },
        Enqueue::default()
            .run_at(Utc::now() + PARTICIPANTS_EVERY)
            .dedupe(FederateParticipants::key(event_id), OnDuplicate::Keep),
    )
    .await;
    match queued {
        Ok(_) => Ok(()),
        Err(EnqueueError::Db(e)) => Err(e),
        // Two integers always serialise; kept typed rather than unwrapped all the same.
        Err(e @ EnqueueError::Serialize(_)) => {
            Err(diesel::result::Error::SerializationError(Box::new(e)))
        }
    }
}
