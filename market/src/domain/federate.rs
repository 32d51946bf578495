//! Products as the market actor (`@market`) publishes them to the fediverse: a `Note` with the
//! title, price, an excerpt of the description, a link to the product page, the first image as
//! an attachment and the tags as hashtags. Going live sends `Create`, an edit of a live product
//! `Update` (with `updated`, or Mastodon ignores it), archiving or deleting `Delete` with a
//! Tombstone; each recorded in the transactional outbox beside the change, as the blog does.
//!
//! A product's object id is `/objects/products/{id}`; once that id has been deleted, a
//! product published again gets `/objects/products/{id}/r{n}` (Mastodon keeps tombstones and
//! refuses to create a deleted id again). Which id is current follows from the outbox: the
//! first in that sequence no `Delete` has named.

use diesel_async::AsyncPgConnection;
use serde_json::{Value, json};
use shared::AppName;
use shared::activitypub::actors::LocalActor;
use shared::activitypub::store::Published;
use shared::activitypub::{AS_CONTEXT, PUBLIC, outbox, sanitize, store};
use shared::config::Config;
use shared::contracts::dtos::Money;
use shared::db::DbPool;
use shared::infrastructure::markdown;
use shared::infrastructure::templates::escape_html;
use shared::models::market::{Product, ProductImage, Variant, status};

use super::MarketError;
use crate::db::products;

pub const MARKET: LocalActor = LocalActor::App(AppName::Market);

/// Longest description excerpt (characters of text) a Note carries.
const EXCERPT_CHARS: usize = 500;

fn base(config: &Config) -> String {
    shared::activitypub::actors::base(config, AppName::Market)
}

/// The id of a product's first publication.
pub fn first_object_id(config: &Config, product_id: i64) -> String {
    format!("{}/objects/products/{product_id}", base(config))
}

/// The object id a publication of the product uses now (see [`store::current_object_id`]).
pub async fn current_object_id(
    conn: &mut AsyncPgConnection,
    config: &Config,
    product_id: i64,
) -> diesel::QueryResult<String> {
    store::current_object_id(conn, &first_object_id(config, product_id)).await
}

pub fn product_url(config: &Config, slug: &str) -> String {
    format!("{}/products/{slug}", base(config))
}

/// The market home filtered by `tag`.
pub fn tag_url(config: &Config, tag: &str) -> String {
    let query = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("tag", tag)
        .finish();
    format!("{}/?{query}", base(config))
}

fn time(t: chrono::DateTime<chrono::Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// What a product costs: one price, or "from" the lowest when its variants differ.
pub fn price_text(product: &Product, variants: &[Variant]) -> String {
    let money = |cents, currency: &str| {
        Money {
            cents,
            currency: currency.to_owned(),
        }
        .to_string()
    };
    let Some(low) = variants.iter().min_by_key(|v| v.price_cents) else {
        return money(product.price_cents, &product.currency);
    };
    let same = variants
        .iter()
        .all(|v| v.price_cents == low.price_cents && v.currency == low.currency);
    if same {
        money(low.price_cents, &low.currency)
    } else {
        format!("from {}", money(low.price_cents, &low.currency))
    }
}

/// The description as safe HTML (Mastodon's allowlist), or a plain-text teaser when long.
pub fn excerpt(description: &str) -> String {
    let html = markdown::markdown(description);
    let text = markdown::plain_text(&html);
    if text.is_empty() {
        String::new()
    } else if text.chars().count() <= EXCERPT_CHARS {
        sanitize::html(&html)
    } else {
        format!(
            "<p>{}</p>",
            escape_html(&markdown::teaser(&text, EXCERPT_CHARS))
        )
    }
}

/// A tag as a hashtag name (no spaces or `#`).
fn hashtag(tag: &str) -> String {
    tag.chars()
        .filter(|c| !c.is_whitespace() && *c != '#')
        .collect()
}

fn media_type(href: &str) -> Option<&'static str> {
    let path = href
        .split(['?', '#'])
        .next()
        .unwrap_or("")
        .to_ascii_lowercase();
    [
        (".png", "image/png"),
        (".gif", "image/gif"),
        (".webp", "image/webp"),
        (".avif", "image/avif"),
        (".jpg", "image/jpeg"),
        (".jpeg", "image/jpeg"),
    ]
    .into_iter()
    .find(|(ext, _)| path.ends_with(ext))
    .map(|(_, media)| media)
}

