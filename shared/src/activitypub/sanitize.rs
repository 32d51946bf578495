//! HTML from elsewhere (remote posts, names, summaries) through ammonia, on Mastodon's allowlist:
//! paragraphs, line breaks, spans with microformat classes, links (http/https, forced
//! `rel="nofollow noopener noreferrer"`), emphasis, code, lists and quotes. And the one check
//! for addresses from elsewhere: only absolute http(s) URLs are kept (no `javascript:`, `data:`).

use std::collections::HashSet;
use std::sync::LazyLock;

use crate::infrastructure::markdown::TEXT_ONLY;

static CLEANER: LazyLock<ammonia::Builder<'static>> = LazyLock::new(|| {
    let mut b = ammonia::Builder::empty();
    b.add_tags([
        "p",
        "br",
        "span",
        "a",
        "del",
        "pre",
        "code",
        "em",
        "strong",
        "b",
        "i",
        "u",
        "ul",
        "ol",
        "li",
        "blockquote",
    ])
    .add_tag_attributes("a", ["href"])
    .add_tag_attributes("ol", ["start", "reversed"])
    .add_tag_attributes("li", ["value"])
    .url_schemes(HashSet::from(["http", "https"]))
    .link_rel(Some("nofollow noopener noreferrer"))
    .allowed_classes(std::collections::HashMap::from([
        (
            "a",
            HashSet::from(["mention", "hashtag", "u-url", "h-card"]),
        ),
        (
            "span",
            HashSet::from(["h-card", "invisible", "ellipsis", "mention"]),
        ),
    ]));
    b
});

/// Remote HTML, made safe to show.
pub fn html(input: &str) -> String {
    CLEANER.clean(input).to_string()
}

/// Plain text (names, summaries shown as text): every tag stripped.
pub fn text(input: &str) -> String {
    if passes_unchanged(input) {
        return input.to_owned();
    }
    TEXT_ONLY.clean(input).to_string()
}

/// Whether ammonia would give `input` back as it is: nothing the HTML parser treats as markup
/// or rewrites (`<`, `&`, NUL, CR) and nothing its serialiser escapes (`>`, `&`, no-break
/// space). Most names are such text, and parsing each one showed in the timeline's profile.
fn passes_unchanged(input: &str) -> bool {
    !input
        .bytes()
        .any(|b| matches!(b, b'<' | b'>' | b'&' | b'\0' | b'\r'))
        && !input.contains('\u{a0}')
}

/// Whether `s` is an absolute http(s) address with a host: the only kind of link or image
/// address we store from input or render (tera's escaping does not stop `javascript:`).
pub fn is_web_url(s: &str) -> bool {
    web_url(s).is_some()
}

/// `s` as an absolute http(s) URL in its normalised form (the parser drops surrounding
/// whitespace and embedded tabs and newlines, so what we keep is what a browser would follow),
/// or `None` for anything else.
pub fn web_url(s: &str) -> Option<String> {
    let url = url::Url::parse(s).ok()?;
    (matches!(url.scheme(), "http" | "https") && url.host_str().is_some_and(|h| !h.is_empty()))
        .then(|| url.to_string())
}

/// Fields of remote documents that carry links or media addresses.
const URL_FIELDS: &[&str] = &["url", "href"];

