//! iCal feeds (RFC 5545) of events: a series is one `VEVENT` with its `RRULE` (and `EXDATE`
//! for dates taken out), a date edited or cancelled on its own an override with
//! `RECURRENCE-ID`; dates of an earlier version of a series (before an edit "from now on")
//! are events of their own. Times carry their zone (`TZID`, with a `VTIMEZONE` in the feed),
//! so a calendar keeps a 09:00 class at 09:00 across a summer-time change.
//!
//! `DTSTAMP` is the event's last change, not the time of the request, so the same data gives
//! the same bytes and the feed's `ETag` holds until something changes.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use shared::models::events::{Event, Occurrence};

use super::form::{rule_of, zone_of};
use super::ical::{self, Writer};
use super::recurrence;

/// Where the feed's links and ids point.
pub struct FeedSite<'a> {
    /// The host in every UID (`event-17@events.example.com`).
    pub host: &'a str,
    /// The events app's public base URL, without a trailing slash.
    pub base_url: &'a str,
}

/// What goes into one feed.
pub enum Item<'a> {
    /// An event with all its dates.
    Event(&'a Event, &'a [Occurrence]),
    /// One date on its own (a member's booking).
    Date(&'a Event, &'a Occurrence),
}

fn uid(site: &FeedSite<'_>, event: &Event) -> String {
    format!("event-{}@{}", event.id, site.host)
}

/// The UID of a date that is an event of its own.
fn date_uid(site: &FeedSite<'_>, event: &Event, o: &Occurrence) -> String {
    format!(
        "event-{}-{}@{}",
        event.id,
        ical::utc_value(o.original_start),
        site.host
    )
}

fn ical_status(status: &str) -> &'static str {
    match status {
        "cancelled" => "CANCELLED",
        "tentative" => "TENTATIVE",
        _ => "CONFIRMED",
    }
}

fn place(event: &Event, name: &str) -> String {
    match (name.is_empty(), event.place_address.is_empty()) {
        (false, false) => format!("{name}, {}", event.place_address),
        (false, true) => name.to_owned(),
        (true, false) => event.place_address.clone(),
        (true, true) => event.online_url.clone().unwrap_or_default(),
    }
}

/// What a `VEVENT` says, apart from its identity and times.
struct Body<'a> {
    title: &'a str,
    location: String,
    status: &'a str,
    sequence: i32,
}

fn write_common(w: &mut Writer, site: &FeedSite<'_>, event: &Event, body: &Body<'_>) {
    w.utc("DTSTAMP", event.updated_at);
    w.utc("CREATED", event.created_at);
    w.utc("LAST-MODIFIED", event.updated_at);
    w.raw("SEQUENCE", &body.sequence.to_string());
    w.text("SUMMARY", body.title);
    let mut description = event.description.clone();
    if let Some(online) = &event.online_url {
        if !description.is_empty() {
            description.push_str("\n\n");
        }
        description.push_str("Online: ");
        description.push_str(online);
    }
    if !description.is_empty() {
        w.text("DESCRIPTION", &description);
    }
    if !body.location.is_empty() {
        w.text("LOCATION", &body.location);
    }
    if !event.tags.is_empty() {
        let tags: Vec<String> = event.tags.iter().map(|t| ical::escape(t)).collect();
        w.raw("CATEGORIES", &tags.join(","));
    }
    w.raw("STATUS", ical_status(body.status));
    w.raw("URL", &format!("{}/events/{}", site.base_url, event.slug));
    if event.visibility != "public" {
        w.raw("CLASS", "PRIVATE");
    }
}

fn times(w: &mut Writer, tz: Tz, start: DateTime<Utc>, end: Option<DateTime<Utc>>) {
    w.zoned("DTSTART", tz, start);
    if let Some(end) = end {
        w.zoned("DTEND", tz, end);
    }
}

/// Whether a date differs from what its series' rule makes (so it needs an override).
fn overridden(o: &Occurrence) -> bool {
    o.detached || o.title.is_some() || o.location.is_some() || o.status.is_some()
}

