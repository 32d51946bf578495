//! The structured data a page carries, read from its parsed tree in the three syntaxes shops
//! use, each in the shape the `extruct` library gives (so the importer can be checked against
//! it, and so what is read is separate from what it is taken to mean, in `extract.rs`):
//!
//! - JSON-LD: every `<script type="application/ld+json">` parsed, top-level lists flattened;
//!   a block that is not JSON is read leniently (raw line breaks in strings, comments,
//!   trailing commas: what pages really ship), and skipped if even that fails.
//! - Microdata (W3C, as extruct nests it): `{"type", "id"?, "properties": {name: value or
//!   [values]}}`, items nested where they are property values, top level the rest.
//! - OpenGraph: the `<head>`'s `<meta property content>` pairs in a known or declared prefix.

use std::collections::HashMap;

use serde_json::{Map, Value};
use url::Url;

use super::html::{Document, NodeId};

/// What a page says in each syntax.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Syntaxes {
    pub json_ld: Vec<Value>,
    pub microdata: Vec<Value>,
    pub opengraph: Vec<(String, String)>,
}

impl Syntaxes {
    pub fn read(html: &str, base: &Url) -> Syntaxes {
        let doc = Document::parse(html);
        Syntaxes {
            json_ld: json_ld(&doc),
            microdata: Microdata::new(&doc, base).items(),
            opengraph: opengraph(&doc),
        }
    }
}

fn json_ld(doc: &Document) -> Vec<Value> {
    let mut out = Vec::new();
    for script in doc.elements() {
        let is_ld = doc.name(script) == Some("script")
            && doc
                .attr(script, "type")
                .is_some_and(|t| t.trim().eq_ignore_ascii_case("application/ld+json"));
        if !is_ld {
            continue;
        }
        let body = doc.text(script);
        let parsed = serde_json::from_str::<Value>(&body)
            .or_else(|_| serde_json::from_str::<Value>(&lenient(&body)));
        match parsed {
            Ok(Value::Array(items)) => out.extend(items.into_iter().filter(truthy)),
            Ok(item @ Value::Object(_)) if truthy(&item) => out.push(item),
            _ => {}
        }
    }
    out
}

fn truthy(v: &Value) -> bool {
    !matches!(v, Value::Null) && v.as_object().is_none_or(|m| !m.is_empty())
}

/// JSON as pages write it: a leading `<!-- -->` or `//` line, comments, trailing commas, and
/// raw control characters inside strings, made strict.
pub fn lenient(src: &str) -> String {
    let mut out = String::with_capacity(src.len());
    let mut chars = src.trim_start().chars().peekable();
    let (mut in_string, mut escaped) = (false, false);
    while let Some(c) = chars.next() {
        if in_string {
            match c {
                _ if escaped => {
                    escaped = false;
                    out.push(c);
                }
                '\\' => {
                    escaped = true;
                    out.push(c);
                }
                '"' => {
                    in_string = false;
                    out.push(c);
                }
                '\n' => out.push_str("\\n"),
                '\r' => out.push_str("\\r"),
                '\t' => out.push_str("\\t"),
                c if c.is_control() => out.push_str(&format!("\\u{:04x}", c as u32)),
                c => out.push(c),
            }
            continue;
        }
        match c {
            '"' => {
                in_string = true;
                out.push(c);
            }
            '/' if chars.peek() == Some(&'/') => {
                for n in chars.by_ref() {
                    if n == '\n' {
                        break;
                    }
                }
            }
            '/' if chars.peek() == Some(&'*') => {
                chars.next();
                let mut prev = ' ';
                for n in chars.by_ref() {
                    if prev == '*' && n == '/' {
                        break;
                    }
                    prev = n;
                }
            }
            '<' if out.trim().is_empty() && chars.clone().take(3).collect::<String>() == "!--" => {
                // An HTML comment line before the JSON.
                for n in chars.by_ref() {
                    if n == '\n' {
                        break;
                    }
                }
            }
            '}' | ']' => {
                let trimmed = out.trim_end().len();
                if out[..trimmed].ends_with(',') {
                    out.truncate(trimmed - 1);
                }
                out.push(c);
            }
            c => out.push(c),
        }
    }
    out
}

