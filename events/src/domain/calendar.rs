//! The read side: which dates a visitor sees (public events only; an unlisted event is reached
//! by its link), as a list, an archive, a month or a week, filtered by calendar, tag and place;
//! and one event's page with its dates and, for a member, which of them they booked.

use chrono::{DateTime, Datelike, Days, Duration, Months, NaiveDate, Utc};
use shared::db::DbPool;
use shared::models::events::{Calendar as CalendarRow, Event, Occurrence, TicketType};

use super::form::zone_of;
use super::{Actor, EventsError};
use crate::db::occurrences::{self, Filter, Span};
use crate::db::{bookings, calendars, events as event_rows, tickets};

/// How many dates a list page shows.
pub const PAGE_SIZE: i64 = 50;
/// How many events the `upcoming` widget shows inside other apps' pages by default.
pub const WIDGET_SIZE: i64 = 4;
/// How many dates an event page lists.
const EVENT_DATES: i64 = 24;
/// Most events one feed carries.
const FEED_EVENTS: i64 = 2000;

/// What a listing filters by, as the visitor typed it (slugs and names).
#[derive(Debug, Clone, Default, serde::Deserialize, serde::Serialize)]
#[serde(default)]
pub struct Listing {
    pub calendar: String,
    pub tag: String,
    pub place: String,
}

pub struct Listed {
    pub dates: Vec<(Occurrence, Event)>,
    pub calendars: Vec<CalendarRow>,
    pub tags: Vec<String>,
    pub places: Vec<String>,
}

/// One day of a month or week view.
pub struct DayCell {
    pub date: NaiveDate,
    pub in_month: bool,
    pub dates: Vec<(Occurrence, Event)>,
}

pub struct MonthGrid {
    pub first: NaiveDate,
    pub weeks: Vec<Vec<DayCell>>,
}

pub struct EventPage {
    pub event: Event,
    pub calendar: Option<CalendarRow>,
    pub dates: Vec<Occurrence>,
    /// The viewer's live bookings among the dates: (date, status).
    pub booked: Vec<(i64, String)>,
    pub can_edit: bool,
    /// Who holds a place at each listed date (organisers only).
    pub attendees: Vec<(i64, Vec<String>)>,
    /// The listed dates' ticket types, and (for organisers) per type the tickets issued and
    /// checked in.
    pub ticket_types: Vec<TicketType>,
    pub ticket_counts: Vec<(i64, i64, i64)>,
}

/// The events app's reads over its pool. Each method takes a connection for its own queries
/// and hands it back before the caller renders.
pub struct Calendar<'a> {
    pool: &'a DbPool,
}

/// The local date a date falls on, on its event's own clock.
fn local_day(o: &Occurrence, e: &Event) -> NaiveDate {
    o.starts_at.with_timezone(&zone_of(e)).date_naive()
}

impl<'a> Calendar<'a> {
    pub fn new(pool: &'a DbPool) -> Self {
        Calendar { pool }
    }

    async fn filter(
        &self,
        conn: &mut diesel_async::AsyncPgConnection,
        listing: &Listing,
    ) -> Result<Filter, EventsError> {
        let calendar_id = match listing.calendar.trim() {
            "" => None,
            slug => Some(
                calendars::by_slug(conn, slug)
                    .await?
                    .ok_or(EventsError::NoSuchCalendar)?
                    .id,
            ),
        };
        let nonempty = |s: &str| {
            let s = s.trim();
            (!s.is_empty()).then(|| s.to_owned())
        };
        Ok(Filter {
            calendar_id,
            tag: nonempty(&listing.tag.to_lowercase()),
            place: nonempty(&listing.place),
        })
    }

    async fn listed(
        &self,
        listing: &Listing,
        span: Span,
        limit: i64,
        offset: i64,
    ) -> Result<Listed, EventsError> {
        let mut conn = self.pool.get().await?;
        let filter = self.filter(&mut conn, listing).await?;
        let dates = occurrences::listing(&mut conn, &filter, span, limit, offset).await?;
        let (tags, places) = event_rows::facets(&mut conn).await?;
        Ok(Listed {
            dates,
            calendars: calendars::all(&mut conn).await?,
            tags,
            places,
        })
    }

    /// Dates not over at `now`, soonest first.
    pub async fn upcoming(
        &self,
        listing: &Listing,
        now: DateTime<Utc>,
        page: i64,
    ) -> Result<Listed, EventsError> {
        self.listed(listing, Span::Upcoming(now), PAGE_SIZE, page * PAGE_SIZE)
            .await
    }

