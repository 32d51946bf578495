//! Paying on SumUp's hosted page (the simulator's) settles an order once; the webhook's body
//! is never believed; refunds go through SumUp, full or partial, for paid orders only; the
//! receipt reaches the SMTP sink; an order is seen by its buyer, admins and its signed link,
//! and by nobody else.

use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use shared::AppName;
use shared::db::schema::{inventory_reservations, order_history, orders};
use shared::testing::TestSession;

use super::{add, all_orders, buyer, checkout, fleet, location, variant};
use crate::support::people::person;
use crate::support::{TestFleet, eventually, mail_sink};

async fn state(t: &TestFleet) -> String {
    all_orders(t).await.remove(0).1
}

async fn settled_count(t: &TestFleet) -> i64 {
    order_history::table
        .filter(order_history::to_state.eq("PaymentSettled"))
        .filter(order_history::from_state.ne("PaymentSettled"))
        .count()
        .get_result(&mut t.db.conn().await)
        .await
        .unwrap()
}

async fn webhook(t: &TestFleet, body: &str) -> u16 {
    t.client
        .post(t.fleet.at(AppName::Cart, cart::WEBHOOK))
        .header("content-type", "application/json")
        .body(body.to_owned())
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

/// A member with one jelly in checkout; returns their session, the order's reference and the
/// SumUp checkout id.
async fn in_checkout(
    t: &TestFleet,
    sim: &deploy::sumup_sim::SumUpSim,
    name: &str,
) -> (TestSession, String, String) {
    let jelly = variant(t, &format!("jelly-{name}"), 725, 10).await;
    let (_, s) = buyer(t, name).await;
    add(t, &s, jelly, 2).await;
    let placed = checkout(t, &s).await;
    assert_eq!(placed.status, 303, "{}", placed.body);
    let checkout_id = location(&placed).rsplit('/').next().unwrap().to_owned();
    let reference = sim.checkout(&checkout_id).unwrap().reference;
    (s, reference, checkout_id)
}

#[actix_web::test]
async fn paying_on_the_hosted_page_settles_the_order_once_and_mails_a_receipt() {
    let (t, sim) = fleet().await;
    // A buyer of its own: the mail sink is shared by every test, and others settle orders too.
    let (s, reference, checkout_id) = in_checkout(&t, &sim, "pia").await;

    // The buyer presses "Pay" on SumUp's page and is sent back to the cart.
    let client = shared::testing::http_client();
    let pay_url = format!("{}/pay/{checkout_id}", sim.url());
    let hosted = client.get(&pay_url).send().await.unwrap();
    assert!(hosted.text().await.unwrap().contains("Pay 14.50 GBP"));
    let paid = client
        .post(&pay_url)
        .form(&[("outcome", "pay")])
        .send()
        .await
        .unwrap();
    assert_eq!(paid.status(), 303);
    let back = paid.headers()["location"].to_str().unwrap().to_owned();
    assert!(
        back.contains(&format!("/orders/{reference}/return?token=")),
        "{back}"
    );
    // The return page asks SumUp and shows the real state, even without a session.
    let page = client
        .get(&back)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains(r#"data-state="PaymentSettled""#), "{page}");
    // The webhook arrives too, and duplicates of it: the order moved once.
    eventually(10, "SumUp's webhook", || async {
        !sim.webhooks_sent().is_empty()
    })
    .await;
    for _ in 0..5 {
        let body = format!(r#"{{"event_type":"CHECKOUT_STATUS_CHANGED","id":"{checkout_id}"}}"#);
        assert_eq!(webhook(&t, &body).await, 204);
    }
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    assert_eq!(state(&t).await, "PaymentSettled");
    assert_eq!(settled_count(&t).await, 1);
    // Stock is committed, the cart empty and thawed.
    eventually(10, "the stock to be committed", || async {
        let states: Vec<String> = inventory_reservations::table
            .select(inventory_reservations::state)
            .load(&mut t.db.conn().await)
            .await
            .unwrap();
        states == ["committed"]
    })
    .await;
    let cart_page = t.get(AppName::Cart, "/", Some(&s)).await;
    assert!(
        cart_page.body.contains("Your cart is empty"),
        "{}",
        cart_page.body
    );
    // The receipt, text and HTML, with the order's signed link.
    let mail = mail_sink()
        .wait_for("pia@example.org", 1)
        .await
        .expect("a receipt");
    assert_eq!(
        mail.subject(),
        Some(format!("Your receipt for order {reference}").as_str())
    );
    assert!(mail.raw.contains("multipart/alternative"), "{}", mail.raw);
    let link = mail
        .links()
        .into_iter()
        .find(|l| l.contains(&format!("/orders/{reference}?token=")))
        .expect("the order's link");
    let by_link = client.get(&link).send().await.unwrap();
    assert_eq!(by_link.status(), 200);
    assert!(by_link.text().await.unwrap().contains("Paid"));
    // The member finds it under "my orders".
    let mine = t.get(AppName::Cart, "/orders", Some(&s)).await;
    assert!(mine.body.contains(&reference), "{}", mine.body);
    t.stop().await;
    sim.stop().await;
}

#[actix_web::test]
async fn the_webhook_body_is_never_trusted() {
    let (t, sim) = fleet().await;
    let (_, reference, checkout_id) = in_checkout(&t, &sim, "ada").await;

    // Not JSON: 400. Unknown checkouts and other events: acknowledged, ignored.
    assert_eq!(webhook(&t, "PAID!").await, 400);
    assert_eq!(
        webhook(
            &t,
            r#"{"event_type":"CHECKOUT_STATUS_CHANGED","id":"no-such"}"#
        )
        .await,
        204
    );
    assert_eq!(
        webhook(
            &t,
            &format!(r#"{{"event_type":"SOMETHING_ELSE","id":"{checkout_id}"}}"#)
        )
        .await,
        204
    );
    // A body that claims PAID for an unpaid checkout: our GET says PENDING, nothing moves.
    let forged = format!(
        r#"{{"event_type":"CHECKOUT_STATUS_CHANGED","id":"{checkout_id}","status":"PAID","amount":14.5}}"#
    );
    assert_eq!(webhook(&t, &forged).await, 204);
    let forged_envelope = format!(
        r#"{{"id":"evt","event_type":"checkout.status.updated","payload":{{"checkout_id":"{checkout_id}","reference":"{reference}","status":"PAID"}}}}"#
    );
    assert_eq!(webhook(&t, &forged_envelope).await, 204);
    eventually(10, "the verifications to run", || async {
        sim.requests()
            .iter()
            .filter(|r| r.method == "GET" && r.path.ends_with(&checkout_id))
            .count()
            >= 1
    })
    .await;
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    assert_eq!(state(&t).await, "ArrangingPayment");

    // SumUp answers with another amount than the order's (a tampered checkout): not applied.
    sim.set_amount(&checkout_id, 0.01);
    sim.complete(&checkout_id, true);
    eventually(10, "the webhook", || async {
        !sim.webhooks_sent().is_empty()
    })
    .await;
    tokio::time::sleep(std::time::Duration::from_millis(800)).await;
    assert_eq!(state(&t).await, "ArrangingPayment");
    assert_eq!(settled_count(&t).await, 0);
    t.stop().await;
    sim.stop().await;
}

#[actix_web::test]
async fn a_failed_or_expired_payment_cancels_and_a_late_payment_is_refused() {
    let (t, sim) = fleet().await;
    let (s, _, checkout_id) = in_checkout(&t, &sim, "ada").await;
    assert_eq!(sim.complete(&checkout_id, false).as_deref(), Some("FAILED"));
    eventually(10, "the failure to cancel the order", || async {
        state(&t).await == "Cancelled"
    })
    .await;
    // The cart thaws with its lines; a new checkout is a new order.
    let again = checkout(&t, &s).await;
    assert_eq!(again.status, 303, "{}", again.body);
    assert_eq!(all_orders(&t).await.len(), 2);
    // Expired at SumUp, then "paid": SumUp refuses, the order stays cancelled.
    let second = location(&again).rsplit('/').next().unwrap().to_owned();
    let reference = sim.checkout(&second).unwrap().reference;
    let cancel = t
        .post_form(
            AppName::Cart,
            &format!("/orders/{reference}/cancel"),
            &[],
            Some(&s),
            AppName::Cart,
        )
        .await;
    assert_eq!(cancel.status, 303, "{}", cancel.body);
    assert_eq!(sim.checkout(&second).unwrap().status, "EXPIRED");
    assert_eq!(sim.complete(&second, true).as_deref(), Some("EXPIRED"));
    let states: Vec<String> = all_orders(&t).await.into_iter().map(|o| o.1).collect();
    assert_eq!(states, ["Cancelled", "Cancelled"]);
    t.stop().await;
    sim.stop().await;
}

#[actix_web::test]
async fn refunds_full_and_partial_for_paid_orders_only_and_orders_stay_private() {
    let (t, sim) = fleet().await;
    let admin = person(&t, "root", "admin").await;
    let admin_s = t.sign_in(AppName::Cart, admin).await;
    let (_, reference, checkout_id) = in_checkout(&t, &sim, "ada").await;
    let (nosy_id, nosy) = buyer(&t, "nosy").await;
    let _ = nosy_id;

    let refund = |who: TestSession, amount: &'static str| {
        let t = &t;
        let reference = reference.clone();
        async move {
            t.post_form(
                AppName::Cart,
                &format!("/admin/orders/{reference}/refund"),
                &[("amount", amount)],
                Some(&who),
                AppName::Cart,
            )
            .await
        }
    };
    // Not paid yet: refused.
    assert_eq!(refund(admin_s.clone(), "1.00").await.status, 409);

    sim.complete(&checkout_id, true);
    eventually(10, "the payment", || async {
        state(&t).await == "PaymentSettled"
    })
    .await;

    // Only an admin refunds, never more than is left, and a CSRF-less post does nothing.
    assert_eq!(refund(nosy.clone(), "1.00").await.status, 403);
    assert_eq!(refund(admin_s.clone(), "20.00").await.status, 400);
    assert_eq!(refund(admin_s.clone(), "abc").await.status, 400);
    let forged = t
        .post_form(
            AppName::Cart,
            &format!("/admin/orders/{reference}/refund"),
            &[("amount", "1.00")],
            Some(&admin_s),
            AppName::Market,
        )
        .await;
    assert_eq!(forged.status, 403);
    assert_eq!(sim.checkout(&checkout_id).unwrap().refunded_cents, 0);

    assert_eq!(refund(admin_s.clone(), "4.50").await.status, 303);
    assert_eq!(sim.checkout(&checkout_id).unwrap().refunded_cents, 450);
    assert_eq!(state(&t).await, "PaymentSettled");
    // Empty: the rest.
    assert_eq!(refund(admin_s.clone(), "").await.status, 303);
    assert_eq!(sim.checkout(&checkout_id).unwrap().refunded_cents, 1450);
    assert_eq!(state(&t).await, "Refunded");
    let refunded: i64 = orders::table
        .select(orders::refunded_cents)
        .first(&mut t.db.conn().await)
        .await
        .unwrap();
    assert_eq!(refunded, 1450);
    assert_eq!(refund(admin_s.clone(), "1.00").await.status, 409);

    // Privacy: another member, a wrong token and nobody get 404; the admin sees the history.
    let path = format!("/orders/{reference}");
    assert_eq!(t.get(AppName::Cart, &path, Some(&nosy)).await.status, 404);
    assert_eq!(t.get(AppName::Cart, &path, None).await.status, 404);
    assert_eq!(
        t.get(AppName::Cart, &format!("{path}?token=00ff"), None)
            .await
            .status,
        404
    );
    let seen = t.get(AppName::Cart, &path, Some(&admin_s)).await;
    assert_eq!(seen.status, 200);
    assert!(
        seen.body.contains("Refunded £4.50 (partly)"),
        "{}",
        seen.body
    );
    assert!(
        seen.body.contains("Refunded £10.00 (in full)"),
        "{}",
        seen.body
    );
    // The admin list filters; members may not see it.
    assert_eq!(
        t.get(AppName::Cart, "/admin/orders", Some(&nosy))
            .await
            .status,
        403
    );
    let list = t
        .get(
            AppName::Cart,
            "/admin/orders?state=Refunded",
            Some(&admin_s),
        )
        .await;
    assert!(list.body.contains(&reference), "{}", list.body);
    let none = t
        .get(
            AppName::Cart,
            "/admin/orders?state=Cancelled",
            Some(&admin_s),
        )
        .await;
    assert!(!none.body.contains(&reference));
    assert_eq!(
        t.get(AppName::Cart, "/admin/orders?state=Bogus", Some(&admin_s))
            .await
            .status,
        400
    );
    t.stop().await;
    sim.stop().await;
}
