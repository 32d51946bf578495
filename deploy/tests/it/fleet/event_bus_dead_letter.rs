//! The event bus's dead letter and typed events: an event whose handler keeps failing goes to the
//! dead letter after its retries (the consumer goes on with later events, and later events about
//! the same object wait behind it), shows on federation's /metrics and /admin, and an admin's
//! retry runs it through the consumer exactly once. Typed events round-trip through the bus and
//! are published in the producer's transaction.

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

use diesel_async::{AsyncConnection, AsyncPgConnection};
use federation::db::users;
use futures_util::FutureExt;
use futures_util::future::LocalBoxFuture;
use serde_json::json;
use shared::activitypub::actors::LocalActor;
use shared::activitypub::bus::{self, Subscriptions, dead_letter};
use shared::activitypub::outbox;
use shared::activitypub::store::Activity;
use shared::contracts::events::{BusEvent, Reply};
use shared::models::users::NewUser;
use shared::{AppContext, AppError, AppName};

use crate::support::TestFleet;

async fn member(t: &TestFleet, username: &str, role: &str) -> i64 {
    let mut conn = t.db.conn().await;
    users::insert(
        &mut conn,
        &NewUser {
            username,
            email: &format!("{username}@example.org"),
            display_name: username,
            avatar_url: None,
            bio: "",
            role,
        },
    )
    .await
    .unwrap()
    .id
}

async fn emit(t: &TestFleet, kind: &str, object: &str, name: &str) {
    let config = t.fleet.ctx(AppName::Cart).config().clone();
    outbox::emit_local(
        &mut t.db.conn().await,
        &config,
        &LocalActor::App(AppName::Cart),
        kind,
        json!({ "id": object, "name": name }),
    )
    .await
    .unwrap()
    .unwrap();
}

