//! Typed views: what each template receives. A template's variables are the fields of one
//! struct here, so a renamed field is a compile error in the handler, not a blank in the page.

use serde::Serialize;
use serde_json::{Value, json};
use shared::AppError;
use shared::contracts::dtos::{CalendarDto, Money};
use shared::infrastructure::markdown;
use shared::infrastructure::page::Pagination;
use shared::models::market::{Product, Stall, Variant};

use crate::db::imports;
use crate::domain::form::{ProductForm, StallForm};
use crate::domain::imports::Progress;
use crate::domain::market::Home;
use crate::domain::rehost::Skipped;
use crate::domain::{ProductPage, StallPage};

fn money(cents: i64, currency: &str) -> Money {
    Money {
        cents,
        currency: currency.to_owned(),
    }
}

/// One product in a list.
#[derive(Debug, Serialize)]
pub struct ProductCard<'a> {
    pub slug: &'a str,
    pub title: &'a str,
    pub price: String,
    pub image_url: Option<&'a str>,
    pub in_stock: bool,
    pub status: &'a str,
}

impl<'a> From<&'a Product> for ProductCard<'a> {
    fn from(p: &'a Product) -> Self {
        ProductCard {
            slug: &p.slug,
            title: &p.title,
            price: money(p.price_cents, &p.currency).to_string(),
            image_url: p.image_url.as_deref(),
            in_stock: p.stock > 0,
            status: &p.status,
        }
    }
}

fn cards(rows: &[Product]) -> Vec<ProductCard<'_>> {
    rows.iter().map(ProductCard::from).collect()
}

#[derive(Debug, Serialize)]
pub struct StallView<'a> {
    pub slug: &'a str,
    pub name: &'a str,
    /// Markdown rendered and sanitised.
    pub description_html: String,
    pub image_url: Option<&'a str>,
    pub contact: &'a str,
    pub location: &'a str,
    /// The events calendar of its market days, if linked.
    pub calendar_slug: Option<&'a str>,
}

impl<'a> From<&'a Stall> for StallView<'a> {
    fn from(s: &'a Stall) -> Self {
        StallView {
            slug: &s.slug,
            name: &s.name,
            description_html: markdown::markdown(&s.description),
            image_url: s.image_url.as_deref(),
            contact: &s.contact,
            location: &s.location,
            calendar_slug: s.calendar_slug.as_deref(),
        }
    }
}

/// The filters the home page was asked for, echoed into its form.
#[derive(Debug, Default, Serialize)]
pub struct Filters {
    pub stall: String,
    pub tag: String,
    pub q: String,
    pub in_stock: bool,
    pub min: String,
    pub max: String,
}

impl Filters {
    /// The filters that are set, urlencoded and ending in `&`, or empty.
    pub fn query(&self) -> String {
        let in_stock = if self.in_stock { "1" } else { "" };
        let pairs: Vec<(&str, &str)> = [
            ("q", self.q.as_str()),
            ("stall", &self.stall),
            ("tag", &self.tag),
            ("in_stock", in_stock),
            ("min", &self.min),
            ("max", &self.max),
        ]
        .into_iter()
        .filter(|(_, v)| !v.is_empty())
        .collect();
        if pairs.is_empty() {
            return String::new();
        }
        let mut q = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(pairs)
            .finish();
        q.push('&');
        q
    }
}

/// A facet value with the number of products choosing it would list.
#[derive(Debug, Serialize)]
pub struct FacetValue<'a> {
    pub value: &'a str,
    pub label: &'a str,
    pub count: i64,
}

/// `index.html`: stalls, filters and products.
#[derive(Debug, Serialize)]
pub struct HomePage<'a> {
    pub stalls: Vec<StallView<'a>>,
    pub products: Vec<ProductCard<'a>>,
    pub filters: Filters,
    pub total: i64,
    pub stall_facets: Vec<FacetValue<'a>>,
    pub tag_facets: Vec<FacetValue<'a>>,
    pub in_stock_count: i64,
    /// The filters as a query string ending in `&` (or empty), for the page links.
    pub query: String,
    pub pagination: Pagination,
    pub is_admin: bool,
}

