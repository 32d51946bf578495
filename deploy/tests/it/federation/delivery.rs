//! The delivery queue under failure: a peer that is down gets the activity when it comes back,
//! a gone peer goes to the dead letter without retries, and restarting the federation service
//! (or losing a worker that held claims) mid-queue loses nothing and sends nothing twice.

use std::time::Duration;

use deploy::inbox_sink::InboxSink;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use federation::db::{deliveries, follows};
use serde_json::json;
use shared::AppName;
use shared::activitypub::actors::LocalActor;
use shared::activitypub::outbox;
use shared::db::schema::ap_deliveries;

use crate::support::TestFleet;
use crate::support::eventually;

/// `per_host` followers of the blog on each of `hosts` (all sharing their host's inbox).
async fn followers_on(t: &TestFleet, sink: &InboxSink, hosts: &[String], per_host: usize) {
    let config = t.fleet.ctx(AppName::Blog).config().clone();
    let blog = LocalActor::App(AppName::Blog).id(&config);
    let mut conn = t.db.conn().await;
    for host in hosts {
        for n in 0..per_host {
            let actor = format!("http://{host}:{}/users/u{n}", sink.port());
            follows::add_follower(
                &mut conn,
                &blog,
                &actor,
                &format!("{actor}/inbox"),
                Some(&sink.inbox(host)),
                &format!("{actor}#follow"),
                "accepted",
            )
            .await
            .unwrap();
        }
    }
}

/// The blog publishes a note; returns the Create's id.
async fn publish(t: &TestFleet, n: usize) -> String {
    let config = t.fleet.ctx(AppName::Blog).config().clone();
    let blog = LocalActor::App(AppName::Blog);
    let note = json!({
        "id": format!("{}/notes/{n}", blog.id(&config).trim_end_matches("/actor")),
        "type": "Note", "attributedTo": blog.id(&config), "content": format!("<p>Note {n}</p>"),
        "to": [shared::activitypub::PUBLIC], "cc": [blog.followers(&config)],
    });
    let create = outbox::activity(&config, &blog, "Create", note);
    outbox::emit(&mut t.db.conn().await, &create)
        .await
        .unwrap()
        .unwrap();
    create["id"].as_str().unwrap().to_owned()
}

async fn deliveries(t: &TestFleet, status: &str) -> i64 {
    ap_deliveries::table
        .filter(ap_deliveries::status.eq(status))
        .count()
        .get_result(&mut t.db.conn().await)
        .await
        .unwrap()
}

/// Makes every pending retry due now (instead of waiting out the backoff).
async fn time_travel(t: &TestFleet) {
    let mut conn = t.db.conn().await;
    for sql in [
        "UPDATE ap_deliveries SET next_attempt_at = now() WHERE status = 'pending'",
        "NOTIFY ap_deliveries",
    ] {
        diesel::sql_query(sql).execute(&mut conn).await.unwrap();
    }
}

