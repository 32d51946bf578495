//! The write side: administrators make calendars and name their organisers; organisers (and
//! administrators) create, edit, cancel and delete the calendar's events and edit or cancel
//! single dates of a series. Anyone else is refused ([`EventsError::NotOrganiser`], a 403) and
//! nothing changes. Every change runs in one transaction with the job that carries a series
//! forward.

use chrono::{DateTime, Utc};
use diesel_async::{AsyncConnection, AsyncPgConnection};
use shared::config::Config;
use shared::db::DbPool;
use shared::models::events::{Calendar, Event, Occurrence};

use super::cancellations::{self, is_off};
use super::form::{CalendarForm, DateForm, EventForm, EventInput, times, zone_of};
use super::{Actor, EventsError, federate, series, user_fixable};
use crate::db::calendars::{self, CalendarFields};
use crate::db::events as event_rows;
use crate::db::occurrences::{self, OccurrenceEdit};
use crate::jobs;

pub struct Organiser<'a> {
    pool: &'a DbPool,
}

async fn may_organise(
    conn: &mut AsyncPgConnection,
    calendar_id: i64,
    actor: Actor,
) -> Result<bool, EventsError> {
    Ok(actor.admin || calendars::is_organiser(conn, calendar_id, actor.id).await?)
}

/// The calendar a form names, if the actor may add events to it.
async fn target_calendar(
    conn: &mut AsyncPgConnection,
    slug: &str,
    actor: Actor,
) -> Result<Calendar, EventsError> {
    let calendar = calendars::by_slug(conn, slug.trim())
        .await?
        .ok_or_else(|| EventsError::Invalid("Choose one of your calendars.".into()))?;
    if !may_organise(conn, calendar.id, actor).await? {
        return Err(EventsError::NotOrganiser);
    }
    Ok(calendar)
}

async fn editable(
    conn: &mut AsyncPgConnection,
    slug: &str,
    actor: Actor,
) -> Result<Event, EventsError> {
    let event = event_rows::by_slug(conn, slug)
        .await?
        .ok_or(EventsError::NoSuchEvent)?;
    if !may_organise(conn, event.calendar_id, actor).await? {
        return Err(EventsError::NotOrganiser);
    }
    Ok(event)
}

/// A new slug must not be a former slug of another event (it would steal its redirect).
async fn check_slug(
    conn: &mut AsyncPgConnection,
    slug: &str,
    event: Option<i64>,
) -> Result<(), EventsError> {
    if event_rows::slug_in_history(conn, slug, event).await? {
        return Err(EventsError::Taken(slug.to_owned()));
    }
    Ok(())
}

/// Whether an edit moves the series' dates (rather than only what they say).
fn timing_changed(old: &Event, new: &EventInput) -> bool {
    let f = &new.fields;
    old.starts_at != f.starts_at
        || old.ends_at != f.ends_at
        || old.time_zone != f.time_zone
        || old.repeat_freq != f.repeat_freq
        || old.repeat_interval != f.repeat_interval
        || old.repeat_ordinal != f.repeat_ordinal
        || old.repeat_until != f.repeat_until
        || old.repeat_count != f.repeat_count
}

impl<'a> Organiser<'a> {
    pub fn new(pool: &'a DbPool) -> Self {
        Organiser { pool }
    }

    /// Calendars the actor may add events to.
    pub async fn my_calendars(&self, actor: Actor) -> Result<Vec<Calendar>, EventsError> {
        let mut conn = self.pool.get().await?;
        let all = calendars::all(&mut conn).await?;
        if actor.admin {
            return Ok(all);
        }
        let mine = calendars::organised_by(&mut conn, actor.id).await?;
        Ok(all.into_iter().filter(|c| mine.contains(&c.id)).collect())
    }

    /// The event, if the actor may edit it.
    pub async fn editable(&self, slug: &str, actor: Actor) -> Result<Event, EventsError> {
        let mut conn = self.pool.get().await?;
        editable(&mut conn, slug, actor).await
    }

