//! The blog as its writers and readers use it: the editor's API with permissions, optimistic
//! locking and sanitizing; public pages, feeds and the page cache; old slugs; scheduled
//! publishing; image uploads; menus; and each change federated through the outbox.

use std::time::Duration;

use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use shared::AppName;
use shared::db::schema::{ap_activities, posts};
use shared::testing::TestSession;

use crate::support::TestFleet;
use crate::support::eventually;
use crate::support::people::{api, person};

async fn outbound(t: &TestFleet, kind: &str) -> Vec<Value> {
    ap_activities::table
        .filter(ap_activities::direction.eq("outbound"))
        .filter(ap_activities::kind.eq(kind))
        .order(ap_activities::id)
        .select(ap_activities::payload)
        .load::<Value>(&mut t.db.conn().await)
        .await
        .unwrap()
}

async fn post_count(t: &TestFleet) -> i64 {
    posts::table
        .count()
        .get_result(&mut t.db.conn().await)
        .await
        .unwrap()
}

fn draft(title: &str, markdown: &str) -> Value {
    json!({ "title": title, "markdown": markdown, "tags": ["Orchard", "Perry pears"], "excerpt": "" })
}

#[actix_web::test]
async fn authors_write_and_publish_and_the_public_pages_and_fediverse_follow() {
    let t = TestFleet::start().await;
    let author = t
        .sign_in(AppName::Blog, person(&t, "ann", "author").await)
        .await;

    // A draft, written in Markdown with something nasty in it.
    let (status, doc) = api(
        &t,
        Method::POST,
        "/editor/api/posts",
        Some(&draft(
            "Pressing perry",
            "# Pears\n\nThe *mill* turns.<script>alert(1)</script>\n\n[click](javascript:alert(1))",
        )),
        Some(&author),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{doc}");
    assert_eq!(doc["slug"], "pressing-perry");
    assert_eq!(doc["status"], "draft");
    let html = doc["html"].as_str().unwrap();
    assert!(
        html.contains("<em>mill</em>")
            && !html.contains("<script")
            && !html.contains("javascript:"),
        "{html}"
    );
    let id = doc["id"].as_i64().unwrap();

    // Drafts are not public, but their author can preview them.
    assert_eq!(
        t.get(AppName::Blog, "/posts/pressing-perry", None)
            .await
            .status,
        404
    );
    let preview = t
        .get(
            AppName::Blog,
            &format!("/editor/posts/{id}/preview"),
            Some(&author),
        )
        .await;
    assert_eq!(preview.status, 200);
    assert!(preview.body.contains("Pressing perry") && preview.body.contains("noindex"));
    assert!(
        outbound(&t, "Create").await.is_empty(),
        "drafts do not federate"
    );

    // Publish.
    let mut body = draft("Pressing perry", "# Pears\n\nThe *mill* turns.");
    body["status"] = json!("published");
    body["excerpt"] = json!("How we press perry pears.");
    body["updated_at"] = doc["updated_at"].clone();
    let (status, doc) = api(
        &t,
        Method::PUT,
        &format!("/editor/api/posts/{id}"),
        Some(&body),
        Some(&author),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{doc}");
    assert_eq!(doc["status"], "published");

    let page = t.get(AppName::Blog, "/posts/pressing-perry", None).await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("<em>mill</em>"));
    assert!(
        page.body
            .contains(r#"<meta name="description" content="How we press perry pears.">"#)
    );
    assert!(page.body.contains("/tag/perry-pears") && page.body.contains("/author/ann"));
    for (path, needle) in [
        ("/", "Pressing perry"),
        ("/tag/orchard", "Pressing perry"),
        ("/author/ann", "Pressing perry"),
        ("/rss.xml", "<title>Pressing perry</title>"),
        ("/atom.xml", "<title>Pressing perry</title>"),
        ("/sitemap.xml", "/posts/pressing-perry</loc>"),
    ] {
        let page = t.get(AppName::Blog, path, None).await;
        assert_eq!(page.status, 200, "{path}");
        assert!(page.body.contains(needle), "{path}: {}", page.body);
    }
    let rss = t.get(AppName::Blog, "/rss.xml", None).await;
    assert!(
        rss.headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/rss+xml")
    );
    assert!(
        rss.body.contains("&lt;em&gt;mill&lt;/em&gt;"),
        "content is escaped once in the feed"
    );

    // Published: one Create of an Article, with a plain-text summary, from the blog actor.
    let creates = outbound(&t, "Create").await;
    assert_eq!(creates.len(), 1);
    let article = &creates[0]["object"];
    assert_eq!(article["type"], "Article");
    assert_eq!(article["name"], "Pressing perry");
    assert_eq!(article["summary"], "How we press perry pears.");
    assert!(creates[0]["actor"].as_str().unwrap().ends_with("/actor"));
    assert_eq!(article["tag"][1]["name"], "#Perrypears");
    let object_id = article["id"].as_str().unwrap().to_owned();
    // Looking the page up as ActivityPub (Mastodon's search) leads to the object.
    let lookup = t
        .client
        .get(t.fleet.at(AppName::Blog, "/posts/pressing-perry"))
        .header("accept", "application/activity+json")
        .send()
        .await
        .unwrap();
    assert_eq!(lookup.status(), 303);
    assert_eq!(lookup.headers()["location"], object_id.as_str());
    let fetched = t
        .client
        .get(&object_id)
        .header("accept", "application/activity+json")
        .send()
        .await
        .unwrap();
    assert_eq!(fetched.status(), 200);
    let fetched: Value = fetched.json().await.unwrap();
    assert_eq!(fetched["id"], object_id);

    // A new slug: the old address redirects, and the edit federates as an Update.
    let mut body = draft(
        "Pressing perry, properly",
        "# Pears\n\nThe mill turns slowly.",
    );
    body["slug"] = json!("perry-pressing");
    body["status"] = json!("published");
    body["updated_at"] = doc["updated_at"].clone();
    let stale = doc["updated_at"].clone();
    let (status, doc) = api(
        &t,
        Method::PUT,
        &format!("/editor/api/posts/{id}"),
        Some(&body),
        Some(&author),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{doc}");
    let old = t.get(AppName::Blog, "/posts/pressing-perry", None).await;
    assert_eq!(old.status, 301);
    assert_eq!(old.headers["location"], "/posts/perry-pressing");
    let updates = outbound(&t, "Update").await;
    assert_eq!(updates.len(), 1);
    assert_eq!(updates[0]["object"]["id"], object_id.as_str());
    assert!(updates[0]["object"]["updated"].is_string());

    // A save from a stale tab is refused with the current version, and changes nothing.
    body["title"] = json!("From the other tab");
    body["updated_at"] = stale;
    let (status, conflict) = api(
        &t,
        Method::PUT,
        &format!("/editor/api/posts/{id}"),
        Some(&body),
        Some(&author),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(conflict["current"]["title"], "Pressing perry, properly");
    assert_eq!(conflict["current"]["updated_at"], doc["updated_at"]);
    assert_eq!(outbound(&t, "Update").await.len(), 1);

    // Delete: the page goes, the object answers 410, and a Delete with a Tombstone goes out.
    let (status, _) = api(
        &t,
        Method::DELETE,
        &format!("/editor/api/posts/{id}"),
        None,
        Some(&author),
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(
        t.get(AppName::Blog, "/posts/perry-pressing", None)
            .await
            .status,
        404
    );
    let deletes = outbound(&t, "Delete").await;
    assert_eq!(deletes.len(), 1);
    assert_eq!(deletes[0]["object"]["type"], "Tombstone");
    assert_eq!(deletes[0]["object"]["id"], object_id.as_str());
    let gone = t
        .client
        .get(&object_id)
        .header("accept", "application/activity+json")
        .send()
        .await
        .unwrap();
    assert_eq!(gone.status(), 410);
    t.stop().await;
}

#[actix_web::test]
async fn forbidden_and_bad_writes_change_nothing() {
    let t = TestFleet::start().await;
    let ann = t
        .sign_in(AppName::Blog, person(&t, "ann", "author").await)
        .await;
    let bob = t
        .sign_in(AppName::Blog, person(&t, "bob", "author").await)
        .await;
    let member = t
        .sign_in(AppName::Blog, person(&t, "mel", "member").await)
        .await;
    let editor = t
        .sign_in(AppName::Blog, person(&t, "eve", "editor").await)
        .await;

    let (status, doc) = api(
        &t,
        Method::POST,
        "/editor/api/posts",
        Some(&draft("Ann's", "x")),
        Some(&ann),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    let id = doc["id"].as_i64().unwrap();
    let before = post_count(&t).await;
    let save = |title: &str| {
        let mut b = draft(title, "y");
        b["updated_at"] = doc["updated_at"].clone();
        b
    };

    // A member may not write; nobody may write anonymously; an author may not touch another's post
    // nor write pages.
    let (s, _) = api(
        &t,
        Method::POST,
        "/editor/api/posts",
        Some(&draft("Mine", "x")),
        Some(&member),
    )
    .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _) = api(
        &t,
        Method::POST,
        "/editor/api/posts",
        Some(&draft("Mine", "x")),
        None,
    )
    .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    let (s, _) = api(
        &t,
        Method::PUT,
        &format!("/editor/api/posts/{id}"),
        Some(&save("Bob's now")),
        Some(&bob),
    )
    .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _) = api(
        &t,
        Method::DELETE,
        &format!("/editor/api/posts/{id}"),
        None,
        Some(&bob),
    )
    .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let mut page = draft("About", "x");
    page["kind"] = json!("page");
    let (s, _) = api(
        &t,
        Method::POST,
        "/editor/api/posts",
        Some(&page),
        Some(&ann),
    )
    .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    assert_eq!(
        t.get(AppName::Blog, "/editor", Some(&member)).await.status,
        403
    );

    // Bad input: 400 with a reason.
    for (field, value) in [
        ("slug", json!("Not A Slug")),
        ("slug", json!("editor")),
        ("title", json!("")),
        ("title", json!("x".repeat(301))),
        ("status", json!("live")),
        ("feature_image", json!("javascript:alert(1)")),
        ("unknown_field", json!(1)),
    ] {
        let mut b = save("Fine title");
        b[field] = value;
        let (s, body) = api(
            &t,
            Method::PUT,
            &format!("/editor/api/posts/{id}"),
            Some(&b),
            Some(&ann),
        )
        .await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{field}: {body}");
    }
    let mut b = save("Fine");
    b["status"] = json!("scheduled");
    b["published_at"] = json!("2020-01-01T00:00:00Z");
    let (s, _) = api(
        &t,
        Method::PUT,
        &format!("/editor/api/posts/{id}"),
        Some(&b),
        Some(&ann),
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "scheduling in the past");
    let mut b = save("No version");
    b.as_object_mut().unwrap().remove("updated_at");
    let (s, _) = api(
        &t,
        Method::PUT,
        &format!("/editor/api/posts/{id}"),
        Some(&b),
        Some(&ann),
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    // A slug another post holds.
    let (_, other) = api(
        &t,
        Method::POST,
        "/editor/api/posts",
        Some(&draft("Taken", "x")),
        Some(&editor),
    )
    .await;
    let mut b = save("Fine");
    b["slug"] = other["slug"].clone();
    let (s, _) = api(
        &t,
        Method::PUT,
        &format!("/editor/api/posts/{id}"),
        Some(&b),
        Some(&ann),
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);

    let (_, now) = api(
        &t,
        Method::PUT,
        &format!("/editor/api/posts/{id}"),
        Some(&save("Ann's")),
        Some(&ann),
    )
    .await;
    assert_eq!(now["title"], "Ann's");
    assert_eq!(now["slug"], "anns", "nothing above changed the post");
    assert_eq!(
        post_count(&t).await,
        before + 1,
        "only the editor's post was added"
    );

    // An editor may edit anyone's post, and write pages.
    let mut b = draft("Edited by Eve", "z");
    b["updated_at"] = now["updated_at"].clone();
    let (s, _) = api(
        &t,
        Method::PUT,
        &format!("/editor/api/posts/{id}"),
        Some(&b),
        Some(&editor),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    let mut page = draft("About us", "We are a cooperative.");
    page["kind"] = json!("page");
    page["status"] = json!("published");
    let (s, about) = api(
        &t,
        Method::POST,
        "/editor/api/posts",
        Some(&page),
        Some(&editor),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{about}");
    let about_page = t.get(AppName::Blog, "/about-us", None).await;
    assert_eq!(about_page.status, 200);
    assert!(about_page.body.contains("We are a cooperative."));
    assert!(
        outbound(&t, "Create").await.is_empty(),
        "pages do not federate"
    );
    t.stop().await;
}

#[actix_web::test]
async fn anonymous_views_come_from_the_page_cache_until_a_change_purges_it() {
    let t = TestFleet::start().await;
    let ann = t
        .sign_in(AppName::Blog, person(&t, "ann", "author").await)
        .await;
    let mut body = draft("Cached pears", "First words.");
    body["status"] = json!("published");
    let (_, doc) = api(
        &t,
        Method::POST,
        "/editor/api/posts",
        Some(&body),
        Some(&ann),
    )
    .await;

    let first = t.get(AppName::Blog, "/posts/cached-pears", None).await;
    assert_eq!(first.headers["x-cache"], "MISS");
    let second = t.get(AppName::Blog, "/posts/cached-pears", None).await;
    assert_eq!(second.headers["x-cache"], "HIT");
    assert_eq!(first.body, second.body);
    assert_eq!(
        t.get(AppName::Blog, "/", None).await.headers["x-cache"],
        "MISS"
    );
    assert_eq!(
        t.get(AppName::Blog, "/", None).await.headers["x-cache"],
        "HIT"
    );
    // Made-up query strings are rendered, not cached (they could flood the cache).
    let odd = t
        .get(AppName::Blog, "/posts/cached-pears?utm=1", None)
        .await;
    assert_eq!(odd.status, 200);
    assert!(!odd.headers.contains_key("x-cache"));
    assert_eq!(
        t.get(AppName::Blog, "/?page=1", None).await.headers["x-cache"],
        "MISS"
    );
    // Signed-in views are never served from it.
    assert!(
        !t.get(AppName::Blog, "/posts/cached-pears", Some(&ann))
            .await
            .headers
            .contains_key("x-cache")
    );

    let mut edit = draft("Cached pears", "Second words.");
    edit["status"] = json!("published");
    edit["updated_at"] = doc["updated_at"].clone();
    let (s, _) = api(
        &t,
        Method::PUT,
        &format!("/editor/api/posts/{}", doc["id"]),
        Some(&edit),
        Some(&ann),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    let after = t.get(AppName::Blog, "/posts/cached-pears", None).await;
    assert_eq!(after.headers["x-cache"], "MISS");
    assert!(after.body.contains("Second words.") && !after.body.contains("First words."));
    assert_eq!(
        t.get(AppName::Blog, "/posts/cached-pears", None)
            .await
            .headers["x-cache"],
        "HIT"
    );

    // Another replica purges (bumps the generation and publishes it): this process hears it.
    let redis = t.fleet.ctx(AppName::Blog).redis().clone();
    let mut conn = redis.conn();
    let generation: u64 = redis::cmd("INCR")
        .arg(redis.key("fgen:blog:posts"))
        .query_async(&mut conn)
        .await
        .unwrap();
    // Until the news arrives, repeat views cost no Redis round trip: served from memory.
    assert_eq!(
        t.get(AppName::Blog, "/posts/cached-pears", None)
            .await
            .headers["x-cache"],
        "HIT"
    );
    let _: i64 = redis::cmd("PUBLISH")
        .arg(shared::infrastructure::fragments::generation_channel(
            &redis,
            AppName::Blog,
            "posts",
        ))
        .arg(generation)
        .query_async(&mut conn)
        .await
        .unwrap();
    eventually(5, "the other replica's purge is heard", || async {
        t.get(AppName::Blog, "/posts/cached-pears", None)
            .await
            .headers["x-cache"]
            == "MISS"
    })
    .await;
    t.stop().await;
}

#[actix_web::test]
async fn scheduled_posts_publish_on_time_by_themselves() {
    let t = TestFleet::start().await;
    let ann = t
        .sign_in(AppName::Blog, person(&t, "ann", "author").await)
        .await;
    let mut body = draft("Wassail night", "Bring a cup.");
    body["status"] = json!("scheduled");
    body["published_at"] = json!((chrono::Utc::now() + chrono::Duration::seconds(3)).to_rfc3339());
    let (s, doc) = api(
        &t,
        Method::POST,
        "/editor/api/posts",
        Some(&body),
        Some(&ann),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{doc}");
    assert_eq!(doc["status"], "scheduled");
    assert_eq!(
        t.get(AppName::Blog, "/posts/wassail-night", None)
            .await
            .status,
        404
    );
    assert!(outbound(&t, "Create").await.is_empty());

    eventually(15, "the scheduled post is published", || async {
        t.get(AppName::Blog, "/posts/wassail-night", None)
            .await
            .status
            == 200
    })
    .await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(outbound(&t, "Create").await.len(), 1, "published once");
    t.stop().await;
}

fn png() -> Vec<u8> {
    let mut bytes = b"\x89PNG\r\n\x1a\n".to_vec();
    bytes.extend_from_slice(&[0u8; 64]);
    bytes
}

async fn upload(
    t: &TestFleet,
    session: &TestSession,
    bytes: Vec<u8>,
    content_type: &str,
) -> (StatusCode, Value) {
    let origin = t.fleet.url(AppName::Blog).origin().ascii_serialization();
    let res = t
        .client
        .post(t.fleet.at(AppName::Blog, "/editor/api/images"))
        .header("origin", origin)
        .header("sec-fetch-site", "same-origin")
        .header("accept", "application/json")
        .header("cookie", &session.cookie)
        .header("x-csrf-token", &session.csrf)
        .header("content-type", content_type)
        .body(bytes)
        .send()
        .await
        .unwrap();
    let status = res.status();
    (status, res.json().await.unwrap_or(Value::Null))
}

#[actix_web::test]
async fn images_are_uploaded_checked_and_served() {
    let t = TestFleet::start().await;
    let ann = t
        .sign_in(AppName::Blog, person(&t, "ann", "author").await)
        .await;
    let member = t
        .sign_in(AppName::Blog, person(&t, "mel", "member").await)
        .await;

    let (s, body) = upload(&t, &ann, png(), "image/png").await;
    assert_eq!(s, StatusCode::CREATED, "{body}");
    let url = body["url"].as_str().unwrap();
    assert!(url.starts_with("/content/images/") && url.ends_with(".png"));
    let served = t
        .client
        .get(t.fleet.at(AppName::Blog, url))
        .send()
        .await
        .unwrap();
    assert_eq!(served.status(), 200);
    assert_eq!(served.headers()["content-type"], "image/png");
    assert_eq!(served.bytes().await.unwrap().to_vec(), png());

    // An SVG (script-capable) claiming to be a PNG, a PDF, an empty body, too large, a member.
    let (s, _) = upload(
        &t,
        &ann,
        b"<svg onload=alert(1)></svg>".to_vec(),
        "image/png",
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    let (s, _) = upload(&t, &ann, b"%PDF-1.4".to_vec(), "application/pdf").await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    let (s, _) = upload(&t, &ann, Vec::new(), "image/png").await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    let mut huge = png();
    huge.resize(6 * 1024 * 1024, 0);
    let (s, _) = upload(&t, &ann, huge, "image/png").await;
    assert_eq!(s, StatusCode::PAYLOAD_TOO_LARGE);
    let (s, _) = upload(&t, &member, png(), "image/png").await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let files = walk(&t.fleet.ctx(AppName::Blog).config().media_dir);
    assert_eq!(files.len(), 1, "{files:?}");

    for bad in [
        "/content/images/../../etc/passwd",
        "/content/images/2026/11/zz.png",
        "/content/images/x.svg",
    ] {
        assert_eq!(t.get(AppName::Blog, bad, None).await.status, 404, "{bad}");
    }
    t.stop().await;
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                out.extend(walk(&p));
            } else {
                out.push(p);
            }
        }
    }
    out
}

#[actix_web::test]
async fn admins_edit_menus_and_every_app_header_follows() {
    let t = TestFleet::start().await;
    let admin = t
        .sign_in(AppName::Blog, person(&t, "ada", "admin").await)
        .await;
    let editor = t
        .sign_in(AppName::Blog, person(&t, "eve", "editor").await)
        .await;
    // Every app's header shows the menu (and caches it).
    let market = t.get(AppName::Market, "/", None).await;
    assert!(!market.body.contains("Cider calendar"));

    let form = [
        ("primary_label", "Cider calendar"),
        ("primary_url", "/tag/cider"),
        ("secondary_label", "Mastodon"),
        ("secondary_url", "https://social.example/@rose"),
    ];
    let page = t
        .post_form(
            AppName::Blog,
            "/admin/navigation",
            &form,
            Some(&editor),
            AppName::Blog,
        )
        .await;
    assert_eq!(page.status, 403);
    let bad = [
        ("primary_label", "Evil"),
        ("primary_url", "javascript:alert(1)"),
    ];
    let page = t
        .post_form(
            AppName::Blog,
            "/admin/navigation",
            &bad,
            Some(&admin),
            AppName::Blog,
        )
        .await;
    assert_eq!(page.status, 400);
    let page = t
        .post_form(
            AppName::Blog,
            "/admin/navigation",
            &form,
            Some(&admin),
            AppName::Blog,
        )
        .await;
    assert_eq!(page.status, 303, "{}", page.body);

    // The market's home is served from its page cache: the menus' change outdates it (the
    // generation reaches the market's process by pub/sub, so allow it a moment).
    let blog_url = t.fleet.at(AppName::Blog, "/tag/cider");
    let link = format!(r#"<a href="{blog_url}">Cider calendar</a>"#);
    let mut market = t.get(AppName::Market, "/", None).await;
    for _ in 0..20 {
        if market.body.contains(&link) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        market = t.get(AppName::Market, "/", None).await;
    }
    assert!(market.body.contains(&link), "{}", market.body);
    assert!(market.body.contains("https://social.example/@rose"));
    t.stop().await;
}

#[actix_web::test]
async fn a_site_may_federate_its_posts_as_notes() {
    let t = TestFleet::start().await;
    let admin = t
        .sign_in(AppName::Blog, person(&t, "ada", "admin").await)
        .await;
    let form = [
        ("title", "Rose Ash"),
        ("description", "News"),
        ("federate_as", "Note"),
    ];
    let page = t
        .post_form(
            AppName::Blog,
            "/admin/settings",
            &form,
            Some(&admin),
            AppName::Blog,
        )
        .await;
    assert_eq!(page.status, 303, "{}", page.body);
    let mut body = draft(
        "Short & sweet",
        "Body text that Mastodon will not show in full.",
    );
    body["status"] = json!("published");
    let (s, _) = api(
        &t,
        Method::POST,
        "/editor/api/posts",
        Some(&body),
        Some(&admin),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED);
    let creates = outbound(&t, "Create").await;
    let note = &creates[0]["object"];
    assert_eq!(note["type"], "Note");
    let content = note["content"].as_str().unwrap();
    assert!(
        content.contains("<strong>Short &amp; sweet</strong>")
            && content.contains("/posts/short-sweet"),
        "{content}"
    );
    t.stop().await;
}

#[actix_web::test]
async fn replies_from_the_fediverse_become_comments_once_an_editor_approves_them() {
    use crate::support::peer::{Peer, post_signed};

    let t = TestFleet::start().await;
    let editor = t
        .sign_in(AppName::Blog, person(&t, "eve", "editor").await)
        .await;
    let author = t
        .sign_in(AppName::Blog, person(&t, "ann", "author").await)
        .await;
    let mut body = draft("Open orchard day", "Come and see.");
    body["status"] = json!("published");
    let (_, doc) = api(
        &t,
        Method::POST,
        "/editor/api/posts",
        Some(&body),
        Some(&editor),
    )
    .await;
    let object_id = outbound(&t, "Create").await[0]["object"]["id"]
        .as_str()
        .unwrap()
        .to_owned();

    let (peer, actors) = Peer::start(&["remy"]).await;
    let remy = &actors[0];
    let note_id = format!("{}/notes/1", peer.base);
    let create = json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": format!("{}/activities/1", peer.base),
        "type": "Create",
        "actor": remy.id,
        "object": {
            "id": note_id, "type": "Note", "attributedTo": remy.id, "inReplyTo": object_id,
            "content": "<p>Lovely pears!<script>alert(1)</script></p>",
            "published": chrono::Utc::now().to_rfc3339(),
            "to": ["https://www.w3.org/ns/activitystreams#Public"],
        },
    });
    let inbox = t.fleet.at(AppName::Blog, "/inbox");
    let status = post_signed(
        &t.client,
        &inbox,
        create.to_string().as_bytes(),
        &remy.key,
        &remy.key_id(),
        |_| {},
    )
    .await;
    assert_eq!(status, 202);

    eventually(15, "the reply waits for moderation", || async {
        t.get(AppName::Blog, "/admin/comments", Some(&editor))
            .await
            .body
            .contains("Lovely pears!")
    })
    .await;
    let moderation = t.get(AppName::Blog, "/admin/comments", Some(&editor)).await;
    assert!(
        !moderation.body.contains("<script>alert"),
        "sanitized by federation"
    );
    assert!(moderation.body.contains("remy"));
    let path = format!("/posts/{}", doc["slug"].as_str().unwrap());
    assert!(
        !t.get(AppName::Blog, &path, None)
            .await
            .body
            .contains("Lovely pears!"),
        "not before approval"
    );
    assert_eq!(
        t.get(AppName::Blog, "/admin/comments", Some(&author))
            .await
            .status,
        403
    );

    let comment_id: i64 = shared::db::schema::post_comments::table
        .select(shared::db::schema::post_comments::id)
        .first(&mut t.db.conn().await)
        .await
        .unwrap();
    let form = [("status", "approved")];
    let page = t
        .post_form(
            AppName::Blog,
            &format!("/admin/comments/{comment_id}"),
            &form,
            Some(&author),
            AppName::Blog,
        )
        .await;
    assert_eq!(page.status, 403);
    let page = t
        .post_form(
            AppName::Blog,
            &format!("/admin/comments/{comment_id}"),
            &form,
            Some(&editor),
            AppName::Blog,
        )
        .await;
    assert_eq!(page.status, 303);
    let shown = t.get(AppName::Blog, &path, None).await;
    assert!(
        shown.body.contains("Lovely pears!") && shown.body.contains("remy"),
        "{}",
        shown.body
    );

    // Its author deletes it: it goes from under the post.
    let delete = json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": format!("{}/activities/2", peer.base),
        "type": "Delete", "actor": remy.id,
        "object": { "id": note_id, "type": "Tombstone" },
    });
    let status = post_signed(
        &t.client,
        &inbox,
        delete.to_string().as_bytes(),
        &remy.key,
        &remy.key_id(),
        |_| {},
    )
    .await;
    assert_eq!(status, 202);
    eventually(15, "the deleted reply leaves the post", || async {
        !t.get(AppName::Blog, &path, None)
            .await
            .body
            .contains("Lovely pears!")
    })
    .await;
    peer.stop().await;
    t.stop().await;
}

#[actix_web::test]
async fn posts_embed_events_from_the_events_app() {
    let t = TestFleet::start().await;
    crate::support::fixtures::world(&mut t.db.conn().await).await;
    let ann = t
        .sign_in(AppName::Blog, person(&t, "ann", "author").await)
        .await;
    let mut body = draft(
        "Come wassailing",
        "Bring a cup.\n\n[event:wassail]\n\nAnd later:\n\n[events:upcoming]\n\n[event:no-such-event]",
    );
    body["status"] = json!("published");
    let (s, _) = api(
        &t,
        Method::POST,
        "/editor/api/posts",
        Some(&body),
        Some(&ann),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED);
    let page = t.get(AppName::Blog, "/posts/come-wassailing", None).await;
    assert_eq!(page.status, 200);
    assert!(
        !page.body.contains("[event:"),
        "every marker became a widget: {}",
        page.body
    );
    assert_eq!(
        page.body
            .matches(crate::support::fixtures::EVENT_TITLE)
            .count(),
        2,
        "the card and the list"
    );
    assert!(page.body.contains("This event is no longer listed."));
    assert!(page.body.contains("/events/wassail"));
    t.stop().await;
}

#[actix_web::test]
async fn a_post_published_again_after_unpublishing_federates_under_a_new_id() {
    let t = TestFleet::start().await;
    let ann = t
        .sign_in(AppName::Blog, person(&t, "ann", "author").await)
        .await;
    let mut body = draft("Twice told", "Once.");
    body["status"] = json!("published");
    let (_, doc) = api(
        &t,
        Method::POST,
        "/editor/api/posts",
        Some(&body),
        Some(&ann),
    )
    .await;
    let path = format!("/editor/api/posts/{}", doc["id"]);
    let first = outbound(&t, "Create").await[0]["object"]["id"]
        .as_str()
        .unwrap()
        .to_owned();

    body["status"] = json!("draft");
    body["updated_at"] = doc["updated_at"].clone();
    let (_, doc) = api(&t, Method::PUT, &path, Some(&body), Some(&ann)).await;
    assert_eq!(
        outbound(&t, "Delete").await[0]["object"]["id"],
        first.as_str()
    );

    body["status"] = json!("published");
    body["updated_at"] = doc["updated_at"].clone();
    let (s, _) = api(&t, Method::PUT, &path, Some(&body), Some(&ann)).await;
    assert_eq!(s, StatusCode::OK);
    let creates = outbound(&t, "Create").await;
    assert_eq!(creates.len(), 2);
    let second = creates[1]["object"]["id"].as_str().unwrap().to_owned();
    assert_ne!(
        second, first,
        "Mastodon keeps tombstones: a new publication needs a new id"
    );
    assert!(second.starts_with(&format!("{first}/r")));

    let fetch = |id: String| {
        let client = t.client.clone();
        async move {
            client
                .get(id)
                .header("accept", "application/activity+json")
                .send()
                .await
                .unwrap()
        }
    };
    assert_eq!(fetch(first.clone()).await.status(), 410);
    let now = fetch(second.clone()).await;
    assert_eq!(now.status(), 200);
    assert_eq!(now.json::<Value>().await.unwrap()["id"], second.as_str());
    let page = t.get(AppName::Blog, "/posts/twice-told", None).await;
    assert!(
        page.body.contains(&second),
        "the page links its current object"
    );
    t.stop().await;
}

#[actix_web::test]
async fn editors_manage_tags_and_give_posts_to_other_authors() {
    let t = TestFleet::start().await;
    let eve_id = person(&t, "eve", "editor").await;
    let ann_id = person(&t, "ann", "author").await;
    let eve = t.sign_in(AppName::Blog, eve_id).await;
    let ann = t.sign_in(AppName::Blog, ann_id).await;

    // Writers find the editor in every header's user menu; members do not.
    let mel = t
        .sign_in(AppName::Market, person(&t, "mel", "member").await)
        .await;
    let eve_market = t.sign_in(AppName::Market, eve_id).await;
    let editor_link = format!(
        r#"class="write" href="{}""#,
        t.fleet.at(AppName::Blog, "/editor")
    );
    assert!(
        t.get(AppName::Market, "/", Some(&eve_market))
            .await
            .body
            .contains(&editor_link)
    );
    assert!(
        !t.get(AppName::Market, "/", Some(&mel))
            .await
            .body
            .contains("class=\"write\"")
    );

    // The editor page offers editors the writers to choose from; authors get no choice.
    let page = t.get(AppName::Blog, "/editor/new", Some(&eve)).await;
    assert!(page.body.contains(r#"<select id="author_id""#) && page.body.contains("ann (display)"));
    assert!(
        !t.get(AppName::Blog, "/editor/new", Some(&ann))
            .await
            .body
            .contains("author_id")
    );
    let mut body = draft("Cider notes", "Sharp.");
    body["status"] = json!("published");
    body["author_id"] = json!(ann_id);
    let (s, doc) = api(
        &t,
        Method::POST,
        "/editor/api/posts",
        Some(&body),
        Some(&eve),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED);
    assert_eq!(doc["author_id"], ann_id);
    assert!(
        t.get(AppName::Blog, "/author/ann", None)
            .await
            .body
            .contains("Cider notes")
    );
    // An author cannot give a post away.
    let mut mine = draft("Mine", "x");
    mine["author_id"] = json!(eve_id);
    let (s, _) = api(
        &t,
        Method::POST,
        "/editor/api/posts",
        Some(&mine),
        Some(&ann),
    )
    .await;
    assert_eq!(s, StatusCode::FORBIDDEN);

    // Tags: listed with counts; renamed (the tag page follows); bad slugs refused; removed.
    let tags = t.get(AppName::Blog, "/admin/tags", Some(&eve)).await;
    assert!(tags.body.contains("Perry pears") && tags.body.contains("1 post"));
    assert_eq!(
        t.get(AppName::Blog, "/admin/tags", Some(&ann)).await.status,
        403
    );
    let id: i64 = shared::db::schema::tags::table
        .filter(shared::db::schema::tags::slug.eq("orchard"))
        .select(shared::db::schema::tags::id)
        .first(&mut t.db.conn().await)
        .await
        .unwrap();
    let at = format!("/admin/tags/{id}");
    let rename = [
        ("name", "The Orchard"),
        ("slug", "the-orchard"),
        ("description", "Trees and what they give."),
    ];
    assert_eq!(
        t.post_form(AppName::Blog, &at, &rename, Some(&ann), AppName::Blog)
            .await
            .status,
        403
    );
    for bad in [
        [("name", "X"), ("slug", "Not ok"), ("description", "")],
        [("name", "X"), ("slug", "perry-pears"), ("description", "")],
    ] {
        assert_eq!(
            t.post_form(AppName::Blog, &at, &bad, Some(&eve), AppName::Blog)
                .await
                .status,
            400
        );
    }
    assert_eq!(
        t.post_form(AppName::Blog, &at, &rename, Some(&eve), AppName::Blog)
            .await
            .status,
        303
    );
    let tag_page = t.get(AppName::Blog, "/tag/the-orchard", None).await;
    assert!(
        tag_page.body.contains("Trees and what they give.")
            && tag_page.body.contains("Cider notes")
    );
    assert_eq!(t.get(AppName::Blog, "/tag/orchard", None).await.status, 404);
    let removed = t
        .post_form(
            AppName::Blog,
            &format!("{at}/delete"),
            &[],
            Some(&eve),
            AppName::Blog,
        )
        .await;
    assert_eq!(removed.status, 303);
    assert_eq!(
        t.get(AppName::Blog, "/tag/the-orchard", None).await.status,
        404
    );
    assert!(
        t.get(AppName::Blog, "/posts/cider-notes", None)
            .await
            .body
            .contains("Cider notes")
    );
    t.stop().await;
}

#[actix_web::test]
async fn posts_can_have_several_authors() {
    let t = TestFleet::start().await;
    let eve = t
        .sign_in(AppName::Blog, person(&t, "eve", "editor").await)
        .await;
    let ann_id = person(&t, "ann", "author").await;
    let bob_id = person(&t, "bob", "author").await;
    let mel_id = person(&t, "mel", "member").await;
    let bob = t.sign_in(AppName::Blog, bob_id).await;

    let mut body = draft("Two hands", "Written together.");
    body["status"] = json!("published");
    body["author_id"] = json!(ann_id);
    body["co_author_ids"] = json!([bob_id]);
    let (s, doc) = api(
        &t,
        Method::POST,
        "/editor/api/posts",
        Some(&body),
        Some(&eve),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{doc}");
    assert_eq!(doc["co_author_ids"], json!([bob_id]));

    let page = t.get(AppName::Blog, "/posts/two-hands", None).await;
    assert!(
        page.body.contains(
            r#"<a href="/author/ann">ann (display)</a> and <a href="/author/bob">bob (display)</a>"#
        ),
        "{}",
        page.body
    );
    assert!(
        t.get(AppName::Blog, "/author/bob", None)
            .await
            .body
            .contains("Two hands")
    );
    let rss = t.get(AppName::Blog, "/rss.xml", None).await.body;
    assert!(
        rss.contains("<dc:creator>ann (display)</dc:creator>")
            && rss.contains("<dc:creator>bob (display)</dc:creator>")
    );

    // A co-author may edit the post, but not change who wrote it.
    let path = format!("/editor/api/posts/{}", doc["id"]);
    let mut edit = draft("Two hands, revised", "Written together, twice.");
    edit["status"] = json!("published");
    edit["updated_at"] = doc["updated_at"].clone();
    let (s, doc) = api(&t, Method::PUT, &path, Some(&edit), Some(&bob)).await;
    assert_eq!(s, StatusCode::OK, "{doc}");
    edit["updated_at"] = doc["updated_at"].clone();
    edit["co_author_ids"] = json!([]);
    let (s, _) = api(&t, Method::PUT, &path, Some(&edit), Some(&bob)).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    // Only writers can be authors.
    edit["co_author_ids"] = json!([mel_id]);
    let (s, _) = api(&t, Method::PUT, &path, Some(&edit), Some(&eve)).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert!(
        t.get(AppName::Blog, "/author/bob", None)
            .await
            .body
            .contains("Two hands, revised")
    );
    t.stop().await;
}
