//! Free bookings through HTTP: eight members race for three places and exactly three get
//! one; booking twice is one booking; a cancellation frees a place; a cancelled or past date
//! takes no bookings; the member's private feed lists what they booked, behind an address
//! they can replace (the old one then stops working); account reads the same through the
//! `Bookings` contract.

use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use futures_util::future::join_all;
use shared::AppName;
use shared::contracts::bookings::Which;
use shared::db::schema::event_bookings;

use super::{cast, create, dates_of, post};
use crate::support::TestFleet;
use crate::support::people::person;

async fn live_bookings(t: &TestFleet) -> i64 {
    event_bookings::table
        .filter(event_bookings::status.eq("booked"))
        .count()
        .get_result(&mut t.db.conn().await)
        .await
        .unwrap()
}

#[actix_web::test]
async fn three_places_go_to_exactly_three_of_eight_racing_members() {
    let t = TestFleet::start().await;
    let c = cast(&t).await;
    let made = create(
        &t,
        &c.organiser,
        &[
            ("title", "Bread class"),
            ("date", "2027-05-08"),
            ("capacity", "3"),
        ],
    )
    .await;
    assert_eq!(made.status, 303, "{}", made.body);
    let date = dates_of(&t, "bread-class").await[0].clone();
    let book = format!("/events/bread-class/dates/{}/book", date.id);
    let unbook = format!("/events/bread-class/dates/{}/unbook", date.id);

    let mut members = Vec::new();
    for i in 0..8 {
        let id = person(&t, &format!("baker{i}"), "member").await;
        members.push((id, t.sign_in(AppName::Events, id).await));
    }
    let answers = join_all(members.iter().map(|(_, s)| post(&t, &book, &[], s))).await;
    let booked = answers.iter().filter(|a| a.status == 303).count();
    let refused: Vec<_> = answers.iter().filter(|a| a.status == 409).collect();
    assert_eq!(
        booked,
        3,
        "{:?}",
        answers.iter().map(|a| a.status).collect::<Vec<_>>()
    );
    assert_eq!(refused.len(), 5);
    assert!(refused[0].body.contains("Every place is taken."));
    assert_eq!(live_bookings(&t).await, 3);
    assert_eq!(dates_of(&t, "bread-class").await[0].booked, 3);

    // Who got in sees it; who did not sees "Full"; the organiser sees who comes.
    let winners: Vec<usize> = answers
        .iter()
        .enumerate()
        .filter(|(_, a)| a.status == 303)
        .map(|(i, _)| i)
        .collect();
    let loser = (0..8).find(|i| !winners.contains(i)).unwrap();
    let page = t
        .get(
            AppName::Events,
            "/events/bread-class",
            Some(&members[winners[0]].1),
        )
        .await;
    assert!(page.body.contains("You are going"), "{}", page.body);
    assert!(page.body.contains("0 places left"));
    let page = t
        .get(
            AppName::Events,
            "/events/bread-class",
            Some(&members[loser].1),
        )
        .await;
    assert!(page.body.contains(">Full<"), "{}", page.body);
    let page = t
        .get(AppName::Events, "/events/bread-class", Some(&c.organiser))
        .await;
    assert!(page.body.contains("Going: baker"), "{}", page.body);
    for w in &winners {
        assert!(page.body.contains(&format!("baker{w}")), "{}", page.body);
    }

    // Booking again (twice at once) is still one booking.
    let again = join_all((0..3).map(|_| post(&t, &book, &[], &members[winners[0]].1))).await;
    assert!(again.iter().all(|a| a.status == 303));
    assert_eq!(live_bookings(&t).await, 3);

    // A cancellation frees the place for someone else.
    let r = post(&t, &unbook, &[], &members[winners[0]].1).await;
    assert_eq!(r.status, 303);
    assert_eq!(dates_of(&t, "bread-class").await[0].booked, 2);
    let r = post(&t, &book, &[], &members[loser].1).await;
    assert_eq!(r.status, 303, "{}", r.body);
    assert_eq!(live_bookings(&t).await, 3);
    // Cancelling a place one does not hold changes nothing.
    let r = post(&t, &unbook, &[], &members[winners[0]].1).await;
    assert_eq!(r.status, 303);
    assert_eq!(dates_of(&t, "bread-class").await[0].booked, 3);

    // Without a session: refused, nothing changes.
    let anonymous = t
        .post_form(AppName::Events, &book, &[], None, AppName::Events)
        .await;
    assert!(anonymous.status == 401 || anonymous.status == 403);
    assert_eq!(live_bookings(&t).await, 3);
    t.stop().await;
}

