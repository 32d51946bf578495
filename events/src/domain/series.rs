//! A series' dates as rows: made ahead up to [`HORIZON`] (the materialising job carries them
//! forward every day), and moved when the series is edited, from now on only.

use chrono::{DateTime, Duration, Utc};
use diesel_async::AsyncPgConnection;
use shared::models::events::{Event, Occurrence};

use super::EventsError;
use super::form::{rule_of, zone_of};
use super::recurrence;
use crate::db::events as event_rows;
use crate::db::occurrences::{self, NewOccurrence};

/// How far ahead a series' dates exist.
pub fn horizon(now: DateTime<Utc>) -> DateTime<Utc> {
    now + Duration::days(400)
}

/// The series' instances (UTC starts) from its current first date up to `to`.
pub fn instances_until(event: &Event, to: DateTime<Utc>) -> Vec<DateTime<Utc>> {
    let Some(rule) = rule_of(event) else {
        return vec![event.starts_at];
    };
    let tz = zone_of(event);
    let first_local = event.starts_at.with_timezone(&tz).naive_local();
    recurrence::instances(tz, first_local, &rule, event.starts_at, to)
}

fn duration(event: &Event) -> Option<Duration> {
    event.ends_at.map(|e| e - event.starts_at)
}

/// Makes the series' missing dates up to the horizon (existing ones, edited or removed, stay
/// as they are). Returns how many were added.
pub async fn materialise(
    conn: &mut AsyncPgConnection,
    event: &Event,
    now: DateTime<Utc>,
) -> Result<usize, EventsError> {
    let until = horizon(now);
    let length = duration(event);
    let rows: Vec<NewOccurrence> = instances_until(event, until)
        .into_iter()
        .map(|start| NewOccurrence {
            event_id: event.id,
            original_start: start,
            series_version: event.series_version,
            starts_at: start,
            ends_at: length.map(|d| start + d),
        })
        .collect();
    let added = occurrences::insert_missing(conn, &rows).await?;
    event_rows::set_materialised_until(conn, event.id, until).await?;
    Ok(added)
}

/// After a series' timing changed (rule, first date, times or zone), its dates from `now` on
/// follow the new rule: they are paired in order with the new instances (so a booking of
/// "the third session" stays with the third session), surplus dates go and missing ones are
/// made. A date edited on its own keeps its time. Past dates are left as they were.
pub async fn retime_future(
    conn: &mut AsyncPgConnection,
    event: &Event,
    existing: &[Occurrence],
    now: DateTime<Utc>,
) -> Result<(), EventsError> {
    let future: Vec<&Occurrence> = existing.iter().filter(|o| o.starts_at >= now).collect();
    let length = duration(event);
    // A series becoming a single event keeps one date: the event's own.
    let wanted: Vec<DateTime<Utc>> = if event.repeat_freq.is_none() {
        vec![event.starts_at]
    } else {
        instances_until(event, horizon(now))
            .into_iter()
            .filter(|s| *s >= now)
            .collect()
    };
    let ids: Vec<i64> = future.iter().map(|o| o.id).collect();
    occurrences::park(conn, &ids).await?;
    let mut surplus = Vec::new();
    for (i, o) in future.iter().enumerate() {
        match wanted.get(i) {
            Some(start) => {
                let times = (!o.detached).then(|| (*start, length.map(|d| *start + d)));
                occurrences::reassign(conn, o.id, *start, event.series_version, times).await?;
            }
            None => surplus.push(o.id),
        }
    }
    occurrences::delete(conn, &surplus).await?;
    let missing: Vec<NewOccurrence> = wanted
        .iter()
        .skip(future.len())
        .map(|start| NewOccurrence {
            event_id: event.id,
            original_start: *start,
            series_version: event.series_version,
            starts_at: *start,
            ends_at: length.map(|d| *start + d),
        })
        .collect();
    occurrences::insert_missing(conn, &missing).await?;
    event_rows::set_materialised_until(conn, event.id, horizon(now)).await?;
    Ok(())
}
