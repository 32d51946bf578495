//! `deploy bench market`: the market's public pages under load, and the importer's speed.
//!
//! Runs the six release binaries on a scratch database holding the demo content and a
//! [`CATALOGUE`]-product catalogue ([`seed_catalogue`], deterministic, also what the search
//! test checks answers against), then measures with `wrk` (64 connections by default):
//! - a product page for an anonymous visitor (from the page cache), next to the same bytes
//!   served as a static file by nginx (the ceiling);
//!
//! and each page rendered on every request (a session-cookie name with a random value, so no
//! page cache answers for the page itself; the home page and the search repeat one query, so
//! after the first request their answer comes from the market's copy for the content's
//! generation, and what is measured is mostly rendering):
//! - the market home (first page of 10,000 products with its facet counts),
//! - a search (`q=quince`, ranked full text plus trigram similarity, facets),
//! - a product page (variants, images, JSON-LD).
//!
//! Then times reading a product from a ~500 KB shop page (parse + structured data +
//! interpretation), in-process. Prints figures next to the targets; asserts nothing.

use std::path::Path;
use std::time::Instant;

use anyhow::{Context, bail};
use diesel::prelude::*;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use shared::AppName;
use shared::config::Config;
use shared::db::schema::{product_variants, products, stalls};
use shared::infrastructure::redis::Redis;
use shared::infrastructure::session::SessionStore;

use crate::bench::{Options, ReleaseFleet, WrkResult, port, run_wrk, static_ceiling, which};

const DATABASE: &str = "rose_ash_bench_market";
/// Products in the benchmark's (and the search test's) catalogue.
pub const CATALOGUE: usize = 10_000;
/// Stalls the catalogue is spread over (`bench-stall-1` …).
pub const STALLS: usize = 10;
const WARM_UP: usize = 20;
/// The product page measured.
const PRODUCT: &str = "/products/catalogue-4242";

pub const ADJECTIVES: [&str; 16] = [
    "Golden",
    "Smoked",
    "Wild",
    "Hand-knitted",
    "Organic",
    "Spiced",
    "Pressed",
    "Dried",
    "Fresh",
    "Aged",
    "Rustic",
    "Blue",
    "Tiny",
    "Heritage",
    "Salted",
    "Sweet",
];
pub const NOUNS: [&str; 25] = [
    "quince paste",
    "apple jelly",
    "cheese",
    "honey",
    "sourdough",
    "wool hat",
    "scarf",
    "candle",
    "chutney",
    "cider",
    "soap",
    "mug",
    "basket",
    "jam",
    "rye loaf",
    "elderflower cordial",
    "medlar jelly",
    "goat cheese",
    "beeswax wrap",
    "chopping board",
    "linen towel",
    "plum wine",
    "walnut oil",
    "seed packet",
    "felt slippers",
];
pub const TAGS: [&str; 12] = [
    "preserves",
    "dairy",
    "bakery",
    "knitwear",
    "home",
    "drinks",
    "garden",
    "gifts",
    "bees",
    "wood",
    "kitchen",
    "seasonal",
];
const PHRASES: [&str; 8] = [
    "Made in small batches by members of the cooperative.",
    "From the orchard behind the barn, picked by hand.",
    "Sold at the Saturday market while it lasts.",
    "Packed in recycled glass and paper.",
    "Every batch tastes a little different, which is the point.",
    "Ask at the stall about bulk orders for events.",
    "Keeps for a year in a cool, dark cupboard.",
    "Our bestseller three winters running.",
];

/// One generated product (1-based `i`), with the facts the search test checks against.
#[derive(Debug, Clone)]
pub struct CatalogueItem {
    pub slug: String,
    pub title: String,
    pub description: String,
    pub tags: Vec<&'static str>,
    /// 1-based stall number.
    pub stall: usize,
    /// Each variant's price (minor units) and stock (`None`: untracked).
    pub variants: Vec<(i64, Option<i32>)>,
}

impl CatalogueItem {
    pub fn in_stock(&self) -> bool {
        self.variants.iter().any(|(_, s)| s.is_none_or(|s| s > 0))
    }
    /// Whether a variant's price is within `min..=max`.
    pub fn priced_within(&self, min: i64, max: i64) -> bool {
        self.variants.iter().any(|(p, _)| (min..=max).contains(p))
    }
}

