//! Deleting an account (issue 15 item 5): after the typed username and the password, federation
//! anonymises and disables the member in one transaction, revokes their sessions and tokens,
//! sends `Delete{Person}` to their followers (here a bovine peer, which verifies the signature)
//! and publishes `AccountDeleted`, whose consumers apply each app's policy (account also erases
//! subscriptions that hold only her address). Once the Delete is delivered her actor answers
//! 410 and a later Follow of it is refused. A wrong username, a wrong password, no password or
//! a CSRF-less POST changes nothing.

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Nullable, Text};
use diesel_async::RunQueryDsl;
use federation::db::users;
use serde_json::json;
use shared::AppName;
use shared::activitypub::actors::{LocalActor, acct_host};
use shared::models::users::NewUser;
use shared::testing::TestSession;

use super::data_export::{reference, rows_everywhere, sql};
use crate::support::bovine::Peer;
use crate::support::browser::{Browser, form_value};
use crate::support::{TestFleet, eventually, mail_sink};

const PASSWORD: &str = "quince jelly at midnight";

async fn member_with_password(t: &TestFleet, username: &str) -> i64 {
    let hash = federation::accounts::passwords::hash(PASSWORD.to_owned())
        .await
        .unwrap();
    users::insert_with_password(
        &mut t.db.conn().await,
        &NewUser {
            username,
            email: &format!("{username}@example.org"),
            display_name: username,
            avatar_url: None,
            bio: "Grows quinces.",
            role: "member",
        },
        &hash,
        true,
    )
    .await
    .unwrap()
    .id
}

/// One value of a query (as text, NULL as None).
async fn value(t: &TestFleet, q: &str) -> Option<String> {
    #[derive(QueryableByName)]
    struct V {
        #[diesel(sql_type = Nullable<Text>)]
        v: Option<String>,
    }
    diesel::sql_query(format!("SELECT ({q})::text AS v"))
        .get_result::<V>(&mut t.db.conn().await)
        .await
        .unwrap_or_else(|e| panic!("{q}: {e}"))
        .v
}

async fn count(t: &TestFleet, q: &str) -> i64 {
    #[derive(QueryableByName)]
    struct N {
        #[diesel(sql_type = BigInt)]
        n: i64,
    }
    diesel::sql_query(format!("SELECT count(*) AS n FROM {q}"))
        .get_result::<N>(&mut t.db.conn().await)
        .await
        .unwrap_or_else(|e| panic!("{q}: {e}"))
        .n
}

/// A ticket for `id` at their wassail (events' rows beside the booking).
async fn ticket(t: &TestFleet, name: &str, id: i64) {
    sql(
        t,
        &format!(
            "INSERT INTO event_ticket_types (occurrence_id, name, price_cents, currency, \
             quantity, available) SELECT o.id, 'Supper', 1800, 'GBP', 10, 9 FROM \
             event_occurrences o JOIN events e ON e.id = o.event_id WHERE e.slug = \
             '{name}-wassail'"
        ),
    )
    .await;
    sql(
        t,
        &format!(
            "INSERT INTO event_tickets (ticket_type_id, order_reference, order_line, seat, \
             user_id, secret) SELECT tt.id, '{}', 1, 1, {id}, '{name}-ticket-secret-0123456789' \
             FROM event_ticket_types tt JOIN event_occurrences o ON o.id = tt.occurrence_id \
             JOIN events e ON e.id = o.event_id WHERE e.slug = '{name}-wassail'",
            reference(name)
        ),
    )
    .await;
}

/// Pages that need a signed-in member in each app (a deleted member's session is refused by
/// `CurrentUser`, which redirects a GET to sign in), with the status a live member gets.
fn guarded(name: &str) -> Vec<(AppName, String, u16)> {
    vec![
        (AppName::Federation, "/account/security".into(), 200),
        (AppName::Account, "/data".into(), 200),
        (AppName::Cart, "/orders".into(), 200),
        (AppName::Events, "/bookings".into(), 200),
        (
            AppName::Market,
            format!("/stalls/{name}-stall/products/new"),
            200,
        ),
        // A member is no administrator: 403 while live.
        (AppName::Blog, "/admin/navigation".into(), 403),
    ]
}

