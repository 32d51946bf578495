//! Typed views: what each template receives. A template's variables are the fields of one
//! struct here, so a renamed field is a compile error in the handler, not a blank in the page.

use serde::Serialize;
use shared::AppError;
use shared::models::events::Event;

/// One event as templates show it (times as RFC 3339 for the `datetime` filter).
#[derive(Debug, Serialize)]
pub struct EventView<'a> {
    pub slug: &'a str,
    pub title: &'a str,
    pub description: &'a str,
    pub location: &'a str,
    pub starts_at: String,
    pub ends_at: Option<String>,
}

impl<'a> From<&'a Event> for EventView<'a> {
    fn from(e: &'a Event) -> Self {
        EventView {
            slug: &e.slug,
            title: &e.title,
            description: &e.description,
            location: &e.location,
            starts_at: e.starts_at.to_rfc3339(),
            ends_at: e.ends_at.map(|t| t.to_rfc3339()),
        }
    }
}

fn list(rows: &[Event]) -> Vec<EventView<'_>> {
    rows.iter().map(EventView::from).collect()
}

/// `index.html`: the calendar.
#[derive(Debug, Serialize)]
pub struct CalendarPage<'a> {
    pub events: Vec<EventView<'a>>,
}

impl<'a> CalendarPage<'a> {
    pub fn new(rows: &'a [Event]) -> Self {
        CalendarPage { events: list(rows) }
    }
}

/// `event.html`: one event.
#[derive(Debug, Serialize)]
pub struct EventPage<'a> {
    pub event: EventView<'a>,
}

impl<'a> EventPage<'a> {
    pub fn new(event: &'a Event) -> Self {
        EventPage {
            event: EventView::from(event),
        }
    }
}

/// `fragments/upcoming.html`: the next few events and a link to the calendar.
#[derive(Debug, Serialize)]
pub struct UpcomingFragment<'a> {
    pub events: Vec<EventView<'a>>,
    pub events_url: String,
}

impl<'a> UpcomingFragment<'a> {
    pub fn new(rows: &'a [Event], events_url: String) -> Self {
        UpcomingFragment {
            events: list(rows),
            events_url,
        }
    }
}

/// `fragments/event-card.html`: one event (or none: "no longer listed") for a blog post.
#[derive(Debug, Serialize)]
pub struct EventCardFragment<'a> {
    pub events: Vec<EventView<'a>>,
    pub events_url: String,
    pub card: bool,
}

impl<'a> EventCardFragment<'a> {
    pub fn new(event: Option<&'a Event>, events_url: String) -> Self {
        EventCardFragment {
            events: event.into_iter().map(EventView::from).collect(),
            events_url,
            card: true,
        }
    }
}

/// A view as a tera context.
pub fn context(view: &impl Serialize) -> Result<tera::Context, AppError> {
    Ok(tera::Context::from_serialize(view)?)
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
    use chrono::{TimeZone, Utc};

    fn event(ends: bool) -> Event {
        let t = Utc.with_ymd_and_hms(2026, 12, 24, 18, 30, 0).unwrap();
        Event {
            id: 1,
            slug: "wassail".into(),
            title: "Wassail".into(),
            description: "Bring a cup.".into(),
            location: "The orchard".into(),
            starts_at: t,
            ends_at: ends.then(|| t + chrono::Duration::hours(2)),
            created_at: t,
            updated_at: t,
        }
    }

    #[test]
    fn a_page_keeps_the_base_context_and_adds_its_fields() {
        let e = event(true);
        let mut base = tera::Context::new();
        base.insert("site_name", "Rose Ash");
        let ctx = page_context(base, &EventPage::new(&e)).unwrap().into_json();
        assert_eq!(ctx["site_name"], "Rose Ash");
        assert_eq!(ctx["event"]["slug"], "wassail");
        assert_eq!(ctx["event"]["starts_at"], "2026-12-24T18:30:00+00:00");
        assert_eq!(ctx["event"]["ends_at"], "2026-12-24T20:30:00+00:00");
    }

    #[test]
    fn an_open_ended_event_has_a_null_end() {
        let e = event(false);
        let ctx = context(&EventPage::new(&e)).unwrap().into_json();
        assert!(ctx["event"]["ends_at"].is_null());
    }

    #[test]
    fn a_missing_card_is_an_empty_list() {
        let ctx = context(&EventCardFragment::new(None, "/".into()))
            .unwrap()
            .into_json();
        assert_eq!(ctx["events"], serde_json::json!([]));
        assert_eq!(ctx["card"], true);
    }
}
