//! The social hub as members use it: composing (Mastodon's addressing, content warnings,
//! mentions, hashtags, replies, edits, deletes), timelines and who may see what, following our
//! own apps, notifications, and what attackers try (forged or unsigned inbox posts, script in
//! remote posts and names, someone else's post, forms without the CSRF token).

use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use serde_json::{Value, json};
use shared::AppName;
use shared::activitypub::actors::LocalActor;
use shared::activitypub::{PUBLIC, outbox};
use shared::db::schema::ap_activities;
use shared::db::schema::{ap_objects, social_notifications};
use shared::testing::TestSession;

use crate::support::peer::{Peer, post_signed};
use crate::support::people::member;
use crate::support::{TestFleet, eventually};

/// The newest post by `actor`: (place, id).
async fn newest(t: &TestFleet, actor: &str) -> (i64, String) {
    ap_objects::table
        .filter(ap_objects::attributed_to.eq(actor))
        .order(ap_objects::seq.desc())
        .select((ap_objects::seq, ap_objects::id))
        .first(&mut t.db.conn().await)
        .await
        .unwrap()
}

/// The outbound activity of `kind` about `object`.
async fn sent(t: &TestFleet, kind: &str, object: &str) -> Value {
    ap_activities::table
        .filter(ap_activities::direction.eq("outbound"))
        .filter(ap_activities::kind.eq(kind))
        .filter(ap_activities::object_id.eq(object))
        .order(ap_activities::id.desc())
        .select(ap_activities::payload)
        .first(&mut t.db.conn().await)
        .await
        .unwrap()
}

/// A member's form post to federation (fails the test on a 5xx); the status.
pub(super) async fn post(t: &TestFleet, s: &TestSession, path: &str, form: &[(&str, &str)]) -> u16 {
    let page = t
        .post_form(
            AppName::Federation,
            path,
            form,
            Some(s),
            AppName::Federation,
        )
        .await;
    assert!(
        page.status.as_u16() < 500,
        "{path}: {} {}",
        page.status,
        page.body
    );
    page.status.as_u16()
}

async fn compose(t: &TestFleet, s: &TestSession, text: &str, visibility: &str, cw: &str) -> u16 {
    post(
        t,
        s,
        "/statuses",
        &[("text", text), ("visibility", visibility), ("summary", cw)],
    )
    .await
}

/// A member's actor id.
pub(super) fn actor(t: &TestFleet, name: &str) -> String {
    LocalActor::User(name.to_owned()).id(t.fleet.ctx(AppName::Federation).config())
}

async fn notifications(t: &TestFleet, user: i64) -> Vec<(String, String)> {
    social_notifications::table
        .filter(social_notifications::user_id.eq(user))
        .order(social_notifications::id)
        .select((social_notifications::kind, social_notifications::actor))
        .load(&mut t.db.conn().await)
        .await
        .unwrap()
}