fn name(event: &Activity) -> String {
    event.payload["object"]["name"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

/// Steps `subs` until `done` holds (the bus reads only below the cluster-wide xmin, so other
/// tests' transactions can hold events back for a moment).
async fn drain_until(
    ctx: &AppContext,
    subs: &'static Subscriptions<AppContext>,
    done: impl Fn() -> bool,
) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while !done() {
        assert!(std::time::Instant::now() < deadline, "timed out");
        if bus::step(ctx, subs).await.unwrap() == 0 {
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    }
}

async fn letters(t: &TestFleet, consumer: &str) -> Vec<dead_letter::DeadLetter> {
    let mut all = dead_letter::list(&mut t.db.conn().await, 100)
        .await
        .unwrap();
    all.retain(|l| l.consumer == consumer);
    all.reverse(); // oldest first
    all
}

// ---------------------------------------------------------------- a failing consumer

/// Every run of the handler, by event name; "a" fails while `BROKEN` is set.
static RUNS: Mutex<Vec<String>> = Mutex::new(Vec::new());
static BROKEN: AtomicBool = AtomicBool::new(true);

fn flaky<'a>(_: &'a AppContext, event: &'a Activity) -> LocalBoxFuture<'a, Result<(), AppError>> {
    let name = name(event);
    RUNS.lock().unwrap().push(name.clone());
    let result = if name == "a" && BROKEN.load(Ordering::SeqCst) {
        Err(AppError::internal("the consumer's store is down"))
    } else {
        Ok(())
    };
    async move { result }.boxed_local()
}

static FLAKY: Subscriptions<AppContext> = Subscriptions {
    consumer: "dead-letter-test",
    handlers: &[("DeadLetterProbe", flaky)],
};

fn runs_of(name: &str) -> usize {
    RUNS.lock().unwrap().iter().filter(|n| *n == name).count()
}

#[actix_web::test]
async fn a_failing_event_goes_to_the_dead_letter_and_an_admin_retry_runs_it_once() {
    let t = TestFleet::start().await;
    let ctx = t.fleet.ctx(AppName::Cart).clone();
    let admin = member(&t, "root", "admin").await;
    let editor = member(&t, "ed", "editor").await;
    emit(&t, "DeadLetterProbe", "urn:test:a", "a").await;
    emit(&t, "DeadLetterProbe", "urn:test:b", "b").await;

    // "a" is tried MAX_ATTEMPTS times, then dead-lettered; the consumer goes on with "b".
    drain_until(&ctx, &FLAKY, || runs_of("b") == 1).await;
    assert_eq!(runs_of("a"), bus::MAX_ATTEMPTS as usize);
    let dead = letters(&t, FLAKY.consumer).await;
    assert_eq!(dead.len(), 1, "{dead:?}");
    assert_eq!(dead[0].kind, "DeadLetterProbe");
    assert_eq!(dead[0].object_id.as_deref(), Some("urn:test:a"));
    assert_eq!(dead[0].attempts, bus::MAX_ATTEMPTS as i32);
    assert_eq!(dead[0].status, "dead");
    assert!(dead[0].last_error.contains("store is down"));
    // Nothing runs it again by itself.
    while bus::step(&ctx, &FLAKY).await.unwrap() > 0 {}
    assert_eq!(runs_of("a"), bus::MAX_ATTEMPTS as usize);

    // Operators see it counted on federation's /metrics...
    let gauge = format!(
        "event_bus_dead_letters{{consumer=\"{}\"}} 1",
        FLAKY.consumer
    );
    let metrics = t.get(AppName::Federation, "/metrics", None).await.body;
    assert!(metrics.contains(&gauge), "{metrics}");

    // ...and administrators on /admin, with a retry form carrying the CSRF token.
    let session = t.sign_in(AppName::Federation, admin).await;
    let page = t.get(AppName::Federation, "/admin", Some(&session)).await;
    assert_eq!(page.status, 200);
    let action = format!("/admin/events/{}/retry", dead[0].id);
    assert!(page.body.contains(&action), "{}", page.body);
    assert!(page.body.contains("store is down"), "{}", page.body);
    let form = &page.body[page.body.find(&action).unwrap()..];
    let form = &form[..form.find("</form>").unwrap()];
    assert!(
        form.contains(&format!("value=\"{}\"", session.csrf)),
        "{form}"
    );

    // Nobody else can retry: not an editor, not a page of another app, not a request without
    // the token.
    let editor_session = t.sign_in(AppName::Federation, editor).await;
    let by_editor = t
        .post_form(
            AppName::Federation,
            &action,
            &[],
            Some(&editor_session),
            AppName::Federation,
        )
        .await;
    assert_eq!(by_editor.status, 403);
    let forged = t
        .post_form(
            AppName::Federation,
            &action,
            &[],
            Some(&session),
            AppName::Blog,
        )
        .await;
    assert_eq!(forged.status, 403);
    let unknown = t
        .post_form(
            AppName::Federation,
            "/admin/events/999999/retry",
            &[],
            Some(&session),
            AppName::Federation,
        )
        .await;
    assert_eq!(unknown.status, 404);
    let not_a_number = t
        .post_form(
            AppName::Federation,
            "/admin/events/x'/retry",
            &[],
            Some(&session),
            AppName::Federation,
        )
        .await;
    assert!(
        not_a_number.status.is_client_error(),
        "{}",
        not_a_number.status
    );
    assert_eq!(
        letters(&t, FLAKY.consumer).await[0].status,
        "dead",
        "nothing changed"
    );

    // The consumer works again; the admin retries; it runs exactly once and leaves the letter.
    BROKEN.store(false, Ordering::SeqCst);
    let retry = t
        .post_form(
            AppName::Federation,
            &action,
            &[],
            Some(&session),
            AppName::Federation,
        )
        .await;
    assert_eq!(retry.status, 303, "{}", retry.body);
    assert_eq!(retry.headers["location"], "/admin");
    let again = t
        .post_form(
            AppName::Federation,
            &action,
            &[],
            Some(&session),
            AppName::Federation,
        )
        .await;
    assert_eq!(again.status, 404, "a queued letter is not queued twice");
    drain_until(&ctx, &FLAKY, || runs_of("a") > bus::MAX_ATTEMPTS as usize).await;
    while bus::step(&ctx, &FLAKY).await.unwrap() > 0 {}
    assert_eq!(runs_of("a"), bus::MAX_ATTEMPTS as usize + 1);
    assert_eq!(runs_of("b"), 1);
    assert!(letters(&t, FLAKY.consumer).await.is_empty());
    let metrics = t.get(AppName::Federation, "/metrics", None).await.body;
    assert!(!metrics.contains(&gauge), "{metrics}");
    t.stop().await;
}

// ---------------------------------------------------------------- order per object

static SEEN: Mutex<Vec<String>> = Mutex::new(Vec::new());
static FIRST_FAILS: AtomicBool = AtomicBool::new(true);

fn ordered<'a>(_: &'a AppContext, event: &'a Activity) -> LocalBoxFuture<'a, Result<(), AppError>> {
    let name = name(event);
    let result = if name == "paid" && FIRST_FAILS.load(Ordering::SeqCst) {
        Err(AppError::internal("ledger unavailable"))
    } else {
        SEEN.lock().unwrap().push(name);
        Ok(())
    };
    async move { result }.boxed_local()
}

static ORDERED: Subscriptions<AppContext> = Subscriptions {
    consumer: "dead-letter-order-test",
    handlers: &[("OrderProbePaid", ordered), ("OrderProbeRefunded", ordered)],
};

#[actix_web::test]
async fn later_events_about_the_same_object_wait_behind_a_dead_one() {
    let t = TestFleet::start().await;
    let ctx = t.fleet.ctx(AppName::Cart).clone();
    let admin = member(&t, "root", "admin").await;
    emit(&t, "OrderProbePaid", "urn:order:1", "paid").await;
    emit(&t, "OrderProbeRefunded", "urn:order:1", "refunded").await;
    emit(&t, "OrderProbePaid", "urn:order:2", "other").await;

    drain_until(&ctx, &ORDERED, || SEEN.lock().unwrap().len() == 1).await;
    while bus::step(&ctx, &ORDERED).await.unwrap() > 0 {}
    // The refund never overtook the payment it refunds; the other order went through.
    assert_eq!(*SEEN.lock().unwrap(), ["other"]);
    let dead = letters(&t, ORDERED.consumer).await;
    assert_eq!(
        dead.iter()
            .map(|l| (l.kind.as_str(), l.attempts))
            .collect::<Vec<_>>(),
        [
            ("OrderProbePaid", bus::MAX_ATTEMPTS as i32),
            ("OrderProbeRefunded", 0)
        ]
    );
    let metrics = t.get(AppName::Federation, "/metrics", None).await.body;
    assert!(
        metrics.contains(&format!(
            "event_bus_dead_letters{{consumer=\"{}\"}} 2",
            ORDERED.consumer
        )),
        "{metrics}"
    );

    // Retrying the payment re-queues the refund behind it; they run in order.
    FIRST_FAILS.store(false, Ordering::SeqCst);
    let session = t.sign_in(AppName::Federation, admin).await;
    let retry = t
        .post_form(
            AppName::Federation,
            &format!("/admin/events/{}/retry", dead[0].id),
            &[],
            Some(&session),
            AppName::Federation,
        )
        .await;
    assert_eq!(retry.status, 303, "{}", retry.body);
    while bus::step(&ctx, &ORDERED).await.unwrap() > 0 {}
    assert_eq!(*SEEN.lock().unwrap(), ["other", "paid", "refunded"]);
    assert!(letters(&t, ORDERED.consumer).await.is_empty());
    t.stop().await;
}

// ---------------------------------------------------------------- typed events

static REPLIES: Mutex<Vec<Reply>> = Mutex::new(Vec::new());

fn on_reply<'a>(
    _: &'a AppContext,
    event: &'a Activity,
) -> LocalBoxFuture<'a, Result<(), AppError>> {
    async move {
        REPLIES.lock().unwrap().push(bus::decode::<Reply>(event)?);
        Ok(())
    }
    .boxed_local()
}

