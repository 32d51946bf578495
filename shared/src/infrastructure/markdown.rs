//! From what people write to what readers see: Markdown to HTML, every stored body through
//! ammonia, and plain-text teasers. Any app that shows written text (posts, product and event
//! descriptions) renders it here, so there is one set of allowed tags.

use std::collections::{HashMap, HashSet};
use std::sync::LazyLock;

use pulldown_cmark::{Options, Parser, html};

/// Strips every tag. Built once: `Builder::empty()` fills ammonia's default sets before
/// emptying them, hundreds of hash inserts that showed in the social timeline's profile.
pub(crate) static TEXT_ONLY: LazyLock<ammonia::Builder<'static>> =
    LazyLock::new(ammonia::Builder::empty);

/// Written bodies: ammonia's defaults (headings, lists, tables, images, code, quotes …) plus
/// figures, with links forced to `noopener noreferrer` and only web and mail URLs.
static CLEANER: LazyLock<ammonia::Builder<'static>> = LazyLock::new(|| {
    let mut b = ammonia::Builder::default();
    b.add_tags(["figure", "figcaption", "video", "source"])
        .add_tag_attributes("img", ["loading", "width", "height"])
        .add_tag_attributes("video", ["src", "controls", "width", "height", "poster"])
        .add_tag_attributes("source", ["src", "type"])
        .url_schemes(HashSet::from(["http", "https", "mailto"]))
        .link_rel(Some("noopener noreferrer"))
        .allowed_classes(HashMap::from([(
            "code",
            HashSet::from([
                "language-rust",
                "language-python",
                "language-js",
                "language-html",
                "language-css",
                "language-sh",
            ]),
        )]));
    b
});

/// Makes an HTML body safe to store and show.
pub fn sanitize(html: &str) -> String {
    CLEANER.clean(html).to_string()
}

/// Renders Markdown (CommonMark with tables, footnotes and strikethrough) to safe HTML.
pub fn markdown(source: &str) -> String {
    let options =
        Options::ENABLE_TABLES | Options::ENABLE_FOOTNOTES | Options::ENABLE_STRIKETHROUGH;
    let mut out = String::with_capacity(source.len() * 3 / 2);
    html::push_html(&mut out, Parser::new_ext(source, options));
    sanitize(&out)
}

/// The text of some HTML, whitespace collapsed (for teasers, feeds and ActivityPub summaries).
pub fn plain_text(html: &str) -> String {
    // Block boundaries are word boundaries: "<p>a</p><p>b</p>" reads "a b", not "ab".
    let mut spaced = String::with_capacity(html.len() + 16);
    let mut rest = html;
    while let Some(at) = rest.find('<') {
        let tag = &rest[at..];
        let block = [
            "</p",
            "</h",
            "</li",
            "<br",
            "</blockquote",
            "</div",
            "</figure",
            "</tr",
        ]
        .iter()
        .any(|b| tag.starts_with(b));
        spaced.push_str(&rest[..at]);
        if block {
            spaced.push(' ');
        }
        spaced.push('<');
        rest = &rest[at + 1..];
    }
    spaced.push_str(rest);
    let stripped = TEXT_ONLY.clean(&spaced).to_string();
    let unescaped = stripped
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&nbsp;", " ")
        .replace("&amp;", "&");
    unescaped.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// At most `max` characters of `text`, cut at a word boundary with an ellipsis.
pub fn teaser(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let cut: String = text.chars().take(max).collect();
    let at = cut.rfind(' ').unwrap_or(cut.len());
    format!("{}…", cut[..at].trim_end_matches([',', ';', ':', '.']))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_is_rendered_and_made_safe() {
        let html = markdown(
            "# Perry\n\n*Pears* and [a link](https://example.org)\n\n<script>alert(1)</script>\n\n[x](javascript:alert(1))",
        );
        assert!(html.contains("<h1>Perry</h1>"), "{html}");
        assert!(html.contains("<em>Pears</em>"));
        assert!(
            html.contains(r#"href="https://example.org" rel="noopener noreferrer""#),
            "{html}"
        );
        assert!(!html.contains("<script"));
        assert!(!html.contains("javascript:"));
    }

    #[test]
    fn stored_html_is_sanitized() {
        let html = sanitize(
            r#"<p onclick="x()">Hi<img src="a.png" onerror="x()"></p><iframe src="https://evil"></iframe><figure><figcaption>c</figcaption></figure>"#,
        );
        assert_eq!(
            html,
            r#"<p>Hi<img src="a.png"></p><figure><figcaption>c</figcaption></figure>"#
        );
    }

    #[test]
    fn teasers_and_text() {
        assert_eq!(
            plain_text("<p>Fish &amp; chips</p>\n<p>and  peas</p>"),
            "Fish & chips and peas"
        );
        assert_eq!(teaser("one two three four", 10), "one two…");
        assert_eq!(
            plain_text("<h2>Title</h2><p>a <em>b</em>c</p><ul><li>x</li><li>y</li></ul>"),
            "Title a bc x y"
        );
        assert_eq!(teaser("short", 10), "short");
    }
}
