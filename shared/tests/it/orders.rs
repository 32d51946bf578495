//! The `Orders` contract against real PostgreSQL: a member's orders newest first with their
//! snapshot lines, bounded; one order by reference only for its owner.

use diesel_async::RunQueryDsl;
use shared::config::{DatabaseConfig, Secret};
use shared::contracts::dtos::Money;
use shared::contracts::orders::OrderState;
use shared::services::Registry;
use shared::testing::TestDb;

async fn exec(db: &TestDb, sql: &str) {
    diesel::sql_query(sql)
        .execute(&mut db.conn().await)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
}

/// An order of `user` (by username) in `state`, placed `minutes` ago, with `lines`.
async fn order(
    db: &TestDb,
    reference: &str,
    user: &str,
    state: &str,
    minutes: i64,
    lines: &[(&str, i32, i64)],
) {
    let total: i64 = lines.iter().map(|(_, q, c)| i64::from(*q) * c).sum();
    exec(
        db,
        &format!(
            "INSERT INTO orders (reference, idempotency_key, user_id, email, state, currency, \
             total_cents, refunded_cents, reservation_key, expires_at, access_digest, created_at, \
             paid_at) SELECT '{reference}', 'key-{reference}', id, email, '{state}', 'GBP', \
             {total}, {refunded}, 'res-{reference}', now() + interval '15 minutes', 'digest', \
             now() - interval '{minutes} minutes', {paid} FROM users WHERE username = '{user}'",
            refunded = if state == "Refunded" { total } else { 0 },
            paid = if state == "ArrangingPayment" {
                "NULL"
            } else {
                "now()"
            },
        ),
    )
    .await;
    for (position, (title, quantity, cents)) in lines.iter().enumerate() {
        exec(
            db,
            &format!(
                "INSERT INTO order_lines (order_id, position, kind, item_id, title, \
                 unit_price_cents, quantity) SELECT id, {position}, 'variant', 1, '{title}', \
                 {cents}, {quantity} FROM orders WHERE reference = '{reference}'"
            ),
        )
        .await;
    }
}

async fn user_id(db: &TestDb, username: &str) -> i64 {
    #[derive(diesel::QueryableByName)]
    struct Id {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        id: i64,
    }
    diesel::sql_query(format!(
        "INSERT INTO users (username, email, display_name) \
         VALUES ('{username}', '{username}@example.org', '{username}') RETURNING id"
    ))
    .get_result::<Id>(&mut db.conn().await)
    .await
    .unwrap()
    .id
}

fn gbp(cents: i64) -> Money {
    Money {
        cents,
        currency: "GBP".into(),
    }
}

#[tokio::test]
async fn a_members_orders_newest_first_with_their_lines_and_only_their_own() {
    let db = TestDb::new().await;
    let ada = user_id(&db, "ada").await;
    let bob = user_id(&db, "bob").await;
    order(
        &db,
        "RA-AAAAAAAAAAA1",
        "ada",
        "PaymentSettled",
        30,
        &[("Medlar jelly", 2, 725), ("Wool hat — M / Red", 1, 2500)],
    )
    .await;
    order(
        &db,
        "RA-AAAAAAAAAAA2",
        "ada",
        "Refunded",
        20,
        &[("Honey", 1, 900)],
    )
    .await;
    order(
        &db,
        "RA-AAAAAAAAAAA3",
        "ada",
        "ArrangingPayment",
        10,
        &[("Honey", 3, 900)],
    )
    .await;
    order(
        &db,
        "RA-BBBBBBBBBBB1",
        "bob",
        "PaymentSettled",
        5,
        &[("Secret", 1, 100)],
    )
    .await;

    let pool = shared::db::pool(
        &DatabaseConfig {
            url: Secret::new(db.url.clone()),
            pool_size: 2,
        },
        "orders-test",
    )
    .unwrap();
    let orders = Registry::on_database(pool).orders;

    let mine = orders.orders_of(ada, 10).await.unwrap();
    let refs: Vec<&str> = mine.iter().map(|o| o.reference.as_str()).collect();
    assert_eq!(
        refs,
        ["RA-AAAAAAAAAAA3", "RA-AAAAAAAAAAA2", "RA-AAAAAAAAAAA1"]
    );
    let first = &mine[2];
    assert_eq!(first.state, OrderState::PaymentSettled);
    assert_eq!(first.total, gbp(3950));
    assert_eq!(first.refunded, gbp(0));
    assert!(first.paid_at.is_some());
    let lines: Vec<(&str, i32, i64)> = first
        .lines
        .iter()
        .map(|l| (l.title.as_str(), l.quantity, l.unit_price.cents))
        .collect();
    assert_eq!(
        lines,
        [("Medlar jelly", 2, 725), ("Wool hat — M / Red", 1, 2500)]
    );
    assert_eq!(mine[1].state, OrderState::Refunded);
    assert_eq!(mine[1].refunded, gbp(900));
    assert_eq!(mine[0].state.label(), "Awaiting payment");
    assert!(mine[0].paid_at.is_none());
    assert!(mine[0].placed_at > mine[1].placed_at);

    // Bounded: the newest `limit`, and a silly limit is clamped rather than refused.
    let newest = orders.orders_of(ada, 1).await.unwrap();
    assert_eq!(newest.len(), 1);
    assert_eq!(newest[0].reference, "RA-AAAAAAAAAAA3");
    assert_eq!(orders.orders_of(ada, 0).await.unwrap().len(), 1);
    assert_eq!(orders.orders_of(ada, i64::MAX).await.unwrap().len(), 3);
    assert_eq!(orders.orders_of(ada, -5).await.unwrap().len(), 1);

    // One by reference, for its owner only.
    let one = orders.order_of(ada, "RA-AAAAAAAAAAA1").await.unwrap();
    assert_eq!(one.as_ref(), Some(first));
    assert_eq!(orders.order_of(ada, "RA-BBBBBBBBBBB1").await.unwrap(), None);
    assert_eq!(orders.order_of(bob, "RA-AAAAAAAAAAA1").await.unwrap(), None);
    assert_eq!(orders.order_of(ada, "nonsense'--").await.unwrap(), None);
    let bobs = orders.orders_of(bob, 10).await.unwrap();
    assert_eq!(bobs.len(), 1);
    assert_eq!(bobs[0].lines[0].title, "Secret");

    // Someone with no orders has none.
    let nobody = user_id(&db, "cy").await;
    assert!(orders.orders_of(nobody, 10).await.unwrap().is_empty());
}
