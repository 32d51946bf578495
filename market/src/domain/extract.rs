//! Importing a product from a shop's page: what the page says about the product, read the
//! way product importers read shops (schema.org JSON-LD first, then microdata, then
//! OpenGraph/`product:` meta tags), with relative addresses resolved against the page.
//!
//! The page is parsed by a real HTML parser and its structured data read in each syntax
//! (`structured.rs`, in the shapes `extruct` gives); this module decides what that data says
//! about the product. Microdata items are read as the JSON-LD they stand for, so one walker
//! serves both; JSON-LD shapes vary too much for strict types, so it is a `serde_json::Value`.

use serde_json::Value;
use url::Url;

use super::form::{ProductForm, minor_units};
use super::html::Document;
use super::structured::Syntaxes;

/// A product as another shop's page describes it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Imported {
    pub title: String,
    pub description: String,
    pub images: Vec<String>,
    pub sku: Option<String>,
    pub gtin: Option<String>,
    pub brand: Option<String>,
    /// Minor units and ISO currency (the lowest price of an `AggregateOffer`).
    pub price: Option<(i64, String)>,
    /// schema.org's term without its prefix (`InStock`, `OutOfStock`, …).
    pub availability: Option<String>,
    pub variants: Vec<ImportedVariant>,
    /// Which source the fields came from: `json-ld`, `microdata` or `opengraph`.
    pub source: &'static str,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImportedVariant {
    pub name: String,
    pub sku: Option<String>,
    pub price: Option<(i64, String)>,
    pub availability: Option<String>,
    pub image: Option<String>,
}

fn has_type(v: &Value, wanted: &[&str]) -> bool {
    let is = |t: &str| {
        let t = t.rsplit('/').next().unwrap_or(t);
        wanted.contains(&t)
    };
    match v.get("@type") {
        Some(Value::String(t)) => is(t),
        Some(Value::Array(ts)) => ts.iter().filter_map(Value::as_str).any(is),
        _ => false,
    }
}

/// The first `Product` or `ProductGroup` in a JSON-LD document (top level, lists, `@graph`).
fn find_product(v: &Value) -> Option<&Value> {
    match v {
        Value::Array(items) => items.iter().find_map(find_product),
        Value::Object(map) => {
            if has_type(v, &["Product", "ProductGroup"]) {
                return Some(v);
            }
            map.get("@graph").and_then(find_product).or_else(|| {
                // A page about the product (`WebPage`/`ItemPage` with `mainEntity`).
                map.get("mainEntity").and_then(find_product)
            })
        }
        _ => None,
    }
}

fn text(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::String(s) => {
            Some(s.split_whitespace().collect::<Vec<_>>().join(" ")).filter(|s| !s.is_empty())
        }
        Value::Number(n) => Some(n.to_string()),
        Value::Array(items) => items.iter().find_map(|i| text(Some(i))),
        Value::Object(map) => text(map.get("name").or_else(|| map.get("@value"))),
        _ => None,
    }
}

/// `image`: a string, a list, or `ImageObject`s (`url`/`contentUrl`).
fn images(v: Option<&Value>, base: &Url) -> Vec<String> {
    let mut out = Vec::new();
    let mut push = |s: &str| {
        if let Some(u) = resolve(base, s)
            && !out.contains(&u)
        {
            out.push(u);
        }
    };
    match v {
        Some(Value::String(s)) => push(s),
        Some(Value::Array(items)) => {
            for item in items {
                for u in images(Some(item), base) {
                    push(&u);
                }
            }
        }
        Some(Value::Object(map)) => {
            if let Some(u) = map
                .get("url")
                .or_else(|| map.get("contentUrl"))
                .and_then(Value::as_str)
            {
                push(u);
            }
        }
        _ => {}
    }
    out
}

fn resolve(base: &Url, href: &str) -> Option<String> {
    let u = base.join(href.trim()).ok()?;
    matches!(u.scheme(), "http" | "https").then(|| u.to_string())
}

