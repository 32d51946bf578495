//! The reconciliation job: a payment whose webhook never arrives still settles its order,
//! by our own periodic `GET` alone, once; one reconciliation run is pending however often
//! the cart starts.

use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use shared::AppName;
use shared::contracts::events::{BusEvent, OrderPaid};
use shared::db::schema::{ap_activities, background_jobs, inventory_reservations, order_history};

use super::{
    API_KEY, MERCHANT, add, all_orders, buyer, checkout, fleet_with, location, stock, variant,
};
use crate::support::{TestFleet, eventually};

const RECONCILE: &str = "cart.reconcile_checkouts";

async fn pending_runs(t: &TestFleet) -> i64 {
    background_jobs::table
        .filter(background_jobs::job_type.eq(RECONCILE))
        .filter(background_jobs::status.eq("pending"))
        .count()
        .get_result(&mut t.db.conn().await)
        .await
        .unwrap()
}

/// Waits for a pending run queued after the job `after` (each run queues the next as it
/// starts), and returns its id.
async fn next_run(t: &TestFleet, after: i64) -> i64 {
    let mut found = 0;
    for _ in 0..300 {
        let pending: Option<i64> = background_jobs::table
            .filter(background_jobs::job_type.eq(RECONCILE))
            .filter(background_jobs::status.eq("pending"))
            .filter(background_jobs::id.gt(after))
            .select(background_jobs::id)
            .first(&mut t.db.conn().await)
            .await
            .optional()
            .unwrap();
        if let Some(id) = pending {
            found = id;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(found > 0, "no reconciliation run after job {after}");
    found
}

#[actix_web::test]
async fn a_payment_whose_webhook_is_lost_settles_by_reconciliation_alone() {
    let sim = deploy::sumup_sim::SumUpSim::start(0, API_KEY, MERCHANT).unwrap();
    sim.set_webhooks(false);
    let mut t = fleet_with(&sim, None, &[("SUMUP_RECONCILE_SECONDS", "1")]).await;
    let jelly = variant(&t, "jelly-reconcile", 725, 10).await;
    let (_, s) = buyer(&t, "rhea").await;
    add(&t, &s, jelly, 2).await;
    let placed = checkout(&t, &s).await;
    assert_eq!(placed.status, 303, "{}", placed.body);
    let checkout_id = location(&placed).rsplit('/').next().unwrap().to_owned();
    let asked = || {
        sim.requests()
            .iter()
            .filter(|r| r.method == "GET" && r.path.ends_with(&checkout_id))
            .count()
    };

    // Unpaid and quiet: the reconciliation asks SumUp, whose PENDING changes nothing.
    eventually(30, "a reconciliation's GET", || async { asked() >= 1 }).await;
    assert_eq!(all_orders(&t).await[0].1, "ArrangingPayment");

    // Paid on SumUp's page; the webhook is lost.
    assert_eq!(sim.complete(&checkout_id, true).as_deref(), Some("PAID"));
    eventually(30, "the reconciliation to settle the order", || async {
        all_orders(&t).await[0].1 == "PaymentSettled"
    })
    .await;
    assert!(sim.webhooks_sent().is_empty(), "no webhook was sent");

    // Later runs find nothing to ask about (counted once the runs under way at the
    // settlement have passed), and the order moved once, with one OrderPaid.
    let mut run = next_run(&t, 0).await;
    for _ in 0..2 {
        run = next_run(&t, run).await;
    }
    let settled_asks = asked();
    for _ in 0..2 {
        run = next_run(&t, run).await;
    }
    assert_eq!(asked(), settled_asks, "a settled order is not asked about");
    let settled: i64 = order_history::table
        .filter(order_history::to_state.eq("PaymentSettled"))
        .count()
        .get_result(&mut t.db.conn().await)
        .await
        .unwrap();
    assert_eq!(settled, 1);
    let paid: i64 = ap_activities::table
        .filter(ap_activities::kind.eq(OrderPaid::KIND))
        .count()
        .get_result(&mut t.db.conn().await)
        .await
        .unwrap();
    assert_eq!(paid, 1, "exactly one OrderPaid");
    eventually(10, "the stock to be committed", || async {
        let states: Vec<String> = inventory_reservations::table
            .select(inventory_reservations::state)
            .load(&mut t.db.conn().await)
            .await
            .unwrap();
        states == ["committed"]
    })
    .await;
    assert_eq!(stock(&t, jelly).await, Some(8));

    // Restarting the cart's workers (twice) leaves one run pending, not three.
    for _ in 0..2 {
        t.fleet.restart_workers(AppName::Cart).await.unwrap();
    }
    // (Between a run's claim and its queueing the next, none is pending: hence "at most".)
    for _ in 0..10 {
        let pending = pending_runs(&t).await;
        assert!(pending <= 1, "{pending} runs pending");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    eventually(10, "a pending run", || async {
        pending_runs(&t).await == 1
    })
    .await;
    t.stop().await;
    sim.stop().await;
}
