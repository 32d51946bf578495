//! Bookings beyond one click: guests (name + address, no account) whose booking counts only
//! after they confirm through the mailed link (a prefetching GET confirms nothing; the token is
//! stored hashed, works once and expires); restricted events whose bookings wait for an
//! organiser (approval within capacity); the organisers' attendee list and its CSV export (403
//! for others, cells escaped against formula injection); reminder mails through the job queue,
//! once per booking and none for a cancelled one.

use chrono::{Duration, Utc};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use shared::AppName;
use shared::db::schema::{background_jobs, event_bookings};

use super::bookings::{member_with_address, with_status};
use super::{cast, create, dates_of, post};
use crate::support::people::address;
use crate::support::{TestFleet, eventually, mail_sink};

/// A form POST from a visitor without a session, as a browser on the events site sends it.
async fn guest_post(t: &TestFleet, path: &str, form: &[(&str, &str)]) -> crate::support::Page {
    t.post_form(AppName::Events, path, form, None, AppName::Events)
        .await
}

async fn guest_rows(t: &TestFleet, email: &str) -> Vec<(String, Option<String>)> {
    event_bookings::table
        .filter(event_bookings::guest_email.eq(email))
        .order(event_bookings::id)
        .select((event_bookings::status, event_bookings::confirm_digest))
        .load(&mut t.db.conn().await)
        .await
        .unwrap()
}

fn confirm_link(mail: &deploy::mail_sink::ReceivedMail) -> String {
    mail.links()
        .into_iter()
        .find(|l| l.contains("/bookings/confirm/"))
        .expect("a confirmation link")
}

