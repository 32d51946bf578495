//! Campaigns: an editor writes in Markdown, previews, tests and schedules; the sender goes
//! through a PostgreSQL queue at `NEWSLETTER_RATE_PER_SEC`, survives its workers being stopped
//! mid-send (every confirmed subscriber gets exactly one mail, nobody else any), pauses itself
//! after repeated SMTP errors and resumes on a restarted fleet; each mail is multipart with the
//! list headers, DKIM-signed (verified by dkimpy), and its one-click address unsubscribes; sent
//! campaigns of public lists make an archive page and an RSS feed.

use std::net::{IpAddr, Ipv4Addr, TcpListener};
use std::time::Duration;

use account::db::newsletters::{NewNewsletter, insert};
use deploy::fleet::Fleet;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};
use diesel_async::RunQueryDsl;
use reqwest::StatusCode;
use shared::AppName;
use shared::db::schema::{newsletter_campaign_recipients as recipients, newsletter_campaigns};
use shared::testing::{self, TestDb, TestRedis, TestSession};

use super::dkim;
use crate::support::people::person;
use crate::support::{Page, TestFleet, eventually, mail_sink, page};

/// A public double opt-in list with `confirmed` confirmed subscribers, plus 20 unconfirmed and
/// 20 unsubscribed ones; addresses end in `suffix`. Returns the list's id.
async fn list_with_subscribers(db: &TestDb, slug: &str, confirmed: i64, suffix: &str) -> i64 {
    let mut conn = db.conn().await;
    let list = insert(
        &mut conn,
        &NewNewsletter::public(slug, "The Letter", "Once a month."),
    )
    .await
    .unwrap();
    for (status, n, from) in [
        ("confirmed", confirmed, 0),
        ("unconfirmed", 20, 100_000),
        ("unsubscribed", 20, 200_000),
    ] {
        diesel::sql_query(
            "WITH s AS (INSERT INTO newsletter_subscribers (email) \
               SELECT 'r' || g || $4 FROM generate_series($2::bigint, $2::bigint + $3 - 1) g RETURNING id) \
             INSERT INTO newsletter_subscriptions (newsletter_id, subscriber_id, status, confirmed_at) \
             SELECT $1, s.id, $5, CASE WHEN $5 = 'confirmed' THEN now() END FROM s",
        )
        .bind::<BigInt, _>(list.id)
        .bind::<BigInt, _>(from)
        .bind::<BigInt, _>(n)
        .bind::<Text, _>(suffix)
        .bind::<Text, _>(status)
        .execute(&mut conn)
        .await
        .unwrap();
    }
    list.id
}

/// A same-origin form post on account with the session's CSRF token.
async fn post(
    client: &reqwest::Client,
    fleet: &Fleet,
    path: &str,
    form: &[(&str, &str)],
    session: &TestSession,
) -> Page {
    let mut fields = form.to_vec();
    fields.push(("csrf_token", &session.csrf));
    let res = client
        .post(fleet.at(AppName::Account, path))
        .header(
            "origin",
            fleet.url(AppName::Account).origin().ascii_serialization(),
        )
        .header("sec-fetch-site", "same-origin")
        .header("cookie", &session.cookie)
        .form(&fields)
        .send()
        .await
        .unwrap();
    page(res).await
}

/// Creates a campaign as `session`'s editor; returns its id.
async fn create(
    client: &reqwest::Client,
    fleet: &Fleet,
    session: &TestSession,
    slug: &str,
    subject: &str,
) -> i64 {
    let body = "# Spring\n\nThe **orchard** is in bloom. <script>alert(1)</script>\n\n[Read more](https://blog.example/spring)";
    let created = post(
        client,
        fleet,
        "/campaigns",
        &[
            ("newsletter", slug),
            ("subject", subject),
            ("body", body),
            ("archived", "1"),
        ],
        session,
    )
    .await;
    assert_eq!(created.status, StatusCode::SEE_OTHER, "{}", created.body);
    let location = created.headers["location"].to_str().unwrap();
    location
        .trim_start_matches("/campaigns/")
        .split('?')
        .next()
        .unwrap()
        .parse()
        .unwrap()
}

async fn campaign_status(db: &TestDb, id: i64) -> String {
    newsletter_campaigns::table
        .find(id)
        .select(newsletter_campaigns::status)
        .first(&mut db.conn().await)
        .await
        .unwrap()
}

async fn recipient_count(db: &TestDb, id: i64, status: &str) -> i64 {
    recipients::table
        .filter(recipients::campaign_id.eq(id))
        .filter(recipients::status.eq(status))
        .count()
        .get_result(&mut db.conn().await)
        .await
        .unwrap()
}