pub fn catalogue_item(i: usize) -> CatalogueItem {
    let adjective = ADJECTIVES[i % ADJECTIVES.len()];
    let noun = NOUNS[(i / ADJECTIVES.len()) % NOUNS.len()];
    let title = format!("{adjective} {noun} no. {i}");
    let description = format!(
        "{} {} Pairs well with our {}.",
        PHRASES[i % PHRASES.len()],
        PHRASES[(i / 3) % PHRASES.len()],
        NOUNS[(i * 7 + 3) % NOUNS.len()]
    );
    let tags = vec![TAGS[i % TAGS.len()], TAGS[(i / 5 + 3) % TAGS.len()]];
    let tags = if tags[0] == tags[1] {
        vec![tags[0]]
    } else {
        tags
    };
    let variants = (0..1 + i % 3)
        .map(|v| {
            let price = 150 + ((i * 37 + v * 211) % 4_850) as i64;
            let stock = match (i + v) % 9 {
                0 | 1 => Some(0),
                2 => None,
                n => Some(n as i32),
            };
            (price, stock)
        })
        .collect();
    CatalogueItem {
        slug: format!("catalogue-{i}"),
        title,
        description,
        tags,
        stall: 1 + i % STALLS,
        variants,
    }
}

/// Writes stalls `bench-stall-1..=STALLS` and products `1..=n` of the catalogue (active, each
/// with its variants; the database mirrors price and stock onto the product), replacing an
/// earlier catalogue. Returns the stalls' ids in order.
pub async fn seed_catalogue(conn: &mut AsyncPgConnection, n: usize) -> anyhow::Result<Vec<i64>> {
    conn.transaction(async |conn| {
        diesel::delete(products::table.filter(products::slug.like("catalogue-%")))
            .execute(conn)
            .await?;
        let mut stall_ids = Vec::new();
        for s in 1..=STALLS {
            let id: i64 = diesel::insert_into(stalls::table)
                .values((
                    stalls::slug.eq(format!("bench-stall-{s}")),
                    stalls::name.eq(format!("Bench stall {s}")),
                    stalls::description.eq(""),
                    stalls::contact.eq(""),
                    stalls::location.eq(""),
                ))
                .on_conflict(stalls::slug)
                .do_update()
                .set(stalls::name.eq(format!("Bench stall {s}")))
                .returning(stalls::id)
                .get_result(conn)
                .await?;
            stall_ids.push(id);
        }
        let items: Vec<CatalogueItem> = (1..=n).map(catalogue_item).collect();
        for chunk in items.chunks(1_000) {
            let rows: Vec<_> = chunk
                .iter()
                .map(|p| {
                    (
                        products::slug.eq(&p.slug),
                        products::title.eq(&p.title),
                        products::description.eq(&p.description),
                        products::status.eq("active"),
                        products::tags.eq(p.tags.iter().map(|t| t.to_string()).collect::<Vec<_>>()),
                        products::stall_id.eq(stall_ids[p.stall - 1]),
                        products::price_cents.eq(p.variants[0].0),
                        products::currency.eq("GBP"),
                    )
                })
                .collect();
            let ids: Vec<(i64, String)> = diesel::insert_into(products::table)
                .values(&rows)
                .returning((products::id, products::slug))
                .get_results(conn)
                .await?;
            let mut variants = Vec::new();
            for (id, slug) in &ids {
                let Some(p) = chunk.iter().find(|p| &p.slug == slug) else {
                    continue;
                };
                for (position, (price, stock)) in p.variants.iter().enumerate() {
                    variants.push((
                        product_variants::product_id.eq(*id),
                        product_variants::sku.eq(format!("{}-{position}", p.slug)),
                        product_variants::option1.eq(format!("Size {}", position + 1)),
                        product_variants::price_cents.eq(*price),
                        product_variants::currency.eq("GBP"),
                        product_variants::stock.eq(*stock),
                        product_variants::position.eq(position as i32),
                    ));
                }
            }
            diesel::insert_into(product_variants::table)
                .values(&variants)
                .execute(conn)
                .await?;
        }
        Ok::<_, anyhow::Error>(stall_ids)
    })
    .await
}

