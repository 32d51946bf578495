//! The `Inventory` contract against the real database: stock never goes below zero however
//! many reservations race, a key reserves once, release gives stock back, commit is final,
//! and reservations left to expire are released by the market's job. A product whose stock a
//! checkout holds cannot be deleted.

use std::sync::Arc;

use chrono::{Duration, Utc};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use shared::AppName;
use shared::contracts::inventory::{Inventory, Refusal, ReservationState, StockLine};
use shared::contracts::sellable::SellableRef;
use shared::db::schema::{ap_activities, product_variants, products};
use shared::models::market::{self, NewProduct};

use crate::support::people::person;
use crate::support::{TestFleet, eventually};

/// A product with one variant holding `stock`; returns the variant's id.
async fn variant(t: &TestFleet, slug: &str, stock: i32) -> i64 {
    let mut conn = t.db.conn().await;
    let p = market::insert(
        &mut conn,
        &NewProduct {
            slug,
            title: "Medlar jelly",
            description: "",
            price_cents: 725,
            currency: "GBP",
            image_url: None,
            featured: false,
            stock,
        },
    )
    .await
    .unwrap();
    product_variants::table
        .filter(product_variants::product_id.eq(p.id))
        .select(product_variants::id)
        .first(&mut conn)
        .await
        .unwrap()
}

async fn stock(t: &TestFleet, variant_id: i64) -> Option<i32> {
    product_variants::table
        .find(variant_id)
        .select(product_variants::stock)
        .first(&mut t.db.conn().await)
        .await
        .unwrap()
}

fn inventory(t: &TestFleet) -> Arc<dyn Inventory> {
    t.fleet.ctx(AppName::Cart).registry().inventory.clone()
}

fn one(variant_id: i64, quantity: i32) -> Vec<StockLine> {
    vec![StockLine::new(SellableRef::variant(variant_id), quantity)]
}

#[actix_web::test]
async fn fifty_concurrent_reservations_of_ten_in_stock_take_exactly_ten() {
    let t = TestFleet::start().await;
    let v = variant(&t, "medlar-jelly", 10).await;
    let inv = inventory(&t);
    let later = Utc::now() + Duration::minutes(15);
    let tasks: Vec<_> = (0..50)
        .map(|i| {
            let inv = inv.clone();
            tokio::spawn(async move {
                inv.reserve(&format!("checkout-{i}"), &one(v, 1), later)
                    .await
            })
        })
        .collect();
    let mut held = 0;
    let mut refused = 0;
    for task in tasks {
        match task.await.unwrap().unwrap() {
            Ok(r) => {
                assert_eq!(r.state, ReservationState::Held);
                held += 1;
            }
            Err(Refusal::OutOfStock { item }) => {
                assert_eq!(item, SellableRef::variant(v));
                refused += 1;
            }
            Err(other) => panic!("unexpected refusal {other:?}"),
        }
    }
    assert_eq!((held, refused), (10, 40));
    assert_eq!(stock(&t, v).await, Some(0));
    // The product's mirror follows, so the cart's `Catalog` reads it as sold out.
    let dto = t
        .fleet
        .ctx(AppName::Cart)
        .registry()
        .catalog
        .product_by_slug("medlar-jelly")
        .await
        .unwrap()
        .unwrap();
    assert!(!dto.in_stock);
    t.stop().await;
}

#[actix_web::test]
async fn a_key_reserves_once_even_when_raced() {
    let t = TestFleet::start().await;
    let v = variant(&t, "medlar-jelly", 10).await;
    let inv = inventory(&t);
    let later = Utc::now() + Duration::minutes(15);
    let tasks: Vec<_> = (0..10)
        .map(|_| {
            let inv = inv.clone();
            tokio::spawn(async move { inv.reserve("order-7", &one(v, 3), later).await })
        })
        .collect();
    for task in tasks {
        let r = task.await.unwrap().unwrap().unwrap();
        assert_eq!(r.lines, one(v, 3));
    }
    // A later call with other lines still answers the first reservation.
    let again = inv
        .reserve("order-7", &one(v, 5), later)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(again.lines, one(v, 3));
    assert_eq!(stock(&t, v).await, Some(7));
    t.stop().await;
}

