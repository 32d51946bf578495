//! Ghost's HTML as readers here see it: the editor's cards keep their meaning.
//!
//! Ghost renders its Lexical cards as plain HTML whose structure is carried by `kg-*` classes
//! (Ghost's renderers in `TryGhost/Koenig`, `packages/kg-default-nodes/lib/nodes/*/…-renderer.js`:
//! bookmark, callout, button, toggle, product, header v2, gallery, image, embed, file, …). The
//! blog's own sanitiser drops every class; this policy keeps the `kg-*` ones on an allowlist,
//! so `ghost-cards.css` can lay them out. Two cards need more than classes:
//!
//! - an embed (`figure.kg-embed-card` holding the provider's oEmbed `<iframe>`) becomes a link
//!   card: a YouTube video shows its thumbnail and links to the watch page, Vimeo and any other
//!   provider link to the page. No third-party frame loads (the fleet's CSP allows none, and a
//!   player would tell the provider about every reader);
//! - a toggle (Ghost opens it with a script) becomes `<details>`/`<summary>`, which opens
//!   without one.
//!
//! Steps: ammonia with this policy plus `<iframe>` (normalised, well-formed HTML whose text has
//! no raw `<`), the rewrite of iframes and toggles on that, then ammonia again without iframes,
//! so whatever the rewrite wrote is sanitised like the rest.

use std::collections::{HashMap, HashSet};
use std::sync::LazyLock;

/// The card classes kept (Ghost 5's renderers), and the link card's own.
const CARD_CLASSES: &[&str] = &[
    "kg-card",
    "kg-card-hascaption",
    "kg-width-wide",
    "kg-width-full",
    "kg-width-regular",
    "kg-content-wide",
    "kg-image-card",
    "kg-image",
    "kg-gallery-card",
    "kg-gallery-container",
    "kg-gallery-row",
    "kg-gallery-image",
    "kg-bookmark-card",
    "kg-bookmark-container",
    "kg-bookmark-content",
    "kg-bookmark-title",
    "kg-bookmark-description",
    "kg-bookmark-metadata",
    "kg-bookmark-icon",
    "kg-bookmark-author",
    "kg-bookmark-publisher",
    "kg-bookmark-thumbnail",
    "kg-callout-card",
    "kg-callout-card-grey",
    "kg-callout-card-white",
    "kg-callout-card-blue",
    "kg-callout-card-green",
    "kg-callout-card-yellow",
    "kg-callout-card-red",
    "kg-callout-card-pink",
    "kg-callout-card-purple",
    "kg-callout-card-accent",
    "kg-callout-emoji",
    "kg-callout-text",
    "kg-button-card",
    "kg-align-left",
    "kg-align-center",
    "kg-btn",
    "kg-btn-accent",
    "kg-toggle-card",
    "kg-toggle-heading",
    "kg-toggle-heading-text",
    "kg-toggle-content",
    "kg-product-card",
    "kg-product-card-container",
    "kg-product-card-image",
    "kg-product-card-title-container",
    "kg-product-card-title",
    "kg-product-card-rating",
    "kg-product-card-rating-active",
    "kg-product-card-rating-star",
    "kg-product-card-description",
    "kg-product-card-button",
    "kg-product-card-btn-accent",
    "kg-header-card",
    "kg-v2",
    "kg-layout-split",
    "kg-swapped",
    "kg-style-accent",
    "kg-header-card-image",
    "kg-header-card-content",
    "kg-header-card-text",
    "kg-header-card-heading",
    "kg-header-card-subheading",
    "kg-header-card-button",
    "kg-embed-card",
    "kg-file-card",
    "kg-file-card-container",
    "kg-file-card-contents",
    "kg-file-card-title",
    "kg-file-card-caption",
    "kg-file-card-metadata",
    "kg-file-card-filename",
    "kg-file-card-filesize",
    "kg-blockquote-alt",
    "oembed-link",
    "oembed-thumbnail",
    "oembed-text",
    "oembed-title",
    "oembed-provider",
];

/// Elements whose classes are kept.
const CLASSED: &[&str] = &[
    "a",
    "blockquote",
    "details",
    "div",
    "figcaption",
    "figure",
    "h2",
    "h3",
    "h4",
    "img",
    "p",
    "picture",
    "span",
    "summary",
];

