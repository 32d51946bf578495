//! Federating with a third-party implementation: a peer built from Python's `bovine` (its
//! actor, WebFinger, signing and signature verification), run as a separate process over plain
//! HTTP on loopback (`support::bovine`). The peer follows our blog and gets a signed Accept and
//! the blog's posts; our member follows the peer and its signed post lands in our inbox and is
//! processed.

use std::time::Duration;

use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use serde_json::json;
use shared::AppName;
use shared::activitypub::actors::LocalActor;
use shared::activitypub::outbox;
use shared::db::schema::{ap_activities, ap_followers, ap_following, ap_objects};

use crate::support::TestFleet;
use crate::support::bovine::Peer;
use crate::support::{eventually, people::member};

#[actix_web::test]
async fn a_bovine_peer_and_our_fleet_follow_each_other_and_deliver_signed() {
    let t = TestFleet::start().await;
    let peer = Peer::start().await;
    let config = t.fleet.ctx(AppName::Blog).config().clone();
    let blog = LocalActor::App(AppName::Blog);
    let blog_id = blog.id(&config);
    let blog_url = t.fleet.url(AppName::Blog);
    let host = format!(
        "{}:{}",
        blog_url.host_str().unwrap(),
        blog_url.port().unwrap()
    );

    // The peer finds the blog by WebFinger and follows it.
    let followed = peer
        .call(
            "/_follow",
            json!({ "account": format!("acct:blog@{host}"), "domain": format!("http://{host}") }),
        )
        .await;
    assert_eq!(
        followed["actor"],
        blog_id.as_str(),
        "WebFinger led to the actor"
    );
    assert_eq!(followed["status"], 202);
    let follow_id = followed["follow"].as_str().unwrap().to_owned();
    eventually(20, "the peer to receive a signed Accept", || async {
        !peer
            .received_where(|r| {
                r["activity"]["type"] == "Accept"
                    && r["activity"]["object"]["id"] == follow_id.as_str()
                    && r["controller"] == blog_id.as_str()
            })
            .await
            .is_empty()
    })
    .await;
    let followers: Vec<String> = ap_followers::table
        .filter(ap_followers::local_actor.eq(&blog_id))
        .select(ap_followers::follower)
        .load(&mut t.db.conn().await)
        .await
        .unwrap();
    assert_eq!(followers, [peer.actor()]);

    // The blog publishes; the peer gets the Create, signed by the blog.
    let note_id = format!("{}/notes/moo", blog_id.trim_end_matches("/actor"));
    let note = json!({
        "id": note_id, "type": "Note", "attributedTo": blog_id, "content": "<p>Hello, bovine</p>",
        "to": [shared::activitypub::PUBLIC], "cc": [blog.followers(&config)],
    });
    let create = outbox::activity(&config, &blog, "Create", note);
    outbox::emit(&mut t.db.conn().await, &create).await.unwrap();
    eventually(20, "the peer to receive the Create", || async {
        !peer
            .received_where(|r| {
                r["activity"]["type"] == "Create"
                    && r["activity"]["object"]["id"] == note_id.as_str()
                    && r["controller"] == blog_id.as_str()
            })
            .await
            .is_empty()
    })
    .await;
    // bovine verifies draft-cavage only: our RFC 9421 first knock was refused, the cavage one
    // taken, and the peer's host is remembered as a cavage host.
    assert_eq!(
        shared::activitypub::knock::remembered(
            &mut t.db.conn().await,
            &format!("peer.localhost:{}", peer.port)
        )
        .await
        .unwrap(),
        Some(shared::activitypub::httpsig::Standard::Cavage)
    );

    // Our member follows the peer's actor (by handle) and the peer accepts.
    let ana = member(&t, "ana").await;
    let session = t.sign_in(AppName::Federation, ana).await;
    let res = t
        .post_form(
            AppName::Federation,
            "/follow",
            &[("handle", &format!("buttercup@peer.localhost:{}", peer.port))],
            Some(&session),
            AppName::Federation,
        )
        .await;
    assert_eq!(res.status, 303, "{}", res.body);
    eventually(20, "the peer's Accept", || async {
        ap_following::table
            .filter(ap_following::remote_actor.eq(peer.actor()))
            .filter(ap_following::state.eq("accepted"))
            .count()
            .get_result::<i64>(&mut t.db.conn().await)
            .await
            .unwrap()
            == 1
    })
    .await;

    // The peer posts; its signed Create lands in our inbox and is processed.
    let published = peer
        .call(
            "/_publish",
            json!({ "content": "<p>Moo from bovine<script>alert(1)</script></p>" }),
        )
        .await;
    assert_eq!(published["statuses"], json!([202]), "our inbox accepted it");
    let create_id = published["create"].as_str().unwrap().to_owned();
    let note_id = published["note"].as_str().unwrap().to_owned();
    eventually(20, "the peer's note to be processed", || async {
        ap_activities::table
            .filter(ap_activities::activity_id.eq(&create_id))
            .filter(ap_activities::status.eq("done"))
            .count()
            .get_result::<i64>(&mut t.db.conn().await)
            .await
            .unwrap()
            == 1
    })
    .await;
    let (content, actor): (String, String) = ap_objects::table
        .filter(ap_objects::id.eq(&note_id))
        .select((ap_objects::content, ap_objects::attributed_to))
        .first(&mut t.db.conn().await)
        .await
        .unwrap();
    assert_eq!(content, "<p>Moo from bovine</p>");
    assert_eq!(actor, peer.actor());
    tokio::time::sleep(Duration::from_millis(200)).await;
    t.stop().await;
}
