//! Importing in a real browser (headless Chromium over WebDriver, as in `support/chromium.rs`):
//! a stall's owner pastes the address of a shop's product page (a local server playing the
//! shop, with Shopify-style JSON-LD), gets the pre-filled form, edits it, saves the draft
//! (which search does not list), publishes it from the edit form and finds it with the
//! market's search box, by a misspelt word too.

use std::net::TcpListener;
use std::time::{Duration, Instant};

use actix_web::{App, HttpResponse, HttpServer, web};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use fantoccini::elements::Element;
use fantoccini::{Client, Locator};
use shared::AppName;
use shared::db::schema::{product_images, product_variants, products};

use crate::support::TestFleet;
use crate::support::chromium::{AddHostCookie, browser, start_driver};
use crate::support::people::person;

/// How long any one thing may take to show up.
const PATIENCE: Duration = Duration::from_secs(15);

const PAGE: &str = r#"<!doctype html><html><head><title>Herdwick Beanie – Fell Knits</title>
<meta property="og:title" content="Herdwick Beanie">
<script type="application/ld+json">{"@context":"https://schema.org/","@type":"Product",
 "name":"Herdwick Beanie","description":"Spun from Herdwick fleece.","sku":"HB-1",
 "image":{"@type":"ImageObject","url":"/cdn/beanie.jpg"},
 "offers":{"@type":"Offer","price":"24.00","priceCurrency":"GBP",
  "availability":"https://schema.org/InStock"}}</script>
</head><body><h1>Herdwick Beanie</h1></body></html>"#;

/// Waits for the element at `css` (the page's source in the failure message).
async fn element(client: &Client, what: &str, css: &str) -> Element {
    match client
        .wait()
        .at_most(PATIENCE)
        .for_element(Locator::Css(css))
        .await
    {
        Ok(found) => found,
        Err(e) => {
            let url = client.current_url().await.map(|u| u.to_string());
            let source = client.source().await.unwrap_or_default();
            panic!("no {what} ({css}): {e}; the browser is at {url:?}:\n{source}");
        }
    }
}

