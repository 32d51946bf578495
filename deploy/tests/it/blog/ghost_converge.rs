//! Ghost sync under the orders and overlaps a real Ghost 5 produces: `post.added` and
//! `post.published` delivered at the same moment for a post created published, late and
//! repeated deliveries, and sync passes running alongside. Every order must end with exactly
//! one post holding Ghost's latest version, and no delivery refused.

use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use serde_json::{Value, json};
use shared::AppName;
use shared::db::schema::{ap_activities, ghost_posts, ghost_sites, posts};

use super::ghost::{FakeGhost, KEY, Site, connect, ghost_post, hook, signature};
use crate::support::TestFleet;
use crate::support::people::person;

async fn webhook_secret(t: &TestFleet) -> String {
    ghost_sites::table
        .select(ghost_sites::webhook_secret)
        .first(&mut t.db.conn().await)
        .await
        .unwrap()
}

/// Delivers `body` signed as Ghost signs it; the status.
async fn deliver(t: &TestFleet, secret: &str, body: &str) -> u16 {
    let now = chrono::Utc::now().timestamp_millis();
    hook(t, body, Some(signature(body, secret, now))).await
}

/// Our rows for one Ghost post: (slug, title, status).
async fn copies(t: &TestFleet, ghost_id: &str) -> Vec<(String, String, String)> {
    ghost_posts::table
        .inner_join(posts::table)
        .filter(ghost_posts::ghost_id.eq(ghost_id))
        .select((posts::slug, posts::title, posts::status))
        .load(&mut t.db.conn().await)
        .await
        .unwrap()
}

async fn posts_titled(t: &TestFleet, prefix: &str) -> i64 {
    posts::table
        .filter(posts::title.like(format!("{prefix}%")))
        .count()
        .get_result(&mut t.db.conn().await)
        .await
        .unwrap()
}

#[actix_web::test]
async fn post_added_and_post_published_at_once_make_one_post_without_an_error() {
    let t = TestFleet::start().await;
    let admin = t
        .sign_in(AppName::Blog, person(&t, "ada", "admin").await)
        .await;
    let ghost = FakeGhost::start(Site::default()).await;
    assert_eq!(connect(&t, &admin, &ghost.url, KEY).await.status, 303);
    let secret = webhook_secret(&t).await;

    // A post created already published: Ghost fires both events with the same post.
    for n in 0..6u32 {
        let title = format!("Harvest note {n}");
        let mut post = ghost_post(40 + n, &title, "<p>Crates of pears.</p>", 0);
        post["status"] = json!("published");
        let added = json!({"post": {"current": post, "previous": {}}}).to_string();
        let published =
            json!({"post": {"current": post, "previous": {"status": "draft"}}}).to_string();
        let (a, b) = tokio::join!(
            deliver(&t, &secret, &added),
            deliver(&t, &secret, &published)
        );
        assert_eq!((a, b), (200, 200), "{title}");
        let id = post["id"].as_str().unwrap();
        let slug = super::ghost::shared_slug(&title);
        assert_eq!(
            copies(&t, id).await,
            [(slug, title.clone(), "published".to_owned())],
            "{title}"
        );
        assert_eq!(posts_titled(&t, &title).await, 1, "{title}");
    }
    ghost.handle.stop(true).await;
    t.stop().await;
}

/// A small deterministic generator (xorshift64*), so a failing order can be replayed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

#[derive(Debug, Clone, Copy)]
enum Step {
    /// A webhook carrying version 0 (added, a draft), 1 (published) or 2 (edited).
    Hook(usize),
    Sync,
}

