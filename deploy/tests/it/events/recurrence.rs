//! Recurring series through HTTP: a weekly 09:00 class in London stays at 09:00 on the wall
//! clock across the October change; "first Saturday" until a date; one date edited, one
//! cancelled and one taken out; editing the series after it began changes only the dates to
//! come; the materialising job makes dates that have come within the horizon.

use chrono::{DateTime, Duration, Utc};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use shared::AppName;
use shared::db::schema::{background_jobs, event_occurrences};

use super::{cast, create, dates_of, post};
use crate::support::{TestFleet, eventually};

fn utc(s: &str) -> DateTime<Utc> {
    format!("{s}:00Z").parse().unwrap()
}

fn london() -> events::domain::form::Zone {
    events::domain::form::parse_zone("Europe/London").unwrap()
}

fn local(t: DateTime<Utc>) -> String {
    t.with_timezone(&london())
        .format("%Y-%m-%d %H:%M")
        .to_string()
}

#[actix_web::test]
async fn a_weekly_class_stays_at_nine_across_the_october_change() {
    let t = TestFleet::start().await;
    let c = cast(&t).await;
    let made = create(
        &t,
        &c.organiser,
        &[
            ("title", "Morning class"),
            ("date", "2027-10-16"),
            ("start_time", "09:00"),
            ("end_time", "10:00"),
            ("repeat", "weekly"),
            ("count", "4"),
        ],
    )
    .await;
    assert_eq!(made.status, 303, "{}", made.body);
    let dates = dates_of(&t, "morning-class").await;
    let starts: Vec<DateTime<Utc>> = dates.iter().map(|o| o.starts_at).collect();
    assert_eq!(
        starts,
        vec![
            utc("2027-10-16T08:00"),
            utc("2027-10-23T08:00"),
            utc("2027-10-30T08:00"),
            // 31 October 2027: the clocks go back, and 09:00 GMT is 09:00 UTC.
            utc("2027-11-06T09:00"),
        ]
    );
    for o in &dates {
        assert!(local(o.starts_at).ends_with("09:00"));
        assert!(local(o.ends_at.unwrap()).ends_with("10:00"));
    }
    let page = t.get(AppName::Events, "/events/morning-class", None).await;
    assert!(
        page.body.contains("Every Saturday, 4 times"),
        "{}",
        page.body
    );
    assert!(
        page.body.matches(", 09:00</time>").count() >= 4,
        "{}",
        page.body
    );
    assert!(!page.body.contains("08:00</time>"), "{}", page.body);
    t.stop().await;
}

#[actix_web::test]
async fn first_saturdays_single_dates_edited_cancelled_and_taken_out() {
    let t = TestFleet::start().await;
    let c = cast(&t).await;
    let made = create(
        &t,
        &c.organiser,
        &[
            ("title", "Market"),
            ("date", "2027-01-02"),
            ("start_time", "09:00"),
            ("end_time", "13:00"),
            ("repeat", "monthly"),
            ("until", "2027-06-30"),
        ],
    )
    .await;
    assert_eq!(made.status, 303, "{}", made.body);
    let dates = dates_of(&t, "market").await;
    let days: Vec<String> = dates.iter().map(|o| local(o.starts_at)).collect();
    assert_eq!(
        days,
        [
            "2027-01-02 09:00",
            "2027-02-06 09:00",
            "2027-03-06 09:00",
            "2027-04-03 09:00",
            "2027-05-01 09:00",
            "2027-06-05 09:00"
        ]
    );
    // The second is the last Saturday-only choice a fifth weekday needs.
    let fifth = create(
        &t,
        &c.organiser,
        &[
            ("title", "Fifth"),
            ("date", "2027-01-30"),
            ("repeat", "monthly"),
        ],
    )
    .await;
    assert_eq!(fifth.status, 400, "{}", fifth.body);

    // One date moves and is renamed, one is cancelled, one is taken out.
    let edit = |o: &shared::models::events::Occurrence| format!("/events/market/dates/{}", o.id);
    let moved = post(
        &t,
        &edit(&dates[1]),
        &[
            ("date", "2027-02-13"),
            ("start_time", "10:00"),
            ("end_time", "14:00"),
            ("title", "Valentine market"),
        ],
        &c.organiser,
    )
    .await;
    assert_eq!(moved.status, 303, "{}", moved.body);
    let cancelled = post(
        &t,
        &edit(&dates[2]),
        &[
            ("date", "2027-03-06"),
            ("start_time", "09:00"),
            ("end_time", "13:00"),
            ("status", "cancelled"),
        ],
        &c.organiser,
    )
    .await;
    assert_eq!(cancelled.status, 303, "{}", cancelled.body);
    let removed = post(
        &t,
        &edit(&dates[4]),
        &[
            ("date", "2027-05-01"),
            ("start_time", "09:00"),
            ("removed", "on"),
        ],
        &c.organiser,
    )
    .await;
    assert_eq!(removed.status, 303, "{}", removed.body);
    let after = dates_of(&t, "market").await;
    assert_eq!(local(after[1].starts_at), "2027-02-13 10:00");
    assert_eq!(after[1].title.as_deref(), Some("Valentine market"));
    assert_eq!(after[2].status.as_deref(), Some("cancelled"));
    assert!(after[4].removed);
    let page = t.get(AppName::Events, "/month?month=2027-02", None).await;
    assert!(page.body.contains("Valentine market"));
    let may = t.get(AppName::Events, "/week?week=2027-05-01", None).await;
    assert!(
        !may.body.contains("<strong>Market</strong>"),
        "a date taken out is not shown"
    );
    let june = t.get(AppName::Events, "/week?week=2027-06-05", None).await;
    assert!(
        june.body.contains("<strong>Market</strong>"),
        "{}",
        june.body
    );

    // A bad date edit is a 400 that changes nothing.
    let bad = post(
        &t,
        &edit(&dates[3]),
        &[("date", "2027-04-03"), ("start_time", "9 o'clock")],
        &c.organiser,
    )
    .await;
    assert_eq!(bad.status, 400);
    assert_eq!(dates_of(&t, "market").await, after);
    t.stop().await;
}

