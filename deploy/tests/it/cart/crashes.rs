//! The cart process killed where it waits on SumUp, as the ActivityPub tests kill delivery:
//! mid-checkout (SumUp made the checkout, we never heard back) and mid-webhook (the
//! verification job claimed, asking SumUp). After a restart nothing is lost and nothing is
//! doubled: one order, one SumUp checkout, one move to PaymentSettled, one `OrderPaid`, the
//! stock taken once, one receipt.

use deploy::sumup_sim::{Hold, SumUpSim};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use shared::AppName;
use shared::contracts::events::{BusEvent, OrderPaid};
use shared::db::schema::{
    ap_activities, background_jobs, inventory_reservations, order_history, orders,
};

use super::{add, all_orders, buyer, checkout, fleet, location, stock, variant};
use crate::support::{TestFleet, eventually, mail_sink};

/// What must hold once the order is paid, whatever was killed on the way: it moved once, one
/// `OrderPaid`, its stock committed once (10 - 2), one receipt to `email`.
async fn paid_once(t: &TestFleet, sim: &SumUpSim, jelly: i64, email: &str) {
    eventually(30, "the payment", || async {
        all_orders(t)
            .await
            .iter()
            .map(|o| o.1.as_str())
            .collect::<Vec<_>>()
            == ["PaymentSettled"]
    })
    .await;
    assert_eq!(sim.checkouts().len(), 1, "one SumUp checkout");
    let moves: Vec<(Option<String>, String)> = order_history::table
        .order(order_history::id)
        .select((order_history::from_state, order_history::to_state))
        .load(&mut t.db.conn().await)
        .await
        .unwrap();
    assert_eq!(
        moves,
        [
            (None, "ArrangingPayment".to_owned()),
            (
                Some("ArrangingPayment".to_owned()),
                "PaymentSettled".to_owned()
            )
        ]
    );
    let paid: i64 = ap_activities::table
        .filter(ap_activities::kind.eq(OrderPaid::KIND))
        .count()
        .get_result(&mut t.db.conn().await)
        .await
        .unwrap();
    assert_eq!(paid, 1, "exactly one OrderPaid");
    // The payment's jobs (verification, stock, receipt) run out (scheduled ones stay: the
    // reconciliation's next run, the order's expiry, market's sweep).
    eventually(30, "the order's jobs", || async {
        background_jobs::table
            .filter(background_jobs::job_type.eq_any([
                "cart.verify_checkout",
                "cart.commit_stock",
                "cart.release_stock",
                "cart.send_receipt",
            ]))
            .count()
            .get_result::<i64>(&mut t.db.conn().await)
            .await
            .unwrap()
            == 0
    })
    .await;
    let reservations: Vec<String> = inventory_reservations::table
        .select(inventory_reservations::state)
        .load(&mut t.db.conn().await)
        .await
        .unwrap();
    assert_eq!(reservations, ["committed"]);
    assert_eq!(stock(t, jelly).await, Some(8));
    assert_eq!(mail_sink().count(email), 1, "one receipt");
}

