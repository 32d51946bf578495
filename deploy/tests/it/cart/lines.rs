//! Cart lines name sellable items: a variant (or a single-variant product by slug), quantity
//! limits, one currency per cart, and lines flagged before checkout when their item changed
//! price, sold out or disappeared.

use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use shared::AppName;
use shared::db::schema::{cart_items, product_variants, products};

use super::{add, another_variant, buyer, checkout, fleet, variant};

#[actix_web::test]
async fn lines_name_variants_and_are_flagged_before_checkout() {
    let (t, sim) = fleet().await;
    let jelly = variant(&t, "medlar-jelly", 725, 10).await;
    let hat = variant(&t, "wool-hat", 1800, 3).await;
    let blue = another_variant(&t, "wool-hat", "Blue", 1900, "GBP").await;
    let (_, s) = buyer(&t, "ada").await;

    // By variant id, and by product slug for a single-variant product.
    assert_eq!(add(&t, &s, jelly, 2).await.status, 303);
    let by_slug = t
        .post_form(
            AppName::Cart,
            "/cart/items",
            &[("product", "medlar-jelly"), ("quantity", "1")],
            Some(&s),
            AppName::Market,
        )
        .await;
    assert_eq!(by_slug.status, 303, "{}", by_slug.body);
    // A product with several variants needs the variant named.
    let ambiguous = t
        .post_form(
            AppName::Cart,
            "/cart/items",
            &[("product", "wool-hat")],
            Some(&s),
            AppName::Market,
        )
        .await;
    assert_eq!(ambiguous.status, 400, "{}", ambiguous.body);
    assert!(ambiguous.body.contains("choose one"));
    assert_eq!(add(&t, &s, blue, 1).await.status, 303);
    // More than is in stock, an unknown variant, a silly quantity: refused, nothing added.
    assert_eq!(add(&t, &s, hat, 4).await.status, 409);
    assert_eq!(add(&t, &s, 999_999, 1).await.status, 400);
    assert_eq!(add(&t, &s, hat, 100).await.status, 400);
    let lines: Vec<(i64, i32)> = cart_items::table
        .select((cart_items::item_id, cart_items::quantity))
        .order(cart_items::item_id)
        .load(&mut t.db.conn().await)
        .await
        .unwrap();
    assert_eq!(lines, vec![(jelly, 3), (blue, 1)]);

    // One currency per cart.
    let euro = another_variant(&t, "medlar-jelly", "Large", 900, "EUR").await;
    let other = add(&t, &s, euro, 1).await;
    assert_eq!(other.status, 409, "{}", other.body);
    assert!(other.body.contains("one currency"), "{}", other.body);

    let page = t.get(AppName::Cart, "/", Some(&s)).await;
    assert!(page.body.contains("£40.75"), "{}", page.body); // 3 × 7.25 + 19.00
    assert!(page.body.contains(r#"href="/checkout""#));

    // The market changes things: a new price, the hat sold out.
    let mut conn = t.db.conn().await;
    diesel::update(product_variants::table.find(jelly))
        .set(product_variants::price_cents.eq(800))
        .execute(&mut conn)
        .await
        .unwrap();
    diesel::update(product_variants::table.find(blue))
        .set(product_variants::stock.eq(0))
        .execute(&mut conn)
        .await
        .unwrap();
    drop(conn);
    let page = t.get(AppName::Cart, "/", Some(&s)).await;
    assert!(
        page.body.contains("The price changed from £7.25 to £8.00"),
        "{}",
        page.body
    );
    assert!(page.body.contains("Sold out."), "{}", page.body);
    assert!(!page.body.contains(r#"href="/checkout""#));
    // Checkout refuses a flagged cart, and nothing is ordered.
    let refused = checkout(&t, &s).await;
    assert_eq!(refused.status, 409, "{}", refused.body);
    assert!(super::all_orders(&t).await.is_empty());

    // Updating the line accepts the new price; removing the sold-out one clears the flags.
    let accept = t
        .post_form(
            AppName::Cart,
            &format!("/cart/items/variant/{jelly}"),
            &[("quantity", "3")],
            Some(&s),
            AppName::Cart,
        )
        .await;
    assert_eq!(accept.status, 303, "{}", accept.body);
    let remove = t
        .post_form(
            AppName::Cart,
            &format!("/cart/items/variant/{blue}"),
            &[("quantity", "0")],
            Some(&s),
            AppName::Cart,
        )
        .await;
    assert_eq!(remove.status, 303);
    // The product is withdrawn: its line says so.
    diesel::update(products::table.filter(products::slug.eq("medlar-jelly")))
        .set(products::status.eq("archived"))
        .execute(&mut t.db.conn().await)
        .await
        .unwrap();
    let page = t.get(AppName::Cart, "/", Some(&s)).await;
    assert!(page.body.contains("not on sale"), "{}", page.body);
    diesel::update(products::table.filter(products::slug.eq("medlar-jelly")))
        .set(products::status.eq("active"))
        .execute(&mut t.db.conn().await)
        .await
        .unwrap();
    let page = t.get(AppName::Cart, "/", Some(&s)).await;
    assert!(page.body.contains(r#"href="/checkout""#), "{}", page.body);
    assert!(page.body.contains("£24.00"), "{}", page.body);
    // The variant disappears altogether.
    diesel::delete(product_variants::table.find(jelly))
        .execute(&mut t.db.conn().await)
        .await
        .unwrap();
    let page = t.get(AppName::Cart, "/", Some(&s)).await;
    assert!(page.body.contains("no longer sold"), "{}", page.body);
    t.stop().await;
    sim.stop().await;
}
