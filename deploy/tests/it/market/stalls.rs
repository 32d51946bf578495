//! Stalls and products through HTTP: an administrator opens a stall and names its owner; the
//! owner adds a product with two options × three values and three images; anyone else is
//! refused (403) and nothing changes; drafts stay hidden; a renamed product answers 301 at its
//! old address; the home page searches and filters.

use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use shared::AppName;
use shared::db::schema::{product_images, product_variants, products, stalls};

use crate::support::people::person;
use crate::support::{Page, TestFleet};

const VARIANTS: &str = "S / Red | HAT-S-R | 18.00 | 3\n\
    M / Red | HAT-M-R | 19.00 | 2\n\
    L / Red | HAT-L-R | 20.00 | 0\n\
    S / Blue | HAT-S-B | 18.00 | untracked\n\
    M / Blue | HAT-M-B | 19.50 GBP | 5\n\
    L / Blue | HAT-L-B | 21.00 | 1 | https://img.example/hat-2.jpg";
const IMAGES: &str = "https://img.example/hat-1.jpg | A red wool hat on a post\n\
    https://img.example/hat-2.jpg | The blue hat, folded\n\
    https://img.example/hat-3.jpg | <script>alert(1)</script> label";

async fn count_stalls(t: &TestFleet) -> i64 {
    stalls::table
        .count()
        .get_result(&mut t.db.conn().await)
        .await
        .unwrap()
}

async fn count_products(t: &TestFleet) -> i64 {
    products::table
        .count()
        .get_result(&mut t.db.conn().await)
        .await
        .unwrap()
}

async fn post(
    t: &TestFleet,
    path: &str,
    form: &[(&str, &str)],
    who: &shared::testing::TestSession,
) -> Page {
    t.post_form(AppName::Market, path, form, Some(who), AppName::Market)
        .await
}

fn product_form<'a>(title: &'a str, slug: &'a str, status: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("title", title),
        ("slug", slug),
        (
            "description",
            "Knitted from **fell** wool.\n\n<script>alert(1)</script>",
        ),
        ("status", status),
        ("tags", "wool, hats"),
        ("option1", "Size"),
        ("option2", "Colour"),
        ("variants", VARIANTS),
        ("images", IMAGES),
    ]
}

