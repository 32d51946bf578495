//! `deploy bench events`: the events app's public pages under load (issue 14's figures).
//!
//! Runs the six release binaries on a scratch database holding the demo content and a
//! deterministic programme written through the events app's own write side ([`Organiser`]:
//! calendars, events, series materialised 400 days ahead as the app does, single dates edited,
//! cancelled and taken out of their series): the calendar [`FEED_CALENDAR`] holds [`EVENTS`]
//! events of which [`SERIES`] are weekly or monthly series, and [`OTHER_CALENDARS`] more
//! calendars hold [`OTHER_EVENTS`] one-off events each. Then measures with `wrk` (64
//! connections by default):
//! - next month's page (`/month?month=…`), rendered on every request from the month's dates,
//!   which each events process keeps (`events/src/month.rs`);
//! - the calendar's iCal feed (`/calendars/{slug}/feed.ics`), every request a full `200`;
//! - the widget a third-party site loads: `<roseash-events>` (its script is a static file,
//!   cached by browsers for a year) fetches `/embed/events.json` on every page view, so that is
//!   the one measured, next to nginx serving the same bytes as a static file.
//!
//! Prints figures next to the targets; asserts nothing.

use std::path::Path;
use std::time::Instant;

use anyhow::{Context, bail};
use chrono::{Datelike, Duration, Months, NaiveDate, Utc};
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use events::domain::form::{CalendarForm, DateForm, EventForm};
use events::domain::{Actor, Organiser};
use shared::AppName;
use shared::config::Config;
use shared::models::users;

use crate::bench::{Options, ReleaseFleet, WrkResult, port, run_wrk, static_ceiling, which};

const DATABASE: &str = "rose_ash_bench_events";
/// The calendar whose feed is measured.
const FEED_CALENDAR: &str = "bench-programme";
/// Events in that calendar, and how many of them are series.
const EVENTS: usize = 500;
const SERIES: usize = 50;
/// Other calendars, with this many one-off events each.
const OTHER_CALENDARS: usize = 4;
const OTHER_EVENTS: usize = 20;
const WARM_UP: usize = 20;

const WHAT: [&str; 12] = [
    "Pruning workshop",
    "Seed swap",
    "Repair café",
    "Members' meeting",
    "Cider pressing",
    "Bread class",
    "Beekeeping taster",
    "Orchard walk",
    "Knitting circle",
    "Film night",
    "Compost clinic",
    "Community supper",
];
const PLACES: [(&str, &str); 6] = [
    ("The barn", "1 Orchard Lane, Totnes"),
    ("The old school yard", "School Lane, Totnes"),
    ("The orchard", ""),
    ("Village hall", "Fore Street, Totnes; side door"),
    ("The kitchen garden", "Behind the barn"),
    ("", ""),
];
const TAGS: [&str; 8] = [
    "food", "garden", "repair", "meeting", "cider", "bees", "crafts", "films",
];
const ZONES: [&str; 5] = [
    "Europe/London",
    "Europe/London",
    "Europe/London",
    "Europe/Paris",
    "America/New_York",
];
const SENTENCES: [&str; 6] = [
    "Bring gloves, a flask and a friend; the work is slow, but the company is good.",
    "No experience needed: we learn by doing it badly together until we do it well.",
    "Places are limited, so **book yours** and tell us if you cannot come after all.",
    "Children welcome with an adult. Tea, coffee and cake (donations, please).",
    "The notes from last time are on the members' page, with the photographs.",
    "If it rains we move indoors, to the barn; the address is below, with directions.",
];

