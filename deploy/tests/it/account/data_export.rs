//! "Your data" (issue 15 item 5): a member's export holds their rows from every app that owns
//! some, and nothing of another member's; no secrets; only a signed-in, CSRF-checked POST of a
//! live account gets it, a few times an hour.

use diesel_async::RunQueryDsl;
use serde_json::Value;
use shared::AppName;
use shared::activitypub::actors::LocalActor;
use shared::testing::TestSession;

use crate::support::people::member;
use crate::support::{Page, TestFleet, page};

pub(super) async fn sql(t: &TestFleet, q: &str) {
    diesel::sql_query(q)
        .execute(&mut t.db.conn().await)
        .await
        .unwrap_or_else(|e| panic!("{q}: {e}"));
}

/// Rows in every owning app for `name` (titles carry the name, so a leak shows). Also used by
/// `deletion`.
pub(super) async fn rows_everywhere(t: &TestFleet, name: &str, id: i64, actor: &str) {
    let upper = name.to_uppercase();
    let reference = reference(name);
    for q in [
        // Federation: secrets that must stay out, the actor's post, follows and reactions.
        format!(
            "UPDATE users SET password_hash = 'argon2-{name}-hash', totp_secret = \
             'TOTP{upper}SECRET', totp_enabled_at = now() WHERE id = {id}"
        ),
        format!("INSERT INTO recovery_codes (user_id, code_hash) VALUES ({id}, 'rc-{name}-hash')"),
        format!(
            "INSERT INTO ap_objects (id, kind, attributed_to, local, content, payload) VALUES \
             ('{actor}/notes/1', 'Note', '{actor}', true, '<p>{name} toots about quinces</p>', \
             '{{}}')"
        ),
        format!(
            "INSERT INTO ap_following (local_actor, remote_actor, follow_activity_id, state) \
             VALUES ('{actor}', 'https://remote.example/users/{name}-friend', \
             '{actor}/follows/1', 'accepted')"
        ),
        format!(
            "INSERT INTO ap_followers (local_actor, follower, inbox, follow_activity_id, state) \
             VALUES ('{actor}', 'https://remote.example/users/{name}-fan', \
             'https://remote.example/inbox', 'https://remote.example/follows/{name}', \
             'accepted')"
        ),
        format!(
            "INSERT INTO ap_reactions (actor, object_id, kind, activity_id) VALUES ('{actor}', \
             'https://remote.example/notes/{name}-liked', 'Like', '{actor}/likes/1')"
        ),
        format!(
            "INSERT INTO social_notifications (user_id, kind, actor) VALUES ({id}, 'follow', \
             'https://remote.example/users/{name}-fan')"
        ),
        format!(
            "INSERT INTO social_settings (user_id, manually_approves_followers) VALUES ({id}, true)"
        ),
        // Account: a newsletter subscription.
        format!(
            "INSERT INTO newsletters (slug, name) VALUES ('{name}-weekly', '{name} weekly') \
             ON CONFLICT DO NOTHING"
        ),
        format!(
            "INSERT INTO newsletter_subscribers (email, user_id) VALUES \
             ('{name}@example.org', {id})"
        ),
        format!(
            "INSERT INTO newsletter_subscriptions (newsletter_id, subscriber_id, status) SELECT \
             n.id, s.id, 'confirmed' FROM newsletters n, newsletter_subscribers s WHERE \
             n.slug = '{name}-weekly' AND s.user_id = {id}"
        ),
        // Blog: a post and a comment from the member's actor.
        format!(
            "INSERT INTO posts (slug, title, excerpt, html, status, author_id, published_at) \
             VALUES ('{name}-diary', '{name} orchard diary', '', '<p>x</p>', 'published', {id}, \
             now())"
        ),
        format!(
            "INSERT INTO post_comments (post_id, object_id, actor_id, author_name, html, \
             published_at) SELECT id, '{actor}/notes/2', '{actor}', '{name}', \
             '<p>{name} replies</p>', now() FROM posts WHERE slug = '{name}-diary'"
        ),
        // Cart: a cart with a line and a paid order with its line and history.
        format!("INSERT INTO carts (user_id) VALUES ({id})"),
        format!(
            "INSERT INTO cart_items (cart_id, quantity, kind, item_id) SELECT id, 2, \
             'variant', 4242 FROM carts WHERE user_id = {id}"
        ),
        format!(
            "INSERT INTO orders (reference, idempotency_key, user_id, email, contact_name, \
             address, state, currency, total_cents, reservation_key, expires_at, access_digest) \
             VALUES ('{reference}', 'key-{name}', {id}, '{name}@example.org', \
             '{name} Contact', '1 {name} Lane', 'PaymentSettled', 'GBP', 1450, 'res-{name}', \
             now() + interval '15 minutes', 'access-{name}-digest')"
        ),
        format!(
            "INSERT INTO order_lines (order_id, position, kind, item_id, title, \
             unit_price_cents, quantity) SELECT id, 0, 'variant', 1, '{name} jelly', 725, 2 \
             FROM orders WHERE user_id = {id}"
        ),
        format!(
            "INSERT INTO order_history (order_id, from_state, to_state, actor, note) SELECT id, \
             'ArrangingPayment', 'PaymentSettled', 'payment', 'paid' FROM orders \
             WHERE user_id = {id}"
        ),
        // Events: a booking of a date.
        format!("INSERT INTO calendars (slug, name) VALUES ('{name}-cal', '{name} calendar')"),
        format!(
            "INSERT INTO events (slug, title, starts_at, calendar_id) SELECT '{name}-wassail', \
             '{name} wassail', now() + interval '2 days', id FROM calendars \
             WHERE slug = '{name}-cal'"
        ),
        format!(
            "INSERT INTO event_occurrences (event_id, original_start, starts_at, booked) \
             SELECT id, starts_at, starts_at, 1 FROM events WHERE slug = '{name}-wassail'"
        ),
        format!(
            "INSERT INTO event_bookings (occurrence_id, user_id, status) SELECT o.id, {id}, \
             'booked' FROM event_occurrences o JOIN events e ON e.id = o.event_id \
             WHERE e.slug = '{name}-wassail'"
        ),
        // Market: a stall the member owns, with a product.
        format!("INSERT INTO stalls (slug, name) VALUES ('{name}-stall', '{name} preserves')"),
        format!(
            "INSERT INTO stall_owners (stall_id, user_id) SELECT id, {id} FROM stalls \
             WHERE slug = '{name}-stall'"
        ),
        format!(
            "INSERT INTO products (slug, title, price_cents, stall_id) SELECT \
             '{name}-chutney', '{name} chutney', 500, id FROM stalls WHERE slug = '{name}-stall'"
        ),
    ] {
        sql(t, &q).await;
    }
}