#[actix_web::test]
async fn compose_addresses_as_mastodon_and_timelines_show_only_what_each_may_see() {
    let t = TestFleet::start().await;
    let (ann_id, bob_id, cat_id) = (
        member(&t, "ann").await,
        member(&t, "bob").await,
        member(&t, "cat").await,
    );
    let ann = t.sign_in(AppName::Federation, ann_id).await;
    let bob = t.sign_in(AppName::Federation, bob_id).await;
    let cat = t.sign_in(AppName::Federation, cat_id).await;
    let (ann_actor, bob_actor) = (actor(&t, "ann"), actor(&t, "bob"));
    let followers = format!("{ann_actor}/followers");

    // Each visibility, addressed exactly as Mastodon addresses it.
    assert_eq!(
        compose(
            &t,
            &ann,
            "Hello #Orchard <script>alert(1)</script> https://example.org/x",
            "public",
            ""
        )
        .await,
        303
    );
    let (public_seq, public_id) = newest(&t, &ann_actor).await;
    let create = sent(&t, "Create", &public_id).await;
    assert_eq!(create["to"], json!([PUBLIC]));
    assert_eq!(create["cc"], json!([followers]));
    assert_eq!(create["object"]["to"], create["to"]);
    assert_eq!(create["object"]["type"], "Note");
    assert_eq!(create["object"]["attributedTo"], ann_actor);
    let note = &create["object"];
    assert_eq!(note["tag"][0]["type"], "Hashtag");
    assert_eq!(note["tag"][0]["name"], "#orchard");
    let content = note["content"].as_str().unwrap();
    assert!(
        content.contains("class=\"mention hashtag\" rel=\"tag\">#<span>Orchard</span></a>"),
        "{content}"
    );
    assert!(
        content.contains("&lt;script&gt;") && !content.contains("<script"),
        "{content}"
    );
    assert!(
        content.contains("<a href=\"https://example.org/x\""),
        "{content}"
    );

    assert_eq!(compose(&t, &ann, "quiet one", "unlisted", "").await, 303);
    let (unlisted_seq, unlisted_id) = newest(&t, &ann_actor).await;
    let create = sent(&t, "Create", &unlisted_id).await;
    assert_eq!(create["to"], json!([followers]));
    assert_eq!(create["cc"], json!([PUBLIC]));

    assert_eq!(
        compose(&t, &ann, "for my followers", "followers", "spoilers").await,
        303
    );
    let (followers_seq, followers_id) = newest(&t, &ann_actor).await;
    let create = sent(&t, "Create", &followers_id).await;
    assert_eq!(create["to"], json!([followers]));
    assert_eq!(create["cc"], json!([]));
    assert_eq!(create["object"]["summary"], "spoilers");
    assert_eq!(create["object"]["sensitive"], true);

    assert_eq!(compose(&t, &ann, "psst @bob", "direct", "").await, 303);
    let (direct_seq, direct_id) = newest(&t, &ann_actor).await;
    let create = sent(&t, "Create", &direct_id).await;
    assert_eq!(create["to"], json!([bob_actor]));
    assert_eq!(create["cc"], json!([]));
    assert_eq!(create["object"]["tag"][0]["type"], "Mention");
    assert_eq!(create["object"]["tag"][0]["href"], bob_actor);
    assert!(
        create["object"]["content"]
            .as_str()
            .unwrap()
            .contains("class=\"u-url mention\">@<span>bob</span></a>")
    );
    assert_eq!(
        notifications(&t, bob_id).await,
        vec![("mention".to_owned(), ann_actor.clone())]
    );

    // Bad drafts: 4xx and nothing stored.
    let before: i64 = ap_objects::table
        .count()
        .get_result(&mut t.db.conn().await)
        .await
        .unwrap();
    assert_eq!(compose(&t, &ann, &"x".repeat(501), "public", "").await, 400);
    assert_eq!(compose(&t, &ann, "   ", "public", "").await, 400);
    assert_eq!(compose(&t, &ann, "hi", "friends", "").await, 400);
    assert_eq!(compose(&t, &ann, "to nobody", "direct", "").await, 400);
    // Without the CSRF token (a form from elsewhere): refused.
    let forged = t
        .post_form(
            AppName::Federation,
            "/statuses",
            &[("text", "forged"), ("visibility", "public")],
            Some(&ann),
            AppName::Blog,
        )
        .await;
    assert_eq!(forged.status, 403, "{}", forged.body);
    let after: i64 = ap_objects::table
        .count()
        .get_result(&mut t.db.conn().await)
        .await
        .unwrap();
    assert_eq!(before, after);

    // Who sees what: anonymous and cat see public and unlisted posts only; the federated and
    // local timelines show only the public one; bob sees the direct post.
    for (session, label) in [(None, "anonymous"), (Some(&cat), "cat")] {
        for (seq, visible) in [
            (public_seq, true),
            (unlisted_seq, true),
            (followers_seq, false),
            (direct_seq, false),
        ] {
            let page = t
                .get(AppName::Federation, &format!("/statuses/{seq}"), session)
                .await;
            assert_eq!(
                page.status == 200,
                visible,
                "{label} on post {seq}: {}",
                page.status
            );
        }
    }
    let direct = t
        .get(
            AppName::Federation,
            &format!("/statuses/{direct_seq}"),
            Some(&bob),
        )
        .await;
    assert_eq!(direct.status, 200);
    assert!(direct.body.contains("psst"));
    for path in ["/public", "/public/local"] {
        let page = t.get(AppName::Federation, path, None).await;
        assert_eq!(page.status, 200);
        assert!(page.body.contains("Hello"), "{path}");
        assert!(
            !page.body.contains("quiet one")
                && !page.body.contains("for my followers")
                && !page.body.contains("psst"),
            "{path}"
        );
        assert!(!page.body.contains("<script>alert"), "{path}");
    }
    let tag = t.get(AppName::Federation, "/tags/orchard", None).await;
    assert!(tag.body.contains("Hello"));
    assert!(
        !t.get(AppName::Federation, "/tags/nothing", None)
            .await
            .body
            .contains("Hello")
    );

    // Followers-only posts reach followers: cat follows ann and then sees it (behind its CW).
    assert_eq!(
        post(&t, &cat, "/social/follow", &[("actor", "ann")]).await,
        303
    );
    let home = t.get(AppName::Federation, "/home", Some(&cat)).await;
    assert!(
        home.body.contains("<details class=\"cw\">") && home.body.contains("spoilers"),
        "{}",
        home.body
    );
    assert!(home.body.contains("for my followers"));
    assert!(!home.body.contains("psst"));
    assert_eq!(
        notifications(&t, ann_id).await,
        vec![("follow".to_owned(), actor(&t, "cat"))]
    );
    let profile = t.get(AppName::Federation, "/@ann", None).await;
    assert!(
        profile
            .body
            .contains("<strong class=\"followers-count\">1</strong>"),
        "{}",
        profile.body
    );

    // A reply with a thread; the author of the parent is told.
    assert_eq!(
        post(
            &t,
            &bob,
            "/statuses",
            &[
                ("text", "nice"),
                ("visibility", "public"),
                ("in_reply_to", &public_seq.to_string())
            ]
        )
        .await,
        303
    );
    let (reply_seq, reply_id) = newest(&t, &bob_actor).await;
    let reply = sent(&t, "Create", &reply_id).await;
    assert_eq!(reply["object"]["inReplyTo"], public_id);
    assert_eq!(
        reply["cc"],
        json!([format!("{bob_actor}/followers"), ann_actor])
    );
    let thread = t
        .get(AppName::Federation, &format!("/statuses/{reply_seq}"), None)
        .await;
    let (parent_at, reply_at) = (
        thread.body.find("Hello").unwrap(),
        thread.body.find("nice").unwrap(),
    );
    assert!(parent_at < reply_at, "ancestors come first");
    assert!(
        notifications(&t, ann_id)
            .await
            .contains(&("reply".to_owned(), bob_actor.clone()))
    );

    // Likes and boosts, once each, and their notifications.
    for action in ["favourite", "favourite", "reblog", "reblog"] {
        assert_eq!(
            post(&t, &bob, &format!("/statuses/{public_seq}/{action}"), &[]).await,
            303
        );
    }
    let (likes, boosts): (i32, i32) = ap_objects::table
        .find(&public_id)
        .select((ap_objects::likes, ap_objects::announces))
        .first(&mut t.db.conn().await)
        .await
        .unwrap();
    assert_eq!((likes, boosts), (1, 1));
    let bob_home = t.get(AppName::Federation, "/@bob", None).await;
    assert!(
        bob_home.body.contains("boosted"),
        "a boost shows on the booster's profile"
    );
    assert_eq!(
        post(
            &t,
            &bob,
            &format!("/statuses/{public_seq}/unfavourite"),
            &[]
        )
        .await,
        303
    );
    let kinds: Vec<String> = notifications(&t, ann_id)
        .await
        .into_iter()
        .map(|n| n.0)
        .collect();
    assert!(
        kinds.contains(&"boost".to_owned()) && !kinds.contains(&"favourite".to_owned()),
        "{kinds:?}"
    );
    let like = sent(&t, "Like", &public_id).await;
    let undo = sent(&t, "Undo", like["id"].as_str().unwrap()).await;
    assert_eq!(undo["object"]["type"], "Like");
    assert_eq!(undo["object"]["object"], public_id);

    // Someone else's post: 403, unchanged.
    assert_eq!(
        post(
            &t,
            &bob,
            &format!("/statuses/{public_seq}/edit"),
            &[("text", "hijacked")]
        )
        .await,
        403
    );
    assert_eq!(
        post(&t, &bob, &format!("/statuses/{public_seq}/delete"), &[]).await,
        403
    );
    assert_eq!(
        t.get(
            AppName::Federation,
            &format!("/statuses/{public_seq}/edit"),
            Some(&bob)
        )
        .await
        .status,
        403
    );

    // Edit: an Update whose Note carries `updated`; bob, who boosted it, is told.
    assert_eq!(
        post(
            &t,
            &ann,
            &format!("/statuses/{public_seq}/edit"),
            &[("text", "Hello again #Orchard")]
        )
        .await,
        303
    );
    let update = sent(&t, "Update", &public_id).await;
    assert!(update["object"]["updated"].is_string());
    assert_eq!(update["to"], json!([PUBLIC]));
    assert!(
        t.get(
            AppName::Federation,
            &format!("/statuses/{public_seq}"),
            None
        )
        .await
        .body
        .contains("Hello again")
    );
    assert!(
        notifications(&t, bob_id)
            .await
            .contains(&("update".to_owned(), ann_actor.clone()))
    );

    // Its ActivityPub document, then delete: a Tombstone and 410.
    let doc = t
        .client
        .get(&public_id)
        .header("accept", "application/activity+json")
        .send()
        .await
        .unwrap();
    assert_eq!(doc.status(), 200);
    let doc: Value = doc.json().await.unwrap();
    assert_eq!(doc["id"], public_id);
    let hidden = t
        .client
        .get(&followers_id)
        .header("accept", "application/activity+json")
        .send()
        .await
        .unwrap();
    assert_eq!(
        hidden.status(),
        404,
        "a followers-only post is not served to anyone who asks"
    );
    assert_eq!(
        post(&t, &ann, &format!("/statuses/{public_seq}/delete"), &[]).await,
        303
    );
    let delete = sent(&t, "Delete", &public_id).await;
    assert_eq!(delete["object"]["type"], "Tombstone");
    let gone = t
        .client
        .get(&public_id)
        .header("accept", "application/activity+json")
        .send()
        .await
        .unwrap();
    assert_eq!(gone.status(), 410);
    assert_eq!(
        t.get(
            AppName::Federation,
            &format!("/statuses/{public_seq}"),
            None
        )
        .await
        .status,
        404
    );
    assert!(
        !t.get(AppName::Federation, "/public", None)
            .await
            .body
            .contains("Hello again")
    );

    // Members follow the fleet's own actors: the blog's posts land in their home timeline.
    assert_eq!(
        post(&t, &cat, "/social/follow", &[("actor", "@blog")]).await,
        303
    );
    let config = t.fleet.ctx(AppName::Blog).config().clone();
    let blog = LocalActor::App(AppName::Blog);
    let note_id = format!("{}/notes/social-1", blog.id(&config));
    let create = outbox::activity(
        &config,
        &blog,
        "Create",
        json!({"id": note_id, "type": "Note", "attributedTo": blog.id(&config), "content": "<p>New pressing schedule</p>",
               "published": chrono::Utc::now().to_rfc3339(), "to": [PUBLIC], "cc": [blog.followers(&config)]}),
    );
    outbox::emit(&mut t.db.conn().await, &create).await.unwrap();
    eventually(15, "the blog's post in cat's home", || async {
        t.get(AppName::Federation, "/home", Some(&cat))
            .await
            .body
            .contains("New pressing schedule")
    })
    .await;
    assert!(
        !t.get(AppName::Federation, "/home", Some(&bob))
            .await
            .body
            .contains("New pressing schedule")
    );
    t.stop().await;
}