/// A fleet on a database and Redis that outlive it (so a second fleet can take over).
async fn fleet_on(db: &TestDb, redis: &TestRedis, overrides: &[(&str, &str)]) -> Fleet {
    let config = testing::config(db, redis, overrides);
    Fleet::start(config, IpAddr::V4(Ipv4Addr::LOCALHOST), None)
        .await
        .unwrap()
}

#[actix_web::test]
async fn a_campaign_reaches_every_confirmed_subscriber_exactly_once_across_a_stop_mid_send() {
    let (pem, record) = dkim::test_key();
    let db = TestDb::new().await;
    let redis = TestRedis::new(&db.name).await;
    let suffix = format!(".{}@example.org", db.name.replace('_', "-"));
    const RATE: f64 = 40.0;
    const CONFIRMED: i64 = 500;
    let smtp = mail_sink().url();
    let rate = RATE.to_string();
    let mut fleet = fleet_on(
        &db,
        &redis,
        &[
            ("SMTP_URL", &smtp),
            ("NEWSLETTER_RATE_PER_SEC", &rate),
            // Six mails in flight (one pooled connection each).
            ("DB_POOL_SIZE", "8"),
            ("DKIM_PRIVATE_KEY", &pem),
            ("DKIM_DOMAIN", "rose-ash.localhost"),
            ("DKIM_SELECTOR", "test"),
        ],
    )
    .await;
    let client = testing::http_client();
    list_with_subscribers(&db, "letter", CONFIRMED, &suffix).await;
    let t = TestFleetView { db: &db };
    let editor = t.editor().await;
    let session = testing::session(fleet.ctx(AppName::Account), Some(editor)).await;
    let id = create(&client, &fleet, &session, "letter", "Spring in the orchard").await;

    let scheduled = post(
        &client,
        &fleet,
        &format!("/campaigns/{id}/schedule"),
        &[("at", "")],
        &session,
    )
    .await;
    assert_eq!(
        scheduled.status,
        StatusCode::SEE_OTHER,
        "{}",
        scheduled.body
    );

    // Stop account's workers (a graceful stop, as a deploy does) once some mail is out.
    eventually(60, "the first mails", || async {
        mail_sink().count_suffix(&suffix) >= 120
    })
    .await;
    fleet.stop_workers(AppName::Account).await;
    let stopped_at = chrono::Utc::now();
    let at_stop = mail_sink().count_suffix(&suffix);
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        mail_sink().count_suffix(&suffix),
        at_stop,
        "sending went on after the stop"
    );
    assert_eq!(campaign_status(&db, id).await, "sending");
    let pending = recipient_count(&db, id, "pending").await;
    assert!(
        pending > 0 && (at_stop as i64) < CONFIRMED,
        "stopped mid-send: {at_stop} sent"
    );
    assert_eq!(recipient_count(&db, id, "sent").await, at_stop as i64);

    // A restarted worker finishes the campaign.
    fleet.restart_workers(AppName::Account).await.unwrap();
    eventually(60, "the campaign to be sent", || async {
        campaign_status(&db, id).await == "sent"
    })
    .await;
    for i in 0..CONFIRMED {
        assert_eq!(mail_sink().count(&format!("r{i}{suffix}")), 1, "r{i}");
    }
    for i in (100_000..100_020).chain(200_000..200_020) {
        assert_eq!(mail_sink().count(&format!("r{i}{suffix}")), 0, "r{i}");
    }
    assert_eq!(mail_sink().count_suffix(&suffix), CONFIRMED as usize);
    assert_eq!(recipient_count(&db, id, "sent").await, CONFIRMED);

    // The rate limit: never faster than configured (+5 %), measured on the sent times.
    #[derive(QueryableByName)]
    struct Span {
        #[diesel(sql_type = diesel::sql_types::Double)]
        /// Mails per second.
        secs: f64,
    }
    let span: Span = diesel::sql_query(
        "SELECT (count(*) - 1)::float8 / EXTRACT(EPOCH FROM max(sent_at) - min(sent_at))::float8 AS secs \
         FROM newsletter_campaign_recipients WHERE campaign_id = $1 AND sent_at <= $2",
    )
    .bind::<BigInt, _>(id)
    .bind::<diesel::sql_types::Timestamptz, _>(stopped_at)
    .get_result(&mut db.conn().await)
    .await
    .unwrap();
    let measured = span.secs;
    eprintln!("campaign rate before the stop: {measured:.1} mails/s (configured {RATE})");
    assert!(measured <= RATE * 1.05, "{measured} mails/s exceeds {RATE}");

    // One mail: multipart, the list headers, DKIM verified by dkimpy over both list headers.
    let reader = format!("r7{suffix}");
    let mail = mail_sink().wait_for(&reader, 1).await.unwrap();
    assert_eq!(mail.subject(), Some("Spring in the orchard"));
    assert!(mail.raw.contains("multipart/alternative"));
    let html = mail.part("text/html").unwrap();
    assert!(html.contains("<strong>orchard</strong>"), "{html}");
    assert!(!html.contains("<script>"), "{html}");
    // The Markdown holds HTML (the script tag), so the text part is the sanitised HTML's text:
    // no tags, the link written "text (url)".
    let text = mail.part("text/plain").unwrap().replace("\r\n", "\n");
    assert!(
        text.contains(
            "Spring\n\nThe orchard is in bloom.\n\nRead more (https://blog.example/spring)\n"
        ),
        "{text}"
    );
    assert!(!text.contains('<'), "{text}");
    let list_unsubscribe = mail.header("List-Unsubscribe").unwrap();
    assert_eq!(
        mail.header("List-Unsubscribe-Post").as_deref(),
        Some("List-Unsubscribe=One-Click")
    );
    let https = list_unsubscribe
        .split(',')
        .map(|p| p.trim().trim_start_matches('<').trim_end_matches('>'))
        .find(|u| u.starts_with("http"))
        .unwrap()
        .to_owned();
    assert!(list_unsubscribe.contains("<mailto:"), "{list_unsubscribe}");
    assert!(
        mail.header("List-Id")
            .unwrap()
            .contains("<letter.rose-ash.localhost>")
    );
    assert!(
        mail.header("Message-ID")
            .unwrap()
            .starts_with(&format!("<campaign-{id}.recipient-"))
    );
    if let Some(python) = dkim::python() {
        let (ok, signed) = dkim::verify(python, &dkim::wire(&mail.raw), &record);
        assert!(ok, "dkimpy rejects the campaign mail");
        assert!(
            signed.contains(&"list-unsubscribe".to_owned()),
            "{signed:?}"
        );
        assert!(
            signed.contains(&"list-unsubscribe-post".to_owned()),
            "{signed:?}"
        );
    }

    // Its one-click address: a mail provider's POST without a cookie unsubscribes (200, no
    // redirect); a forged token is a 404.
    let res = client
        .post(&https)
        .header("content-type", "application/x-www-form-urlencoded")
        .body("List-Unsubscribe=One-Click")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert!(res.headers().get("location").is_none());
    let off: String = diesel::sql_query(
        "SELECT sub.status AS status FROM newsletter_subscriptions sub \
         JOIN newsletter_subscribers s ON s.id = sub.subscriber_id WHERE s.email = $1",
    )
    .bind::<Text, _>(&reader)
    .get_result::<StatusRow>(&mut db.conn().await)
    .await
    .unwrap()
    .status;
    assert_eq!(off, "unsubscribed");
    let forged = format!(
        "{}0",
        https.trim_end_matches(|c: char| c.is_ascii_hexdigit())
    );
    let res = client
        .post(&forged)
        .body("List-Unsubscribe=One-Click")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);

    fleet.stop().await;
}