#[actix_web::test]
async fn a_peer_that_is_down_gets_the_activity_when_it_comes_back() {
    let t = TestFleet::start().await;
    let mut down = InboxSink::start(0).unwrap();
    down.pause();
    let gone = InboxSink::start(0).unwrap();
    gone.answer(410);
    let hosts = ["p1.localhost".to_owned(), "p2.localhost".to_owned()];
    followers_on(&t, &down, &hosts, 2).await;
    followers_on(&t, &gone, &["g1.localhost".to_owned()], 1).await;

    let id = publish(&t, 1).await;
    eventually(15, "the first attempts", || async {
        let rows: Vec<(String, i32, Option<String>)> = ap_deliveries::table
            .select((
                ap_deliveries::status,
                ap_deliveries::attempts,
                ap_deliveries::last_error,
            ))
            .load(&mut t.db.conn().await)
            .await
            .unwrap();
        rows.len() == 3
            && rows.iter().filter(|r| r.0 == "dead").count() == 1
            && rows
                .iter()
                .filter(|r| r.0 == "pending" && r.1 == 1 && r.2.is_some())
                .count()
                == 2
    })
    .await;
    // A 410 is final: one attempt, then the dead letter.
    let dead: (i32, Option<i32>) = ap_deliveries::table
        .filter(ap_deliveries::status.eq("dead"))
        .select((ap_deliveries::attempts, ap_deliveries::last_status))
        .first(&mut t.db.conn().await)
        .await
        .unwrap();
    assert_eq!(dead, (1, Some(410)));
    // The retry is scheduled with backoff, not immediately.
    let next: chrono::DateTime<chrono::Utc> = ap_deliveries::table
        .filter(ap_deliveries::status.eq("pending"))
        .select(diesel::dsl::min(ap_deliveries::next_attempt_at))
        .first::<Option<_>>(&mut t.db.conn().await)
        .await
        .unwrap()
        .unwrap();
    assert!(next > chrono::Utc::now() + chrono::Duration::seconds(10));
    // Operators see the queue on federation's /metrics.
    let metrics = t.get(AppName::Federation, "/metrics", None).await.body;
    assert!(
        metrics.contains("\nactivitypub_deliveries_pending 2\n"),
        "{metrics}"
    );
    assert!(metrics.contains("\nactivitypub_deliveries_dead 1\n"));

    // The peer comes back; the retry comes due.
    down.resume().unwrap();
    time_travel(&t).await;
    eventually(15, "the retries to land", || async {
        deliveries(&t, "delivered").await == 2
    })
    .await;
    for host in &hosts {
        assert_eq!(down.received(host, &id), 1, "{host} got it once");
    }
    assert_eq!(down.totals(), (2, 2));
    assert_eq!(down.unsigned(), 0, "every delivery is signed");
    let attempts: Vec<i32> = ap_deliveries::table
        .filter(ap_deliveries::status.eq("delivered"))
        .select(ap_deliveries::attempts)
        .load(&mut t.db.conn().await)
        .await
        .unwrap();
    assert_eq!(attempts, vec![2, 2]);
    t.stop().await;
}

#[actix_web::test]
async fn restarting_mid_queue_loses_nothing_and_sends_nothing_twice() {
    let mut t = TestFleet::start().await;
    let sink = InboxSink::start(0).unwrap();
    sink.delay(Duration::from_millis(150));
    let hosts: Vec<String> = (1..=40).map(|n| format!("h{n}.localhost")).collect();
    followers_on(&t, &sink, &hosts, 2).await;

    // With the workers stopped, five notes are published and fanned out by hand: 200 deliveries.
    t.fleet.stop_workers(AppName::Federation).await;
    let mut ids = Vec::new();
    for n in 0..5 {
        ids.push(publish(&t, n).await);
    }
    let ctx = t.fleet.ctx(AppName::Federation).clone();
    while federation::ap::processor::process_batch(&ctx)
        .await
        .unwrap()
        > 0
    {}
    assert_eq!(deliveries(&t, "pending").await, 200);

    // A worker on another replica claims 20 and dies holding them.
    let lost = deliveries::claim_deliveries(&mut t.db.conn().await, 20, 600)
        .await
        .unwrap();
    assert_eq!(lost.len(), 20);

    // The service starts, works a while, and is restarted in the middle of the queue.
    t.fleet.restart_workers(AppName::Federation).await.unwrap();
    eventually(30, "some deliveries", || async {
        deliveries(&t, "delivered").await >= 30
    })
    .await;
    t.fleet.stop_workers(AppName::Federation).await;
    let done = deliveries(&t, "delivered").await;
    let left = deliveries(&t, "pending").await;
    assert!(
        done < 180 && done + left == 200,
        "{done} delivered, {left} left"
    );
    assert_eq!(
        sink.totals(),
        (done as usize, done as u64),
        "no repeats so far"
    );
    t.fleet.restart_workers(AppName::Federation).await.unwrap();
    eventually(30, "the rest but the lost claims", || async {
        deliveries(&t, "delivered").await == 180
    })
    .await;

    // The dead worker's lease runs out (here: at once), and its claims come back.
    time_travel(&t).await;
    eventually(30, "everything", || async {
        deliveries(&t, "delivered").await == 200
    })
    .await;
    assert_eq!(sink.totals(), (200, 200), "every host got every note once");
    for host in &hosts {
        for id in &ids {
            assert_eq!(sink.received(host, id), 1);
        }
    }
    t.stop().await;
}