#[actix_web::test]
async fn editing_a_series_that_began_changes_only_the_dates_to_come() {
    let t = TestFleet::start().await;
    let c = cast(&t).await;
    let first = (Utc::now() - Duration::days(20)).with_timezone(&london());
    let date = first.format("%Y-%m-%d").to_string();
    let made = create(
        &t,
        &c.organiser,
        &[
            ("title", "Choir"),
            ("date", &date),
            ("start_time", "18:00"),
            ("end_time", "19:00"),
            ("repeat", "weekly"),
            ("count", "8"),
        ],
    )
    .await;
    assert_eq!(made.status, 303, "{}", made.body);
    let before = dates_of(&t, "choir").await;
    assert_eq!(before.len(), 8);
    let now = Utc::now();
    let past: Vec<_> = before
        .iter()
        .filter(|o| o.starts_at < now)
        .cloned()
        .collect();
    assert_eq!(past.len(), 3);

    let edited = post(
        &t,
        "/events/choir",
        &super::event_form(&[
            ("title", "Evening choir"),
            ("slug", "choir"),
            ("date", &date),
            ("start_time", "19:30"),
            ("end_time", "21:00"),
            ("repeat", "weekly"),
            ("count", "8"),
        ]),
        &c.organiser,
    )
    .await;
    assert_eq!(edited.status, 303, "{}", edited.body);
    let after = dates_of(&t, "choir").await;
    assert_eq!(after.len(), 8, "still eight dates in all");
    for (old, new) in past.iter().zip(&after) {
        assert_eq!(old.starts_at, new.starts_at, "a past date keeps its time");
        assert_eq!(new.title.as_deref(), Some("Choir"), "and its title");
    }
    for o in after.iter().filter(|o| o.starts_at >= now) {
        assert!(
            local(o.starts_at).ends_with("19:30"),
            "{}",
            local(o.starts_at)
        );
        assert!(o.title.is_none(), "the dates to come follow the series");
        assert!(o.series_version > past[0].series_version);
    }
    let page = t.get(AppName::Events, "/events/choir", None).await;
    assert!(page.body.contains("<h1>Evening choir</h1>"));
    t.stop().await;
}

#[actix_web::test]
async fn the_job_carries_an_open_ended_series_forward() {
    let t = TestFleet::start().await;
    let c = cast(&t).await;
    let date = (Utc::now() + Duration::days(1))
        .with_timezone(&london())
        .format("%Y-%m-%d")
        .to_string();
    let made = create(
        &t,
        &c.organiser,
        &[("title", "Yoga"), ("date", &date), ("repeat", "weekly")],
    )
    .await;
    assert_eq!(made.status, 303, "{}", made.body);
    let all = dates_of(&t, "yoga").await;
    assert!(all.len() >= 50, "about a year ahead: {}", all.len());
    let mut conn = t.db.conn().await;
    // The next run is queued for tomorrow, once per series.
    let queued: Vec<DateTime<Utc>> = background_jobs::table
        .filter(background_jobs::job_type.eq("events.materialise_series"))
        .select(background_jobs::run_at)
        .load(&mut conn)
        .await
        .unwrap();
    assert_eq!(queued.len(), 1);
    assert!(queued[0] > Utc::now() + Duration::hours(23));
    // As if time had passed: the later dates are not there yet, and the job is due.
    let cut = Utc::now() + Duration::days(60);
    let event_id = all[0].event_id;
    diesel::delete(
        event_occurrences::table
            .filter(event_occurrences::event_id.eq(event_id))
            .filter(event_occurrences::starts_at.gt(cut)),
    )
    .execute(&mut conn)
    .await
    .unwrap();
    diesel::update(
        background_jobs::table.filter(background_jobs::job_type.eq("events.materialise_series")),
    )
    .set(background_jobs::run_at.eq(Utc::now()))
    .execute(&mut conn)
    .await
    .unwrap();
    diesel::sql_query("NOTIFY background_jobs")
        .execute(&mut conn)
        .await
        .unwrap();
    let want = all.len();
    eventually(20, "the job to make the dates again", || async {
        dates_of(&t, "yoga").await.len() >= want
    })
    .await;
    let starts = |v: &[shared::models::events::Occurrence]| -> Vec<DateTime<Utc>> {
        v.iter().map(|o| o.starts_at).collect()
    };
    assert_eq!(
        starts(&dates_of(&t, "yoga").await),
        starts(&all),
        "the same dates, none twice"
    );
    t.stop().await;
}
