//! Search and facets over 10,000 products (the benchmark's deterministic catalogue), each
//! answer checked against what the catalogue's own data says should match: counts, every
//! listed title, facet counts, phrase and exclusion, typos, ranking and pages.

use deploy::bench_market::{CATALOGUE, CatalogueItem, STALLS, catalogue_item, seed_catalogue};
use shared::AppName;

use crate::support::TestFleet;

/// The product count a home page reports (`N products`).
fn total(body: &str) -> usize {
    let at = body.find(" product").expect("a count");
    let start = body[..at].rfind('>').unwrap() + 1;
    body[start..at].trim().parse().unwrap()
}

/// The titles listed on a page, in order.
fn titles(body: &str) -> Vec<String> {
    body.split("<h3><a href=\"/products/")
        .skip(1)
        .map(|s| {
            let s = &s[s.find('>').unwrap() + 1..];
            s[..s.find('<').unwrap()].to_owned()
        })
        .collect()
}

async fn search(t: &TestFleet, query: &[(&str, &str)]) -> String {
    let path = format!("/?{}", serde_urlencoded::to_string(query).unwrap());
    let page = t.get(AppName::Market, &path, None).await;
    assert_eq!(page.status, 200, "{path}: {}", page.body);
    page.body
}

#[actix_web::test]
async fn search_and_facets_answer_correctly_over_ten_thousand_products() {
    let t = TestFleet::start().await;
    seed_catalogue(&mut t.db.conn().await, CATALOGUE)
        .await
        .unwrap();
    let all: Vec<CatalogueItem> = (1..=CATALOGUE).map(catalogue_item).collect();
    let count = |f: &dyn Fn(&CatalogueItem) -> bool| all.iter().filter(|p| f(p)).count();

    // An empty query lists everything, 24 a page.
    let home = search(&t, &[]).await;
    assert_eq!(total(&home), CATALOGUE);
    assert_eq!(titles(&home).len(), 24);

    // A word: exactly the products whose title or description says it; titles first.
    let quince = |p: &CatalogueItem| {
        p.title.to_lowercase().contains("quince") || p.description.contains("quince")
    };
    let body = search(&t, &[("q", "quince")]).await;
    assert_eq!(total(&body), count(&quince));
    let listed = titles(&body);
    assert!(
        listed.iter().all(|t| t.contains("quince")),
        "title matches rank first: {listed:?}"
    );

    // Exclusion and phrases.
    let body = search(&t, &[("q", "quince -golden")]).await;
    assert_eq!(
        total(&body),
        count(&|p| quince(p) && !p.title.contains("Golden"))
    );
    assert!(titles(&body).iter().all(|t| !t.contains("Golden")));
    let body = search(&t, &[("q", "\"goat cheese\"")]).await;
    assert_eq!(
        total(&body),
        count(&|p| p.title.contains("goat cheese") || p.description.contains("goat cheese"))
    );

    // A misspelling still finds the word.
    let body = search(&t, &[("q", "quinse")]).await;
    assert!(total(&body) >= count(&|p| p.title.contains("quince")));
    assert!(titles(&body).iter().all(|t| t.contains("quince")));

    // Facets narrow together: tag, stock, price range (a variant within it), stall.
    let min = 1_000;
    let max = 2_000;
    let wanted = |p: &CatalogueItem| {
        p.tags.contains(&"preserves") && p.in_stock() && p.priced_within(min, max)
    };
    let body = search(
        &t,
        &[
            ("tag", "preserves"),
            ("in_stock", "1"),
            ("min", "10"),
            ("max", "20.00"),
        ],
    )
    .await;
    assert_eq!(total(&body), count(&wanted));
    // Each stall's count is what choosing it would list, under the other filters.
    for s in 1..=STALLS {
        let expected = count(&|p| wanted(p) && p.stall == s);
        let option = format!(">Bench stall {s} ({expected})</option>");
        assert!(
            body.contains(&option) || expected == 0,
            "stall {s}: {option}"
        );
    }
    let expected_in_stock =
        count(&|p| p.tags.contains(&"preserves") && p.in_stock() && p.priced_within(min, max));
    assert!(body.contains(&format!("In stock ({expected_in_stock})")));
    let tag_count =
        count(&|p| p.tags.contains(&"dairy") && p.in_stock() && p.priced_within(min, max));
    assert!(
        body.contains(&format!(">dairy ({tag_count})</option>")),
        "tag facet counts ignore the chosen tag"
    );
    let body = search(
        &t,
        &[
            ("q", "honey"),
            ("stall", "bench-stall-3"),
            ("in_stock", "1"),
        ],
    )
    .await;
    assert_eq!(
        total(&body),
        count(
            &|p| (p.title.contains("honey") || p.description.contains("honey"))
                && p.stall == 3
                && p.in_stock()
        )
    );

    // Pages keep the filters and do not overlap.
    let first = search(&t, &[("q", "cheese"), ("in_stock", "1")]).await;
    assert!(
        first.contains("?q=cheese&amp;in_stock=1&amp;page=2")
            || first.contains("?q=cheese&in_stock=1&page=2")
    );
    let second = search(&t, &[("q", "cheese"), ("in_stock", "1"), ("page", "2")]).await;
    let (a, b) = (titles(&first), titles(&second));
    assert_eq!(a.len(), 24);
    assert!(b.iter().all(|t| !a.contains(t)), "{a:?} / {b:?}");

    // Bad bounds are a 400, not an empty page.
    let bad = t.get(AppName::Market, "/?min=cheap", None).await;
    assert_eq!(bad.status, 400);
    t.stop().await;
}