/// Waits until the browser's path is `path`.
async fn until_path(client: &Client, path: &str) {
    let start = Instant::now();
    loop {
        let url = client.current_url().await.unwrap();
        if url.path() == path {
            return;
        }
        if start.elapsed() >= PATIENCE {
            let source = client.source().await.unwrap_or_default();
            panic!("timed out waiting for {path}; the browser is at {url}:\n{source}");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Replaces the text of the field at `css`.
async fn retype(client: &Client, css: &str, text: &str) {
    let field = element(client, css, css).await;
    field.clear().await.unwrap();
    field.send_keys(text).await.unwrap();
}

/// Searches from the market's home with its search box; the titles of the results.
async fn search(client: &Client, t: &TestFleet, query: &str) -> Vec<String> {
    client
        .goto(&t.fleet.at(AppName::Market, "/"))
        .await
        .unwrap();
    retype(client, "form.filters #q", query).await;
    element(
        client,
        "the Filter button",
        "form.filters button[type=submit]",
    )
    .await
    .click()
    .await
    .unwrap();
    let start = Instant::now();
    while !client
        .current_url()
        .await
        .unwrap()
        .query()
        .is_some_and(|q| q.contains("q="))
    {
        assert!(start.elapsed() < PATIENCE, "the search did not go");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    element(client, "the results' count", "main p.meta").await;
    let mut titles = Vec::new();
    for card in client
        .find_all(Locator::Css(".grid .card h3 a"))
        .await
        .unwrap()
    {
        titles.push(card.text().await.unwrap());
    }
    titles
}

#[actix_web::test]
async fn an_owner_imports_edits_publishes_and_finds_a_product_in_a_browser() {
    let Some(driver) = start_driver().await else {
        return;
    };
    let t = TestFleet::start().await;
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let shop = format!(
        "http://shop.localhost:{}",
        listener.local_addr().unwrap().port()
    );
    let server = HttpServer::new(|| {
        App::new()
            .route(
                "/products/herdwick-beanie",
                web::get().to(|| async {
                    HttpResponse::Ok()
                        .content_type("text/html; charset=utf-8")
                        .body(PAGE)
                }),
            )
            .route(
                "/cdn/beanie.jpg",
                web::get().to(|| async {
                    HttpResponse::Ok()
                        .content_type("image/jpeg")
                        .body(&b"\xFF\xD8\xFF\xE0-beanie-"[..])
                }),
            )
    })
    .workers(1)
    .listen(listener)
    .unwrap()
    .run();
    let shop_server = server.handle();
    actix_web::rt::spawn(server);
    let owner = person(&t, "fell", "member").await;
    super::fell_knits(&t, owner).await;

    // The owner's browser holds a market session (a cookie can only be set for the page's
    // own host, so any market page first).
    let session = t.sign_in(AppName::Market, owner).await;
    let client = browser(&driver).await;
    client
        .goto(&t.fleet.at(AppName::Market, "/no-such-page"))
        .await
        .unwrap();
    let (name, value) = session.cookie.split_once('=').unwrap();
    client
        .issue_cmd(AddHostCookie {
            name: name.to_owned(),
            value: value.to_owned(),
        })
        .await
        .expect("the session cookie in the browser");

    // Import: paste the shop page's address, read it.
    client
        .goto(&t.fleet.at(AppName::Market, "/stalls/fell-knits/import"))
        .await
        .unwrap();
    let address = format!("{shop}/products/herdwick-beanie");
    retype(&client, "#url", &address).await;
    element(
        &client,
        "the Read the page button",
        "form[action='/stalls/fell-knits/import'] button[type=submit]",
    )
    .await
    .click()
    .await
    .unwrap();

    // The preview: the form filled in from the page, nothing saved yet.
    let notice = element(&client, "the imported-from notice", "p.notice").await;
    assert!(notice.text().await.unwrap().contains(&address));
    let value_of = async |css: &str| {
        element(&client, css, css)
            .await
            .prop("value")
            .await
            .unwrap()
            .unwrap_or_default()
    };
    assert_eq!(value_of("#title").await, "Herdwick Beanie");
    assert!(
        value_of("#description")
            .await
            .contains("Spun from Herdwick fleece.")
    );
    let variants = value_of("#variants").await;
    assert!(
        variants.contains("HB-1") && variants.contains("24.00"),
        "{variants}"
    );
    // The relative image address was resolved and the image copied to the market.
    let images = value_of("#images").await;
    assert!(
        images.starts_with("/content/images/") && images.contains(".jpg | Herdwick Beanie"),
        "the image copied: {images}"
    );
    assert_eq!(value_of("#status").await, "draft");
    let count = async || -> i64 {
        products::table
            .count()
            .get_result(&mut t.db.conn().await)
            .await
            .unwrap()
    };
    assert_eq!(count().await, 0, "a preview saves nothing");

    // The owner edits the preview and saves it: a draft.
    retype(&client, "#title", "Herdwick wool beanie").await;
    retype(&client, "#slug", "herdwick-beanie").await;
    retype(
        &client,
        "#description",
        "Spun from **Herdwick** fleece on the fell.",
    )
    .await;
    retype(&client, "#tags", "wool, hats").await;
    element(&client, "the Save button", "form.stack button[type=submit]")
        .await
        .click()
        .await
        .unwrap();
    until_path(&client, "/products/herdwick-beanie").await;
    let (id, status, title, description): (i64, String, String, String) = products::table
        .filter(products::slug.eq("herdwick-beanie"))
        .select((
            products::id,
            products::status,
            products::title,
            products::description,
        ))
        .first(&mut t.db.conn().await)
        .await
        .unwrap();
    assert_eq!(status, "draft");
    assert_eq!(title, "Herdwick wool beanie");
    assert_eq!(description, "Spun from **Herdwick** fleece on the fell.");
    let price: i64 = product_variants::table
        .filter(product_variants::product_id.eq(id))
        .select(product_variants::price_cents)
        .first(&mut t.db.conn().await)
        .await
        .unwrap();
    assert_eq!(price, 2400);
    let image_count: i64 = product_images::table
        .filter(product_images::product_id.eq(id))
        .count()
        .get_result(&mut t.db.conn().await)
        .await
        .unwrap();
    assert_eq!(image_count, 1);
    assert!(
        search(&client, &t, "herdwick").await.is_empty(),
        "a draft is not listed"
    );

    // Published from the edit form.
    client
        .goto(
            &t.fleet
                .at(AppName::Market, "/products/herdwick-beanie/edit"),
        )
        .await
        .unwrap();
    element(&client, "the status select", "#status")
        .await
        .select_by_value("active")
        .await
        .unwrap();
    element(&client, "the Save button", "form.stack button[type=submit]")
        .await
        .click()
        .await
        .unwrap();
    until_path(&client, "/products/herdwick-beanie").await;
    let heading = element(&client, "the product's heading", "main h1").await;
    assert_eq!(heading.text().await.unwrap(), "Herdwick wool beanie");

    // Found with the search box, by its words and misspelt.
    assert_eq!(
        search(&client, &t, "herdwick beanie").await,
        ["Herdwick wool beanie"]
    );
    assert_eq!(
        search(&client, &t, "herdwik").await,
        ["Herdwick wool beanie"]
    );
    element(&client, "the result's link", ".grid .card h3 a")
        .await
        .click()
        .await
        .unwrap();
    until_path(&client, "/products/herdwick-beanie").await;

    client.close().await.unwrap();
    shop_server.stop(false).await;
    t.stop().await;
}
