//! Free bookings through HTTP: five members race for three places, exactly three get one and
//! two wait; booking twice is one booking; a cancellation gives the place to the first waiting
//! (who is mailed); with nobody waiting it frees a place; a cancelled or past date
//! takes no bookings; the member's private feed lists what they booked, behind an address
//! they can replace (the old one then stops working); account reads the same through the
//! `Bookings` contract.

use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use futures_util::future::join_all;
use shared::AppName;
use shared::contracts::bookings::Which;
use shared::db::schema::event_bookings;

use super::{cast, create, dates_of, event_form, post};
use crate::support::people::{address, person};
use crate::support::{TestFleet, mail_sink};

async fn live_bookings(t: &TestFleet) -> i64 {
    event_bookings::table
        .filter(event_bookings::status.eq("booked"))
        .count()
        .get_result(&mut t.db.conn().await)
        .await
        .unwrap()
}

/// The date's bookings with the given status, in the waitlist's order.
pub async fn with_status(t: &TestFleet, occurrence_id: i64, status: &str) -> Vec<Option<i64>> {
    event_bookings::table
        .filter(event_bookings::occurrence_id.eq(occurrence_id))
        .filter(event_bookings::status.eq(status))
        .order((
            event_bookings::waitlisted_at.asc(),
            event_bookings::id.asc(),
        ))
        .select(event_bookings::user_id)
        .load(&mut t.db.conn().await)
        .await
        .unwrap()
}

/// A member with an address of their own in the shared SMTP sink.
pub async fn member_with_address(t: &TestFleet, who: &str) -> (i64, String) {
    let email = address(t, who);
    let id = federation::db::users::insert(
        &mut t.db.conn().await,
        &shared::models::users::NewUser {
            username: who,
            email: &email,
            display_name: &format!("{who} (display)"),
            avatar_url: None,
            bio: "",
            role: "member",
        },
    )
    .await
    .unwrap()
    .id;
    (id, email)
}