const CODE_CLASSES: &[&str] = &[
    "language-rust",
    "language-python",
    "language-js",
    "language-javascript",
    "language-html",
    "language-css",
    "language-sh",
    "language-bash",
];

fn policy(with_iframes: bool) -> ammonia::Builder<'static> {
    let mut b = ammonia::Builder::default();
    b.add_tags([
        "figure",
        "figcaption",
        "video",
        "source",
        "details",
        "summary",
        "picture",
    ])
    .add_tag_attributes("img", ["loading", "width", "height"])
    .add_tag_attributes("video", ["src", "controls", "width", "height", "poster"])
    .add_tag_attributes("source", ["src", "type"])
    .url_schemes(HashSet::from(["http", "https", "mailto"]))
    .link_rel(Some("noopener noreferrer"));
    let mut classes: HashMap<&'static str, HashSet<&'static str>> = CLASSED
        .iter()
        .map(|tag| (*tag, CARD_CLASSES.iter().copied().collect()))
        .collect();
    classes.insert("code", CODE_CLASSES.iter().copied().collect());
    b.allowed_classes(classes);
    if with_iframes {
        b.add_tags(["iframe"])
            .add_tag_attributes("iframe", ["src", "title"])
            // The rewrite reads tags up to the next `>`: no value may hold one.
            .attribute_filter(|_element, _attribute, value| {
                Some(if value.contains(['<', '>']) {
                    value.replace(['<', '>'], "").into()
                } else {
                    value.into()
                })
            });
    }
    b
}

static PARSE: LazyLock<ammonia::Builder<'static>> = LazyLock::new(|| policy(true));
static FINAL: LazyLock<ammonia::Builder<'static>> = LazyLock::new(|| policy(false));

/// A Ghost post's HTML made safe, its cards kept.
pub fn clean(html: &str) -> String {
    let normalised = PARSE.clean(html).to_string();
    FINAL.clean(&rewrite(&normalised)).to_string()
}

/// One tag of normalised HTML: its name, the raw text between `<` and `>`, and whether it
/// closes.
struct Tag<'a> {
    name: &'a str,
    raw: &'a str,
    closing: bool,
}

fn parse_tag(raw: &str) -> Tag<'_> {
    let closing = raw.starts_with('/');
    let body = raw.trim_start_matches('/');
    let end = body
        .find(|c: char| c.is_ascii_whitespace() || c == '/')
        .unwrap_or(body.len());
    Tag {
        name: &body[..end],
        raw,
        closing,
    }
}

/// The value of `name` in a normalised tag (`name="value"`, `&amp;` and `&quot;` escaped).
fn attribute(raw: &str, name: &str) -> Option<String> {
    let needle = format!(" {name}=\"");
    let start = raw.find(&needle)? + needle.len();
    let len = raw[start..].find('"')?;
    Some(
        raw[start..start + len]
            .replace("&quot;", "\"")
            .replace("&nbsp;", "\u{a0}")
            .replace("&amp;", "&"),
    )
}

