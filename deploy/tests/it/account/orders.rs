//! The dashboard's orders section: the member's latest orders through the cart's `Orders`
//! contract (state, total, what was bought), nobody else's, and "unavailable right now"
//! without failing the page when the contract cannot answer.

use diesel_async::RunQueryDsl;
use shared::AppName;

use crate::support::TestFleet;
use crate::support::people::member;

async fn sql(t: &TestFleet, q: &str) {
    diesel::sql_query(q)
        .execute(&mut t.db.conn().await)
        .await
        .unwrap_or_else(|e| panic!("{q}: {e}"));
}

/// A paid order of `user_id` with one line.
async fn order(t: &TestFleet, reference: &str, user_id: i64, state: &str, line: (&str, i32, i64)) {
    let (title, quantity, cents) = line;
    sql(
        t,
        &format!(
            "INSERT INTO orders (reference, idempotency_key, user_id, email, state, currency, \
             total_cents, reservation_key, expires_at, access_digest) VALUES ('{reference}', \
             'key-{reference}', {user_id}, 'buyer@example.org', '{state}', 'GBP', {total}, \
             'res-{reference}', now() + interval '15 minutes', 'digest')",
            total = i64::from(quantity) * cents,
        ),
    )
    .await;
    sql(
        t,
        &format!(
            "INSERT INTO order_lines (order_id, position, kind, item_id, title, unit_price_cents, \
             quantity) SELECT id, 0, 'variant', 1, '{title}', {cents}, {quantity} FROM orders \
             WHERE reference = '{reference}'"
        ),
    )
    .await;
}

#[actix_web::test]
async fn the_dashboard_lists_the_members_orders_and_degrades_without_them() {
    let t = TestFleet::start().await;
    let ada = member(&t, "ada").await;
    let bob = member(&t, "bob").await;
    order(
        &t,
        "RA-ADA000000001",
        ada,
        "PaymentSettled",
        ("Medlar jelly", 2, 725),
    )
    .await;
    order(
        &t,
        "RA-ADA000000002",
        ada,
        "ArrangingPayment",
        ("Wool hat", 1, 2500),
    )
    .await;
    order(
        &t,
        "RA-BOB000000001",
        bob,
        "PaymentSettled",
        ("Secret thing", 1, 100),
    )
    .await;

    let s = t.sign_in(AppName::Account, ada).await;
    let page = t.get(AppName::Account, "/", Some(&s)).await;
    assert_eq!(page.status, 200);
    let body = &page.body;
    assert!(body.contains("Your orders"), "{body}");
    assert!(
        body.contains(r#"data-order="RA-ADA000000001" data-state="PaymentSettled""#),
        "{body}"
    );
    // Each links to its page on the cart.
    let link = shared::infrastructure::link_catalog::order("RA-ADA000000001")
        .url(t.fleet.ctx(AppName::Account));
    assert!(
        body.contains(&format!(
            r#"<a href="{link}">RA-ADA000000001</a> · Paid · £14.50"#
        )),
        "{body}"
    );
    assert!(body.contains("2 × Medlar jelly"), "{body}");
    assert!(
        body.contains("RA-ADA000000002</a> · Awaiting payment · £25.00"),
        "{body}"
    );
    // Newest first; nobody else's.
    assert!(body.find("RA-ADA000000002") < body.find("RA-ADA000000001"));
    assert!(!body.contains("RA-BOB"), "{body}");
    assert!(!body.contains("Secret thing"), "{body}");

    // A member without orders.
    let cy = member(&t, "cy").await;
    let cy_s = t.sign_in(AppName::Account, cy).await;
    let page = t.get(AppName::Account, "/", Some(&cy_s)).await;
    assert!(page.body.contains("No orders yet."), "{}", page.body);

    // The contract cannot answer (the cart's table is gone): the rest of the page still shows.
    sql(&t, "ALTER TABLE order_lines RENAME TO order_lines_away").await;
    let page = t.get(AppName::Account, "/", Some(&s)).await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(
        page.body.contains("Your orders are unavailable right now."),
        "{}",
        page.body
    );
    assert!(page.body.contains("Your newsletters"), "{}", page.body);
    assert!(!page.body.contains("RA-ADA"), "{}", page.body);
    sql(&t, "ALTER TABLE order_lines_away RENAME TO order_lines").await;

    // Nor the cart's (its table is gone): that section says so, the orders still show.
    sql(&t, "ALTER TABLE carts RENAME TO carts_away").await;
    let page = t.get(AppName::Account, "/", Some(&s)).await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(
        page.body.contains("Your cart is unavailable right now."),
        "{}",
        page.body
    );
    assert!(page.body.contains("RA-ADA000000002"), "{}", page.body);
    sql(&t, "ALTER TABLE carts_away RENAME TO carts").await;
    t.stop().await;
}