#[derive(QueryableByName)]
struct StatusRow {
    #[diesel(sql_type = Text)]
    status: String,
}

/// Writes straight to the test database (no fleet needed).
struct TestFleetView<'a> {
    db: &'a TestDb,
}

impl TestFleetView<'_> {
    async fn editor(&self) -> i64 {
        federation::db::users::insert(
            &mut self.db.conn().await,
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
        .id
    }
}

#[actix_web::test]
async fn smtp_errors_pause_a_campaign_and_a_resume_on_a_restarted_fleet_sends_the_rest() {
    let db = TestDb::new().await;
    let redis = TestRedis::new(&db.name).await;
    let suffix = format!(".{}@example.org", db.name.replace('_', "-"));
    // An SMTP address where nothing listens: every send fails (a transient error).
    let dead = {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        format!("smtp://127.0.0.1:{}", l.local_addr().unwrap().port())
    };
    let fleet = fleet_on(
        &db,
        &redis,
        &[
            ("SMTP_URL", &dead),
            ("NEWSLETTER_RATE_PER_SEC", "200"),
            ("NEWSLETTER_PAUSE_AFTER_ERRORS", "3"),
        ],
    )
    .await;
    let client = testing::http_client();
    list_with_subscribers(&db, "letter", 10, &suffix).await;
    let editor = TestFleetView { db: &db }.editor().await;
    let session = testing::session(fleet.ctx(AppName::Account), Some(editor)).await;
    let id = create(&client, &fleet, &session, "letter", "Errors").await;
    post(
        &client,
        &fleet,
        &format!("/campaigns/{id}/schedule"),
        &[],
        &session,
    )
    .await;
    eventually(30, "the campaign to pause itself", || async {
        campaign_status(&db, id).await == "paused"
    })
    .await;
    let shown = client
        .get(fleet.at(AppName::Account, &format!("/campaigns/{id}")))
        .header("cookie", &session.cookie)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        shown.contains("Paused after 3 SMTP errors in a row"),
        "{shown}"
    );
    assert_eq!(mail_sink().count_suffix(&suffix), 0);
    assert_eq!(recipient_count(&db, id, "pending").await, 10);
    fleet.stop().await;

    // The SMTP server is fixed and the fleet restarted: an editor resumes; each gets one mail.
    let smtp = mail_sink().url();
    let fleet = fleet_on(
        &db,
        &redis,
        &[("SMTP_URL", &smtp), ("NEWSLETTER_RATE_PER_SEC", "200")],
    )
    .await;
    let session = testing::session(fleet.ctx(AppName::Account), Some(editor)).await;
    let resumed = post(
        &client,
        &fleet,
        &format!("/campaigns/{id}/resume"),
        &[],
        &session,
    )
    .await;
    assert_eq!(resumed.status, StatusCode::SEE_OTHER, "{}", resumed.body);
    eventually(30, "the campaign to be sent", || async {
        campaign_status(&db, id).await == "sent"
    })
    .await;
    for i in 0..10 {
        assert_eq!(mail_sink().count(&format!("r{i}{suffix}")), 1, "r{i}");
    }
    assert_eq!(mail_sink().count_suffix(&suffix), 10);
    // Resuming a sent campaign is a conflict, and changes nothing.
    let again = post(
        &client,
        &fleet,
        &format!("/campaigns/{id}/resume"),
        &[],
        &session,
    )
    .await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    fleet.stop().await;
}