    /// An event's date, if the actor may edit the event.
    pub async fn editable_date(
        &self,
        slug: &str,
        id: i64,
        actor: Actor,
    ) -> Result<(Event, Occurrence), EventsError> {
        let mut conn = self.pool.get().await?;
        let event = editable(&mut conn, slug, actor).await?;
        let date = occurrences::by_id(&mut conn, event.id, id)
            .await?
            .ok_or(EventsError::NoSuchDate)?;
        Ok((event, date))
    }

    /// Creates the event; a public one is sent to `@events`' followers (`Create`).
    pub async fn create(
        &self,
        actor: Actor,
        form: &EventForm,
        config: &Config,
    ) -> Result<Event, EventsError> {
        let mut conn = self.pool.get().await?;
        let calendar = target_calendar(&mut conn, &form.calendar, actor).await?;
        let input = form.parse(calendar.id)?;
        let now = Utc::now();
        conn.transaction(async |conn| {
            check_slug(conn, &input.fields.slug, None).await?;
            let event = event_rows::insert_fields(conn, &input.fields)
                .await
                .map_err(user_fixable(&input.fields.slug))?;
            series::materialise(conn, &event, now).await?;
            jobs::schedule_materialise(conn, event.id, now).await?;
            federate::change(conn, config, None, &event).await?;
            Ok(event)
        })
        .await
    }

    /// Edits the event. For a series, dates already past keep their times, title and place;
    /// dates from now on follow the edit (a date edited on its own keeps its time). Followers
    /// of `@events` hear of it (`Update`, or `Create`/`Delete` when its visibility changes).
    pub async fn update(
        &self,
        actor: Actor,
        slug: &str,
        form: &EventForm,
        config: &Config,
    ) -> Result<Event, EventsError> {
        let mut conn = self.pool.get().await?;
        let old = editable(&mut conn, slug, actor).await?;
        // Moving an event to another calendar needs the right to organise that one too.
        let calendar_id = if form.calendar.trim().is_empty() {
            old.calendar_id
        } else {
            target_calendar(&mut conn, &form.calendar, actor).await?.id
        };
        let mut input = form.parse(calendar_id)?;
        let now = Utc::now();
        conn.transaction(async |conn| {
            {
                let old = event_rows::lock(conn, old.id)
                    .await?
                    .ok_or(EventsError::NoSuchEvent)?;
                if input.fields.slug != old.slug {
                    check_slug(conn, &input.fields.slug, Some(old.id)).await?;
                }
                let existing = occurrences::of_event(conn, old.id).await?;
                let has_past = existing.iter().any(|o| o.starts_at < now);
                let retime = timing_changed(&old, &input);
                let series = old.is_recurring() || input.rule.is_some();
                // A series edited after it began starts a new version from its next date:
                // its first instance from now on, with what is left of its count.
                let new_version = retime && series && has_past;
                if new_version && input.rule.is_some() {
                    rebase(&mut input, &existing, now);
                }
                occurrences::freeze_past(conn, &old, now).await?;
                let event = event_rows::update_fields(conn, old.id, &input.fields, new_version)
                    .await
                    .map_err(user_fixable(&input.fields.slug))?;
                if event.slug != old.slug {
                    event_rows::remember_slug(conn, event.id, &old.slug, &event.slug).await?;
                }
                if retime {
                    if series {
                        series::retime_future(conn, &event, &existing, now).await?;
                    } else {
                        occurrences::retime_single(conn, &event).await?;
                    }
                }
                if event.is_recurring() {
                    series::materialise(conn, &event, now).await?;
                    jobs::schedule_materialise(conn, event.id, now).await?;
                }
                if capacity_raised(old.capacity, event.capacity) {
                    // New places go to whoever waits, in order, on each date still to come.
                    for date in occurrences::of_event(conn, event.id).await? {
                        if date.starts_at > now {
                            super::bookings::promote(conn, config, &event, &date).await?;
                        }
                    }
                }
                // Cancelled through the form: as the Cancel button does (below).
                let remote = if old.status != "cancelled" && event.status == "cancelled" {
                    let dates = occurrences::of_event(conn, event.id).await?;
                    let newly: Vec<&Occurrence> =
                        dates.iter().filter(|d| !is_off(d, &old)).collect();
                    cancellations::announce(conn, &newly, now).await?
                } else {
                    Vec::new()
                };
                federate::change_to(conn, config, Some(old.is_public()), &event, &remote).await?;
                Ok(event)
            }
        })
        .await
    }