/// One date as an event of its own.
fn standalone(w: &mut Writer, site: &FeedSite<'_>, event: &Event, o: &Occurrence, uid: String) {
    let tz = zone_of(event);
    w.begin("VEVENT");
    w.raw("UID", &uid);
    times(w, tz, o.starts_at, o.ends_at);
    write_common(
        w,
        site,
        event,
        &Body {
            title: o.title(event),
            location: place(event, o.location(event)),
            status: o.status(event),
            sequence: event.sequence + o.sequence,
        },
    );
    w.end("VEVENT");
}

fn write_event(w: &mut Writer, site: &FeedSite<'_>, event: &Event, dates: &[Occurrence]) {
    let tz = zone_of(event);
    let base = uid(site, event);
    let (current, earlier): (Vec<&Occurrence>, Vec<&Occurrence>) = dates
        .iter()
        .partition(|o| o.series_version == event.series_version);
    for o in earlier.iter().filter(|o| !o.removed) {
        standalone(w, site, event, o, date_uid(site, event, o));
    }
    let Some(rule) = rule_of(event) else {
        // A single event: its (one) current date is the event.
        for o in current.iter().filter(|o| !o.removed) {
            let id = if o.original_start == event.starts_at {
                base.clone()
            } else {
                date_uid(site, event, o)
            };
            standalone(w, site, event, o, id);
        }
        return;
    };
    let first_local = event.starts_at.with_timezone(&tz).naive_local();
    w.begin("VEVENT");
    w.raw("UID", &base);
    times(w, tz, event.starts_at, event.ends_at);
    w.raw("RRULE", &recurrence::rrule(&rule, first_local));
    for o in current.iter().filter(|o| o.removed) {
        w.zoned("EXDATE", tz, o.original_start);
    }
    write_common(
        w,
        site,
        event,
        &Body {
            title: &event.title,
            location: place(event, &event.location),
            status: &event.status,
            sequence: event.sequence,
        },
    );
    w.end("VEVENT");
    for o in current.iter().filter(|o| !o.removed && overridden(o)) {
        w.begin("VEVENT");
        w.raw("UID", &base);
        w.zoned("RECURRENCE-ID", tz, o.original_start);
        times(w, tz, o.starts_at, o.ends_at);
        write_common(
            w,
            site,
            event,
            &Body {
                title: o.title(event),
                location: place(event, o.location(event)),
                status: o.status(event),
                sequence: event.sequence + o.sequence,
            },
        );
        w.end("VEVENT");
    }
}

/// A whole feed: `name` is the calendar's (`X-WR-CALNAME`).
pub fn render(site: &FeedSite<'_>, name: &str, items: &[Item<'_>], now: DateTime<Utc>) -> String {
    let mut w = Writer::new();
    w.begin("VCALENDAR");
    w.raw("VERSION", "2.0");
    w.raw("PRODID", "-//Rose Ash//Events//EN");
    w.raw("CALSCALE", "GREGORIAN");
    w.raw("METHOD", "PUBLISH");
    w.text("X-WR-CALNAME", name);
    w.raw("REFRESH-INTERVAL;VALUE=DURATION", "PT1H");
    w.raw("X-PUBLISHED-TTL", "PT1H");
    // One VTIMEZONE per zone used, covering every year the feed's dates fall in.
    let mut zones: BTreeSet<&str> = BTreeSet::new();
    let mut instants = Vec::new();
    for item in items {
        match item {
            Item::Event(e, dates) => {
                zones.insert(e.time_zone.as_str());
                instants.push(e.starts_at);
                instants.extend(dates.iter().map(|o| o.starts_at));
                if let Some(until) = e.repeat_until {
                    instants.push(until);
                }
            }
            Item::Date(e, o) => {
                zones.insert(e.time_zone.as_str());
                instants.push(o.starts_at);
            }
        }
    }
    let (from_year, to_year) = ical::years(instants.into_iter(), now);
    for zone in zones {
        if let Ok(tz) = zone.parse::<Tz>() {
            ical::vtimezone(&mut w, tz, from_year, to_year);
        }
    }
    for item in items {
        match item {
            Item::Event(e, dates) => write_event(&mut w, site, e, dates),
            Item::Date(e, o) => standalone(&mut w, site, e, o, date_uid(site, e, o)),
        }
    }
    w.end("VCALENDAR");
    w.finish()
}

/// A strong validator for a feed's bytes.
pub fn etag(body: &str) -> String {
    let digest = shared::crypto::sha256(body.as_bytes());
    format!("\"{}\"", hex::encode(&digest[..16]))
}
