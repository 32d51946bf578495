//! Typed views: what each template receives. A template's variables are the fields of one
//! struct here, so a renamed field is a compile error in the handler, not a blank in the page.

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use serde::Serialize;
use shared::AppError;
use shared::models::events::{Calendar as CalendarRow, Event, MemberBooking, Occurrence};

use crate::db::tickets::Admission;
use crate::domain::form::{CalendarForm, DateForm, EventForm, rule_of};
use crate::domain::{DayCell, EventPage as EventData, Listing, recurrence};
use crate::month::Month;

/// One date of an event as lists show it (times as RFC 3339 for the `datetime` filter, shown
/// on the event's own clock).
#[derive(Debug, Serialize)]
pub struct DateView {
    pub id: i64,
    pub slug: String,
    pub title: String,
    pub location: String,
    pub starts_at: String,
    pub ends_at: Option<String>,
    pub time_zone: String,
    pub status: String,
    pub recurring: bool,
    pub online: bool,
}

impl DateView {
    pub fn new(o: &Occurrence, e: &Event) -> Self {
        DateView {
            id: o.id,
            slug: e.slug.clone(),
            title: o.title(e).to_owned(),
            location: o.location(e).to_owned(),
            starts_at: o.starts_at.to_rfc3339(),
            ends_at: o.ends_at.map(|t| t.to_rfc3339()),
            time_zone: e.time_zone.clone(),
            status: o.status(e).to_owned(),
            recurring: e.is_recurring(),
            online: e.online_url.is_some(),
        }
    }
}

pub fn dates(rows: &[(Occurrence, Event)]) -> Vec<DateView> {
    rows.iter().map(|(o, e)| DateView::new(o, e)).collect()
}

#[derive(Debug, Clone, Serialize)]
pub struct CalendarRef {
    pub slug: String,
    pub name: String,
    pub description: String,
}

impl From<&CalendarRow> for CalendarRef {
    fn from(c: &CalendarRow) -> Self {
        CalendarRef {
            slug: c.slug.clone(),
            name: c.name.clone(),
            description: c.description.clone(),
        }
    }
}

/// The filters and their choices, shared by every listing.
#[derive(Debug, Serialize)]
pub struct Filters<'a> {
    pub current: &'a Listing,
    pub calendars: Vec<CalendarRef>,
    pub tags: &'a [String],
    pub places: &'a [String],
    /// The filter as a query string (`calendar=x&tag=y`), for links between views.
    pub query: String,
}

impl<'a> Filters<'a> {
    pub fn new(
        current: &'a Listing,
        calendars: &[CalendarRow],
        tags: &'a [String],
        places: &'a [String],
    ) -> Self {
        Filters {
            current,
            calendars: calendars.iter().map(CalendarRef::from).collect(),
            tags,
            places,
            query: query(current),
        }
    }
}

/// The non-empty filters as a query string.
pub fn query(l: &Listing) -> String {
    let pairs: Vec<(&str, &str)> = [
        ("calendar", l.calendar.as_str()),
        ("tag", l.tag.as_str()),
        ("place", l.place.as_str()),
    ]
    .into_iter()
    .filter(|(_, v)| !v.trim().is_empty())
    .collect();
    serde_urlencoded::to_string(pairs).unwrap_or_default()
}

/// Feed addresses: https for downloading, webcal:// for subscribing.
#[derive(Debug, Serialize)]
pub struct FeedLinks {
    pub https: String,
    pub webcal: String,
}

impl FeedLinks {
    pub fn new(url: String) -> Self {
        let webcal = match url.split_once("://") {
            Some((_, rest)) => format!("webcal://{rest}"),
            None => url.clone(),
        };
        FeedLinks { https: url, webcal }
    }
}

/// `index.html`: the list of dates to come, or the archive.
#[derive(Debug, Serialize)]
pub struct ListPage<'a> {
    pub heading: &'a str,
    pub past: bool,
    pub events: Vec<DateView>,
    pub filters: Filters<'a>,
    pub page: i64,
    pub next_page: Option<i64>,
    pub can_create: bool,
    pub feed: FeedLinks,
}