pub async fn run(options: Options) -> anyhow::Result<()> {
    let wrk = which("wrk").context("the benchmark needs wrk: sudo apt-get install wrk")?;
    println!(
        "Rose Ash market benchmark ({} connections, {} s each, wrk -t{})",
        options.connections, options.duration_secs, options.threads
    );
    let mut fleet = ReleaseFleet::prepare(DATABASE, "bench-market:").await?;
    let result = async {
        let started = Instant::now();
        let mut conn = AsyncPgConnection::establish(&fleet.database_url).await?;
        seed_catalogue(&mut conn, CATALOGUE).await?;
        // The catalogue replaces the last run's: without this the planner works from stale
        // statistics over the dead rows of every earlier run until autovacuum comes by.
        for table in ["products", "product_variants"] {
            diesel::sql_query(format!("VACUUM ANALYZE {table}"))
                .execute(&mut conn)
                .await?;
        }
        println!(
            "· seeded {CATALOGUE} products over {STALLS} stalls in {:.1} s",
            started.elapsed().as_secs_f64()
        );
        fleet.start().await?;
        measure(&wrk, &options, &fleet.config).await?;
        extraction()
    }
    .await;
    fleet.stop().await;
    result
}

async fn measure(wrk: &Path, options: &Options, config: &Config) -> anyhow::Result<()> {
    let client = shared::infrastructure::http_client::internal_client()?;
    let sessions = SessionStore::new(
        Redis::connect(&config.redis).await?,
        AppName::Market,
        config.apps.public(AppName::Market),
    );
    let mut random = [0u8; 24];
    openssl::rand::rand_bytes(&mut random)?;
    let sid: String = random.iter().map(|b| format!("{b:02x}")).collect();
    let cookie = format!("{}={sid}", sessions.cookie_name());
    let market = format!("http://127.0.0.1:{}", port(AppName::Market));
    cached_product_page(wrk, options, &client, &format!("{market}{PRODUCT}")).await?;
    let pages: [(&str, &str, &str); 3] = [
        ("home (10,000 products, facets)", "/", ""),
        (
            "search q=quince",
            "/?q=quince",
            "≥ 1,000 req/s, p99 ≤ 30 ms",
        ),
        ("product page", PRODUCT, "≥ 2,000 req/s, p99 ≤ 40 ms"),
    ];
    let mut rows = Vec::new();
    for (name, path, target) in pages {
        let url = format!("{market}{path}");
        let mut bytes = 0;
        for _ in 0..WARM_UP {
            let res = client
                .get(&url)
                .header("cookie", &cookie)
                .send()
                .await?
                .error_for_status()?;
            bytes = res.bytes().await?.len();
        }
        println!("· {path}: {bytes} bytes; measuring");
        let result = run_wrk(wrk, options, &url, &[format!("Cookie: {cookie}")]).await?;
        rows.push((name, bytes, result, target));
    }
    println!(
        "\nMarket pages, rendered every request ({} connections, wrk -t{}, {} s each, wrk on \
         the same cores)\n",
        options.connections, options.threads, options.duration_secs
    );
    println!(
        "  {:<32} {:>8} {:>9} {:>8} {:>8} {:>7}  target",
        "page", "bytes", "req/s", "p50 ms", "p99 ms", "errors"
    );
    for (name, bytes, r, target) in rows {
        let WrkResult {
            requests_per_sec,
            p50_ms,
            p99_ms,
            errors,
        } = r;
        println!(
            "  {name:<32} {bytes:>8} {requests_per_sec:>9.0} {p50_ms:>8.2} {p99_ms:>8.2} \
             {errors:>7}  {target}"
        );
    }
    println!(
        "  (errors: non-2xx answers and socket errors, mostly wrk's 2 s timeout when a page \
         renders slower than 64 connections ask)"
    );
    Ok(())
}

