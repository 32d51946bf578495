//! A stall's opening / market days: its owner (or an administrator) links it to an events
//! calendar in the stall form, and the stall's page shows that calendar's next dates through
//! the events app's `upcoming` fragment. A calendar that does not exist is refused (400) and
//! nothing changes.

use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use shared::AppName;
use shared::db::schema::stalls;

use crate::events::{cast, create};
use crate::support::people::person;
use crate::support::{Page, TestFleet};

async fn calendar_of(t: &TestFleet, slug: &str) -> Option<Option<String>> {
    stalls::table
        .filter(stalls::slug.eq(slug))
        .select(stalls::calendar_slug)
        .first(&mut t.db.conn().await)
        .await
        .optional()
        .unwrap()
}

fn stall_form(calendar: &str) -> Vec<(&str, &str)> {
    vec![
        ("name", "Fell Knits"),
        ("slug", "fell-knits"),
        ("description", "Hats from the hill."),
        ("location", "Stall 4"),
        ("calendar", calendar),
    ]
}

#[actix_web::test]
async fn a_stall_shows_the_dates_of_its_linked_calendar() {
    let t = TestFleet::start().await;
    // Events: a calendar `orchard` with a market day on it.
    let c = cast(&t).await;
    let made = create(
        &t,
        &c.organiser,
        &[("title", "Saturday market"), ("date", "2027-03-06")],
    )
    .await;
    assert_eq!(made.status, 303, "{}", made.body);

    let admin = person(&t, "mia", "admin").await;
    let owner = person(&t, "fell", "member").await;
    let admin_s = t.sign_in(AppName::Market, admin).await;
    let owner_s = t.sign_in(AppName::Market, owner).await;
    let post = async |path: &str, form: &[(&str, &str)], who| -> Page {
        t.post_form(AppName::Market, path, form, Some(who), AppName::Market)
            .await
    };

    // Opening a stall linked to a calendar that does not exist: 400, no stall.
    let mut unknown = stall_form("no-such-calendar");
    unknown.push(("owners", "fell"));
    let refused = post("/stalls", &unknown, &admin_s).await;
    assert_eq!(refused.status, 400, "{}", refused.body);
    assert!(refused.body.contains("no calendar"), "{}", refused.body);
    assert_eq!(calendar_of(&t, "fell-knits").await, None);

    // The administrator's form offers the events app's calendars.
    let form = t.get(AppName::Market, "/stalls/new", Some(&admin_s)).await;
    assert!(
        form.body
            .contains(r#"<option value="orchard">Orchard</option>"#),
        "{}",
        form.body
    );

    // Linked: the stall's page shows the calendar's next dates, linking to the events app.
    let mut linked = stall_form("orchard");
    linked.push(("owners", "fell"));
    let opened = post("/stalls", &linked, &admin_s).await;
    assert_eq!(opened.status, 303, "{}", opened.body);
    assert_eq!(
        calendar_of(&t, "fell-knits").await,
        Some(Some("orchard".into()))
    );
    let page = t.get(AppName::Market, "/stalls/fell-knits", None).await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("Market days"), "{}", page.body);
    assert!(page.body.contains("Saturday market"), "{}", page.body);
    let events_url = t.fleet.url(AppName::Events).to_string();
    assert!(
        page.body
            .contains(&format!("{events_url}events/saturday-market")),
        "{}",
        page.body
    );

    // The owner's edit form has the calendar chosen.
    let edit = t
        .get(AppName::Market, "/stalls/fell-knits/edit", Some(&owner_s))
        .await;
    assert!(
        edit.body
            .contains(r#"<option value="orchard" selected>Orchard</option>"#),
        "{}",
        edit.body
    );

    // The owner picks a calendar that does not exist: 400, the link is unchanged.
    let refused = post("/stalls/fell-knits", &stall_form("nope"), &owner_s).await;
    assert_eq!(refused.status, 400, "{}", refused.body);
    assert_eq!(
        calendar_of(&t, "fell-knits").await,
        Some(Some("orchard".into()))
    );
    let page = t.get(AppName::Market, "/stalls/fell-knits", None).await;
    assert!(page.body.contains("Saturday market"), "{}", page.body);

    // Another member may not link it (403, unchanged).
    let nosy = person(&t, "nosy2", "member").await;
    let nosy_s = t.sign_in(AppName::Market, nosy).await;
    let refused = post("/stalls/fell-knits", &stall_form(""), &nosy_s).await;
    assert_eq!(refused.status, 403, "{}", refused.body);
    assert_eq!(
        calendar_of(&t, "fell-knits").await,
        Some(Some("orchard".into()))
    );

    // The owner unlinks it: the dates go from the (cached) page at once.
    let unlinked = post("/stalls/fell-knits", &stall_form(""), &owner_s).await;
    assert_eq!(unlinked.status, 303, "{}", unlinked.body);
    assert_eq!(calendar_of(&t, "fell-knits").await, Some(None));
    let page = t.get(AppName::Market, "/stalls/fell-knits", None).await;
    assert!(!page.body.contains("Saturday market"), "{}", page.body);
    assert!(!page.body.contains("Market days"), "{}", page.body);
    t.stop().await;
}

/// The events app shows, on the page of an event whose calendar is a stall's market days, the
/// market's `stall-card`s of the stalls trading then (asked for by calendar through its
/// fragment client); they follow the stall's changes, and other calendars' events show none.
#[actix_web::test]
async fn an_event_on_a_stalls_market_days_shows_the_stall() {
    let t = TestFleet::start().await;
    let c = cast(&t).await;
    // A second calendar, which no stall trades on.
    let choir = crate::events::post(
        &t,
        "/calendars",
        &[
            ("name", "Choir"),
            ("slug", "choir"),
            ("organisers", "olive"),
        ],
        &c.admin,
    )
    .await;
    assert_eq!(choir.status, 303, "{}", choir.body);
    for fields in [
        [("title", "Saturday market"), ("calendar", "orchard")],
        [("title", "Choir practice"), ("calendar", "choir")],
    ] {
        let made = create(&t, &c.organiser, &fields).await;
        assert_eq!(made.status, 303, "{}", made.body);
    }
    let admin = person(&t, "mia", "admin").await;
    let owner = person(&t, "fell", "member").await;
    let admin_s = t.sign_in(AppName::Market, admin).await;
    let owner_s = t.sign_in(AppName::Market, owner).await;
    let mut linked = stall_form("orchard");
    linked.push(("owners", "fell"));
    let opened = t
        .post_form(
            AppName::Market,
            "/stalls",
            &linked,
            Some(&admin_s),
            AppName::Market,
        )
        .await;
    assert_eq!(opened.status, 303, "{}", opened.body);

    let market_url = t.fleet.url(AppName::Market).to_string();
    let event = t
        .get(AppName::Events, "/events/saturday-market", None)
        .await;
    assert_eq!(event.status, 200, "{}", event.body);
    assert!(
        event.body.contains("Stalls on these days"),
        "{}",
        event.body
    );
    assert!(event.body.contains("Fell Knits"), "{}", event.body);
    assert!(event.body.contains("Hats from the hill."), "{}", event.body);
    assert!(
        event
            .body
            .contains(&format!("{market_url}stalls/fell-knits\"")),
        "{}",
        event.body
    );
    let choir = t.get(AppName::Events, "/events/choir-practice", None).await;
    assert_eq!(choir.status, 200);
    assert!(
        !choir.body.contains("Stalls on these days"),
        "{}",
        choir.body
    );
    assert!(!choir.body.contains("Fell Knits"), "{}", choir.body);

    // The owner renames the stall: the events page shows the new name at once (the market
    // purges its `stall-card`s on every change).
    let mut renamed = stall_form("orchard");
    renamed[0] = ("name", "Fell Wool");
    let saved = t
        .post_form(
            AppName::Market,
            "/stalls/fell-knits",
            &renamed,
            Some(&owner_s),
            AppName::Market,
        )
        .await;
    assert_eq!(saved.status, 303, "{}", saved.body);
    let event = t
        .get(AppName::Events, "/events/saturday-market", None)
        .await;
    assert!(event.body.contains("Fell Wool"), "{}", event.body);

    // Unlinked: the event no longer lists it.
    let saved = t
        .post_form(
            AppName::Market,
            "/stalls/fell-knits",
            &stall_form(""),
            Some(&owner_s),
            AppName::Market,
        )
        .await;
    assert_eq!(saved.status, 303, "{}", saved.body);
    let event = t
        .get(AppName::Events, "/events/saturday-market", None)
        .await;
    assert!(
        !event.body.contains("Stalls on these days"),
        "{}",
        event.body
    );
    t.stop().await;
}