struct Microdata<'a> {
    doc: &'a Document,
    base: &'a Url,
    /// Items already placed (as a property value or at the top level).
    seen: Vec<bool>,
}

impl<'a> Microdata<'a> {
    fn new(doc: &'a Document, base: &'a Url) -> Self {
        Microdata {
            doc,
            base,
            seen: vec![false; doc.nodes.len()],
        }
    }

    fn items(mut self) -> Vec<Value> {
        let scopes: Vec<NodeId> = self
            .doc
            .elements()
            .filter(|e| self.doc.has_attr(*e, "itemscope"))
            .collect();
        scopes
            .into_iter()
            .filter_map(|e| self.item(e))
            .filter(truthy)
            .collect()
    }

    fn item(&mut self, node: NodeId) -> Option<Value> {
        if std::mem::replace(&mut self.seen[node], true) {
            return None;
        }
        let doc = self.doc;
        let mut item = Map::new();
        let types: Vec<&str> = doc
            .attr(node, "itemtype")
            .unwrap_or("")
            .split_whitespace()
            .collect();
        if !types.is_empty() {
            item.insert(
                "type".into(),
                match types.as_slice() {
                    [one] => Value::String((*one).to_owned()),
                    many => many
                        .iter()
                        .map(|t| Value::String((*t).to_owned()))
                        .collect(),
                },
            );
            if let Some(id) = doc.attr(node, "itemid").filter(|i| !i.trim().is_empty()) {
                item.insert("id".into(), Value::String(id.trim().to_owned()));
            }
        }
        let mut names: Vec<String> = Vec::new();
        let mut values: HashMap<String, Vec<Value>> = HashMap::new();
        for prop in self.properties(node) {
            let value = self.value(prop, false);
            for name in doc.attr(prop, "itemprop").unwrap_or("").split_whitespace() {
                if !values.contains_key(name) {
                    names.push(name.to_owned());
                }
                values
                    .entry(name.to_owned())
                    .or_default()
                    .push(value.clone());
            }
        }
        if names.is_empty() {
            item.insert("value".into(), self.value(node, true));
        } else {
            let mut properties = Map::new();
            for name in names {
                let mut vs = values.remove(&name).unwrap_or_default();
                let v = if vs.len() == 1 {
                    vs.remove(0)
                } else {
                    Value::Array(vs)
                };
                properties.insert(name, v);
            }
            item.insert("properties".into(), Value::Object(properties));
        }
        Some(Value::Object(item))
    }

    /// The item's own properties: elements with `itemprop` under it, not inside a nested
    /// item (a nested item that is itself a property is one).
    fn properties(&self, node: NodeId) -> Vec<NodeId> {
        let mut out = Vec::new();
        let mut stack: Vec<NodeId> = self.doc.children(node).iter().rev().copied().collect();
        while let Some(n) = stack.pop() {
            if self.doc.name(n).is_none() {
                continue;
            }
            if self.doc.has_attr(n, "itemprop") {
                out.push(n);
            }
            if !self.doc.has_attr(n, "itemscope") {
                stack.extend(self.doc.children(n).iter().rev());
            }
        }
        out
    }

    /// A property's value (W3C microdata "values", and `content` on any element as
    /// schema.org's examples use it).
    fn value(&mut self, node: NodeId, force: bool) -> Value {
        let doc = self.doc;
        if !force && doc.has_attr(node, "itemscope") {
            return self.item(node).unwrap_or(Value::Null);
        }
        let attr = |a: &str| doc.attr(node, a).unwrap_or("").to_owned();
        let link = |a: &str| {
            let raw = doc.attr(node, a).unwrap_or("").trim();
            self.base
                .join(raw)
                .map_or_else(|_| raw.to_owned(), |u| u.to_string())
        };
        Value::String(match doc.name(node).unwrap_or("") {
            "meta" => attr("content"),
            "audio" | "embed" | "iframe" | "img" | "source" | "track" | "video" => link("src"),
            "a" | "area" | "link" => link("href"),
            "object" => link("data"),
            "data" | "meter" => attr("value"),
            "time" => attr("datetime"),
            _ => match doc.attr(node, "content").filter(|c| !c.is_empty()) {
                Some(c) => c.to_owned(),
                None => doc.readable_text(node),
            },
        })
    }
}