/// Event `i` (0-based) of a calendar: a series for `i < series`, else a one-off.
fn event_form(calendar: &str, i: usize, series: usize, today: NaiveDate) -> EventForm {
    let (place, address) = PLACES[i % PLACES.len()];
    let description: Vec<&str> = (0..2 + i % 4)
        .map(|k| SENTENCES[(i + k) % SENTENCES.len()])
        .collect();
    let start_hour = 9 + (i * 5) % 11;
    let mut form = EventForm {
        calendar: calendar.to_owned(),
        title: format!("{} no. {i}", WHAT[i % WHAT.len()]),
        slug: format!("{calendar}-{i}"),
        description: description.join("\n\n"),
        location: place.to_owned(),
        address: address.to_owned(),
        online_url: if place.is_empty() {
            "https://meet.example.org/rose-ash".to_owned()
        } else {
            String::new()
        },
        start_time: format!("{start_hour:02}:{:02}", (i % 4) * 15),
        end_time: format!("{:02}:00", start_hour + 1 + i % 3),
        time_zone: ZONES[i % ZONES.len()].to_owned(),
        capacity: if i.is_multiple_of(3) {
            (10 + i % 40).to_string()
        } else {
            String::new()
        },
        tags: format!(
            "{}, {}",
            TAGS[i % TAGS.len()],
            TAGS[(i / 3 + 1) % TAGS.len()]
        ),
        ..EventForm::default()
    };
    let date = if i < series {
        match i % 5 {
            0 => form.count = (8 + i % 20).to_string(),
            1 => form.until = (today + Duration::days(300)).format("%Y-%m-%d").to_string(),
            _ => {}
        }
        if i.is_multiple_of(2) {
            form.repeat = "weekly".into();
            form.interval = if i % 8 == 6 { "2" } else { "1" }.into();
            today + Duration::days(1 + (i % 14) as i64)
        } else {
            form.repeat = "monthly".into();
            monthly_start(today, i)
        }
    } else {
        // One-offs from two months back to ten months ahead.
        today - Duration::days(60) + Duration::days(((i * 37) % 360) as i64)
    };
    form.date = date.format("%Y-%m-%d").to_string();
    form
}

/// What was seeded: series dates materialised, and dates edited on their own.
struct Seeded {
    dates: i64,
    edited: usize,
}