#[actix_web::test]
async fn editors_write_preview_test_and_schedule_and_sent_campaigns_make_an_archive_and_feed() {
    let t = TestFleet::start_with(&[("NEWSLETTER_RATE_PER_SEC", "500")]).await;
    let suffix = format!(".{}@example.org", t.db.name.replace('_', "-"));
    list_with_subscribers(&t.db, "letter", 3, &suffix).await;
    let editor = person(&t, "editor", "editor").await;
    let member = person(&t, "member", "member").await;
    let session = t.sign_in(AppName::Account, editor).await;
    let member_session = t.sign_in(AppName::Account, member).await;

    // Only editors: a member gets 403 and creates nothing.
    let page = t
        .get(AppName::Account, "/campaigns", Some(&member_session))
        .await;
    assert_eq!(page.status, 403);
    let page = t.get(AppName::Account, "/campaigns", None).await;
    assert_eq!(page.status, 403);
    let refused = post(
        &t.client,
        &t.fleet,
        "/campaigns",
        &[("newsletter", "letter"), ("subject", "x"), ("body", "y")],
        &member_session,
    )
    .await;
    assert_eq!(refused.status, 403);
    // Without the CSRF token the form is refused too.
    let no_csrf = t
        .post_form(
            AppName::Account,
            "/campaigns",
            &[("newsletter", "letter"), ("subject", "x"), ("body", "y")],
            None,
            AppName::Account,
        )
        .await;
    assert!(no_csrf.status.is_client_error(), "{}", no_csrf.status);
    // Bad input: 400 and nothing saved.
    for form in [
        [("newsletter", "letter"), ("subject", ""), ("body", "y")],
        [("newsletter", "letter"), ("subject", "x"), ("body", " ")],
        [("newsletter", "nope"), ("subject", "x"), ("body", "y")],
    ] {
        let bad = post(&t.client, &t.fleet, "/campaigns", &form, &session).await;
        assert!(bad.status == 400 || bad.status == 404, "{}", bad.status);
    }
    let none: i64 = newsletter_campaigns::table
        .count()
        .get_result(&mut t.db.conn().await)
        .await
        .unwrap();
    assert_eq!(none, 0);

    let id = create(&t.client, &t.fleet, &session, "letter", "Spring <news>").await;
    let edit = t
        .get(
            AppName::Account,
            &format!("/campaigns/{id}"),
            Some(&session),
        )
        .await;
    assert_eq!(edit.status, 200);
    assert!(
        edit.body.contains("<strong>orchard</strong>"),
        "{}",
        edit.body
    );
    assert!(!edit.body.contains("<script>alert"), "{}", edit.body);
    let preview = t
        .get(
            AppName::Account,
            &format!("/campaigns/{id}/preview"),
            Some(&session),
        )
        .await;
    assert_eq!(preview.status, 200);
    assert!(preview.body.contains("<title>Spring &lt;news&gt;</title>"));

    // A test mail to one address.
    let tester = format!("tester{suffix}");
    let tested = post(
        &t.client,
        &t.fleet,
        &format!("/campaigns/{id}/test"),
        &[("to", &tester)],
        &session,
    )
    .await;
    assert_eq!(tested.status, StatusCode::SEE_OTHER);
    let test_mail = mail_sink().wait_for(&tester, 1).await.expect("a test mail");
    assert_eq!(test_mail.subject(), Some("[Test] Spring <news>"));
    assert!(test_mail.header("List-Unsubscribe").is_none());

    // Scheduled for later: the start job waits for its time; nobody is mailed yet.
    let later = (chrono::Utc::now() + chrono::Duration::days(2))
        .format("%Y-%m-%dT%H:%M")
        .to_string();
    post(
        &t.client,
        &t.fleet,
        &format!("/campaigns/{id}/schedule"),
        &[("at", &later)],
        &session,
    )
    .await;
    assert_eq!(campaign_status(&t.db, id).await, "scheduled");
    let past = post(
        &t.client,
        &t.fleet,
        &format!("/campaigns/{id}/schedule"),
        &[("at", "2001-01-01T00:00")],
        &session,
    )
    .await;
    assert_eq!(past.status, 400);
    assert_eq!(campaign_status(&t.db, id).await, "scheduled");
    // Now: sent to the three confirmed subscribers.
    post(
        &t.client,
        &t.fleet,
        &format!("/campaigns/{id}/schedule"),
        &[("at", "")],
        &session,
    )
    .await;
    eventually(30, "the campaign to be sent", || async {
        campaign_status(&t.db, id).await == "sent"
    })
    .await;
    assert_eq!(mail_sink().count_suffix(&suffix), 3 + 1);
    let start_jobs = shared::jobs::store::all(&mut t.db.conn().await)
        .await
        .unwrap()
        .into_iter()
        .filter(|j| j.job_type == "account.campaign.start")
        .count();
    assert_eq!(
        start_jobs, 0,
        "the rescheduled start replaced the later one"
    );
    // A sent campaign can no longer be edited.
    let edit = post(
        &t.client,
        &t.fleet,
        &format!("/campaigns/{id}"),
        &[
            ("newsletter", "letter"),
            ("subject", "Changed"),
            ("body", "z"),
        ],
        &session,
    )
    .await;
    assert_eq!(edit.status, StatusCode::CONFLICT);

    // The archive and its feed, for anyone.
    let archive = t
        .get(AppName::Account, "/newsletters/letter/archive", None)
        .await;
    assert_eq!(archive.status, 200);
    assert!(
        archive.body.contains("Spring &lt;news&gt;"),
        "{}",
        archive.body
    );
    let entry = t
        .get(
            AppName::Account,
            &format!("/newsletters/letter/archive/{id}"),
            None,
        )
        .await;
    assert_eq!(entry.status, 200);
    assert!(entry.body.contains("<strong>orchard</strong>"));
    let rss = t
        .get(AppName::Account, "/newsletters/letter/rss.xml", None)
        .await;
    assert_eq!(rss.status, 200);
    assert!(
        rss.headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/rss+xml")
    );
    assert!(
        rss.body.contains("<title>Spring &lt;news&gt;</title>"),
        "{}",
        rss.body
    );
    assert!(
        rss.body
            .contains(&format!("/newsletters/letter/archive/{id}</link>"))
    );
    assert!(rss.body.contains("&lt;strong&gt;orchard&lt;/strong&gt;"));
    // A draft is not in the archive; an unknown list or campaign is a 404.
    let draft = create(&t.client, &t.fleet, &session, "letter", "Draft only").await;
    let archive = t
        .get(AppName::Account, "/newsletters/letter/archive", None)
        .await;
    assert!(!archive.body.contains("Draft only"));
    let missing = t
        .get(
            AppName::Account,
            &format!("/newsletters/letter/archive/{draft}"),
            None,
        )
        .await;
    assert_eq!(missing.status, 404);
    let missing = t
        .get(AppName::Account, "/newsletters/nope/rss.xml", None)
        .await;
    assert_eq!(missing.status, 404);
    t.stop().await;
}