#[derive(Debug, Serialize)]
pub struct DayView {
    pub date: String,
    pub day: u32,
    pub weekday: String,
    pub in_month: bool,
    pub today: bool,
    pub events: Vec<DateView>,
}

impl DayView {
    fn new(c: &DayCell, today: NaiveDate) -> Self {
        DayView {
            date: c.date.format("%Y-%m-%d").to_string(),
            day: c.date.day(),
            weekday: c.date.format("%A").to_string(),
            in_month: c.in_month,
            today: c.date == today,
            events: dates(&c.dates),
        }
    }
}

/// `month.html` and the `calendar-month` fragment.
#[derive(Debug, Serialize)]
pub struct MonthPage<'a> {
    pub label: String,
    pub month: String,
    pub prev: String,
    pub next: String,
    /// The grid's HTML, written by [`Month::grid_html`].
    pub grid: String,
    pub filters: Filters<'a>,
    pub events_url: String,
}

impl<'a> MonthPage<'a> {
    /// `events_url` is where the grid's dates link (`/` on the events app's own page).
    pub fn new(
        month: &'a Month,
        listing: &'a Listing,
        today: NaiveDate,
        events_url: String,
        links_to: &str,
    ) -> Self {
        let first = month.first;
        let prev = first
            .checked_sub_months(chrono::Months::new(1))
            .unwrap_or(first);
        let next = first
            .checked_add_months(chrono::Months::new(1))
            .unwrap_or(first);
        MonthPage {
            label: first.format("%B %Y").to_string(),
            month: first.format("%Y-%m").to_string(),
            prev: prev.format("%Y-%m").to_string(),
            next: next.format("%Y-%m").to_string(),
            grid: month.grid_html(today, links_to),
            filters: Filters {
                current: listing,
                calendars: month.calendars.clone(),
                tags: &month.tags,
                places: &month.places,
                query: query(listing),
            },
            events_url,
        }
    }
}

/// `week.html`.
#[derive(Debug, Serialize)]
pub struct WeekPage<'a> {
    pub label: String,
    pub prev: String,
    pub next: String,
    pub days: Vec<DayView>,
    pub filters: Filters<'a>,
}

impl<'a> WeekPage<'a> {
    pub fn new(
        monday: NaiveDate,
        cells: &[DayCell],
        filters: Filters<'a>,
        today: NaiveDate,
    ) -> Self {
        WeekPage {
            label: format!("Week of {}", monday.format("%e %B %Y").to_string().trim()),
            prev: (monday - chrono::Days::new(7))
                .format("%Y-%m-%d")
                .to_string(),
            next: (monday + chrono::Days::new(7))
                .format("%Y-%m-%d")
                .to_string(),
            days: cells.iter().map(|c| DayView::new(c, today)).collect(),
            filters,
        }
    }
}

/// One date on an event page, with the viewer's booking and (for organisers) who comes.
#[derive(Debug, Serialize)]
pub struct EventDate {
    #[serde(flatten)]
    pub date: DateView,
    pub booked: i32,
    pub places_left: Option<i32>,
    pub is_booked: bool,
    /// The viewer's booking: `booked`, `waitlisted`, `pending` or none.
    pub my_status: Option<String>,
    pub past: bool,
    pub attendees: Vec<String>,
    pub tickets: Vec<TicketTypeView>,
}

/// A ticket type on its date's line: what it costs, whether it can be bought now, and (for
/// organisers) how many are sold and in.
#[derive(Debug, Serialize)]
pub struct TicketTypeView {
    pub id: i64,
    pub name: String,
    pub price: String,
    pub left: i32,
    pub on_sale: bool,
    /// Not on sale yet (its sales start later).
    pub opens: Option<String>,
    pub issued: i64,
    pub checked_in: i64,
    /// The organisers' edit form's current values: price as typed (`12.50 GBP`), quantity,
    /// sales window on the event's clock (`YYYY-MM-DDTHH:MM`, or empty).
    pub price_input: String,
    pub quantity: i32,
    pub sales_start_input: String,
    pub sales_end_input: String,
}