/// Replaces the benchmark's calendars and events (an earlier run's go first).
async fn seed(database_url: &str, config: &Config) -> anyhow::Result<Seeded> {
    let mut conn = AsyncPgConnection::establish(database_url).await?;
    diesel::sql_query(
        "DELETE FROM events WHERE calendar_id IN (SELECT id FROM calendars WHERE slug LIKE 'bench-%')",
    )
    .execute(&mut conn)
    .await?;
    diesel::sql_query("DELETE FROM calendars WHERE slug LIKE 'bench-%'")
        .execute(&mut conn)
        .await?;
    let admin = users::by_username(&mut conn, "ada")
        .await?
        .context("the demo content has no administrator `ada`")?;
    let actor = Actor {
        id: admin.id,
        admin: true,
    };
    let pool = shared::db::pool(&config.database, "bench-events")?;
    let organiser = Organiser::new(&pool);
    let today = Utc::now().date_naive();
    let mut calendars = vec![(FEED_CALENDAR.to_owned(), EVENTS, SERIES)];
    calendars.extend((1..=OTHER_CALENDARS).map(|c| (format!("bench-{c}"), OTHER_EVENTS, 0)));
    let mut edited = 0;
    for (slug, events, series) in &calendars {
        organiser
            .create_calendar(
                actor,
                &CalendarForm {
                    name: format!("Bench calendar {slug}"),
                    slug: slug.clone(),
                    description: "Made by deploy bench events.".into(),
                    organisers: "ada".into(),
                },
            )
            .await?;
        for i in 0..*events {
            let form = event_form(slug, i, *series, today);
            let event = organiser
                .create(actor, &form, config)
                .await
                .with_context(|| format!("event {i} of {slug}"))?;
            if i < *series {
                edited += edit_dates(&organiser, actor, &event.slug, event.id, config).await?;
            }
        }
    }
    for table in ["events", "event_occurrences", "calendars"] {
        diesel::sql_query(format!("VACUUM ANALYZE {table}"))
            .execute(&mut conn)
            .await?;
    }
    #[derive(diesel::QueryableByName)]
    struct Count {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let dates = diesel::sql_query(
        "SELECT count(*) AS n FROM event_occurrences o JOIN events e ON e.id = o.event_id \
         JOIN calendars c ON c.id = e.calendar_id WHERE c.slug = $1",
    )
    .bind::<diesel::sql_types::Text, _>(FEED_CALENDAR)
    .get_result::<Count>(&mut conn)
    .await?
    .n;
    Ok(Seeded { dates, edited })
}

/// A monthly series' first date: the 1st to 28th of next month (its first to fourth weekday).
fn monthly_start(today: NaiveDate, i: usize) -> NaiveDate {
    today
        .with_day(1)
        .and_then(|d| d.checked_add_months(Months::new(1)))
        .unwrap_or(today)
        + Duration::days((i % 28) as i64)
}

/// In a series, as organisers do: the third date moved an hour and retitled, the fifth
/// cancelled, the seventh taken out of the series. Returns how many dates were edited.
async fn edit_dates(
    organiser: &Organiser<'_>,
    actor: Actor,
    slug: &str,
    event_id: i64,
    config: &Config,
) -> anyhow::Result<usize> {
    let dates = {
        let mut conn = AsyncPgConnection::establish(config.database.url.expose()).await?;
        events::db::occurrences::of_event(&mut conn, event_id).await?
    };
    let mut edited = 0;
    for (n, change) in [(2, "moved"), (4, "cancelled"), (6, "removed")] {
        let Some(date) = dates.get(n) else { continue };
        let event = organiser.editable(slug, actor).await?;
        let tz = events::domain::form::zone_of(&event);
        let start = date.starts_at.with_timezone(&tz);
        let end = date.ends_at.map(|e| e.with_timezone(&tz));
        let shift = if change == "moved" { 1 } else { 0 };
        let mut form = DateForm {
            date: start.format("%Y-%m-%d").to_string(),
            start_time: (start + Duration::hours(shift)).format("%H:%M").to_string(),
            end_time: end
                .map(|e| (e + Duration::hours(shift)).format("%H:%M").to_string())
                .unwrap_or_default(),
            ..DateForm::default()
        };
        match change {
            "moved" => form.title = format!("{} (late start, new room)", event.title),
            "cancelled" => form.status = "cancelled".into(),
            _ => form.removed = "on".into(),
        }
        organiser
            .edit_date(actor, slug, date.id, &form, config)
            .await
            .with_context(|| format!("editing a date of {slug}"))?;
        edited += 1;
    }
    Ok(edited)
}

pub async fn run(options: Options) -> anyhow::Result<()> {
    let wrk = which("wrk").context("the benchmark needs wrk: sudo apt-get install wrk")?;
    println!(
        "Rose Ash events benchmark ({} connections, {} s each, wrk -t{})",
        options.connections, options.duration_secs, options.threads
    );
    let mut fleet = ReleaseFleet::prepare(DATABASE, "bench-events:").await?;
    let result = async {
        let started = Instant::now();
        let seeded = seed(&fleet.database_url, &fleet.config).await?;
        println!(
            "· seeded {EVENTS} events ({SERIES} weekly or monthly series; {} dates, {} edited \
             on their own) in `{FEED_CALENDAR}` and {} one-off events in {OTHER_CALENDARS} \
             other calendars, through the events app's Organiser, in {:.1} s",
            seeded.dates,
            seeded.edited,
            OTHER_CALENDARS * OTHER_EVENTS,
            started.elapsed().as_secs_f64()
        );
        fleet.start().await?;
        measure(&wrk, &options).await
    }
    .await;
    fleet.stop().await;
    result
}

/// Warms `url` up and returns its last body and `x-cache` header.
async fn warm(client: &reqwest::Client, url: &str) -> anyhow::Result<(Vec<u8>, String)> {
    let mut body = Vec::new();
    let mut source = String::new();
    for _ in 0..WARM_UP {
        let res = client.get(url).send().await?.error_for_status()?;
        source = res
            .headers()
            .get("x-cache")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("none")
            .to_owned();
        body = res.bytes().await?.to_vec();
    }
    Ok((body, source))
}

async fn measure(wrk: &Path, options: &Options) -> anyhow::Result<()> {
    let client = shared::infrastructure::http_client::internal_client()?;
    let events = format!("http://127.0.0.1:{}", port(AppName::Events));
    let today = Utc::now().date_naive();
    let next_month = today
        .with_day(1)
        .and_then(|d| d.checked_add_months(Months::new(1)))
        .context("next month")?;
    let pages = [
        (
            "month page, rendered",
            format!("/month?month={}", next_month.format("%Y-%m")),
            "≥ 2,000 req/s, p99 ≤ 30 ms",
        ),
        (
            "calendar feed (iCal)",
            format!("/calendars/{FEED_CALENDAR}/feed.ics"),
            "≥ 1,000 req/s",
        ),
    ];
    let mut rows = Vec::new();
    for (name, path, target) in pages {
        let url = format!("{events}{path}");
        let (body, source) = warm(&client, &url).await?;
        let text = String::from_utf8_lossy(&body);
        let detail = if path.ends_with(".ics") {
            format!(
                "{} VEVENTs, {} RRULEs, {} EXDATEs, {} RECURRENCE-IDs",
                text.matches("BEGIN:VEVENT").count(),
                text.matches("\r\nRRULE:").count(),
                text.matches("\r\nEXDATE").count(),
                text.matches("\r\nRECURRENCE-ID").count()
            )
        } else {
            format!(
                "{} dates shown",
                text.matches("class=\"month-event").count()
            )
        };
        println!(
            "· {path}: {} bytes, x-cache {source}, {detail}; measuring",
            body.len()
        );
        let result = run_wrk(wrk, options, &url, &[]).await?;
        rows.push((name, path, body.len(), result, target));
    }
    println!(
        "\nEvents pages ({} connections, wrk -t{}, {} s each, wrk on the same cores)\n",
        options.connections, options.threads, options.duration_secs
    );
    println!(
        "  {:<24} {:>8} {:>9} {:>8} {:>8} {:>7}  target",
        "page", "bytes", "req/s", "p50 ms", "p99 ms", "errors"
    );
    for (name, _, bytes, r, target) in &rows {
        print_row(name, *bytes, r, target);
    }
    widget(
        wrk,
        options,
        &client,
        &format!("{events}/embed/events.json"),
    )
    .await
}

fn print_row(name: &str, bytes: usize, r: &WrkResult, target: &str) {
    println!(
        "  {name:<24} {bytes:>8} {:>9.0} {:>8.2} {:>8.2} {:>7}  {target}",
        r.requests_per_sec, r.p50_ms, r.p99_ms, r.errors
    );
}

/// The widget's JSON as a third-party page's `<roseash-events>` asks for it, and the same
/// bytes from nginx.
async fn widget(
    wrk: &Path,
    options: &Options,
    client: &reqwest::Client,
    url: &str,
) -> anyhow::Result<()> {
    let (body, source) = warm(client, url).await?;
    let events = serde_json::from_slice::<serde_json::Value>(&body)
        .ok()
        .and_then(|v| v.get("events").and_then(|e| e.as_array()).map(Vec::len))
        .unwrap_or(0);
    if events == 0 {
        bail!("the widget's feed lists no events");
    }
    println!(
        "\n· {url}: {} bytes, {events} events, x-cache {source}; measuring",
        body.len()
    );
    let served = run_wrk(
        wrk,
        options,
        url,
        &["Origin: https://elsewhere.example".into()],
    )
    .await?;
    if served.errors > 0 {
        bail!("{url}: {} errors under load", served.errors);
    }
    let (server, ceiling) = static_ceiling(wrk, options, client, &body).await?;
    let share = 100.0 * served.requests_per_sec / ceiling.requests_per_sec.max(1.0);
    println!(
        "\nWidget for other websites: <roseash-events>' feed /embed/events.json ({} bytes)\n",
        body.len()
    );
    println!(
        "  {:<32} {:>9} {:>8} {:>8}",
        "served by", "req/s", "p50 ms", "p99 ms"
    );
    for (name, r) in [("events app", &served), (server, &ceiling)] {
        println!(
            "  {name:<32} {:>9.0} {:>8.2} {:>8.2}",
            r.requests_per_sec, r.p50_ms, r.p99_ms
        );
    }
    println!("  widget at {share:.1}% of the static file (target ≥ 50%)");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_programme_parses_as_the_app_would_take_it() {
        let today = NaiveDate::from_ymd_opt(2026, 12, 4).unwrap();
        let mut series = 0;
        for i in 0..EVENTS {
            let form = event_form(FEED_CALENDAR, i, SERIES, today);
            let input = form.parse(1).unwrap_or_else(|e| panic!("event {i}: {e}"));
            series += usize::from(input.rule.is_some());
        }
        assert_eq!(series, SERIES);
    }
}