#[actix_web::test]
async fn a_guest_booking_counts_only_after_the_mailed_confirmation() {
    let t = TestFleet::start().await;
    let c = cast(&t).await;
    let r = create(
        &t,
        &c.organiser,
        &[
            ("title", "Cider pressing"),
            ("date", "2027-09-18"),
            ("capacity", "2"),
        ],
    )
    .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let date = dates_of(&t, "cider-pressing").await[0].clone();
    let action = format!("/events/cider-pressing/dates/{}/guest", date.id);

    // The page offers the form to visitors without an account.
    let page = t.get(AppName::Events, "/events/cider-pressing", None).await;
    assert!(page.body.contains(&action), "{}", page.body);

    // Bad input: 400, nothing stored, nothing mailed.
    let guest = address(&t, "guest");
    for form in [
        vec![("name", "Gwen"), ("email", "not-an-address")],
        vec![("name", ""), ("email", guest.as_str())],
    ] {
        let r = guest_post(&t, &action, &form).await;
        assert_eq!(r.status, 400, "{}", r.body);
    }
    // From another site: refused by the CSRF check.
    let forged = t
        .client
        .post(t.fleet.at(AppName::Events, &action))
        .header("origin", "https://evil.example")
        .header("sec-fetch-site", "cross-site")
        .form(&[("name", "Gwen"), ("email", guest.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 403);
    assert!(guest_rows(&t, &guest).await.is_empty());

    // The request: "check your inbox"; no place is held until the link is used.
    let r = guest_post(&t, &action, &[("name", "Gwen"), ("email", &guest)]).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r.body.contains("Check your inbox"), "{}", r.body);
    let mail = mail_sink()
        .wait_for(&guest, 1)
        .await
        .expect("a confirmation mail");
    assert_eq!(mail.subject(), Some("Confirm your booking: Cider pressing"));
    let link = confirm_link(&mail);
    let token = link.rsplit('/').next().unwrap().to_owned();
    let rows = guest_rows(&t, &guest).await;
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].0, "unconfirmed");
    let digest = rows[0].1.clone().expect("a stored digest");
    assert_ne!(digest, token, "the token is stored hashed");
    assert!(!digest.contains(&token));
    assert_eq!(dates_of(&t, "cider-pressing").await[0].booked, 0);

    // A link scanner fetching the link (twice) sees a button and confirms nothing.
    for _ in 0..2 {
        let res = t.client.get(&link).send().await.unwrap();
        assert_eq!(res.status(), 200);
        assert!(res.text().await.unwrap().contains("Confirm my booking"));
    }
    assert_eq!(guest_rows(&t, &guest).await[0].0, "unconfirmed");
    assert_eq!(dates_of(&t, "cider-pressing").await[0].booked, 0);

    // The button confirms, once: the booking now holds a place.
    let confirm_path = link
        .split_once("/bookings/")
        .map(|(_, p)| format!("/bookings/{p}"));
    let confirm_path = confirm_path.unwrap();
    let done = guest_post(&t, &confirm_path, &[]).await;
    assert_eq!(done.status, 200, "{}", done.body);
    assert!(done.body.contains("You have a place"), "{}", done.body);
    let rows = guest_rows(&t, &guest).await;
    assert_eq!(rows[0], ("booked".to_owned(), Some(digest.clone())));
    assert_eq!(dates_of(&t, "cider-pressing").await[0].booked, 1);
    let again = guest_post(&t, &confirm_path, &[]).await;
    assert_eq!(again.status, 410, "{}", again.body);
    let reopened = t.client.get(&link).send().await.unwrap();
    assert_eq!(reopened.status(), 410);
    assert_eq!(dates_of(&t, "cider-pressing").await[0].booked, 1);
    let bogus = t
        .get(
            AppName::Events,
            &format!("/bookings/confirm/{}", "0".repeat(64)),
            None,
        )
        .await;
    assert_eq!(bogus.status, 404);

    // The organiser sees the guest among those coming.
    let list = t
        .get(
            AppName::Events,
            &format!("/events/cider-pressing/dates/{}/attendees", date.id),
            Some(&c.organiser),
        )
        .await;
    assert!(list.body.contains("Gwen"), "{}", list.body);
    assert!(list.body.contains(&guest));

    // An expired link confirms nothing (410).
    let late = address(&t, "late");
    let r = guest_post(&t, &action, &[("name", "Lee"), ("email", &late)]).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let mail = mail_sink().wait_for(&late, 1).await.expect("a mail");
    let late_link = confirm_link(&mail);
    diesel::update(event_bookings::table.filter(event_bookings::guest_email.eq(&late)))
        .set(event_bookings::confirm_expires_at.eq(Utc::now() - Duration::minutes(1)))
        .execute(&mut t.db.conn().await)
        .await
        .unwrap();
    let late_path = format!(
        "/bookings/{}",
        late_link.split_once("/bookings/").unwrap().1
    );
    let r = guest_post(&t, &late_path, &[]).await;
    assert_eq!(r.status, 410, "{}", r.body);
    assert_eq!(guest_rows(&t, &late).await[0].0, "unconfirmed");
    assert_eq!(dates_of(&t, "cider-pressing").await[0].booked, 1);

    // One address cannot be made to receive more than a few links in a quarter hour.
    let target = address(&t, "target");
    let mut statuses = Vec::new();
    for _ in 0..6 {
        statuses.push(
            guest_post(&t, &action, &[("name", "T"), ("email", &target)])
                .await
                .status,
        );
    }
    assert_eq!(statuses[..5], [200; 5]);
    assert_eq!(statuses[5], 429);
    t.stop().await;
}