/// The event itself, as its page shows it.
#[derive(Debug, Serialize)]
pub struct EventView {
    pub slug: String,
    pub title: String,
    pub description_html: String,
    pub location: String,
    pub address: String,
    pub online_url: Option<String>,
    pub image_url: Option<String>,
    pub starts_at: String,
    pub ends_at: Option<String>,
    pub time_zone: String,
    pub capacity: Option<i32>,
    pub status: String,
    pub visibility: String,
    pub tags: Vec<String>,
    pub repeats: Option<String>,
    pub approval_required: bool,
}

impl EventView {
    pub fn new(e: &Event) -> Self {
        let tz = crate::domain::form::zone_of(e);
        EventView {
            slug: e.slug.clone(),
            title: e.title.clone(),
            description_html: shared::infrastructure::markdown::markdown(&e.description),
            location: e.location.clone(),
            address: e.place_address.clone(),
            online_url: e.online_url.clone(),
            image_url: e.image_url.clone(),
            starts_at: e.starts_at.to_rfc3339(),
            ends_at: e.ends_at.map(|t| t.to_rfc3339()),
            time_zone: e.time_zone.clone(),
            capacity: e.capacity,
            status: e.status.clone(),
            visibility: e.visibility.clone(),
            tags: e.tags.clone(),
            repeats: rule_of(e)
                .map(|r| recurrence::describe(&r, e.starts_at.with_timezone(&tz).naive_local())),
            approval_required: e.approval_required,
        }
    }
}

/// `event.html`.
#[derive(Debug, Serialize)]
pub struct EventPage {
    pub event: EventView,
    pub calendar: Option<CalendarRef>,
    pub dates: Vec<EventDate>,
    pub can_edit: bool,
    pub signed_in: bool,
    pub feed: FeedLinks,
    /// Where a ticket's buy form posts (the cart's add-to-cart).
    pub add_to_cart: String,
}

fn ticket_views(data: &EventData, o: &Occurrence, now: DateTime<Utc>) -> Vec<TicketTypeView> {
    data.ticket_types
        .iter()
        .filter(|t| t.occurrence_id == o.id)
        .map(|t| {
            let (issued, checked_in) = data
                .ticket_counts
                .iter()
                .find(|(id, ..)| *id == t.id)
                .map_or((0, 0), |(_, i, c)| (*i, *c));
            TicketTypeView {
                id: t.id,
                name: t.name.clone(),
                price: t.price().to_string(),
                left: t.available.max(0),
                on_sale: t.available > 0 && t.on_sale(o, &data.event, now),
                opens: t.sales_start.filter(|s| *s > now).map(|s| s.to_rfc3339()),
                issued,
                checked_in,
                price_input: format!(
                    "{}.{:02} {}",
                    t.price_cents / 100,
                    t.price_cents % 100,
                    t.currency
                ),
                quantity: t.quantity,
                sales_start_input: local_input(t.sales_start, &data.event),
                sales_end_input: local_input(t.sales_end, &data.event),
            }
        })
        .collect()
}

/// An instant as a `datetime-local` field shows it, on the event's clock (empty for none).
fn local_input(at: Option<DateTime<Utc>>, event: &Event) -> String {
    at.map(|t| {
        t.with_timezone(&crate::domain::form::zone_of(event))
            .format("%Y-%m-%dT%H:%M")
            .to_string()
    })
    .unwrap_or_default()
}

impl EventPage {
    pub fn new(
        data: &EventData,
        signed_in: bool,
        feed: FeedLinks,
        add_to_cart: String,
        now: DateTime<Utc>,
    ) -> Self {
        let e = &data.event;
        EventPage {
            event: EventView::new(e),
            calendar: data.calendar.as_ref().map(CalendarRef::from),
            dates: data
                .dates
                .iter()
                .map(|o| EventDate {
                    date: DateView::new(o, e),
                    booked: o.booked,
                    places_left: e.capacity.map(|c| (c - o.booked).max(0)),
                    is_booked: data
                        .booked
                        .iter()
                        .any(|(id, s)| *id == o.id && s == "booked"),
                    my_status: data
                        .booked
                        .iter()
                        .find(|(id, _)| *id == o.id)
                        .map(|(_, s)| s.clone()),
                    past: o.ends_at.unwrap_or(o.starts_at) < now,
                    attendees: data
                        .attendees
                        .iter()
                        .find(|(id, _)| *id == o.id)
                        .map(|(_, names)| names.clone())
                        .unwrap_or_default(),
                    tickets: ticket_views(data, o, now),
                })
                .collect(),
            can_edit: data.can_edit,
            signed_in,
            feed,
            add_to_cart,
        }
    }
}

