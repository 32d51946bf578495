//! Cancelling a date, or a whole event, tells everyone booked there (issue 14): members and
//! guests holding a place, a waitlist spot or a request get one mail each through the mail
//! queue (the SMTP sink), and the notice job run again mails nobody twice; someone who gave
//! their place back, or is booked at another date of the series, hears nothing. Deleting an
//! event mails those booked at once (the bookings go with it). (Remote
//! participants get the federated `Update`: `events::federation`.)

use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use shared::AppName;
use shared::db::schema::background_jobs;

use super::bookings::member_with_address;
use super::{cast, create, dates_of, post};
use crate::support::people::address;
use crate::support::{TestFleet, eventually, mail_sink};

const NOTICES: &str = "events.cancellation_notices";

async fn notice_jobs(t: &TestFleet) -> i64 {
    background_jobs::table
        .filter(background_jobs::job_type.eq(NOTICES))
        .count()
        .get_result(&mut t.db.conn().await)
        .await
        .unwrap()
}

fn subjects(email: &str) -> Vec<String> {
    mail_sink()
        .to(email)
        .iter()
        .filter_map(|m| m.subject().map(str::to_owned))
        .collect()
}

#[actix_web::test]
async fn cancelling_a_date_or_an_event_mails_everyone_booked_there_once() {
    let t = TestFleet::start().await;
    let c = cast(&t).await;
    // Two dates a week apart, one place each.
    let r = create(
        &t,
        &c.organiser,
        &[
            ("title", "Hedge laying"),
            ("date", "2027-11-06"),
            ("start_time", "10:00"),
            ("end_time", "12:00"),
            ("repeat", "weekly"),
            ("count", "2"),
            ("capacity", "1"),
        ],
    )
    .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let dates = dates_of(&t, "hedge-laying").await;
    assert_eq!(dates.len(), 2);
    let (first, second) = (dates[0].clone(), dates[1].clone());
    let book = |id: i64| format!("/events/hedge-laying/dates/{id}/book");

    // At the first date: Ann holds the place, a guest and Bob wait, Cat came and went.
    let mut people = Vec::new();
    for who in ["ann", "bob", "cat", "dan"] {
        let (id, email) = member_with_address(&t, who).await;
        people.push((t.sign_in(AppName::Events, id).await, email));
    }
    let [
        (ann, ann_email),
        (bob, bob_email),
        (cat, cat_email),
        (dan, dan_email),
    ] = <[_; 4]>::try_from(people).ok().unwrap();
    assert_eq!(post(&t, &book(first.id), &[], &ann).await.status, 303);
    let guest = address(&t, "gwen");
    let r = t
        .post_form(
            AppName::Events,
            &format!("/events/hedge-laying/dates/{}/guest", first.id),
            &[("name", "Gwen"), ("email", &guest)],
            None,
            AppName::Events,
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let confirm = mail_sink().wait_for(&guest, 1).await.expect("a mail");
    let confirm = confirm
        .links()
        .into_iter()
        .find(|l| l.contains("/bookings/confirm/"))
        .unwrap();
    let path = format!("/bookings/{}", confirm.split_once("/bookings/").unwrap().1);
    let r = t
        .post_form(AppName::Events, &path, &[], None, AppName::Events)
        .await;
    assert!(r.body.contains("You are on the waitlist"), "{}", r.body);
    assert_eq!(post(&t, &book(first.id), &[], &bob).await.status, 303);
    assert_eq!(post(&t, &book(first.id), &[], &cat).await.status, 303);
    let unbook = format!("/events/hedge-laying/dates/{}/unbook", first.id);
    assert_eq!(post(&t, &unbook, &[], &cat).await.status, 303);
    // Dan is booked at the second date only.
    assert_eq!(post(&t, &book(second.id), &[], &dan).await.status, 303);

    // The organiser cancels the first date.
    let r = post(
        &t,
        &format!("/events/hedge-laying/dates/{}", first.id),
        &[
            ("date", "2027-11-06"),
            ("start_time", "10:00"),
            ("end_time", "12:00"),
            ("status", "cancelled"),
        ],
        &c.organiser,
    )
    .await;
    assert_eq!(r.status, 303, "{}", r.body);
    for email in [&ann_email, &bob_email] {
        let mail = mail_sink().wait_for(email, 1).await.expect("a notice");
        assert_eq!(mail.subject(), Some("Cancelled: Hedge laying"));
        assert!(
            mail.body().contains("Saturday 6 November 2027"),
            "{}",
            mail.body()
        );
    }
    let held = mail_sink().wait_for(&ann_email, 1).await.unwrap().body();
    assert!(held.contains("You had a place there"), "{held}");
    let waited = mail_sink().wait_for(&bob_email, 1).await.unwrap().body();
    assert!(waited.contains("a place on the waitlist"), "{waited}");
    let gwen = mail_sink()
        .wait_for(&guest, 2)
        .await
        .expect("the guest's notice");
    assert_eq!(gwen.subject(), Some("Cancelled: Hedge laying"));
    assert!(gwen.body().contains("Hello Gwen"), "{}", gwen.body());

    // Run again (a retry after a crash, or a second cancellation): nobody is mailed twice.
    eventually(30, "the notices to finish", || async {
        notice_jobs(&t).await == 0
    })
    .await;
    events::jobs::schedule_cancellation_notices(&mut t.db.conn().await, first.id)
        .await
        .unwrap();
    eventually(30, "the second run", || async {
        notice_jobs(&t).await == 0
    })
    .await;
    // The date cancelled again through the form queues nothing new either.
    let r = post(
        &t,
        &format!("/events/hedge-laying/dates/{}", first.id),
        &[
            ("date", "2027-11-06"),
            ("start_time", "10:00"),
            ("end_time", "12:00"),
            ("status", "cancelled"),
        ],
        &c.organiser,
    )
    .await;
    assert_eq!(r.status, 303, "{}", r.body);
    tokio::time::sleep(std::time::Duration::from_secs(2)).await;
    assert_eq!(subjects(&ann_email).len(), 1);
    assert_eq!(subjects(&bob_email).len(), 1);
    assert_eq!(subjects(&guest).len(), 2, "confirmation and one notice");
    assert!(subjects(&cat_email).is_empty(), "Cat gave her place back");
    assert!(
        subjects(&dan_email).is_empty(),
        "Dan's date is not cancelled"
    );

    // The whole event cancelled: Dan, at the date still open, is told; the first date's
    // people are not told again.
    let r = post(&t, "/events/hedge-laying/cancel", &[], &c.organiser).await;
    assert_eq!(r.status, 303, "{}", r.body);
    let mail = mail_sink()
        .wait_for(&dan_email, 1)
        .await
        .expect("Dan's notice");
    assert_eq!(mail.subject(), Some("Cancelled: Hedge laying"));
    assert!(
        mail.body().contains("Saturday 13 November 2027"),
        "{}",
        mail.body()
    );
    eventually(30, "the notices to finish", || async {
        notice_jobs(&t).await == 0
    })
    .await;
    tokio::time::sleep(std::time::Duration::from_secs(1)).await;
    assert_eq!(subjects(&dan_email).len(), 1);
    assert_eq!(subjects(&ann_email).len(), 1);
    assert_eq!(subjects(&bob_email).len(), 1);
    assert_eq!(subjects(&guest).len(), 2);
    assert!(subjects(&cat_email).is_empty());

    // Deleting an event takes its bookings with it: those booked are mailed at once.
    let r = create(
        &t,
        &c.organiser,
        &[("title", "Bonfire"), ("date", "2027-11-05")],
    )
    .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let bonfire = dates_of(&t, "bonfire").await[0].id;
    let r = post(
        &t,
        &format!("/events/bonfire/dates/{bonfire}/book"),
        &[],
        &cat,
    )
    .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let r = post(&t, "/events/bonfire/delete", &[], &c.organiser).await;
    assert_eq!(r.status, 303, "{}", r.body);
    let mail = mail_sink()
        .wait_for(&cat_email, 1)
        .await
        .expect("Cat's notice");
    assert_eq!(mail.subject(), Some("Cancelled: Bonfire"));
    tokio::time::sleep(std::time::Duration::from_secs(1)).await;
    assert_eq!(subjects(&cat_email).len(), 1);
    t.stop().await;
}