#[actix_web::test]
async fn a_restricted_events_bookings_wait_for_an_organisers_approval() {
    let t = TestFleet::start().await;
    let c = cast(&t).await;
    let r = create(
        &t,
        &c.organiser,
        &[
            ("title", "Beekeeping"),
            ("date", "2027-06-12"),
            ("capacity", "1"),
            ("approval", "on"),
        ],
    )
    .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let date = dates_of(&t, "beekeeping").await[0].clone();
    let book = format!("/events/beekeeping/dates/{}/book", date.id);
    let (ann, ann_email) = member_with_address(&t, "ann").await;
    let (bob, bob_email) = member_with_address(&t, "bob").await;
    let ann_s = t.sign_in(AppName::Events, ann).await;
    let bob_s = t.sign_in(AppName::Events, bob).await;

    let page = t
        .get(AppName::Events, "/events/beekeeping", Some(&ann_s))
        .await;
    assert!(page.body.contains("Request a place"), "{}", page.body);
    for s in [&ann_s, &bob_s] {
        let r = post(&t, &book, &[], s).await;
        assert_eq!(r.status, 303, "{}", r.body);
    }
    assert_eq!(
        with_status(&t, date.id, "pending").await,
        vec![Some(ann), Some(bob)]
    );
    assert_eq!(
        dates_of(&t, "beekeeping").await[0].booked,
        0,
        "pending holds no place"
    );
    let page = t
        .get(AppName::Events, "/events/beekeeping", Some(&ann_s))
        .await;
    assert!(
        page.body
            .contains("Waiting for the organisers&#x27; approval")
            || page.body.contains("Waiting for the organisers' approval"),
        "{}",
        page.body
    );

    let ids: Vec<i64> = event_bookings::table
        .filter(event_bookings::occurrence_id.eq(date.id))
        .order(event_bookings::id)
        .select(event_bookings::id)
        .load(&mut t.db.conn().await)
        .await
        .unwrap();
    let decide = |i: usize, what: &str| {
        format!(
            "/events/beekeeping/dates/{}/bookings/{}/{what}",
            date.id, ids[i]
        )
    };

    // Only organisers decide: others get 403 and nothing changes.
    for who in [&c.other, &ann_s] {
        let r = post(&t, &decide(0, "approve"), &[], who).await;
        assert_eq!(r.status, 403, "{}", r.body);
    }
    assert_eq!(with_status(&t, date.id, "pending").await.len(), 2);

    // The list shows both waiting, with the buttons.
    let list_path = format!("/events/beekeeping/dates/{}/attendees", date.id);
    let list = t.get(AppName::Events, &list_path, Some(&c.organiser)).await;
    assert_eq!(list.status, 200, "{}", list.body);
    assert!(list.body.contains("Awaiting approval"));
    assert!(list.body.contains(&decide(0, "approve")));

    // Approving Ann takes the one place and tells her.
    let r = post(&t, &decide(0, "approve"), &[], &c.organiser).await;
    assert_eq!(r.status, 303, "{}", r.body);
    assert_eq!(with_status(&t, date.id, "booked").await, vec![Some(ann)]);
    assert_eq!(dates_of(&t, "beekeeping").await[0].booked, 1);
    let mail = mail_sink().wait_for(&ann_email, 1).await.expect("a mail");
    assert_eq!(mail.subject(), Some("Your booking is approved: Beekeeping"));

    // Approval respects capacity: Bob cannot be approved into a full date (409, unchanged).
    let r = post(&t, &decide(1, "approve"), &[], &c.organiser).await;
    assert_eq!(r.status, 409, "{}", r.body);
    assert_eq!(with_status(&t, date.id, "pending").await, vec![Some(bob)]);
    assert_eq!(dates_of(&t, "beekeeping").await[0].booked, 1);

    // Rejecting him frees nothing and tells him; deciding twice is a 404.
    let r = post(&t, &decide(1, "reject"), &[], &c.organiser).await;
    assert_eq!(r.status, 303, "{}", r.body);
    assert_eq!(with_status(&t, date.id, "rejected").await, vec![Some(bob)]);
    let mail = mail_sink().wait_for(&bob_email, 1).await.expect("a mail");
    assert_eq!(
        mail.subject(),
        Some("Your booking was not accepted: Beekeeping")
    );
    let r = post(&t, &decide(1, "approve"), &[], &c.organiser).await;
    assert_eq!(r.status, 404, "{}", r.body);
    assert_eq!(dates_of(&t, "beekeeping").await[0].booked, 1);
    t.stop().await;
}