/// `event_form.html`.
#[derive(Debug, Serialize)]
pub struct EventFormPage<'a> {
    pub heading: &'a str,
    pub action: String,
    pub form: &'a EventForm,
    pub calendars: Vec<CalendarRef>,
    pub editing: bool,
}

/// The form as the stored event fills it (local times on the event's clock).
pub fn event_form(e: &Event, calendar_slug: &str) -> EventForm {
    let tz = crate::domain::form::zone_of(e);
    let start = e.starts_at.with_timezone(&tz);
    let repeat = match (e.repeat_freq.as_deref(), e.repeat_ordinal) {
        (Some("weekly"), _) => "weekly",
        (Some("monthly"), Some(-1)) => "monthly-last",
        (Some("monthly"), _) => "monthly",
        _ => "none",
    };
    EventForm {
        calendar: calendar_slug.to_owned(),
        title: e.title.clone(),
        slug: e.slug.clone(),
        description: e.description.clone(),
        location: e.location.clone(),
        address: e.place_address.clone(),
        online_url: e.online_url.clone().unwrap_or_default(),
        image_url: e.image_url.clone().unwrap_or_default(),
        date: start.format("%Y-%m-%d").to_string(),
        start_time: start.format("%H:%M").to_string(),
        end_time: e
            .ends_at
            .map(|t| t.with_timezone(&tz).format("%H:%M").to_string())
            .unwrap_or_default(),
        time_zone: e.time_zone.clone(),
        capacity: e.capacity.map(|c| c.to_string()).unwrap_or_default(),
        approval: if e.approval_required {
            "on".into()
        } else {
            String::new()
        },
        status: e.status.clone(),
        visibility: e.visibility.clone(),
        tags: e.tags.join(", "),
        repeat: repeat.to_owned(),
        interval: e.repeat_interval.to_string(),
        until: e
            .repeat_until
            .map(|t| t.with_timezone(&tz).format("%Y-%m-%d").to_string())
            .unwrap_or_default(),
        count: e.repeat_count.map(|c| c.to_string()).unwrap_or_default(),
    }
}

/// `date_form.html`: one date of a series.
#[derive(Debug, Serialize)]
pub struct DateFormPage<'a> {
    pub event: EventView,
    pub action: String,
    pub form: &'a DateForm,
}

pub fn date_form(e: &Event, o: &Occurrence) -> DateForm {
    let tz = crate::domain::form::zone_of(e);
    let start = o.starts_at.with_timezone(&tz);
    DateForm {
        date: start.format("%Y-%m-%d").to_string(),
        start_time: start.format("%H:%M").to_string(),
        end_time: o
            .ends_at
            .map(|t| t.with_timezone(&tz).format("%H:%M").to_string())
            .unwrap_or_default(),
        title: o.title(e).to_owned(),
        location: o.location(e).to_owned(),
        status: o.status.clone().unwrap_or_default(),
        removed: if o.removed {
            "on".into()
        } else {
            String::new()
        },
    }
}

/// `calendars.html`.
#[derive(Debug, Serialize)]
pub struct CalendarsPage {
    pub calendars: Vec<CalendarRef>,
    pub is_admin: bool,
    /// `webcal://<events host>`, for the subscribe links.
    pub webcal_base: String,
}

/// `calendar_form.html`.
#[derive(Debug, Serialize)]
pub struct CalendarFormPage<'a> {
    pub heading: &'a str,
    pub action: String,
    pub form: &'a CalendarForm,
}

/// One booking on the member's page.
#[derive(Debug, Serialize)]
pub struct BookingView {
    #[serde(flatten)]
    pub date: DateView,
}

/// `bookings.html`: the member's bookings and their private feed.
#[derive(Debug, Serialize)]
pub struct BookingsPage {
    pub bookings: Vec<BookingView>,
    pub tickets: Vec<TicketView>,
    pub feed: FeedLinks,
}

