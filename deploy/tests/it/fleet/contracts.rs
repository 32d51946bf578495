//! The only door between apps: links into another app come from the link catalogue, and rules
//! two apps apply (who writes, what an e-mail address is) are the same everywhere.

use diesel::QueryDsl;
use diesel_async::RunQueryDsl;
use federation::db::users;
use shared::AppName;
use shared::db::schema::newsletter_subscriptions;
use shared::infrastructure::link_catalog::{self, Link};
use shared::models::users::NewUser;

use crate::support::TestFleet;
use crate::support::fixtures;

/// The absolute URL of `link` on the test fleet.
fn at(t: &TestFleet, link: &Link) -> String {
    t.fleet.at(link.app, &link.path)
}

#[actix_web::test]
async fn cross_app_links_point_where_the_owners_serve() {
    let t = TestFleet::start().await;
    let world = fixtures::world(&mut t.db.conn().await).await;

    // market → cart: the add-to-cart form, which the cart accepts from market pages.
    let product = t.get(AppName::Market, "/products/medlar-jelly", None).await;
    let action = format!(r#"action="{}""#, at(&t, &link_catalog::add_to_cart()));
    assert!(product.body.contains(&action), "{}", product.body);

    // cart → market: each line links to its product page, which exists.
    let cart = t.sign_in(AppName::Cart, world.user_id).await;
    let page = t.get(AppName::Cart, "/", Some(&cart)).await;
    let product_url = at(&t, &link_catalog::product("medlar-jelly"));
    assert!(
        page.body.contains(&format!(r#"href="{product_url}""#)),
        "{}",
        page.body
    );
    assert_eq!(
        t.client.get(&product_url).send().await.unwrap().status(),
        200
    );

    // account → events and cart: the dashboard's links (the member's booking, their cart),
    // which exist.
    {
        let mut conn = t.db.conn().await;
        let wassail = events::db::events::by_slug(&mut conn, "wassail")
            .await
            .unwrap()
            .unwrap();
        let date = events::db::occurrences::of_event(&mut conn, wassail.id)
            .await
            .unwrap()
            .remove(0);
        events::db::bookings::book(&mut conn, date.id, world.user_id)
            .await
            .unwrap();
    }
    let account = t.sign_in(AppName::Account, world.user_id).await;
    let page = t.get(AppName::Account, "/", Some(&account)).await;
    for link in [link_catalog::event("wassail"), link_catalog::cart()] {
        let url = at(&t, &link);
        assert!(
            page.body.contains(&format!(r#"href="{url}""#)),
            "{url} on {}",
            page.body
        );
        assert_eq!(t.client.get(&url).send().await.unwrap().status(), 200);
    }
    t.stop().await;
}

#[actix_web::test]
async fn every_writer_and_only_writers_get_the_editor_link() {
    let t = TestFleet::start().await;
    let editor_link = format!(
        r#"class="write" href="{}""#,
        at(&t, &link_catalog::editor())
    );
    for (role, writes) in [
        ("member", false),
        ("author", true),
        ("editor", true),
        ("admin", true),
    ] {
        let email = format!("{role}@example.org");
        let user = users::insert(
            &mut t.db.conn().await,
            &NewUser {
                username: role,
                email: &email,
                display_name: role,
                avatar_url: None,
                bio: "",
                role,
            },
        )
        .await
        .unwrap();
        let session = t.sign_in(AppName::Market, user.id).await;
        let page = t.get(AppName::Market, "/", Some(&session)).await;
        assert!(page.body.contains(r#"class="who""#), "{role}: signed in");
        assert_eq!(page.body.contains(&editor_link), writes, "{role}");
        assert_eq!(page.body.contains(r#"class="write""#), writes, "{role}");
    }
    t.stop().await;
}

#[actix_web::test]
async fn account_refuses_addresses_federation_refuses() {
    let t = TestFleet::start().await;
    account::db::newsletters::insert(
        &mut t.db.conn().await,
        &account::db::newsletters::NewNewsletter::public("letter", "The Letter", ""),
    )
    .await
    .unwrap();
    let count = || async {
        newsletter_subscriptions::table
            .count()
            .get_result::<i64>(&mut t.db.conn().await)
            .await
            .unwrap()
    };
    // Characters that break out of a mail header or a quoted attribute, each of which the
    // sign-up form already refused.
    for email in [
        "ada;bcc=x@example.org",
        "ada,grace@example.org",
        "\"ada\"@example.org",
        "ada(x)@example.org",
        "ada\u{1}@example.org",
    ] {
        let page = t
            .post_form(
                AppName::Account,
                "/newsletters/letter/subscribe",
                &[("email", email)],
                None,
                AppName::Account,
            )
            .await;
        assert_eq!(page.status, 400, "{email:?}: {}", page.body);
        assert!(page.body.contains("does not look like an e-mail address"));
    }
    assert_eq!(count().await, 0, "nothing was stored");

    let page = t
        .post_form(
            AppName::Account,
            "/newsletters/letter/subscribe",
            &[("email", "ada@example.org")],
            None,
            AppName::Account,
        )
        .await;
    assert_eq!(page.status, 303, "{}", page.body);
    assert_eq!(count().await, 1);
    t.stop().await;
}
