//! Events: the calendar pages, organisers and their permissions, recurring series across a
//! summer-time change, iCal feeds read by a third-party library, bookings under a race, the
//! widgets other apps embed, and federation with a bovine peer (Create/Update/Delete of
//! an Event, Join and Leave).

mod booking_flow;
mod bookings;
mod cancellations;
mod embed;
mod embed_browser;
mod federation;
mod guests;
mod ical;
mod organisers;
mod pages;
mod recurrence;
mod tickets;
mod widgets;

use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use shared::AppName;
use shared::db::schema::{event_occurrences, events as events_table};
use shared::testing::TestSession;

use crate::support::people::person;
use crate::support::{Page, TestFleet};

/// An administrator, an organiser of a fresh calendar `orchard` and a member who organises
/// nothing, each signed in to events.
pub struct Cast {
    pub admin: TestSession,
    pub organiser: TestSession,
    pub other: TestSession,
    pub organiser_id: i64,
    pub other_id: i64,
}

pub async fn cast(t: &TestFleet) -> Cast {
    let admin_id = person(t, "ada", "admin").await;
    let organiser_id = person(t, "olive", "member").await;
    let other_id = person(t, "nosy", "member").await;
    let admin = t.sign_in(AppName::Events, admin_id).await;
    let organiser = t.sign_in(AppName::Events, organiser_id).await;
    let other = t.sign_in(AppName::Events, other_id).await;
    let made = post(
        t,
        "/calendars",
        &[
            ("name", "Orchard"),
            ("slug", "orchard"),
            ("description", "The orchard team's days."),
            ("organisers", "olive"),
        ],
        &admin,
    )
    .await;
    assert_eq!(made.status, 303, "{}", made.body);
    Cast {
        admin,
        organiser,
        other,
        organiser_id,
        other_id,
    }
}

pub async fn post(t: &TestFleet, path: &str, form: &[(&str, &str)], who: &TestSession) -> Page {
    t.post_form(AppName::Events, path, form, Some(who), AppName::Events)
        .await
}

/// An event form with sensible defaults, overridden by `fields`.
pub fn event_form<'a>(fields: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut form: Vec<(&str, &str)> = vec![
        ("calendar", "orchard"),
        ("title", "Pruning day"),
        ("description", "Bring **gloves**."),
        ("location", "The orchard"),
        ("date", "2027-02-06"),
        ("start_time", "10:00"),
        ("end_time", "12:00"),
        ("time_zone", "Europe/London"),
        ("status", "confirmed"),
        ("visibility", "public"),
    ];
    for (k, v) in fields {
        form.retain(|(name, _)| name != k);
        form.push((k, v));
    }
    form
}

pub async fn create(t: &TestFleet, who: &TestSession, fields: &[(&str, &str)]) -> Page {
    post(t, "/events", &event_form(fields), who).await
}

pub async fn event_count(t: &TestFleet) -> i64 {
    events_table::table
        .count()
        .get_result(&mut t.db.conn().await)
        .await
        .unwrap()
}

/// The event's dates (starts, ends, removed) in order.
pub async fn dates_of(t: &TestFleet, slug: &str) -> Vec<shared::models::events::Occurrence> {
    let mut conn = t.db.conn().await;
    let event = events::db::events::by_slug(&mut conn, slug)
        .await
        .unwrap()
        .unwrap();
    event_occurrences::table
        .filter(event_occurrences::event_id.eq(event.id))
        .order(event_occurrences::starts_at)
        .select(shared::models::events::Occurrence::as_select())
        .load(&mut conn)
        .await
        .unwrap()
}