impl BookingsPage {
    pub fn new(rows: &[MemberBooking], tickets: &[Admission], feed: FeedLinks) -> Self {
        BookingsPage {
            tickets: tickets.iter().map(TicketView::new).collect(),
            bookings: rows
                .iter()
                .map(|b| BookingView {
                    date: DateView::new(&b.occurrence, &b.event),
                })
                .collect(),
            feed,
        }
    }
}

/// A member's or buyer's ticket: what it admits to and its state.
#[derive(Debug, Serialize)]
pub struct TicketView {
    pub date: DateView,
    pub event_title: String,
    pub ticket_type: String,
    pub seat: i32,
    pub order_reference: String,
    pub valid: bool,
    pub checked_in_at: Option<String>,
    /// The ticket's own page (its address carries the secret).
    pub path: String,
}

impl TicketView {
    pub fn new(a: &Admission) -> Self {
        let (ticket, kind, date, event) = a;
        TicketView {
            date: DateView::new(date, event),
            event_title: event.title.clone(),
            ticket_type: kind.name.clone(),
            seat: ticket.seat,
            order_reference: ticket.order_reference.clone(),
            valid: ticket.is_valid(),
            checked_in_at: ticket.checked_in_at.map(|t| t.to_rfc3339()),
            path: format!("/tickets/{}", ticket.secret),
        }
    }
}

/// `ticket.html`: one ticket with the QR code the door scans.
#[derive(Debug, Serialize)]
pub struct TicketPage {
    pub ticket: TicketView,
    pub qr_svg: String,
    pub code: String,
}

/// `check_in.html`: the door's form and what the last scan found.
#[derive(Debug, Serialize)]
pub struct CheckInPage {
    pub slug: String,
    pub title: String,
    /// `admitted`, `already`, `void` or `unknown`.
    pub result: Option<&'static str>,
    pub message: Option<String>,
}

/// `fragments/upcoming.html`: the next few events and a link to the calendar.
#[derive(Debug, Serialize)]
pub struct UpcomingFragment {
    pub events: Vec<DateView>,
    pub events_url: String,
}

impl UpcomingFragment {
    pub fn new(rows: &[(Occurrence, Event)], events_url: String) -> Self {
        UpcomingFragment {
            events: dates(rows),
            events_url,
        }
    }
}

/// `fragments/event-card.html`: one event (or none: "no longer listed") for a blog post.
#[derive(Debug, Serialize)]
pub struct EventCardFragment {
    pub events: Vec<DateView>,
    pub events_url: String,
    pub card: bool,
}

impl EventCardFragment {
    pub fn new(event: Option<&(Occurrence, Event)>, events_url: String) -> Self {
        EventCardFragment {
            events: event
                .map(|(o, e)| DateView::new(o, e))
                .into_iter()
                .collect(),
            events_url,
            card: true,
        }
    }
}

/// One date in `/embed/events.json`, the feed `<roseash-events>` reads on other websites.
#[derive(Debug, Serialize)]
pub struct EmbedDate {
    pub id: i64,
    pub title: String,
    /// The event's page on this app (absolute: the feed is read on other hosts).
    pub url: String,
    pub starts_at: String,
    pub ends_at: Option<String>,
    pub time_zone: String,
    pub location: String,
    pub status: String,
    pub online: bool,
    pub recurring: bool,
}

/// `/embed/events.json`: the dates and the address of the full list.
#[derive(Debug, Serialize)]
pub struct EmbedFeed {
    pub events: Vec<EmbedDate>,
    pub url: String,
}

impl EmbedFeed {
    pub fn new(rows: &[(Occurrence, Event)], events_url: &str, more_url: String) -> Self {
        let base = events_url.trim_end_matches('/');
        EmbedFeed {
            events: rows
                .iter()
                .map(|(o, e)| {
                    let d = DateView::new(o, e);
                    EmbedDate {
                        id: d.id,
                        url: format!("{base}/events/{}", d.slug),
                        title: d.title,
                        starts_at: d.starts_at,
                        ends_at: d.ends_at,
                        time_zone: d.time_zone,
                        location: d.location,
                        status: d.status,
                        online: d.online,
                        recurring: d.recurring,
                    }
                })
                .collect(),
            url: more_url,
        }
    }
}