#[actix_web::test]
async fn release_gives_stock_back_once_and_commit_is_final() {
    let t = TestFleet::start().await;
    let v = variant(&t, "medlar-jelly", 5).await;
    let inv = inventory(&t);
    let later = Utc::now() + Duration::minutes(15);

    inv.reserve("a", &one(v, 2), later).await.unwrap().unwrap();
    assert_eq!(stock(&t, v).await, Some(3));
    let released = inv.release("a").await.unwrap();
    assert_eq!(released.state, ReservationState::Released);
    assert_eq!(stock(&t, v).await, Some(5));
    inv.release("a").await.unwrap();
    assert_eq!(
        stock(&t, v).await,
        Some(5),
        "a second release returns nothing"
    );
    assert_eq!(
        inv.commit("a").await.unwrap(),
        Err(Refusal::AlreadyReleased)
    );

    inv.reserve("b", &one(v, 4), later).await.unwrap().unwrap();
    let committed = inv.commit("b").await.unwrap().unwrap();
    assert_eq!(committed.state, ReservationState::Committed);
    assert_eq!(
        inv.commit("b").await.unwrap().unwrap().state,
        ReservationState::Committed
    );
    let after = inv.release("b").await.unwrap();
    assert_eq!(after.state, ReservationState::Committed, "commit is final");
    assert_eq!(stock(&t, v).await, Some(1));

    // All or nothing: one line short takes nothing from the other.
    let w = variant(&t, "cider-vinegar", 9).await;
    let lines = [
        StockLine::new(SellableRef::variant(w), 2),
        StockLine::new(SellableRef::variant(v), 2),
    ];
    assert_eq!(
        inv.reserve("c", &lines, later).await.unwrap(),
        Err(Refusal::OutOfStock {
            item: SellableRef::variant(v)
        })
    );
    assert_eq!(stock(&t, w).await, Some(9));
    assert!(inv.reservation("c").await.unwrap().is_none());
    assert!(inv.commit("nope").await.is_err());
    assert!(inv.reserve("d", &one(v, 0), later).await.is_err());
    t.stop().await;
}

#[actix_web::test]
async fn untracked_stock_is_always_available() {
    let t = TestFleet::start().await;
    let v = variant(&t, "medlar-jelly", 0).await;
    diesel::update(product_variants::table.find(v))
        .set(product_variants::stock.eq(None::<i32>))
        .execute(&mut t.db.conn().await)
        .await
        .unwrap();
    let inv = inventory(&t);
    let r = inv
        .reserve(
            "made-to-order",
            &one(v, 40),
            Utc::now() + Duration::minutes(5),
        )
        .await
        .unwrap();
    assert!(r.is_ok());
    assert_eq!(stock(&t, v).await, None);
    let mirrored: i32 = products::table
        .filter(products::slug.eq("medlar-jelly"))
        .select(products::stock)
        .first(&mut t.db.conn().await)
        .await
        .unwrap();
    assert!(
        mirrored > 0,
        "an untracked variant keeps its product in stock"
    );
    t.stop().await;
}

#[actix_web::test]
async fn an_expired_reservation_is_released_by_the_market_job() {
    let t = TestFleet::start().await;
    let v = variant(&t, "medlar-jelly", 3).await;
    let inv = inventory(&t);
    inv.reserve("abandoned", &one(v, 3), Utc::now() + Duration::seconds(1))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        inv.reserve("late", &one(v, 1), Utc::now() + Duration::minutes(30))
            .await
            .unwrap(),
        Err(Refusal::OutOfStock {
            item: SellableRef::variant(v)
        }),
        "nothing left while the first holds it"
    );
    assert_eq!(stock(&t, v).await, Some(0));
    let watched = inv.clone();
    eventually(20, "the expired reservation to be released", || {
        let inv = watched.clone();
        async move {
            inv.reservation("abandoned")
                .await
                .unwrap()
                .is_some_and(|r| r.state == ReservationState::Released)
        }
    })
    .await;
    assert_eq!(stock(&t, v).await, Some(3));
    t.stop().await;
}

