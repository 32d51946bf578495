//! Checkout makes one order however often it is asked, snapshots prices, holds stock through
//! `Inventory`, freezes the cart, recovers a SumUp checkout made before a crash, and releases
//! what an unpaid order held when it expires.

use std::sync::Arc;

use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use shared::AppName;
use shared::db::schema::{order_lines, orders, product_variants};

use super::{
    API_KEY, MERCHANT, add, all_orders, buyer, checkout, due_now, fleet, fleet_with, location,
    stock, variant,
};
use crate::support::eventually;
use deploy::sumup_sim::SumUpSim;

#[actix_web::test]
async fn a_double_submitted_checkout_makes_one_order_and_one_sumup_checkout() {
    let (t, sim) = fleet().await;
    let jelly = variant(&t, "medlar-jelly", 725, 10).await;
    let (_, s) = buyer(&t, "ada").await;
    assert_eq!(add(&t, &s, jelly, 2).await.status, 303);

    // A double click, a retried POST, a second tab: five at once, then one more.
    let t = Arc::new(t);
    let s = Arc::new(s);
    let tasks: Vec<_> = (0..5)
        .map(|_| {
            let (t, s) = (t.clone(), s.clone());
            actix_web::rt::spawn(async move { checkout(&t, &s).await })
        })
        .collect();
    let mut places = Vec::new();
    for task in tasks {
        let page = task.await.unwrap();
        assert_eq!(page.status, 303, "{}", page.body);
        places.push(location(&page));
    }
    let again = checkout(&t, &s).await;
    places.push(location(&again));
    places.dedup();
    assert_eq!(places.len(), 1, "{places:?}");
    assert!(places[0].starts_with(&sim.url()), "{}", places[0]);
    let orders_now = all_orders(&t).await;
    assert_eq!(orders_now.len(), 1);
    assert_eq!(orders_now[0].1, "ArrangingPayment");
    assert_eq!(sim.checkouts().len(), 1);
    assert_eq!(sim.checkouts()[0].reference, orders_now[0].0);
    assert_eq!(sim.checkouts()[0].amount, 14.5);
    assert_eq!(stock(&t, jelly).await, Some(8));

    // Title and unit price are snapshotted: the market's later change does not touch them.
    diesel::update(product_variants::table.find(jelly))
        .set(product_variants::price_cents.eq(999))
        .execute(&mut t.db.conn().await)
        .await
        .unwrap();
    let snapshot: (String, i64, i32) = order_lines::table
        .select((
            order_lines::title,
            order_lines::unit_price_cents,
            order_lines::quantity,
        ))
        .first(&mut t.db.conn().await)
        .await
        .unwrap();
    assert_eq!(snapshot, ("Product medlar-jelly".into(), 725, 2));

    // The cart is frozen while in checkout.
    let frozen = add(&t, &s, jelly, 1).await;
    assert_eq!(frozen.status, 409, "{}", frozen.body);
    let page = t.get(AppName::Cart, "/", Some(&s)).await;
    assert!(page.body.contains("in checkout"), "{}", page.body);
    Arc::into_inner(t).unwrap().stop().await;
    sim.stop().await;
}

#[actix_web::test]
async fn a_sumup_checkout_made_before_a_crash_is_recovered_by_reference() {
    let (t, sim) = fleet().await;
    let jelly = variant(&t, "medlar-jelly", 725, 10).await;
    let (_, s) = buyer(&t, "ada").await;
    add(&t, &s, jelly, 1).await;
    let first = checkout(&t, &s).await;
    assert_eq!(first.status, 303);
    let (reference, _) = all_orders(&t).await.remove(0);
    // The crash: SumUp made the checkout, we never recorded it.
    diesel::update(orders::table)
        .set((
            orders::sumup_checkout_id.eq(None::<String>),
            orders::hosted_checkout_url.eq(None::<String>),
        ))
        .execute(&mut t.db.conn().await)
        .await
        .unwrap();
    let retry = t
        .post_form(
            AppName::Cart,
            &format!("/orders/{reference}/pay"),
            &[],
            Some(&s),
            AppName::Cart,
        )
        .await;
    assert_eq!(retry.status, 303, "{}", retry.body);
    assert_eq!(location(&retry), location(&first));
    assert_eq!(sim.checkouts().len(), 1);
    let calls: Vec<(String, String)> = sim
        .requests()
        .into_iter()
        .map(|r| (r.method, r.path))
        .collect();
    assert_eq!(
        calls,
        [
            ("POST".into(), "/v0.1/checkouts".into()),
            ("POST".into(), "/v0.1/checkouts".into()),
            ("GET".into(), "/v0.1/checkouts".into()),
        ]
    );
    let recorded: Option<String> = orders::table
        .select(orders::sumup_checkout_id)
        .first(&mut t.db.conn().await)
        .await
        .unwrap();
    assert_eq!(recorded.as_deref(), Some(sim.checkouts()[0].id.as_str()));
    t.stop().await;
    sim.stop().await;
}

#[actix_web::test]
async fn fifty_buyers_race_for_ten_and_expiry_gives_the_stock_back() {
    let sim = SumUpSim::start(0, API_KEY, MERCHANT).unwrap();
    let t = fleet_with(&sim, None, &[("DB_POOL_SIZE", "12")]).await;
    let jelly = variant(&t, "medlar-jelly", 725, 10).await;
    let mut sessions = Vec::new();
    for i in 0..50 {
        let (_, s) = buyer(&t, &format!("buyer{i}")).await;
        assert_eq!(add(&t, &s, jelly, 1).await.status, 303);
        sessions.push(s);
    }
    let t = Arc::new(t);
    let tasks: Vec<_> = sessions
        .into_iter()
        .map(|s| {
            let t = t.clone();
            actix_web::rt::spawn(async move { checkout(&t, &s).await })
        })
        .collect();
    let (mut placed, mut sold_out) = (0, 0);
    for task in tasks {
        let page = task.await.unwrap();
        match page.status.as_u16() {
            303 => placed += 1,
            409 if page.body.contains("sold out") => sold_out += 1,
            other => panic!("unexpected {other}: {}", page.body),
        }
    }
    assert_eq!((placed, sold_out), (10, 40));
    let states = all_orders(&t).await;
    assert_eq!(states.len(), 10);
    assert!(states.iter().all(|(_, s)| s == "ArrangingPayment"));
    assert_eq!(stock(&t, jelly).await, Some(0));
    assert_eq!(sim.checkouts().len(), 10);

    // Nobody pays: at their expiry the orders are cancelled, SumUp's checkouts deactivated and
    // the stock comes back.
    due_now(&t, "cart.expire_order").await;
    eventually(30, "the orders to expire", || async {
        all_orders(&t).await.iter().all(|(_, s)| s == "Cancelled")
            && stock(&t, jelly).await == Some(10)
    })
    .await;
    assert!(sim.checkouts().iter().all(|c| c.status == "EXPIRED"));
    Arc::into_inner(t).unwrap().stop().await;
    sim.stop().await;
}
