//! Importing a product from a shop's page, against a local server playing the shops: JSON-LD
//! shaped like Shopify's (`ProductGroup`, `AggregateOffer`, `hasVariant`) and WooCommerce's
//! (`@graph`, an offer list), OpenGraph only, and the failures (garbage, over the size cap, a
//! 500, a redirect to a private address), each a clear 400 that saves nothing. The preview is
//! a draft the owner saves; it stays unpublished.

use std::net::TcpListener;

use actix_web::{App, HttpResponse, HttpServer, web};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use shared::AppName;
use shared::db::schema::products;

use crate::support::people::person;
use crate::support::{TestFleet, eventually};

const SHOPIFY: &str = r#"<!doctype html><html><head><title>Wool Hat – Fell Knits</title>
<meta property="og:title" content="Wool Hat">
<script type="application/ld+json">{"@context":"http://schema.org/","@type":"ProductGroup",
 "name":"Wool Hat","description":"Warm &amp; soft.","brand":{"@type":"Brand","name":"Fell Knits"},
 "image":["/cdn/hat.jpg",{"@type":"ImageObject","url":"/cdn/hat-2.jpg"}],
 "offers":{"@type":"AggregateOffer","lowPrice":"18.00","highPrice":"22.00","priceCurrency":"GBP"},
 "hasVariant":[
  {"@type":"Product","name":"Wool Hat - Red","sku":"HAT-R","image":"/cdn/red.jpg",
   "offers":{"@type":"Offer","price":"18.00","priceCurrency":"GBP","availability":"http://schema.org/InStock"}},
  {"@type":"Product","name":"Wool Hat - Blue","sku":"HAT-B",
   "offers":{"@type":"Offer","price":22,"priceCurrency":"GBP","availability":"https://schema.org/OutOfStock"}}]}
</script></head><body><h1>Wool Hat</h1></body></html>"#;

const WOO: &str = r#"<html><head><script type="application/ld+json" class="yoast-schema-graph">
{"@context":"https://schema.org","@graph":[{"@type":"WebPage","@id":"/p/"},
 {"@type":"Product","name":"Quince paste","description":"Set quince.","image":"/wp-content/uploads/quince.jpg","sku":"QP-1",
  "offers":[{"@type":"Offer","price":"4.50","priceCurrency":"EUR","availability":"http://schema.org/InStock"}]}]}
</script></head><body></body></html>"#;

const OPENGRAPH: &str = r#"<html><head><script type="application/ld+json">{"@type": "Product", "name": </script>
<meta property="og:type" content="product"><meta property="og:title" content="Medlar jelly">
<meta property="og:image" content="/j.jpg"><meta property="product:price:amount" content="6.50">
<meta property="product:price:currency" content="GBP"></head></html>"#;

struct Shop {
    base: String,
    handle: actix_web::dev::ServerHandle,
}

async fn shop() -> Shop {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!(
        "http://shop.localhost:{}",
        listener.local_addr().unwrap().port()
    );
    let html = |body: &'static str| {
        move || async move {
            HttpResponse::Ok()
                .content_type("text/html; charset=utf-8")
                .body(body)
        }
    };
    let server = HttpServer::new(move || {
        App::new()
            .route("/shopify", web::get().to(html(SHOPIFY)))
            .route("/woo", web::get().to(html(WOO)))
            .route("/og", web::get().to(html(OPENGRAPH)))
            .route("/garbage", web::get().to(html("<html><body>just words")))
            .route(
                "/huge",
                web::get().to(|| async {
                    HttpResponse::Ok()
                        .content_type("text/html")
                        .body(format!("<html>{}</html>", "x".repeat(3 * 1024 * 1024)))
                }),
            )
            .route(
                "/broken",
                web::get().to(|| async { HttpResponse::InternalServerError().finish() }),
            )
            .route(
                "/private",
                web::get().to(|| async {
                    HttpResponse::Found()
                        .insert_header(("location", "http://10.0.0.1/admin"))
                        .finish()
                }),
            )
    })
    .workers(1)
    .listen(listener)
    .unwrap()
    .run();
    let handle = server.handle();
    actix_web::rt::spawn(server);
    Shop { base, handle }
}