/// Removes every `url`/`href` (at any depth: icons, images, attachments, tags) that is not an
/// http(s) URL from a remote document before it is stored.
pub fn strip_bad_urls(value: &mut serde_json::Value) {
    use serde_json::Value;
    match value {
        Value::Object(map) => {
            for field in URL_FIELDS {
                let bad = match map.get_mut(*field) {
                    Some(Value::String(s)) => !is_web_url(s),
                    Some(Value::Array(items)) => {
                        items.retain(|i| i.as_str().is_none_or(is_web_url));
                        false
                    }
                    _ => false,
                };
                if bad {
                    map.remove(*field);
                }
            }
            map.values_mut().for_each(strip_bad_urls);
        }
        Value::Array(items) => items.iter_mut().for_each(strip_bad_urls),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_text_that_skips_the_parser_is_what_ammonia_would_give() {
        let samples = [
            "",
            "   ",
            "Ann",
            "Ann \"the baker\" O'Neil",
            "Zoë — 果物 🍐",
            "tab\there\nnewline\x0cform feed\x01control",
            "a\u{feff}b\u{200b}c",
            "= / ? # % + ; : @ [ ] { } | ` ~ ^",
            "line one\n\nline two",
        ];
        for s in samples {
            assert!(passes_unchanged(s), "{s:?}");
            assert_eq!(text(s), TEXT_ONLY.clean(s).to_string(), "{s:?}");
        }
        for s in [
            "a<b",
            "a > b",
            "fish & chips",
            "a\u{a0}b",
            "a\rb",
            "a\0b",
            "<b>x</b>",
        ] {
            assert!(!passes_unchanged(s), "{s:?}");
            assert_eq!(text(s), TEXT_ONLY.clean(s).to_string(), "{s:?}");
        }
        assert_eq!(text("<script>alert(1)</script>Ann"), "Ann");
    }

    /// What attackers put where a link is expected.
    pub const HOSTILE_URLS: &[&str] = &[
        "javascript:alert(1)",
        "JaVaScRiPt:alert(1)",
        " javascript:alert(1)",
        "\tjavascript:alert(1)",
        "java\tscript:alert(1)",
        "data:text/html,<script>alert(1)</script>",
        "vbscript:msgbox(1)",
        "//evil.example/x",
        "/relative",
        "http://",
        "file:///etc/passwd",
        "",
    ];

    #[test]
    fn only_absolute_http_urls_are_web_urls() {
        for bad in HOSTILE_URLS {
            assert!(!is_web_url(bad), "{bad:?}");
        }
        assert_eq!(
            web_url(" https://peer.example/@a ").as_deref(),
            Some("https://peer.example/@a")
        );
        assert!(is_web_url("http://peer.localhost:8080/users/a"));
        assert!(is_web_url("HTTPS://Peer.Example/"));
    }

    #[test]
    fn bad_urls_are_stripped_from_documents_at_any_depth() {
        let mut doc = serde_json::json!({
            "url": "javascript:alert(1)",
            "icon": {"type": "Image", "url": "data:image/png;base64,AAAA"},
            "image": {"url": "https://ok.example/a.png"},
            "attachment": [
                {"type": "Document", "url": "JaVaScRiPt:alert(1)"},
                {"type": "Link", "href": [" javascript:x", "https://ok.example/b"]},
            ],
        });
        strip_bad_urls(&mut doc);
        let text = doc.to_string().to_ascii_lowercase();
        assert!(
            !text.contains("javascript") && !text.contains("data:"),
            "{text}"
        );
        assert_eq!(doc["image"]["url"], "https://ok.example/a.png");
        assert_eq!(doc["attachment"][1]["href"][0], "https://ok.example/b");
    }

    #[test]
    fn scripts_styles_and_bad_links_go() {
        let dirty = r#"<p onclick="x()">Hi <script>alert(1)</script><a href="javascript:alert(1)">x</a> <a href="https://ok.example/" class="mention evil">@a</a><img src=x onerror=alert(1)><h1>Big</h1></p>"#;
        let clean = html(dirty);
        assert!(
            !clean.contains("script")
                && !clean.contains("onclick")
                && !clean.contains("javascript")
                && !clean.contains("<img")
        );
        assert!(clean.contains(r#"<a href="https://ok.example/" class="mention" rel="nofollow noopener noreferrer">@a</a>"#), "{clean}");
        assert!(!clean.contains("<h1>"));
        assert_eq!(text("<b>Bold</b> &amp; <i>plain</i>"), "Bold &amp; plain");
    }
}
