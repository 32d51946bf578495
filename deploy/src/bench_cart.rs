//! `deploy bench cart`: checkouts and SumUp webhooks under load.
//!
//! Runs the six release binaries on a scratch database (its orders, carts, reservations and
//! jobs emptied first) with the cart paying through a local SumUp simulator (in this process,
//! webhooks off: the benchmark sends them), and [`PRODUCTS`] products with ample stock. Every
//! checkout is a visitor of its own: an anonymous session (made by the cart's session store,
//! with its CSRF token) whose cart holds one line, added beforehand through the add-to-cart
//! form. Then, with `-c` requests in flight (64 by default):
//!
//! 1. **Checkouts** for `-d` seconds (or until the prepared carts run out): each a
//!    `POST /checkout` answered `303` to SumUp's hosted page, so it has read the cart and its
//!    sellables, reserved the stock through `Inventory`, written the order with its snapshot
//!    lines and history, frozen the cart, queued the expiry, created the checkout at the
//!    simulator and recorded it.
//! 2. **Webhooks**: every checkout made is paid at the simulator, then its
//!    `CHECKOUT_STATUS_CHANGED` webhook is posted to the cart; each is verified by the cart's
//!    job (`GET /v0.1/checkouts/{id}`) and applied (the order settled, `OrderPaid` on the bus,
//!    stock and receipt jobs queued). Measured from the first webhook sent to the last order's
//!    `paid_at`, with each order's latency from its webhook to its `paid_at`.
//!
//! Prints figures next to the issue's targets and checks the books (one order and one SumUp
//! checkout per successful checkout, each settled once); asserts no speed.

use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use futures_util::StreamExt;
use shared::AppName;
use shared::config::Config;
use shared::db::schema::{order_history, orders, product_variants};
use shared::infrastructure::redis::Redis;
use shared::infrastructure::session::{SessionData, SessionStore};
use shared::models::market::{self, NewProduct};

use crate::bench::{Options, ReleaseFleet, port};
use crate::sumup_sim::SumUpSim;

const DATABASE: &str = "rose_ash_bench_cart";
const API_KEY: &str = "sk_test_bench_cart_0123456789";
const MERCHANT: &str = "MBENCHCART";
/// Products the checkouts buy from (one variant each, round robin).
pub const PRODUCTS: usize = 100;
/// Checkouts made before measuring (not counted).
const WARM_UP: usize = 200;
/// Carts prepared per second of the run (more than the cart can check out).
const CARTS_PER_SECOND: usize = 1_000;

/// A visitor with one line in their cart.
struct Visitor {
    cookie: String,
    csrf: String,
    email: String,
}

pub async fn run(options: Options) -> anyhow::Result<()> {
    println!(
        "Rose Ash cart benchmark ({} requests in flight, checkouts for {} s)",
        options.connections, options.duration_secs
    );
    let sim = SumUpSim::start(0, API_KEY, MERCHANT)?;
    sim.set_webhooks(false);
    let result = async {
        let mut fleet = ReleaseFleet::prepare(DATABASE, "bench-cart:").await?;
        fleet.set_env("SUMUP_API_URL", &sim.url());
        fleet.set_env("SUMUP_API_KEY", API_KEY);
        fleet.set_env("SUMUP_MERCHANT_CODE", MERCHANT);
        let result = async {
            let mut conn = AsyncPgConnection::establish(&fleet.database_url).await?;
            let variants = reset_and_stock(&mut conn).await?;
            fleet.start().await?;
            measure(&options, &fleet.config, &sim, &variants, &mut conn).await
        }
        .await;
        fleet.stop().await;
        result
    }
    .await;
    sim.stop().await;
    result
}

