//! Two of our fleets talking as Mastodon peers through the social hub's forms: a member of one
//! follows a member of the other by handle (waiting for approval when they approve followers),
//! sees their followers-only post (and no public timeline does), replies with a mention, likes
//! and boosts, sees edits and deletes, and unfollows with `Undo{Follow}`; a block ends it.

use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use shared::AppName;
use shared::db::schema::{ap_followers, ap_following, ap_reactions};
use shared::db::schema::{ap_objects, social_notifications};

use super::social::{actor, post};
use crate::support::people::member;
use crate::support::{TestFleet, eventually};

fn handle(t: &TestFleet, name: &str) -> String {
    let url = t.fleet.url(AppName::Federation);
    format!("{name}@{}:{}", url.host_str().unwrap(), url.port().unwrap())
}

async fn following_state(t: &TestFleet, who: &str, whom: &str) -> Option<String> {
    ap_following::table
        .find((who, whom))
        .select(ap_following::state)
        .first(&mut t.db.conn().await)
        .await
        .optional()
        .unwrap()
}

async fn has_notification(t: &TestFleet, user: i64, kind: &str, from: &str) -> bool {
    social_notifications::table
        .filter(social_notifications::user_id.eq(user))
        .filter(social_notifications::kind.eq(kind))
        .filter(social_notifications::actor.eq(from))
        .count()
        .get_result::<i64>(&mut t.db.conn().await)
        .await
        .unwrap()
        == 1
}

