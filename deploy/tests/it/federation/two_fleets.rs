//! Federation for real: two fleets (two databases, two sets of ports) following and delivering
//! to each other through their processors and delivery queues.

use std::time::Duration;

use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use serde_json::json;
use shared::AppName;
use shared::activitypub::actors::LocalActor;
use shared::activitypub::outbox;
use shared::db::schema::{ap_activities, ap_deliveries, ap_following, ap_objects};

use crate::support::people::member;
use crate::support::{TestFleet, eventually};

async fn count<T>(t: &TestFleet, query: T) -> i64
where
    T: diesel_async::methods::LoadQuery<'static, diesel_async::AsyncPgConnection, i64>
        + Send
        + 'static,
{
    let mut conn = t.db.conn().await;
    query.get_result(&mut conn).await.unwrap()
}

fn handle(t: &TestFleet, app: AppName) -> String {
    let url = t.fleet.url(app);
    format!(
        "{}@{}:{}",
        app.as_str(),
        url.host_str().unwrap(),
        url.port().unwrap()
    )
}

#[actix_web::test]
async fn two_fleets_follow_and_deliver_once_without_echoes() {
    let a = TestFleet::start().await;
    let b = TestFleet::start().await;
    let bea = member(&b, "bea").await;

    // B's member follows A's blog, through B's federation (the form a member would use).
    let session = b.sign_in(AppName::Federation, bea).await;
    let followed = b
        .post_form(
            AppName::Federation,
            "/follow",
            &[("handle", &handle(&a, AppName::Blog))],
            Some(&session),
            AppName::Federation,
        )
        .await;
    assert_eq!(followed.status, 303, "{}", followed.body);
    eventually(15, "B's follow to be accepted", || async {
        count(
            &b,
            ap_following::table
                .filter(ap_following::state.eq("accepted"))
                .count(),
        )
        .await
            == 1
    })
    .await;

    // A's blog publishes a note (through its outbox, as domain code does).
    let config = a.fleet.ctx(AppName::Blog).config().clone();
    let blog = LocalActor::App(AppName::Blog);
    let note_id = format!("{}/notes/1", blog.id(&config).trim_end_matches("/actor"));
    let note = json!({
        "id": note_id, "type": "Note", "attributedTo": blog.id(&config),
        "content": "<p>Hello, fediverse<script>alert(1)</script></p>", "published": chrono::Utc::now().to_rfc3339(),
        "to": [shared::activitypub::PUBLIC], "cc": [blog.followers(&config)],
    });
    let create = outbox::activity(&config, &blog, "Create", note);
    outbox::emit(&mut a.db.conn().await, &create).await.unwrap();
    eventually(15, "B to store A's note", || async {
        count(&b, ap_objects::table.count()).await == 1
    })
    .await;
    let stored: String = ap_objects::table
        .select(ap_objects::content)
        .first(&mut b.db.conn().await)
        .await
        .unwrap();
    assert_eq!(
        stored, "<p>Hello, fediverse</p>",
        "remote HTML is sanitized"
    );

    // Let anything that would echo back have time to.
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(
        count(&a, ap_deliveries::table.count()).await,
        2,
        "A sent exactly the Accept and the Create"
    );
    assert_eq!(
        count(
            &a,
            ap_deliveries::table
                .filter(ap_deliveries::status.eq("delivered"))
                .count()
        )
        .await,
        2
    );
    assert_eq!(
        count(&b, ap_deliveries::table.count()).await,
        1,
        "B sent exactly the Follow"
    );
    assert_eq!(
        count(
            &b,
            ap_deliveries::table
                .filter(ap_deliveries::status.eq("delivered"))
                .count()
        )
        .await,
        1
    );
    assert_eq!(
        count(
            &a,
            ap_activities::table
                .filter(ap_activities::direction.eq("inbound"))
                .count()
        )
        .await,
        1,
        "A received the Follow only"
    );
    assert_eq!(
        count(
            &b,
            ap_activities::table
                .filter(ap_activities::direction.eq("inbound"))
                .count()
        )
        .await,
        2,
        "B received the Accept and the Create, once each"
    );
    // And A's followers collection shows B's member.
    let followers: serde_json::Value = a
        .client
        .get(a.fleet.at(AppName::Blog, "/actor/followers?page=1"))
        .header("accept", "application/activity+json")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        followers["orderedItems"],
        json!([b.fleet.at(AppName::Federation, "/users/bea")])
    );
    a.stop().await;
    b.stop().await;
}
