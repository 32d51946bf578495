//! `OrderPaid` and `OrderRefunded` on the bus: written by the cart in the transaction that
//! moves the order, so a paid order has exactly one `OrderPaid` however many webhooks and
//! verifications arrive, and each refund one `OrderRefunded`, all under the order's address.
//! The `Orders` contract shows the member the same order.

use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use serde::de::DeserializeOwned;
use shared::AppName;
use shared::contracts::dtos::Money;
use shared::contracts::events::{BusEvent, OrderPaid, OrderRefunded};
use shared::contracts::orders::OrderState;
use shared::db::schema::ap_activities;

use super::{add, all_orders, buyer, checkout, fleet, location, variant};
use crate::support::people::person;
use crate::support::{TestFleet, eventually};

/// Every event of `E`'s kind on the bus, oldest first, with the row's object id.
async fn events<E: BusEvent + DeserializeOwned>(t: &TestFleet) -> Vec<(Option<String>, E)> {
    let rows: Vec<(Option<String>, serde_json::Value)> = ap_activities::table
        .filter(ap_activities::kind.eq(E::KIND))
        .order(ap_activities::id)
        .select((ap_activities::object_id, ap_activities::payload))
        .load(&mut t.db.conn().await)
        .await
        .unwrap();
    rows.into_iter()
        .map(|(object, payload)| {
            (
                object,
                serde_json::from_value(payload["object"].clone()).unwrap(),
            )
        })
        .collect()
}

fn gbp(cents: i64) -> Money {
    Money {
        cents,
        currency: "GBP".into(),
    }
}

#[actix_web::test]
async fn a_paid_order_has_one_order_paid_and_each_refund_one_order_refunded() {
    let (t, sim) = fleet().await;
    let admin = person(&t, "root", "admin").await;
    let admin_s = t.sign_in(AppName::Cart, admin).await;
    let jelly = variant(&t, "jelly-events", 725, 10).await;
    let (ada, s) = buyer(&t, "ada").await;
    add(&t, &s, jelly, 2).await;
    let placed = checkout(&t, &s).await;
    assert_eq!(placed.status, 303, "{}", placed.body);
    let checkout_id = location(&placed).rsplit('/').next().unwrap().to_owned();
    let reference = sim.checkout(&checkout_id).unwrap().reference;
    assert!(events::<OrderPaid>(&t).await.is_empty());

    // Paid: SumUp's webhook with its retries, and five duplicates of ours.
    sim.complete(&checkout_id, true);
    eventually(10, "the payment", || async {
        all_orders(&t).await[0].1 == "PaymentSettled"
    })
    .await;
    for _ in 0..5 {
        let res = t
            .client
            .post(t.fleet.at(AppName::Cart, cart::WEBHOOK))
            .header("content-type", "application/json")
            .body(format!(
                r#"{{"event_type":"CHECKOUT_STATUS_CHANGED","id":"{checkout_id}"}}"#
            ))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 204);
    }
    // The duplicates' verifications run as jobs (or find the order settled): let them.
    tokio::time::sleep(std::time::Duration::from_millis(800)).await;

    let paid = events::<OrderPaid>(&t).await;
    assert_eq!(paid.len(), 1, "{paid:?}");
    let (object, event) = &paid[0];
    let address = t
        .fleet
        .ctx(AppName::Cart)
        .url(AppName::Cart, &format!("/orders/{reference}"));
    assert_eq!(event.id, address);
    assert_eq!(object.as_deref(), Some(address.as_str()));
    assert_eq!(event.reference, reference);
    assert_eq!(event.user_id, Some(ada));
    assert_eq!(event.total, gbp(1450));

    // The member sees it through the `Orders` contract.
    let orders = t.fleet.ctx(AppName::Account).registry().orders.clone();
    let mine = orders.orders_of(ada, 10).await.unwrap();
    assert_eq!(mine.len(), 1);
    assert_eq!(mine[0].reference, reference);
    assert_eq!(mine[0].state, OrderState::PaymentSettled);
    assert_eq!(mine[0].total, gbp(1450));
    assert_eq!(mine[0].lines[0].quantity, 2);

    // A refused refund publishes nothing; a partial then the rest publish one each.
    let refund = |amount: &'static str| {
        let (t, admin_s, reference) = (&t, admin_s.clone(), reference.clone());
        async move {
            t.post_form(
                AppName::Cart,
                &format!("/admin/orders/{reference}/refund"),
                &[("amount", amount)],
                Some(&admin_s),
                AppName::Cart,
            )
            .await
            .status
        }
    };
    assert_eq!(refund("20.00").await, 400);
    assert!(events::<OrderRefunded>(&t).await.is_empty());
    assert_eq!(refund("4.50").await, 303);
    assert_eq!(refund("").await, 303);
    assert_eq!(refund("1.00").await, 409);
    let refunds = events::<OrderRefunded>(&t).await;
    let seen: Vec<(i64, i64, bool)> = refunds
        .iter()
        .map(|(_, e)| (e.amount.cents, e.refunded.cents, e.in_full))
        .collect();
    assert_eq!(seen, [(450, 450, false), (1000, 1450, true)]);
    for (object, e) in &refunds {
        assert_eq!(object.as_deref(), Some(address.as_str()));
        assert_eq!(
            (e.reference.as_str(), e.user_id),
            (reference.as_str(), Some(ada))
        );
    }
    assert_eq!(events::<OrderPaid>(&t).await.len(), 1);
    let after = orders.order_of(ada, &reference).await.unwrap().unwrap();
    assert_eq!(after.state, OrderState::Refunded);
    assert_eq!(after.refunded, gbp(1450));
    t.stop().await;
    sim.stop().await;
}
