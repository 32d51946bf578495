//! Telling people that a date they booked was cancelled (the date on its own, or with its whole
//! event): the cancelling transaction queues one notice job per date still to come, and the job
//! mails every member and guest holding a place, a waitlist spot or a request there, through the
//! mail queue, marking each booking told in the same transaction, so a job run again (a retry, a
//! second cancellation) mails nobody twice. Remote participants have no address: the federated
//! `Update` that says the event is cancelled is addressed to them as well as to the followers.
//! Bookings are left as they are, so a date taken back into the programme keeps them. Deleting
//! an event takes its bookings with it, so its people are mailed in the deletion's transaction.

use chrono::{DateTime, Utc};
use diesel_async::AsyncPgConnection;
use shared::infrastructure::mail::SendMail;
use shared::models::events::{Event, Occurrence};

use super::EventsError;
use super::bookings::{describe, site_of};
use crate::db::{events as event_rows, notices, occurrences};
use crate::jobs;

/// Whether the date is off: cancelled (on its own or with its event) or taken out of the series.
pub fn is_off(date: &Occurrence, event: &Event) -> bool {
    date.removed || date.status(event) == "cancelled"
}

/// Queues the notices of the dates just cancelled (those still to come) in the caller's
/// transaction, and names the remote participants holding bookings there, for the `Update`.
pub(crate) async fn announce(
    conn: &mut AsyncPgConnection,
    dates: &[&Occurrence],
    now: DateTime<Utc>,
) -> Result<Vec<String>, EventsError> {
    let coming: Vec<i64> = dates
        .iter()
        .filter(|d| d.starts_at > now)
        .map(|d| d.id)
        .collect();
    for &id in &coming {
        jobs::schedule_cancellation_notices(conn, id).await?;
    }
    let mut remote = notices::remote_participants(conn, &coming).await?;
    remote.sort();
    Ok(remote)
}

/// Mails everyone not told yet of the date's cancellation (in the caller's transaction); how
/// many. Nothing when the date was taken back into the programme since, or has begun.
pub async fn notify(
    conn: &mut AsyncPgConnection,
    config: &shared::config::Config,
    occurrence_id: i64,
) -> Result<usize, EventsError> {
    let Some(date) = occurrences::by_plain_id(conn, occurrence_id).await? else {
        return Ok(0); // deleted since, with its bookings
    };
    let Some(event) = event_rows::by_id(conn, date.event_id).await? else {
        return Ok(0);
    };
    if !is_off(&date, &event) || date.starts_at <= Utc::now() {
        return Ok(0);
    }
    mail_told(conn, config, &event, &date).await
}

/// Mails now, in the caller's transaction, everyone booked at the dates still to come of an
/// event about to be deleted (its bookings go with it, so no job could find them later);
/// dates cancelled before were told then. How many.
pub async fn notify_deleted(
    conn: &mut AsyncPgConnection,
    config: &shared::config::Config,
    event: &Event,
) -> Result<usize, EventsError> {
    let now = Utc::now();
    let mut told = 0;
    for date in occurrences::of_event(conn, event.id).await? {
        if date.starts_at > now && !is_off(&date, event) {
            told += mail_told(conn, config, event, &date).await?;
        }
    }
    Ok(told)
}

/// Marks the date's bookings told and queues their mails (see the module's notes).
async fn mail_told(
    conn: &mut AsyncPgConnection,
    config: &shared::config::Config,
    event: &Event,
    date: &Occurrence,
) -> Result<usize, EventsError> {
    let site = site_of(config);
    let what = describe(event, date);
    let mails: Vec<SendMail> = notices::claim_cancelled(conn, date.id)
        .await?
        .into_iter()
        .map(|who| {
            let held = match who.status.as_str() {
                "booked" => "a place",
                "waitlisted" => "a place on the waitlist",
                _ => "a booking awaiting the organisers' approval",
            };
            SendMail {
                to: who.email,
                subject: format!("Cancelled: {}", date.title(event)),
                body: format!(
                    "Hello {name},\n\nthe organisers have cancelled\n\n  {what}\n\nYou had \
                     {held} there. There is nothing you need to do.\n\n{site}/events/{slug}\n",
                    name = who.name,
                    slug = event.slug,
                ),
            }
        })
        .collect();
    if !mails.is_empty() {
        shared::jobs::enqueue_many(conn, &mails).await?;
    }
    Ok(mails.len())
}