impl<'a> HomePage<'a> {
    pub fn new(home: &'a Home, filters: Filters, pagination: Pagination, is_admin: bool) -> Self {
        let (stalls, products, total, facets) =
            (&home.stalls, &home.products, home.total, &home.facets);
        HomePage {
            stall_facets: facets
                .stalls
                .iter()
                .filter_map(|(id, count)| {
                    let s = stalls.iter().find(|s| s.id == *id)?;
                    Some(FacetValue {
                        value: &s.slug,
                        label: &s.name,
                        count: *count,
                    })
                })
                .collect(),
            tag_facets: facets
                .tags
                .iter()
                .map(|(t, count)| FacetValue {
                    value: t,
                    label: t,
                    count: *count,
                })
                .collect(),
            in_stock_count: facets.in_stock,
            query: filters.query(),
            stalls: stalls.iter().map(StallView::from).collect(),
            products: cards(products),
            filters,
            total,
            pagination,
            is_admin,
        }
    }
}

/// `stall.html`.
#[derive(Debug, Serialize)]
pub struct StallPageView<'a> {
    pub stall: StallView<'a>,
    pub owners: &'a [String],
    pub products: Vec<ProductCard<'a>>,
    pub can_edit: bool,
}

impl<'a> StallPageView<'a> {
    pub fn new(page: &'a StallPage) -> Self {
        StallPageView {
            stall: StallView::from(&page.stall),
            owners: &page.owners,
            products: cards(&page.products),
            can_edit: page.can_edit,
        }
    }
}

#[derive(Debug, Serialize)]
pub struct VariantView<'a> {
    pub id: i64,
    pub label: String,
    pub sku: Option<&'a str>,
    pub price: String,
    pub in_stock: bool,
    pub stock: Option<i32>,
    pub image_url: Option<&'a str>,
}

impl<'a> From<&'a Variant> for VariantView<'a> {
    fn from(v: &'a Variant) -> Self {
        VariantView {
            id: v.id,
            label: v.options().join(" / "),
            sku: v.sku.as_deref(),
            price: money(v.price_cents, &v.currency).to_string(),
            in_stock: v.in_stock(),
            stock: v.stock,
            image_url: v.image_url.as_deref(),
        }
    }
}

#[derive(Debug, Serialize)]
pub struct ImageView<'a> {
    pub url: &'a str,
    pub alt: &'a str,
}

/// `product.html`.
#[derive(Debug, Serialize)]
pub struct ProductPageView<'a> {
    pub product: ProductCard<'a>,
    pub description_html: String,
    pub tags: &'a [String],
    pub stall: Option<StallView<'a>>,
    pub options: Vec<&'a str>,
    pub variants: Vec<VariantView<'a>>,
    pub images: Vec<ImageView<'a>>,
    pub can_edit: bool,
    pub add_to_cart: String,
    /// The variant the picker starts on: the first one that can be bought.
    pub first_in_stock: Option<i64>,
    /// schema.org `Product` with its offers, for search engines; `<` escaped, so it is safe
    /// inside `<script>`.
    pub json_ld: String,
}

impl<'a> ProductPageView<'a> {
    pub fn new(page: &'a ProductPage, url: &str, add_to_cart: String) -> Self {
        ProductPageView {
            product: ProductCard::from(&page.product),
            description_html: markdown::markdown(&page.product.description),
            tags: &page.product.tags,
            stall: page.stall.as_ref().map(StallView::from),
            options: page.options.iter().map(|o| o.name.as_str()).collect(),
            variants: page.variants.iter().map(VariantView::from).collect(),
            images: page
                .images
                .iter()
                .map(|i| ImageView {
                    url: &i.url,
                    alt: &i.alt,
                })
                .collect(),
            can_edit: page.can_edit,
            add_to_cart,
            first_in_stock: page.variants.iter().find(|v| v.in_stock()).map(|v| v.id),
            json_ld: json_ld(page, url),
        }
    }
}

fn decimal(cents: i64) -> String {
    format!("{}.{:02}", cents / 100, cents % 100)
}

