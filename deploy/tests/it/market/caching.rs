//! What the market's anonymous visitors and the fleet's other apps see stays current: product
//! and stall pages come from the page cache (a miss, then hits), searches from the process's
//! copy of their answers, and every change made through the market's forms outdates them;
//! the `featured` and `stall-card` fragments other apps embed (fetched here through the blog's
//! fragment client, which caches them for a minute unless purged) follow each change at once.
//! Signed-in views are never cached.

use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use shared::AppName;
use shared::db::schema::products;
use shared::infrastructure::fragment_catalog;

use crate::support::people::person;
use crate::support::{Page, TestFleet};

fn cache_header(page: &Page) -> Option<&str> {
    page.headers.get("x-cache").and_then(|v| v.to_str().ok())
}

/// A fragment as the blog gets it (through its fragment client and cache).
async fn fragment(
    t: &TestFleet,
    request: shared::infrastructure::fragments::FragmentRequest,
) -> String {
    t.fleet
        .ctx(AppName::Blog)
        .fragments()
        .fetch(request, None)
        .await
        .html
}

fn product<'a>(title: &'a str, status: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("title", title),
        ("slug", "fell-hat"),
        ("status", status),
        ("variants", "| HAT | 18.00 | 5"),
    ]
}

#[actix_web::test]
async fn cached_pages_and_market_fragments_follow_every_change() {
    let t = TestFleet::start().await;
    let admin = person(&t, "ada", "admin").await;
    let owner = person(&t, "fell", "member").await;
    let admin_s = t.sign_in(AppName::Market, admin).await;
    let owner_s = t.sign_in(AppName::Market, owner).await;
    let post = async |path: &str, form: &[(&str, &str)], who| {
        let page = t
            .post_form(AppName::Market, path, form, Some(who), AppName::Market)
            .await;
        assert_eq!(page.status, 303, "{path}: {}", page.body);
    };
    let anonymous = async |path: &str| t.get(AppName::Market, path, None).await;
    let stall = |description: &'static str| {
        vec![
            ("name", "Fell Knits"),
            ("description", description),
            ("location", "Stall 4"),
        ]
    };
    let mut opened = stall("Hats from the *hill*.");
    opened.push(("owners", "fell"));
    post("/stalls", &opened, &admin_s).await;
    post(
        "/stalls/fell-knits/products",
        &product("Fell hat", "active"),
        &owner_s,
    )
    .await;
    diesel::update(products::table.filter(products::slug.eq("fell-hat")))
        .set(products::featured.eq(true))
        .execute(&mut t.db.conn().await)
        .await
        .unwrap();

    // Pages: a miss, then hits; the owner's own view is rendered.
    let first = anonymous("/products/fell-hat").await;
    assert_eq!(first.status, 200);
    assert_eq!(cache_header(&first), Some("MISS"));
    let again = anonymous("/products/fell-hat").await;
    assert_eq!(cache_header(&again), Some("HIT"));
    assert_eq!(again.body, first.body);
    assert!(again.body.contains("Fell hat"));
    let own = t
        .get(AppName::Market, "/products/fell-hat", Some(&owner_s))
        .await;
    assert_eq!(own.status, 200);
    assert_eq!(cache_header(&own), None, "a signed-in view is not cached");
    anonymous("/stalls/fell-knits").await;
    let stall_page = anonymous("/stalls/fell-knits").await;
    assert_eq!(cache_header(&stall_page), Some("HIT"));
    assert!(stall_page.body.contains("<em>hill</em>"));
    // Fragments as the blog sees them (cached by it from now on).
    let featured = fragment(&t, fragment_catalog::featured()).await;
    assert!(featured.contains("Fell hat"), "{featured}");
    let card = fragment(&t, fragment_catalog::stall_card("fell-knits")).await;
    assert!(card.contains("Fell Knits"), "{card}");
    assert!(card.contains("Hats from the hill."), "{card}");
    assert!(card.contains("1 product on sale"), "{card}");
    assert!(card.contains("/stalls/fell-knits\""), "{card}");
    assert_eq!(
        fragment(&t, fragment_catalog::stall_card("fell-knits")).await,
        card
    );

    // Searches answer from this process's copy of their answer until something changes.
    let searched = async |q: &str| anonymous(&format!("/?q={q}")).await.body;
    assert!(searched("fell").await.contains("Fell hat"));
    assert!(searched("fell").await.contains("1 product<"));
    assert!(searched("herdwick").await.contains("Nothing matches."));

    // The owner renames the product: its page, the stall's page, searches and `featured`
    // follow.
    post(
        "/products/fell-hat",
        &product("Herdwick hat", "active"),
        &owner_s,
    )
    .await;
    assert!(searched("herdwick").await.contains("Herdwick hat"));
    assert!(!searched("fell").await.contains("hat</a>"));
    let renamed = anonymous("/products/fell-hat").await;
    assert_eq!(cache_header(&renamed), Some("MISS"));
    assert!(renamed.body.contains("Herdwick hat"), "{}", renamed.body);
    assert!(
        anonymous("/stalls/fell-knits")
            .await
            .body
            .contains("Herdwick hat")
    );
    let featured = fragment(&t, fragment_catalog::featured()).await;
    assert!(
        featured.contains("Herdwick hat") && !featured.contains("Fell hat"),
        "{featured}"
    );

    // The owner edits the stall: its page and its card follow.
    post("/stalls/fell-knits", &stall("Hats and scarves."), &owner_s).await;
    let stall_page = anonymous("/stalls/fell-knits").await;
    assert_eq!(cache_header(&stall_page), Some("MISS"));
    assert!(stall_page.body.contains("Hats and scarves."));
    let card = fragment(&t, fragment_catalog::stall_card("fell-knits")).await;
    assert!(card.contains("Hats and scarves."), "{card}");

    // Archived: gone from the stall's page, its card and `featured`; its page is not found.
    post(
        "/products/fell-hat",
        &product("Herdwick hat", "archived"),
        &owner_s,
    )
    .await;
    assert!(
        !anonymous("/stalls/fell-knits")
            .await
            .body
            .contains("Herdwick hat")
    );
    let card = fragment(&t, fragment_catalog::stall_card("fell-knits")).await;
    assert!(card.contains("0 products on sale"), "{card}");
    let featured = fragment(&t, fragment_catalog::featured()).await;
    assert!(!featured.contains("Herdwick hat"), "{featured}");
    let gone = anonymous("/products/fell-hat").await;
    assert_eq!(gone.status, 404);
    assert_eq!(
        anonymous("/products/fell-hat").await.status,
        404,
        "not cached"
    );

    // Live again, then deleted: the page comes back, then is gone.
    post(
        "/products/fell-hat",
        &product("Herdwick hat", "active"),
        &owner_s,
    )
    .await;
    assert_eq!(anonymous("/products/fell-hat").await.status, 200);
    assert_eq!(anonymous("/products/fell-hat").await.status, 200);
    let card = fragment(&t, fragment_catalog::stall_card("fell-knits")).await;
    assert!(card.contains("1 product on sale"), "{card}");
    post("/products/fell-hat/delete", &[], &owner_s).await;
    assert_eq!(anonymous("/products/fell-hat").await.status, 404);
    let card = fragment(&t, fragment_catalog::stall_card("fell-knits")).await;
    assert!(card.contains("0 products on sale"), "{card}");

    // A stall that does not exist has a card saying so; markup in a stall's text is escaped.
    let none = fragment(&t, fragment_catalog::stall_card("nope")).await;
    assert!(none.contains("no longer open"), "{none}");
    post(
        "/stalls/fell-knits",
        &stall("<script>alert(1)</script> Wool."),
        &owner_s,
    )
    .await;
    let card = fragment(&t, fragment_catalog::stall_card("fell-knits")).await;
    assert!(!card.contains("<script"), "{card}");
    t.stop().await;
}