#[actix_web::test]
async fn the_attendee_list_and_its_csv_are_for_organisers_only_and_escaped() {
    let t = TestFleet::start().await;
    let c = cast(&t).await;
    let r = create(
        &t,
        &c.organiser,
        &[
            ("title", "Apple day"),
            ("date", "2027-10-16"),
            ("capacity", "1"),
        ],
    )
    .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let date = dates_of(&t, "apple-day").await[0].clone();
    let (ann, _) = member_with_address(&t, "annie").await;
    let ann_s = t.sign_in(AppName::Events, ann).await;
    let r = post(
        &t,
        &format!("/events/apple-day/dates/{}/book", date.id),
        &[],
        &ann_s,
    )
    .await;
    assert_eq!(r.status, 303);
    // A guest whose name a spreadsheet would run as a formula, on the waitlist.
    let guest = address(&t, "formula");
    let r = guest_post(
        &t,
        &format!("/events/apple-day/dates/{}/guest", date.id),
        &[
            ("name", "=HYPERLINK(\"http://evil.example\",\"x\")"),
            ("email", &guest),
        ],
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let mail = mail_sink().wait_for(&guest, 1).await.expect("a mail");
    let link = confirm_link(&mail);
    let path = format!("/bookings/{}", link.split_once("/bookings/").unwrap().1);
    let r = guest_post(&t, &path, &[]).await;
    assert!(r.body.contains("You are on the waitlist"), "{}", r.body);

    let list = format!("/events/apple-day/dates/{}/attendees", date.id);
    let csv = format!("{list}.csv");
    // Others: 403 on both; no session: not the list either.
    for path in [&list, &csv] {
        for who in [&c.other, &ann_s] {
            let r = t.get(AppName::Events, path, Some(who)).await;
            assert_eq!(r.status, 403, "{path}: {}", r.body);
            assert!(!r.body.contains("HYPERLINK"));
        }
        let r = t.get(AppName::Events, path, None).await;
        assert_ne!(r.status, 200, "{path}");
        assert!(!r.body.contains("HYPERLINK"));
    }

    let page = t.get(AppName::Events, &list, Some(&c.organiser)).await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("annie (display)"));
    assert!(page.body.contains("Waitlist #1"), "{}", page.body);
    assert!(page.body.contains("attendees.csv"));
    assert!(!page.body.contains("=HYPERLINK(\"http"), "escaped in HTML");

    let r = t.get(AppName::Events, &csv, Some(&c.organiser)).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.headers["content-type"], "text/csv; charset=utf-8");
    let disposition = r.headers["content-disposition"].to_str().unwrap();
    assert!(disposition.starts_with("attachment;"), "{disposition}");
    assert!(disposition.contains("apple-day-2027-10-16-attendees.csv"));
    let lines: Vec<&str> = r.body.split("\r\n").collect();
    assert_eq!(lines[0], "name,email,kind,status,booked_at");
    assert!(lines[1].starts_with("annie (display),annie."), "{}", r.body);
    assert!(lines[1].contains(",member,booked,"), "{}", r.body);
    assert!(
        lines[2].starts_with(&format!(
            "\"'=HYPERLINK(\"\"http://evil.example\"\",\"\"x\"\")\",{guest},guest,waitlisted,"
        )),
        "{}",
        r.body
    );
    assert_eq!(lines[3], "");
    assert_eq!(lines.len(), 4);
    t.stop().await;
}

/// The date and time (UTC) `hours` from now, as the event form takes them.
fn in_hours(hours: i64) -> (String, String) {
    let at = Utc::now() + Duration::hours(hours);
    (
        at.format("%Y-%m-%d").to_string(),
        at.format("%H:%M").to_string(),
    )
}

