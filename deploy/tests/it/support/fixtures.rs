//! Rows with recognisable content, written by the owning apps' model functions.

use chrono::{Duration, Utc};
use diesel_async::AsyncPgConnection;
use federation::db::users;
use shared::models::blog::{NewNavItem, NewPost};
use shared::models::cart::{self, CartOwner};
use shared::models::events::NewEvent;
use shared::models::market::{self, NewProduct};
use shared::models::users::NewUser;

pub struct World {
    pub user_id: i64,
}

pub const NAV_LABEL: &str = "Orchard Notes";
pub const POST_TITLE: &str = "Pressing the last pears";
pub const PRODUCT_TITLE: &str = "Medlar jelly";
pub const EVENT_TITLE: &str = "Wassail in the orchard";
pub const USER_NAME: &str = "Marta Quince";

pub async fn world(conn: &mut AsyncPgConnection) -> World {
    let user = users::insert(
        conn,
        &NewUser {
            username: "marta",
            email: "marta@example.org",
            display_name: USER_NAME,
            avatar_url: None,
            bio: "",
            role: "member",
        },
    )
    .await
    .unwrap();
    blog::db::navigation::insert_nav_item(
        conn,
        &NewNavItem {
            menu: "primary",
            label: NAV_LABEL,
            url: "/notes",
            position: 1,
        },
    )
    .await
    .unwrap();
    blog::db::posts::insert_post(
        conn,
        &NewPost {
            slug: "pressing-the-last-pears",
            title: POST_TITLE,
            excerpt: "Perry season.",
            html: "<p>Perry.</p>",
            feature_image: None,
            status: "published",
            author_id: Some(user.id),
            published_at: Some(Utc::now() - Duration::hours(1)),
        },
    )
    .await
    .unwrap();
    let mut product_ids = Vec::new();
    for (slug, title, price, featured, stock) in [
        ("medlar-jelly", PRODUCT_TITLE, 725, true, 5),
        ("cider-vinegar", "Cider vinegar", 400, false, 9),
    ] {
        let p = market::insert(
            conn,
            &NewProduct {
                slug,
                title,
                description: "",
                price_cents: price,
                currency: "GBP",
                image_url: None,
                featured,
                stock,
            },
        )
        .await
        .unwrap();
        product_ids.push(p.id);
    }
    events::db::events::insert(
        conn,
        &NewEvent {
            slug: "wassail",
            title: EVENT_TITLE,
            description: "",
            location: "The orchard",
            starts_at: Utc::now() + Duration::days(2),
            ends_at: None,
        },
    )
    .await
    .unwrap();
    let c = cart::find_or_create(conn, &CartOwner::User(user.id))
        .await
        .unwrap();
    cart::add_item(conn, c.id, product_ids[0], 2).await.unwrap();
    World { user_id: user.id }
}