#[actix_web::test]
async fn remote_posts_are_sanitised_signed_only_and_notify_with_an_unread_count() {
    let t = TestFleet::start().await;
    let ann_id = member(&t, "ann").await;
    let ann = t.sign_in(AppName::Federation, ann_id).await;
    let ann_actor = actor(&t, "ann");
    let (peer, actors) = Peer::start(&["mallory", "other"]).await;
    let mallory = &actors[0];
    let note_id = format!("{}/notes/1", mallory.id);
    let activity = json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": format!("{}/activities/1", mallory.id), "type": "Create", "actor": mallory.id,
        "to": [PUBLIC], "cc": [ann_actor],
        "object": {
            "id": note_id, "type": "Note", "attributedTo": mallory.id,
            "content": "<p>hi <a href=\"javascript:alert(1)\">click</a> <img src=x onerror=alert(1)><script>alert(2)</script> <a href=\"https://ok.example/\" class=\"u-url mention\">@ann</a></p>",
            "summary": "<b onmouseover=alert(3)>cw</b>",
            "to": [PUBLIC], "cc": [ann_actor],
            "tag": [{"type": "Mention", "href": ann_actor, "name": "@ann"}, {"type": "Hashtag", "name": "#Cider"}],
            "attachment": [{"type": "Document", "mediaType": "image/png", "url": "javascript:alert(4)", "name": "x"},
                           {"type": "Document", "mediaType": "image/png", "url": "https://media.example/a.png", "name": "An apple \"tree\""}],
            "published": chrono::Utc::now().to_rfc3339(),
        },
    });
    let body = activity.to_string();
    let inbox = t.fleet.at(AppName::Federation, "/inbox");
    // Unsigned, and signed with someone else's key: 401, nothing stored.
    let unsigned = t
        .client
        .post(&inbox)
        .header("content-type", "application/activity+json")
        .body(body.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(unsigned.status(), 401);
    let forged = post_signed(
        &t.client,
        &inbox,
        body.as_bytes(),
        &actors[1].key,
        &mallory.key_id(),
        |_| {},
    )
    .await;
    assert_eq!(forged, 401);
    let stored: i64 = ap_activities::table
        .filter(ap_activities::direction.eq("inbound"))
        .count()
        .get_result(&mut t.db.conn().await)
        .await
        .unwrap();
    assert_eq!(stored, 0);
    // Properly signed: stored, shown sanitised, and ann is told.
    assert_eq!(
        post_signed(
            &t.client,
            &inbox,
            body.as_bytes(),
            &mallory.key,
            &mallory.key_id(),
            |_| {}
        )
        .await,
        202
    );
    eventually(15, "the mention notification", || async {
        !notifications(&t, ann_id).await.is_empty()
    })
    .await;
    assert_eq!(
        notifications(&t, ann_id).await,
        vec![("mention".to_owned(), mallory.id.clone())]
    );
    for (path, session) in [
        ("/public", None),
        ("/tags/cider", None),
        ("/notifications", Some(&ann)),
    ] {
        let page = t.get(AppName::Federation, path, session).await;
        assert_eq!(page.status, 200, "{path}");
        let lower = page.body.to_ascii_lowercase();
        for bad in ["javascript:", "<script>alert", "onerror", "onmouseover"] {
            assert!(!lower.contains(bad), "{path} carries {bad}");
        }
    }
    let public = t.get(AppName::Federation, "/public", None).await;
    assert!(
        public.body.contains("<summary>"),
        "the content warning folds the post"
    );
    assert!(
        public.body.contains("alt=\"An apple &quot;tree&quot;\""),
        "{}",
        public.body
    );
    // The unread count shows on every social page, and clears when read.
    let home = t.get(AppName::Federation, "/home", Some(&ann)).await;
    assert!(
        home.body.contains("aria-label=\"1 unread\""),
        "{}",
        home.body
    );
    assert_eq!(post(&t, &ann, "/notifications/read", &[]).await, 303);
    let home = t.get(AppName::Federation, "/home", Some(&ann)).await;
    assert!(!home.body.contains("unread\""));
    // A mute hides them from ann's timelines; a block also refuses their follow.
    assert_eq!(
        post(
            &t,
            &ann,
            "/social/filters",
            &[
                ("kind", "mute"),
                ("target_kind", "domain"),
                (
                    "target",
                    &shared::activitypub::host_of(&mallory.id).unwrap()
                )
            ]
        )
        .await,
        303
    );
    assert!(
        !t.get(AppName::Federation, "/public", Some(&ann))
            .await
            .body
            .contains("click")
    );
    assert!(
        t.get(AppName::Federation, "/public", None)
            .await
            .body
            .contains("click")
    );
    peer.stop().await;
    t.stop().await;
}

