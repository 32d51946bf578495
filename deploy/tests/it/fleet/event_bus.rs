//! The fleet's event bus: consumers see every event once, in commit-safe order (an event whose
//! transaction commits late is not skipped), and replicas of a consumer do not both work.

use std::sync::Mutex;

use diesel_async::RunQueryDsl;
use futures_util::FutureExt;
use serde_json::json;
use shared::activitypub::actors::LocalActor;
use shared::activitypub::bus::{self, Subscriptions};
use shared::activitypub::outbox;
use shared::activitypub::store::{self, Activity};
use shared::{AppContext, AppName};

use crate::support::TestFleet;

static SEEN: Mutex<Vec<String>> = Mutex::new(Vec::new());

fn record<'a>(
    _: &'a AppContext,
    event: &'a Activity,
) -> futures_util::future::LocalBoxFuture<'a, Result<(), shared::AppError>> {
    SEEN.lock().unwrap().push(
        event.payload["object"]["name"]
            .as_str()
            .unwrap_or_default()
            .to_owned(),
    );
    async { Ok(()) }.boxed_local()
}

static SUBS: Subscriptions<AppContext> = Subscriptions {
    consumer: "event-bus-test",
    handlers: &[("OrderPaid", record)],
};

async fn emit(conn: &mut diesel_async::AsyncPgConnection, t: &TestFleet, name: &str) {
    emit_kind(conn, t, "OrderPaid", name).await;
}

async fn emit_kind(
    conn: &mut diesel_async::AsyncPgConnection,
    t: &TestFleet,
    kind: &str,
    name: &str,
) {
    let config = t.fleet.ctx(AppName::Cart).config().clone();
    outbox::emit_local(
        conn,
        &config,
        &LocalActor::App(AppName::Cart),
        kind,
        json!({ "name": name }),
    )
    .await
    .unwrap()
    .unwrap();
}

/// Steps until `count` events were seen. The bus reads only below the cluster-wide snapshot
/// xmin, so transactions of other tests (other databases, same server) can hold events back
/// for a moment; they are delayed, never skipped.
async fn drain_until(ctx: &AppContext, count: usize) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while SEEN.lock().unwrap().len() < count && std::time::Instant::now() < deadline {
        if bus::step(ctx, &SUBS).await.unwrap() == 0 {
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    }
}

async fn sql(conn: &mut diesel_async::AsyncPgConnection, q: &str) {
    diesel::sql_query(q).execute(conn).await.unwrap();
}

#[actix_web::test]
async fn consumers_see_each_event_once_even_when_transactions_commit_out_of_order() {
    let t = TestFleet::start().await;
    let ctx = t.fleet.ctx(AppName::Cart).clone();
    emit(&mut t.db.conn().await, &t, "first").await;

    // "slow" takes its id (and transaction id) before "fast", but commits after it.
    let mut slow = t.db.conn().await;
    sql(&mut slow, "BEGIN").await;
    emit(&mut slow, &t, "slow").await;
    emit(&mut t.db.conn().await, &t, "fast").await;
    emit_kind(&mut t.db.conn().await, &t, "OrderShipped", "not-subscribed").await;
    drain_until(&ctx, 1).await;
    while bus::step(&ctx, &SUBS).await.unwrap() > 0 {}
    assert_eq!(
        *SEEN.lock().unwrap(),
        ["first"],
        "nothing past a running transaction"
    );

    sql(&mut slow, "COMMIT").await;
    drain_until(&ctx, 3).await;
    assert_eq!(*SEEN.lock().unwrap(), ["first", "slow", "fast"]);

    // Another replica holding the consumer's lock: this one waits its turn.
    let mut other = t.db.conn().await;
    sql(&mut other, "BEGIN").await;
    assert!(
        store::lock_cursor(&mut other, SUBS.consumer)
            .await
            .unwrap()
            .is_some()
    );
    emit(&mut t.db.conn().await, &t, "later").await;
    assert_eq!(bus::step(&ctx, &SUBS).await.unwrap(), 0);
    sql(&mut other, "ROLLBACK").await;
    drain_until(&ctx, 4).await;
    assert_eq!(*SEEN.lock().unwrap(), ["first", "slow", "fast", "later"]);
    t.stop().await;
}