async fn sessions_everywhere(t: &TestFleet, id: i64) -> Vec<(AppName, String, u16, TestSession)> {
    let mut out = Vec::new();
    for (app, path, live) in guarded("ada") {
        let s = t.sign_in(app, id).await;
        out.push((app, path, live, s));
    }
    out
}

/// Federation's delete form, as the browser shows it; returns its CSRF token.
async fn delete_form(t: &TestFleet, browser: &Browser) -> String {
    let url = t.fleet.at(AppName::Federation, "/account/delete");
    let (_, form) = browser.visit(&url).await;
    assert_eq!(form.status, 200, "{}", form.body);
    assert!(form.body.contains("<strong>ada</strong>"), "{}", form.body);
    form_value(&form.body, "csrf_token").expect("the form's CSRF token")
}

async fn post_delete(
    t: &TestFleet,
    browser: &Browser,
    fields: &[(&str, &str)],
) -> (crate::support::Page, Option<String>) {
    let url = t.fleet.at(AppName::Federation, "/account/delete");
    browser.submit_raw(&url, &url, fields).await
}

/// What must not change before the deletion goes through.
async fn untouched(t: &TestFleet, ada: i64) {
    assert_eq!(
        value(t, &format!("SELECT email FROM users WHERE id = {ada}")).await,
        Some("ada@example.org".into())
    );
    assert_eq!(
        count(
            t,
            &format!("users WHERE id = {ada} AND disabled_at IS NULL")
        )
        .await,
        1
    );
    assert_eq!(
        count(t, "ap_activities WHERE kind = 'AccountDeleted'").await,
        0
    );
    assert_eq!(
        count(
            t,
            &format!("orders WHERE user_id = {ada} AND contact_name = 'ada Contact'")
        )
        .await,
        1
    );
}

