//! The bounce webhook (`POST /webhooks/bounce`, listmonk's JSON): a campaign goes out, its
//! bounces come back signed with `BOUNCE_WEBHOOK_SECRET`; a hard bounce and a complaint
//! blocklist the address at once, soft bounces at the third; replays (within the five minutes
//! a signature's timestamp is good for, or later: refused), a wrong signature and a malformed
//! report change nothing; the next campaign skips every blocklisted address, the
//! public form cannot put one back, and editors see the counts.

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};
use diesel_async::RunQueryDsl;
use reqwest::StatusCode;
use shared::AppName;
use shared::crypto::hmac_sha256;
use shared::db::schema::{newsletter_bounces, newsletter_campaigns, newsletter_subscribers};
use shared::testing::TestSession;

use crate::support::{TestFleet, eventually, mail_sink};

const SECRET: &str = "bounce-secret-0123456789";

/// A public double opt-in list `slug` with each address confirmed on it.
async fn list_with(t: &TestFleet, slug: &str, addresses: &[&str]) {
    let mut conn = t.db.conn().await;
    let list = account::db::newsletters::insert(
        &mut conn,
        &account::db::newsletters::NewNewsletter::public(slug, "Bounce Letter", "Weekly."),
    )
    .await
    .unwrap();
    for a in addresses {
        diesel::sql_query(
            "WITH s AS (INSERT INTO newsletter_subscribers (email) VALUES ($2) RETURNING id) \
             INSERT INTO newsletter_subscriptions (newsletter_id, subscriber_id, status, confirmed_at) \
             SELECT $1, s.id, 'confirmed', now() FROM s",
        )
        .bind::<BigInt, _>(list.id)
        .bind::<Text, _>(*a)
        .execute(&mut conn)
        .await
        .unwrap();
    }
}

async fn editor_session(t: &TestFleet) -> TestSession {
    let id = federation::db::users::insert(
        &mut t.db.conn().await,
        &shared::models::users::NewUser {
            username: "editor",
            email: "editor@example.org",
            display_name: "Editor",
            avatar_url: None,
            bio: "",
            role: "editor",
        },
    )
    .await
    .unwrap()
    .id;
    t.sign_in(AppName::Account, id).await
}

/// Creates and sends a campaign now; returns its id once it is sent.
async fn send_campaign(t: &TestFleet, session: &TestSession, slug: &str, subject: &str) -> i64 {
    let created = t
        .post_form(
            AppName::Account,
            "/campaigns",
            &[
                ("newsletter", slug),
                ("subject", subject),
                ("body", "Hello."),
            ],
            Some(session),
            AppName::Account,
        )
        .await;
    assert_eq!(created.status, StatusCode::SEE_OTHER, "{}", created.body);
    let id: i64 = created.headers["location"]
        .to_str()
        .unwrap()
        .trim_start_matches("/campaigns/")
        .split('?')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    let scheduled = t
        .post_form(
            AppName::Account,
            &format!("/campaigns/{id}/schedule"),
            &[("at", "")],
            Some(session),
            AppName::Account,
        )
        .await;
    assert_eq!(
        scheduled.status,
        StatusCode::SEE_OTHER,
        "{}",
        scheduled.body
    );
    eventually(60, "the campaign to be sent", || async {
        newsletter_campaigns::table
            .find(id)
            .select(newsletter_campaigns::status)
            .first::<String>(&mut t.db.conn().await)
            .await
            .unwrap()
            == "sent"
    })
    .await;
    id
}

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

/// `X-Webhook-Signature` for `body` sent at `timestamp`: HMAC-SHA256 of `<timestamp>.<body>`.
fn sign(secret: &str, timestamp: i64, body: &str) -> String {
    format!(
        "sha256={}",
        hex::encode(
            hmac_sha256(secret.as_bytes(), format!("{timestamp}.{body}").as_bytes()).unwrap()
        )
    )
}

/// Posts a report signed with `secret` at `timestamp`.
async fn report_at(
    t: &TestFleet,
    body: &str,
    secret: &str,
    timestamp: i64,
) -> (StatusCode, String) {
    let res = t
        .client
        .post(t.fleet.at(AppName::Account, "/webhooks/bounce"))
        .header("content-type", "application/json")
        .header("x-webhook-timestamp", timestamp.to_string())
        .header("x-webhook-signature", sign(secret, timestamp, body))
        .body(body.to_owned())
        .send()
        .await
        .unwrap();
    (res.status(), res.text().await.unwrap())
}

/// Posts a report signed with `secret` now.
async fn report(t: &TestFleet, body: &str, secret: &str) -> (StatusCode, String) {
    report_at(t, body, secret, now()).await
}

async fn bounce_rows(t: &TestFleet) -> i64 {
    newsletter_bounces::table
        .count()
        .get_result(&mut t.db.conn().await)
        .await
        .unwrap()
}