/// Empties what earlier runs left (orders, carts, reservations, jobs, bus events) and makes
/// sure [`PRODUCTS`] products with ample stock exist; returns their variants' ids.
async fn reset_and_stock(conn: &mut AsyncPgConnection) -> anyhow::Result<Vec<i64>> {
    diesel::sql_query(
        "TRUNCATE orders, carts, inventory_reservations, background_jobs, ap_activities CASCADE",
    )
    .execute(conn)
    .await?;
    let mut variants = Vec::with_capacity(PRODUCTS);
    for i in 0..PRODUCTS {
        let slug = format!("bench-cart-{i}");
        let product = match market::by_slug(conn, &slug).await? {
            Some(p) => p,
            None => {
                market::insert(
                    conn,
                    &NewProduct {
                        slug: &slug,
                        title: &format!("Bench jar no. {i}"),
                        description: "A jar for the checkout benchmark.",
                        price_cents: 350 + i as i64,
                        currency: "GBP",
                        image_url: None,
                        featured: false,
                        stock: 1_000_000,
                    },
                )
                .await?
            }
        };
        let variant: i64 = product_variants::table
            .filter(product_variants::product_id.eq(product.id))
            .select(product_variants::id)
            .first(conn)
            .await?;
        diesel::update(product_variants::table.find(variant))
            .set(product_variants::stock.eq(Some(1_000_000)))
            .execute(conn)
            .await?;
        variants.push(variant);
    }
    Ok(variants)
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted.get(i).map_or(0.0, |d| d.as_secs_f64() * 1000.0)
}

/// `count` visitors, each with a session of the cart and one line (added through the cart's
/// add-to-cart form, as a market page posts it).
async fn visitors(
    config: &Config,
    http: &reqwest::Client,
    variants: &[i64],
    count: usize,
    in_flight: usize,
) -> anyhow::Result<Vec<Visitor>> {
    let sessions = SessionStore::new(
        Redis::connect(&config.redis).await?,
        AppName::Cart,
        config.apps.public(AppName::Cart),
    );
    let add_url = format!("{}cart/items", config.apps.public(AppName::Cart));
    let market_origin = config
        .apps
        .public(AppName::Market)
        .origin()
        .ascii_serialization();
    let made: Vec<anyhow::Result<Visitor>> = futures_util::stream::iter(0..count)
        .map(|i| {
            let (sessions, add_url, market_origin) = (&sessions, &add_url, &market_origin);
            async move {
                let data = SessionData::for_user(None)?;
                let sid = sessions.create(&data).await?;
                let cookie = format!("{}={sid}", sessions.cookie_name());
                let variant = variants[i % variants.len()].to_string();
                let res = http
                    .post(add_url)
                    .header("cookie", &cookie)
                    .header("origin", market_origin)
                    .header("sec-fetch-site", "same-site")
                    .form(&[("variant", variant.as_str()), ("quantity", "1")])
                    .send()
                    .await?;
                if res.status() != reqwest::StatusCode::SEE_OTHER {
                    bail!("adding to a cart answered {}", res.status());
                }
                Ok(Visitor {
                    cookie,
                    csrf: data.csrf,
                    email: format!("bench-{i}@example.org"),
                })
            }
        })
        .buffer_unordered(in_flight)
        .collect()
        .await;
    made.into_iter().collect()
}

/// One checkout: `Ok(Some(latency))` when answered `303` to SumUp's hosted page.
async fn check_out(
    http: &reqwest::Client,
    url: &str,
    origin: &str,
    visitor: &Visitor,
) -> anyhow::Result<Duration> {
    let started = Instant::now();
    let res = http
        .post(url)
        .header("cookie", &visitor.cookie)
        .header("origin", origin)
        .header("sec-fetch-site", "same-origin")
        .form(&[
            ("email", visitor.email.as_str()),
            ("name", "Bench"),
            ("fulfilment", "collection"),
            ("csrf_token", visitor.csrf.as_str()),
        ])
        .send()
        .await?;
    let status = res.status();
    let to_sumup = res
        .headers()
        .get("location")
        .and_then(|l| l.to_str().ok())
        .is_some_and(|l| l.contains("/pay/"));
    // Read to the end, as a browser would, before the time is taken.
    let body = res.text().await?;
    let took = started.elapsed();
    if status != reqwest::StatusCode::SEE_OTHER || !to_sumup {
        bail!(
            "checkout answered {status}: {}",
            body.chars().take(200).collect::<String>()
        );
    }
    Ok(took)
}

