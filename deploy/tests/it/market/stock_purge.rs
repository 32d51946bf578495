//! Stock taken or given back by checkouts outdates the market's cached pages and fragments at
//! once, as an owner's edit does: the anonymous product page (and the cached home page) says
//! "in stock", a checkout holds the last jar and the page says sold out, a cancelled checkout
//! gives it back, and a paid order takes it for good. A paid order's `OrderPaid` purges too
//! (the market's bus consumer), should a stock notification have been missed.

use chrono::Utc;
use shared::AppName;
use shared::activitypub::actors::LocalActor;
use shared::activitypub::bus;
use shared::contracts::dtos::Money;
use shared::contracts::events::{OrderPaid, PaidLine};
use shared::contracts::sellable::SellableRef;

use crate::cart::{add, all_orders, buyer, checkout, fleet, location, variant};
use crate::support::{Page, TestFleet, eventually};

async fn anonymous(t: &TestFleet, path: &str) -> Page {
    t.get(AppName::Market, path, None).await
}

fn cached(page: &Page) -> Option<&str> {
    page.headers.get("x-cache").and_then(|v| v.to_str().ok())
}

/// Waits until the anonymous product page of `slug` says sold out (`true`) or offers the jar.
async fn until_sold_out(t: &TestFleet, slug: &str, sold_out: bool) {
    let path = format!("/products/{slug}");
    eventually(10, &format!("{path} sold out = {sold_out}"), || async {
        let page = anonymous(t, &path).await;
        page.body.contains("Sold out.") == sold_out && page.body.contains("Add to cart") != sold_out
    })
    .await;
}

/// The market's page generation, as the page cache reads it.
async fn generation(t: &TestFleet) -> u64 {
    let ctx = t.fleet.ctx(AppName::Market);
    let redis = ctx.fragments().redis();
    let key = shared::infrastructure::fragments::generation_key(redis, AppName::Market, "pages");
    let value: Option<u64> = redis::cmd("GET")
        .arg(key)
        .query_async(&mut redis.conn())
        .await
        .unwrap();
    value.unwrap_or(0)
}

#[actix_web::test]
async fn checkouts_taking_stock_purge_the_cached_pages() {
    let (t, sim) = fleet().await;
    let jar = variant(&t, "last-jar", 725, 1).await;

    // Cached: the product page and the home page say it can be bought.
    let first = anonymous(&t, "/products/last-jar").await;
    assert_eq!(first.status, 200);
    assert!(first.body.contains("Add to cart"), "{}", first.body);
    let again = anonymous(&t, "/products/last-jar").await;
    assert_eq!(cached(&again), Some("HIT"));
    let home = anonymous(&t, "/").await;
    assert_eq!(cached(&home), Some("MISS"));
    let home = anonymous(&t, "/").await;
    assert_eq!(cached(&home), Some("HIT"), "the bare home page is cached");
    assert!(home.body.contains("Product last-jar"), "{}", home.body);
    assert!(!home.body.contains("sold out"), "{}", home.body);
    // A search is rendered, never cached.
    let searched = anonymous(&t, "/?q=jar").await;
    assert_eq!(cached(&searched), None);

    // A checkout holds the last jar: the cached pages go at once.
    let (_, s) = buyer(&t, "pia").await;
    assert_eq!(add(&t, &s, jar, 1).await.status, 303);
    let placed = checkout(&t, &s).await;
    assert_eq!(placed.status, 303, "{}", placed.body);
    until_sold_out(&t, "last-jar", true).await;
    let home = anonymous(&t, "/").await;
    assert!(home.body.contains("sold out"), "{}", home.body);

    // The buyer cancels: the jar is back on sale.
    let checkout_id = location(&placed).rsplit('/').next().unwrap().to_owned();
    let reference = sim.checkout(&checkout_id).unwrap().reference;
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
    until_sold_out(&t, "last-jar", false).await;

    // Another checkout, paid on SumUp's page: sold out for good.
    let placed = checkout(&t, &s).await;
    assert_eq!(placed.status, 303, "{}", placed.body);
    let checkout_id = location(&placed).rsplit('/').next().unwrap().to_owned();
    assert_eq!(sim.complete(&checkout_id, true).as_deref(), Some("PAID"));
    eventually(20, "the payment", || async {
        all_orders(&t).await.last().map(|o| o.1.clone()) == Some("PaymentSettled".into())
    })
    .await;
    until_sold_out(&t, "last-jar", true).await;
    let page = anonymous(&t, "/products/last-jar").await;
    assert!(page.body.contains("Sold out."), "{}", page.body);
    let home = anonymous(&t, "/").await;
    assert!(home.body.contains("sold out"), "{}", home.body);

    // The market's consumer purges on an `OrderPaid` of its goods.
    let ctx = t.fleet.ctx(AppName::Cart).clone();
    let publish = async |id: &str, item: SellableRef| {
        let event = OrderPaid {
            id: format!("urn:test:{id}"),
            reference: id.to_owned(),
            user_id: None,
            total: Money {
                cents: 725,
                currency: "GBP".into(),
            },
            paid_at: Utc::now(),
            lines: vec![PaidLine {
                position: 0,
                item,
                quantity: 1,
            }],
        };
        let mut conn = t.db.conn().await;
        bus::publish(
            &mut conn,
            ctx.config(),
            &LocalActor::App(AppName::Cart),
            &event,
        )
        .await
        .unwrap();
    };
    let before = generation(&t).await;
    publish("RA-JAR", SellableRef::variant(jar)).await;
    eventually(10, "OrderPaid to purge", || async {
        generation(&t).await > before
    })
    .await;
    t.stop().await;
    sim.stop().await;
}
