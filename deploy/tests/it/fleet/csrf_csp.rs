//! Cross-app forms and the Content-Security-Policy: a page of one app (say, a blog page running
//! an injected script) cannot act for a member on another app, except on the forms that app lists
//! for its siblings; every HTML page forbids inline and foreign scripts.

use shared::AppName;
use shared::models::users::{self, NewUser};

use crate::support::TestFleet;
use crate::support::fixtures;

async fn member(t: &TestFleet, username: &str, role: &str) -> i64 {
    let mut conn = t.db.conn().await;
    federation::db::users::insert(
        &mut conn,
        &NewUser {
            username,
            email: &format!("{username}@example.org"),
            display_name: username,
            avatar_url: None,
            bio: "",
            role,
        },
    )
    .await
    .unwrap()
    .id
}

async fn role_of(t: &TestFleet, id: i64) -> String {
    let mut conn = t.db.conn().await;
    users::by_id(&mut conn, id).await.unwrap().unwrap().role
}

#[actix_web::test]
async fn a_sibling_app_cannot_post_to_federation_admin_without_the_token() {
    let t = TestFleet::start().await;
    let admin = member(&t, "root", "admin").await;
    let mallory = member(&t, "mallory", "member").await;
    let session = t.sign_in(AppName::Federation, admin).await;

    // An admin's browser on a blog page (the stored-XSS path) posts to federation's admin.
    let forged = t
        .post_form(
            AppName::Federation,
            &format!("/admin/users/{mallory}/role"),
            &[("role", "admin")],
            Some(&session),
            AppName::Blog,
        )
        .await;
    assert_eq!(forged.status, 403, "{}", forged.body);
    assert_eq!(role_of(&t, mallory).await, "member", "nothing changed");

    // The same form from federation's own page, with the token, works.
    let own = t
        .post_form(
            AppName::Federation,
            &format!("/admin/users/{mallory}/role"),
            &[("role", "editor")],
            Some(&session),
            AppName::Federation,
        )
        .await;
    assert_eq!(own.status, 303, "{}", own.body);
    assert_eq!(role_of(&t, mallory).await, "editor");

    // Account settings are guarded the same way.
    let forged = t
        .post_form(
            AppName::Federation,
            "/account/profile",
            &[("display_name", "pwned")],
            Some(&session),
            AppName::Market,
        )
        .await;
    assert_eq!(forged.status, 403, "{}", forged.body);
    t.stop().await;
}

#[actix_web::test]
async fn add_to_cart_still_accepts_the_market_page_form() {
    let t = TestFleet::start().await;
    let world = {
        let mut conn = t.db.conn().await;
        fixtures::world(&mut conn).await
    };
    let session = t.sign_in(AppName::Cart, world.user_id).await;
    let slug = "medlar-jelly";
    let added = t
        .post_form(
            AppName::Cart,
            "/cart/items",
            &[("product", slug), ("quantity", "1")],
            Some(&session),
            AppName::Market,
        )
        .await;
    assert!(
        added.status.is_redirection() || added.status.is_success(),
        "{}: {}",
        added.status,
        added.body
    );
    // But the cart's other forms need the cart's own token.
    let forged = t
        .post_form(
            AppName::Cart,
            &format!("/cart/items/{slug}"),
            &[("quantity", "0")],
            Some(&session),
            AppName::Market,
        )
        .await;
    assert_eq!(forged.status, 403, "{}", forged.body);
    t.stop().await;
}

#[actix_web::test]
async fn every_html_page_forbids_inline_script() {
    let t = TestFleet::start().await;
    for (app, path) in [
        (AppName::Blog, "/"),
        (AppName::Blog, "/no-such-page"),
        (AppName::Market, "/"),
        (AppName::Cart, "/"),
        (AppName::Events, "/"),
        (AppName::Federation, "/login"),
        (AppName::Account, "/"),
    ] {
        let page = t.get(app, path, None).await;
        let csp = page
            .headers
            .get("content-security-policy")
            .unwrap_or_else(|| panic!("{app:?}{path}: no Content-Security-Policy"))
            .to_str()
            .unwrap();
        assert!(csp.contains("script-src 'self'"), "{app:?}{path}: {csp}");
        assert!(!csp.contains("unsafe-inline"), "{app:?}{path}: {csp}");
        assert!(csp.contains("frame-ancestors"), "{app:?}{path}: {csp}");
        assert!(
            !page.body.contains(" style=\""),
            "{app:?}{path}: inline style attribute"
        );
    }
    // The sign-in page keeps its stricter framing rule.
    let login = t.get(AppName::Federation, "/login", None).await;
    let csp = login.headers["content-security-policy"].to_str().unwrap();
    assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
    t.stop().await;
}
