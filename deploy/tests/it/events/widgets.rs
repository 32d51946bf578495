//! The widgets other apps embed, as they ask for them (`/internal/fragments/<type>` with the
//! fleet credential): `upcoming` by calendar, tag and limit, `event-card` for one event, and
//! `calendar-month`; links in them are absolute, since they are shown on other hosts.

use shared::AppName;
use shared::infrastructure::internal_auth::{self, HEADER};

use super::{cast, create};
use crate::support::{Page, TestFleet, page};

async fn fragment(t: &TestFleet, path_and_query: &str) -> Page {
    let secret = t
        .fleet
        .ctx(AppName::Events)
        .config()
        .internal_secret
        .clone();
    let path = format!("/internal/fragments/{path_and_query}");
    let header = internal_auth::sign(&secret, "GET", &path, internal_auth::unix_now());
    page(
        t.client
            .get(t.fleet.at(AppName::Events, &path))
            .header(HEADER, header)
            .send()
            .await
            .unwrap(),
    )
    .await
}

#[actix_web::test]
async fn upcoming_event_card_and_month_widgets() {
    let t = TestFleet::start().await;
    let c = cast(&t).await;
    for fields in [
        vec![
            ("title", "Grafting"),
            ("date", "2027-03-13"),
            ("tags", "trees"),
        ],
        vec![
            ("title", "Cider pressing"),
            ("date", "2027-03-20"),
            ("tags", "cider"),
        ],
        vec![
            ("title", "Weekly walk"),
            ("date", "2027-03-02"),
            ("repeat", "weekly"),
            ("count", "5"),
            ("tags", "walks"),
        ],
    ] {
        let r = create(&t, &c.organiser, &fields).await;
        assert_eq!(r.status, 303, "{}", r.body);
    }
    let events_url = t.fleet.url(AppName::Events).to_string();

    let all = fragment(&t, "upcoming?calendar=orchard&limit=3").await;
    assert_eq!(all.status, 200, "{}", all.body);
    assert_eq!(all.body.matches("<li").count(), 3, "{}", all.body);
    assert!(all.body.contains("Weekly walk"));
    assert!(
        all.body
            .contains(&format!("{events_url}events/weekly-walk")),
        "{}",
        all.body
    );
    let trees = fragment(&t, "upcoming?tag=trees").await;
    assert!(trees.body.contains("Grafting") && !trees.body.contains("Cider"));
    let other = fragment(&t, "upcoming?calendar=community").await;
    assert!(other.body.contains("Nothing is planned yet."));
    let bad = fragment(&t, "upcoming?limit=many").await;
    assert_eq!(bad.status, 400);

    let card = fragment(&t, "event-card?slug=cider-pressing").await;
    assert!(card.body.contains("Cider pressing"));
    let gone = fragment(&t, "event-card?slug=nope").await;
    assert!(gone.body.contains("This event is no longer listed."));

    let month = fragment(&t, "calendar-month?month=2027-03&calendar=orchard").await;
    assert_eq!(month.status, 200, "{}", month.body);
    assert!(month.body.contains("March 2027"));
    assert_eq!(
        month.body.matches("Weekly walk").count(),
        5,
        "{}",
        month.body
    );
    assert!(
        month
            .body
            .contains(&format!("{events_url}month?month=2027-03"))
    );
    t.stop().await;
}