/// Runs checkouts with `in_flight` at once, over `visitors`, until `deadline` or until they
/// run out; returns each successful checkout's latency and the failures' count.
async fn checkouts(
    http: &reqwest::Client,
    config: &Config,
    visitors: &[Visitor],
    in_flight: usize,
    deadline: Option<Instant>,
) -> (Vec<Duration>, Vec<String>) {
    let url = format!("{}checkout", config.apps.public(AppName::Cart));
    let origin = config
        .apps
        .public(AppName::Cart)
        .origin()
        .ascii_serialization();
    let next = AtomicUsize::new(0);
    let latencies = Mutex::new(Vec::with_capacity(visitors.len()));
    let failures = Mutex::new(Vec::new());
    let worker = || async {
        loop {
            if deadline.is_some_and(|d| Instant::now() >= d) {
                return;
            }
            let i = next.fetch_add(1, Ordering::Relaxed);
            let Some(visitor) = visitors.get(i) else {
                return;
            };
            match check_out(http, &url, &origin, visitor).await {
                Ok(took) => latencies
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .push(took),
                Err(e) => failures
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .push(e.to_string()),
            }
        }
    };
    futures_util::future::join_all((0..in_flight).map(|_| worker())).await;
    (
        latencies.into_inner().unwrap_or_else(|e| e.into_inner()),
        failures.into_inner().unwrap_or_else(|e| e.into_inner()),
    )
}