#[actix_web::test]
async fn members_of_two_fleets_follow_post_reply_react_edit_delete_and_block() {
    let a = TestFleet::start().await;
    let b = TestFleet::start().await;
    let ann_id = member(&a, "ann").await;
    let bea_id = member(&b, "bea").await;
    let ann = a.sign_in(AppName::Federation, ann_id).await;
    let bea = b.sign_in(AppName::Federation, bea_id).await;
    let (ann_actor, bea_actor) = (actor(&a, "ann"), actor(&b, "bea"));

    // Bea approves followers: her actor says so (Mastodon shows a lock), and ann's follow (by
    // handle, from the UI) waits for her.
    let locked = || async {
        let doc: serde_json::Value = shared::testing::http_client()
            .get(&bea_actor)
            .header("accept", "application/activity+json")
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        doc["manuallyApprovesFollowers"].clone()
    };
    assert_eq!(locked().await, serde_json::json!(false));
    assert_eq!(
        post(&b, &bea, "/social/settings", &[("locked", "1")]).await,
        303
    );
    assert_eq!(locked().await, serde_json::json!(true));
    assert_eq!(
        post(&a, &ann, "/social/follow", &[("actor", &handle(&b, "bea"))]).await,
        303
    );
    eventually(15, "bea to get ann's request", || async {
        has_notification(&b, bea_id, "follow_request", &ann_actor).await
    })
    .await;
    assert_eq!(
        following_state(&a, &ann_actor, &bea_actor).await.as_deref(),
        Some("pending")
    );
    let requests = b.get(AppName::Federation, "/follows", Some(&bea)).await;
    assert!(
        requests.body.contains("Follow requests"),
        "{}",
        requests.body
    );
    assert_eq!(
        post(
            &b,
            &bea,
            "/social/followers/accept",
            &[("actor", &ann_actor)]
        )
        .await,
        303
    );
    eventually(15, "ann's follow to be accepted", || async {
        following_state(&a, &ann_actor, &bea_actor).await.as_deref() == Some("accepted")
    })
    .await;

    // Bea's followers-only post reaches ann's home, and no public timeline.
    assert_eq!(
        post(
            &b,
            &bea,
            "/statuses",
            &[("text", "Only for followers"), ("visibility", "followers")]
        )
        .await,
        303
    );
    eventually(15, "bea's post in ann's home", || async {
        a.get(AppName::Federation, "/home", Some(&ann))
            .await
            .body
            .contains("Only for followers")
    })
    .await;
    for path in ["/public", "/public/local"] {
        assert!(
            !a.get(AppName::Federation, path, Some(&ann))
                .await
                .body
                .contains("Only for followers")
        );
    }
    let (seq, object_id): (i64, String) = ap_objects::table
        .filter(ap_objects::attributed_to.eq(&bea_actor))
        .select((ap_objects::seq, ap_objects::id))
        .first(&mut a.db.conn().await)
        .await
        .unwrap();
    assert_eq!(
        a.get(AppName::Federation, &format!("/statuses/{seq}"), None)
            .await
            .status,
        404
    );

    // Ann replies with a mention; bea is told. Ann likes it; bea is told once.
    let reply = format!("@{} lovely", handle(&b, "bea"));
    assert_eq!(
        post(
            &a,
            &ann,
            "/statuses",
            &[
                ("text", &reply),
                ("visibility", "followers"),
                ("in_reply_to", &seq.to_string())
            ]
        )
        .await,
        303
    );
    eventually(15, "bea's reply notification", || async {
        has_notification(&b, bea_id, "reply", &ann_actor).await
    })
    .await;
    for _ in 0..2 {
        assert_eq!(
            post(&a, &ann, &format!("/statuses/{seq}/favourite"), &[]).await,
            303
        );
    }
    eventually(15, "bea's like notification", || async {
        has_notification(&b, bea_id, "favourite", &ann_actor).await
    })
    .await;
    let likes: i64 = ap_reactions::table
        .filter(ap_reactions::object_id.eq(&object_id))
        .count()
        .get_result(&mut b.db.conn().await)
        .await
        .unwrap();
    assert_eq!(likes, 1);
    assert_eq!(
        post(&a, &ann, &format!("/statuses/{seq}/unfavourite"), &[]).await,
        303
    );
    eventually(15, "the like to be undone at bea's", || async {
        ap_reactions::table
            .filter(ap_reactions::object_id.eq(&object_id))
            .count()
            .get_result::<i64>(&mut b.db.conn().await)
            .await
            .unwrap()
            == 0
    })
    .await;

    // Bea edits; ann sees the edit. Bea deletes; ann sees it gone.
    let (bea_seq, _): (i64, String) = ap_objects::table
        .filter(ap_objects::id.eq(&object_id))
        .select((ap_objects::seq, ap_objects::id))
        .first(&mut b.db.conn().await)
        .await
        .unwrap();
    assert_eq!(
        post(
            &b,
            &bea,
            &format!("/statuses/{bea_seq}/edit"),
            &[("text", "Edited for followers")]
        )
        .await,
        303
    );
    eventually(15, "the edit at ann's", || async {
        a.get(AppName::Federation, "/home", Some(&ann))
            .await
            .body
            .contains("Edited for followers")
    })
    .await;
    assert_eq!(
        post(&b, &bea, &format!("/statuses/{bea_seq}/delete"), &[]).await,
        303
    );
    eventually(15, "the delete at ann's", || async {
        !a.get(AppName::Federation, "/home", Some(&ann))
            .await
            .body
            .contains("Edited for followers")
    })
    .await;

    // Unfollow sends Undo{Follow}: bea no longer has ann as a follower.
    assert_eq!(
        post(&a, &ann, "/social/unfollow", &[("actor", &bea_actor)]).await,
        303
    );
    eventually(15, "the Undo{Follow} at bea's", || async {
        ap_followers::table
            .filter(ap_followers::follower.eq(&ann_actor))
            .count()
            .get_result::<i64>(&mut b.db.conn().await)
            .await
            .unwrap()
            == 0
    })
    .await;

    // Bea's block: ann's follow is refused (Reject) and nothing of ann's reaches bea.
    assert_eq!(
        post(
            &b,
            &bea,
            "/social/filters",
            &[
                ("kind", "block"),
                ("target_kind", "actor"),
                ("target", &ann_actor)
            ]
        )
        .await,
        303
    );
    assert_eq!(
        post(&a, &ann, "/social/follow", &[("actor", &bea_actor)]).await,
        303
    );
    eventually(15, "the Reject at ann's", || async {
        following_state(&a, &ann_actor, &bea_actor).await.is_none()
    })
    .await;
    let followers: i64 = ap_followers::table
        .count()
        .get_result(&mut b.db.conn().await)
        .await
        .unwrap();
    assert_eq!(followers, 0);
    a.stop().await;
    b.stop().await;
}