#[actix_web::test]
async fn killed_between_sumup_create_and_our_commit_the_retry_recovers_the_checkout() {
    let (mut t, sim) = fleet().await;
    let jelly = variant(&t, "jelly-killed-checkout", 725, 10).await;
    let (_, s) = buyer(&t, "kitcheckout").await;
    add(&t, &s, jelly, 2).await;

    // SumUp makes the checkout and hangs before answering; the cart dies waiting.
    sim.hold(Hold::Create, true);
    let origin = t.fleet.url(AppName::Cart).origin().ascii_serialization();
    let request = t
        .client
        .post(t.fleet.at(AppName::Cart, "/checkout"))
        .header("origin", origin)
        .header("sec-fetch-site", "same-origin")
        .header("cookie", &s.cookie)
        .form(&[
            ("email", ""),
            ("name", "Buyer"),
            ("fulfilment", "collection"),
            ("csrf_token", s.csrf.as_str()),
        ]);
    let in_flight = actix_web::rt::spawn(request.send());
    eventually(30, "SumUp's checkout", || async {
        sim.checkouts().len() == 1
    })
    .await;
    t.fleet.kill_app(AppName::Cart).await.unwrap();
    let answer = in_flight.await.unwrap();
    assert!(
        answer.as_ref().map_or(true, |r| r.status() != 303),
        "the killed checkout was answered: {answer:?}"
    );
    sim.hold(Hold::Create, false);
    // The order was committed before SumUp was asked; it has no checkout of ours yet.
    let recorded: Vec<Option<String>> = orders::table
        .select(orders::sumup_checkout_id)
        .load(&mut t.db.conn().await)
        .await
        .unwrap();
    assert_eq!(recorded, [None]);

    // Restarted, the buyer presses the button again: the same order, and SumUp's
    // DUPLICATED_CHECKOUT is recovered by a read by reference, not a second checkout.
    t.fleet.restart_app(AppName::Cart).await.unwrap();
    let again = checkout(&t, &s).await;
    assert_eq!(again.status, 303, "{}", again.body);
    let made = sim.checkouts();
    assert_eq!(made.len(), 1);
    assert!(
        location(&again).ends_with(&format!("/pay/{}", made[0].id)),
        "{}",
        location(&again)
    );
    let requests = sim.requests();
    let creates = requests
        .iter()
        .filter(|r| r.method == "POST" && r.path == "/v0.1/checkouts")
        .count();
    assert_eq!(creates, 2, "the retry asked SumUp to create it again");
    assert!(
        requests.iter().any(|r| r.method == "GET"
            && r.path == "/v0.1/checkouts"
            && r.query.contains(&made[0].reference)),
        "the checkout was found by reference"
    );
    assert_eq!(all_orders(&t).await.len(), 1);
    let recorded: Vec<Option<String>> = orders::table
        .select(orders::sumup_checkout_id)
        .load(&mut t.db.conn().await)
        .await
        .unwrap();
    assert_eq!(recorded, [Some(made[0].id.clone())]);

    // Paid: the order moves once, and the stock is taken once.
    assert_eq!(sim.complete(&made[0].id, true).as_deref(), Some("PAID"));
    paid_once(&t, &sim, jelly, "kitcheckout@example.org").await;
    t.stop().await;
    sim.stop().await;
}

#[actix_web::test]
async fn killed_while_verifying_a_webhook_the_restarted_cart_settles_the_order_once() {
    let (mut t, sim) = fleet().await;
    let jelly = variant(&t, "jelly-killed-webhook", 725, 10).await;
    let (_, s) = buyer(&t, "kitwebhook").await;
    add(&t, &s, jelly, 2).await;
    let placed = checkout(&t, &s).await;
    assert_eq!(placed.status, 303, "{}", placed.body);
    let checkout_id = location(&placed).rsplit('/').next().unwrap().to_owned();

    // Paid; SumUp's webhook is acknowledged and its verification job asks SumUp, which
    // hangs: the cart dies with the job claimed and unfinished.
    sim.hold(Hold::Read, true);
    assert_eq!(sim.complete(&checkout_id, true).as_deref(), Some("PAID"));
    eventually(30, "the verification's GET", || async {
        sim.requests()
            .iter()
            .any(|r| r.method == "GET" && r.path.ends_with(&checkout_id))
    })
    .await;
    let running: Vec<String> = background_jobs::table
        .filter(background_jobs::job_type.eq("cart.verify_checkout"))
        .select(background_jobs::status)
        .load(&mut t.db.conn().await)
        .await
        .unwrap();
    assert_eq!(running, ["running"]);
    t.fleet.kill_app(AppName::Cart).await.unwrap();
    // SumUp answers the dead process (which can no longer write anything).
    sim.hold(Hold::Read, false);
    assert_eq!(sim.webhooks_sent().len(), 1, "SumUp had its 2xx");

    // Restarted: the dead worker's lease runs out (here: at once) and the job runs again.
    t.fleet.restart_app(AppName::Cart).await.unwrap();
    assert_eq!(all_orders(&t).await[0].1, "ArrangingPayment");
    let mut conn = t.db.conn().await;
    for sql in [
        "UPDATE background_jobs SET locked_until = now() - interval '1 second' \
         WHERE status = 'running'",
        "NOTIFY background_jobs",
    ] {
        diesel::sql_query(sql).execute(&mut conn).await.unwrap();
    }
    drop(conn);
    paid_once(&t, &sim, jelly, "kitwebhook@example.org").await;
    t.stop().await;
    sim.stop().await;
}