/// The product as schema.org `Product`: one `Offer`, or an `AggregateOffer` over variants.
pub fn json_ld(page: &ProductPage, url: &str) -> String {
    let p = &page.product;
    let availability = |v: &Variant| {
        if v.in_stock() {
            "https://schema.org/InStock"
        } else {
            "https://schema.org/OutOfStock"
        }
    };
    let offer = |v: &Variant| {
        let mut o = json!({
            "@type": "Offer",
            "price": decimal(v.price_cents),
            "priceCurrency": v.currency,
            "availability": availability(v),
            "url": url,
        });
        if let Some(sku) = &v.sku {
            o["sku"] = json!(sku);
        }
        o
    };
    let offers: Value = match page.variants.as_slice() {
        [one] => offer(one),
        many => {
            let low = many.iter().map(|v| v.price_cents).min().unwrap_or(0);
            let high = many.iter().map(|v| v.price_cents).max().unwrap_or(0);
            json!({
                "@type": "AggregateOffer",
                "lowPrice": decimal(low),
                "highPrice": decimal(high),
                "priceCurrency": many.first().map_or("GBP", |v| v.currency.as_str()),
                "offerCount": many.len(),
                "offers": many.iter().map(offer).collect::<Vec<_>>(),
            })
        }
    };
    let mut doc = json!({
        "@context": "https://schema.org",
        "@type": "Product",
        "name": p.title,
        "description": markdown::plain_text(&markdown::markdown(&p.description)),
        "url": url,
        "image": page.images.iter().map(|i| i.url.as_str()).collect::<Vec<_>>(),
        "offers": offers,
    });
    if let Some(sku) = page.variants.first().and_then(|v| v.sku.as_deref()) {
        doc["sku"] = json!(sku);
    }
    if let Some(stall) = &page.stall {
        doc["brand"] = json!({"@type": "Brand", "name": stall.name});
    }
    doc.to_string()
        .replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026")
}

/// `product_form.html`: new, edit, or an imported draft to review.
#[derive(Debug, Serialize)]
pub struct ProductFormPage<'a> {
    pub heading: &'a str,
    pub action: String,
    pub form: &'a ProductForm,
    pub stall_slug: &'a str,
    /// Where an imported draft came from.
    pub imported_from: Option<&'a str>,
    /// The imported page's images that could not be copied (left out of the draft).
    pub skipped: &'a [Skipped],
    /// The product's images, to describe, reorder or delete (an edit only).
    pub images: Vec<ImageRow<'a>>,
    /// Its variants, each with a pick of those images (an edit only).
    pub variants: Vec<VariantView<'a>>,
}

/// One of a product's images on its edit page.
#[derive(Debug, Serialize)]
pub struct ImageRow<'a> {
    pub id: i64,
    pub url: &'a str,
    pub alt: &'a str,
    /// 1-based.
    pub position: usize,
}

/// `stall_form.html`: an administrator's new stall, or an owner's edit.
#[derive(Debug, Serialize)]
pub struct StallFormPage<'a> {
    pub heading: &'a str,
    pub action: String,
    pub form: &'a StallForm,
    pub is_admin: bool,
    /// The events app's calendars, which the stall's market days may be linked to.
    pub calendars: &'a [CalendarDto],
}

/// `import.html`: paste a shop page's address.
#[derive(Debug, Serialize)]
pub struct ImportPage<'a> {
    pub stall_slug: &'a str,
    pub url: &'a str,
}

/// One address of a bulk import.
#[derive(Debug, Serialize)]
pub struct ImportItemView<'a> {
    pub url: &'a str,
    pub state: &'a str,
    pub error: Option<&'a str>,
    /// The saved draft's slug.
    pub product: Option<&'a str>,
}

/// `import_progress.html`.
#[derive(Debug, Serialize)]
pub struct ImportProgressPage<'a> {
    pub stall_slug: &'a str,
    pub stall_name: &'a str,
    pub id: i64,
    pub items: Vec<ImportItemView<'a>>,
    pub total: usize,
    pub queued: usize,
    pub done: usize,
    pub failed: usize,
}