static TYPED: Subscriptions<AppContext> = Subscriptions {
    consumer: "typed-events-test",
    handlers: &[(Reply::KIND, on_reply)],
};

fn reply(id: &str) -> Reply {
    Reply {
        id: id.to_owned(),
        in_reply_to: "http://blog.localhost/posts/hello".to_owned(),
        attributed_to: "https://remote.example/users/bob".to_owned(),
        content: "<p>hi</p>".to_owned(),
        published: "2026-11-30T10:00:00.5Z".parse().unwrap(),
        url: None,
        author_name: Some("Bob".to_owned()),
        author_url: Some("https://remote.example/@bob".to_owned()),
    }
}

#[actix_web::test]
async fn typed_events_round_trip_and_are_published_in_the_producers_transaction() {
    let t = TestFleet::start().await;
    let ctx = t.fleet.ctx(AppName::Federation).clone();
    let config = ctx.config().clone();
    let actor = LocalActor::App(AppName::Federation);

    // A rolled-back change takes its event with it.
    let mut conn: AsyncPgConnection = t.db.conn().await;
    let rolled_back = conn
        .transaction::<(), diesel::result::Error, _>(async |conn| {
            bus::publish(conn, &config, &actor, &reply("urn:reply:gone")).await?;
            Err(diesel::result::Error::RollbackTransaction)
        })
        .await;
    assert!(rolled_back.is_err());
    let sent = reply("urn:reply:kept");
    conn.transaction::<_, diesel::result::Error, _>(async |conn| {
        bus::publish(conn, &config, &actor, &sent).await
    })
    .await
    .unwrap()
    .unwrap();

    drain_until(&ctx, &TYPED, || !REPLIES.lock().unwrap().is_empty()).await;
    while bus::step(&ctx, &TYPED).await.unwrap() > 0 {}
    assert_eq!(*REPLIES.lock().unwrap(), [sent]);
    assert!(letters(&t, TYPED.consumer).await.is_empty());
    t.stop().await;
}
