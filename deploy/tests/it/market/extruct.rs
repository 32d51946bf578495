//! The importer's reading of shop pages checked against a third-party extractor: Python's
//! `extruct` (the library Scrapinghub's crawlers use; from PyPI into a venv under target/, as
//! the bovine test installs bovine) reads the same fixture pages, shaped like real shops
//! (Shopify's `ProductGroup` with `hasVariant` and a raw line break in a string, a WooCommerce
//! Yoast `@graph` plus its product block with escaped HTML, Magento's microdata next to
//! unrelated JSON-LD, a top-level JSON-LD list with `AggregateOffer` and `ImageObject`s, an
//! `ItemPage` with `mainEntity` and comments and trailing commas, OpenGraph only, and broken
//! JSON-LD that falls back to microdata).
//!
//! Compared: each syntax as extracted (JSON-LD exactly; microdata with whitespace collapsed,
//! since extruct lays text out with `html-text`; OpenGraph exactly), then the product each
//! reading yields, field by field.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use market::domain::extract::{Imported, interpret};
use market::domain::structured::Syntaxes;
use serde_json::Value;
use url::Url;

const EXTRUCT: &str = "extruct==0.18.0";

/// A Python with extruct: the system's if it has it, else a venv made once under target/.
fn python() -> &'static PathBuf {
    static PYTHON: OnceLock<PathBuf> = OnceLock::new();
    PYTHON.get_or_init(|| {
        crate::support::python::with("extruct-venv", "extruct", EXTRUCT)
            .expect("python3 with pip is needed for the extruct oracle")
    })
}

const READ: &str = r#"
import sys, json, extruct
html = open(sys.argv[1], 'rb').read()
d = extruct.extract(html, base_url=sys.argv[2], syntaxes=['json-ld', 'microdata', 'opengraph'],
                    errors='ignore', uniform=False)
print(json.dumps({
    'json_ld': d.get('json-ld', []),
    'microdata': d.get('microdata', []),
    'opengraph': [p for item in d.get('opengraph', []) for p in item['properties']],
}))
"#;

fn extruct(file: &Path, base: &Url) -> Syntaxes {
    let out = Command::new(python())
        .args(["-c", READ])
        .arg(file)
        .arg(base.as_str())
        .output()
        .expect("extruct runs");
    assert!(
        out.status.success(),
        "extruct failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let list = |k: &str| v[k].as_array().cloned().unwrap_or_default();
    Syntaxes {
        json_ld: list("json_ld"),
        microdata: list("microdata"),
        opengraph: list("opengraph")
            .iter()
            .map(|p| {
                (
                    p[0].as_str().unwrap().to_owned(),
                    p[1].as_str().unwrap().to_owned(),
                )
            })
            .collect(),
    }
}

/// Strings with their whitespace collapsed (extruct's text layout puts line breaks where
/// ours may put a space, and the other way round; the words are what must agree).
fn collapsed(v: &Value) -> Value {
    match v {
        Value::String(s) => Value::String(s.split_whitespace().collect::<Vec<_>>().join(" ")),
        Value::Array(a) => Value::Array(a.iter().map(collapsed).collect()),
        Value::Object(m) => {
            Value::Object(m.iter().map(|(k, v)| (k.clone(), collapsed(v))).collect())
        }
        other => other.clone(),
    }
}

fn words(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn same_product(file: &str, ours: &Imported, theirs: &Imported) {
    assert_eq!(ours.source, theirs.source, "{file}: source");
    assert_eq!(ours.title, theirs.title, "{file}: title");
    assert_eq!(
        words(&ours.description),
        words(&theirs.description),
        "{file}: description"
    );
    assert_eq!(ours.images, theirs.images, "{file}: images");
    assert_eq!(ours.sku, theirs.sku, "{file}: sku");
    assert_eq!(ours.gtin, theirs.gtin, "{file}: gtin");
    assert_eq!(ours.brand, theirs.brand, "{file}: brand");
    assert_eq!(ours.price, theirs.price, "{file}: price");
    assert_eq!(
        ours.availability, theirs.availability,
        "{file}: availability"
    );
    assert_eq!(ours.variants, theirs.variants, "{file}: variants");
}

/// A fixture, its source, title, price (minor units, currency) and number of variants.
type Expected = (
    &'static str,
    &'static str,
    &'static str,
    Option<(i64, &'static str)>,
    usize,
);

#[test]
fn extraction_agrees_with_extruct_on_shop_pages() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/it/market/fixtures");
    let base = Url::parse("https://shop.example/products/item?variant=1").unwrap();
    // What each page must yield, so agreement on nothing cannot pass.
    let expected: &[Expected] = &[
        (
            "shopify.html",
            "json-ld",
            "Fell Wool Hat",
            Some((1800, "GBP")),
            2,
        ),
        (
            "woocommerce.html",
            "json-ld",
            "Quince paste",
            Some((450, "EUR")),
            0,
        ),
        (
            "magento.html",
            "microdata",
            "Oak Chopping Board",
            Some((3500, "GBP")),
            0,
        ),
        (
            "aggregate.html",
            "json-ld",
            "Beeswax candles",
            Some((1200, "USD")),
            0,
        ),
        (
            "item-page.html",
            "json-ld",
            "Rye sourdough",
            Some((520, "GBP")),
            0,
        ),
        (
            "opengraph.html",
            "opengraph",
            "Medlar jelly",
            Some((650, "EUR")),
            0,
        ),
        (
            "broken.html",
            "microdata",
            "Felted slippers",
            Some((2800, "GBP")),
            0,
        ),
    ];
    for (file, source, title, price, variants) in expected {
        let path = dir.join(file);
        let html = std::fs::read_to_string(&path).unwrap();
        let ours = Syntaxes::read(&html, &base);
        let theirs = extruct(&path, &base);
        assert_eq!(ours.json_ld, theirs.json_ld, "{file}: JSON-LD");
        assert_eq!(
            collapsed(&Value::Array(ours.microdata.clone())),
            collapsed(&Value::Array(theirs.microdata.clone())),
            "{file}: microdata"
        );
        assert_eq!(ours.opengraph, theirs.opengraph, "{file}: OpenGraph");

        let mine = interpret(&ours, &base).unwrap_or_else(|| panic!("{file}: no product"));
        let other = interpret(&theirs, &base).unwrap_or_else(|| panic!("{file}: extruct's"));
        same_product(file, &mine, &other);
        assert_eq!(mine.source, *source, "{file}");
        assert_eq!(mine.title, *title, "{file}");
        assert_eq!(
            mine.price,
            price.map(|(c, cur)| (c, cur.to_owned())),
            "{file}"
        );
        assert_eq!(mine.variants.len(), *variants, "{file}");
        assert!(
            mine.images.iter().all(|i| i.starts_with("http")),
            "{file}: only http(s) images: {:?}",
            mine.images
        );
    }
}