/// A price as shops write it: a number, or a string such as `"12.50"`, `"1,299.00"`, `"12,50"`.
pub fn price_minor(v: &Value) -> Option<i64> {
    let raw = match v {
        Value::Number(n) => n.to_string(),
        Value::String(s) => s.trim().to_owned(),
        _ => return None,
    };
    let mut s: String = raw.chars().filter(|c| !c.is_whitespace()).collect();
    if s.contains('.') {
        s = s.replace(',', "");
    } else if let Some((_, frac)) = s.rsplit_once(',')
        && frac.len() <= 2
    {
        s = s.replace(',', ".");
    } else {
        s = s.replace(',', "");
    }
    if let Some((whole, frac)) = s.split_once('.') {
        let frac = frac.trim_end_matches('0');
        if frac.len() > 2 {
            // More than cents: round to the nearest minor unit.
            let value: f64 = s.parse().ok()?;
            return (value >= 0.0).then(|| (value * 100.0).round() as i64);
        }
        s = if frac.is_empty() {
            whole.to_owned()
        } else {
            format!("{whole}.{frac}")
        };
    }
    minor_units(&s)
}

fn currency(v: Option<&Value>) -> Option<String> {
    let c = text(v)?.to_ascii_uppercase();
    (c.len() == 3 && c.bytes().all(|b| b.is_ascii_uppercase())).then_some(c)
}

fn availability(v: Option<&Value>) -> Option<String> {
    text(v).map(|a| a.rsplit('/').next().unwrap_or(&a).to_owned())
}

/// The offer's price, availability: from an `Offer`, a list (the lowest), an
/// `AggregateOffer` (`lowPrice`, or its own offers), or a `priceSpecification`.
fn offer(v: Option<&Value>) -> (Option<(i64, String)>, Option<String>) {
    let Some(v) = v else { return (None, None) };
    match v {
        Value::Array(items) => {
            let mut best: (Option<(i64, String)>, Option<String>) = (None, None);
            for item in items {
                let (p, a) = offer(Some(item));
                if best.1.is_none() {
                    best.1 = a;
                }
                if let Some(p) = p
                    && best.0.as_ref().is_none_or(|b| p.0 < b.0)
                {
                    best.0 = Some(p);
                }
            }
            best
        }
        Value::Object(map) => {
            let cur = currency(map.get("priceCurrency"));
            let avail = availability(map.get("availability"));
            let amount = map
                .get("price")
                .or_else(|| map.get("lowPrice"))
                .and_then(price_minor);
            if let (Some(amount), Some(cur)) = (amount, cur.clone()) {
                return (Some((amount, cur)), avail);
            }
            if let Some(spec) = map.get("priceSpecification") {
                let (p, _) = offer(Some(spec));
                if p.is_some() {
                    return (p, avail);
                }
            }
            if let Some(inner) = map.get("offers") {
                let (p, a) = offer(Some(inner));
                return (p, avail.or(a));
            }
            (None, avail)
        }
        _ => (None, None),
    }
}

fn from_json_ld(product: &Value, base: &Url) -> Imported {
    let (price, avail) = offer(product.get("offers"));
    let mut found = Imported {
        title: text(product.get("name")).unwrap_or_default(),
        description: match product.get("description") {
            Some(Value::String(raw)) => plain(raw),
            other => plain(&text(other).unwrap_or_default()),
        },
        images: images(product.get("image"), base),
        sku: text(product.get("sku")),
        gtin: ["gtin13", "gtin", "gtin12", "gtin14", "gtin8"]
            .iter()
            .find_map(|k| text(product.get(*k))),
        brand: text(product.get("brand")),
        price,
        availability: avail,
        variants: Vec::new(),
        source: "json-ld",
    };
    if let Some(Value::Array(vs)) = product.get("hasVariant") {
        for v in vs {
            let (price, availability) = offer(v.get("offers"));
            found.variants.push(ImportedVariant {
                name: text(v.get("name")).unwrap_or_default(),
                sku: text(v.get("sku")),
                price,
                availability,
                image: images(v.get("image"), base).into_iter().next(),
            });
        }
        if found.price.is_none() {
            found.price = found.variants.iter().filter_map(|v| v.price.clone()).min();
        }
        for v in &found.variants {
            if let Some(image) = &v.image
                && !found.images.contains(image)
            {
                found.images.push(image.clone());
            }
        }
    }
    found
}