/// The prefixes OpenGraph pages use without declaring them.
const OG_PREFIXES: &[&str] = &[
    "og", "music", "video", "article", "book", "profile", "product",
];

fn opengraph(doc: &Document) -> Vec<(String, String)> {
    let declared = |e: NodeId| -> Vec<String> {
        // `prefix="og: http://ogp.me/ns# product: http://ogp.me/ns/product#"`
        let mut out = Vec::new();
        let mut words = doc.attr(e, "prefix").unwrap_or("").split_whitespace();
        while let Some(w) = words.next() {
            if let Some(p) = w.strip_suffix(':') {
                out.push(p.to_owned());
                words.next();
            } else if let Some((p, _)) = w.split_once(':') {
                out.push(p.to_owned());
            }
        }
        out
    };
    let mut props = Vec::new();
    for head in doc.elements().filter(|e| doc.name(*e) == Some("head")) {
        let mut prefixes = declared(head);
        if let Some(html) = doc.nodes[head].parent {
            prefixes.extend(declared(html));
        }
        for &meta in doc.children(head) {
            if doc.name(meta) != Some("meta") {
                continue;
            }
            let (Some(prop), Some(content)) =
                (doc.attr(meta, "property"), doc.attr(meta, "content"))
            else {
                continue;
            };
            let ns = prop.split(':').next().unwrap_or("");
            if OG_PREFIXES.contains(&ns) || prefixes.iter().any(|p| p == ns) {
                props.push((prop.to_owned(), content.to_owned()));
            }
        }
    }
    props
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn base() -> Url {
        Url::parse("https://shop.example/p/hat").unwrap()
    }

    #[test]
    fn lenient_json_as_pages_write_it() {
        let src = "<!-- ld -->\n{\"name\": \"Hat\nline\", // note\n \"a\": [1, 2,], /* x */ \"b\": {\"c\": \"d\\\"\",},}";
        let v: Value = serde_json::from_str(&lenient(src)).unwrap();
        assert_eq!(
            v,
            json!({"name": "Hat\nline", "a": [1, 2], "b": {"c": "d\""}})
        );
    }

    #[test]
    fn microdata_nests_items_as_extruct_does() {
        let html = r##"<div itemscope itemtype="https://schema.org/Product" itemid="#p">
          <h1 itemprop="name">Honey
            jar</h1><img itemprop="image" src="a.jpg"><img itemprop="image" src="/b.jpg">
          <div itemprop="brand" itemscope itemtype="https://schema.org/Brand"><span itemprop="name">Bees</span></div>
          <div itemprop="offers" itemscope itemtype="https://schema.org/Offer">
            <meta itemprop="price" content="7.00"><link itemprop="availability" href="https://schema.org/InStock">
          </div></div>
          <span itemscope><span itemprop="x">loose</span></span>"##;
        let s = Syntaxes::read(html, &base());
        assert_eq!(
            s.microdata,
            vec![
                json!({"type": "https://schema.org/Product", "id": "#p", "properties": {
                    "name": "Honey jar",
                    "image": ["https://shop.example/p/a.jpg", "https://shop.example/b.jpg"],
                    "brand": {"type": "https://schema.org/Brand", "properties": {"name": "Bees"}},
                    "offers": {"type": "https://schema.org/Offer", "properties": {
                        "price": "7.00", "availability": "https://schema.org/InStock"}}}}),
                json!({"properties": {"x": "loose"}}),
            ]
        );
    }

    #[test]
    fn opengraph_from_the_head_only() {
        let html = r#"<html prefix="fb: http://ogp.me/ns/fb#"><head><meta property="og:title" content="T">
          <meta property="fb:app_id" content="1"><meta property="twitter:card" content="x">
          <meta name="og:ignored" content="n"></head><body><meta property="og:url" content="late"></body></html>"#;
        let s = Syntaxes::read(html, &base());
        assert_eq!(
            s.opengraph,
            vec![
                ("og:title".to_owned(), "T".to_owned()),
                ("fb:app_id".to_owned(), "1".to_owned())
            ]
        );
    }
}