    /// Cancels the event (every date shows it; feeds say `STATUS:CANCELLED`); it stays listed.
    /// Whoever is booked at a date still to come is told (by mail, or for a remote participant
    /// by the `Update` with the cancelled status that a public event's followers get).
    pub async fn cancel(
        &self,
        actor: Actor,
        slug: &str,
        config: &Config,
    ) -> Result<Event, EventsError> {
        let mut conn = self.pool.get().await?;
        let event = editable(&mut conn, slug, actor).await?;
        let now = Utc::now();
        conn.transaction(async |conn| {
            let cancelled = event_rows::set_status(conn, event.id, "cancelled").await?;
            let dates = occurrences::of_event(conn, event.id).await?;
            let newly: Vec<&Occurrence> = dates.iter().filter(|d| !is_off(d, &event)).collect();
            let remote = cancellations::announce(conn, &newly, now).await?;
            federate::change_to(conn, config, Some(event.is_public()), &cancelled, &remote).await?;
            Ok(cancelled)
        })
        .await
    }

    /// Deletes the event, its dates and their bookings (those booked at dates to come are
    /// mailed; a public one's followers get `Delete`).
    pub async fn delete(
        &self,
        actor: Actor,
        slug: &str,
        config: &Config,
    ) -> Result<(), EventsError> {
        let mut conn = self.pool.get().await?;
        let event = editable(&mut conn, slug, actor).await?;
        conn.transaction::<(), EventsError, _>(async |conn| {
            cancellations::notify_deleted(conn, config, &event).await?;
            federate::deleted(conn, config, &event).await?;
            event_rows::delete(conn, event.id).await?;
            Ok(())
        })
        .await
    }

    /// Edits one date of an event on its own: its time, title, place or status, or takes it out
    /// of the series. Later edits of the series leave its time alone.
    pub async fn edit_date(
        &self,
        actor: Actor,
        slug: &str,
        id: i64,
        form: &DateForm,
        config: &Config,
    ) -> Result<(Event, Occurrence), EventsError> {
        let (event, date) = self.editable_date(slug, id, actor).await?;
        let tz = zone_of(&event);
        let super::form::Times {
            starts_at, ends_at, ..
        } = times(tz, &form.date, &form.start_time, &form.end_time)?;
        let status = match form.status.trim() {
            "" => None,
            s @ ("confirmed" | "tentative" | "cancelled") => Some(s.to_owned()),
            _ => {
                return Err(EventsError::Invalid(
                    "The status must be confirmed, tentative or cancelled.".into(),
                ));
            }
        };
        let title = form.title.trim();
        if title.chars().count() > super::form::MAX_TITLE {
            return Err(EventsError::Invalid(
                "The title is at most 200 characters.".into(),
            ));
        }
        let location = form.location.trim();
        let edit = OccurrenceEdit {
            starts_at,
            ends_at,
            title: (!title.is_empty() && title != event.title).then(|| title.to_owned()),
            location: (!location.is_empty() && location != event.location)
                .then(|| location.to_owned()),
            status,
            removed: form.removed == "on",
        };
        let mut conn = self.pool.get().await?;
        let updated = conn
            .transaction::<Occurrence, EventsError, _>(async |conn| {
                let updated = occurrences::edit(conn, date.id, &edit)
                    .await
                    .map_err(user_fixable("that date"))?;
                // Cancelled or taken out: whoever is booked there is told.
                let remote = if !is_off(&date, &event) && is_off(&updated, &event) {
                    cancellations::announce(conn, &[&updated], Utc::now()).await?
                } else {
                    Vec::new()
                };
                // The Event carries its next date's times, title and place.
                federate::change_to(conn, config, Some(event.is_public()), &event, &remote).await?;
                Ok(updated)
            })
            .await?;
        Ok((event, updated))
    }