/// A description as readable text: some shops put HTML (or escaped HTML) in JSON-LD.
fn plain(s: &str) -> String {
    if s.contains(['<', '&']) {
        return Document::parse(s).readable_text(0);
    }
    s.lines()
        .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
        .collect::<Vec<_>>()
        .join("\n")
        .split("\n\n")
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>()
        .join("\n\n")
}

/// A microdata item as the JSON-LD it stands for: `type` becomes `@type`, properties become
/// keys, nested items recurse, so `from_json_ld` reads both.
fn microdata_as_json_ld(v: &Value) -> Value {
    match v {
        Value::Array(items) => Value::Array(items.iter().map(microdata_as_json_ld).collect()),
        Value::Object(item) if item.contains_key("properties") || item.contains_key("type") => {
            let mut out = serde_json::Map::new();
            if let Some(t) = item.get("type") {
                out.insert("@type".into(), t.clone());
            }
            if let Some(Value::Object(props)) = item.get("properties") {
                for (k, v) in props {
                    out.insert(k.clone(), microdata_as_json_ld(v));
                }
            }
            Value::Object(out)
        }
        Value::Object(item) => item.get("value").cloned().unwrap_or(Value::Null),
        other => other.clone(),
    }
}

/// OpenGraph and Facebook's `product:` tags (and their legacy `og:price:` spellings).
fn from_opengraph(props: &[(String, String)], base: &Url) -> Option<Imported> {
    let mut found = Imported {
        source: "opengraph",
        ..Imported::default()
    };
    let mut amount = None;
    let mut code = None;
    for (key, content) in props {
        let content = content.trim();
        if content.is_empty() {
            continue;
        }
        let value = Value::String(content.to_owned());
        match key.to_ascii_lowercase().as_str() {
            "og:title" if found.title.is_empty() => {
                found.title = text(Some(&value)).unwrap_or_default()
            }
            "og:description" if found.description.is_empty() => found.description = plain(content),
            "og:image" | "og:image:url" | "og:image:secure_url" => {
                if let Some(u) = resolve(base, content)
                    && !found.images.contains(&u)
                {
                    found.images.push(u);
                }
            }
            "product:price:amount" | "og:price:amount" if amount.is_none() => {
                amount = price_minor(&value)
            }
            "product:price:currency" | "og:price:currency" if code.is_none() => {
                code = currency(Some(&value))
            }
            "product:availability" | "og:availability" => {
                found.availability = availability(Some(&value))
            }
            "product:brand" => found.brand = text(Some(&value)),
            "product:retailer_item_id" => found.sku = text(Some(&value)),
            _ => {}
        }
    }
    found.price = amount.zip(code);
    (!found.title.is_empty()).then_some(found)
}

/// What a page's structured data says about its product: JSON-LD first, then microdata,
/// then OpenGraph; `None` when it names none.
pub fn interpret(data: &Syntaxes, base: &Url) -> Option<Imported> {
    let products = |docs: &[Value], source: &'static str| -> Option<Imported> {
        docs.iter().find_map(|doc| {
            let found = from_json_ld(find_product(doc)?, base);
            (!found.title.is_empty()).then_some(Imported { source, ..found })
        })
    };
    let microdata: Vec<Value> = data.microdata.iter().map(microdata_as_json_ld).collect();
    products(&data.json_ld, "json-ld")
        .or_else(|| products(&microdata, "microdata"))
        .or_else(|| from_opengraph(&data.opengraph, base))
}

/// What `html`, found at `base`, says about its product; `None` when it names none.
/// JSON-LD that does not parse even leniently is skipped, so a broken block falls back to the
/// next source.
pub fn extract(html: &str, base: &Url) -> Option<Imported> {
    interpret(&Syntaxes::read(html, base), base)
}

fn money(p: &(i64, String)) -> String {
    format!("{}.{:02} {}", p.0 / 100, p.0 % 100, p.1)
}