#[actix_web::test]
async fn every_apps_header_shows_a_members_unread_count_at_once_and_clears_when_read() {
    let t = TestFleet::start().await;
    let ann_id = member(&t, "ann").await;
    let bob_id = member(&t, "bob").await;
    let ann = t.sign_in(AppName::Federation, ann_id).await;
    let bob_social = t.sign_in(AppName::Federation, bob_id).await;
    let bob_blog = t.sign_in(AppName::Blog, bob_id).await;
    let bob_market = t.sign_in(AppName::Market, bob_id).await;
    let badge = |body: &str| {
        body.split("class=\"unread\"")
            .nth(1)
            .and_then(|rest| rest.split("<span class=\"count\">").nth(1))
            .and_then(|rest| rest.split('<').next())
            .map(str::to_owned)
    };
    // Bob's menu is cached (per viewer, for a minute) with nothing unread.
    for _ in 0..2 {
        let home = t.get(AppName::Blog, "/", Some(&bob_blog)).await;
        assert!(home.body.contains(">bob</a>"), "{}", home.body);
        assert_eq!(badge(&home.body), None);
    }
    // Ann mentions him: the blog's and the market's headers show it on his next page.
    assert_eq!(compose(&t, &ann, "psst @bob", "direct", "").await, 303);
    assert_eq!(notifications(&t, bob_id).await.len(), 1);
    eventually(5, "the blog's header to show 1 unread", || async {
        badge(&t.get(AppName::Blog, "/", Some(&bob_blog)).await.body).as_deref() == Some("1")
    })
    .await;
    let market = t.get(AppName::Market, "/", Some(&bob_market)).await;
    assert_eq!(badge(&market.body).as_deref(), Some("1"), "{}", market.body);
    assert!(
        market
            .body
            .contains("/notifications\" title=\"Unread notifications\""),
        "the count links to the notifications"
    );
    // Nobody else sees it: ann's header has no count.
    let ann_blog = t.sign_in(AppName::Blog, ann_id).await;
    assert_eq!(
        badge(&t.get(AppName::Blog, "/", Some(&ann_blog)).await.body),
        None
    );
    // Read on the social hub: every header clears.
    assert_eq!(post(&t, &bob_social, "/notifications/read", &[]).await, 303);
    eventually(5, "the blog's header to clear", || async {
        badge(&t.get(AppName::Blog, "/", Some(&bob_blog)).await.body).is_none()
    })
    .await;
    assert_eq!(
        badge(&t.get(AppName::Market, "/", Some(&bob_market)).await.body),
        None
    );
    t.stop().await;
}

