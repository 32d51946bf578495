//! Tag renames in Ghost reach the blog: through the tags browse on a sync (a rename does not
//! move its posts' `updated_at`, so following posts never sees it) and through `tag.*`
//! webhooks at once.

use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use serde_json::{Value, json};
use shared::AppName;
use shared::db::schema::ghost_sites;

use super::ghost::{FakeGhost, KEY, Site, connect, ghost_post, hook, signature, tag};
use crate::support::TestFleet;
use crate::support::people::person;

const NEWS: &str = "6194d3ce51e2700162531b01";

/// Renames the tag everywhere Ghost shows it (its list and the posts that carry it), leaving
/// the posts' `updated_at` alone as Ghost does.
fn rename(site: &mut Site, name: &str, slug: &str) -> Value {
    let renamed = tag(NEWS, name, slug, "public");
    for t in &mut site.tags {
        if t["id"] == NEWS {
            *t = renamed.clone();
        }
    }
    for post in &mut site.posts {
        for t in post["tags"].as_array_mut().unwrap() {
            if t["id"] == NEWS {
                *t = renamed.clone();
            }
        }
        post["primary_tag"] = renamed.clone();
    }
    renamed
}

#[actix_web::test]
async fn a_tag_renamed_in_ghost_is_renamed_here() {
    let t = TestFleet::start().await;
    let admin = t
        .sign_in(AppName::Blog, person(&t, "ada", "admin").await)
        .await;
    let ghost = FakeGhost::start(Site {
        posts: vec![ghost_post(80, "Graft day", "<p>Scions ready.</p>", 30)],
        tags: vec![
            tag(NEWS, "News", "news", "public"),
            tag(
                "6194d3ce51e2700162531b02",
                "#internal",
                "hash-internal",
                "internal",
            ),
        ],
        ..Site::default()
    })
    .await;
    assert_eq!(connect(&t, &admin, &ghost.url, KEY).await.status, 303);
    blog::ghost::sync::run(t.fleet.ctx(AppName::Blog), true)
        .await
        .unwrap();
    assert!(
        t.get(AppName::Blog, "/tag/news", None)
            .await
            .body
            .contains("Graft day")
    );

    // Renamed in Ghost: the next (incremental) sync renames it here.
    rename(
        &mut ghost.site.lock().unwrap(),
        "Orchard news",
        "orchard-news",
    );
    let report = blog::ghost::sync::run(t.fleet.ctx(AppName::Blog), false)
        .await
        .unwrap();
    assert_eq!((report.updated, report.tags), (0, 1), "{report:?}");
    let page = t.get(AppName::Blog, "/tag/orchard-news", None).await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("Orchard news") && page.body.contains("Graft day"));
    assert_eq!(t.get(AppName::Blog, "/tag/news", None).await.status, 404);
    assert!(
        t.get(AppName::Blog, "/posts/graft-day", None)
            .await
            .body
            .contains("Orchard news")
    );

    // tag.edited: at once.
    let secret: String = ghost_sites::table
        .select(ghost_sites::webhook_secret)
        .first(&mut t.db.conn().await)
        .await
        .unwrap();
    let now = chrono::Utc::now().timestamp_millis();
    let previous = tag(NEWS, "Orchard news", "orchard-news", "public");
    let current = rename(&mut ghost.site.lock().unwrap(), "Orchard diary", "diary");
    let body = json!({"tag": {"current": current, "previous": {"name": previous["name"], "slug": previous["slug"]}}}).to_string();
    assert_eq!(
        hook(&t, &body, Some(signature(&body, &secret, now))).await,
        200
    );
    let page = t.get(AppName::Blog, "/tag/diary", None).await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("Orchard diary") && page.body.contains("Graft day"));

    // tag.deleted: it leaves the post.
    {
        let mut site = ghost.site.lock().unwrap();
        site.tags.retain(|t| t["id"] != NEWS);
        for post in &mut site.posts {
            post["tags"]
                .as_array_mut()
                .unwrap()
                .retain(|t| t["id"] != NEWS);
        }
    }
    let body = json!({"tag": {"current": {}, "previous": current}}).to_string();
    assert_eq!(
        hook(&t, &body, Some(signature(&body, &secret, now))).await,
        200
    );
    assert_eq!(t.get(AppName::Blog, "/tag/diary", None).await.status, 404);
    assert!(
        !t.get(AppName::Blog, "/posts/graft-day", None)
            .await
            .body
            .contains("Orchard diary")
    );
    ghost.handle.stop(true).await;
    t.stop().await;
}