impl Imported {
    /// The product form, pre-filled as a draft for the owner to review.
    pub fn form(&self) -> ProductForm {
        let in_stock = |a: &Option<String>| match a.as_deref() {
            Some("OutOfStock" | "SoldOut" | "Discontinued" | "out of stock") => "0",
            _ => "",
        };
        let named: Vec<&ImportedVariant> = self
            .variants
            .iter()
            .filter(|v| v.price.is_some() && !v.name.is_empty())
            .collect();
        let (option1, variants) = if named.len() > 1 {
            let lines = named
                .iter()
                .filter_map(|v| {
                    let price = money(v.price.as_ref()?);
                    // Option values are the variant's name after the product's ("Hat - Red").
                    let value = v
                        .name
                        .strip_prefix(&self.title)
                        .map(|s| s.trim_start_matches([' ', '-', '–', '/', ',']))
                        .filter(|s| !s.is_empty())
                        .unwrap_or(&v.name)
                        .replace(['|', '/'], " ");
                    Some(format!(
                        "{} | {} | {} | {} | {}",
                        value,
                        v.sku.as_deref().unwrap_or(""),
                        price,
                        in_stock(&v.availability),
                        v.image.as_deref().unwrap_or("")
                    ))
                })
                .collect::<Vec<_>>();
            ("Variant".to_owned(), lines.join("\n"))
        } else {
            let line = self.price.as_ref().map_or(String::new(), |p| {
                format!(
                    " | {} | {} | {} |",
                    self.sku.as_deref().unwrap_or(""),
                    money(p),
                    in_stock(&self.availability)
                )
            });
            (String::new(), line)
        };
        ProductForm {
            title: self.title.clone(),
            slug: String::new(),
            description: self.description.clone(),
            status: "draft".into(),
            tags: self.brand.clone().unwrap_or_default(),
            option1,
            option2: String::new(),
            option3: String::new(),
            variants,
            images: self
                .images
                .iter()
                .map(|u| format!("{u} | {}", self.title.replace('|', " ")))
                .collect::<Vec<_>>()
                .join("\n"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base() -> Url {
        Url::parse("https://shop.example/products/hat?variant=1").unwrap()
    }

    pub const SHOPIFY: &str = r#"<!doctype html><html><head>
<meta property="og:title" content="Wrong title">
<script type="application/ld+json">{"@context":"http://schema.org/","@type":"ProductGroup",
 "name":"Wool Hat","description":"<p>Warm &amp; soft.</p>","brand":{"@type":"Brand","name":"Fell Knits"},
 "productGroupID":"123","image":["//shop.example/cdn/hat.jpg",{"@type":"ImageObject","url":"/cdn/hat-2.jpg"}],
 "offers":{"@type":"AggregateOffer","lowPrice":"18.00","highPrice":"22.00","priceCurrency":"GBP"},
 "hasVariant":[
  {"@type":"Product","name":"Wool Hat - Red","sku":"HAT-R","image":"/cdn/red.jpg",
   "offers":{"@type":"Offer","price":"18.00","priceCurrency":"GBP","availability":"http://schema.org/InStock"}},
  {"@type":"Product","name":"Wool Hat - Blue","sku":"HAT-B",
   "offers":{"@type":"Offer","price":22,"priceCurrency":"GBP","availability":"https://schema.org/OutOfStock"}}]}
</script></head><body></body></html>"#;

    pub const WOO: &str = r#"<html><head><SCRIPT type='application/ld+json' class='yoast-schema-graph'>
{"@context":"https://schema.org","@graph":[{"@type":"WebPage","@id":"https://shop.example/p/"},
 {"@type":"Product","@id":"https://shop.example/p/#product","name":"Quince paste","url":"https://shop.example/p/",
  "description":"Set quince.","image":"https://shop.example/wp-content/uploads/quince.jpg","sku":"QP-1",
  "offers":[{"@type":"Offer","price":"4.50","priceValidUntil":"2027-12-31",
    "priceSpecification":{"price":"4.50","priceCurrency":"EUR"},"priceCurrency":"EUR",
    "availability":"http://schema.org/InStock"}]}]}
</SCRIPT></head></html>"#;

    #[test]
    fn shopify_product_group_with_variants() {
        let p = extract(SHOPIFY, &base()).unwrap();
        assert_eq!(p.source, "json-ld");
        assert_eq!(p.title, "Wool Hat");
        assert_eq!(p.description, "Warm & soft.");
        assert_eq!(p.brand.as_deref(), Some("Fell Knits"));
        assert_eq!(p.price, Some((1800, "GBP".into())));
        assert_eq!(
            p.images,
            [
                "https://shop.example/cdn/hat.jpg",
                "https://shop.example/cdn/hat-2.jpg",
                "https://shop.example/cdn/red.jpg"
            ]
        );
        assert_eq!(p.variants.len(), 2);
        assert_eq!(p.variants[1].price, Some((2200, "GBP".into())));
        assert_eq!(p.variants[1].availability.as_deref(), Some("OutOfStock"));
        let form = p.form();
        assert_eq!(form.option1, "Variant");
        assert_eq!(form.status, "draft");
        let draft = form.draft().unwrap();
        assert_eq!(draft.variants.len(), 2);
        assert_eq!(draft.variants[0].options[0].as_deref(), Some("Red"));
        assert_eq!(draft.variants[1].stock, Some(0));
        assert_eq!(draft.images[0].alt, "Wool Hat");
    }

    #[test]
    fn woocommerce_graph_with_an_offer_list() {
        let p = extract(WOO, &base()).unwrap();
        assert_eq!(p.title, "Quince paste");
        assert_eq!(p.sku.as_deref(), Some("QP-1"));
        assert_eq!(p.price, Some((450, "EUR".into())));
        assert_eq!(p.availability.as_deref(), Some("InStock"));
        let draft = p.form().draft().unwrap();
        assert_eq!(draft.variants[0].price_cents, 450);
        assert_eq!(draft.variants[0].currency, "EUR");
    }

    #[test]
    fn broken_json_ld_falls_back_to_opengraph() {
        let html = r#"<head><script type="application/ld+json">{"@type":"Product","name":</script>
<meta property="og:title" content="Medlar &amp; apple jelly"><meta property="og:image" content="/img/j.jpg">
<meta property="product:price:amount" content="6,50"><meta property="product:price:currency" content="gbp">
<meta property="og:description" content="Sharp."></head>"#;
        let p = extract(html, &base()).unwrap();
        assert_eq!(p.source, "opengraph");
        assert_eq!(p.title, "Medlar & apple jelly");
        assert_eq!(p.images, ["https://shop.example/img/j.jpg"]);
        assert_eq!(p.price, Some((650, "GBP".into())));
        assert_eq!(p.description, "Sharp.");
    }

    #[test]
    fn microdata_product() {
        let html = r#"<div itemscope itemtype="https://schema.org/Product"><span itemprop="name" content="Honey"></span>
<img itemprop="image" src="honey.jpg"><div itemprop="offers" itemscope itemtype="https://schema.org/Offer">
<meta itemprop="price" content="7.00"><meta itemprop="priceCurrency" content="GBP"></div></div>"#;
        let p = extract(html, &base()).unwrap();
        assert_eq!(p.source, "microdata");
        assert_eq!(p.images, ["https://shop.example/products/honey.jpg"]);
        assert_eq!(p.price, Some((700, "GBP".into())));
    }

    #[test]
    fn garbage_names_no_product() {
        for html in [
            "",
            "<<<>>>",
            "<html><body>nothing</body></html>",
            "<meta content",
            "\u{0}<script>",
        ] {
            assert_eq!(extract(html, &base()), None, "{html:?}");
        }
    }

    #[test]
    fn prices_as_shops_write_them() {
        let p = |s: &str| price_minor(&Value::String(s.into()));
        assert_eq!(p("12.50"), Some(1250));
        assert_eq!(p("1,299.00"), Some(129_900));
        assert_eq!(p("12,5"), Some(1250));
        assert_eq!(p("18.000"), Some(1800));
        assert_eq!(p("9.999"), Some(1000));
        assert_eq!(price_minor(&serde_json::json!(22)), Some(2200));
        assert_eq!(price_minor(&serde_json::json!(4.5)), Some(450));
        assert_eq!(p("free"), None);
    }
}