#[actix_web::test]
async fn cancelled_and_past_dates_take_no_bookings() {
    let t = TestFleet::start().await;
    let c = cast(&t).await;
    for (title, date) in [("Gone", "2025-05-08"), ("Called off", "2027-05-08")] {
        let r = create(&t, &c.organiser, &[("title", title), ("date", date)]).await;
        assert_eq!(r.status, 303, "{}", r.body);
    }
    let r = post(&t, "/events/called-off/cancel", &[], &c.organiser).await;
    assert_eq!(r.status, 303);
    for slug in ["gone", "called-off"] {
        let id = dates_of(&t, slug).await[0].id;
        let r = post(
            &t,
            &format!("/events/{slug}/dates/{id}/book"),
            &[],
            &c.other,
        )
        .await;
        assert_eq!(r.status, 409, "{slug}: {}", r.body);
    }
    let r = post(&t, "/events/called-off/dates/999999/book", &[], &c.other).await;
    assert_eq!(r.status, 404);
    assert_eq!(live_bookings(&t).await, 0);
    t.stop().await;
}

#[actix_web::test]
async fn a_members_bookings_in_their_private_feed_and_through_the_contract() {
    let t = TestFleet::start().await;
    let c = cast(&t).await;
    let r = create(
        &t,
        &c.organiser,
        &[
            ("title", "Hedge laying"),
            ("date", "2027-02-20"),
            ("repeat", "weekly"),
            ("count", "3"),
        ],
    )
    .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let dates = dates_of(&t, "hedge-laying").await;
    let r = post(
        &t,
        &format!("/events/hedge-laying/dates/{}/book", dates[1].id),
        &[],
        &c.other,
    )
    .await;
    assert_eq!(r.status, 303, "{}", r.body);

    let page = t.get(AppName::Events, "/bookings", Some(&c.other)).await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("Hedge laying"));
    let feed_url = page
        .body
        .split("value=\"")
        .map(|s| s.split('"').next().unwrap_or(""))
        .find(|v| v.contains("/feed.ics"))
        .map(str::to_owned)
        .expect("the feed address on the page");
    assert!(page.body.contains("webcal://"));
    let feed = t.client.get(&feed_url).send().await.unwrap();
    assert_eq!(feed.status(), 200);
    assert_eq!(feed.headers()["cache-control"], "private, no-cache");
    let body = feed.text().await.unwrap();
    assert_eq!(
        body.matches("BEGIN:VEVENT").count(),
        1,
        "only the booked date: {body}"
    );
    assert!(body.contains("SUMMARY:Hedge laying"));
    assert!(
        body.contains("DTSTART;TZID=Europe/London:20270227T100000"),
        "{body}"
    );

    // Nobody else's address works, and a forged one neither.
    let path = feed_url.split_once("/bookings/").unwrap().1;
    let token = path.trim_end_matches("/feed.ics");
    let forged = token.replacen(
        &format!("{}-", c.other_id),
        &format!("{}-", c.organiser_id),
        1,
    );
    let r = t
        .get(
            AppName::Events,
            &format!("/bookings/{forged}/feed.ics"),
            None,
        )
        .await;
    assert_eq!(r.status, 404);

    // A new address: the old one stops working.
    let r = post(&t, "/bookings/feed/reset", &[], &c.other).await;
    assert_eq!(r.status, 303);
    let old = t.client.get(&feed_url).send().await.unwrap();
    assert_eq!(old.status(), 404);
    let page = t.get(AppName::Events, "/bookings", Some(&c.other)).await;
    assert!(!page.body.contains(&feed_url));

    // Account reads the member's bookings through the contract.
    let registry = t.fleet.ctx(AppName::Account).registry().clone();
    let listed = registry
        .bookings
        .bookings_of(c.other_id, Which::Upcoming, 10)
        .await
        .unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].event_slug, "hedge-laying");
    assert_eq!(listed[0].starts_at, dates[1].starts_at);
    assert_eq!(listed[0].time_zone, "Europe/London");
    assert!(
        registry
            .bookings
            .bookings_of(c.organiser_id, Which::All, 10)
            .await
            .unwrap()
            .is_empty()
    );
    t.stop().await;
}
