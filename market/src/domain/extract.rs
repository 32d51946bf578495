//! Importing a product from a shop's page: what the page says about the product, read the
//! way product importers read shops (schema.org JSON-LD first, then microdata, then
//! OpenGraph/`product:` meta tags), with relative addresses resolved against the page.
//!
//! A small scanner finds tags and their attributes (no DOM: only `<script>` bodies and tag
//! attributes are needed, and a 2 MB page is scanned once); JSON-LD shapes vary too much for
//! strict types, so it is walked as `serde_json::Value`.

use serde_json::Value;
use url::Url;

use super::form::{ProductForm, minor_units};

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

/// One start tag: its lower-case name and attributes (names lower-cased, values unescaped).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tag {
    pub name: String,
    pub attrs: Vec<(String, String)>,
    /// Byte offset just past the tag's `>`.
    pub end: usize,
}

impl Tag {
    pub fn attr(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// Every start tag of `html`, in order. Comments are skipped; malformed markup ends the scan.
pub fn tags(html: &str) -> Vec<Tag> {
    let bytes = html.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while let Some(lt) = html[i..].find('<').map(|p| p + i) {
        if html[lt..].starts_with("<!--") {
            i = html[lt..].find("-->").map_or(bytes.len(), |p| lt + p + 3);
            continue;
        }
        let name_start = lt + 1;
        let name_len = bytes[name_start..]
            .iter()
            .take_while(|b| b.is_ascii_alphanumeric() || **b == b'-')
            .count();
        if name_len == 0 {
            i = lt + 1;
            continue;
        }
        let name = html[name_start..name_start + name_len].to_ascii_lowercase();
        let (attrs, end) = attributes(html, name_start + name_len);
        out.push(Tag { name, attrs, end });
        i = end;
        // A script's or style's body is text, not tags.
        if out
            .last()
            .is_some_and(|t| t.name == "script" || t.name == "style")
        {
            let close = format!("</{}", out.last().map_or("", |t| t.name.as_str()));
            i = find_ci(html, end, &close).unwrap_or(bytes.len());
        }
    }
    out
}

/// Case-insensitive find of an ASCII `needle` from `from`.
fn find_ci(html: &str, from: usize, needle: &str) -> Option<usize> {
    let hay = html.as_bytes();
    let n = needle.as_bytes();
    (from..hay.len().saturating_sub(n.len()) + 1)
        .find(|&i| hay[i..i + n.len()].eq_ignore_ascii_case(n))
}

/// Parses attributes from `i` to the tag's closing `>`; returns them and the offset past it.
fn attributes(html: &str, mut i: usize) -> (Vec<(String, String)>, usize) {
    let b = html.as_bytes();
    let mut attrs = Vec::new();
    loop {
        while i < b.len() && (b[i].is_ascii_whitespace() || b[i] == b'/') {
            i += 1;
        }
        if i >= b.len() {
            return (attrs, b.len());
        }
        if b[i] == b'>' {
            return (attrs, i + 1);
        }
        let start = i;
        while i < b.len() && !b[i].is_ascii_whitespace() && !matches!(b[i], b'=' | b'>' | b'/') {
            i += 1;
        }
        let name = html[start..i].to_ascii_lowercase();
        while i < b.len() && b[i].is_ascii_whitespace() {
            i += 1;
        }
        let mut value = String::new();
        if i < b.len() && b[i] == b'=' {
            i += 1;
            while i < b.len() && b[i].is_ascii_whitespace() {
                i += 1;
            }
            if i < b.len() && (b[i] == b'"' || b[i] == b'\'') {
                let quote = b[i];
                let vstart = i + 1;
                let vend = b[vstart..]
                    .iter()
                    .position(|c| *c == quote)
                    .map_or(b.len(), |p| vstart + p);
                value = unescape(&html[vstart..vend]);
                i = (vend + 1).min(b.len());
            } else {
                let vstart = i;
                while i < b.len() && !b[i].is_ascii_whitespace() && b[i] != b'>' {
                    i += 1;
                }
                value = unescape(&html[vstart..i]);
            }
        }
        if !name.is_empty() {
            attrs.push((name, value));
        } else {
            i += 1;
        }
    }
}

/// The character references pages put in attribute values and titles.
pub fn unescape(s: &str) -> String {
    if !s.contains('&') {
        return s.to_owned();
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        rest = &rest[amp..];
        let Some(semi) = rest[..rest.len().min(12)].find(';') else {
            out.push('&');
            rest = &rest[1..];
            continue;
        };
        let entity = &rest[1..semi];
        let decoded = match entity {
            "amp" => Some('&'),
            "lt" => Some('<'),
            "gt" => Some('>'),
            "quot" => Some('"'),
            "apos" => Some('\''),
            "nbsp" => Some('\u{a0}'),
            e if e.starts_with("#x") || e.starts_with("#X") => u32::from_str_radix(&e[2..], 16)
                .ok()
                .and_then(char::from_u32),
            e if e.starts_with('#') => e[1..].parse().ok().and_then(char::from_u32),
            _ => None,
        };
        match decoded {
            Some(c) => {
                out.push(c);
                rest = &rest[semi + 1..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// The bodies of `<script type="application/ld+json">` elements.
pub fn json_ld_blocks(html: &str) -> Vec<&str> {
    tags(html)
        .into_iter()
        .filter(|t| {
            t.name == "script"
                && t.attr("type")
                    .is_some_and(|ty| ty.trim().eq_ignore_ascii_case("application/ld+json"))
        })
        .map(|t| {
            let end = find_ci(html, t.end, "</script").unwrap_or(html.len());
            html[t.end..end].trim()
        })
        .collect()
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
        Value::String(s) => Some(s.trim().to_owned()).filter(|s| !s.is_empty()),
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
        description: plain(&text(product.get("description")).unwrap_or_default()),
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

/// Markup dropped from a description (some shops put HTML in JSON-LD).
fn plain(s: &str) -> String {
    if !s.contains('<') {
        return unescape(s);
    }
    let mut out = String::with_capacity(s.len());
    let mut in_tag = false;
    for c in s.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => {
                in_tag = false;
                out.push(' ');
            }
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    unescape(&out.split_whitespace().collect::<Vec<_>>().join(" "))
}

/// `itemprop` values of a page that declares a schema.org `Product` in microdata.
fn from_microdata(all: &[Tag], base: &Url) -> Option<Imported> {
    let product = all.iter().position(|t| {
        t.attr("itemtype")
            .is_some_and(|ty| ty.trim_end_matches('/').ends_with("schema.org/Product"))
    })?;
    let mut found = Imported {
        source: "microdata",
        ..Imported::default()
    };
    let mut currency_code = None;
    let mut amount = None;
    for t in &all[product..] {
        let Some(prop) = t.attr("itemprop") else {
            continue;
        };
        let value = t
            .attr("content")
            .or_else(|| t.attr("href"))
            .or_else(|| t.attr("src"))
            .map(str::to_owned);
        let Some(value) = value else { continue };
        match prop {
            "name" if found.title.is_empty() => found.title = value,
            "description" if found.description.is_empty() => found.description = value,
            "image" => found.images.extend(resolve(base, &value)),
            "sku" => found.sku = Some(value),
            "price" | "lowPrice" if amount.is_none() => amount = price_minor(&Value::String(value)),
            "priceCurrency" => currency_code = currency(Some(&Value::String(value))),
            "availability" => found.availability = availability(Some(&Value::String(value))),
            _ => {}
        }
    }
    found.price = amount.zip(currency_code);
    (!found.title.is_empty()).then_some(found)
}

/// OpenGraph and Facebook's `product:` tags (and their legacy `og:price:` spellings).
fn from_meta(all: &[Tag], base: &Url) -> Option<Imported> {
    let mut found = Imported {
        source: "opengraph",
        ..Imported::default()
    };
    let mut amount = None;
    let mut code = None;
    let mut title_tag = None;
    for t in all {
        if t.name != "meta" {
            continue;
        }
        let Some(key) = t.attr("property").or_else(|| t.attr("name")) else {
            continue;
        };
        let Some(content) = t.attr("content").map(str::trim).filter(|c| !c.is_empty()) else {
            continue;
        };
        match key.to_ascii_lowercase().as_str() {
            "og:title" => found.title = content.to_owned(),
            "twitter:title" => title_tag = title_tag.or(Some(content.to_owned())),
            "og:description" | "description" if found.description.is_empty() => {
                found.description = content.to_owned()
            }
            "og:image" | "og:image:url" | "og:image:secure_url" => {
                if let Some(u) = resolve(base, content)
                    && !found.images.contains(&u)
                {
                    found.images.push(u);
                }
            }
            "product:price:amount" | "og:price:amount" => {
                amount = price_minor(&Value::String(content.to_owned()))
            }
            "product:price:currency" | "og:price:currency" => {
                code = currency(Some(&Value::String(content.to_owned())))
            }
            "product:availability" | "og:availability" => {
                found.availability = Some(content.to_owned())
            }
            "product:brand" => found.brand = Some(content.to_owned()),
            "product:retailer_item_id" => found.sku = Some(content.to_owned()),
            _ => {}
        }
    }
    if found.title.is_empty() {
        found.title = title_tag.unwrap_or_default();
    }
    found.price = amount.zip(code);
    (!found.title.is_empty()).then_some(found)
}

/// What `html`, found at `base`, says about its product; `None` when it names none.
/// JSON-LD that does not parse is skipped, so a broken block falls back to the next source.
pub fn extract(html: &str, base: &Url) -> Option<Imported> {
    for block in json_ld_blocks(html) {
        let Ok(doc) = serde_json::from_str::<Value>(block) else {
            continue;
        };
        if let Some(product) = find_product(&doc) {
            let found = from_json_ld(product, base);
            if !found.title.is_empty() {
                return Some(found);
            }
        }
    }
    let all = tags(html);
    from_microdata(&all, base).or_else(|| from_meta(&all, base))
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
<meta name="description" content="Sharp."></head>"#;
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

    #[test]
    fn attributes_unquoted_and_entities() {
        let t = tags("<meta property=og:title content='A &#x27;b&#39; &lt;c&gt;'>");
        assert_eq!(t[0].attr("content"), Some("A 'b' <c>"));
        assert_eq!(t[0].attr("property"), Some("og:title"));
    }
}
