//! The product and stall forms as people fill them in, parsed into drafts the database layer
//! writes. Variants and images are one per line, so a form needs no script:
//!
//! - variants: `Large / Red | SKU-1 | 12.50 GBP | 5 | https://…/red.jpg` (option values in
//!   the options' order; SKU, stock and image may be empty; empty stock or `untracked` means
//!   the stock is not counted; the image must be one of the product's own, which the edit
//!   page picks from a list rather than by typing);
//! - images: `https://…/jar.jpg | A jar of medlar jelly` (URL, then alt text).

use serde::{Deserialize, Serialize};
use shared::contracts::dtos::Money;
use shared::infrastructure::slug;
use shared::models::market::{MAX_OPTIONS, status};

use super::MarketError;
use crate::db::products::{ImageDraft, ProductDraft, VariantDraft};

/// First path segments of product URLs that are the market's own routes.
pub const RESERVED: &[&str] = &["new", "edit", "import"];

#[derive(Debug, Default, Clone, Deserialize, Serialize)]
#[serde(default)]
pub struct ProductForm {
    pub title: String,
    pub slug: String,
    pub description: String,
    pub status: String,
    pub tags: String,
    pub option1: String,
    pub option2: String,
    pub option3: String,
    pub variants: String,
    pub images: String,
}

#[derive(Debug, Default, Clone, Deserialize, Serialize)]
#[serde(default)]
pub struct StallForm {
    pub name: String,
    pub slug: String,
    pub description: String,
    pub image_url: String,
    pub contact: String,
    pub location: String,
    /// Usernames, comma-separated (administrators only).
    pub owners: String,
    /// The slug of the events calendar of its opening / market days; empty: none.
    pub calendar: String,
}

fn invalid(why: impl Into<String>) -> MarketError {
    MarketError::Invalid(why.into())
}

/// A slug someone typed, or one made from the title when they left it empty.
pub fn slug_for(typed: &str, title: &str) -> Result<String, MarketError> {
    let typed = typed.trim();
    if typed.is_empty() {
        return Ok(slug::slugify(title, RESERVED));
    }
    slug::validate(typed, RESERVED).map_err(|e| invalid(format!("Address: {e}.")))?;
    Ok(typed.to_owned())
}

/// `12.50`, `12`, `12.5 EUR`, `€3` → minor units and ISO currency (GBP unless named).
pub fn parse_price(text: &str) -> Result<(i64, String), MarketError> {
    Money::parse(text)
        .map(|m| (m.cents, m.currency))
        .ok_or_else(|| invalid(format!("“{text}” is not a price (e.g. 12.50 GBP).")))
}

/// `12.5` → 1250; at most two decimals, never negative.
pub fn minor_units(amount: &str) -> Option<i64> {
    Money::minor_units(amount)
}

/// An image is an http(s) address (the one check every remote URL passes) or an upload of ours.
fn image_url(url: &str) -> Result<String, MarketError> {
    let url = url.trim();
    if url.starts_with("/content/") {
        return Ok(url.to_owned());
    }
    shared::activitypub::sanitize::web_url(url)
        .ok_or_else(|| invalid(format!("“{url}” is not an image address.")))
}

fn parse_variant(line: &str, options: usize) -> Result<VariantDraft, MarketError> {
    let parts: Vec<&str> = line.split('|').map(str::trim).collect();
    let field = |i: usize| parts.get(i).copied().filter(|s| !s.is_empty());
    let values: Vec<String> = field(0)
        .map(|v| v.split('/').map(|s| s.trim().to_owned()).collect())
        .unwrap_or_default();
    if values.len() != options || values.iter().any(String::is_empty) {
        return Err(invalid(format!(
            "Variant “{line}” needs {options} option value(s), separated by /."
        )));
    }
    let price = field(2).ok_or_else(|| invalid(format!("Variant “{line}” has no price.")))?;
    let (price_cents, currency) = parse_price(price)?;
    let stock = match field(3) {
        None | Some("untracked") => None,
        Some(n) => Some(
            n.parse::<i32>()
                .ok()
                .filter(|n| *n >= 0)
                .ok_or_else(|| invalid(format!("“{n}” is not a stock count.")))?,
        ),
    };
    let mut opts = values.into_iter();
    Ok(VariantDraft {
        options: [opts.next(), opts.next(), opts.next()],
        sku: field(1).map(str::to_owned),
        price_cents,
        currency,
        stock,
        image_url: field(4).map(image_url).transpose()?,
    })
}