#[actix_web::test]
async fn owners_sell_at_their_stall_and_nobody_else_changes_it() {
    let t = TestFleet::start().await;
    let admin = person(&t, "ada", "admin").await;
    let owner = person(&t, "fell", "member").await;
    let other = person(&t, "nosy", "member").await;
    let admin_s = t.sign_in(AppName::Market, admin).await;
    let owner_s = t.sign_in(AppName::Market, owner).await;
    let other_s = t.sign_in(AppName::Market, other).await;

    // Only an administrator opens a stall.
    let stall_form = [
        ("name", "Fell Knits"),
        ("description", "Hats from the *hill*."),
        ("location", "Stall 4"),
        ("owners", "fell"),
    ];
    let refused = post(&t, "/stalls", &stall_form, &other_s).await;
    assert_eq!(refused.status, 403, "{}", refused.body);
    assert_eq!(count_stalls(&t).await, 0);
    let made = post(&t, "/stalls", &stall_form, &admin_s).await;
    assert_eq!(made.status, 303, "{}", made.body);
    let stall = t.get(AppName::Market, "/stalls/fell-knits", None).await;
    assert!(stall.body.contains("<em>hill</em>") && stall.body.contains("Stall 4"));

    // Another member may not add a product there, nor see its forms.
    let form = product_form("Wool hat", "", "active");
    let before = count_products(&t).await;
    let refused = post(&t, "/stalls/fell-knits/products", &form, &other_s).await;
    assert_eq!(refused.status, 403);
    assert_eq!(count_products(&t).await, before);
    assert_eq!(
        t.get(
            AppName::Market,
            "/stalls/fell-knits/products/new",
            Some(&other_s)
        )
        .await
        .status,
        403
    );
    // Without a session there is no change either.
    let anonymous = t
        .post_form(
            AppName::Market,
            "/stalls/fell-knits/products",
            &form,
            None,
            AppName::Market,
        )
        .await;
    assert!(
        anonymous.status == 401 || anonymous.status == 403,
        "{}",
        anonymous.status
    );

    // The owner adds it: 6 variants with their own prices and stock, 3 images.
    let made = post(&t, "/stalls/fell-knits/products", &form, &owner_s).await;
    assert_eq!(made.status, 303, "{}", made.body);
    let id: i64 = products::table
        .filter(products::slug.eq("wool-hat"))
        .select(products::id)
        .first(&mut t.db.conn().await)
        .await
        .unwrap();
    let variants: Vec<(Option<String>, i64, Option<i32>)> = product_variants::table
        .filter(product_variants::product_id.eq(id))
        .order(product_variants::position)
        .select((
            product_variants::sku,
            product_variants::price_cents,
            product_variants::stock,
        ))
        .load(&mut t.db.conn().await)
        .await
        .unwrap();
    assert_eq!(variants.len(), 6);
    assert_eq!(variants[4], (Some("HAT-M-B".into()), 1950, Some(5)));
    assert_eq!(variants[3].2, None, "untracked");
    let images: i64 = product_images::table
        .filter(product_images::product_id.eq(id))
        .count()
        .get_result(&mut t.db.conn().await)
        .await
        .unwrap();
    assert_eq!(images, 3);

    let page = t.get(AppName::Market, "/products/wool-hat", None).await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("£19.50") && page.body.contains("M / Blue"));
    assert!(page.body.contains(r#"alt="The blue hat, folded""#));
    assert!(page.body.contains("<strong>fell</strong>"));
    assert!(
        !page.body.contains("<script>alert(1)"),
        "Markdown and alt text are escaped"
    );
    let ld_start = page
        .body
        .find(r#"<script type="application/ld+json">"#)
        .unwrap();
    let ld = &page.body[ld_start + 35..];
    let ld: serde_json::Value = serde_json::from_str(&ld[..ld.find("</script>").unwrap()]).unwrap();
    assert_eq!(ld["@type"], "Product");
    assert_eq!(ld["offers"]["@type"], "AggregateOffer");
    assert_eq!(ld["offers"]["lowPrice"], "18.00");
    assert_eq!(ld["offers"]["highPrice"], "21.00");
    assert_eq!(ld["offers"]["offers"].as_array().unwrap().len(), 6);
    assert_eq!(ld["brand"]["name"], "Fell Knits");

    // Add to cart by variant: one radio per variant, the sold-out one (L / Red) disabled, the
    // first buyable one chosen; the form posts to the cart, which takes it from the market.
    let ids: Vec<(i64, Option<String>)> = product_variants::table
        .filter(product_variants::product_id.eq(id))
        .order(product_variants::position)
        .select((product_variants::id, product_variants::sku))
        .load(&mut t.db.conn().await)
        .await
        .unwrap();
    let cart = t.fleet.url(AppName::Cart).join("/cart/items").unwrap();
    assert!(
        page.body.contains(&format!(r#"action="{cart}""#)),
        "{}",
        page.body
    );
    for (vid, sku) in &ids {
        let radio = format!(r#"name="variant" value="{vid}""#);
        let at = page.body.find(&radio).unwrap_or_else(|| panic!("{radio}"));
        let tail = &page.body[at + radio.len()..];
        let attrs = &tail[..tail.find('>').unwrap()];
        match sku.as_deref() {
            Some("HAT-L-R") => assert!(attrs.contains("disabled"), "sold out: {attrs}"),
            Some("HAT-S-R") => assert!(attrs.contains("checked") && !attrs.contains("disabled")),
            _ => assert!(
                !attrs.contains("disabled") && !attrs.contains("checked"),
                "{attrs}"
            ),
        }
    }
    let blue = ids[4].0.to_string();
    let added = t
        .post_form(
            AppName::Cart,
            "/cart/items",
            &[
                ("product", "wool-hat"),
                ("variant", &blue),
                ("quantity", "2"),
            ],
            None,
            AppName::Market,
        )
        .await;
    assert_eq!(
        added.status, 303,
        "the cart takes the market's form: {}",
        added.body
    );

    // Someone else's edit is refused and changes nothing.
    let edit = product_form("Stolen hat", "stolen", "active");
    assert_eq!(
        post(&t, "/products/wool-hat", &edit, &other_s).await.status,
        403
    );
    assert_eq!(
        t.get(AppName::Market, "/products/wool-hat/edit", Some(&other_s))
            .await
            .status,
        403
    );
    assert_eq!(
        t.get(AppName::Market, "/products/wool-hat", None)
            .await
            .status,
        200
    );
    assert_eq!(
        t.get(AppName::Market, "/products/stolen", None)
            .await
            .status,
        404
    );

    // The owner renames it: the old address answers 301; bad input is a 400 that changes nothing.
    let bad = product_form("Wool hat", "wool-hat", "sold");
    assert_eq!(
        post(&t, "/products/wool-hat", &bad, &owner_s).await.status,
        400
    );
    let renamed = product_form("Fell wool hat", "fell-wool-hat", "active");
    assert_eq!(
        post(&t, "/products/wool-hat", &renamed, &owner_s)
            .await
            .status,
        303
    );
    let old = t
        .client
        .get(t.fleet.at(AppName::Market, "/products/wool-hat"))
        .send()
        .await
        .unwrap();
    assert_eq!(old.status(), 301);
    assert_eq!(old.headers()["location"], "/products/fell-wool-hat");
    let kept: i64 = product_variants::table
        .filter(product_variants::product_id.eq(id))
        .count()
        .get_result(&mut t.db.conn().await)
        .await
        .unwrap();
    assert_eq!(kept, 6, "an edit keeps the variants it names");

    // A draft is the owner's alone.
    let draft = product_form("Secret scarf", "", "draft");
    assert_eq!(
        post(&t, "/stalls/fell-knits/products", &draft, &owner_s)
            .await
            .status,
        303
    );
    assert_eq!(
        t.get(AppName::Market, "/products/secret-scarf", None)
            .await
            .status,
        404
    );
    assert_eq!(
        t.get(AppName::Market, "/products/secret-scarf", Some(&other_s))
            .await
            .status,
        404
    );
    assert_eq!(
        t.get(AppName::Market, "/products/secret-scarf", Some(&owner_s))
            .await
            .status,
        200
    );
    let home = t.get(AppName::Market, "/", None).await;
    assert!(home.body.contains("Fell wool hat") && !home.body.contains("Secret scarf"));
    t.stop().await;
}

#[actix_web::test]
async fn the_home_page_searches_and_filters() {
    let t = TestFleet::start().await;
    let admin = person(&t, "ada", "admin").await;
    let admin_s = t.sign_in(AppName::Market, admin).await;
    for (name, owners) in [("Orchard", "ada"), ("Dairy", "ada")] {
        let made = post(
            &t,
            "/stalls",
            &[("name", name), ("owners", owners)],
            &admin_s,
        )
        .await;
        assert_eq!(made.status, 303, "{}", made.body);
    }
    let add = |stall: &'static str,
               title: &'static str,
               description: &'static str,
               tags: &'static str| {
        let s = &admin_s;
        let t = &t;
        async move {
            let form = [
                ("title", title),
                ("description", description),
                ("status", "active"),
                ("tags", tags),
                ("variants", " | | 4.00 | 5"),
            ];
            let r = post(t, &format!("/stalls/{stall}/products"), &form, s).await;
            assert_eq!(r.status, 303, "{}", r.body);
        }
    };
    add("orchard", "Quince paste", "Set fruit.", "preserves").await;
    add(
        "orchard",
        "Apple jelly",
        "Made with quince pectin.",
        "preserves",
    )
    .await;
    add("dairy", "Soft cheese", "A quince-free cheese.", "cheese").await;
    add("dairy", "Smoked cheese", "Over apple wood.", "cheese").await;

    let search = |q: &str| {
        let path = format!("/?{}", serde_urlencoded::to_string([("q", q)]).unwrap());
        let t = &t;
        async move {
            let page = t.get(AppName::Market, &path, None).await;
            assert_eq!(page.status, 200, "{path}: {}", page.body);
            page.body
        }
    };
    let found = search("quince").await;
    let (paste, jelly) = (
        found.find("Quince paste").unwrap(),
        found.find("Apple jelly").unwrap(),
    );
    assert!(
        paste < jelly,
        "a title match ranks above a description match"
    );
    let typo = search("quinse").await;
    assert!(
        typo.contains("Quince paste"),
        "trigram similarity finds a misspelling"
    );
    let excluded = search("cheese -smoked").await;
    assert!(excluded.contains("Soft cheese") && !excluded.contains("Smoked cheese"));
    let phrase = search("\"apple wood\"").await;
    assert!(phrase.contains("Smoked cheese") && !phrase.contains("Apple jelly"));

    let tagged = t.get(AppName::Market, "/?tag=cheese", None).await.body;
    assert!(tagged.contains("Soft cheese") && !tagged.contains("Quince paste"));
    let stall = t.get(AppName::Market, "/?stall=orchard", None).await.body;
    assert!(stall.contains("Apple jelly") && !stall.contains("Soft cheese"));
    assert_eq!(
        t.get(AppName::Market, "/?stall=nope", None).await.status,
        404
    );
    let all = t.get(AppName::Market, "/", None).await.body;
    assert!(all.contains("4 products"));
    t.stop().await;
}