async fn reminder_jobs(t: &TestFleet) -> i64 {
    background_jobs::table
        .filter(background_jobs::job_type.eq("events.booking_reminder"))
        .count()
        .get_result(&mut t.db.conn().await)
        .await
        .unwrap()
}

#[actix_web::test]
async fn a_reminder_mail_arrives_once_and_never_for_a_cancelled_booking() {
    let t = TestFleet::start().await;
    let c = cast(&t).await;
    // Tomorrow-ish but within the day: the reminder is due at once.
    let (day, time) = in_hours(3);
    let r = create(
        &t,
        &c.organiser,
        &[
            ("title", "Wassail"),
            ("date", &day),
            ("start_time", &time),
            ("end_time", ""),
            ("time_zone", "UTC"),
        ],
    )
    .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let soon = dates_of(&t, "wassail").await[0].clone();
    // And one in a week, whose reminder waits six days.
    let (day, time) = in_hours(24 * 7);
    let r = create(
        &t,
        &c.organiser,
        &[
            ("title", "Mummers"),
            ("date", &day),
            ("start_time", &time),
            ("end_time", ""),
            ("time_zone", "UTC"),
        ],
    )
    .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let later = dates_of(&t, "mummers").await[0].clone();

    let (ann, ann_email) = member_with_address(&t, "remi").await;
    let ann_s = t.sign_in(AppName::Events, ann).await;
    let r = post(
        &t,
        &format!("/events/wassail/dates/{}/book", soon.id),
        &[],
        &ann_s,
    )
    .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let mail = mail_sink()
        .wait_for(&ann_email, 1)
        .await
        .expect("a reminder");
    assert_eq!(mail.subject(), Some("Reminder: Wassail"));
    assert!(mail.body().contains("/events/wassail"), "{}", mail.body());

    // Running the reminder again (a retry, a duplicate) sends nothing more.
    let booking: i64 = event_bookings::table
        .filter(event_bookings::user_id.eq(ann))
        .select(event_bookings::id)
        .first(&mut t.db.conn().await)
        .await
        .unwrap();
    shared::jobs::enqueue(
        &mut t.db.conn().await,
        &events::jobs::SendReminder {
            booking_id: booking,
        },
    )
    .await
    .unwrap();
    eventually(10, "the repeated reminder job to run", || async {
        reminder_jobs(&t).await == 0
    })
    .await;

    // Booked a week ahead and cancelled: when its reminder comes due, no mail.
    let (bea, bea_email) = member_with_address(&t, "bea").await;
    let bea_s = t.sign_in(AppName::Events, bea).await;
    let r = post(
        &t,
        &format!("/events/mummers/dates/{}/book", later.id),
        &[],
        &bea_s,
    )
    .await;
    assert_eq!(r.status, 303, "{}", r.body);
    assert_eq!(reminder_jobs(&t).await, 1, "queued for later");
    let r = post(
        &t,
        &format!("/events/mummers/dates/{}/unbook", later.id),
        &[],
        &bea_s,
    )
    .await;
    assert_eq!(r.status, 303);
    diesel::update(
        background_jobs::table.filter(background_jobs::job_type.eq("events.booking_reminder")),
    )
    .set(background_jobs::run_at.eq(Utc::now() - Duration::seconds(1)))
    .execute(&mut t.db.conn().await)
    .await
    .unwrap();
    // A new job of the type wakes the events runner (an UPDATE of run_at does not).
    shared::jobs::enqueue(
        &mut t.db.conn().await,
        &events::jobs::SendReminder { booking_id: 0 },
    )
    .await
    .unwrap();
    eventually(10, "the cancelled booking's reminder to run", || async {
        reminder_jobs(&t).await == 0
    })
    .await;
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    assert_eq!(
        mail_sink().count(&bea_email),
        0,
        "no reminder for a cancelled booking"
    );
    assert_eq!(mail_sink().count(&ann_email), 1, "one reminder per booking");
    t.stop().await;
}