/// `RA-` and twelve characters, after the member.
pub(super) fn reference(name: &str) -> String {
    let padded: String = format!("{:0<12}", name.to_uppercase());
    format!("RA-{}", &padded[..12])
}

/// The export as a browser sends its form: same origin, the session's CSRF token.
async fn export(t: &TestFleet, session: &TestSession) -> Page {
    t.post_form(
        AppName::Account,
        "/data/export",
        &[],
        Some(session),
        AppName::Account,
    )
    .await
}

/// The named set of `app`'s section, as an array.
fn set<'a>(doc: &'a Value, app: &str, name: &str) -> &'a Vec<Value> {
    doc["apps"][app][name]
        .as_array()
        .unwrap_or_else(|| panic!("apps.{app}.{name} is not an array: {doc:#}"))
}

#[actix_web::test]
async fn a_members_export_has_their_rows_from_every_app_and_nobody_elses() {
    let t = TestFleet::start().await;
    let config = t.fleet.ctx(AppName::Account).config().clone();
    let ada = member(&t, "ada").await;
    let bertrand = member(&t, "bertrand").await;
    let ada_actor = LocalActor::User("ada".into()).id(&config);
    let bertrand_actor = LocalActor::User("bertrand".into()).id(&config);
    rows_everywhere(&t, "ada", ada, &ada_actor).await;
    rows_everywhere(&t, "bertrand", bertrand, &bertrand_actor).await;

    // The dashboard links to the page; the page posts to the export.
    let s = t.sign_in(AppName::Account, ada).await;
    let dashboard = t.get(AppName::Account, "/", Some(&s)).await;
    assert!(
        dashboard.body.contains(r#"<a href="/data">Your data</a>"#),
        "{}",
        dashboard.body
    );
    let data_page = t.get(AppName::Account, "/data", Some(&s)).await;
    assert_eq!(data_page.status, 200, "{}", data_page.body);
    assert!(data_page.body.contains(r#"action="/data/export""#));
    assert!(
        data_page.body.contains(&s.csrf),
        "the form carries the token"
    );

    let res = export(&t, &s).await;
    assert_eq!(res.status, 200, "{}", res.body);
    let today = chrono::Utc::now().format("%Y-%m-%d");
    assert_eq!(
        res.headers["content-disposition"],
        format!("attachment; filename=\"rose-ash-ada-{today}.json\"").as_str()
    );
    assert!(
        res.headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/json")
    );
    assert_eq!(res.headers["cache-control"], "no-store");
    let doc: Value = serde_json::from_str(&res.body).unwrap();
    assert_eq!(doc["member"]["id"], ada);
    assert_eq!(doc["member"]["actor"], ada_actor.as_str());

    // Every app's rows of ada's.
    let identity = &doc["apps"]["federation"]["identity"];
    assert_eq!(identity["email"], "ada@example.org");
    assert_eq!(identity["username"], "ada");
    assert!(
        identity["second_factor_enabled_at"].is_string(),
        "{identity}"
    );
    assert_eq!(doc["apps"]["federation"]["recovery_codes"]["unused"], 1);
    assert!(
        set(&doc, "federation", "posts")[0]["content"]
            .as_str()
            .unwrap()
            .contains("ada toots about quinces")
    );
    assert_eq!(
        set(&doc, "federation", "following")[0]["actor"],
        "https://remote.example/users/ada-friend"
    );
    assert_eq!(
        set(&doc, "federation", "followers")[0]["actor"],
        "https://remote.example/users/ada-fan"
    );
    assert_eq!(
        set(&doc, "federation", "likes_and_boosts")[0]["kind"],
        "Like"
    );
    assert_eq!(
        set(&doc, "federation", "notifications")[0]["kind"],
        "follow"
    );
    assert_eq!(
        doc["apps"]["federation"]["notification_settings"]["manually_approves_followers"],
        true
    );
    let subscription = &set(&doc, "account", "newsletter_subscriptions")[0];
    assert_eq!(subscription["newsletter"], "ada-weekly");
    assert_eq!(subscription["status"], "confirmed");
    assert_eq!(set(&doc, "blog", "posts")[0]["title"], "ada orchard diary");
    assert_eq!(
        set(&doc, "blog", "comments")[0]["html"],
        "<p>ada replies</p>"
    );
    assert_eq!(set(&doc, "cart", "carts")[0]["items"][0]["item_id"], 4242);
    let order = &set(&doc, "cart", "orders")[0];
    assert_eq!(order["reference"], reference("ada"));
    assert_eq!(order["address"], "1 ada Lane");
    assert_eq!(order["lines"][0]["title"], "ada jelly");
    assert_eq!(order["history"][0]["to_state"], "PaymentSettled");
    let booking = &set(&doc, "events", "bookings")[0];
    assert_eq!(booking["title"], "ada wassail");
    assert_eq!(booking["status"], "booked");
    let stall = &set(&doc, "market", "stalls")[0];
    assert_eq!(stall["name"], "ada preserves");
    assert_eq!(stall["products"][0]["title"], "ada chutney");
    for app in ["federation", "account", "blog", "cart", "events", "market"] {
        assert!(doc["apps"][app].is_object(), "no {app} section: {doc:#}");
    }

    // Nothing of bertrand's (his address, name, actor, titles), and no secrets of ada's.
    for absent in [
        "bertrand",
        "argon2-ada-hash",
        "TOTPADASECRET",
        "rc-ada-hash",
        "access-ada-digest",
        "password_hash",
        "totp_secret",
    ] {
        assert!(!res.body.contains(absent), "{absent} in the export");
    }

    // Bertrand's export is his own.
    let bs = t.sign_in(AppName::Account, bertrand).await;
    let his = export(&t, &bs).await;
    assert_eq!(his.status, 200);
    assert!(his.body.contains("bertrand orchard diary"));
    assert!(!his.body.contains("ada@example.org") && !his.body.contains("ada orchard"));
    t.stop().await;
}

#[actix_web::test]
async fn only_a_signed_in_csrf_checked_post_of_a_live_account_exports() {
    let t = TestFleet::start().await;
    let ada = member(&t, "ada").await;
    let s = t.sign_in(AppName::Account, ada).await;
    let url = t.fleet.at(AppName::Account, "/data/export");
    let origin = t.fleet.url(AppName::Account).origin().ascii_serialization();
    let refused = |p: &Page, status: u16| {
        assert_eq!(p.status.as_u16(), status, "{}", p.body);
        assert!(!p.body.contains("ada@example.org"), "{}", p.body);
        assert!(p.headers.get("content-disposition").is_none());
    };

    // Signed out.
    let signed_out = t
        .post_form(
            AppName::Account,
            "/data/export",
            &[],
            None,
            AppName::Account,
        )
        .await;
    refused(&signed_out, 401);

    // Signed in, but without the session's token (a forged form): the CSRF guard refuses.
    let without_token = page(
        t.client
            .post(&url)
            .header("cookie", &s.cookie)
            .header("origin", &origin)
            .header("sec-fetch-site", "same-origin")
            .form(&[("csrf_token", "forged")])
            .send()
            .await
            .unwrap(),
    )
    .await;
    refused(&without_token, 403);

    // From another site, token or not.
    let cross_site = page(
        t.client
            .post(&url)
            .header("cookie", &s.cookie)
            .header("origin", "https://evil.example")
            .header("sec-fetch-site", "cross-site")
            .form(&[("csrf_token", s.csrf.as_str())])
            .send()
            .await
            .unwrap(),
    )
    .await;
    refused(&cross_site, 403);

    // A GET exports nothing (no link can fetch it).
    let get = t.get(AppName::Account, "/data/export", Some(&s)).await;
    assert_ne!(get.status, 200);
    assert!(!get.body.contains("ada@example.org"));

    // The page itself asks a signed-out visitor to sign in.
    let anon_page = t.get(AppName::Account, "/data", None).await;
    assert_eq!(anon_page.status, 303);

    // A disabled account's session exports nothing.
    sql(
        &t,
        &format!("UPDATE users SET disabled_at = now() WHERE id = {ada}"),
    )
    .await;
    refused(&export(&t, &s).await, 401);

    // Re-enabled, the same session works (so the refusals above were not the session's fault),
    // a few times an hour; the refused tries did not count.
    sql(
        &t,
        &format!("UPDATE users SET disabled_at = NULL WHERE id = {ada}"),
    )
    .await;
    for _ in 0..account::domain::rate_limit::EXPORTS {
        assert_eq!(export(&t, &s).await.status, 200);
    }
    let too_many = export(&t, &s).await;
    refused(&too_many, 429);
    assert!(
        too_many.body.contains("try again later"),
        "{}",
        too_many.body
    );
    t.stop().await;
}