    /// The archive: dates over by `now`, latest first.
    pub async fn past(
        &self,
        listing: &Listing,
        now: DateTime<Utc>,
        page: i64,
    ) -> Result<Listed, EventsError> {
        self.listed(listing, Span::Past(now), PAGE_SIZE, page * PAGE_SIZE)
            .await
    }

    /// The widget: the next `limit` dates of public events (a calendar's, a tag's).
    pub async fn widget(
        &self,
        listing: &Listing,
        now: DateTime<Utc>,
        limit: i64,
    ) -> Result<Vec<(Occurrence, Event)>, EventsError> {
        let mut conn = self.pool.get().await?;
        let filter = self.filter(&mut conn, listing).await?;
        Ok(occurrences::listing(&mut conn, &filter, Span::Upcoming(now), limit, 0).await?)
    }

    /// Days `from`..`to` (exclusive) with the dates falling on each, on their events' clocks.
    async fn days(
        &self,
        listing: &Listing,
        from: NaiveDate,
        to: NaiveDate,
        month: Option<u32>,
    ) -> Result<(Vec<DayCell>, Listed), EventsError> {
        // Any zone is within 14 hours of UTC: look that much wider, then place by local day.
        let start = from
            .and_hms_opt(0, 0, 0)
            .map(|d| d.and_utc() - Duration::hours(14));
        let end = to
            .and_hms_opt(0, 0, 0)
            .map(|d| d.and_utc() + Duration::hours(14));
        let (Some(start), Some(end)) = (start, end) else {
            return Err(EventsError::Invalid("That date is out of range.".into()));
        };
        let listed = self
            .listed(listing, Span::Window(start, end), 2000, 0)
            .await?;
        let mut cells: Vec<DayCell> = Vec::new();
        let mut day = from;
        while day < to {
            cells.push(DayCell {
                date: day,
                in_month: month.is_none_or(|m| day.month() == m),
                dates: Vec::new(),
            });
            day = day
                .succ_opt()
                .ok_or_else(|| EventsError::Invalid("That date is out of range.".into()))?;
        }
        for (o, e) in &listed.dates {
            let d = local_day(o, e);
            if let Some(cell) = cells.iter_mut().find(|c| c.date == d) {
                cell.dates.push((o.clone(), e.clone()));
            }
        }
        Ok((cells, listed))
    }

    /// The month of `first` (its first day) as weeks from Monday.
    pub async fn month(
        &self,
        listing: &Listing,
        first: NaiveDate,
    ) -> Result<(MonthGrid, Listed), EventsError> {
        let out_of_range = || EventsError::Invalid("That month is out of range.".into());
        let start = first - Days::new(u64::from(first.weekday().num_days_from_monday()));
        let next_month = first
            .checked_add_months(Months::new(1))
            .ok_or_else(out_of_range)?;
        let last = next_month.pred_opt().ok_or_else(out_of_range)?;
        let end = last + Days::new(u64::from(7 - last.weekday().num_days_from_monday()));
        let (cells, listed) = self.days(listing, start, end, Some(first.month())).await?;
        let mut weeks = Vec::new();
        let mut week = Vec::new();
        for cell in cells {
            week.push(cell);
            if week.len() == 7 {
                weeks.push(std::mem::take(&mut week));
            }
        }
        Ok((MonthGrid { first, weeks }, listed))
    }

    /// The week starting on Monday `monday`.
    pub async fn week(
        &self,
        listing: &Listing,
        monday: NaiveDate,
    ) -> Result<(Vec<DayCell>, Listed), EventsError> {
        self.days(listing, monday, monday + Days::new(7), None)
            .await
    }

