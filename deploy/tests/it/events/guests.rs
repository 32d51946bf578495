//! Guests give their booking back (issue 14): the confirmation mail and the confirmed page
//! carry a cancel link (its token stored only as a digest); its GET shows a button and changes
//! nothing (a mail scanner's prefetch cancels nothing), the POST cancels once and gives the
//! place to the first on the waitlist (who is mailed); the link then answers 410 saying so,
//! and an unknown token 404. The guest form is limited per client IP (20 in 15 minutes, 429
//! beyond, bad input counted too) as well as per address.

use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use shared::AppName;
use shared::db::schema::event_bookings;

use super::bookings::{member_with_address, with_status};
use super::{cast, create, dates_of, post};
use crate::support::people::address;
use crate::support::{Page, TestFleet, mail_sink};

async fn guest_post(t: &TestFleet, path: &str, form: &[(&str, &str)]) -> Page {
    t.post_form(AppName::Events, path, form, None, AppName::Events)
        .await
}

fn link_with(mail: &deploy::mail_sink::ReceivedMail, part: &str) -> String {
    mail.links()
        .into_iter()
        .find(|l| l.contains(part))
        .unwrap_or_else(|| panic!("a {part} link in {}", mail.body()))
}

/// The path of an absolute link on the events site.
fn path_of(link: &str) -> String {
    format!("/bookings/{}", link.split_once("/bookings/").unwrap().1)
}

async fn guest_status(t: &TestFleet, email: &str) -> (String, Option<String>) {
    event_bookings::table
        .filter(event_bookings::guest_email.eq(email))
        .select((event_bookings::status, event_bookings::cancel_digest))
        .first(&mut t.db.conn().await)
        .await
        .unwrap()
}

#[actix_web::test]
async fn a_guest_cancels_through_the_mailed_link_and_the_waitlist_moves_up() {
    let t = TestFleet::start().await;
    let c = cast(&t).await;
    let r = create(
        &t,
        &c.organiser,
        &[
            ("title", "Wassail"),
            ("date", "2027-01-16"),
            ("capacity", "1"),
        ],
    )
    .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let date = dates_of(&t, "wassail").await[0].clone();

    // A guest books and confirms: the mail and the confirmed page both carry the cancel link.
    let guest = address(&t, "gwen");
    let r = guest_post(
        &t,
        &format!("/events/wassail/dates/{}/guest", date.id),
        &[("name", "Gwen"), ("email", &guest)],
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let mail = mail_sink().wait_for(&guest, 1).await.expect("a mail");
    let confirm = link_with(&mail, "/bookings/confirm/");
    let cancel = link_with(&mail, "/bookings/cancel/");
    let token = cancel.rsplit('/').next().unwrap().to_owned();
    let (status, digest) = guest_status(&t, &guest).await;
    assert_eq!(status, "unconfirmed");
    let digest = digest.expect("the cancel token's digest is stored");
    assert_ne!(digest, token, "stored hashed");
    assert_eq!(digest, shared::crypto::token_digest(&token));
    assert!(!confirm.contains(&token), "the two links differ");
    let done = guest_post(&t, &path_of(&confirm), &[]).await;
    assert_eq!(done.status, 200, "{}", done.body);
    assert!(done.body.contains("You have a place"), "{}", done.body);
    assert!(done.body.contains(&path_of(&cancel)), "{}", done.body);
    assert_eq!(dates_of(&t, "wassail").await[0].booked, 1);

    // A member joins the waitlist behind her.
    let (ann, ann_email) = member_with_address(&t, "ann").await;
    let ann_s = t.sign_in(AppName::Events, ann).await;
    let r = post(
        &t,
        &format!("/events/wassail/dates/{}/book", date.id),
        &[],
        &ann_s,
    )
    .await;
    assert_eq!(r.status, 303, "{}", r.body);
    assert_eq!(with_status(&t, date.id, "waitlisted").await, [Some(ann)]);

    // A scanner fetching the link (twice) sees a button and cancels nothing.
    for _ in 0..2 {
        let res = t.client.get(&cancel).send().await.unwrap();
        assert_eq!(res.status(), 200);
        let body = res.text().await.unwrap();
        assert!(body.contains("Cancel my booking"), "{body}");
        assert!(body.contains("Wassail"), "{body}");
    }
    assert_eq!(guest_status(&t, &guest).await.0, "booked");

    // From another site: refused by the CSRF check, nothing changed.
    let forged = t
        .client
        .post(&cancel)
        .header("origin", "https://evil.example")
        .header("sec-fetch-site", "cross-site")
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 403);
    assert_eq!(guest_status(&t, &guest).await.0, "booked");

    // The button cancels: her place goes to Ann, who is mailed.
    let r = guest_post(&t, &path_of(&cancel), &[]).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r.body.contains("Your booking is cancelled"), "{}", r.body);
    assert_eq!(guest_status(&t, &guest).await.0, "cancelled");
    assert_eq!(with_status(&t, date.id, "booked").await, [Some(ann)]);
    assert_eq!(dates_of(&t, "wassail").await[0].booked, 1);
    let promoted = mail_sink().wait_for(&ann_email, 1).await.expect("a mail");
    assert_eq!(promoted.subject(), Some("A place for you: Wassail"));

    // Used: both the page and the button say so (410), and nothing moves again.
    let again = guest_post(&t, &path_of(&cancel), &[]).await;
    assert_eq!(again.status, 410, "{}", again.body);
    assert!(again.body.contains("cancelled already"), "{}", again.body);
    let reopened = t.client.get(&cancel).send().await.unwrap();
    assert_eq!(reopened.status(), 410);
    assert!(reopened.text().await.unwrap().contains("cancelled already"));
    assert_eq!(with_status(&t, date.id, "booked").await, [Some(ann)]);
    assert_eq!(dates_of(&t, "wassail").await[0].booked, 1);

    // Unknown or malformed tokens: 404, nothing changed.
    for bogus in ["0".repeat(64), "x".into(), token[..63].to_owned()] {
        let path = format!("/bookings/cancel/{bogus}");
        assert_eq!(t.get(AppName::Events, &path, None).await.status, 404);
        let r = guest_post(&t, &path, &[]).await;
        assert_eq!(r.status, 404, "{}", r.body);
    }
    // The confirmation token is not a cancel token (nor the other way round).
    let confirm_token = confirm.rsplit('/').next().unwrap();
    let r = guest_post(&t, &format!("/bookings/cancel/{confirm_token}"), &[]).await;
    assert_eq!(r.status, 404, "{}", r.body);
    let r = guest_post(&t, &format!("/bookings/confirm/{token}"), &[]).await;
    assert_eq!(r.status, 404, "{}", r.body);
    assert_eq!(with_status(&t, date.id, "booked").await, [Some(ann)]);

    // A request not yet confirmed can be withdrawn too; its confirmation link is then used.
    let late = address(&t, "lee");
    let r = guest_post(
        &t,
        &format!("/events/wassail/dates/{}/guest", date.id),
        &[("name", "Lee"), ("email", &late)],
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let mail = mail_sink().wait_for(&late, 1).await.expect("a mail");
    let r = guest_post(&t, &path_of(&link_with(&mail, "/bookings/cancel/")), &[]).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(guest_status(&t, &late).await.0, "cancelled");
    let r = guest_post(&t, &path_of(&link_with(&mail, "/bookings/confirm/")), &[]).await;
    assert_eq!(r.status, 410, "{}", r.body);
    assert_eq!(dates_of(&t, "wassail").await[0].booked, 1);
    t.stop().await;
}