async fn home(t: &TestFleet, s: &TestSession) -> String {
    t.get(AppName::Federation, "/home", Some(s)).await.body
}

/// The home timeline is written as posts and boosts arrive (the `social_home` table): a new
/// follow brings the followed actor's earlier posts, their later posts and boosts arrive, an
/// undone boost and an unfollowed actor's posts leave it, and the member's own posts stay.
#[actix_web::test]
async fn home_timeline_follows_follows_boosts_and_unfollows() {
    let t = TestFleet::start().await;
    let (ann_id, bob_id, cat_id) = (
        member(&t, "ann").await,
        member(&t, "bob").await,
        member(&t, "cat").await,
    );
    let ann = t.sign_in(AppName::Federation, ann_id).await;
    let bob = t.sign_in(AppName::Federation, bob_id).await;
    let cat = t.sign_in(AppName::Federation, cat_id).await;

    assert_eq!(compose(&t, &ann, "Written before", "public", "").await, 303);
    assert_eq!(
        compose(&t, &cat, "Cat's own words", "public", "").await,
        303
    );
    assert!(!home(&t, &cat).await.contains("Written before"));
    assert_eq!(
        post(&t, &cat, "/social/follow", &[("actor", "ann")]).await,
        303
    );
    let page = home(&t, &cat).await;
    assert!(page.contains("Written before") && page.contains("Cat's own words"));

    assert_eq!(
        compose(&t, &ann, "Written after", "followers", "").await,
        303
    );
    assert_eq!(compose(&t, &bob, "Bob's pears", "public", "").await, 303);
    let (bob_seq, _) = newest(&t, &actor(&t, "bob")).await;
    let page = home(&t, &cat).await;
    assert!(page.contains("Written after"), "{page}");
    assert!(!page.contains("Bob's pears"), "cat does not follow bob");
    assert!(
        !home(&t, &bob).await.contains("Written after"),
        "followers only"
    );

    // Ann boosts bob's post: it reaches cat's home once, as ann's boost; undone, it leaves.
    let boost = format!("/statuses/{bob_seq}/reblog");
    assert_eq!(post(&t, &ann, &boost, &[]).await, 303);
    let page = home(&t, &cat).await;
    assert_eq!(page.matches("Bob's pears").count(), 1, "{page}");
    let unboost = format!("/statuses/{bob_seq}/unreblog");
    assert_eq!(post(&t, &ann, &unboost, &[]).await, 303);
    assert!(!home(&t, &cat).await.contains("Bob's pears"));

    // Unfollowed, ann's posts leave cat's home; cat's own stay.
    assert_eq!(
        post(
            &t,
            &cat,
            "/social/unfollow",
            &[("actor", &actor(&t, "ann"))]
        )
        .await,
        303
    );
    let page = home(&t, &cat).await;
    assert!(!page.contains("Written before") && !page.contains("Written after"));
    assert!(page.contains("Cat's own words"));
    t.stop().await;
}
