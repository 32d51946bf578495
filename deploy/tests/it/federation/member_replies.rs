//! A member's reply, from the social hub, to one of the blog's posts becomes a comment on it
//! (awaiting moderation), as a reply from the fediverse does; edits and deletes follow it, and a
//! followers-only reply stays among those it went to.

use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use reqwest::Method;
use serde_json::json;
use shared::AppName;
use shared::db::schema::{ap_activities, ap_objects, post_comments};

use super::social::{actor, post};
use crate::support::people::{api, member, person};
use crate::support::{TestFleet, eventually};

/// The comments the blog holds: (object id, actor, author name, html).
async fn comments(t: &TestFleet) -> Vec<(String, String, String, String)> {
    post_comments::table
        .order(post_comments::id)
        .select((
            post_comments::object_id,
            post_comments::actor_id,
            post_comments::author_name,
            post_comments::html,
        ))
        .load(&mut t.db.conn().await)
        .await
        .unwrap()
}

/// A member's newest post: (place, id).
async fn newest(t: &TestFleet, actor: &str) -> (i64, String) {
    ap_objects::table
        .filter(ap_objects::attributed_to.eq(actor))
        .order(ap_objects::seq.desc())
        .select((ap_objects::seq, ap_objects::id))
        .first(&mut t.db.conn().await)
        .await
        .unwrap()
}

#[actix_web::test]
async fn a_members_reply_to_a_blog_post_becomes_a_comment_there() {
    let t = TestFleet::start().await;
    let editor = t
        .sign_in(AppName::Blog, person(&t, "eve", "editor").await)
        .await;
    let body = json!({"title": "Blossom week", "markdown": "The pears are out.", "tags": [], "excerpt": "", "status": "published"});
    let (status, _) = api(
        &t,
        Method::POST,
        "/editor/api/posts",
        Some(&body),
        Some(&editor),
    )
    .await;
    assert_eq!(status, 201);
    let object_id: String = ap_activities::table
        .filter(ap_activities::direction.eq("outbound"))
        .filter(ap_activities::kind.eq("Create"))
        .select(ap_activities::object_id.assume_not_null())
        .first(&mut t.db.conn().await)
        .await
        .unwrap();
    // The blog's post reaches the social hub (the processor keeps the apps' posts).
    eventually(15, "the blog's post in the social hub", || async {
        ap_objects::table
            .find(&object_id)
            .count()
            .get_result::<i64>(&mut t.db.conn().await)
            .await
            .unwrap()
            == 1
    })
    .await;
    let blog_seq: i64 = ap_objects::table
        .find(&object_id)
        .select(ap_objects::seq)
        .first(&mut t.db.conn().await)
        .await
        .unwrap();

    let ann_id = member(&t, "ann").await;
    let ann = t.sign_in(AppName::Federation, ann_id).await;
    let ann_actor = actor(&t, "ann");
    let parent = blog_seq.to_string();
    // A followers-only reply first: it must never become a (public) comment.
    assert_eq!(
        post(
            &t,
            &ann,
            "/statuses",
            &[
                ("text", "Only for my followers"),
                ("visibility", "followers"),
                ("in_reply_to", &parent)
            ],
        )
        .await,
        303
    );
    assert_eq!(
        post(
            &t,
            &ann,
            "/statuses",
            &[
                ("text", "What a lovely <b>orchard</b>"),
                ("visibility", "public"),
                ("in_reply_to", &parent)
            ],
        )
        .await,
        303
    );
    let (reply_seq, reply_id) = newest(&t, &ann_actor).await;
    eventually(15, "the reply as a comment awaiting moderation", || async {
        !comments(&t).await.is_empty()
    })
    .await;
    let held = comments(&t).await;
    assert_eq!(held.len(), 1, "{held:?}");
    let (object, actor_id, name, html) = &held[0];
    assert_eq!(object, &reply_id);
    assert_eq!(actor_id, &ann_actor);
    assert_eq!(name, "ann");
    assert!(
        html.contains("What a lovely &lt;b&gt;orchard&lt;/b&gt;"),
        "{html}"
    );
    let moderation = t.get(AppName::Blog, "/admin/comments", Some(&editor)).await;
    assert!(moderation.body.contains("What a lovely"));
    assert!(!moderation.body.contains("Only for my followers"));

    // An edit changes the comment; a delete removes it.
    assert_eq!(
        post(
            &t,
            &ann,
            &format!("/statuses/{reply_seq}/edit"),
            &[("text", "What a lovely orchard, edited")],
        )
        .await,
        303
    );
    eventually(15, "the comment edited", || async {
        comments(&t)
            .await
            .into_iter()
            .next()
            .is_some_and(|c| c.3.contains("edited"))
    })
    .await;
    assert_eq!(
        post(&t, &ann, &format!("/statuses/{reply_seq}/delete"), &[]).await,
        303
    );
    eventually(15, "the comment gone", || async {
        comments(&t).await.is_empty()
    })
    .await;
    t.stop().await;
}
