//! Our iCal feeds read by a third party: Python's `icalendar` parses them and
//! `recurring-ical-events` expands them, and the occurrences it finds equal ours, across the
//! October summer-time change, with a date moved and renamed, one cancelled, one taken out,
//! a series edited after it began, and text with `;`, `,`, `\`, newlines and long lines.
//! Feeds are `text/calendar`, folded at 75 octets with CRLF, and answer `If-None-Match` with
//! 304. The libraries come from PyPI into a venv under `target/` (skipped, saying so, only
//! when that is impossible).

use std::path::PathBuf;
use std::process::Command;
use std::sync::OnceLock;

use chrono::{Duration, Utc};
use serde_json::Value;
use shared::AppName;

use super::{cast, create, dates_of, post};
use crate::support::TestFleet;

const PACKAGES: [&str; 2] = ["icalendar==7.3.2", "recurring-ical-events==3.8.2"];

/// A Python with icalendar and recurring-ical-events, or why there is none.
fn python() -> &'static Result<PathBuf, String> {
    static PYTHON: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    PYTHON.get_or_init(|| {
        let works = |python: &PathBuf| {
            Command::new(python)
                .args(["-c", "import icalendar, recurring_ical_events"])
                .output()
                .is_ok_and(|o| o.status.success())
        };
        let venv = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("ical-venv");
        let python = venv.join("bin/python");
        if works(&python) {
            return Ok(python);
        }
        let made = Command::new("python3")
            .args(["-m", "venv"])
            .arg(&venv)
            .status()
            .map_err(|e| format!("python3 -m venv: {e}"))?;
        if !made.success() {
            return Err("python3 -m venv failed".into());
        }
        let installed = Command::new(&python)
            .args(["-m", "pip", "install", "--quiet"])
            .args(PACKAGES)
            .status()
            .map_err(|e| format!("pip: {e}"))?;
        if !installed.success() || !works(&python) {
            return Err(format!("pip install {PACKAGES:?} failed"));
        }
        Ok(python)
    })
}

