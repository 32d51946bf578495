//! Buying in a real browser (headless Chromium over WebDriver, as in `support/chromium.rs`): a
//! member signed in (federation's login form, then one click on the market) picks a variant on
//! the market's product page, adds it to the cart, signs in at the cart with one click (which
//! adopts the line), checks out, pays on SumUp's hosted page (the simulator's) and comes back
//! to a paid order; the order is settled in the database and the variant's stock is down by
//! what was bought.
//!
//! The cart is signed in only after the add: each app has its own host-only session, and on
//! `*.localhost` every app is a site of its own to Chromium, so the cart's `SameSite=Lax`
//! cookie is not sent with the market's cross-site form POST (the cart would start an
//! anonymous session and replace the member's cookie with it).

use std::time::{Duration, Instant};

use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use fantoccini::elements::Element;
use fantoccini::{Client, Locator};
use shared::AppName;
use shared::db::schema::{inventory_reservations, orders};

use super::{another_variant, fleet, stock, variant};
use crate::support::chromium::{browser, start_driver};
use crate::support::eventually;
use crate::support::people::member;

/// How long any one thing may take to show up.
const PATIENCE: Duration = Duration::from_secs(15);

const PASSWORD: &str = "plum jam for everyone";

/// Waits until the browser's address satisfies `check`; returns it.
async fn until_url(client: &Client, what: &str, check: impl Fn(&url::Url) -> bool) -> url::Url {
    let start = Instant::now();
    loop {
        let url = client.current_url().await.unwrap();
        if check(&url) {
            return url;
        }
        if start.elapsed() >= PATIENCE {
            let source = client.source().await.unwrap_or_default();
            panic!("timed out waiting for {what}; the browser is at {url}:\n{source}");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

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

/// Opens `page` and presses its "Sign in" (the member is signed in at federation): back on
/// `app`'s host, signed in as bruno.
async fn sign_in_with_one_click(client: &Client, page: &str, app: &url::Url) {
    client.goto(page).await.unwrap();
    element(client, "the Sign in link", ".user-menu a.sign-in")
        .await
        .click()
        .await
        .unwrap();
    let who = element(client, "the signed-in member", ".user-menu .who").await;
    assert_eq!(who.text().await.unwrap(), "bruno");
    let url = client.current_url().await.unwrap();
    assert!(same_host(&url, app), "back on {app}, not {url}");
    if url.as_str() != page {
        client.goto(page).await.unwrap();
    }
}

/// The cart page's only line: the Plum variant, two of them, £12.00.
async fn plum_line(client: &Client) {
    let rows = client
        .find_all(Locator::Css("main table tbody tr"))
        .await
        .unwrap();
    assert_eq!(rows.len(), 1, "one line in the cart");
    let text = rows[0].text().await.unwrap();
    assert!(
        text.contains("Product browser-jam — Plum") && text.contains("£12.00"),
        "{text}"
    );
    let quantity = rows[0]
        .find(Locator::Css("input[name=quantity]"))
        .await
        .unwrap()
        .prop("value")
        .await
        .unwrap();
    assert_eq!(quantity.as_deref(), Some("2"));
}

fn same_host(url: &url::Url, app: &url::Url) -> bool {
    url.host_str() == app.host_str() && url.port_or_known_default() == app.port_or_known_default()
}

#[actix_web::test]
async fn a_member_buys_a_variant_from_the_market_and_pays_on_sumups_page() {
    let Some(driver) = start_driver().await else {
        return;
    };
    let (t, sim) = fleet().await;
    // A product with two variants: the default one, and "Plum" (5 in stock) that the buyer picks.
    let plain = variant(&t, "browser-jam", 450, 10).await;
    let plum = another_variant(&t, "browser-jam", "Plum", 600, "GBP").await;
    assert_eq!(stock(&t, plum).await, Some(5));
    let member_id = member(&t, "bruno").await;
    let cart = t.fleet.url(AppName::Cart).clone();
    let market = t.fleet.url(AppName::Market).clone();
    let client = browser(&driver).await;

    // The member signs in at federation with their password, then with one click on the
    // market, as a member arrives there.
    let hash = federation::accounts::passwords::hash(PASSWORD.to_owned())
        .await
        .unwrap();
    {
        let mut conn = t.db.conn().await;
        federation::db::users::set_password_hash(&mut conn, member_id, &hash)
            .await
            .unwrap();
        federation::db::users::mark_email_verified(&mut conn, member_id)
            .await
            .unwrap();
    }
    client
        .goto(&t.fleet.at(AppName::Federation, "/login"))
        .await
        .unwrap();
    element(&client, "the login field", "#login")
        .await
        .send_keys("bruno")
        .await
        .unwrap();
    element(&client, "the password field", "#password")
        .await
        .send_keys(PASSWORD)
        .await
        .unwrap();
    element(
        &client,
        "the Sign in button",
        ".auth-card form button[type=submit]",
    )
    .await
    .click()
    .await
    .unwrap();
    let who = element(
        &client,
        "the member signed in at federation",
        ".user-menu .who",
    )
    .await;
    assert_eq!(who.text().await.unwrap(), "bruno");
    sign_in_with_one_click(&client, &t.fleet.at(AppName::Market, "/"), &market).await;

    // The market's product page: pick "Plum", two of them, "Add to cart".
    client
        .goto(&t.fleet.at(AppName::Market, "/products/browser-jam"))
        .await
        .unwrap();
    let pick = format!("form.add-to-cart input[name=variant][value='{plum}']");
    element(&client, "the Plum variant", &pick)
        .await
        .click()
        .await
        .unwrap();
    assert!(
        client
            .find(Locator::Css(&pick))
            .await
            .unwrap()
            .is_selected()
            .await
            .unwrap(),
        "Plum is picked"
    );
    let quantity = element(&client, "the quantity", "form.add-to-cart #quantity").await;
    quantity.clear().await.unwrap();
    quantity.send_keys("2").await.unwrap();
    element(
        &client,
        "the Add to cart button",
        "form.add-to-cart button[type=submit]",
    )
    .await
    .click()
    .await
    .unwrap();

    // The cart shows the line: two Plum jars.
    until_url(&client, "the cart page", |u| {
        same_host(u, &cart) && u.path() == "/"
    })
    .await;
    plum_line(&client).await;

    // The cart's own session has not met the member yet (each app signs in on its own): one
    // click on "Sign in" and the cart adopts the lines put in it before.
    sign_in_with_one_click(&client, &t.fleet.at(AppName::Cart, "/"), &cart).await;
    plum_line(&client).await;
    element(&client, "the Check out link", "a.button[href='/checkout']")
        .await
        .click()
        .await
        .unwrap();

    // Checkout: a name, collection, "Pay".
    until_url(&client, "the checkout page", |u| {
        same_host(u, &cart) && u.path() == "/checkout"
    })
    .await;
    element(&client, "the name field", "form[action='/checkout'] #name")
        .await
        .send_keys("Bruno Buyer")
        .await
        .unwrap();
    element(
        &client,
        "the collection choice",
        "form[action='/checkout'] input[name=fulfilment][value=collection]",
    )
    .await
    .click()
    .await
    .unwrap();
    element(
        &client,
        "the Pay button",
        "form[action='/checkout'] button[type=submit]",
    )
    .await
    .click()
    .await
    .unwrap();

    // SumUp's hosted page (the simulator's): 12.00 GBP, "Pay".
    let sumup = url::Url::parse(&sim.url()).unwrap();
    let hosted = until_url(&client, "SumUp's hosted page", |u| {
        same_host(u, &sumup) && u.path().starts_with("/pay/")
    })
    .await;
    let checkout_id = hosted.path().trim_start_matches("/pay/").to_owned();
    let reference = sim
        .checkout(&checkout_id)
        .expect("the checkout the cart made")
        .reference;
    let body = element(&client, "the hosted page", "body").await;
    let shown = body.text().await.unwrap();
    assert!(shown.contains("12.00 GBP"), "{shown}");
    element(&client, "SumUp's Pay button", "button#pay")
        .await
        .click()
        .await
        .unwrap();

    // Back on the cart's page for the order, which shows it paid.
    let back = until_url(&client, "the order page", |u| same_host(u, &cart)).await;
    assert!(
        back.path().starts_with(&format!("/orders/{reference}")),
        "{back}"
    );
    let state = element(
        &client,
        "the paid state",
        ".order-state[data-state=PaymentSettled]",
    )
    .await;
    assert_eq!(state.text().await.unwrap(), "Paid");
    let heading = element(&client, "the order's heading", "main h1").await;
    assert_eq!(heading.text().await.unwrap(), format!("Order {reference}"));

    // The database agrees: the member's order is settled, the Plum stock is down by two and
    // committed, the other variant untouched.
    let (state, user_id, contact_name): (String, Option<i64>, String) = orders::table
        .filter(orders::reference.eq(&reference))
        .select((orders::state, orders::user_id, orders::contact_name))
        .first(&mut t.db.conn().await)
        .await
        .unwrap();
    assert_eq!(state, "PaymentSettled");
    assert_eq!(user_id, Some(member_id));
    assert_eq!(contact_name, "Bruno Buyer");
    assert_eq!(stock(&t, plum).await, Some(3));
    assert_eq!(stock(&t, plain).await, Some(10));
    eventually(10, "the stock to be committed", || async {
        let states: Vec<String> = inventory_reservations::table
            .select(inventory_reservations::state)
            .load(&mut t.db.conn().await)
            .await
            .unwrap();
        states == ["committed"]
    })
    .await;

    client.close().await.unwrap();
    t.stop().await;
    sim.stop().await;
}