    pub async fn create_calendar(
        &self,
        actor: Actor,
        form: &CalendarForm,
    ) -> Result<Calendar, EventsError> {
        if !actor.admin {
            return Err(EventsError::NotAdmin);
        }
        let (name, slug, description, organisers) = form.checked()?;
        let mut conn = self.pool.get().await?;
        conn.transaction(async |conn| {
            let fields = CalendarFields {
                slug: &slug,
                name: &name,
                description: &description,
            };
            let calendar = calendars::insert(conn, &fields)
                .await
                .map_err(user_fixable(&slug))?;
            set_organisers(conn, calendar.id, &organisers).await?;
            Ok(calendar)
        })
        .await
    }

    pub async fn update_calendar(
        &self,
        actor: Actor,
        slug: &str,
        form: &CalendarForm,
    ) -> Result<Calendar, EventsError> {
        if !actor.admin {
            return Err(EventsError::NotAdmin);
        }
        let (name, new_slug, description, organisers) = form.checked()?;
        let mut conn = self.pool.get().await?;
        let calendar = calendars::by_slug(&mut conn, slug)
            .await?
            .ok_or(EventsError::NoSuchCalendar)?;
        conn.transaction(async |conn| {
            let fields = CalendarFields {
                slug: &new_slug,
                name: &name,
                description: &description,
            };
            let calendar = calendars::update(conn, calendar.id, &fields)
                .await
                .map_err(user_fixable(&new_slug))?;
            set_organisers(conn, calendar.id, &organisers).await?;
            Ok(calendar)
        })
        .await
    }

    /// The calendar with its organisers' names, for its edit form (administrators only).
    pub async fn editable_calendar(
        &self,
        actor: Actor,
        slug: &str,
    ) -> Result<(Calendar, Vec<String>), EventsError> {
        if !actor.admin {
            return Err(EventsError::NotAdmin);
        }
        let mut conn = self.pool.get().await?;
        let calendar = calendars::by_slug(&mut conn, slug)
            .await?
            .ok_or(EventsError::NoSuchCalendar)?;
        let names = calendars::organiser_names(&mut conn, calendar.id).await?;
        Ok((calendar, names))
    }
}

/// Names every organiser or refuses the lot (an unknown username is a 400, nothing saved).
/// Whether an edit gives the event more places (`None` is no limit).
fn capacity_raised(before: Option<i32>, after: Option<i32>) -> bool {
    match (before, after) {
        (Some(before), Some(after)) => after > before,
        (Some(_), None) => true,
        (None, _) => false,
    }
}

async fn set_organisers(
    conn: &mut AsyncPgConnection,
    calendar_id: i64,
    names: &[String],
) -> Result<(), EventsError> {
    let found = calendars::user_ids(conn, names).await?;
    if let Some(missing) = names.iter().find(|n| !found.iter().any(|(_, u)| u == *n)) {
        return Err(EventsError::Invalid(format!(
            "There is no member “{missing}”."
        )));
    }
    let ids: Vec<i64> = found.into_iter().map(|(id, _)| id).collect();
    calendars::set_organisers(conn, calendar_id, &ids).await?;
    Ok(())
}

/// A series edited after it began: its first date becomes the new rule's first instance from
/// `now` on (same wall-clock time), and its count what is left after the dates already held.
fn rebase(input: &mut EventInput, existing: &[Occurrence], now: DateTime<Utc>) {
    let Some(rule) = input.rule else { return };
    let past = existing
        .iter()
        .filter(|o| o.starts_at < now && !o.removed)
        .count() as u32;
    let length = input.fields.ends_at.map(|e| e - input.fields.starts_at);
    let all = super::recurrence::instances(
        input.tz,
        input.first_local,
        &super::recurrence::Rule {
            count: None,
            ..rule
        },
        input.fields.starts_at,
        series::horizon(now),
    );
    let Some(next) = all.iter().find(|s| **s >= now).copied() else {
        return;
    };
    input.fields.starts_at = next;
    input.fields.ends_at = length.map(|d| next + d);
    input.first_local = next.with_timezone(&input.tz).naive_local();
    if let Some(count) = rule.count {
        let left = count.saturating_sub(past).max(1);
        input.fields.repeat_count = Some(left as i32);
        input.rule = Some(super::recurrence::Rule {
            count: Some(left),
            ..rule
        });
    }
}