fn has_class(raw: &str, class: &str) -> bool {
    attribute(raw, "class").is_some_and(|c| c.split_whitespace().any(|c| c == class))
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

const VOID: &[&str] = &[
    "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track",
    "wbr",
];

/// Iframes into link cards and toggles into `<details>`, on ammonia's normalised output.
fn rewrite(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    // For each open element, the name its end tag is written with.
    let mut open: Vec<Option<&'static str>> = Vec::new();
    let mut rest = html;
    while let Some(lt) = rest.find('<') {
        out.push_str(&rest[..lt]);
        let Some(gt) = rest[lt..].find('>') else {
            out.push_str(&rest[lt..]);
            rest = "";
            break;
        };
        let tag = parse_tag(&rest[lt + 1..lt + gt]);
        rest = &rest[lt + gt + 1..];
        if tag.closing {
            match open.pop().flatten() {
                Some(name) => {
                    out.push_str("</");
                    out.push_str(name);
                    out.push('>');
                }
                None => {
                    out.push_str("</");
                    out.push_str(tag.name);
                    out.push('>');
                }
            }
            continue;
        }
        if tag.name == "iframe" {
            // Its content is raw text up to its end tag: skip all of it.
            let end = rest.find("</iframe>").map_or(rest.len(), |at| at + 9);
            rest = &rest[end..];
            if let Some(card) = attribute(tag.raw, "src")
                .and_then(|src| link_card(&src, attribute(tag.raw, "title").as_deref()))
            {
                out.push_str(&card);
            }
            continue;
        }
        let renamed = if tag.name == "div" && has_class(tag.raw, "kg-toggle-card") {
            Some("details")
        } else if tag.name == "div" && has_class(tag.raw, "kg-toggle-heading") {
            Some("summary")
        } else {
            None
        };
        out.push('<');
        match renamed {
            Some(name) => {
                out.push_str(name);
                out.push_str(&tag.raw[tag.name.len()..]);
            }
            None => out.push_str(tag.raw),
        }
        out.push('>');
        if !VOID.contains(&tag.name) && !tag.raw.ends_with('/') {
            open.push(renamed);
        }
    }
    out.push_str(rest);
    out
}

/// A video's address, its thumbnail if it has one we may show, and who hosts it.
struct Video {
    page: String,
    thumbnail: Option<String>,
    provider: String,
}

fn video_of(src: &str) -> Option<Video> {
    let url = url::Url::parse(src).ok()?;
    if !matches!(url.scheme(), "http" | "https") {
        return None;
    }
    let host = url.host_str()?.to_ascii_lowercase();
    let segments: Vec<&str> = url.path_segments()?.filter(|s| !s.is_empty()).collect();
    let youtube = [
        "youtube.com",
        "www.youtube.com",
        "m.youtube.com",
        "youtube-nocookie.com",
        "www.youtube-nocookie.com",
    ];
    if youtube.contains(&host.as_str()) {
        let id = match segments.as_slice() {
            ["embed", id] => *id,
            _ => return None,
        };
        if id.is_empty()
            || id.len() > 20
            || !id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        {
            return None;
        }
        return Some(Video {
            page: format!("https://www.youtube.com/watch?v={id}"),
            thumbnail: Some(format!("https://i.ytimg.com/vi/{id}/hqdefault.jpg")),
            provider: "YouTube".into(),
        });
    }
    if host == "player.vimeo.com" {
        let id = match segments.as_slice() {
            ["video", id] if !id.is_empty() && id.bytes().all(|b| b.is_ascii_digit()) => *id,
            _ => return None,
        };
        // An unlisted video's link carries its hash.
        let hash = url
            .query_pairs()
            .find(|(k, _)| k == "h")
            .map(|(_, v)| v.into_owned())
            .filter(|h| !h.is_empty() && h.bytes().all(|b| b.is_ascii_alphanumeric()));
        let page = match hash {
            Some(h) => format!("https://vimeo.com/{id}/{h}"),
            None => format!("https://vimeo.com/{id}"),
        };
        return Some(Video {
            page,
            thumbnail: None,
            provider: "Vimeo".into(),
        });
    }
    None
}

/// The link card standing for an embed's iframe (none for an address that is not http(s)).
fn link_card(src: &str, title: Option<&str>) -> Option<String> {
    let title = title
        .map(str::trim)
        .filter(|t| !t.is_empty() && !t.eq_ignore_ascii_case("YouTube video player"));
    let (href, thumbnail, provider, action) = match video_of(src) {
        Some(video) => (video.page, video.thumbnail, video.provider, "Watch on"),
        None => {
            let url = url::Url::parse(src).ok()?;
            if !matches!(url.scheme(), "http" | "https") {
                return None;
            }
            let host = url.host_str()?.to_owned();
            (url.to_string(), None, host, "Open on")
        }
    };
    let thumbnail = thumbnail
        .map(|src| {
            format!(
                "<img class=\"oembed-thumbnail\" src=\"{}\" alt=\"\" loading=\"lazy\">",
                escape(&src)
            )
        })
        .unwrap_or_default();
    let title = escape(title.unwrap_or(&provider));
    Some(format!(
        "<a class=\"oembed-link\" href=\"{}\">{thumbnail}<span class=\"oembed-text\">\
         <span class=\"oembed-title\">{title}</span>\
         <span class=\"oembed-provider\">{action} {}</span></span></a>",
        escape(&href),
        escape(&provider),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classes_other_than_cards_and_scripts_go() {
        let html = clean(
            r#"<div class="kg-card kg-callout-card kg-callout-card-blue evil" onclick="x()"><div class="kg-callout-emoji">💡</div><div class="kg-callout-text">Note <script>alert(1)</script></div></div>"#,
        );
        assert_eq!(
            html,
            r#"<div class="kg-card kg-callout-card kg-callout-card-blue"><div class="kg-callout-emoji">💡</div><div class="kg-callout-text">Note </div></div>"#
        );
    }

    #[test]
    fn youtube_and_vimeo_embeds_become_link_cards() {
        let html = clean(
            r#"<figure class="kg-card kg-embed-card kg-card-hascaption"><iframe width="200" height="113" src="https://www.youtube.com/embed/dQw4w9WgXcQ?feature=oembed" frameborder="0" allow="autoplay" allowfullscreen title="Pruning &quot;pears&quot;"></iframe><figcaption>Watch this</figcaption></figure>"#,
        );
        assert_eq!(
            html,
            r#"<figure class="kg-card kg-embed-card kg-card-hascaption"><a class="oembed-link" href="https://www.youtube.com/watch?v=dQw4w9WgXcQ" rel="noopener noreferrer"><img class="oembed-thumbnail" src="https://i.ytimg.com/vi/dQw4w9WgXcQ/hqdefault.jpg" alt="" loading="lazy"><span class="oembed-text"><span class="oembed-title">Pruning "pears"</span><span class="oembed-provider">Watch on YouTube</span></span></a><figcaption>Watch this</figcaption></figure>"#
        );
        let html = clean(
            r#"<figure class="kg-card kg-embed-card"><iframe src="https://player.vimeo.com/video/76979871?h=8272103f6e&amp;app_id=122963" width="640" height="360" title="The orchard"></iframe></figure>"#,
        );
        assert!(
            html.contains(r#"href="https://vimeo.com/76979871/8272103f6e""#),
            "{html}"
        );
        assert!(html.contains("Watch on Vimeo") && !html.contains("<iframe"));
    }

    #[test]
    fn hostile_iframes_leave_nothing_that_runs() {
        for hostile in [
            r#"<iframe src="javascript:alert(1)"></iframe>"#,
            r#"<iframe src="https://www.youtube.com/embed/x"><script>alert(1)</script></iframe>"#,
            r#"<iframe srcdoc="<script>alert(1)</script>" src="data:text/html,x"></iframe>"#,
            r#"<iframe title="a><script>alert(1)</script>" src="https://evil.example/"></iframe>"#,
            r#"<div class="kg-toggle-card"><iframe src="https://x.example/"></div></div><script>alert(1)</script>"#,
        ] {
            let html = clean(hostile);
            assert!(
                !html.contains("<script")
                    && !html.contains("<iframe")
                    && !html.contains("javascript:"),
                "{hostile} -> {html}"
            );
        }
        let html = clean(r#"<iframe src="https://codepen.io/pen/abc" title="A pen"></iframe>"#);
        assert!(
            html.contains(r#"href="https://codepen.io/pen/abc""#)
                && html.contains("Open on codepen.io"),
            "{html}"
        );
    }

    #[test]
    fn toggles_open_without_a_script() {
        let html = clean(
            r#"<div class="kg-card kg-toggle-card" data-kg-toggle-state="close"><div class="kg-toggle-heading"><h4 class="kg-toggle-heading-text">When to prune?</h4><button class="kg-toggle-card-icon" aria-label="Expand toggle to read content"><svg viewBox="0 0 24 24"><path d="M23.25,7.311"></path></svg></button></div><div class="kg-toggle-content"><p>In <b>winter</b>.</p></div></div>"#,
        );
        assert_eq!(
            html,
            r#"<details class="kg-card kg-toggle-card"><summary class="kg-toggle-heading"><h4 class="kg-toggle-heading-text">When to prune?</h4></summary><div class="kg-toggle-content"><p>In <b>winter</b>.</p></div></details>"#
        );
    }
}
