//! The Ghost admin page as an administrator uses it (issue 18, items 5-7): the connection
//! form's errors shown on the form with its values, Ghost's admin address understood, the
//! first import started at once with its progress, slug clashes settled (or kept) by an
//! administrator only, and the webhook address changed with the webhooks registered again.
//! Against the local Ghost-shaped server of `ghost.rs`.

use std::net::TcpListener;

use actix_web::{App, HttpResponse, HttpServer, web};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use reqwest::Method;
use serde_json::json;
use shared::AppName;
use shared::db::schema::{ghost_posts, ghost_sites, ghost_sync_state, posts};
use shared::testing::TestSession;

use super::ghost::{FakeGhost, KEY, Site, connect, ghost_post, ghost_time};
use crate::support::people::{api, person};
use crate::support::{Page, TestFleet, eventually};

/// The Admin API key the fake accepts (its id and secret).
const ADMIN_KEY: &str =
    "6194d3ce51e2700162531c01:9f3c1b2a4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f8";

/// The body as text: tera escapes `/`, `'` and `"` in what it fills in.
fn plain(mut page: Page) -> Page {
    page.body = page
        .body
        .replace("&#x2F;", "/")
        .replace("&#x27;", "'")
        .replace("&quot;", "\"")
        .replace("&amp;", "&");
    page
}

async fn post(t: &TestFleet, path: &str, fields: &[(&str, &str)], who: &TestSession) -> Page {
    plain(
        t.post_form(AppName::Blog, path, fields, Some(who), AppName::Blog)
            .await,
    )
}

async fn get(t: &TestFleet, path: &str, who: Option<&TestSession>) -> Page {
    plain(t.get(AppName::Blog, path, who).await)
}

async fn sites(t: &TestFleet) -> i64 {
    ghost_sites::table
        .count()
        .get_result(&mut t.db.conn().await)
        .await
        .unwrap()
}

fn location(page: &Page) -> &str {
    page.headers
        .get("location")
        .and_then(|l| l.to_str().ok())
        .unwrap_or("")
}

/// Our (slug, kind) of every post, in id order.
async fn slugs(t: &TestFleet) -> Vec<(String, String)> {
    posts::table
        .order(posts::id)
        .select((posts::slug, posts::kind))
        .load(&mut t.db.conn().await)
        .await
        .unwrap()
}

/// A server that answers every request with a redirect, as a Ghost behind a proxy does when
/// asked at its http:// address.
async fn redirecting() -> (String, actix_web::dev::ServerHandle) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://127.0.0.1:{}", listener.local_addr().unwrap().port());
    let server = HttpServer::new(|| {
        App::new().default_service(web::to(|req: actix_web::HttpRequest| async move {
            HttpResponse::MovedPermanently()
                .insert_header((
                    "location",
                    format!(
                        "https://orchard.example.org{}",
                        req.uri()
                            .path_and_query()
                            .map(|p| p.as_str())
                            .unwrap_or("/")
                    ),
                ))
                .finish()
        }))
    })
    .workers(1)
    .listen(listener)
    .unwrap()
    .run();
    let handle = server.handle();
    tokio::spawn(server);
    (url, handle)
}

