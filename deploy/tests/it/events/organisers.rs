//! Organisers through HTTP: an administrator makes a calendar and names its organiser; the
//! organiser creates, edits (a renamed event answers 301 at its old address), cancels and
//! deletes events; anyone else is refused (403) and nothing changes; bad input is a 400 that
//! saves nothing; the list, month, week and archive views show what they should, filtered by
//! calendar, tag and place, and an unlisted event only by its link.

use shared::AppName;

use super::{cast, create, event_count, post};
use crate::support::TestFleet;

#[actix_web::test]
async fn organisers_run_their_calendar_and_nobody_else_changes_it() {
    let t = TestFleet::start().await;
    let c = cast(&t).await;

    // Only an administrator makes calendars.
    let refused = post(&t, "/calendars", &[("name", "Mine")], &c.organiser).await;
    assert_eq!(refused.status, 403, "{}", refused.body);
    let form = t
        .get(AppName::Events, "/calendars/new", Some(&c.other))
        .await;
    assert_eq!(form.status, 403);
    let list = t.get(AppName::Events, "/calendars", None).await;
    assert!(list.body.contains("Orchard"));
    assert!(!list.body.contains("Mine"));

    // The organiser creates an event in their calendar.
    let made = create(
        &t,
        &c.organiser,
        &[
            (
                "description",
                "Bring **gloves**.\n\n<script>alert(1)</script>",
            ),
            ("tags", "Trees, workshops"),
            ("address", "Orchard Lane, Ashby"),
            ("capacity", "8"),
        ],
    )
    .await;
    assert_eq!(made.status, 303, "{}", made.body);
    assert_eq!(made.headers["location"], "/events/pruning-day");
    let page = t.get(AppName::Events, "/events/pruning-day", None).await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("<h1>Pruning day</h1>"));
    assert!(
        page.body.contains("<strong>gloves</strong>"),
        "{}",
        page.body
    );
    assert!(!page.body.contains("<script>alert(1)"));
    assert!(
        page.body.contains("Saturday  6 February 2027, 10:00")
            || page.body.contains("Saturday 6 February 2027, 10:00"),
        "{}",
        page.body
    );
    assert!(page.body.contains("Orchard Lane, Ashby"));
    assert!(page.body.contains("8 places left"));
    assert!(page.body.contains("#trees"));
    assert!(page.body.contains("webcal://"));

    // Not in a calendar they do not organise.
    let elsewhere = create(
        &t,
        &c.organiser,
        &[("calendar", "community"), ("title", "Sneaky")],
    )
    .await;
    assert_eq!(elsewhere.status, 403, "{}", elsewhere.body);

    // Someone else: refused everywhere, nothing changes.
    let before = event_count(&t).await;
    for (path, form) in [
        ("/events", super::event_form(&[("title", "Intruder")])),
        (
            "/events/pruning-day",
            super::event_form(&[("title", "Defaced")]),
        ),
        ("/events/pruning-day/cancel", Vec::new()),
        ("/events/pruning-day/delete", Vec::new()),
    ] {
        let r = post(&t, path, &form, &c.other).await;
        assert_eq!(r.status, 403, "{path}: {}", r.body);
    }
    let edit = t
        .get(AppName::Events, "/events/pruning-day/edit", Some(&c.other))
        .await;
    assert_eq!(edit.status, 403);
    let dates = super::dates_of(&t, "pruning-day").await;
    let date_path = format!("/events/pruning-day/dates/{}", dates[0].id);
    let r = post(
        &t,
        &date_path,
        &[
            ("date", "2027-02-07"),
            ("start_time", "10:00"),
            ("status", "cancelled"),
        ],
        &c.other,
    )
    .await;
    assert_eq!(r.status, 403, "{}", r.body);
    // Without a session at all: refused too.
    let anonymous = t
        .post_form(
            AppName::Events,
            "/events/pruning-day/delete",
            &[],
            None,
            AppName::Events,
        )
        .await;
    assert!(
        anonymous.status == 401 || anonymous.status == 403,
        "{}",
        anonymous.status
    );
    assert_eq!(event_count(&t).await, before);
    let page = t.get(AppName::Events, "/events/pruning-day", None).await;
    assert!(page.body.contains("<h1>Pruning day</h1>"));
    assert!(!page.body.contains("This event is cancelled."));
    assert_eq!(super::dates_of(&t, "pruning-day").await, dates);

    // Bad input: a clear 400, nothing saved.
    for bad in [
        ("time_zone", "Mars/Olympus"),
        ("date", "next Tuesday"),
        ("capacity", "-3"),
        ("online_url", "javascript:alert(1)"),
        ("status", "maybe"),
    ] {
        let r = create(&t, &c.organiser, &[bad, ("title", "Bad one")]).await;
        assert_eq!(r.status, 400, "{bad:?}: {}", r.body);
    }
    assert_eq!(event_count(&t).await, before);

    // The organiser renames it: the old address answers 301.
    let renamed = post(
        &t,
        "/events/pruning-day",
        &super::event_form(&[("title", "Winter pruning"), ("slug", "winter-pruning")]),
        &c.organiser,
    )
    .await;
    assert_eq!(renamed.status, 303, "{}", renamed.body);
    let old = t.get(AppName::Events, "/events/pruning-day", None).await;
    assert_eq!(old.status, 301);
    assert_eq!(old.headers["location"], "/events/winter-pruning");

    // Cancelling keeps it listed, marked, and its feed says so.
    let cancelled = post(&t, "/events/winter-pruning/cancel", &[], &c.organiser).await;
    assert_eq!(cancelled.status, 303, "{}", cancelled.body);
    let page = t.get(AppName::Events, "/events/winter-pruning", None).await;
    assert!(page.body.contains("This event is cancelled."));
    let ics = t
        .get(AppName::Events, "/events/winter-pruning/event.ics", None)
        .await;
    assert!(ics.body.contains("STATUS:CANCELLED\r\n"), "{}", ics.body);

    // An administrator may change any calendar's events; the organiser deletes theirs.
    let by_admin = post(
        &t,
        "/events/winter-pruning",
        &super::event_form(&[
            ("title", "Winter pruning (moved)"),
            ("slug", "winter-pruning"),
        ]),
        &c.admin,
    )
    .await;
    assert_eq!(by_admin.status, 303, "{}", by_admin.body);
    let deleted = post(&t, "/events/winter-pruning/delete", &[], &c.organiser).await;
    assert_eq!(deleted.status, 303, "{}", deleted.body);
    assert_eq!(event_count(&t).await, before - 1);
    let gone = t.get(AppName::Events, "/events/winter-pruning", None).await;
    assert_eq!(gone.status, 404);
    t.stop().await;
}