#[actix_web::test]
async fn five_members_race_for_three_places_and_the_waitlist_moves_up_in_order() {
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
    for i in 0..5 {
        let (id, email) = member_with_address(&t, &format!("baker{i}")).await;
        members.push((id, t.sign_in(AppName::Events, id).await, email));
    }
    let answers = join_all(members.iter().map(|(_, s, _)| post(&t, &book, &[], s))).await;
    assert!(
        answers.iter().all(|a| a.status == 303),
        "{:?}",
        answers
            .iter()
            .map(|a| (a.status, &a.body))
            .collect::<Vec<_>>()
    );
    let booked = with_status(&t, date.id, "booked").await;
    let waiting = with_status(&t, date.id, "waitlisted").await;
    assert_eq!(booked.len(), 3, "exactly three places");
    assert_eq!(waiting.len(), 2, "the other two wait");
    assert_eq!(live_bookings(&t).await, 3);
    assert_eq!(dates_of(&t, "bread-class").await[0].booked, 3);
    let session_of = |id: Option<i64>| &members.iter().find(|m| Some(m.0) == id).unwrap().1;
    let email_of = |id: Option<i64>| members.iter().find(|m| Some(m.0) == id).unwrap().2.clone();

    // Who got in sees it; who waits sees that; the organiser sees who comes.
    let page = t
        .get(
            AppName::Events,
            "/events/bread-class",
            Some(session_of(booked[0])),
        )
        .await;
    assert!(page.body.contains("You are going"), "{}", page.body);
    assert!(page.body.contains("0 places left"));
    let page = t
        .get(
            AppName::Events,
            "/events/bread-class",
            Some(session_of(waiting[0])),
        )
        .await;
    assert!(
        page.body.contains("You are on the waitlist"),
        "{}",
        page.body
    );
    assert!(page.body.contains("Leave the waitlist"));
    let page = t
        .get(AppName::Events, "/events/bread-class", Some(&c.organiser))
        .await;
    assert!(page.body.contains("Going: baker"), "{}", page.body);
    let newcomer = person(&t, "latecomer", "member").await;
    let newcomer = t.sign_in(AppName::Events, newcomer).await;
    let page = t
        .get(AppName::Events, "/events/bread-class", Some(&newcomer))
        .await;
    assert!(page.body.contains(">Full<"), "{}", page.body);
    assert!(page.body.contains("Join the waitlist"), "{}", page.body);

    // Booking again (twice at once) is still one booking, for the booked and the waiting.
    let again = join_all((0..3).map(|_| post(&t, &book, &[], session_of(booked[0])))).await;
    assert!(again.iter().all(|a| a.status == 303));
    let again = join_all((0..3).map(|_| post(&t, &book, &[], session_of(waiting[0])))).await;
    assert!(again.iter().all(|a| a.status == 303));
    assert_eq!(with_status(&t, date.id, "booked").await, booked);
    assert_eq!(with_status(&t, date.id, "waitlisted").await, waiting);

    // A cancellation gives the place to the first on the waitlist, in the same transaction,
    // and tells them by mail.
    let r = post(&t, &unbook, &[], session_of(booked[0])).await;
    assert_eq!(r.status, 303);
    let now_booked = with_status(&t, date.id, "booked").await;
    assert_eq!(now_booked.len(), 3);
    assert!(now_booked.contains(&waiting[0]), "the first waiting got it");
    assert!(!now_booked.contains(&booked[0]));
    assert_eq!(
        with_status(&t, date.id, "waitlisted").await,
        vec![waiting[1]]
    );
    assert_eq!(dates_of(&t, "bread-class").await[0].booked, 3);
    let mail = mail_sink()
        .wait_for(&email_of(waiting[0]), 1)
        .await
        .expect("the promoted member is mailed");
    assert_eq!(mail.subject(), Some("A place for you: Bread class"));
    assert!(
        mail.body().contains("/events/bread-class"),
        "{}",
        mail.body()
    );
    assert_eq!(mail_sink().count(&email_of(waiting[1])), 0);
    let page = t
        .get(
            AppName::Events,
            "/events/bread-class",
            Some(session_of(waiting[0])),
        )
        .await;
    assert!(page.body.contains("You are going"), "{}", page.body);

    // Leaving the waitlist frees no place; cancelling a place one does not hold changes nothing.
    let r = post(&t, &unbook, &[], session_of(waiting[1])).await;
    assert_eq!(r.status, 303);
    assert!(with_status(&t, date.id, "waitlisted").await.is_empty());
    let r = post(&t, &unbook, &[], session_of(booked[0])).await;
    assert_eq!(r.status, 303);
    assert_eq!(dates_of(&t, "bread-class").await[0].booked, 3);
    assert_eq!(live_bookings(&t).await, 3);

    // A place given back with nobody waiting is free for the next one to book.
    let r = post(&t, &unbook, &[], session_of(booked[1])).await;
    assert_eq!(r.status, 303);
    assert_eq!(dates_of(&t, "bread-class").await[0].booked, 2);
    let r = post(&t, &book, &[], &newcomer).await;
    assert_eq!(r.status, 303, "{}", r.body);
    assert_eq!(live_bookings(&t).await, 3);

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

/// An organiser who adds places gives them to the waitlist in order (as a cancellation does),
/// and a limit taken away lets everyone waiting in.
#[actix_web::test]
async fn raising_the_capacity_gives_the_new_places_to_the_waitlist_in_order() {
    let t = TestFleet::start().await;
    let c = cast(&t).await;
    let fields = [
        ("title", "Cider pressing"),
        ("date", "2027-05-15"),
        ("capacity", "1"),
    ];
    assert_eq!(create(&t, &c.organiser, &fields).await.status, 303);
    let date = dates_of(&t, "cider-pressing").await[0].clone();
    let book = format!("/events/cider-pressing/dates/{}/book", date.id);
    let mut members = Vec::new();
    for i in 0..3 {
        let (id, email) = member_with_address(&t, &format!("presser{i}")).await;
        let session = t.sign_in(AppName::Events, id).await;
        assert_eq!(post(&t, &book, &[], &session).await.status, 303);
        members.push((id, email));
    }
    let waiting = with_status(&t, date.id, "waitlisted").await;
    assert_eq!(waiting, vec![Some(members[1].0), Some(members[2].0)]);

    // One more place: the first waiting gets it and is told.
    let edit = |capacity: &'static str| {
        event_form(&[
            ("title", "Cider pressing"),
            ("slug", "cider-pressing"),
            ("date", "2027-05-15"),
            ("capacity", capacity),
        ])
    };
    let r = post(&t, "/events/cider-pressing", &edit("2"), &c.organiser).await;
    assert_eq!(r.status, 303, "{}", r.body);
    let mut booked = with_status(&t, date.id, "booked").await;
    booked.sort();
    assert_eq!(booked, vec![Some(members[0].0), Some(members[1].0)]);
    assert_eq!(
        with_status(&t, date.id, "waitlisted").await,
        vec![Some(members[2].0)]
    );
    assert_eq!(dates_of(&t, "cider-pressing").await[0].booked, 2);
    let mail = mail_sink()
        .wait_for(&members[1].1, 1)
        .await
        .expect("the promoted member is mailed");
    assert_eq!(mail.subject(), Some("A place for you: Cider pressing"));

    // No limit: nobody waits any more. Lowering it again takes nobody's place away.
    let r = post(&t, "/events/cider-pressing", &edit(""), &c.organiser).await;
    assert_eq!(r.status, 303, "{}", r.body);
    assert!(with_status(&t, date.id, "waitlisted").await.is_empty());
    assert_eq!(dates_of(&t, "cider-pressing").await[0].booked, 3);
    let r = post(&t, "/events/cider-pressing", &edit("1"), &c.organiser).await;
    assert_eq!(r.status, 303, "{}", r.body);
    assert_eq!(with_status(&t, date.id, "booked").await.len(), 3);
    t.stop().await;
}