#[actix_web::test]
async fn the_connect_form_shows_errors_on_itself_and_understands_ghosts_admin_address() {
    let t = TestFleet::start().await;
    let admin = t
        .sign_in(AppName::Blog, person(&t, "ada", "admin").await)
        .await;
    let ghost = FakeGhost::start(Site::default()).await;
    let wrong_key = "ffffffffffffffffffffffffff";

    // Ghost refuses the Content API key: the form again, with the error and the values.
    let page = post(
        &t,
        "/admin/ghost",
        &[
            ("url", &ghost.url),
            ("content_key", wrong_key),
            ("import", "1"),
        ],
        &admin,
    )
    .await;
    assert_eq!(page.status, 400, "{}", page.body);
    assert!(
        page.body.contains("Unknown Content API Key"),
        "{}",
        page.body
    );
    assert!(
        page.body.contains(&format!(r#"value="{}""#, ghost.url))
            && page.body.contains(&format!(r#"value="{wrong_key}""#)),
        "the values are kept: {}",
        page.body
    );
    assert!(
        page.body
            .contains(r#"id="content_key" name="content_key" required autocomplete="off" value="ffffffffffffffffffffffffff" aria-invalid="true""#),
        "the error is on the key's field: {}",
        page.body
    );
    assert!(
        !page.body.contains("error-page"),
        "not a separate error page"
    );

    // A secret that is not hexadecimal is malformed; Ghost is not even asked. The secret is
    // not shown again, the key's id is (to say which key to paste).
    let before = ghost.site.lock().unwrap().log.len();
    let malformed = "6194d3ce51e2700162531c01:this-is-not-hex";
    let page = post(
        &t,
        "/admin/ghost",
        &[
            ("url", &ghost.url),
            ("content_key", KEY),
            ("admin_key", malformed),
        ],
        &admin,
    )
    .await;
    assert_eq!(page.status, 400, "{}", page.body);
    assert!(
        page.body.contains("the Admin API key is malformed") && page.body.contains("hexadecimal"),
        "{}",
        page.body
    );
    assert!(!page.body.contains("refused"), "{}", page.body);
    assert!(
        !page.body.contains("this-is-not-hex"),
        "the secret is not echoed"
    );
    assert!(page.body.contains("6194d3ce51e2700162531c01:…"));
    assert!(page.body.contains(&format!(r#"value="{KEY}""#)));
    assert_eq!(ghost.site.lock().unwrap().log.len(), before);

    // A site that redirects: explained, the key kept out of the message.
    let (moved, moved_handle) = redirecting().await;
    let page = post(
        &t,
        "/admin/ghost",
        &[("url", &moved), ("content_key", KEY)],
        &admin,
    )
    .await;
    assert_eq!(page.status, 400, "{}", page.body);
    assert!(
        page.body.contains(
            "redirect to https://orchard.example.org/ghost/api/content/posts/: give the address the site is served at"
        ),
        "{}",
        page.body
    );
    assert!(!page.body.contains(&format!("key={KEY}")));
    moved_handle.stop(true).await;
    assert_eq!(sites(&t).await, 0, "nothing kept");

    // Ghost's admin address, as copied from the browser: the site's address is used.
    for pasted in [
        format!("{}/ghost/#/dashboard", ghost.url),
        format!("{}/ghost/", ghost.url),
    ] {
        let page = post(
            &t,
            "/admin/ghost",
            &[("url", &pasted), ("content_key", KEY)],
            &admin,
        )
        .await;
        assert_eq!(page.status, 303, "{pasted}: {}", page.body);
        assert_eq!(location(&page), "/admin/ghost?connected=2");
        let stored: String = ghost_sites::table
            .select(ghost_sites::url)
            .first(&mut t.db.conn().await)
            .await
            .unwrap();
        assert_eq!(stored, format!("{}/", ghost.url), "{pasted}");
    }
    let page = get(&t, "/admin/ghost?connected=2", Some(&admin)).await;
    assert!(
        page.body.contains("That was Ghost's admin address"),
        "{}",
        page.body
    );
    ghost.handle.stop(true).await;
    t.stop().await;
}

#[actix_web::test]
async fn connecting_starts_the_first_import_and_the_page_shows_how_far_it_has_come() {
    let t = TestFleet::start().await;
    let admin = t
        .sign_in(AppName::Blog, person(&t, "ada", "admin").await)
        .await;
    // Three posts (two pages of the fake's two) and two pages: five to read.
    let ghost = FakeGhost::start(Site {
        posts: vec![
            ghost_post(1, "Pear blossom", "<p>White.</p>", 50),
            ghost_post(2, "Frost in April", "<p>Fleece.</p>", 40),
            ghost_post(3, "The first fruit", "<p>Tiny.</p>", 30),
        ],
        pages: vec![
            ghost_post(4, "About the orchard", "<p>Since 1911.</p>", 100),
            ghost_post(5, "Visiting", "<p>Saturdays.</p>", 90),
        ],
        ..Site::default()
    })
    .await;
    // Hold the third post's import (as a slow Ghost would hold its page): its import waits
    // on the per-Ghost-id lock the imports take.
    let mut holder = t.db.conn().await;
    let hold = |f: &'static str| {
        diesel::sql_query(format!(
            "SELECT {f}(hashtextextended('ghost-post:' || '6194d3ce51e2700162531a03', 0))"
        ))
    };
    hold("pg_advisory_lock").execute(&mut holder).await.unwrap();

    let page = post(
        &t,
        "/admin/ghost",
        &[("url", &ghost.url), ("content_key", KEY), ("import", "1")],
        &admin,
    )
    .await;
    assert_eq!(page.status, 303, "{}", page.body);
    assert_eq!(location(&page), "/admin/ghost?connected=1&importing=1");
    eventually(20, "the progress of the first import", || async {
        let page = get(&t, "/admin/ghost", Some(&admin)).await;
        page.body.contains("Importing:")
            && page.body.contains("2 of 5 posts and pages read")
            && page.body.contains(r#"<meta http-equiv="refresh""#)
    })
    .await;
    assert_eq!(slugs(&t).await.len(), 2);
    // "Sync now" meanwhile: the running import is shown, not a second one.
    let page = post(&t, "/admin/ghost/sync", &[], &admin).await;
    assert_eq!(page.status, 303, "{}", page.body);
    assert_eq!(location(&page), "/admin/ghost?running=1");

    hold("pg_advisory_unlock")
        .execute(&mut holder)
        .await
        .unwrap();
    eventually(20, "the first import to finish", || async {
        let page = get(&t, "/admin/ghost", Some(&admin)).await;
        !page.body.contains("Importing:")
            && page
                .body
                .contains("The last sync read 5 of 5 posts and pages")
    })
    .await;
    assert_eq!(slugs(&t).await.len(), 5);
    assert_eq!(get(&t, "/posts/the-first-fruit", None).await.status, 200);
    let page = get(&t, "/admin/ghost", Some(&admin)).await;
    assert!(!page.body.contains("http-equiv=\"refresh\""));
    ghost.handle.stop(true).await;
    t.stop().await;
}

async fn publish_page(t: &TestFleet, who: &TestSession, title: &str, slug: &str, body: &str) {
    let (status, doc) = api(
        t,
        Method::POST,
        "/editor/api/posts",
        Some(&json!({
            "kind": "page", "title": title, "slug": slug, "markdown": body,
            "status": "published",
        })),
        Some(who),
    )
    .await;
    assert_eq!(status, 201, "{doc}");
}

async fn imported_id(t: &TestFleet, ghost_id: &str) -> i64 {
    ghost_posts::table
        .find(ghost_id)
        .select(ghost_posts::post_id)
        .first(&mut t.db.conn().await)
        .await
        .unwrap()
}

#[actix_web::test]
async fn slug_clashes_are_settled_by_an_administrator_and_old_addresses_redirect() {
    let t = TestFleet::start().await;
    let admin = t
        .sign_in(AppName::Blog, person(&t, "ada", "admin").await)
        .await;
    let editor = t
        .sign_in(AppName::Blog, person(&t, "eve", "editor").await)
        .await;
    publish_page(&t, &admin, "About", "about", "Our own story.").await;
    publish_page(&t, &admin, "Contact", "contact", "Write to us.").await;
    // Ghost has an `about` page and a `contact` post.
    let ghost = FakeGhost::start(Site {
        posts: vec![ghost_post(5, "Contact", "<p>Ghost's contact post.</p>", 20)],
        pages: vec![ghost_post(4, "About", "<p>Ghost's about page.</p>", 30)],
        ..Site::default()
    })
    .await;
    assert_eq!(connect(&t, &admin, &ghost.url, KEY).await.status, 303);
    blog::ghost::sync::run(t.fleet.ctx(AppName::Blog), true)
        .await
        .unwrap();
    let about = imported_id(&t, "6194d3ce51e2700162531a04").await;
    let contact = imported_id(&t, "6194d3ce51e2700162531a05").await;
    assert!(
        get(&t, "/about", None)
            .await
            .body
            .contains("Our own story.")
    );
    assert!(
        get(&t, "/about-2", None)
            .await
            .body
            .contains("Ghost's about page.")
    );
    let page = get(&t, "/admin/ghost", Some(&admin)).await;
    assert!(
        page.body.contains("Ghost's <code>about</code> is")
            && page
                .body
                .contains(&format!(r#"action="/admin/ghost/clashes/{about}/take""#))
            && page.body.contains(r#"value="about-3""#)
            && page.body.contains(&format!(
                r#"action="/admin/ghost/clashes/{contact}/dismiss""#
            ))
            && page
                .body
                .contains(r#"“Contact” (page) has <a href="/contact">"#),
        "{}",
        page.body
    );

    // Not an administrator: 403, nothing changes.
    let before = slugs(&t).await;
    for path in [
        format!("/admin/ghost/clashes/{about}/take"),
        format!("/admin/ghost/clashes/{contact}/dismiss"),
    ] {
        let page = post(&t, &path, &[("new_slug", "about-us")], &editor).await;
        assert_eq!(page.status, 403, "{path}");
    }
    // An administrator's session, but a form from elsewhere without the CSRF token: refused.
    let page = t
        .post_form(
            AppName::Blog,
            &format!("/admin/ghost/clashes/{about}/take"),
            &[("new_slug", "about-us")],
            Some(&admin),
            AppName::Account,
        )
        .await;
    assert_eq!(page.status, 403, "{}", page.body);
    assert_eq!(slugs(&t).await, before);
    assert!(
        get(&t, "/admin/ghost", Some(&admin))
            .await
            .body
            .contains(&format!("/admin/ghost/clashes/{contact}/dismiss")),
        "still listed"
    );

    // Bad new addresses: the form again with the error and the value, nothing changed.
    let take = format!("/admin/ghost/clashes/{about}/take");
    for (bad, says) in [
        ("Not Valid", "lower-case letters"),
        ("about", "the address Ghost's post gets"),
        ("contact", "already used"),
        ("", "Give the post here a new address"),
        ("editor", "reserved"),
    ] {
        let page = post(&t, &take, &[("new_slug", bad)], &admin).await;
        assert_eq!(page.status, 400, "{bad}: {}", page.body);
        assert!(page.body.contains(says), "{bad}: {}", page.body);
        assert!(
            page.body
                .contains(&format!(r#"value="{bad}" aria-invalid="true""#)),
            "{bad}: {}",
            page.body
        );
    }
    assert_eq!(slugs(&t).await, before);
    let page = post(
        &t,
        "/admin/ghost/clashes/999999/take",
        &[("new_slug", "x")],
        &admin,
    )
    .await;
    assert_eq!(page.status, 404);

    // Give Ghost's page its address: ours moves to /about-us, Ghost's old one redirects.
    let page = post(&t, &take, &[("new_slug", "about-us")], &admin).await;
    assert_eq!(page.status, 303, "{}", page.body);
    assert_eq!(location(&page), "/admin/ghost?slug=taken");
    let page = get(&t, "/about", None).await;
    assert_eq!(page.status, 200);
    assert!(
        page.body.contains("Ghost's about page."),
        "the cache was purged"
    );
    assert!(
        get(&t, "/about-us", None)
            .await
            .body
            .contains("Our own story.")
    );
    let moved = get(&t, "/about-2", None).await;
    assert_eq!(moved.status, 301);
    assert_eq!(location(&moved), "/about");
    let page = get(&t, "/admin/ghost?slug=taken", Some(&admin)).await;
    assert!(
        !page
            .body
            .contains(&format!("/admin/ghost/clashes/{about}/"))
    );
    assert!(page.body.contains("its old address redirects there"));

    // Keep the contact post as it is: no longer listed, even after Ghost edits it.
    let page = post(
        &t,
        &format!("/admin/ghost/clashes/{contact}/dismiss"),
        &[],
        &admin,
    )
    .await;
    assert_eq!(page.status, 303, "{}", page.body);
    assert_eq!(location(&page), "/admin/ghost?slug=kept");
    {
        let mut site = ghost.site.lock().unwrap();
        site.posts[0]["title"] = json!("Contact us");
        site.posts[0]["updated_at"] = json!(ghost_time(0));
    }
    let report = blog::ghost::sync::run(t.fleet.ctx(AppName::Blog), true)
        .await
        .unwrap();
    assert_eq!(report.updated, 1, "{report:?}");
    let page = get(&t, "/admin/ghost", Some(&admin)).await;
    assert!(!page.body.contains("slug-clashes"), "{}", page.body);
    // The settled page keeps its address through syncs.
    let after: Vec<(String, String)> = slugs(&t).await;
    assert!(after.contains(&("about".to_owned(), "page".to_owned())));
    assert!(after.contains(&("about-us".to_owned(), "page".to_owned())));
    assert!(after.contains(&("contact-2".to_owned(), "post".to_owned())));
    let page = post(
        &t,
        &format!("/admin/ghost/clashes/{contact}/dismiss"),
        &[],
        &admin,
    )
    .await;
    assert_eq!(page.status, 404, "nothing left to dismiss");

    // The editor says where an import comes from, and what happens to edits here.
    let page = get(&t, &format!("/editor/posts/{about}"), Some(&admin)).await;
    assert!(
        page.body.contains("This page is synced from Ghost")
            && page.body.contains("overwritten by the next sync"),
        "{}",
        page.body
    );
    let ours: i64 = posts::table
        .filter(posts::slug.eq("about-us"))
        .select(posts::id)
        .first(&mut t.db.conn().await)
        .await
        .unwrap();
    let page = get(&t, &format!("/editor/posts/{ours}"), Some(&admin)).await;
    assert_eq!(page.status, 200);
    assert!(!page.body.contains("synced from Ghost"));
    assert!(
        get(&t, "/editor", Some(&admin))
            .await
            .body
            .contains("(from Ghost)")
    );
    ghost.handle.stop(true).await;
    t.stop().await;
}

/// The webhook targets registered on the fake.
fn targets(ghost: &FakeGhost) -> Vec<String> {
    ghost
        .site
        .lock()
        .unwrap()
        .webhooks
        .iter()
        .map(|h| h["target_url"].as_str().unwrap().to_owned())
        .collect()
}

#[actix_web::test]
async fn changing_the_webhook_address_registers_the_webhooks_again() {
    let t = TestFleet::start().await;
    let admin = t
        .sign_in(AppName::Blog, person(&t, "ada", "admin").await)
        .await;
    let editor = t
        .sign_in(AppName::Blog, person(&t, "eve", "editor").await)
        .await;
    let ghost = FakeGhost::start(Site::default()).await;
    let page = post(
        &t,
        "/admin/ghost",
        &[
            ("url", &ghost.url),
            ("content_key", KEY),
            ("admin_key", ADMIN_KEY),
        ],
        &admin,
    )
    .await;
    assert_eq!(page.status, 303, "{}", page.body);
    let ours = t.fleet.at(AppName::Blog, "/webhooks/ghost").to_string();
    assert_eq!(targets(&ghost), vec![ours.clone(); 20]);
    let page = get(&t, "/admin/ghost", Some(&admin)).await;
    assert!(page.body.contains("safety net") && page.body.contains(&ours));

    // Not an administrator, or not an address: refused, nothing changes.
    let elsewhere = "http://192.0.2.10:8080/webhooks/ghost";
    let page = post(
        &t,
        "/admin/ghost/webhook",
        &[("webhook_url", elsewhere)],
        &editor,
    )
    .await;
    assert_eq!(page.status, 403);
    for bad in ["not an address", "ftp://192.0.2.10/webhooks/ghost"] {
        let page = post(&t, "/admin/ghost/webhook", &[("webhook_url", bad)], &admin).await;
        assert_eq!(page.status, 400, "{bad}");
        assert!(
            page.body
                .contains(&format!(r#"value="{bad}" aria-invalid="true""#)),
            "{bad}: {}",
            page.body
        );
    }
    assert_eq!(targets(&ghost), vec![ours.clone(); 20]);
    let stored: Option<Option<String>> = ghost_sync_state::table
        .select(ghost_sync_state::webhook_url)
        .first(&mut t.db.conn().await)
        .await
        .optional()
        .unwrap();
    assert_eq!(stored.flatten(), None);

    // Another address: the webhooks are registered there instead.
    let page = post(
        &t,
        "/admin/ghost/webhook",
        &[("webhook_url", elsewhere)],
        &admin,
    )
    .await;
    assert_eq!(page.status, 303, "{}", page.body);
    assert_eq!(location(&page), "/admin/ghost?webhooks=1");
    assert_eq!(targets(&ghost), vec![elsewhere.to_owned(); 20]);
    let ids: Vec<String> = ghost_sites::table
        .select(ghost_sites::webhook_ids)
        .first(&mut t.db.conn().await)
        .await
        .unwrap();
    assert_eq!(ids.len(), 20);
    let page = get(&t, "/admin/ghost?webhooks=1", Some(&admin)).await;
    assert!(
        page.body.contains("registered at it again")
            && page
                .body
                .contains(&format!("calling <code>{elsewhere}</code>"))
            && page.body.contains(&format!(r#"value="{elsewhere}""#)),
        "{}",
        page.body
    );

    // Empty: back to the blog's own address.
    let page = post(&t, "/admin/ghost/webhook", &[("webhook_url", "")], &admin).await;
    assert_eq!(page.status, 303, "{}", page.body);
    assert_eq!(targets(&ghost), vec![ours.clone(); 20]);

    // Without an Admin API key the address is kept and shown for adding by hand.
    let page = post(
        &t,
        "/admin/ghost",
        &[("url", &ghost.url), ("content_key", KEY)],
        &admin,
    )
    .await;
    assert_eq!(page.status, 303, "{}", page.body);
    assert!(
        targets(&ghost).is_empty(),
        "the old connection's webhooks are removed"
    );
    let page = post(
        &t,
        "/admin/ghost/webhook",
        &[("webhook_url", elsewhere)],
        &admin,
    )
    .await;
    assert_eq!(page.status, 303, "{}", page.body);
    assert!(targets(&ghost).is_empty());
    let page = get(&t, "/admin/ghost", Some(&admin)).await;
    assert!(
        page.body
            .contains(&format!("with target URL <code>{elsewhere}</code>")),
        "{}",
        page.body
    );
    ghost.handle.stop(true).await;
    t.stop().await;
}