#[actix_web::test]
async fn any_interleaving_of_webhooks_and_a_sync_ends_on_ghosts_latest_version() {
    let t = TestFleet::start().await;
    let admin = t
        .sign_in(AppName::Blog, person(&t, "ada", "admin").await)
        .await;
    let ghost = FakeGhost::start(Site::default()).await;
    assert_eq!(connect(&t, &admin, &ghost.url, KEY).await.status, 303);
    let secret = webhook_secret(&t).await;
    let seed = 0x5eed_0018_u64;
    let mut rng = Rng(seed);

    for round in 0..20u32 {
        // Three versions of one post, a second apart (Ghost's updated_at), each round later than
        // the last so that the incremental sync's cursor moves on.
        let title = format!("Orchard diary {round}");
        let at = |v: i64| {
            (chrono::Utc::now() + chrono::Duration::seconds(i64::from(round) * 10 + v))
                .format("%Y-%m-%dT%H:%M:%S.000+00:00")
                .to_string()
        };
        let mut versions: Vec<Value> = Vec::new();
        for (v, (status, suffix)) in [("draft", ""), ("published", ""), ("published", ", revised")]
            .into_iter()
            .enumerate()
        {
            let mut post = ghost_post(100 + round, &title, &format!("<p>Version {v}.</p>"), 0);
            post["title"] = json!(format!("{title}{suffix}"));
            post["status"] = json!(status);
            post["updated_at"] = json!(at(i64::try_from(v).unwrap()));
            post["created_at"] = json!(at(0));
            versions.push(post);
        }
        let latest = versions[2].clone();
        // The Content API lists what is published now: the latest version.
        {
            let mut site = ghost.site.lock().unwrap();
            let mut listed = latest.clone();
            listed.as_object_mut().unwrap().remove("status");
            site.posts.push(listed);
        }
        let mut steps = vec![Step::Hook(0), Step::Hook(1), Step::Hook(2), Step::Sync];
        // A repeated delivery (Ghost retries) of a random version.
        steps.push(Step::Hook(usize::try_from(rng.below(3)).unwrap()));
        for i in (1..steps.len()).rev() {
            let j = usize::try_from(rng.below(u64::try_from(i + 1).unwrap())).unwrap();
            steps.swap(i, j);
        }
        // Some steps start together, the rest one after the other.
        let overlap = rng.below(u64::try_from(steps.len()).unwrap()) + 1;
        let order = format!("seed {seed:#x}, round {round}: {steps:?}, {overlap} at once");
        let run = |step: Step| {
            let t = &t;
            let secret = &secret;
            let versions = &versions;
            async move {
                match step {
                    Step::Hook(v) => {
                        let body =
                            json!({"post": {"current": versions[v], "previous": {}}}).to_string();
                        deliver(t, secret, &body).await == 200
                    }
                    Step::Sync => {
                        // A sync already running (the background one) is the same pass.
                        matches!(
                            blog::ghost::sync::run(t.fleet.ctx(AppName::Blog), false).await,
                            Ok(_) | Err(blog::ghost::sync::SyncError::Busy)
                        )
                    }
                }
            }
        };
        let split = usize::try_from(overlap).unwrap();
        let together = futures_util::future::join_all(steps[..split].iter().map(|s| run(*s))).await;
        assert!(together.iter().all(|ok| *ok), "{order}");
        for step in &steps[split..] {
            assert!(run(*step).await, "{order}");
        }
        let id = latest["id"].as_str().unwrap();
        assert_eq!(
            copies(&t, id).await,
            [(
                super::ghost::shared_slug(&title),
                format!("{title}, revised"),
                "published".to_owned()
            )],
            "{order}"
        );
    }
    let creates: i64 = ap_activities::table
        .filter(ap_activities::kind.eq("Create"))
        .count()
        .get_result(&mut t.db.conn().await)
        .await
        .unwrap();
    assert_eq!(creates, 0, "imports never federate");
    ghost.handle.stop(true).await;
    t.stop().await;
}

#[actix_web::test]
async fn a_late_edit_does_not_bring_back_a_deleted_post() {
    let t = TestFleet::start().await;
    let admin = t
        .sign_in(AppName::Blog, person(&t, "ada", "admin").await)
        .await;
    let ghost = FakeGhost::start(Site::default()).await;
    assert_eq!(connect(&t, &admin, &ghost.url, KEY).await.status, 303);
    let secret = webhook_secret(&t).await;
    let mut post = ghost_post(60, "Windfall", "<p>Fallen pears.</p>", 5);
    post["status"] = json!("published");
    let edited = json!({"post": {"current": post, "previous": {"title": "Windfalls"}}}).to_string();
    assert_eq!(deliver(&t, &secret, &edited).await, 200);
    let deleted = json!({"post": {"current": {}, "previous": post}}).to_string();
    assert_eq!(deliver(&t, &secret, &deleted).await, 200);
    assert!(copies(&t, "6194d3ce51e2700162531a60").await.is_empty());
    // Ghost retries the earlier delivery after the deletion: it changes nothing.
    assert_eq!(deliver(&t, &secret, &edited).await, 200);
    assert!(copies(&t, "6194d3ce51e2700162531a60").await.is_empty());
    ghost.handle.stop(true).await;
    t.stop().await;
}
