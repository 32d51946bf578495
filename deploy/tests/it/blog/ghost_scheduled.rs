//! A scheduled Ghost post goes live by Ghost's word (its `post.published` webhook or a sync),
//! never by the blog's own scheduler, and an imported post is never announced to the fediverse.

use std::time::Duration;

use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use serde_json::json;
use shared::AppName;
use shared::db::schema::{ap_activities, ghost_sites, posts};

use super::ghost::{FakeGhost, KEY, Site, connect, ghost_post, hook, signature};
use crate::support::TestFleet;
use crate::support::people::person;

async fn outbox_rows(t: &TestFleet) -> i64 {
    ap_activities::table
        .count()
        .get_result(&mut t.db.conn().await)
        .await
        .unwrap()
}

async fn status_of(t: &TestFleet, slug: &str) -> String {
    posts::table
        .filter(posts::slug.eq(slug))
        .select(posts::status)
        .first(&mut t.db.conn().await)
        .await
        .unwrap()
}

#[actix_web::test]
async fn an_imported_scheduled_post_goes_live_by_ghosts_word_without_federating() {
    let t = TestFleet::start().await;
    let admin = t
        .sign_in(AppName::Blog, person(&t, "ada", "admin").await)
        .await;
    let ghost = FakeGhost::start(Site::default()).await;
    assert_eq!(connect(&t, &admin, &ghost.url, KEY).await.status, 303);
    let secret: String = ghost_sites::table
        .select(ghost_sites::webhook_secret)
        .first(&mut t.db.conn().await)
        .await
        .unwrap();
    let send = |body: String| {
        let t = &t;
        let secret = secret.clone();
        async move {
            let now = chrono::Utc::now().timestamp_millis();
            hook(t, &body, Some(signature(&body, &secret, now))).await
        }
    };
    let before = outbox_rows(&t).await;

    // post.scheduled for two seconds from now.
    let mut post = ghost_post(70, "Blossom walk", "<p>Meet at the gate.</p>", 1);
    let at = chrono::Utc::now() + chrono::Duration::seconds(2);
    post["status"] = json!("scheduled");
    post["published_at"] = json!(at.format("%Y-%m-%dT%H:%M:%S.000+00:00").to_string());
    let scheduled = json!({"post": {"current": post, "previous": {"status": "draft"}}});
    assert_eq!(send(scheduled.to_string()).await, 200);
    assert_eq!(status_of(&t, "blossom-walk").await, "scheduled");

    // Its time passes; Ghost's scheduler is late. The blog does not publish it by itself
    // (its job runner polls every second or so: give it several rounds).
    tokio::time::sleep(Duration::from_secs(6)).await;
    assert_eq!(status_of(&t, "blossom-walk").await, "scheduled");
    assert_eq!(
        t.get(AppName::Blog, "/posts/blossom-walk", None)
            .await
            .status,
        404
    );

    // Ghost publishes it: live, and no activity in the outbox.
    post["status"] = json!("published");
    post["updated_at"] = json!(
        chrono::Utc::now()
            .format("%Y-%m-%dT%H:%M:%S.000+00:00")
            .to_string()
    );
    let published = json!({"post": {"current": post, "previous": {"status": "scheduled"}}});
    assert_eq!(send(published.to_string()).await, 200);
    assert_eq!(
        t.get(AppName::Blog, "/posts/blossom-walk", None)
            .await
            .status,
        200
    );
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(outbox_rows(&t).await, before, "imports never federate");
    ghost.handle.stop(true).await;
    t.stop().await;
}