fn expand(feed: &str, from: &str, to: &str) -> Value {
    let python = match python() {
        Ok(p) => p,
        Err(why) => panic!("the iCal oracle is needed: {why}"),
    };
    let file = tempfile_path("feed.ics");
    std::fs::write(&file, feed).unwrap();
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/it/events/ical_oracle.py");
    let out = Command::new(python)
        .arg(&script)
        .arg(&file)
        .args([from, to])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "oracle failed: {}\n{feed}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn tempfile_path(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!(
        "ical-{}-{}",
        std::process::id(),
        shared::crypto::random_token().unwrap()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

/// Our dates of the calendar's events in the same shape as the oracle's.
async fn ours(t: &TestFleet, slugs: &[&str]) -> Vec<(String, Option<String>, String, String)> {
    let mut conn = t.db.conn().await;
    let mut out = Vec::new();
    for slug in slugs {
        let event = events::db::events::by_slug(&mut conn, slug)
            .await
            .unwrap()
            .unwrap();
        for o in dates_of(t, slug).await.iter().filter(|o| !o.removed) {
            let status = match o.status(&event) {
                "cancelled" => "CANCELLED",
                "tentative" => "TENTATIVE",
                _ => "CONFIRMED",
            };
            out.push((
                o.starts_at.to_rfc3339(),
                o.ends_at.map(|e| e.to_rfc3339()),
                o.title(&event).to_owned(),
                status.to_owned(),
            ));
        }
    }
    out.sort();
    out
}

fn theirs(expanded: &Value) -> Vec<(String, Option<String>, String, String)> {
    let mut out: Vec<_> = expanded["occurrences"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| {
            (
                o["start"].as_str().unwrap().to_owned(),
                o["end"].as_str().map(str::to_owned),
                o["summary"].as_str().unwrap().to_owned(),
                o["status"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    out.sort();
    out
}

const ODD_TEXT: &str = "Bring: apples; pears, and a \\ backslash.\nSecond line — with “quotes” and \
    a very long sentence that goes on well past seventy-five octets so that folding matters, \
    ünïcödé included.";

#[actix_web::test]
async fn a_third_party_library_expands_our_feed_to_our_dates() {
    let t = TestFleet::start().await;
    let c = cast(&t).await;
    // A weekly class across the October change, with a date moved and renamed, one
    // cancelled and one taken out.
    let made = create(
        &t,
        &c.organiser,
        &[
            ("title", "Morning class"),
            ("description", ODD_TEXT),
            ("location", "The barn; upstairs, left"),
            ("date", "2027-10-09"),
            ("start_time", "09:00"),
            ("end_time", "10:00"),
            ("repeat", "weekly"),
            ("count", "6"),
        ],
    )
    .await;
    assert_eq!(made.status, 303, "{}", made.body);
    let dates = dates_of(&t, "morning-class").await;
    let path = |i: usize| format!("/events/morning-class/dates/{}", dates[i].id);
    for (i, form) in [
        (
            1,
            vec![
                ("date", "2027-10-17"),
                ("start_time", "11:30"),
                ("end_time", "12:30"),
                ("title", "Sunday special, with guests"),
            ],
        ),
        (
            3,
            vec![
                ("date", "2027-10-30"),
                ("start_time", "09:00"),
                ("end_time", "10:00"),
                ("status", "cancelled"),
            ],
        ),
        (
            4,
            vec![
                ("date", "2027-11-06"),
                ("start_time", "09:00"),
                ("removed", "on"),
            ],
        ),
    ] {
        let r = post(&t, &path(i), &form, &c.organiser).await;
        assert_eq!(r.status, 303, "{}", r.body);
    }
    // First Saturdays until June, a single event with a long title, and a series edited
    // after it began (its earlier dates become events of their own).
    for fields in [
        vec![
            ("title", "Market"),
            ("date", "2027-01-02"),
            ("start_time", "09:00"),
            ("end_time", "13:00"),
            ("repeat", "monthly"),
            ("until", "2027-06-30"),
        ],
        vec![
            (
                "title",
                "A single gathering whose title is long enough to need folding in any feed",
            ),
            ("date", "2027-03-27"),
            ("start_time", "23:30"),
            ("end_time", "01:30"),
        ],
    ] {
        let r = create(&t, &c.organiser, &fields).await;
        assert_eq!(r.status, 303, "{}", r.body);
    }
    let begun = (Utc::now() - Duration::days(20))
        .format("%Y-%m-%d")
        .to_string();
    let choir = [
        ("title", "Choir"),
        ("date", begun.as_str()),
        ("start_time", "18:00"),
        ("end_time", "19:00"),
        ("repeat", "weekly"),
        ("count", "8"),
    ];
    assert_eq!(create(&t, &c.organiser, &choir).await.status, 303);
    let mut edited = super::event_form(&choir);
    edited.retain(|(k, _)| *k != "start_time" && *k != "title");
    edited.push(("start_time", "19:30"));
    edited.push(("title", "Evening choir"));
    edited.push(("slug", "choir"));
    let r = post(&t, "/events/choir", &edited, &c.organiser).await;
    assert_eq!(r.status, 303, "{}", r.body);

    let feed = t
        .get(AppName::Events, "/calendars/orchard/feed.ics", None)
        .await;
    assert_eq!(feed.status, 200, "{}", feed.body);
    assert_eq!(feed.headers["content-type"], "text/calendar; charset=utf-8");
    for line in feed.body.split("\r\n") {
        assert!(line.len() <= 75, "{} octets: {line}", line.len());
        assert!(!line.contains('\n'), "bare LF in {line:?}");
    }
    assert!(feed.body.ends_with("END:VCALENDAR\r\n"));
    for needle in [
        "RRULE:FREQ=WEEKLY;BYDAY=SA;COUNT=6",
        "RRULE:FREQ=MONTHLY;BYDAY=1SA;UNTIL=",
        "EXDATE;TZID=Europe/London:20271106T090000",
        "RECURRENCE-ID;TZID=Europe/London:20271016T090000",
        "STATUS:CANCELLED",
        "BEGIN:VTIMEZONE",
        "SEQUENCE:",
        "DTSTAMP:",
    ] {
        assert!(feed.body.contains(needle), "{needle}\n{}", feed.body);
    }

    let expanded = expand(
        &feed.body,
        "2020-01-01T00:00:00+00:00",
        "2029-01-01T00:00:00+00:00",
    );
    assert_eq!(expanded["calname"], "Orchard");
    assert_eq!(expanded["timezones"], serde_json::json!(["Europe/London"]));
    let slugs = [
        "morning-class",
        "market",
        "a-single-gathering-whose-title-is-long-enough-to-need-folding-in-any-feed",
        "choir",
    ];
    let ours = ours(&t, &slugs).await;
    assert_eq!(theirs(&expanded), ours);
    // The wall clock held: every class at 09:00 London is 08:00 UTC before the change and
    // 09:00 UTC after, and the moved date is where it was moved to.
    let starts: Vec<&str> = ours
        .iter()
        .filter(|o| o.2 == "Morning class")
        .map(|o| o.0.as_str())
        .collect();
    assert_eq!(
        starts,
        [
            "2027-10-09T08:00:00+00:00",
            "2027-10-23T08:00:00+00:00",
            "2027-10-30T08:00:00+00:00",
            "2027-11-13T09:00:00+00:00"
        ]
    );
    assert!(
        ours.iter()
            .any(|o| o.0 == "2027-10-17T10:30:00+00:00" && o.2 == "Sunday special, with guests")
    );
    let odd = expanded["occurrences"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["summary"] == "Morning class")
        .unwrap();
    assert_eq!(odd["description"], ODD_TEXT);
    assert_eq!(odd["location"], "The barn; upstairs, left");

    // ETag: the same feed again is a 304 without a body; a change makes a new one.
    let etag = feed.headers["etag"].to_str().unwrap().to_owned();
    let again = t
        .client
        .get(t.fleet.at(AppName::Events, "/calendars/orchard/feed.ics"))
        .header("if-none-match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 304);
    assert!(again.text().await.unwrap().is_empty());
    let r = post(&t, "/events/market/cancel", &[], &c.organiser).await;
    assert_eq!(r.status, 303);
    let changed = t
        .client
        .get(t.fleet.at(AppName::Events, "/calendars/orchard/feed.ics"))
        .header("if-none-match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(changed.status(), 200);

    // One event's feed, unlisted included; webcal links on its page.
    let single = t
        .get(AppName::Events, "/events/market/event.ics", None)
        .await;
    assert_eq!(single.status, 200);
    let expanded = expand(
        &single.body,
        "2020-01-01T00:00:00+00:00",
        "2029-01-01T00:00:00+00:00",
    );
    let occurrences = expanded["occurrences"].as_array().unwrap();
    assert_eq!(occurrences.len(), 6);
    assert!(occurrences.iter().all(|o| o["status"] == "CANCELLED"));
    let page = t.get(AppName::Events, "/events/market", None).await;
    assert!(page.body.contains("webcal://"));
    let missing = t.get(AppName::Events, "/events/nope/event.ics", None).await;
    assert_eq!(missing.status, 404);
    t.stop().await;
}
