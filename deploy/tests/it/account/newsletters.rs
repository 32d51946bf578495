//! Newsletters: double opt-in through the SMTP sink (a prefetching GET confirms nothing, a
//! link works once and for 48 hours), an address already on the list reveals nothing and gets
//! no mail, a member with a confirmed address subscribes in one click, the preferences page,
//! the one-click unsubscribe of RFC 8058, CSRF and the form's rate limit.

use std::time::Duration;

use account::db::newsletters::{NewNewsletter, insert};
use account::domain::links::{LinkSigner, Purpose};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use reqwest::StatusCode;
use shared::AppName;
use shared::db::schema::{
    newsletter_confirmations, newsletter_subscribers, newsletter_subscriptions, users,
};
use shared::infrastructure::fragment_catalog;
use shared::jobs::store;

use crate::support::browser::{Browser, form_value};
use crate::support::people::{address, person};
use crate::support::{TestFleet, mail_sink, page};

async fn letter(t: &TestFleet) {
    insert(
        &mut t.db.conn().await,
        &NewNewsletter::public("letter", "The Letter", "Once a month."),
    )
    .await
    .unwrap();
}

/// The status of `email`'s subscription to the letter, if it has one.
async fn status(t: &TestFleet, email: &str) -> Option<String> {
    newsletter_subscriptions::table
        .inner_join(newsletter_subscribers::table)
        .filter(newsletter_subscribers::email.eq(email))
        .select(newsletter_subscriptions::status)
        .first(&mut t.db.conn().await)
        .await
        .optional()
        .unwrap()
}

async fn queued_mail(t: &TestFleet) -> usize {
    store::all(&mut t.db.conn().await)
        .await
        .unwrap()
        .iter()
        .filter(|j| j.job_type == "mail.send")
        .count()
}

/// Subscribes `email` from account's dashboard like a browser; returns where the answer
/// redirected and the page it led to.
async fn subscribe(t: &TestFleet, browser: &Browser, email: &str) -> (String, String) {
    let dashboard = t.fleet.at(AppName::Account, "/");
    let action = t
        .fleet
        .at(AppName::Account, "/newsletters/letter/subscribe");
    let (page, location) = browser
        .submit_raw(&dashboard, &action, &[("email", email)])
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    let location = location.expect("a redirect");
    let (_, landed) = browser.visit(&location).await;
    assert_eq!(landed.status, 200, "{}", landed.body);
    (location, landed.body)
}

/// The confirmation link in the `n`th mail to `email`.
async fn confirmation_link(email: &str, n: usize) -> String {
    let mail = mail_sink()
        .wait_for(email, n)
        .await
        .expect("a confirmation mail");
    assert_eq!(
        mail.subject(),
        Some("Confirm your subscription to The Letter")
    );
    mail.links()
        .into_iter()
        .find(|l| l.contains("/confirm/"))
        .expect("a confirmation link")
}