#[actix_web::test]
async fn a_member_deletes_their_account_and_every_app_applies_its_policy() {
    let t = TestFleet::start().await;
    let peer = Peer::start().await;
    let config = t.fleet.ctx(AppName::Federation).config().clone();
    let ada = member_with_password(&t, "ada").await;
    let bertrand = member_with_password(&t, "bertrand").await;
    let ada_actor = LocalActor::User("ada".into()).id(&config);
    let bertrand_actor = LocalActor::User("bertrand".into()).id(&config);
    rows_everywhere(&t, "ada", ada, &ada_actor).await;
    rows_everywhere(&t, "bertrand", bertrand, &bertrand_actor).await;
    ticket(&t, "ada", ada).await;
    ticket(&t, "bertrand", bertrand).await;
    // Ada's wassail has one place, hers; bertrand waits for it.
    sql(
        &t,
        "UPDATE events SET capacity = 1 WHERE slug = 'ada-wassail'",
    )
    .await;
    sql(
        &t,
        &format!(
            "INSERT INTO event_bookings (occurrence_id, user_id, status, waitlisted_at) \
             SELECT o.id, {bertrand}, 'waitlisted', now() FROM event_occurrences o \
             JOIN events e ON e.id = o.event_id WHERE e.slug = 'ada-wassail'"
        ),
    )
    .await;
    // rows_everywhere gave ada a made-up password and second factor, and asks for approval of
    // followers: back to her real password, one step, open follows.
    let hash = federation::accounts::passwords::hash(PASSWORD.to_owned())
        .await
        .unwrap();
    sql(
        &t,
        &format!(
            "UPDATE users SET password_hash = '{hash}', totp_secret = NULL, totp_enabled_at = \
             NULL WHERE id = {ada}"
        ),
    )
    .await;
    sql(
        &t,
        &format!(
            "UPDATE social_settings SET manually_approves_followers = false WHERE user_id = {ada}"
        ),
    )
    .await;

    // A subscription made with her address while signed out holds only the address (no user
    // id; written in other case): it goes with the account. Her linked subscriber row has
    // another address; someone else's address-only row stays.
    sql(
        &t,
        &format!(
            "UPDATE newsletter_subscribers SET email = 'ada.news@example.org' WHERE user_id = {ada}"
        ),
    )
    .await;
    sql(
        &t,
        "WITH s AS (INSERT INTO newsletter_subscribers (email) VALUES ('Ada@Example.org') \
         RETURNING id) INSERT INTO newsletter_subscriptions (newsletter_id, subscriber_id, status) \
         SELECT n.id, s.id, 'confirmed' FROM newsletters n, s WHERE n.slug = 'bertrand-weekly'",
    )
    .await;
    sql(
        &t,
        "INSERT INTO newsletter_subscribers (email) VALUES ('stranger@example.org')",
    )
    .await;

    // Her post's byline names her (post_authors).
    sql(
        &t,
        &format!(
            "INSERT INTO post_authors (post_id, user_id, position) SELECT id, {ada}, 0 FROM \
             posts WHERE slug = 'ada-diary'"
        ),
    )
    .await;
    // Both stalls sell their chutney.
    sql(
        &t,
        "UPDATE products SET status = 'active' WHERE slug IN ('ada-chutney', 'bertrand-chutney')",
    )
    .await;

    // The bovine peer follows ada's actor (WebFinger, a signed Follow, our signed Accept).
    let host = acct_host(&config, LocalActor::User("ada".into()).app());
    let followed = peer
        .call(
            "/_follow",
            json!({ "account": format!("acct:ada@{host}"), "domain": format!("http://{host}") }),
        )
        .await;
    assert_eq!(followed["actor"], ada_actor.as_str());
    eventually(20, "the bovine follow to be accepted", || async {
        count(
            &t,
            &format!(
                "ap_followers WHERE local_actor = '{ada_actor}' AND follower = '{}' AND state = \
                 'accepted'",
                peer.actor()
            ),
        )
        .await
            == 1
    })
    .await;

    // Ada signs in for real (an SSO session at federation and, through it, at account) and
    // also holds sessions in every app.
    let browser = Browser::new();
    let login = t.fleet.at(AppName::Federation, "/login");
    let (_, form) = browser.visit(&login).await;
    let csrf = form_value(&form.body, "csrf_token").unwrap();
    browser
        .submit(
            &login,
            &login,
            &[
                ("csrf_token", &csrf),
                ("login", "ada"),
                ("password", PASSWORD),
                ("return_to", "/"),
            ],
        )
        .await;
    let data_url = t.fleet.at(AppName::Account, "/data");
    let (landed, data_page) = browser.visit(&data_url).await;
    assert_eq!(landed, data_url, "signed in at account through SSO");
    assert_eq!(data_page.status, 200);
    // "Your data" links to federation's deletion page, which owns the account.
    let delete_url = t.fleet.at(AppName::Federation, "/account/delete");
    assert!(
        data_page.body.contains(&format!(r#"href="{delete_url}""#)),
        "{}",
        data_page.body
    );
    let sessions = sessions_everywhere(&t, ada).await;
    for (app, path, live, s) in &sessions {
        let p = t.get(*app, path, Some(s)).await;
        assert_eq!(p.status.as_u16(), *live, "{app} {path} before: {}", p.body);
    }
    let total_before = value(
        &t,
        &format!("SELECT sum(total_cents) FROM orders WHERE user_id = {ada}"),
    )
    .await;

    // The security page links to the deletion page, which asks for the username.
    let (_, security) = browser
        .visit(&t.fleet.at(AppName::Federation, "/account/security"))
        .await;
    assert!(
        security.body.contains(r#"href="/account/delete""#),
        "{}",
        security.body
    );
    let csrf = delete_form(&t, &browser).await;

    // Wrong username: 400, nothing changes.
    let (wrong_name, _) = post_delete(
        &t,
        &browser,
        &[
            ("csrf_token", &csrf),
            ("confirm", "bertrand"),
            ("password", PASSWORD),
        ],
    )
    .await;
    assert_eq!(wrong_name.status, 400, "{}", wrong_name.body);
    assert!(wrong_name.body.contains("Type your username"));
    untouched(&t, ada).await;
    // Wrong password: 403, nothing changes.
    let (wrong_password, _) = post_delete(
        &t,
        &browser,
        &[
            ("csrf_token", &csrf),
            ("confirm", "ada"),
            ("password", "not my password"),
        ],
    )
    .await;
    assert_eq!(wrong_password.status, 403, "{}", wrong_password.body);
    untouched(&t, ada).await;
    // The session, its CSRF token and the typed username alone (what someone who took over
    // the browser has, or replays): no proof that it is her, 403, nothing changes.
    let (unproven, _) =
        post_delete(&t, &browser, &[("csrf_token", &csrf), ("confirm", "ada")]).await;
    assert_eq!(unproven.status, 403, "{}", unproven.body);
    untouched(&t, ada).await;
    // No CSRF token (a forged form): 403, nothing changes.
    let (forged, _) =
        post_delete(&t, &browser, &[("confirm", "ada"), ("password", PASSWORD)]).await;
    assert_eq!(forged.status, 403, "{}", forged.body);
    untouched(&t, ada).await;

    // The real thing.
    let (deleted, location) = post_delete(
        &t,
        &browser,
        &[
            ("csrf_token", &csrf),
            ("confirm", "ada"),
            ("password", PASSWORD),
        ],
    )
    .await;
    assert_eq!(deleted.status, 303, "{}", deleted.body);
    assert!(location.unwrap().ends_with("/logged-out"));

    // Federation's rows, in the one transaction.
    assert_eq!(
        value(
            &t,
            &format!(
                "SELECT email || '|' || display_name || '|' || bio FROM users WHERE id = {ada}"
            )
        )
        .await,
        Some(format!("deleted-{ada}@deleted.invalid|Former member|"))
    );
    assert_eq!(
        count(
            &t,
            &format!(
                "users WHERE id = {ada} AND disabled_at IS NOT NULL \
                 AND password_hash IS NULL AND totp_secret IS NULL AND avatar_url IS NULL"
            )
        )
        .await,
        1
    );
    for gone in [
        format!("recovery_codes WHERE user_id = {ada}"),
        format!("oauth_refresh_tokens WHERE user_id = {ada} AND revoked_at IS NULL"),
        format!("oauth_consents WHERE user_id = {ada}"),
        format!("social_notifications WHERE user_id = {ada}"),
        format!("social_settings WHERE user_id = {ada}"),
        format!("ap_following WHERE local_actor = '{ada_actor}'"),
        format!("ap_reactions WHERE actor = '{ada_actor}'"),
        format!("ap_objects WHERE attributed_to = '{ada_actor}' AND deleted_at IS NULL"),
    ] {
        assert_eq!(count(&t, &gone).await, 0, "{gone}");
    }
    assert_eq!(
        count(&t, "ap_activities WHERE kind = 'AccountDeleted'").await,
        1
    );

    // She cannot sign in again, by username or by her old address.
    for login_as in ["ada", "ada@example.org"] {
        let again = Browser::new();
        let (_, form) = again.visit(&login).await;
        let csrf = form_value(&form.body, "csrf_token").unwrap();
        let (refused, _) = again
            .submit_raw(
                &login,
                &login,
                &[
                    ("csrf_token", &csrf),
                    ("login", login_as),
                    ("password", PASSWORD),
                    ("return_to", "/"),
                ],
            )
            .await;
        assert_eq!(refused.status, 401, "{login_as}: {}", refused.body);
    }
    // Her old sessions are refused everywhere: the SSO-signed one (revoked) and those with no
    // sign-on session to revoke (refused by CurrentUser, the account being deleted).
    let (after, next) = browser.get(&data_url).await;
    assert_eq!(after.status, 303);
    assert!(
        next.unwrap().contains("/auth/login"),
        "signed out at account"
    );
    for (app, path, _, s) in &sessions {
        let p = t.get(*app, path, Some(s)).await;
        assert_eq!(p.status, 303, "{app} {path} after: {}", p.body);
        assert!(
            p.headers["location"]
                .to_str()
                .unwrap()
                .starts_with("/auth/login"),
            "{app} {path}"
        );
    }
    let posted = t
        .post_form(
            AppName::Account,
            "/data/export",
            &[],
            Some(&sessions[1].3),
            AppName::Account,
        )
        .await;
    assert_eq!(posted.status, 401, "{}", posted.body);

    // The bovine follower receives the Delete of ada's Person, signed by ada's key, and
    // federation forgets its followers once the Delete is addressed.
    eventually(30, "the bovine peer to receive the Delete", || async {
        !peer
            .received_where(|r| {
                r["activity"]["type"] == "Delete"
                    && r["activity"]["object"] == ada_actor.as_str()
                    && r["controller"] == ada_actor.as_str()
            })
            .await
            .is_empty()
    })
    .await;
    eventually(20, "ada's followers to be forgotten", || async {
        count(
            &t,
            &format!("ap_followers WHERE local_actor = '{ada_actor}'"),
        )
        .await
            == 0
    })
    .await;

    // Once the Delete is delivered (its receivers fetched her key to verify it), her actor is
    // gone: 410 with a Tombstone, and WebFinger no longer finds her.
    let actor_answer = || async {
        let res = t
            .client
            .get(&ada_actor)
            .header("accept", "application/activity+json")
            .send()
            .await
            .unwrap();
        (res.status().as_u16(), res.text().await.unwrap())
    };
    eventually(30, "ada's actor to answer 410", || async {
        actor_answer().await.0 == 410
    })
    .await;
    let (_, tombstone) = actor_answer().await;
    let tombstone: serde_json::Value = serde_json::from_str(&tombstone).unwrap();
    assert_eq!(tombstone["type"], "Tombstone");
    assert_eq!(tombstone["id"], ada_actor.as_str());
    let finger = t
        .client
        .get(t.fleet.at(
            AppName::Federation,
            &format!("/.well-known/webfinger?resource=acct:ada@{host}"),
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(finger.status().as_u16(), 410);
    // A Follow of her actor arriving later (sent straight to her inbox) is accepted by the
    // inbox as any delivery is, then refused: no follower stored, no Accept (or Reject) sent.
    let sent = peer
        .call(
            "/_send",
            json!({ "type": "Follow", "object": ada_actor, "to": ada_actor,
                    "inbox": format!("{ada_actor}/inbox") }),
        )
        .await;
    assert_eq!(sent["status"], 202, "{sent}");
    let follow_id = sent["id"].as_str().unwrap().to_owned();
    eventually(20, "the late Follow to be processed", || async {
        count(
            &t,
            &format!(
                "ap_activities WHERE activity_id = '{follow_id}' AND direction = 'inbound' \
                 AND status = 'done'"
            ),
        )
        .await
            == 1
    })
    .await;
    assert_eq!(
        count(
            &t,
            &format!("ap_followers WHERE local_actor = '{ada_actor}'")
        )
        .await,
        0
    );
    assert_eq!(
        count(
            &t,
            &format!(
                "ap_activities WHERE direction = 'outbound' AND kind IN ('Accept', 'Reject') \
                 AND payload->'object'->>'id' = '{follow_id}'"
            )
        )
        .await,
        0
    );

    // Each app's consumer applies its policy.
    eventually(20, "every app's consumer", || async {
        count(
            &t,
            &format!("orders WHERE user_id = {ada} AND contact_name = ''"),
        )
        .await
            == 1
            && count(&t, &format!("newsletter_subscribers WHERE user_id = {ada}")).await == 0
            && count(
                &t,
                "newsletter_subscribers WHERE lower(email) IN ('ada@example.org', \
                 'ada.news@example.org')",
            )
            .await
                == 0
            && count(
                &t,
                &format!("event_bookings WHERE user_id = {ada} AND status = 'booked'"),
            )
            .await
                == 0
            && count(&t, &format!("stall_owners WHERE user_id = {ada}")).await == 0
            && count(&t, "post_comments WHERE author_name = 'ada'").await == 0
    })
    .await;
    // Cart: the order keeps its amounts, lines and history, without name, address or e-mail;
    // the cart goes.
    assert_eq!(
        value(
            &t,
            &format!(
                "SELECT email || '|' || contact_name || '|' || address || '|' || state FROM \
                 orders WHERE user_id = {ada}"
            )
        )
        .await,
        Some("erased@deleted.invalid|||PaymentSettled".into())
    );
    assert_eq!(
        value(
            &t,
            &format!("SELECT sum(total_cents) FROM orders WHERE user_id = {ada}")
        )
        .await,
        total_before
    );
    assert_eq!(total_before, Some("1450".into()));
    assert_eq!(
        count(
            &t,
            &format!("order_lines l JOIN orders o ON o.id = l.order_id WHERE o.user_id = {ada}")
        )
        .await,
        1
    );
    assert_eq!(count(&t, &format!("carts WHERE user_id = {ada}")).await, 0);
    // Events: booking cancelled, ticket void; her place went to bertrand, first on the
    // waitlist, who is mailed, and the date still counts one place taken.
    let waited = "event_bookings b JOIN event_occurrences o ON o.id = b.occurrence_id \
                  JOIN events e ON e.id = o.event_id WHERE e.slug = 'ada-wassail'";
    assert_eq!(
        count(
            &t,
            &format!("{waited} AND b.user_id = {bertrand} AND b.status = 'booked'")
        )
        .await,
        1
    );
    assert_eq!(
        count(
            &t,
            "event_occurrences o JOIN events e ON e.id = o.event_id \
             WHERE e.slug = 'ada-wassail' AND o.booked = 1"
        )
        .await,
        1
    );
    eventually(20, "bertrand is mailed his place", || async {
        mail_sink()
            .to("bertrand@example.org")
            .iter()
            .any(|m| m.subject() == Some("A place for you: ada wassail"))
    })
    .await;
    assert_eq!(
        count(&t, &format!("event_bookings WHERE user_id = {ada} AND status = 'cancelled' AND cancelled_at IS NOT NULL")).await,
        1
    );
    assert_eq!(
        count(
            &t,
            &format!(
                "event_tickets WHERE user_id = {ada} AND status = 'void' AND voided_at IS NOT NULL"
            )
        )
        .await,
        1
    );
    // Account: no subscriber row, so no subscription; bertrand's list keeps only his own.
    assert_eq!(
        count(&t, "newsletter_subscriptions s JOIN newsletters n ON n.id = s.newsletter_id WHERE n.slug = 'ada-weekly'").await,
        0
    );
    assert_eq!(
        count(&t, "newsletter_subscriptions s JOIN newsletters n ON n.id = s.newsletter_id WHERE n.slug = 'bertrand-weekly'").await,
        1
    );
    assert_eq!(
        count(
            &t,
            "newsletter_subscribers WHERE email = 'stranger@example.org' AND user_id IS NULL"
        )
        .await,
        1
    );
    // Market: the stall she ran alone stops selling.
    assert_eq!(
        value(&t, "SELECT status FROM products WHERE slug = 'ada-chutney'").await,
        Some("archived".into())
    );
    assert_eq!(
        count(
            &t,
            "ap_activities WHERE kind = 'Delete' AND payload->'object'->>'type' = 'Tombstone' \
             AND payload->'object'->>'id' LIKE '%/objects/products/%'"
        )
        .await,
        1,
        "the archived product's Delete is in the outbox"
    );
    assert_eq!(
        value(&t, "SELECT contact FROM stalls WHERE slug = 'ada-stall'").await,
        Some(String::new())
    );
    // Blog: the post stays, signed "Former member"; her comment is anonymised.
    assert_eq!(
        value(&t, "SELECT status FROM posts WHERE slug = 'ada-diary'").await,
        Some("published".into())
    );
    assert_eq!(
        value(
            &t,
            &format!("SELECT author_name FROM post_comments WHERE actor_id = '{ada_actor}'")
        )
        .await,
        Some("Former member".into())
    );
    let (_, post) = Browser::new()
        .visit(&t.fleet.at(AppName::Blog, "/posts/ada-diary"))
        .await;
    assert_eq!(post.status, 200, "{}", post.body);
    assert!(
        post.body.contains(">Former member</a>"),
        "the byline: {}",
        post.body
    );

    // Bertrand's rows are as they were.
    for kept in [
        format!(
            "users WHERE id = {bertrand} AND email = 'bertrand@example.org' AND disabled_at IS NULL"
        ),
        format!("orders WHERE user_id = {bertrand} AND contact_name = 'bertrand Contact'"),
        format!(
            "event_bookings b JOIN event_occurrences o ON o.id = b.occurrence_id JOIN events e \
             ON e.id = o.event_id WHERE b.user_id = {bertrand} AND b.status = 'booked' \
             AND e.slug = 'bertrand-wassail'"
        ),
        format!("event_tickets WHERE user_id = {bertrand} AND status = 'valid'"),
        format!("stall_owners WHERE user_id = {bertrand}"),
        format!("newsletter_subscribers WHERE user_id = {bertrand}"),
        "products WHERE slug = 'bertrand-chutney' AND status <> 'archived'".to_owned(),
        "post_comments WHERE author_name = 'bertrand'".to_owned(),
        format!("ap_following WHERE local_actor = '{bertrand_actor}'"),
    ] {
        assert_eq!(count(&t, &kept).await, 1, "{kept}");
    }
    t.stop().await;
}
