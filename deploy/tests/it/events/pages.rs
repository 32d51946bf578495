//! The events app through HTTP, as a visitor (or someone probing) sees it: the calendar
//! lists what is not over yet, an event page shows the event (its Markdown sanitised), and
//! any other slug is a 404 that changes nothing.

use chrono::{Duration, Utc};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use shared::AppName;
use shared::db::schema::events as events_table;
use shared::models::events::NewEvent;

use crate::support::TestFleet;

async fn seed(t: &TestFleet) {
    let mut conn = t.db.conn().await;
    let now = Utc::now();
    let rows = [
        (
            "pruning",
            "Winter pruning",
            "",
            now - Duration::days(3),
            Some(now - Duration::days(2)),
        ),
        (
            "harvest",
            "Harvest week",
            "The long field",
            now - Duration::days(1),
            Some(now + Duration::days(1)),
        ),
        (
            "wassail",
            "Wassail in the orchard",
            "The orchard",
            now + Duration::days(2),
            None,
        ),
    ];
    for (slug, title, location, starts_at, ends_at) in rows {
        events::db::events::insert(
            &mut conn,
            &NewEvent {
                slug,
                title,
                description: "Bring a cup & a <song>.",
                location,
                starts_at,
                ends_at,
            },
        )
        .await
        .unwrap();
    }
}

async fn event_count(t: &TestFleet) -> i64 {
    events_table::table
        .count()
        .get_result(&mut t.db.conn().await)
        .await
        .unwrap()
}

#[actix_web::test]
async fn the_calendar_lists_events_not_yet_over_soonest_first() {
    let t = TestFleet::start().await;
    seed(&t).await;
    let page = t.get(AppName::Events, "/", None).await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("What's on"));
    assert!(
        !page.body.contains("Winter pruning"),
        "a past event is not listed"
    );
    let harvest = page
        .body
        .find("Harvest week")
        .expect("an ongoing event is listed");
    let wassail = page
        .body
        .find("Wassail in the orchard")
        .expect("a future event is listed");
    assert!(harvest < wassail, "soonest first");
    assert!(page.body.contains("events/wassail"));
    assert!(page.body.contains("The orchard"));
    t.stop().await;
}

#[actix_web::test]
async fn an_event_page_shows_the_event_escaped() {
    let t = TestFleet::start().await;
    seed(&t).await;
    let page = t.get(AppName::Events, "/events/harvest", None).await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("<h1>Harvest week</h1>"));
    assert!(page.body.contains("The long field"));
    // The description is Markdown: text escaped, raw HTML dropped by the sanitiser.
    assert!(page.body.contains("Bring a cup &amp; a"), "{}", page.body);
    assert!(!page.body.contains("<song>"));
    // A past event keeps its page.
    let past = t.get(AppName::Events, "/events/pruning", None).await;
    assert_eq!(past.status, 200);
    assert!(past.body.contains("Winter pruning"));
    t.stop().await;
}

#[actix_web::test]
async fn an_unknown_or_hostile_slug_is_a_404_that_changes_nothing() {
    let t = TestFleet::start().await;
    seed(&t).await;
    for path in [
        "/events/nope",
        "/events/harvest'%20OR%20'1'='1",
        "/events/%25",
        "/events/HARVEST",
        "/events/harvest%20",
        "/events/%3Cscript%3Ealert(1)%3C%2Fscript%3E",
    ] {
        let page = t.get(AppName::Events, path, None).await;
        assert_eq!(page.status, 404, "{path}: {}", page.body);
        assert!(
            page.body.contains("There is no such event."),
            "{path}: {}",
            page.body
        );
        assert!(!page.body.contains("<script>alert(1)"), "{path}");
    }
    assert_eq!(event_count(&t).await, 3);
    t.stop().await;
}