/// An anonymous visitor's product page (from the page cache) and the same bytes from nginx.
async fn cached_product_page(
    wrk: &Path,
    options: &Options,
    client: &reqwest::Client,
    url: &str,
) -> anyhow::Result<()> {
    let mut body = Vec::new();
    let mut source = String::new();
    for _ in 0..WARM_UP {
        let res = client.get(url).send().await?.error_for_status()?;
        source = res
            .headers()
            .get("x-cache")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("none")
            .to_owned();
        body = res.bytes().await?.to_vec();
    }
    if source != "HIT" {
        bail!("the anonymous product page is not from the page cache (x-cache: {source})");
    }
    println!(
        "· {url} (anonymous, page cache): {} bytes; measuring",
        body.len()
    );
    let cached = run_wrk(wrk, options, url, &[]).await?;
    if cached.errors > 0 {
        bail!("{url}: {} errors under load", cached.errors);
    }
    let (server, ceiling) = static_ceiling(wrk, options, client, &body).await?;
    let share = 100.0 * cached.requests_per_sec / ceiling.requests_per_sec.max(1.0);
    println!(
        "\nProduct page for an anonymous visitor ({} bytes, {} connections, wrk -t{}, {} s)\n",
        body.len(),
        options.connections,
        options.threads,
        options.duration_secs
    );
    println!(
        "  {:<32} {:>9} {:>8} {:>8}",
        "served by", "req/s", "p50 ms", "p99 ms"
    );
    for (name, r) in [("market (page cache)", &cached), (server, &ceiling)] {
        println!(
            "  {name:<32} {:>9.0} {:>8.2} {:>8.2}",
            r.requests_per_sec, r.p50_ms, r.p99_ms
        );
    }
    println!("  cached page at {share:.1}% of the static file (target ≥ 50%)\n");
    Ok(())
}

/// A ~500 KB product page: a theme's worth of markup, scripts and a JSON-LD block at the end.
pub fn big_page() -> String {
    let mut html = String::from(
        "<!doctype html><html><head><title>Wool hat</title>\
         <meta property=\"og:title\" content=\"Wool hat\"></head><body>",
    );
    let mut i = 0;
    while html.len() < 500 * 1024 {
        html.push_str(&format!(
            "<div class=\"card\" data-i=\"{i}\"><a href=\"/p/{i}\"><img src=\"/i/{i}.jpg\" \
             alt=\"Item {i}\"></a><p>Item {i} &amp; friends, <b>£{}.00</b></p>\
             <script>window.x{i} = {{\"a\": \"</p>\"}};</script></div>",
            i % 90
        ));
        i += 1;
    }
    html.push_str(
        "<script type=\"application/ld+json\">{\"@context\":\"https://schema.org\",\
         \"@type\":\"Product\",\"name\":\"Wool hat\",\"offers\":{\"@type\":\"Offer\",\
         \"price\":\"18.00\",\"priceCurrency\":\"GBP\"}}</script></body></html>",
    );
    html
}

fn extraction() -> anyhow::Result<()> {
    let html = big_page();
    let base = url::Url::parse("https://shop.example/p/hat")?;
    let mut times = Vec::new();
    for _ in 0..30 {
        let started = Instant::now();
        let found = market::domain::extract::extract(&html, &base);
        times.push(started.elapsed().as_secs_f64() * 1000.0);
        if found.is_none_or(|p| p.title != "Wool hat") {
            bail!("the big page's product was not read");
        }
    }
    times.sort_by(f64::total_cmp);
    println!(
        "\nReading a product from a {} KB page (30 runs): median {:.1} ms, worst {:.1} ms \
         (target ≤ 20 ms)",
        html.len() / 1024,
        times[times.len() / 2],
        times[times.len() - 1]
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_catalogue_is_varied() {
        let items: Vec<CatalogueItem> = (1..=CATALOGUE).map(catalogue_item).collect();
        let in_stock = items.iter().filter(|p| p.in_stock()).count();
        assert!(in_stock > CATALOGUE / 2 && in_stock < CATALOGUE);
        assert!(items.iter().any(|p| p.variants.len() == 3));
        let quince = items.iter().filter(|p| p.title.contains("quince")).count();
        assert!((300..=500).contains(&quince), "{quince}");
    }

    #[test]
    fn the_big_page_is_about_half_a_megabyte() {
        let html = big_page();
        assert!((500 * 1024..520 * 1024).contains(&html.len()));
    }
}
