//! Cart: sellable lines and their flags, checkout into one order however often it is asked,
//! stock held and released, SumUp payments verified only by our own `GET` (played by the
//! local SumUp simulator, `deploy::sumup_sim`), refunds, receipts and who may see an order.

mod browser;
mod checkout;
mod crashes;
mod lines;
mod order_events;
mod payments;
mod prism;
mod reconcile;

use deploy::sumup_sim::SumUpSim;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use shared::AppName;
use shared::db::schema::{orders, product_variants};
use shared::models::market::{self, NewProduct, NewVariant};
use shared::testing::TestSession;

use crate::support::people::member;
use crate::support::{Page, TestFleet};

pub const API_KEY: &str = "sk_test_cart_0123456789";
pub const MERCHANT: &str = "MTESTCART";

/// A fleet whose cart pays through a fresh SumUp simulator (at `api_url`, or the simulator's
/// own address).
pub async fn fleet_with(
    sim: &SumUpSim,
    api_url: Option<&str>,
    extra: &[(&str, &str)],
) -> TestFleet {
    let url = api_url.map_or_else(|| sim.url(), str::to_owned);
    let mut overrides = vec![
        ("SUMUP_API_URL", url.as_str()),
        ("SUMUP_API_KEY", API_KEY),
        ("SUMUP_MERCHANT_CODE", MERCHANT),
    ];
    overrides.extend_from_slice(extra);
    TestFleet::start_with(&overrides).await
}

pub async fn fleet() -> (TestFleet, SumUpSim) {
    let sim = SumUpSim::start(0, API_KEY, MERCHANT).unwrap();
    sim.set_retry_scale(0.0005);
    let t = fleet_with(&sim, None, &[]).await;
    (t, sim)
}

/// An active product with one variant (`stock`: `None` untracked); returns the variant's id.
pub async fn variant(t: &TestFleet, slug: &str, cents: i64, stock: i32) -> i64 {
    let mut conn = t.db.conn().await;
    let p = market::insert(
        &mut conn,
        &NewProduct {
            slug,
            title: &format!("Product {slug}"),
            description: "",
            price_cents: cents,
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

/// A second variant of the product `slug`.
pub async fn another_variant(
    t: &TestFleet,
    slug: &str,
    option: &str,
    cents: i64,
    currency: &str,
) -> i64 {
    let mut conn = t.db.conn().await;
    let product = market::by_slug(&mut conn, slug).await.unwrap().unwrap();
    diesel::insert_into(product_variants::table)
        .values(&NewVariant {
            product_id: product.id,
            sku: None,
            option1: Some(option),
            option2: None,
            option3: None,
            price_cents: cents,
            currency,
            stock: Some(5),
            image_url: None,
            position: 1,
        })
        .returning(product_variants::id)
        .get_result(&mut conn)
        .await
        .unwrap()
}

pub async fn stock(t: &TestFleet, variant_id: i64) -> Option<i32> {
    product_variants::table
        .find(variant_id)
        .select(product_variants::stock)
        .first(&mut t.db.conn().await)
        .await
        .unwrap()
}

/// A member signed in at the cart.
pub async fn buyer(t: &TestFleet, name: &str) -> (i64, TestSession) {
    let id = member(t, name).await;
    (id, t.sign_in(AppName::Cart, id).await)
}

pub async fn add(t: &TestFleet, s: &TestSession, variant_id: i64, quantity: i32) -> Page {
    let v = variant_id.to_string();
    let q = quantity.to_string();
    t.post_form(
        AppName::Cart,
        "/cart/items",
        &[("variant", v.as_str()), ("quantity", q.as_str())],
        Some(s),
        AppName::Market,
    )
    .await
}

pub async fn checkout(t: &TestFleet, s: &TestSession) -> Page {
    t.post_form(
        AppName::Cart,
        "/checkout",
        &[
            ("email", ""),
            ("name", "Buyer"),
            ("fulfilment", "collection"),
        ],
        Some(s),
        AppName::Cart,
    )
    .await
}

pub fn location(page: &Page) -> String {
    page.headers
        .get("location")
        .map(|l| l.to_str().unwrap().to_owned())
        .unwrap_or_default()
}

/// (reference, state) of every order, oldest first.
pub async fn all_orders(t: &TestFleet) -> Vec<(String, String)> {
    orders::table
        .order(orders::id)
        .select((orders::reference, orders::state))
        .load(&mut t.db.conn().await)
        .await
        .unwrap()
}

/// Runs the scheduled jobs of `job_type` now (as if their time had come).
pub async fn due_now(t: &TestFleet, job_type: &str) {
    diesel::sql_query(
        "UPDATE background_jobs SET run_at = now() - interval '1 second' WHERE job_type = $1 AND status = 'pending'",
    )
    .bind::<diesel::sql_types::Text, _>(job_type)
    .execute(&mut t.db.conn().await)
    .await
    .unwrap();
    diesel::sql_query("NOTIFY background_jobs")
        .execute(&mut t.db.conn().await)
        .await
        .unwrap();
}