/// The address's blocklist reason, `Some("")` when it is not blocklisted (`None`: no row).
async fn blocklisted(t: &TestFleet, email: &str) -> Option<String> {
    newsletter_subscribers::table
        .filter(newsletter_subscribers::email.eq(email))
        .select((
            newsletter_subscribers::blocklisted_at.is_not_null(),
            newsletter_subscribers::blocklist_reason,
        ))
        .first::<(bool, Option<String>)>(&mut t.db.conn().await)
        .await
        .optional()
        .unwrap()
        .map(|(on, reason)| if on { reason.unwrap() } else { String::new() })
}

#[actix_web::test]
async fn signed_bounces_blocklist_addresses_and_the_next_campaign_skips_them() {
    let t = TestFleet::start_with(&[
        ("BOUNCE_WEBHOOK_SECRET", SECRET),
        ("NEWSLETTER_RATE_PER_SEC", "50"),
    ])
    .await;
    let tag = t.db.name.replace('_', "-");
    let [hard, soft, complaint, fine] =
        ["hard", "soft", "complaint", "fine"].map(|who| format!("{who}.{tag}@example.org"));
    list_with(&t, "bounce-letter", &[&hard, &soft, &complaint, &fine]).await;
    let session = editor_session(&t).await;
    let first = send_campaign(&t, &session, "bounce-letter", "First issue").await;
    for a in [&hard, &soft, &complaint, &fine] {
        assert_eq!(mail_sink().count(a), 1, "{a}");
    }

    let hard_report = format!(
        r#"{{"email":"{hard}","campaign_uuid":"{first}","source":"ses","type":"hard","meta":{{"smtp":"550 5.1.1 no such user"}},"created_at":"2026-12-04T10:00:00Z"}}"#
    );

    // Refusals first: none of them stores or blocks anything.
    let (status, _) = report(&t, &hard_report, "not-the-secret-at-all").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let unsigned = t
        .client
        .post(t.fleet.at(AppName::Account, "/webhooks/bounce"))
        .header("content-type", "application/json")
        .body(hard_report.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(unsigned.status(), StatusCode::UNAUTHORIZED);
    assert!(unsigned.headers().contains_key("www-authenticate"));
    let wrong_basic = t
        .client
        .post(t.fleet.at(AppName::Account, "/webhooks/bounce"))
        .basic_auth("listmonk", Some("not-the-secret-at-all"))
        .body(hard_report.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(wrong_basic.status(), StatusCode::UNAUTHORIZED);
    // A body signed for another body.
    let at = now();
    let tampered = t
        .client
        .post(t.fleet.at(AppName::Account, "/webhooks/bounce"))
        .header("x-webhook-timestamp", at.to_string())
        .header("x-webhook-signature", sign(SECRET, at, &hard_report))
        .body(hard_report.replace(&hard, &fine))
        .send()
        .await
        .unwrap();
    assert_eq!(tampered.status(), StatusCode::UNAUTHORIZED);
    // A captured report replayed more than five minutes after it was signed, or one dated
    // ahead: refused, whatever it says.
    for skew in [-301, -3600, 400] {
        let (status, body) = report_at(&t, &hard_report, SECRET, now() + skew).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{skew}: {body}");
        assert!(body.contains("five minutes"), "{body}");
    }
    // The signature covers the timestamp: a fresh timestamp on an old signature fails, and so
    // does a signature of the body alone (no timestamp).
    let old = now() - 600;
    let moved = t
        .client
        .post(t.fleet.at(AppName::Account, "/webhooks/bounce"))
        .header("x-webhook-timestamp", now().to_string())
        .header("x-webhook-signature", sign(SECRET, old, &hard_report))
        .body(hard_report.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(moved.status(), StatusCode::UNAUTHORIZED);
    let body_only = format!(
        "sha256={}",
        hex::encode(hmac_sha256(SECRET.as_bytes(), hard_report.as_bytes()).unwrap())
    );
    for timestamp in [None, Some(now().to_string())] {
        let mut req = t
            .client
            .post(t.fleet.at(AppName::Account, "/webhooks/bounce"))
            .header("x-webhook-signature", &body_only)
            .body(hard_report.clone());
        if let Some(ts) = timestamp {
            req = req.header("x-webhook-timestamp", ts);
        }
        assert_eq!(req.send().await.unwrap().status(), StatusCode::UNAUTHORIZED);
    }
    for malformed in [
        "{not json".to_owned(),
        format!(r#"{{"email":"{hard}","source":"ses","type":"bounced"}}"#),
        format!(r#"{{"email":"{hard}","type":"hard"}}"#),
        r#"{"subscriber_uuid":"5e2c7f","source":"ses","type":"hard"}"#.to_owned(),
    ] {
        let (status, body) = report(&t, &malformed, SECRET).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{malformed}: {body}");
    }
    assert_eq!(bounce_rows(&t).await, 0);
    for a in [&hard, &soft, &complaint, &fine] {
        assert_eq!(blocklisted(&t, a).await.as_deref(), Some(""), "{a}");
    }

    // A hard bounce blocks the address; its replay is accepted and changes nothing.
    for _ in 0..2 {
        let (status, body) = report(&t, &hard_report, SECRET).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(bounce_rows(&t).await, 1);
        assert_eq!(blocklisted(&t, &hard).await.as_deref(), Some("hard"));
    }

    // Soft bounces: two are counted, the third (not a replay of the second) blocks.
    let soft_report = |n: u32| {
        format!(
            r#"{{"email":"{soft}","campaign_id":{first},"source":"postfix","type":"soft","meta":{{"smtp":"452 mailbox full"}},"created_at":"2026-12-04T10:0{n}:00Z"}}"#
        )
    };
    for n in 1..=2 {
        assert_eq!(report(&t, &soft_report(n), SECRET).await.0, StatusCode::OK);
    }
    assert_eq!(report(&t, &soft_report(2), SECRET).await.0, StatusCode::OK);
    assert_eq!(bounce_rows(&t).await, 3);
    assert_eq!(blocklisted(&t, &soft).await.as_deref(), Some(""));
    assert_eq!(report(&t, &soft_report(3), SECRET).await.0, StatusCode::OK);
    assert_eq!(bounce_rows(&t).await, 4);
    assert_eq!(blocklisted(&t, &soft).await.as_deref(), Some("soft"));

    // A complaint, sent the way listmonk's webhook is called (HTTP Basic), blocks at once.
    let complained = t
        .client
        .post(t.fleet.at(AppName::Account, "/webhooks/bounce"))
        .basic_auth("listmonk", Some(SECRET))
        .header("content-type", "application/json")
        .body(format!(
            r#"{{"email":"{}","campaign_uuid":"{first}","source":"feedback-loop","type":"complaint","meta":{{}}}}"#,
            complaint.to_uppercase()
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(complained.status(), StatusCode::OK);
    assert_eq!(
        blocklisted(&t, &complaint).await.as_deref(),
        Some("complaint")
    );

    // An address nobody subscribed: accepted, nothing stored.
    let stranger = format!("stranger.{tag}@example.org");
    let (status, _) = report(
        &t,
        &format!(r#"{{"email":"{stranger}","source":"ses","type":"hard"}}"#),
        SECRET,
    )
    .await;
    assert_eq!(status, StatusCode::ACCEPTED);
    assert_eq!(bounce_rows(&t).await, 5);
    assert_eq!(blocklisted(&t, &stranger).await, None);
    assert_eq!(blocklisted(&t, &fine).await.as_deref(), Some(""));

    // Editors see the campaign's counts and the blocklisted addresses.
    let page = t
        .get(
            AppName::Account,
            &format!("/campaigns/{first}"),
            Some(&session),
        )
        .await;
    assert!(
        page.body
            .contains("Bounces: 1 hard · 3 soft · 1 complaints"),
        "{}",
        page.body
    );
    let index = t.get(AppName::Account, "/campaigns", Some(&session)).await;
    assert!(index.body.contains(&hard), "{}", index.body);
    assert!(
        index.body.contains("blocklisted (complaint)"),
        "{}",
        index.body
    );

    // The next campaign reaches only the address that did not bounce.
    send_campaign(&t, &session, "bounce-letter", "Second issue").await;
    assert_eq!(mail_sink().count(&fine), 2);
    for a in [&hard, &soft, &complaint] {
        assert_eq!(mail_sink().count(a), 1, "{a}");
    }

    // The public form cannot put a blocklisted address back: the usual answer, no mail, no
    // change; a new address on the same form gets its confirmation mail.
    let newcomer = format!("newcomer.{tag}@example.org");
    for a in [&hard, &newcomer] {
        let page = t
            .post_form(
                AppName::Account,
                "/newsletters/bounce-letter/subscribe",
                &[("email", a)],
                None,
                AppName::Account,
            )
            .await;
        assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    }
    mail_sink().wait_for(&newcomer, 1).await.unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    assert_eq!(mail_sink().count(&hard), 1);
    let status: String = diesel::sql_query(
        "SELECT sub.status FROM newsletter_subscriptions sub \
         JOIN newsletter_subscribers s ON s.id = sub.subscriber_id WHERE s.email = $1",
    )
    .bind::<Text, _>(&hard)
    .get_result::<Status>(&mut t.db.conn().await)
    .await
    .unwrap()
    .status;
    assert_eq!(status, "unsubscribed");

    t.stop().await;
}

#[derive(QueryableByName)]
struct Status {
    #[diesel(sql_type = Text)]
    status: String,
}

#[actix_web::test]
async fn without_a_secret_the_webhook_is_off() {
    let t = TestFleet::start().await;
    let body = r#"{"email":"a@example.org","source":"ses","type":"hard"}"#;
    let (status, _) = report(&t, body, "any-secret-at-all").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    t.stop().await;
}