impl<'a> ImportProgressPage<'a> {
    pub fn new(p: &'a Progress) -> Self {
        let count = |state: &str| p.items.iter().filter(|i| i.state == state).count();
        ImportProgressPage {
            stall_slug: &p.stall.slug,
            stall_name: &p.stall.name,
            id: p.import.id,
            items: p
                .items
                .iter()
                .map(|i| ImportItemView {
                    url: &i.url,
                    state: &i.state,
                    error: i.error.as_deref(),
                    product: i.product_id.and_then(|id| {
                        p.slugs
                            .iter()
                            .find(|(pid, _)| *pid == id)
                            .map(|(_, s)| s.as_str())
                    }),
                })
                .collect(),
            total: p.items.len(),
            queued: count(imports::QUEUED),
            done: count(imports::DONE),
            failed: count(imports::FAILED),
        }
    }
}

/// `fragments/featured.html`.
#[derive(Debug, Serialize)]
pub struct FeaturedFragment<'a> {
    pub products: Vec<ProductCard<'a>>,
    pub market: String,
}

impl<'a> FeaturedFragment<'a> {
    pub fn new(rows: &'a [Product], market: String) -> Self {
        FeaturedFragment {
            products: cards(rows),
            market,
        }
    }
}

/// `fragments/stall-card.html`: one stall, or none ("no longer open").
#[derive(Debug, Serialize)]
pub struct StallCardFragment<'a> {
    pub stall: Option<StallView<'a>>,
    /// A line of the description as plain text.
    pub teaser: String,
    /// Products on sale there.
    pub products: usize,
    pub market: String,
}

impl<'a> StallCardFragment<'a> {
    pub fn new(page: Option<&'a StallPage>, market: String) -> Self {
        StallCardFragment {
            stall: page.map(|p| StallView::from(&p.stall)),
            teaser: page.map_or_else(String::new, |p| teaser(&p.stall.description)),
            products: page.map_or(0, |p| p.products.iter().filter(|p| p.is_active()).count()),
            market,
        }
    }
}

/// One stall among `stall-cards.html`'s.
#[derive(Debug, Serialize)]
pub struct StallCard<'a> {
    pub stall: StallView<'a>,
    pub teaser: String,
    pub products: usize,
}

/// `fragments/stall-cards.html`: the stalls trading on a calendar's days.
#[derive(Debug, Serialize)]
pub struct StallCardsFragment<'a> {
    pub cards: Vec<StallCard<'a>>,
    pub market: String,
}

impl<'a> StallCardsFragment<'a> {
    pub fn new(stalls: &'a [(Stall, usize)], market: String) -> Self {
        StallCardsFragment {
            cards: stalls
                .iter()
                .map(|(stall, products)| StallCard {
                    stall: StallView::from(stall),
                    teaser: teaser(&stall.description),
                    products: *products,
                })
                .collect(),
            market,
        }
    }
}

/// The first paragraph of Markdown as plain text, cut at 160 characters on a word.
fn teaser(markdown: &str) -> String {
    let first = markdown
        .split("\n\n")
        .map(str::trim)
        .find(|p| !p.is_empty())
        .unwrap_or("");
    let plain: String = first
        .chars()
        .filter(|c| !matches!(c, '*' | '_' | '`' | '#' | '<' | '>' | '[' | ']'))
        .map(|c| if c == '\n' { ' ' } else { c })
        .collect();
    if plain.chars().count() <= 160 {
        return plain;
    }
    let cut: String = plain.chars().take(160).collect();
    match cut.rfind(' ') {
        Some(at) => format!("{}…", &cut[..at]),
        None => format!("{cut}…"),
    }
}

/// A view as a tera context.
pub fn context(view: &impl Serialize) -> Result<tera::Context, AppError> {
    Ok(tera::Context::from_serialize(view)?)
}

/// A page view laid over the app's base context (site name, URLs, assets).
pub fn page_context(base: tera::Context, view: &impl Serialize) -> Result<tera::Context, AppError> {
    let mut context = base;
    context.extend(self::context(view)?);
    Ok(context)
}