/// Site-relative image paths made absolute on the market's host; anything else that is not
/// an http(s) address is left out.
fn absolute(config: &Config, href: &str) -> Option<String> {
    if href.starts_with('/') && !href.starts_with("//") {
        Some(format!("{}{href}", base(config)))
    } else {
        sanitize::web_url(href)
    }
}

/// What goes into a product's Note.
pub struct Listing<'a> {
    pub product: &'a Product,
    pub variants: &'a [Variant],
    pub images: &'a [ProductImage],
}

/// The product as an ActivityStreams `Note` under `id`; `edited` adds `updated`.
pub fn note(config: &Config, listing: &Listing<'_>, id: &str, edited: bool) -> Value {
    let product = listing.product;
    let url = product_url(config, &product.slug);
    let title = escape_html(&product.title);
    let price = escape_html(&price_text(product, listing.variants));
    let tags: Vec<(String, String)> = product
        .tags
        .iter()
        .map(|t| (hashtag(t), tag_url(config, t)))
        .filter(|(name, _)| !name.is_empty())
        .collect();
    let mut content = format!(
        "<p><strong>{title}</strong> · {price}</p>{}<p><a href=\"{href}\">{link}</a></p>",
        excerpt(&product.description),
        href = escape_html(&url),
        link = escape_html(&url),
    );
    if !tags.is_empty() {
        let links: Vec<String> = tags
            .iter()
            .map(|(name, href)| {
                format!(
                    "<a href=\"{}\" class=\"mention hashtag\" rel=\"tag\">#<span>{}</span></a>",
                    escape_html(href),
                    escape_html(name)
                )
            })
            .collect();
        content.push_str(&format!("<p>{}</p>", links.join(" ")));
    }
    let hashtags: Vec<Value> = tags
        .iter()
        .map(|(name, href)| json!({ "type": "Hashtag", "href": href, "name": format!("#{name}") }))
        .collect();
    let mut object = json!({
        "id": id,
        "type": "Note",
        "attributedTo": MARKET.id(config),
        "name": title,
        "content": content,
        "url": url,
        "published": time(product.created_at),
        "to": [PUBLIC],
        "cc": [MARKET.followers(config)],
        "tag": hashtags,
    });
    let first = listing
        .images
        .iter()
        .find_map(|i| absolute(config, &i.url).map(|href| (href, i)));
    if let Some((href, image)) = first {
        let mut attachment = json!({
            "type": "Image",
            "url": href,
            "name": image.alt,
        });
        if let Some(media) = media_type(&image.url) {
            attachment["mediaType"] = json!(media);
        }
        object["attachment"] = json!([attachment]);
    }
    if edited {
        object["updated"] = json!(time(product.updated_at));
    }
    object
}

/// What a product that left the fediverse leaves behind.
pub fn tombstone(id: &str) -> Value {
    json!({
        "id": id,
        "type": "Tombstone",
        "formerType": "Note",
        "deleted": time(chrono::Utc::now()),
    })
}