#[actix_web::test]
async fn double_opt_in_through_the_mail_confirms_only_on_the_button() {
    let t = TestFleet::start().await;
    letter(&t).await;
    let reader = address(&t, "reader");
    let browser = Browser::new();

    let (answer, body) = subscribe(&t, &browser, &reader).await;
    assert!(answer.ends_with("/newsletters/letter/check-email"));
    assert!(body.contains("Check your inbox"), "{body}");
    assert_eq!(status(&t, &reader).await.as_deref(), Some("unconfirmed"));
    let link = confirmation_link(&reader, 1).await;

    // A scanner fetching the link (twice) sees a button and confirms nothing.
    for _ in 0..2 {
        let res = t.client.get(&link).send().await.unwrap();
        assert_eq!(res.status(), 200);
        assert!(
            res.text()
                .await
                .unwrap()
                .contains("Confirm my subscription")
        );
    }
    assert_eq!(status(&t, &reader).await.as_deref(), Some("unconfirmed"));

    // The button confirms, once.
    let (_, confirm) = browser.visit(&link).await;
    let csrf = form_value(&confirm.body, "csrf_token");
    let fields: Vec<(&str, &str)> = csrf.iter().map(|c| ("csrf_token", c.as_str())).collect();
    let (_, done) = browser.submit(&link, &link, &fields).await;
    assert_eq!(done.status, 200, "{}", done.body);
    assert!(done.body.contains("You are subscribed"), "{}", done.body);
    assert_eq!(status(&t, &reader).await.as_deref(), Some("confirmed"));
    let (again, _) = browser.submit_raw(&link, &link, &fields).await;
    assert_eq!(again.status, StatusCode::GONE, "{}", again.body);
    assert!(again.body.contains("already been used"), "{}", again.body);
    let reopened = t.client.get(&link).send().await.unwrap();
    assert_eq!(reopened.status(), StatusCode::GONE);

    // Subscribing the confirmed address again answers exactly as for a new one, and sends
    // nothing: no job is queued, no second mail arrives.
    let (known, known_body) = subscribe(&t, &browser, &reader).await;
    let (fresh, fresh_body) = subscribe(&t, &Browser::new(), &address(&t, "fresh")).await;
    assert_eq!(known, fresh);
    assert_eq!(known_body, fresh_body);
    confirmation_link(&address(&t, "fresh"), 1).await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(mail_sink().to(&reader).len(), 1, "no second mail");
    assert_eq!(queued_mail(&t).await, 0);

    // The confirmation page links to the subscriber's preferences: untick, save, off.
    let preferences = done
        .body
        .split("href=\"")
        .map(|h| h.split('"').next().unwrap_or_default())
        .find(|h| h.contains("/preferences/"))
        .expect("a preferences link")
        .to_owned();
    let (_, prefs) = browser.visit(&preferences).await;
    assert_eq!(prefs.status, 200);
    assert!(prefs.body.contains(&reader), "{}", prefs.body);
    assert!(
        prefs.body.contains(r#"value="letter" checked"#),
        "{}",
        prefs.body
    );
    let (_, saved) = browser.submit(&preferences, &preferences, &fields).await;
    assert_eq!(saved.status, 200, "{}", saved.body);
    assert!(!saved.body.contains(r#"value="letter" checked"#));
    assert_eq!(status(&t, &reader).await.as_deref(), Some("unsubscribed"));
    // ... and tick again: on at once (the link came by mail to the address).
    let mut keep = fields.clone();
    keep.push(("list", "letter"));
    let (_, resaved) = browser.submit(&preferences, &preferences, &keep).await;
    assert!(resaved.body.contains(r#"value="letter" checked"#));
    assert_eq!(status(&t, &reader).await.as_deref(), Some("confirmed"));
    let forged = preferences.replace("/preferences/", "/preferences/9");
    assert_eq!(browser.visit(&forged).await.1.status, 404);
    t.stop().await;
}

#[actix_web::test]
async fn expired_and_unknown_confirmation_links_are_refused_clearly() {
    let t = TestFleet::start().await;
    letter(&t).await;
    let reader = address(&t, "late");
    let browser = Browser::new();
    subscribe(&t, &browser, &reader).await;
    let link = confirmation_link(&reader, 1).await;
    diesel::update(newsletter_confirmations::table)
        .set(
            newsletter_confirmations::expires_at
                .eq(chrono::Utc::now() - chrono::Duration::seconds(1)),
        )
        .execute(&mut t.db.conn().await)
        .await
        .unwrap();
    let shown = t.client.get(&link).send().await.unwrap();
    assert_eq!(shown.status(), StatusCode::GONE);
    assert!(shown.text().await.unwrap().contains("expired"));
    let (pressed, _) = browser.submit_raw(&link, &link, &[]).await;
    assert_eq!(pressed.status, StatusCode::GONE, "{}", pressed.body);
    assert_eq!(status(&t, &reader).await.as_deref(), Some("unconfirmed"));

    // Subscribing again sends a new link that works.
    subscribe(&t, &browser, &reader).await;
    let fresh = confirmation_link(&reader, 2).await;
    assert_ne!(fresh, link);
    let (_, done) = browser.submit(&fresh, &fresh, &[]).await;
    assert_eq!(done.status, 200, "{}", done.body);
    assert_eq!(status(&t, &reader).await.as_deref(), Some("confirmed"));

    let unknown = t
        .get(
            AppName::Account,
            &format!("/confirm/{}", "0".repeat(64)),
            None,
        )
        .await;
    assert_eq!(unknown.status, 404);
    assert!(unknown.body.contains("not valid"), "{}", unknown.body);
    t.stop().await;
}

/// A confirmed subscriber of the letter; returns its subscription's unsubscribe link.
async fn confirmed_subscriber(t: &TestFleet, email: &str) -> (i64, String) {
    let mut conn = t.db.conn().await;
    let list = account::db::newsletters::by_slug(&mut conn, "letter")
        .await
        .unwrap()
        .unwrap();
    let who = account::db::subscribers::find_or_create(&mut conn, email, None)
        .await
        .unwrap();
    let sub = account::db::subscriptions::find_or_create_locked(&mut conn, list.id, who.id)
        .await
        .unwrap();
    account::db::subscriptions::confirm(&mut conn, sub.id)
        .await
        .unwrap();
    let secret = t
        .fleet
        .ctx(AppName::Account)
        .config()
        .internal_secret
        .expose();
    let token = LinkSigner::new(secret.as_bytes())
        .unwrap()
        .sign(Purpose::Unsubscribe, sub.id)
        .unwrap();
    (
        sub.id,
        t.fleet
            .at(AppName::Account, &format!("/unsubscribe/{token}")),
    )
}

async fn resubscribe(t: &TestFleet, id: i64) {
    account::db::subscriptions::confirm(&mut t.db.conn().await, id)
        .await
        .unwrap();
}

#[actix_web::test]
async fn one_click_unsubscribe_answers_200_in_both_encodings_without_a_cookie() {
    let t = TestFleet::start().await;
    letter(&t).await;
    let reader = address(&t, "leaver");
    let (id, link) = confirmed_subscriber(&t, &reader).await;

    // The GET shows a button and changes nothing.
    let shown = t.client.get(&link).send().await.unwrap();
    assert_eq!(shown.status(), 200);
    let body = shown.text().await.unwrap();
    assert!(
        body.contains(r#"name="List-Unsubscribe" value="One-Click""#),
        "{body}"
    );
    assert_eq!(status(&t, &reader).await.as_deref(), Some("confirmed"));

    // Urlencoded, from a mail provider's origin, no cookie: 200, no redirect, off; again 200.
    for _ in 0..2 {
        let res = t
            .client
            .post(&link)
            .header("origin", "https://mail.example")
            .header("sec-fetch-site", "cross-site")
            .header("content-type", "application/x-www-form-urlencoded")
            .body("List-Unsubscribe=One-Click")
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        assert!(res.headers().get("location").is_none());
        assert_eq!(status(&t, &reader).await.as_deref(), Some("unsubscribed"));
    }

    // Multipart, no Origin at all.
    resubscribe(&t, id).await;
    let boundary = "rose-ash-boundary";
    let res = page(
        t.client
            .post(&link)
            .header(
                "content-type",
                format!("multipart/form-data; boundary={boundary}"),
            )
            .body(format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"List-Unsubscribe\"\r\n\r\nOne-Click\r\n--{boundary}--\r\n"
            ))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(res.status, 200, "{}", res.body);
    assert!(res.headers.get("location").is_none());
    assert_eq!(status(&t, &reader).await.as_deref(), Some("unsubscribed"));

    // A POST without the one-click field changes nothing; a bad link is a 404.
    resubscribe(&t, id).await;
    let res = t
        .client
        .post(&link)
        .header("content-type", "application/x-www-form-urlencoded")
        .body("List-Unsubscribe=Later")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    assert_eq!(status(&t, &reader).await.as_deref(), Some("confirmed"));
    let (stem, mac) = link.rsplit_once('-').unwrap();
    let flipped = if mac.starts_with('0') { "1" } else { "0" };
    for bad in [
        format!("{stem}-{flipped}{}", &mac[1..]),
        link.replace(
            &format!("/unsubscribe/{id}-"),
            &format!("/unsubscribe/{}-", id + 1),
        ),
        t.fleet.at(AppName::Account, "/unsubscribe/nonsense"),
    ] {
        let res = t
            .client
            .post(&bad)
            .header("content-type", "application/x-www-form-urlencoded")
            .body("List-Unsubscribe=One-Click")
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 404, "{bad}");
        assert_eq!(t.client.get(&bad).send().await.unwrap().status(), 404);
    }
    assert_eq!(status(&t, &reader).await.as_deref(), Some("confirmed"));
    t.stop().await;
}

#[actix_web::test]
async fn members_subscribe_in_one_click_and_forms_are_guarded_and_limited() {
    let t = TestFleet::start().await;
    letter(&t).await;
    // A member's address is `<username>@example.org`: a name no other test uses.
    let member = person(&t, "newsletter_reader", "member").await;
    let email = "newsletter_reader@example.org".to_owned();
    let session = t.sign_in(AppName::Account, member).await;

    // Unconfirmed address: the usual mail.
    let page = t
        .post_form(
            AppName::Account,
            "/newsletters/letter/subscribe",
            &[],
            Some(&session),
            AppName::Account,
        )
        .await;
    assert_eq!(page.status, 303, "{}", page.body);
    assert!(
        page.headers["location"]
            .to_str()
            .unwrap()
            .ends_with("/check-email")
    );
    confirmation_link(&email, 1).await;

    // Confirmed address: one click, on at once, no mail.
    diesel::update(users::table.find(member))
        .set(users::email_verified_at.eq(diesel::dsl::now))
        .execute(&mut t.db.conn().await)
        .await
        .unwrap();
    let dashboard = t.get(AppName::Account, "/", Some(&session)).await;
    assert!(
        dashboard.body.contains(&format!("Subscribe {email}")),
        "{}",
        dashboard.body
    );
    let page = t
        .post_form(
            AppName::Account,
            "/newsletters/letter/subscribe",
            &[],
            Some(&session),
            AppName::Account,
        )
        .await;
    assert_eq!(page.status, 303, "{}", page.body);
    assert_eq!(page.headers["location"], "/?subscribed=letter");
    assert_eq!(status(&t, &email).await.as_deref(), Some("confirmed"));
    let dashboard = t.get(AppName::Account, "/", Some(&session)).await;
    assert!(
        dashboard.body.contains("/preferences/"),
        "{}",
        dashboard.body
    );

    // CSRF: another site's form is refused; so is a same-origin one without the token.
    let stranger = address(&t, "stranger");
    let forged = t
        .client
        .post(
            t.fleet
                .at(AppName::Account, "/newsletters/letter/subscribe"),
        )
        .header("origin", "https://evil.example")
        .header("sec-fetch-site", "cross-site")
        .form(&[("email", stranger.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 403);
    let tokenless = t
        .client
        .post(
            t.fleet
                .at(AppName::Account, "/newsletters/letter/subscribe"),
        )
        .header("cookie", &session.cookie)
        .header("sec-fetch-site", "same-origin")
        .form(&[("email", stranger.as_str()), ("csrf_token", "wrong")])
        .send()
        .await
        .unwrap();
    assert_eq!(tokenless.status(), 403);
    let forged_fleet_form = t
        .client
        .post(t.fleet.at(AppName::Account, "/subscribe"))
        .header("origin", "https://evil.example")
        .header("sec-fetch-site", "cross-site")
        .form(&[("newsletter", "letter"), ("email", stranger.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(forged_fleet_form.status(), 403);
    assert_eq!(status(&t, &stranger).await, None);

    // The fragment other apps embed: its form posts to account's /subscribe, which accepts a
    // sibling's post (with the member's cookie, without account's token).
    let fragment = t
        .fleet
        .ctx(AppName::Blog)
        .fragments()
        .fetch(fragment_catalog::newsletter_subscribe(Some("letter")), None)
        .await;
    let action = t.fleet.at(AppName::Account, "/subscribe");
    assert!(
        fragment.html.contains(&format!(r#"action="{action}""#)),
        "{}",
        fragment.html
    );
    assert!(
        fragment
            .html
            .contains(r#"name="newsletter" value="letter""#)
    );
    let page = t
        .post_form(
            AppName::Account,
            "/subscribe",
            &[("newsletter", "letter"), ("email", &stranger)],
            Some(&session),
            AppName::Blog,
        )
        .await;
    assert_eq!(page.status, 303, "{}", page.body);
    assert_eq!(status(&t, &stranger).await.as_deref(), Some("unconfirmed"));
    let private = t
        .fleet
        .ctx(AppName::Blog)
        .fragments()
        .fetch(fragment_catalog::newsletter_subscribe(Some("nope")), None)
        .await;
    assert!(!private.html.contains("<form"));

    // The public form's limit per address: the sixth try within 15 minutes is refused, and
    // answers the same whether or not the address is known.
    let busy = address(&t, "busy");
    for i in 0..account::domain::rate_limit::PER_ADDRESS {
        let page = t
            .post_form(
                AppName::Account,
                "/newsletters/letter/subscribe",
                &[("email", &busy)],
                None,
                AppName::Account,
            )
            .await;
        assert_eq!(page.status, 303, "try {i}: {}", page.body);
    }
    let page = t
        .post_form(
            AppName::Account,
            "/newsletters/letter/subscribe",
            &[("email", &busy)],
            None,
            AppName::Account,
        )
        .await;
    assert_eq!(page.status, 429, "{}", page.body);
    assert!(page.body.contains("Too many"), "{}", page.body);
    t.stop().await;
}

#[actix_web::test]
async fn the_embedded_subscribe_form_works_for_a_visitor_on_another_app() {
    let t = TestFleet::start().await;
    letter(&t).await;
    // The form as the blog composes it into a page.
    let fragment = t
        .fleet
        .ctx(AppName::Blog)
        .fragments()
        .fetch(fragment_catalog::newsletter_subscribe(Some("letter")), None)
        .await;
    let action = t.fleet.at(AppName::Account, "/subscribe");
    assert!(
        fragment.html.contains(&format!(r#"action="{action}""#)),
        "{}",
        fragment.html
    );
    assert!(fragment.html.contains(r#"name="email""#));

    // A visitor with no session anywhere posts it from a blog page: a sibling's form, accepted
    // without account's token; the double opt-in mail goes out.
    let visitor = address(&t, "visitor");
    let blog = t.fleet.url(AppName::Blog).origin().ascii_serialization();
    let res = t
        .client
        .post(&action)
        .header("origin", &blog)
        .header("sec-fetch-site", "same-site")
        .form(&[("newsletter", "letter"), ("email", visitor.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(status(&t, &visitor).await.as_deref(), Some("unconfirmed"));
    confirmation_link(&visitor, 1).await;

    // The same form posted from another site, or without any provenance, changes nothing.
    let other = address(&t, "other");
    for (origin, site) in [
        (Some("https://evil.example"), "cross-site"),
        (None, "cross-site"),
    ] {
        let mut req = t.client.post(&action).header("sec-fetch-site", site);
        if let Some(origin) = origin {
            req = req.header("origin", origin);
        }
        let res = req
            .form(&[("newsletter", "letter"), ("email", other.as_str())])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 403);
    }
    assert_eq!(status(&t, &other).await, None);
    t.stop().await;
}
