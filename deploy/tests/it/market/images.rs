//! A product's images uploaded by its owners from the edit page (multipart, the CSRF token at
//! the form's head): known by their bytes (400 otherwise), capped (413), stored through shared
//! media and served back by the market; described, reordered and deleted. Anyone else gets a
//! 403 and nothing changes; so does a form without its token. The product page (served from
//! the page cache) shows them in order with their alt text, and the federated object carries
//! the first.

use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use shared::AppName;
use shared::db::schema::{product_images, products};
use shared::testing::TestSession;

use crate::support::people::person;
use crate::support::{Page, TestFleet, page};

const BOUNDARY: &str = "----WebKitFormBoundaryMarket9Zx";

/// A file part (name, filename, bytes) or a text part (name, value).
pub(crate) enum Field<'a> {
    Text(&'a str, &'a str),
    File(&'a str, &'a str, Vec<u8>),
}

/// A form as a browser encodes it, the token first (as the page's forms have it).
pub(crate) fn encode(token: Option<&str>, fields: &[Field<'_>]) -> Vec<u8> {
    let mut body = Vec::new();
    let text = |name: &str, value: &str, body: &mut Vec<u8>| {
        body.extend_from_slice(
            format!(
                "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
            )
            .as_bytes(),
        );
    };
    if let Some(token) = token {
        text("csrf_token", token, &mut body);
    }
    for field in fields {
        match field {
            Field::Text(name, value) => text(name, value, &mut body),
            Field::File(name, filename, bytes) => {
                body.extend_from_slice(
                    format!(
                        "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"; filename=\"{filename}\"\r\nContent-Type: image/png\r\n\r\n"
                    )
                    .as_bytes(),
                );
                body.extend_from_slice(bytes);
                body.extend_from_slice(b"\r\n");
            }
        }
    }
    body.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
    body
}

async fn upload(
    t: &TestFleet,
    path: &str,
    s: &TestSession,
    token: Option<&str>,
    fields: &[Field<'_>],
) -> Page {
    let origin = t.fleet.url(AppName::Market).origin().ascii_serialization();
    let res = t
        .client
        .post(t.fleet.at(AppName::Market, path))
        .header("origin", origin)
        .header("sec-fetch-site", "same-origin")
        .header("cookie", &s.cookie)
        .header(
            "content-type",
            format!("multipart/form-data; boundary={BOUNDARY}"),
        )
        .body(encode(token, fields))
        .send()
        .await
        .unwrap();
    page(res).await
}

pub(crate) fn png(fill: u8, len: usize) -> Vec<u8> {
    let mut bytes = b"\x89PNG\r\n\x1a\n".to_vec();
    bytes.extend(std::iter::repeat_n(fill, len));
    bytes
}

/// The bytes and content type the market serves at `path`.
pub(crate) async fn served(t: &TestFleet, path: &str) -> (u16, String, Vec<u8>) {
    let res = t
        .client
        .get(t.fleet.at(AppName::Market, path))
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    let content_type = res
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (status, content_type, res.bytes().await.unwrap().to_vec())
}

/// (id, url, alt) of the product's images in order.
async fn images(t: &TestFleet, product: i64) -> Vec<(i64, String, String)> {
    product_images::table
        .filter(product_images::product_id.eq(product))
        .order((product_images::position, product_images::id))
        .select((product_images::id, product_images::url, product_images::alt))
        .load(&mut t.db.conn().await)
        .await
        .unwrap()
}

/// Files under the fleet's media directory.
fn media_files(t: &TestFleet) -> usize {
    fn walk(dir: &std::path::Path) -> usize {
        std::fs::read_dir(dir).map_or(0, |entries| {
            entries
                .flatten()
                .map(|e| {
                    if e.path().is_dir() {
                        walk(&e.path())
                    } else {
                        1
                    }
                })
                .sum()
        })
    }
    walk(&t.fleet.ctx(AppName::Market).config().media_dir)
}

/// Where each of `needles` first appears in `hay`, in order.
fn in_order(hay: &str, needles: &[&str]) -> bool {
    let found: Vec<usize> = needles
        .iter()
        .map(|n| hay.find(n).unwrap_or_else(|| panic!("{n} missing")))
        .collect();
    found.windows(2).all(|w| w[0] < w[1])
}

#[actix_web::test]
async fn owners_upload_describe_reorder_and_delete_product_images() {
    let t = TestFleet::start().await;
    let owner = person(&t, "fell", "member").await;
    let other = person(&t, "nosy", "member").await;
    super::fell_knits(&t, owner).await;
    let owner_s = t.sign_in(AppName::Market, owner).await;
    let other_s = t.sign_in(AppName::Market, other).await;
    let made = t
        .post_form(
            AppName::Market,
            "/stalls/fell-knits/products",
            &[
                ("title", "Wool hat"),
                ("status", "active"),
                ("option1", "Size"),
                ("variants", "One | HAT-1 | 12.50 GBP | 3"),
            ],
            Some(&owner_s),
            AppName::Market,
        )
        .await;
    assert_eq!(made.status, 303, "{}", made.body);
    let id: i64 = products::table
        .filter(products::slug.eq("wool-hat"))
        .select(products::id)
        .first(&mut t.db.conn().await)
        .await
        .unwrap();
    // An anonymous copy in the page cache, which the uploads must purge.
    let before = t.get(AppName::Market, "/products/wool-hat", None).await;
    assert!(!before.body.contains("/content/images/"));

    let front = png(1, 300);
    let back = b"GIF89a\x01\x00\x01\x00-back-".to_vec();
    let side = [&[0xFF, 0xD8, 0xFF, 0xE0][..], b"-side-"].concat();
    let path = "/products/wool-hat/images";
    let token = owner_s.csrf.clone();
    let files_before = media_files(&t);

    // Refused, with nothing stored: another member, no token, not an image, over the cap.
    let two = |a: &[u8], b: &[u8]| {
        vec![
            Field::File("image", "front.png", a.to_vec()),
            Field::Text("alt", "Front"),
            Field::File("image", "back.gif", b.to_vec()),
            Field::Text("alt", "Back"),
        ]
    };
    let refused = upload(&t, path, &other_s, Some(&other_s.csrf), &two(&front, &back)).await;
    assert_eq!(refused.status, 403, "{}", refused.body);
    let no_token = upload(&t, path, &owner_s, None, &two(&front, &back)).await;
    assert_eq!(no_token.status, 403, "{}", no_token.body);
    let html = b"<html><script>alert(1)</script></html>".to_vec();
    let not_image = upload(&t, path, &owner_s, Some(&token), &two(&front, &html)).await;
    assert_eq!(not_image.status, 400, "{}", not_image.body);
    assert!(not_image.body.contains("Only PNG, JPEG, GIF and WebP"));
    let over = png(2, shared::infrastructure::media::MAX_IMAGE);
    let too_big = upload(&t, path, &owner_s, Some(&token), &two(&front, &over)).await;
    assert_eq!(too_big.status, 413, "{}", too_big.body);
    assert!(images(&t, id).await.is_empty());
    assert_eq!(media_files(&t), files_before, "nothing stored");

    // The owner uploads two, then a third.
    let up = upload(&t, path, &owner_s, Some(&token), &two(&front, &back)).await;
    assert_eq!(up.status, 303, "{}", up.body);
    assert_eq!(
        up.headers["location"],
        "/products/wool-hat/edit#product-images"
    );
    let third = [
        Field::File("image", "side.jpg", side.clone()),
        Field::Text("alt", "  Side  "),
    ];
    let up = upload(&t, path, &owner_s, Some(&token), &third).await;
    assert_eq!(up.status, 303, "{}", up.body);
    let stored = images(&t, id).await;
    let alts: Vec<&str> = stored.iter().map(|i| i.2.as_str()).collect();
    assert_eq!(alts, ["Front", "Back", "Side"]);
    for ((_, url, _), (bytes, content_type)) in stored.iter().zip([
        (&front, "image/png"),
        (&back, "image/gif"),
        (&side, "image/jpeg"),
    ]) {
        assert!(url.starts_with("/content/images/"), "{url}");
        let (status, ct, body) = served(&t, url).await;
        assert_eq!((status, ct.as_str()), (200, content_type));
        assert_eq!(&body, bytes, "the market serves the stored bytes");
    }

    // The page (its cached copy purged) shows them in order, with their alt text.
    let shown = t.get(AppName::Market, "/products/wool-hat", None).await;
    assert!(
        in_order(
            &shown.body,
            &[
                &format!(r#"<img src="{}" alt="Front">"#, stored[0].1),
                &format!(r#"<img src="{}" alt="Back">"#, stored[1].1),
                &format!(r#"<img src="{}" alt="Side">"#, stored[2].1),
            ]
        ),
        "{}",
        shown.body
    );
    let edit = t
        .get(AppName::Market, "/products/wool-hat/edit", Some(&owner_s))
        .await;
    assert!(
        edit.body
            .contains(&format!("{path}/{}/delete", stored[1].0))
    );
    assert!(edit.body.contains(r#"enctype="multipart/form-data""#));

    // Another member may neither describe, move nor delete one.
    let side_id = stored[2].0;
    let describe = format!("{path}/{side_id}");
    let moved = [("alt", "Side view"), ("position", "1")];
    let r = t
        .post_form(
            AppName::Market,
            &describe,
            &moved,
            Some(&other_s),
            AppName::Market,
        )
        .await;
    assert_eq!(r.status, 403);
    let r = t
        .post_form(
            AppName::Market,
            &format!("{describe}/delete"),
            &[],
            Some(&other_s),
            AppName::Market,
        )
        .await;
    assert_eq!(r.status, 403);
    assert_eq!(images(&t, id).await, stored, "nothing changed");

    // The owner moves the third to the front with a new description: it is the product's
    // picture now, and the federated object's attachment.
    let r = t
        .post_form(
            AppName::Market,
            &describe,
            &moved,
            Some(&owner_s),
            AppName::Market,
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let now = images(&t, id).await;
    let order: Vec<i64> = now.iter().map(|i| i.0).collect();
    assert_eq!(order, [stored[2].0, stored[0].0, stored[1].0]);
    assert_eq!(now[0].2, "Side view");
    let card: Option<String> = products::table
        .find(id)
        .select(products::image_url)
        .first(&mut t.db.conn().await)
        .await
        .unwrap();
    assert_eq!(card.as_deref(), Some(stored[2].1.as_str()));
    let shown = t.get(AppName::Market, "/products/wool-hat", None).await;
    assert!(in_order(
        &shown.body,
        &[r#"alt="Side view""#, r#"alt="Front""#, r#"alt="Back""#]
    ));
    let object = t
        .client
        .get(
            t.fleet
                .at(AppName::Market, &format!("/objects/products/{id}")),
        )
        .header("accept", "application/activity+json")
        .send()
        .await
        .unwrap()
        .json::<serde_json::Value>()
        .await
        .unwrap();
    let market_url = t.fleet.url(AppName::Market).join(&stored[2].1).unwrap();
    assert_eq!(
        object["attachment"][0]["url"],
        market_url.as_str(),
        "{object}"
    );
    assert_eq!(object["attachment"][0]["name"], "Side view");

    // Deleted: the rest close up; another product's image id is not this one's.
    let r = t
        .post_form(
            AppName::Market,
            &format!("{path}/{}/delete", stored[0].0),
            &[],
            Some(&owner_s),
            AppName::Market,
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let left: Vec<(i64, i32)> = product_images::table
        .filter(product_images::product_id.eq(id))
        .order(product_images::position)
        .select((product_images::id, product_images::position))
        .load(&mut t.db.conn().await)
        .await
        .unwrap();
    assert_eq!(left, [(stored[2].0, 0), (stored[1].0, 1)]);
    let r = t
        .post_form(
            AppName::Market,
            &format!("{path}/{}/delete", stored[0].0),
            &[],
            Some(&owner_s),
            AppName::Market,
        )
        .await;
    assert_eq!(r.status, 404);
    let shown = t.get(AppName::Market, "/products/wool-hat", None).await;
    assert!(!shown.body.contains(r#"alt="Front""#), "{}", shown.body);
    t.stop().await;
}

/// The image a variant shows is picked from its product's uploaded images on the edit page
/// (by image, not a typed address); another product's image is refused (400) and nothing
/// changes, whether picked or typed into the variants box; so is another member (403).
#[actix_web::test]
async fn a_variant_shows_one_of_its_own_products_images() {
    use shared::db::schema::product_variants;
    let t = TestFleet::start().await;
    let owner = person(&t, "fell", "member").await;
    let other = person(&t, "nosy", "member").await;
    super::fell_knits(&t, owner).await;
    let owner_s = t.sign_in(AppName::Market, owner).await;
    let other_s = t.sign_in(AppName::Market, other).await;
    let token = owner_s.csrf.clone();
    let mut ids = Vec::new();
    for (title, fill) in [("Wool hat", 1), ("Wool scarf", 9)] {
        let made = t
            .post_form(
                AppName::Market,
                "/stalls/fell-knits/products",
                &[
                    ("title", title),
                    ("status", "active"),
                    ("option1", "Colour"),
                    (
                        "variants",
                        "Red | R | 12.50 GBP | 3\nBlue | B | 12.50 GBP | 3",
                    ),
                ],
                Some(&owner_s),
                AppName::Market,
            )
            .await;
        assert_eq!(made.status, 303, "{}", made.body);
        let slug = title.to_lowercase().replace(' ', "-");
        let up = upload(
            &t,
            &format!("/products/{slug}/images"),
            &owner_s,
            Some(&token),
            &[
                Field::File("image", "red.png", png(fill, 200)),
                Field::Text("alt", "In red"),
                Field::File("image", "blue.png", png(fill + 1, 200)),
                Field::Text("alt", "In blue"),
            ],
        )
        .await;
        assert_eq!(up.status, 303, "{}", up.body);
        let id: i64 = products::table
            .filter(products::slug.eq(&slug))
            .select(products::id)
            .first(&mut t.db.conn().await)
            .await
            .unwrap();
        ids.push(id);
    }
    let (hat, scarf) = (ids[0], ids[1]);
    let hat_images = images(&t, hat).await;
    let scarf_images = images(&t, scarf).await;
    let variants = async |product: i64| -> Vec<(i64, Option<String>)> {
        product_variants::table
            .filter(product_variants::product_id.eq(product))
            .order(product_variants::position)
            .select((product_variants::id, product_variants::image_url))
            .load(&mut t.db.conn().await)
            .await
            .unwrap()
    };
    let hat_variants = variants(hat).await;
    let blue = hat_variants[1].0;

    // The edit page offers each variant a pick of the product's images.
    let edit = t
        .get(AppName::Market, "/products/wool-hat/edit", Some(&owner_s))
        .await;
    assert!(
        edit.body.contains(&format!(
            r#"action="/products/wool-hat/variants/{blue}/image""#
        )),
        "{}",
        edit.body
    );
    assert!(
        edit.body.contains(&format!(
            r#"<option value="{}">2. In blue</option>"#,
            hat_images[1].0
        )),
        "{}",
        edit.body
    );
    let pick =
        async |who: &shared::testing::TestSession, product: &str, variant: i64, image: &str| {
            t.post_form(
                AppName::Market,
                &format!("/products/{product}/variants/{variant}/image"),
                &[("image", image)],
                Some(who),
                AppName::Market,
            )
            .await
        };

    // The owner picks the hat's blue image for its blue variant: the page shows it.
    let blue_image = hat_images[1].0.to_string();
    let picked = pick(&owner_s, "wool-hat", blue, &blue_image).await;
    assert_eq!(picked.status, 303, "{}", picked.body);
    assert_eq!(
        variants(hat).await[1].1.as_deref(),
        Some(hat_images[1].1.as_str())
    );
    let page = t.get(AppName::Market, "/products/wool-hat", None).await;
    assert!(
        page.body.contains(&format!(
            r#"<img class="thumb" src="{}" alt="Blue">"#,
            hat_images[1].1
        )),
        "{}",
        page.body
    );
    let edit = t
        .get(AppName::Market, "/products/wool-hat/edit", Some(&owner_s))
        .await;
    assert!(
        edit.body.contains(&format!(
            r#"<option value="{}" selected>2. In blue</option>"#,
            hat_images[1].0
        )),
        "{}",
        edit.body
    );

    // The scarf's image for the hat's variant: 400, unchanged; so is a made-up id or a
    // variant of another product (404), and another member (403).
    let theirs = scarf_images[0].0.to_string();
    let refused = pick(&owner_s, "wool-hat", blue, &theirs).await;
    assert_eq!(refused.status, 400, "{}", refused.body);
    assert!(
        refused.body.contains("not one of this product"),
        "{}",
        refused.body
    );
    assert_eq!(pick(&owner_s, "wool-hat", blue, "x").await.status, 400);
    let scarf_variant = variants(scarf).await[0].0;
    assert_eq!(
        pick(&owner_s, "wool-hat", scarf_variant, &blue_image)
            .await
            .status,
        404
    );
    assert_eq!(
        pick(&other_s, "wool-hat", blue, &blue_image).await.status,
        403
    );
    assert_eq!(
        variants(hat).await[1].1.as_deref(),
        Some(hat_images[1].1.as_str())
    );
    assert_eq!(variants(scarf).await[0].1, None);

    // Typed into the variants box, the scarf's image is refused too, and nothing changes.
    let typed = format!(
        "Red | R | 12.50 GBP | 3 | {}\nBlue | B | 12.50 GBP | 3 | {}",
        scarf_images[0].1, hat_images[1].1
    );
    let listed = hat_images
        .iter()
        .map(|(_, url, alt)| format!("{url} | {alt}"))
        .collect::<Vec<_>>()
        .join("\n");
    let form = |variants: &str| {
        vec![
            ("title".to_owned(), "Wool hat".to_owned()),
            ("status".to_owned(), "active".to_owned()),
            ("option1".to_owned(), "Colour".to_owned()),
            ("variants".to_owned(), variants.to_owned()),
            ("images".to_owned(), listed.clone()),
        ]
    };
    let post = async |fields: Vec<(String, String)>| {
        let fields: Vec<(&str, &str)> = fields
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        t.post_form(
            AppName::Market,
            "/products/wool-hat",
            &fields,
            Some(&owner_s),
            AppName::Market,
        )
        .await
    };
    let refused = post(form(&typed)).await;
    assert_eq!(refused.status, 400, "{}", refused.body);
    assert!(
        refused.body.contains("not one of this product"),
        "{}",
        refused.body
    );
    assert_eq!(variants(hat).await[0].1, None);
    // The hat's own image, as the edit page writes it back, is kept.
    let own = format!(
        "Red | R | 12.50 GBP | 3 | {}\nBlue | B | 12.50 GBP | 3 | {}",
        hat_images[0].1, hat_images[1].1
    );
    let saved = post(form(&own)).await;
    assert_eq!(saved.status, 303, "{}", saved.body);
    assert_eq!(
        variants(hat).await[0].1.as_deref(),
        Some(hat_images[0].1.as_str())
    );

    // "No image" clears it.
    let cleared = pick(&owner_s, "wool-hat", blue, "").await;
    assert_eq!(cleared.status, 303, "{}", cleared.body);
    assert_eq!(variants(hat).await[1].1, None);
    t.stop().await;
}