#[actix_web::test]
async fn month_week_list_and_archive_views_filter_by_calendar_tag_and_place() {
    let t = TestFleet::start().await;
    let c = cast(&t).await;
    for fields in [
        vec![
            ("title", "Grafting"),
            ("date", "2027-03-13"),
            ("tags", "trees"),
            ("location", "The orchard"),
        ],
        vec![
            ("title", "Cider pressing"),
            ("date", "2027-03-20"),
            ("tags", "cider"),
            ("location", "The barn"),
        ],
        vec![
            ("title", "Secret tasting"),
            ("date", "2027-03-21"),
            ("visibility", "unlisted"),
        ],
        vec![("title", "Old harvest"), ("date", "2025-09-20")],
    ] {
        let r = create(&t, &c.organiser, &fields).await;
        assert_eq!(r.status, 303, "{fields:?}: {}", r.body);
    }
    let list = t.get(AppName::Events, "/", None).await;
    assert!(list.body.contains("Grafting") && list.body.contains("Cider pressing"));
    assert!(!list.body.contains("Secret tasting"), "unlisted stays out");
    assert!(!list.body.contains("Old harvest"), "past stays out");
    let secret = t.get(AppName::Events, "/events/secret-tasting", None).await;
    assert_eq!(secret.status, 200, "an unlisted event opens by its link");

    let by_tag = t.get(AppName::Events, "/?tag=cider", None).await;
    assert!(by_tag.body.contains("Cider pressing") && !by_tag.body.contains("Grafting"));
    let by_place = t.get(AppName::Events, "/?place=The%20orchard", None).await;
    assert!(by_place.body.contains("Grafting") && !by_place.body.contains("Cider pressing"));
    let by_calendar = t.get(AppName::Events, "/?calendar=community", None).await;
    assert!(!by_calendar.body.contains("Grafting"));
    let unknown = t.get(AppName::Events, "/?calendar=nope", None).await;
    assert_eq!(unknown.status, 404);

    let month = t.get(AppName::Events, "/month?month=2027-03", None).await;
    assert_eq!(month.status, 200, "{}", month.body);
    assert!(month.body.contains("March 2027"));
    let cell = month.body.find(">13</span>").expect("the 13th");
    let grafting = month.body.find("Grafting").expect("in the month");
    let cell20 = month.body.find(">20</span>").expect("the 20th");
    assert!(cell < grafting && grafting < cell20, "on its day");
    assert!(!month.body.contains("Secret tasting"));
    let month_tag = t
        .get(AppName::Events, "/month?month=2027-03&tag=trees", None)
        .await;
    assert!(month_tag.body.contains("Grafting") && !month_tag.body.contains("Cider pressing"));
    let bad = t.get(AppName::Events, "/month?month=March", None).await;
    assert_eq!(bad.status, 400);

    let week = t.get(AppName::Events, "/week?week=2027-03-17", None).await;
    assert_eq!(week.status, 200);
    assert!(week.body.contains("Week of 15 March 2027"), "{}", week.body);
    assert!(week.body.contains("Cider pressing") && !week.body.contains("Grafting"));

    let past = t.get(AppName::Events, "/past", None).await;
    assert!(past.body.contains("Old harvest") && !past.body.contains("Grafting"));
    t.stop().await;
}
