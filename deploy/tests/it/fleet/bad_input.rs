//! Bad input gets a clear 4xx page and changes nothing.

use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use shared::AppName;
use shared::db::schema::{cart_items, newsletter_subscriptions};

use crate::support::TestFleet;
use crate::support::fixtures;

async fn counts(t: &TestFleet) -> (i64, i64, i64) {
    let mut conn = t.db.conn().await;
    let items: i64 = cart_items::table
        .count()
        .get_result(&mut conn)
        .await
        .unwrap();
    let quantity: Option<i64> = cart_items::table
        .select(diesel::dsl::sum(cart_items::quantity))
        .first(&mut conn)
        .await
        .unwrap();
    let subs: i64 = newsletter_subscriptions::table
        .count()
        .get_result(&mut conn)
        .await
        .unwrap();
    (items, quantity.unwrap_or(0), subs)
}

#[actix_web::test]
async fn bad_requests_get_clear_errors_and_change_nothing() {
    let t = TestFleet::start().await;
    let world = fixtures::world(&mut t.db.conn().await).await;
    account::db::newsletters::insert(
        &mut t.db.conn().await,
        &account::db::newsletters::NewNewsletter::public("letter", "The Letter", ""),
    )
    .await
    .unwrap();
    let cart_cookie = t.sign_in(AppName::Cart, world.user_id).await;
    let before = counts(&t).await;

    let gets = [
        (AppName::Blog, "/posts/no-such-post", 404),
        (AppName::Blog, "/?page=abc", 400),
        (AppName::Blog, "/?page=0", 404),
        (AppName::Blog, "/?page=99", 404),
        (AppName::Blog, "/no/such/route", 404),
        (AppName::Market, "/products/nope", 404),
        (AppName::Events, "/events/nope", 404),
        (AppName::Federation, "/@nobody", 404),
        (AppName::Blog, "/static/../Cargo.toml", 404),
    ];
    for (app, path, status) in gets {
        let page = t.get(app, path, None).await;
        assert_eq!(page.status, status, "{app}{path}");
        assert!(
            page.headers["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/html"),
            "{app}{path}: an HTML page"
        );
        assert!(
            page.body.contains("error-page"),
            "{app}{path}: the error page"
        );
    }

    type Form<'a> = Vec<(&'a str, &'a str)>;
    let posts: [(AppName, &str, Form<'_>, u16); 7] = [
        (
            AppName::Cart,
            "/cart/items",
            vec![("product", "medlar-jelly"), ("quantity", "1000")],
            400,
        ),
        (
            AppName::Cart,
            "/cart/items",
            vec![("product", "medlar-jelly"), ("quantity", "-1")],
            400,
        ),
        (
            AppName::Cart,
            "/cart/items",
            vec![("product", "medlar-jelly"), ("quantity", "lots")],
            400,
        ),
        (
            AppName::Cart,
            "/cart/items",
            vec![("product", "no-such-thing")],
            400,
        ),
        (AppName::Cart, "/cart/items", vec![], 400),
        (
            AppName::Account,
            "/newsletters/letter/subscribe",
            vec![("email", "not an address")],
            400,
        ),
        (
            AppName::Account,
            "/newsletters/nope/subscribe",
            vec![("email", "a@example.org")],
            404,
        ),
    ];
    for (app, path, form, status) in posts {
        let page = t.post_form(app, path, &form, Some(&cart_cookie), app).await;
        assert_eq!(page.status, status, "{app}{path} {form:?}: {}", page.body);
    }

    // A form posted from another site is refused before it does anything.
    let forged = t
        .client
        .post(t.fleet.at(AppName::Cart, "/cart/items"))
        .header("cookie", &cart_cookie.cookie)
        .header("origin", "https://evil.example")
        .header("sec-fetch-site", "cross-site")
        .form(&[("product", "medlar-jelly"), ("quantity", "1")])
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 403);

    // Same origin with the session cookie but without the session's CSRF token: refused too.
    let tokenless = t
        .client
        .post(t.fleet.at(AppName::Cart, "/cart/items/medlar-jelly"))
        .header("cookie", &cart_cookie.cookie)
        .header(
            "origin",
            t.fleet.url(AppName::Cart).origin().ascii_serialization(),
        )
        .header("sec-fetch-site", "same-origin")
        .form(&[("quantity", "7"), ("csrf_token", "not-the-token")])
        .send()
        .await
        .unwrap();
    assert_eq!(tokenless.status(), 403);

    assert_eq!(counts(&t).await, before, "nothing changed");
    t.stop().await;
}

#[actix_web::test]
async fn api_clients_get_problem_json() {
    let t = TestFleet::start().await;
    let res = t
        .client
        .get(t.fleet.at(AppName::Blog, "/posts/nothing"))
        .header("accept", "application/json")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
    assert_eq!(res.headers()["content-type"], "application/problem+json");
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["status"], 404);
    t.stop().await;
}