/// Records in the outbox what a change of a product means to its followers (call inside the
/// transaction of the change): `before` is its status before (`None`: it is new), `after` the
/// product as saved. Drafts never federate; deleting is [`deleted`].
pub async fn change(
    conn: &mut AsyncPgConnection,
    config: &Config,
    before: Option<&str>,
    after: &Listing<'_>,
) -> diesel::QueryResult<()> {
    let was_live = before == Some(status::ACTIVE);
    let kind = match (was_live, after.product.is_active()) {
        (false, true) => "Create",
        (true, true) => "Update",
        (true, false) => "Delete",
        (false, false) => return Ok(()),
    };
    let id = current_object_id(conn, config, after.product.id).await?;
    let object = match kind {
        "Delete" => tombstone(&id),
        _ => note(config, after, &id, kind == "Update"),
    };
    let activity = outbox::activity(config, &MARKET, kind, object);
    outbox::emit(conn, &activity).await?;
    Ok(())
}

/// The `Delete` for a live product about to be deleted (call inside that transaction).
pub async fn deleted(
    conn: &mut AsyncPgConnection,
    config: &Config,
    product: &Product,
) -> diesel::QueryResult<()> {
    if !product.is_active() {
        return Ok(());
    }
    let id = current_object_id(conn, config, product.id).await?;
    let activity = outbox::activity(config, &MARKET, "Delete", tombstone(&id));
    outbox::emit(conn, &activity).await?;
    Ok(())
}

/// The object at `requested` (an id under `/objects/products/{product_id}`): the Note while
/// the product is live under that id, a Tombstone once a `Delete` named it.
pub async fn published(
    pool: &DbPool,
    config: &Config,
    product_id: i64,
    requested: &str,
) -> Result<Published, MarketError> {
    let mut conn = pool.get().await?;
    if store::was_deleted(&mut conn, requested).await? {
        let mut tombstone = json!({ "id": requested, "type": "Tombstone", "formerType": "Note" });
        tombstone["@context"] = json!(AS_CONTEXT);
        return Ok(Published::Gone(tombstone));
    }
    let Some(product) = shared::models::market::by_id(&mut conn, product_id).await? else {
        return Ok(Published::Missing);
    };
    if !product.is_active() || current_object_id(&mut conn, config, product_id).await? != requested
    {
        return Ok(Published::Missing);
    }
    let variants = products::variants_of(&mut conn, product_id).await?;
    let images = products::images_of(&mut conn, product_id).await?;
    let listing = Listing {
        product: &product,
        variants: &variants,
        images: &images,
    };
    let edited = product.updated_at > product.created_at;
    let mut object = note(config, &listing, requested, edited);
    object["@context"] = json!(AS_CONTEXT);
    Ok(Published::Live(Box::new(object), product.slug))
}

/// The object id of the live product at page `slug` (what a fediverse server looking the
/// page up is sent to); `None` when it is not live.
pub async fn object_of_page(
    pool: &DbPool,
    config: &Config,
    slug: &str,
) -> Result<Option<String>, MarketError> {
    let mut conn = pool.get().await?;
    match products::by_slug(&mut conn, slug).await? {
        Some(product) if product.is_active() => Ok(Some(
            current_object_id(&mut conn, config, product.id).await?,
        )),
        _ => Ok(None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn media_types_and_hashtags() {
        assert_eq!(media_type("https://x.example/a.PNG?v=2"), Some("image/png"));
        assert_eq!(media_type("https://x.example/a.jpeg"), Some("image/jpeg"));
        assert_eq!(media_type("https://x.example/image"), None);
        assert_eq!(hashtag("fell wool"), "fellwool");
        assert_eq!(hashtag("#hats"), "hats");
    }

    #[test]
    fn excerpts_are_safe_html_or_a_teaser() {
        let short = excerpt("Knitted from **fell** wool.\n\n<script>alert(1)</script>");
        assert!(short.contains("<strong>fell</strong>"), "{short}");
        assert!(!short.contains("<script"), "{short}");
        let long = excerpt(&"word ".repeat(300));
        assert!(long.starts_with("<p>") && long.ends_with("…</p>"), "{long}");
        assert!(long.chars().count() < EXCERPT_CHARS + 20);
        assert_eq!(excerpt("  "), "");
    }
}