/// `embed/frame.html`: the list other websites show in an iframe.
#[derive(Debug, Serialize)]
pub struct EmbedFramePage {
    pub events: Vec<DateView>,
    pub events_url: String,
    pub more_url: String,
    pub theme: &'static str,
}

/// A view as a tera context.
pub fn context(view: &impl Serialize) -> Result<tera::Context, AppError> {
    Ok(tera::Context::from_serialize(view)?)
}

/// One booking on the organiser's attendee list.
#[derive(Debug, Serialize)]
pub struct AttendeeView {
    pub id: i64,
    pub name: String,
    pub email: String,
    pub username: Option<String>,
    pub guest: bool,
    /// A fediverse participant (their actor id stands in the e-mail column).
    pub remote: bool,
    pub status: String,
    pub booked_at: String,
    /// Place on the waitlist (1 = next in).
    pub position: Option<usize>,
}

/// `attendees.html`: a date's bookings for its organisers, with approve/reject for pending ones.
#[derive(Debug, Serialize)]
pub struct AttendeesPage {
    pub event: EventView,
    pub date: DateView,
    pub attendees: Vec<AttendeeView>,
    pub booked: usize,
    pub pending: usize,
    pub waitlisted: usize,
}

impl AttendeesPage {
    pub fn new(e: &Event, o: &Occurrence, rows: &[crate::domain::Attendee]) -> Self {
        let mut position = 0;
        let attendees: Vec<AttendeeView> = rows
            .iter()
            .map(|a| AttendeeView {
                id: a.id,
                name: a.name.clone(),
                email: a.remote_actor.clone().unwrap_or_else(|| a.email.clone()),
                username: a.username.clone(),
                guest: a.user_id.is_none() && a.remote_actor.is_none(),
                remote: a.remote_actor.is_some(),
                status: a.status.clone(),
                booked_at: a.created_at.to_rfc3339(),
                position: (a.status == "waitlisted").then(|| {
                    position += 1;
                    position
                }),
            })
            .collect();
        let count = |s: &str| attendees.iter().filter(|a| a.status == s).count();
        AttendeesPage {
            event: EventView::new(e),
            date: DateView::new(o, e),
            booked: count("booked"),
            pending: count("pending"),
            waitlisted: count("waitlisted"),
            attendees,
        }
    }
}

/// `guest_booking.html`: "check your inbox" after a guest's request, the confirmation page
/// with its button (the GET changes nothing), and what the confirmation did.
#[derive(Debug, Serialize)]
pub struct GuestBookingPage {
    pub event: EventView,
    pub date: DateView,
    /// `check-email`, `confirm`, `done`, `cancel` or `cancelled`.
    pub step: &'static str,
    /// Where the button posts (`confirm`, `cancel`).
    pub action: Option<String>,
    /// `booked`, `waitlisted` or `pending` (`done`).
    pub outcome: Option<&'static str>,
    /// The guest's cancel link (`done`).
    pub cancel_link: Option<String>,
}

impl GuestBookingPage {
    pub fn new(e: &Event, o: &Occurrence, step: &'static str) -> Self {
        GuestBookingPage {
            event: EventView::new(e),
            date: DateView::new(o, e),
            step,
            action: None,
            outcome: None,
            cancel_link: None,
        }
    }
}

/// A page view laid over the app's base context (site name, URLs, assets).
pub fn page_context(base: tera::Context, view: &impl Serialize) -> Result<tera::Context, AppError> {
    let mut context = base;
    context.extend(self::context(view)?);
    Ok(context)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_card_is_an_empty_list() {
        let ctx = context(&EventCardFragment::new(None, "/".into()))
            .unwrap()
            .into_json();
        assert_eq!(ctx["events"], serde_json::json!([]));
        assert_eq!(ctx["card"], true);
    }

    #[test]
    fn feeds_are_offered_as_webcal_too() {
        let f = FeedLinks::new("https://events.example.com/feed.ics".into());
        assert_eq!(f.webcal, "webcal://events.example.com/feed.ics");
        let q = query(&Listing {
            calendar: "market days".into(),
            tag: "".into(),
            place: "The barn".into(),
        });
        assert_eq!(q, "calendar=market+days&place=The+barn");
    }
}