impl ProductForm {
    pub fn draft(&self) -> Result<ProductDraft, MarketError> {
        let title = self.title.trim();
        if title.is_empty() || title.chars().count() > 200 {
            return Err(invalid("A product needs a title (at most 200 characters)."));
        }
        let status = match self.status.trim() {
            "" => status::DRAFT,
            s => status::ALL
                .into_iter()
                .find(|a| *a == s)
                .ok_or_else(|| invalid("Status is draft, active or archived."))?,
        };
        let options: Vec<String> = [&self.option1, &self.option2, &self.option3]
            .into_iter()
            .map(|o| o.trim().to_owned())
            .filter(|o| !o.is_empty())
            .collect();
        if options.len() > MAX_OPTIONS {
            return Err(invalid("At most three options."));
        }
        let variants = self
            .variants
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| parse_variant(l, options.len()))
            .collect::<Result<Vec<_>, _>>()?;
        if variants.is_empty() {
            return Err(invalid(
                "A product needs at least one variant with a price.",
            ));
        }
        for (i, v) in variants.iter().enumerate() {
            if variants[..i].iter().any(|w| w.options == v.options) {
                return Err(invalid("Two variants have the same option values."));
            }
        }
        let images = self
            .images
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| {
                let (url, alt) = l.split_once('|').unwrap_or((l, ""));
                Ok(ImageDraft {
                    url: image_url(url)?,
                    alt: alt.trim().to_owned(),
                })
            })
            .collect::<Result<Vec<_>, MarketError>>()?;
        // A variant shows one of its own product's images, never another's (nor any address).
        if let Some(v) = variants.iter().find(|v| {
            v.image_url
                .as_ref()
                .is_some_and(|url| !images.iter().any(|i| &i.url == url))
        }) {
            let label: Vec<&str> = v.options.iter().flatten().map(String::as_str).collect();
            return Err(invalid(format!(
                "The image of variant “{}” is not one of this product's images.",
                label.join(" / ")
            )));
        }
        let mut tags: Vec<String> = Vec::new();
        for tag in self.tags.split(',').map(|t| t.trim().to_lowercase()) {
            if !tag.is_empty() && !tags.contains(&tag) {
                tags.push(tag);
            }
        }
        Ok(ProductDraft {
            slug: slug_for(&self.slug, title)?,
            title: title.to_owned(),
            description: self.description.trim().to_owned(),
            status: status.to_owned(),
            tags,
            options,
            variants,
            images,
        })
    }
}

impl StallForm {
    /// The owners' usernames, trimmed, without repeats.
    pub fn owner_names(&self) -> Vec<String> {
        let mut names: Vec<String> = self
            .owners
            .split(',')
            .map(|n| n.trim().trim_start_matches('@').to_owned())
            .filter(|n| !n.is_empty())
            .collect();
        names.sort();
        names.dedup();
        names
    }

    pub fn check(&self) -> Result<String, MarketError> {
        let name = self.name.trim();
        if name.is_empty() || name.chars().count() > 200 {
            return Err(invalid("A stall needs a name (at most 200 characters)."));
        }
        if !self.image_url.trim().is_empty() {
            image_url(&self.image_url)?;
        }
        slug_for(&self.slug, name)
    }

    /// The linked calendar's slug as typed (`None`: no calendar); whether it exists is the
    /// events app's to say (`Market::linked_calendar`).
    pub fn calendar_slug(&self) -> Option<&str> {
        Some(self.calendar.trim()).filter(|s| !s.is_empty())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(variants: &str) -> ProductForm {
        ProductForm {
            title: "Wool hat".into(),
            option1: "Size".into(),
            option2: "Colour".into(),
            variants: variants.into(),
            images: "https://example.org/a.jpg | A red hat\n/content/images/b.png".into(),
            tags: "Wool, hats, wool".into(),
            ..Default::default()
        }
    }

    #[test]
    fn prices_in_minor_units() {
        assert_eq!(parse_price("12.50").unwrap(), (1250, "GBP".into()));
        assert_eq!(parse_price("12.5 eur").unwrap(), (1250, "EUR".into()));
        assert_eq!(parse_price("€3").unwrap(), (300, "EUR".into()));
        assert_eq!(parse_price("0.05 USD").unwrap(), (5, "USD".into()));
        for bad in ["", "-1", "1.234", "abc", "12 POUNDS", "1,50"] {
            assert!(parse_price(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_form_with_two_options_becomes_a_draft() {
        let d = form("S / Red | HAT-S-R | 12.50 | 3\nM / Red | | 13 GBP | untracked | https://example.org/a.jpg")
            .draft()
            .unwrap();
        assert_eq!(d.slug, "wool-hat");
        assert_eq!(d.status, "draft");
        assert_eq!(d.tags, ["wool", "hats"]);
        assert_eq!(d.options, ["Size", "Colour"]);
        assert_eq!(d.variants.len(), 2);
        assert_eq!(
            d.variants[0].options,
            [Some("S".into()), Some("Red".into()), None]
        );
        assert_eq!(d.variants[0].sku.as_deref(), Some("HAT-S-R"));
        assert_eq!(d.variants[0].stock, Some(3));
        assert_eq!(d.variants[1].stock, None);
        assert_eq!(d.variants[1].price_cents, 1300);
        assert_eq!(
            d.variants[1].image_url.as_deref(),
            Some("https://example.org/a.jpg")
        );
        assert_eq!(d.images[0].alt, "A red hat");
        assert_eq!(d.images[1].alt, "");
    }

    #[test]
    fn bad_forms_say_why() {
        for variants in [
            "",
            "S | | 12",
            "S / Red | | 12 | -1",
            "S / Red | | twelve",
            "S / Red | | 1\nS / Red | | 2",
            "S / Red | | 1 | 1 | javascript:alert(1)",
            // Not one of the product's images (another product's, or anywhere else).
            "S / Red | | 1 | 1 | https://example.org/other.jpg",
            "S / Red | | 1 | 1 | /content/images/c.png",
        ] {
            assert!(
                matches!(form(variants).draft(), Err(MarketError::Invalid(_))),
                "{variants:?}"
            );
        }
        let mut f = form("S / Red | | 1");
        f.status = "sold".into();
        assert!(f.draft().is_err());
        f.status = "active".into();
        f.slug = "Not A Slug".into();
        assert!(f.draft().is_err());
    }
}