    /// One event by slug, past or future, with its dates; [`EventsError::Moved`] for a former
    /// slug, [`EventsError::NoSuchEvent`] when there is none.
    pub async fn event(
        &self,
        slug: &str,
        viewer: Option<Actor>,
        now: DateTime<Utc>,
    ) -> Result<EventPage, EventsError> {
        let mut conn = self.pool.get().await?;
        let Some(event) = event_rows::by_slug(&mut conn, slug).await? else {
            return Err(match event_rows::moved(&mut conn, slug).await? {
                Some(to) => EventsError::Moved(to),
                None => EventsError::NoSuchEvent,
            });
        };
        let all = occurrences::of_event(&mut conn, event.id).await?;
        // The dates still to come (or the last ones, for an event that is over).
        let upcoming: Vec<Occurrence> = all
            .iter()
            .filter(|o| !o.removed && o.ends_at.unwrap_or(o.starts_at) >= now)
            .take(EVENT_DATES as usize)
            .cloned()
            .collect();
        let dates = if upcoming.is_empty() {
            let past: Vec<Occurrence> = all.into_iter().filter(|o| !o.removed).collect();
            past[past.len().saturating_sub(3)..].to_vec()
        } else {
            upcoming
        };
        let ids: Vec<i64> = dates.iter().map(|o| o.id).collect();
        let (booked, can_edit) = match viewer {
            Some(v) => (
                bookings::booked_by(&mut conn, &ids, v.id).await?,
                v.admin || calendars::is_organiser(&mut conn, event.calendar_id, v.id).await?,
            ),
            None => (Vec::new(), false),
        };
        let mut attendees = Vec::new();
        if can_edit {
            for o in dates.iter().filter(|o| o.booked > 0) {
                attendees.push((o.id, bookings::attendees(&mut conn, o.id).await?));
            }
        }
        let ticket_types = tickets::types_of(&mut conn, &ids).await?;
        let ticket_counts = if can_edit {
            let type_ids: Vec<i64> = ticket_types.iter().map(|t| t.id).collect();
            tickets::counts(&mut conn, &type_ids).await?
        } else {
            Vec::new()
        };
        Ok(EventPage {
            calendar: calendars::by_id(&mut conn, event.calendar_id).await?,
            event,
            dates,
            booked,
            can_edit,
            attendees,
            ticket_types,
            ticket_counts,
        })
    }

    /// One event by slug, or `None` (the event card shows "no longer listed"), with its next
    /// date (or its last).
    pub async fn card(
        &self,
        slug: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<(Occurrence, Event)>, EventsError> {
        let mut conn = self.pool.get().await?;
        let Some(event) = event_rows::by_slug(&mut conn, slug).await? else {
            return Ok(None);
        };
        let all = occurrences::of_event(&mut conn, event.id).await?;
        let live: Vec<&Occurrence> = all.iter().filter(|o| !o.removed).collect();
        let next = live
            .iter()
            .find(|o| o.ends_at.unwrap_or(o.starts_at) >= now)
            .or(live.last())
            .map(|o| (*o).clone());
        Ok(next.map(|o| (o, event)))
    }

    /// The events a feed carries, each with all its dates: public ones matching `listing`.
    pub async fn feed(
        &self,
        listing: &Listing,
    ) -> Result<Vec<(Event, Vec<Occurrence>)>, EventsError> {
        let mut conn = self.pool.get().await?;
        let filter = self.filter(&mut conn, listing).await?;
        let events = event_rows::public(&mut conn, &filter, FEED_EVENTS).await?;
        let ids: Vec<i64> = events.iter().map(|e| e.id).collect();
        let mut by_event: std::collections::HashMap<i64, Vec<Occurrence>> =
            std::collections::HashMap::new();
        for o in occurrences::of_events(&mut conn, &ids).await? {
            by_event.entry(o.event_id).or_default().push(o);
        }
        Ok(events
            .into_iter()
            .map(|e| {
                let dates = by_event.remove(&e.id).unwrap_or_default();
                (e, dates)
            })
            .collect())
    }

    /// One event (unlisted ones too: the link is the key) with all its dates, for its feed.
    pub async fn event_feed(&self, slug: &str) -> Result<(Event, Vec<Occurrence>), EventsError> {
        let mut conn = self.pool.get().await?;
        let event = event_rows::by_slug(&mut conn, slug)
            .await?
            .ok_or(EventsError::NoSuchEvent)?;
        let dates = occurrences::of_event(&mut conn, event.id).await?;
        Ok((event, dates))
    }

    pub async fn calendars(&self) -> Result<Vec<CalendarRow>, EventsError> {
        let mut conn = self.pool.get().await?;
        Ok(calendars::all(&mut conn).await?)
    }

    /// A calendar and its organisers' names.
    pub async fn calendar(&self, slug: &str) -> Result<(CalendarRow, Vec<String>), EventsError> {
        let mut conn = self.pool.get().await?;
        let calendar = calendars::by_slug(&mut conn, slug)
            .await?
            .ok_or(EventsError::NoSuchCalendar)?;
        let names = calendars::organiser_names(&mut conn, calendar.id).await?;
        Ok((calendar, names))
    }
}