/// A product whose stock a checkout holds cannot be deleted (409, and nothing changes: the
/// product, its variant's stock, the reservation, and no `Delete` for its followers); once the
/// reservation is released, its owner may delete it.
#[actix_web::test]
async fn deleting_a_product_a_checkout_holds_answers_409_and_changes_nothing() {
    let t = TestFleet::start().await;
    let admin = person(&t, "ada", "admin").await;
    let owner = person(&t, "fell", "member").await;
    let admin_s = t.sign_in(AppName::Market, admin).await;
    let owner_s = t.sign_in(AppName::Market, owner).await;
    let made = t
        .post_form(
            AppName::Market,
            "/stalls",
            &[("name", "Fell Knits"), ("owners", "fell")],
            Some(&admin_s),
            AppName::Market,
        )
        .await;
    assert_eq!(made.status, 303, "{}", made.body);
    let made = t
        .post_form(
            AppName::Market,
            "/stalls/fell-knits/products",
            &[
                ("title", "Fell hat"),
                ("slug", "fell-hat"),
                ("status", "active"),
                ("variants", "| HAT | 18.00 | 5"),
            ],
            Some(&owner_s),
            AppName::Market,
        )
        .await;
    assert_eq!(made.status, 303, "{}", made.body);
    let (id, v): (i64, i64) = product_variants::table
        .inner_join(products::table)
        .filter(products::slug.eq("fell-hat"))
        .select((products::id, product_variants::id))
        .first(&mut t.db.conn().await)
        .await
        .unwrap();
    let deletes = async || -> i64 {
        ap_activities::table
            .filter(ap_activities::direction.eq("outbound"))
            .filter(ap_activities::kind.eq("Delete"))
            .count()
            .get_result(&mut t.db.conn().await)
            .await
            .unwrap()
    };
    let inv = inventory(&t);
    let later = Utc::now() + Duration::minutes(15);
    inv.reserve("checkout-1", &one(v, 2), later)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stock(&t, v).await, Some(3));

    let refused = t
        .post_form(
            AppName::Market,
            "/products/fell-hat/delete",
            &[],
            Some(&owner_s),
            AppName::Market,
        )
        .await;
    assert_eq!(refused.status, 409, "{}", refused.body);
    assert!(
        refused.body.contains("A checkout holds this product"),
        "{}",
        refused.body
    );
    let status: String = products::table
        .find(id)
        .select(products::status)
        .first(&mut t.db.conn().await)
        .await
        .unwrap();
    assert_eq!(status, "active", "the product is still there");
    assert_eq!(stock(&t, v).await, Some(3), "the stock is still held");
    assert_eq!(deletes().await, 0, "followers are told nothing");
    assert_eq!(
        t.get(AppName::Market, "/products/fell-hat", None)
            .await
            .status,
        200
    );
    // The checkout can still finish with what it holds.
    let committed = inv.commit("checkout-1").await.unwrap().unwrap();
    assert_eq!(committed.state, ReservationState::Committed);

    // Nothing held any more: the owner deletes it.
    let deleted = t
        .post_form(
            AppName::Market,
            "/products/fell-hat/delete",
            &[],
            Some(&owner_s),
            AppName::Market,
        )
        .await;
    assert_eq!(deleted.status, 303, "{}", deleted.body);
    let left: i64 = products::table
        .find(id)
        .count()
        .get_result(&mut t.db.conn().await)
        .await
        .unwrap();
    assert_eq!(left, 0);
    assert_eq!(deletes().await, 1);
    t.stop().await;
}
