//! HTML from elsewhere (remote posts, names, summaries) through ammonia, on Mastodon's allowlist:
//! paragraphs, line breaks, spans with microformat classes, links (http/https, forced
//! `rel="nofollow noopener noreferrer"`), emphasis, code, lists and quotes.

use std::collections::HashSet;
use std::sync::LazyLock;

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
    ammonia::Builder::empty().clean(input).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

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