async fn measure(
    options: &Options,
    config: &Config,
    sim: &SumUpSim,
    variants: &[i64],
    conn: &mut AsyncPgConnection,
) -> anyhow::Result<()> {
    let http = shared::infrastructure::http_client::internal_client()?;
    let in_flight = options.connections.max(1) as usize;
    let count = WARM_UP + CARTS_PER_SECOND * options.duration_secs.max(1) as usize;
    let started = Instant::now();
    let visitors = visitors(config, &http, variants, count, in_flight).await?;
    println!(
        "· {count} visitors with a line in their cart, prepared in {:.1} s",
        started.elapsed().as_secs_f64()
    );

    // 1. Checkouts.
    let (warm, rest) = visitors.split_at(WARM_UP);
    let (_, failed) = checkouts(&http, config, warm, in_flight, None).await;
    if let Some(first) = <[String]>::first(&failed) {
        bail!("{} warm-up checkouts failed, e.g. {first}", failed.len());
    }
    let started = Instant::now();
    let deadline = started + Duration::from_secs(u64::from(options.duration_secs.max(1)));
    let (mut latencies, failed) = checkouts(&http, config, rest, in_flight, Some(deadline)).await;
    let elapsed = started.elapsed();
    latencies.sort();
    let made = latencies.len();
    println!(
        "\nCheckouts (cart → order with snapshot lines, stock reserved, SumUp checkout made), {in_flight} in flight:\n  {made} in {:.2} s = {:.0}/s   p50 {:.2} ms   p99 {:.2} ms   (target ≥ 300/s){}",
        elapsed.as_secs_f64(),
        made as f64 / elapsed.as_secs_f64(),
        percentile(&latencies, 0.5),
        percentile(&latencies, 0.99),
        if made == rest.len() {
            "   (ran out of prepared carts)"
        } else {
            ""
        }
    );
    if let Some(first) = <[String]>::first(&failed) {
        println!("  {} failed, e.g. {first}", failed.len());
    }
    let order_count: i64 = orders::table.count().get_result(conn).await?;
    let expected = WARM_UP + made;
    let checkouts_made = sim.checkouts();
    if order_count as usize != expected || checkouts_made.len() != expected {
        bail!(
            "the books disagree: {expected} checkouts answered, {order_count} orders, {} SumUp checkouts",
            checkouts_made.len()
        );
    }

    // 2. Webhooks: every checkout is paid at SumUp, then its webhook posted.
    for c in &checkouts_made {
        sim.complete(&c.id, true);
    }
    let webhook = format!(
        "{}{}",
        config
            .apps
            .public(AppName::Cart)
            .as_str()
            .trim_end_matches('/'),
        cart::WEBHOOK
    );
    let sent_at: Mutex<std::collections::HashMap<String, DateTime<Utc>>> =
        Mutex::new(std::collections::HashMap::with_capacity(expected));
    let started = Instant::now();
    let first_sent = Utc::now();
    let answered: Vec<anyhow::Result<Duration>> = futures_util::stream::iter(&checkouts_made)
        .map(|c| {
            let (http, webhook, sent_at) = (&http, &webhook, &sent_at);
            async move {
                let body = format!(
                    r#"{{"event_type":"CHECKOUT_STATUS_CHANGED","id":"{}"}}"#,
                    c.id
                );
                let sent = Instant::now();
                sent_at
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .insert(c.id.clone(), Utc::now());
                let res = http
                    .post(webhook)
                    .header("content-type", "application/json")
                    .body(body)
                    .send()
                    .await?;
                if !res.status().is_success() {
                    bail!("the webhook answered {}", res.status());
                }
                Ok(sent.elapsed())
            }
        })
        .buffer_unordered(in_flight)
        .collect()
        .await;
    let sending = started.elapsed();
    let mut answers = answered.into_iter().collect::<anyhow::Result<Vec<_>>>()?;
    answers.sort();
    // Wait for every order to be settled (the verifications are jobs).
    let settle_deadline = Instant::now() + Duration::from_secs(300);
    loop {
        let settled: i64 = orders::table
            .filter(orders::state.eq("PaymentSettled"))
            .count()
            .get_result(conn)
            .await?;
        if settled as usize == expected {
            break;
        }
        if Instant::now() > settle_deadline {
            bail!("only {settled} of {expected} orders settled after 5 minutes");
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let paid: Vec<(Option<String>, Option<DateTime<Utc>>)> = orders::table
        .select((orders::sumup_checkout_id, orders::paid_at))
        .load(conn)
        .await?;
    let sent_at = sent_at.into_inner().unwrap_or_else(|e| e.into_inner());
    let mut applied = Vec::with_capacity(paid.len());
    let mut last = first_sent;
    for (checkout, paid_at) in paid {
        let (Some(checkout), Some(paid_at)) = (checkout, paid_at) else {
            bail!("a settled order without its checkout or payment time");
        };
        let sent = sent_at
            .get(&checkout)
            .with_context(|| format!("no webhook was sent for {checkout}"))?;
        last = last.max(paid_at);
        applied.push((paid_at - *sent).to_std().unwrap_or_default());
    }
    applied.sort();
    let span = (last - first_sent).to_std().unwrap_or_default();
    let moves: i64 = order_history::table
        .filter(order_history::to_state.eq("PaymentSettled"))
        .count()
        .get_result(conn)
        .await?;
    if moves as usize != expected {
        bail!("{moves} moves to PaymentSettled for {expected} orders");
    }
    println!(
        "\nWebhooks (answered 2xx, then verified by GET at SumUp and applied: order settled, OrderPaid, jobs queued), {in_flight} in flight:\n  {expected} in {:.2} s = {:.0}/s   webhook to paid p50 {:.2} ms   p99 {:.2} ms   (target ≥ 1,000/s)\n  the webhooks themselves: {:.0}/s   p50 {:.2} ms   p99 {:.2} ms",
        span.as_secs_f64(),
        expected as f64 / span.as_secs_f64().max(1e-9),
        percentile(&applied, 0.5),
        percentile(&applied, 0.99),
        expected as f64 / sending.as_secs_f64().max(1e-9),
        percentile(&answers, 0.5),
        percentile(&answers, 0.99),
    );
    println!(
        "  (cart on port {}; the books agree: {expected} orders, {expected} SumUp checkouts, each settled once)",
        port(AppName::Cart)
    );
    Ok(())
}