#[actix_web::test]
async fn guest_requests_are_limited_per_client_ip_as_well_as_per_address() {
    let t = TestFleet::start().await;
    let c = cast(&t).await;
    let r = create(&t, &c.organiser, &[("title", "Plough Monday")]).await;
    assert_eq!(r.status, 303, "{}", r.body);
    let date = dates_of(&t, "plough-monday").await[0].clone();
    let action = format!("/events/plough-monday/dates/{}/guest", date.id);

    // Twenty requests from one client, each for another address: all answered.
    let limit = events::domain::GUEST_REQUESTS_PER_IP as usize;
    for i in 0..limit {
        let email = address(&t, &format!("neighbour{i}"));
        let r = guest_post(&t, &action, &[("name", "N"), ("email", &email)]).await;
        assert_eq!(r.status, 200, "request {i}: {}", r.body);
    }
    // The next is refused (429), whatever the address, and stores and mails nothing.
    let fresh = address(&t, "one-more");
    let r = guest_post(&t, &action, &[("name", "N"), ("email", &fresh)]).await;
    assert_eq!(r.status, 429, "{}", r.body);
    assert!(r.body.contains("from your network"), "{}", r.body);
    // Bad input counts as well: still refused, not a 400.
    let r = guest_post(&t, &action, &[("name", ""), ("email", "x")]).await;
    assert_eq!(r.status, 429, "{}", r.body);
    let stored: i64 = event_bookings::table
        .filter(event_bookings::occurrence_id.eq(date.id))
        .count()
        .get_result(&mut t.db.conn().await)
        .await
        .unwrap();
    assert_eq!(stored as usize, limit);
    tokio::time::sleep(std::time::Duration::from_secs(1)).await;
    assert_eq!(mail_sink().count(&fresh), 0);
    t.stop().await;
}
