//! Reports: a member reports a remote actor (and some of their posts) from the actor's profile;
//! the fleet's instance actor sends a signed `Flag` to the actor's server (object = [actor,
//! posts…], content = the comment), and admins see the report. An unknown actor is a 404, a
//! post by someone else a 400, a form without the CSRF token changes nothing.

use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use openssl::pkey::PKey;
use serde_json::json;
use shared::AppName;
use shared::activitypub::PUBLIC;
use shared::activitypub::actors::LocalActor;
use shared::db::schema::{ap_activities, social_reports};

use super::profile_updates::RemotePeer;
use super::social::{actor, post};
use crate::support::peer::post_signed;
use crate::support::people::{member, person};
use crate::support::{TestFleet, eventually};

async fn counts(t: &TestFleet) -> (i64, i64) {
    let mut conn = t.db.conn().await;
    let reports: i64 = social_reports::table
        .count()
        .get_result(&mut conn)
        .await
        .unwrap();
    let flags: i64 = ap_activities::table
        .filter(ap_activities::kind.eq("Flag"))
        .count()
        .get_result(&mut conn)
        .await
        .unwrap();
    (reports, flags)
}

#[actix_web::test]
async fn a_report_sends_a_signed_flag_from_the_instance_actor_and_admins_see_it() {
    let t = TestFleet::start().await;
    let ann_id = member(&t, "ann").await;
    let ann = t.sign_in(AppName::Federation, ann_id).await;
    let ann_actor = actor(&t, "ann");
    let peer = RemotePeer::start().await;
    let (spammer, spammer_key) = peer.person("spammer");
    let (other, _) = peer.person("other");

    // The spammer mentions ann twice (so both posts are kept).
    let inbox = t.fleet.at(AppName::Federation, "/inbox");
    let mut notes = Vec::new();
    for n in 1..=2 {
        let note = format!("{spammer}/statuses/{n}");
        let create = json!({
            "@context": "https://www.w3.org/ns/activitystreams",
            "id": format!("{note}/activity"), "type": "Create", "actor": spammer,
            "to": [PUBLIC], "cc": [ann_actor],
            "object": {
                "id": note, "type": "Note", "attributedTo": spammer,
                "content": format!("<p>Buy now {n} @ann</p>"),
                "to": [PUBLIC], "cc": [ann_actor],
                "tag": [{"type": "Mention", "href": ann_actor, "name": "@ann"}],
                "published": chrono::Utc::now().to_rfc3339(),
            },
        })
        .to_string();
        let status = post_signed(
            &t.client,
            &inbox,
            create.as_bytes(),
            &spammer_key,
            &format!("{spammer}#main-key"),
            |_| {},
        )
        .await;
        assert!(status < 300, "inbox said {status}");
        notes.push(note);
    }
    eventually(20, "the posts to be stored", || async {
        let stored: i64 = shared::db::schema::ap_objects::table
            .filter(shared::db::schema::ap_objects::attributed_to.eq(&spammer))
            .count()
            .get_result(&mut t.db.conn().await)
            .await
            .unwrap();
        stored == 2
    })
    .await;

    // The profile page offers the form, with their posts to tick.
    let profile = t
        .get(
            AppName::Federation,
            &format!(
                "/remote?{}",
                serde_urlencoded::to_string([("actor", &spammer)]).unwrap()
            ),
            Some(&ann),
        )
        .await;
    assert_eq!(profile.status, 200, "{}", profile.body);
    assert!(profile.body.contains("action=\"/social/report\""));
    assert!(profile.body.contains(&format!("value=\"{}\"", notes[0])));

    // Not signed in with the CSRF token (a form from another site): refused, nothing stored.
    let form = [
        ("actor", spammer.as_str()),
        ("status", notes[0].as_str()),
        ("comment", "forged"),
    ];
    let forged = t
        .post_form(
            AppName::Federation,
            "/social/report",
            &form,
            Some(&ann),
            AppName::Blog,
        )
        .await;
    assert_eq!(forged.status, 403);
    assert_eq!(counts(&t).await, (0, 0));
    // An actor we do not know: 404; a post that is not theirs: 400; nothing stored.
    let unknown = format!("{}/users/nobody", peer.base);
    assert_eq!(
        post(
            &t,
            &ann,
            "/social/report",
            &[("actor", &unknown), ("comment", "who?")]
        )
        .await,
        404
    );
    assert_eq!(
        post(
            &t,
            &ann,
            "/social/report",
            &[("actor", &other), ("comment", "x")]
        )
        .await,
        404,
        "an actor no one here has looked at is unknown too"
    );
    let _ = t
        .get(
            AppName::Federation,
            &format!(
                "/remote?{}",
                serde_urlencoded::to_string([("actor", &other)]).unwrap()
            ),
            Some(&ann),
        )
        .await;
    assert_eq!(
        post(
            &t,
            &ann,
            "/social/report",
            &[("actor", &other), ("status", &notes[0]), ("comment", "x")]
        )
        .await,
        400
    );
    assert_eq!(
        post(
            &t,
            &ann,
            "/social/report",
            &[("actor", &spammer), ("comment", &"x".repeat(1001))]
        )
        .await,
        400
    );
    assert_eq!(counts(&t).await, (0, 0));

    // The report: both posts and a comment.
    let comment = "Spam <b>links</b> & \"offers\"";
    let status = post(
        &t,
        &ann,
        "/social/report",
        &[
            ("actor", &spammer),
            ("status", &notes[0]),
            ("status", &notes[1]),
            ("comment", comment),
            ("back", "/remote?actor=x"),
        ],
    )
    .await;
    assert_eq!(status, 303);
    assert_eq!(counts(&t).await, (1, 1));
    eventually(20, "the Flag to reach the peer", || async {
        peer.received("Flag").len() == 1
    })
    .await;
    let got = &peer.received("Flag")[0];
    // To the actor's server's shared inbox, signed by the instance actor (not ann).
    assert_eq!(got.path, "/inbox");
    let ctx = t.fleet.ctx(AppName::Federation);
    let instance = LocalActor::App(AppName::Federation);
    let key = ctx.activitypub().key_of(&instance).await.unwrap();
    let public = PKey::public_key_from_pem(key.public_pem.as_bytes()).unwrap();
    assert!(got.signed_by(&instance.key_id(ctx.config()), &public));
    let flag = &got.body;
    assert_eq!(flag["type"], "Flag");
    assert_eq!(flag["actor"], instance.id(ctx.config()));
    assert_eq!(flag["object"], json!([spammer, notes[0], notes[1]]));
    assert_eq!(flag["content"], comment);
    assert!(
        !flag.to_string().contains(&ann_actor),
        "the reporter stays unnamed"
    );

    // Admins see it; members may not look.
    let root_id = person(&t, "root", "admin").await;
    let root = t.sign_in(AppName::Federation, root_id).await;
    let list = t
        .get(AppName::Federation, "/admin/reports", Some(&root))
        .await;
    assert_eq!(list.status, 200, "{}", list.body);
    assert!(list.body.contains("@ann"));
    assert!(list.body.contains(&spammer));
    assert!(list.body.contains(&notes[1]));
    assert!(
        list.body.contains("Spam &lt;b&gt;links&lt;&#x2F;b&gt;")
            || list.body.contains("Spam &lt;b&gt;links&lt;/b&gt;")
    );
    assert!(!list.body.contains("<b>links</b>"));
    let refused = t
        .get(AppName::Federation, "/admin/reports", Some(&ann))
        .await;
    assert_eq!(refused.status, 403);
    peer.stop().await;
}