#[actix_web::test]
async fn an_owner_imports_a_product_as_a_draft_and_failures_save_nothing() {
    let t = TestFleet::start().await;
    let shop = shop().await;
    let owner = person(&t, "fell", "member").await;
    let other = person(&t, "nosy", "member").await;
    super::fell_knits(&t, owner).await;
    let owner_s = t.sign_in(AppName::Market, owner).await;
    let other_s = t.sign_in(AppName::Market, other).await;
    let import = |path: &str, who| {
        let url = format!("{}{path}", shop.base);
        let t = &t;
        async move {
            t.post_form(
                AppName::Market,
                "/stalls/fell-knits/import",
                &[("url", url.as_str())],
                Some(who),
                AppName::Market,
            )
            .await
        }
    };
    let products_now = || {
        let t = &t;
        async move {
            products::table
                .count()
                .get_result::<i64>(&mut t.db.conn().await)
                .await
                .unwrap()
        }
    };

    assert_eq!(import("/shopify", &other_s).await.status, 403);

    let shopify = import("/shopify", &owner_s).await;
    assert_eq!(shopify.status, 200, "{}", shopify.body);
    assert!(
        shopify.body.contains(r#"value="Wool Hat""#),
        "{}",
        shopify.body
    );
    assert!(shopify.body.contains("Red | HAT-R | 18.00 GBP |  |"));
    assert!(shopify.body.contains("Blue | HAT-B | 22.00 GBP | 0 |"));
    // The shop serves no files at its image addresses: each is listed as left out, and the
    // draft does not link to it.
    assert!(
        shopify.body.contains(&format!(
            "<code>{}/cdn/hat-2.jpg</code>: answered 404",
            shop.base
        )),
        "{}",
        shopify.body
    );
    assert!(
        !shopify
            .body
            .contains(&format!("{}/cdn/hat-2.jpg |", shop.base))
    );
    let woo = import("/woo", &owner_s).await;
    assert!(woo.body.contains(r#"value="Quince paste""#) && woo.body.contains("QP-1 | 4.50 EUR"));
    let og = import("/og", &owner_s).await;
    assert!(og.body.contains(r#"value="Medlar jelly""#) && og.body.contains("6.50 GBP"));
    assert_eq!(products_now().await, 0, "a preview saves nothing");

    for (path, says) in [
        ("/garbage", "names no product"),
        ("/huge", "over 2 MB"),
        ("/broken", "500"),
        ("/private", "not a public address"),
    ] {
        let failed = import(path, &owner_s).await;
        assert_eq!(failed.status, 400, "{path}: {}", failed.body);
        assert!(failed.body.contains(says), "{path}: {}", failed.body);
    }
    assert_eq!(products_now().await, 0);

    // Saving the reviewed draft: saved, but not public until published.
    let saved = t
        .post_form(
            AppName::Market,
            "/stalls/fell-knits/products",
            &[
                ("title", "Wool Hat"),
                ("status", "draft"),
                ("option1", "Variant"),
                (
                    "variants",
                    "Red | HAT-R | 18.00 GBP |  |\nBlue | HAT-B | 22.00 GBP | 0 |",
                ),
            ],
            Some(&owner_s),
            AppName::Market,
        )
        .await;
    assert_eq!(saved.status, 303, "{}", saved.body);
    assert_eq!(products_now().await, 1);
    assert_eq!(
        t.get(AppName::Market, "/products/wool-hat", None)
            .await
            .status,
        404
    );
    shop.handle.stop(false).await;
    t.stop().await;
}

/// A product page for the bulk import: every tenth names no product.
fn bulk_page(n: u32) -> String {
    if n.is_multiple_of(10) {
        return "<html><body>Out of print.</body></html>".into();
    }
    format!(
        r#"<html><head><script type="application/ld+json">{{"@context":"https://schema.org",
        "@type":"Product","name":"Bulk item {n}","sku":"B-{n}","image":"/img/{n}.jpg",
        "offers":{{"@type":"Offer","price":"{n}.50","priceCurrency":"GBP"}}}}</script></head></html>"#
    )
}

async fn bulk_shop() -> Shop {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!(
        "http://shop.localhost:{}",
        listener.local_addr().unwrap().port()
    );
    let server = HttpServer::new(|| {
        App::new().route(
            "/items/{n}",
            web::get().to(|n: web::Path<u32>| async move {
                HttpResponse::Ok()
                    .content_type("text/html")
                    .body(bulk_page(*n))
            }),
        )
    })
    .workers(2)
    .listen(listener)
    .unwrap()
    .run();
    let handle = server.handle();
    actix_web::rt::spawn(server);
    Shop { base, handle }
}

fn progress_counts(body: &str) -> Option<(u32, u32, u32, u32)> {
    let at = body.find(r#"class="progress""#)?;
    let tag = &body[at..at + body[at..].find('>')?];
    let attr = |name: &str| -> Option<u32> {
        let key = format!(r#"data-{name}=""#);
        let from = tag.find(&key)? + key.len();
        tag[from..from + tag[from..].find('"')?].parse().ok()
    };
    Some((
        attr("total")?,
        attr("done")?,
        attr("failed")?,
        attr("queued")?,
    ))
}

#[actix_web::test]
async fn a_bulk_import_of_fifty_pages_runs_as_jobs_and_survives_a_crashed_worker() {
    use market::db::imports;
    use market::domain::imports::ImportProduct;
    use shared::db::schema::market_import_items;

    let t = TestFleet::start().await;
    let shop = bulk_shop().await;
    let owner = person(&t, "fell", "member").await;
    let other = person(&t, "nosy", "member").await;
    let stall_id = super::fell_knits(&t, owner).await;
    let owner_s = t.sign_in(AppName::Market, owner).await;
    let other_s = t.sign_in(AppName::Market, other).await;
    let urls: String = (1..=50)
        .map(|n| format!("{}/items/{n}\n", shop.base))
        .collect();

    // Bad lists are refused whole; someone else's stall is not theirs to fill.
    for bad in ["", "not an address", "javascript:alert(1)"] {
        let r = t
            .post_form(
                AppName::Market,
                "/stalls/fell-knits/imports",
                &[("urls", bad)],
                Some(&owner_s),
                AppName::Market,
            )
            .await;
        assert_eq!(r.status, 400, "{bad:?}: {}", r.body);
    }
    let refused = t
        .post_form(
            AppName::Market,
            "/stalls/fell-knits/imports",
            &[("urls", urls.as_str())],
            Some(&other_s),
            AppName::Market,
        )
        .await;
    assert_eq!(refused.status, 403);

    let started = t
        .post_form(
            AppName::Market,
            "/stalls/fell-knits/imports",
            &[("urls", urls.as_str())],
            Some(&owner_s),
            AppName::Market,
        )
        .await;
    assert_eq!(started.status, 303, "{}", started.body);
    let progress = started.headers["location"].to_str().unwrap().to_owned();
    assert!(progress.starts_with("/stalls/fell-knits/imports/"));
    assert_eq!(
        t.get(AppName::Market, &progress, Some(&other_s))
            .await
            .status,
        403
    );

    eventually(60, "the bulk import to finish", || {
        let (t, progress, owner_s) = (&t, &progress, &owner_s);
        async move {
            let page = t.get(AppName::Market, progress, Some(owner_s)).await;
            progress_counts(&page.body).is_some_and(|(_, _, _, queued)| queued == 0)
        }
    })
    .await;
    let page = t.get(AppName::Market, &progress, Some(&owner_s)).await;
    assert_eq!(progress_counts(&page.body), Some((50, 45, 5, 0)));
    assert!(
        !page.body.contains(r#"http-equiv="refresh""#),
        "finished: no refresh"
    );
    assert_eq!(
        page.body.matches("the page names no product").count(),
        5,
        "each failure says why"
    );
    assert!(page.body.contains("/products/bulk-item-7/edit"));
    let drafts: Vec<(String, String, i64)> = products::table
        .filter(products::stall_id.eq(stall_id))
        .select((products::title, products::status, products::price_cents))
        .order(products::id)
        .load(&mut t.db.conn().await)
        .await
        .unwrap();
    assert_eq!(drafts.len(), 45);
    assert!(drafts.iter().all(|(_, status, _)| status == "draft"));
    assert!(drafts.contains(&("Bulk item 7".into(), "draft".into(), 750)));

    // A market process that claimed jobs and died mid-fetch: its leases run out and the live
    // runner finishes them; running a finished job again saves nothing twice.
    let crashed: Vec<i64> = {
        use diesel_async::AsyncConnection;
        let mut conn = t.db.conn().await;
        let urls: Vec<String> = (51..=60)
            .map(|n| format!("{}/items/{n}", shop.base))
            .collect();
        conn.transaction(async |conn| {
            let (_, items) = imports::insert(conn, stall_id, owner, &urls).await?;
            let jobs: Vec<ImportProduct> =
                items.iter().map(|&item| ImportProduct { item }).collect();
            shared::jobs::enqueue_many(conn, &jobs).await.unwrap();
            diesel::sql_query(
                "UPDATE background_jobs SET status = 'running', attempts = 1, \
                 locked_by = 'crashed-market', locked_until = now() - interval '1 second' \
                 WHERE job_type = 'market.import_product'",
            )
            .execute(conn)
            .await?;
            Ok::<_, diesel::result::Error>(items)
        })
        .await
        .unwrap()
    };
    eventually(60, "the crashed worker's imports to be taken over", || {
        let (t, crashed) = (&t, &crashed);
        async move {
            market_import_items::table
                .filter(market_import_items::id.eq_any(crashed))
                .filter(market_import_items::state.eq("queued"))
                .count()
                .get_result::<i64>(&mut t.db.conn().await)
                .await
                .unwrap()
                == 0
        }
    })
    .await;
    let again: Vec<ImportProduct> = crashed.iter().map(|&item| ImportProduct { item }).collect();
    shared::jobs::enqueue_many(&mut t.db.conn().await, &again)
        .await
        .unwrap();
    eventually(30, "the repeated jobs to run", || {
        let t = &t;
        async move {
            diesel::dsl::select(diesel::dsl::not(diesel::dsl::exists(
                shared::db::schema::background_jobs::table.filter(
                    shared::db::schema::background_jobs::job_type.eq("market.import_product"),
                ),
            )))
            .get_result::<bool>(&mut t.db.conn().await)
            .await
            .unwrap()
        }
    })
    .await;
    let total: i64 = products::table
        .filter(products::stall_id.eq(stall_id))
        .count()
        .get_result(&mut t.db.conn().await)
        .await
        .unwrap();
    assert_eq!(
        total,
        45 + 9,
        "51..=59 saved once each, 60 names no product"
    );
    shop.handle.stop(false).await;
    t.stop().await;
}

/// A small PNG a shop serves, as its bytes.
fn pixel() -> Vec<u8> {
    crate::market::images::png(9, 64)
}

/// A shop whose product page names five images: a PNG, a "JPEG" that is an HTML page, a PNG
/// over the size cap, one that is not there, and one redirected to a private address.
async fn image_shop() -> Shop {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!(
        "http://shop.localhost:{}",
        listener.local_addr().unwrap().port()
    );
    let page = r#"<html><head><script type="application/ld+json">{"@context":"https://schema.org",
      "@type":"Product","name":"Fell Mittens","sku":"FM-1",
      "image":["/img/pixel.png","/img/fake.jpg","/img/huge.png","/img/missing.jpg","/img/inside.png"],
      "offers":{"@type":"Offer","price":"9.50","priceCurrency":"GBP"}}</script></head></html>"#;
    let server = HttpServer::new(move || {
        App::new()
            .route(
                "/mittens",
                web::get().to(move || async move {
                    HttpResponse::Ok().content_type("text/html").body(page)
                }),
            )
            .route(
                "/img/pixel.png",
                web::get()
                    .to(|| async { HttpResponse::Ok().content_type("image/png").body(pixel()) }),
            )
            .route(
                "/img/fake.jpg",
                web::get().to(|| async {
                    HttpResponse::Ok()
                        .content_type("image/jpeg")
                        .body("<html><script>alert(1)</script></html>")
                }),
            )
            .route(
                "/img/inside.png",
                web::get().to(|| async {
                    HttpResponse::Found()
                        .insert_header(("location", "http://10.0.0.1/secret.png"))
                        .finish()
                }),
            )
            .route(
                "/img/huge.png",
                web::get().to(|| async {
                    HttpResponse::Ok()
                        .content_type("image/png")
                        .body(crate::market::images::png(1, 6 * 1024 * 1024))
                }),
            )
    })
    .workers(2)
    .listen(listener)
    .unwrap()
    .run();
    let handle = server.handle();
    actix_web::rt::spawn(server);
    Shop { base, handle }
}

#[actix_web::test]
async fn imported_images_are_copied_by_their_bytes_and_failures_are_listed() {
    use crate::market::images::served;
    use shared::db::schema::product_images;

    let t = TestFleet::start().await;
    let shop = image_shop().await;
    let owner = person(&t, "fell", "member").await;
    super::fell_knits(&t, owner).await;
    let owner_s = t.sign_in(AppName::Market, owner).await;
    let page_url = format!("{}/mittens", shop.base);
    // Each image left out is named with why, on the preview (`<code>url</code>: why`) and
    // on the progress page (`url (why)`).
    let base = shop.base.clone();
    let skipped = move |body: &str, preview: bool| {
        for (file, why) in [
            ("fake.jpg", "not a PNG, JPEG, GIF or WebP image"),
            ("huge.png", "the file is over 5 MB"),
            ("missing.jpg", "answered 404"),
            ("inside.png", "refused: 10.0.0.1 is not a public address"),
        ] {
            let said = if preview {
                format!("<code>{base}/img/{file}</code>: {why}")
            } else {
                format!("{base}/img/{file} ({why})")
            };
            assert!(body.contains(&said), "{said}: {body}");
        }
    };

    // One page: the preview's draft names our copy of the PNG and lists the three others.
    let preview = t
        .post_form(
            AppName::Market,
            "/stalls/fell-knits/import",
            &[("url", page_url.as_str())],
            Some(&owner_s),
            AppName::Market,
        )
        .await;
    assert_eq!(preview.status, 200, "{}", preview.body);
    skipped(&preview.body, true);
    let at = preview.body.find("/content/images/").expect("a copy");
    let ours = &preview.body[at..at + preview.body[at..].find(' ').unwrap()];
    assert!(
        preview.body.contains(&format!("{ours} | Fell Mittens")),
        "{}",
        preview.body
    );
    assert!(
        !preview
            .body
            .contains(&format!("{}/img/pixel.png |", shop.base))
    );
    let (status, content_type, bytes) = served(&t, ours).await;
    assert_eq!((status, content_type.as_str()), (200, "image/png"));
    assert_eq!(bytes, pixel(), "the market serves the bytes the shop sent");

    // A bulk import of the same page: the draft has the copy only, and the progress page says
    // which images were left out and why.
    let started = t
        .post_form(
            AppName::Market,
            "/stalls/fell-knits/imports",
            &[("urls", page_url.as_str())],
            Some(&owner_s),
            AppName::Market,
        )
        .await;
    assert_eq!(started.status, 303, "{}", started.body);
    let progress = started.headers["location"].to_str().unwrap().to_owned();
    eventually(60, "the import to finish", || {
        let (t, progress, owner_s) = (&t, &progress, &owner_s);
        async move {
            let page = t.get(AppName::Market, progress, Some(owner_s)).await;
            progress_counts(&page.body).is_some_and(|(_, _, _, queued)| queued == 0)
        }
    })
    .await;
    let page = t.get(AppName::Market, &progress, Some(&owner_s)).await;
    assert_eq!(
        progress_counts(&page.body),
        Some((1, 1, 0, 0)),
        "{}",
        page.body
    );
    assert!(page.body.contains("Images left out"), "{}", page.body);
    skipped(&page.body, false);
    let urls: Vec<String> = product_images::table
        .inner_join(products::table)
        .filter(products::slug.eq("fell-mittens"))
        .select(product_images::url)
        .load(&mut t.db.conn().await)
        .await
        .unwrap();
    assert_eq!(urls, [ours.to_owned()], "only our copy, the same bytes");
    let card: Option<String> = products::table
        .filter(products::slug.eq("fell-mittens"))
        .select(products::image_url)
        .first(&mut t.db.conn().await)
        .await
        .unwrap();
    assert_eq!(card.as_deref(), Some(ours));
    shop.handle.stop(false).await;
    t.stop().await;
}
