//! A member's post, from what they typed to what goes out: plain text (escaped), paragraphs and
//! line breaks, links (http/https only), `@name` / `@name@host` mentions and `#tags`, rendered
//! with Mastodon's markup (`h-card`/`u-url mention`, `mention hashtag` with `rel="tag"`), with
//! the `Mention` and `Hashtag` tags Mastodon reads. Resolving mentions (WebFinger) is the
//! caller's: this module only finds them and renders what was resolved.

use std::collections::HashMap;

use crate::social::domain::Visibility;

/// Most characters in a post (Mastodon's default; a link counts as 23, a mention by its name).
pub const MAX_CHARS: usize = 500;
/// Longest content warning.
pub const MAX_SUMMARY_CHARS: usize = 500;
/// What a link counts for, whatever its length (Mastodon's rule).
const LINK_CHARS: usize = 23;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Token {
    Text(String),
    /// `@name` (host `None`: one of ours) or `@name@host`.
    Mention {
        name: String,
        host: Option<String>,
    },
    Tag(String),
    Link(String),
}

/// A mention resolved to an actor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolved {
    /// The actor's id (the Mention tag's `href`, and an addressee).
    pub id: String,
    /// Their profile page (the link in the text).
    pub url: String,
    /// `@name@host`, as the tag names them.
    pub acct: String,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ComposeError {
    #[error("Write something first.")]
    Empty,
    #[error("Posts are at most {MAX_CHARS} characters (this one is {0}).")]
    TooLong(usize),
    #[error("A content warning is at most {MAX_SUMMARY_CHARS} characters.")]
    SummaryTooLong,
    #[error("Choose public, unlisted, followers or direct.")]
    Visibility,
    #[error("A direct post needs someone to go to: mention them.")]
    NoOneAddressed,
}

fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

fn is_host_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':')
}

/// Splits what a member typed into text, mentions, tags and links.
pub fn tokens(text: &str) -> Vec<Token> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let mut plain = String::new();
    let mut i = 0;
    let boundary = |i: usize| {
        i == 0
            || !(chars[i - 1].is_alphanumeric()
                || chars[i - 1] == '_'
                || chars[i - 1] == '/'
                || chars[i - 1] == '@')
    };
    while i < chars.len() {
        let c = chars[i];
        let rest: String = chars[i..chars.len().min(i + 8)].iter().collect();
        if boundary(i) && (rest.starts_with("http://") || rest.starts_with("https://")) {
            let mut end = i;
            while end < chars.len()
                && !chars[end].is_whitespace()
                && !matches!(chars[end], '<' | '>' | '"')
            {
                end += 1;
            }
            while end > i
                && matches!(
                    chars[end - 1],
                    '.' | ',' | ';' | ':' | '!' | '?' | ')' | '\''
                )
            {
                end -= 1;
            }
            let link: String = chars[i..end].iter().collect();
            if shared::activitypub::sanitize::is_web_url(&link) {
                flush(&mut plain, &mut out);
                out.push(Token::Link(link));
                i = end;
                continue;
            }
        }
        if c == '@' && boundary(i) {
            let mut end = i + 1;
            while end < chars.len() && is_name_char(chars[end]) {
                end += 1;
            }
            if end > i + 1 {
                let name: String = chars[i + 1..end].iter().collect();
                let mut host = None;
                if end + 1 < chars.len() && chars[end] == '@' && is_host_char(chars[end + 1]) {
                    let mut h_end = end + 1;
                    while h_end < chars.len() && is_host_char(chars[h_end]) {
                        h_end += 1;
                    }
                    while h_end > end + 1 && matches!(chars[h_end - 1], '.' | ':' | '-') {
                        h_end -= 1;
                    }
                    host = Some(
                        chars[end + 1..h_end]
                            .iter()
                            .collect::<String>()
                            .to_ascii_lowercase(),
                    );
                    end = h_end;
                }
                flush(&mut plain, &mut out);
                out.push(Token::Mention { name, host });
                i = end;
                continue;
            }
        }
        if c == '#' && boundary(i) {
            let mut end = i + 1;
            while end < chars.len() && (chars[end].is_alphanumeric() || chars[end] == '_') {
                end += 1;
            }
            // A tag is not only digits (as Mastodon: "#1" is not a tag).
            if end > i + 1 && chars[i + 1..end].iter().any(|c| !c.is_ascii_digit()) {
                flush(&mut plain, &mut out);
                out.push(Token::Tag(chars[i + 1..end].iter().collect()));
                i = end;
                continue;
            }
        }
        plain.push(c);
        i += 1;
    }
    flush(&mut plain, &mut out);
    out
}

fn flush(plain: &mut String, out: &mut Vec<Token>) {
    if !plain.is_empty() {
        out.push(Token::Text(std::mem::take(plain)));
    }
}

/// Characters as Mastodon counts them.
pub fn length(tokens: &[Token]) -> usize {
    tokens
        .iter()
        .map(|t| match t {
            Token::Text(s) => s.chars().count(),
            Token::Mention { name, .. } => name.chars().count() + 1,
            Token::Tag(t) => t.chars().count() + 1,
            Token::Link(_) => LINK_CHARS,
        })
        .sum()
}

fn escape(s: &str) -> String {
    shared::infrastructure::templates::escape_html(s)
}

/// Checks a draft before anything is resolved or written; a post with images may have no text.
pub fn check(
    text: &str,
    summary: &str,
    visibility: &str,
    has_media: bool,
) -> Result<(Vec<Token>, Visibility), ComposeError> {
    let visibility = Visibility::parse(visibility).ok_or(ComposeError::Visibility)?;
    if text.trim().is_empty() && !has_media {
        return Err(ComposeError::Empty);
    }
    if summary.chars().count() > MAX_SUMMARY_CHARS {
        return Err(ComposeError::SummaryTooLong);
    }
    let tokens = tokens(text.trim());
    let n = length(&tokens);
    if n > MAX_CHARS {
        return Err(ComposeError::TooLong(n));
    }
    Ok((tokens, visibility))
}

/// The post's HTML and tags. `resolved` maps `name` / `name@host` (as typed, host lower case)
/// to the actor; an unresolved mention stays plain text. `tag_url` gives a hashtag's page.
pub fn render(
    tokens: &[Token],
    resolved: &HashMap<String, Resolved>,
    tag_url: impl Fn(&str) -> String,
) -> (String, Vec<serde_json::Value>) {
    let mut html = String::from("<p>");
    let mut tags: Vec<serde_json::Value> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for token in tokens {
        match token {
            Token::Text(s) => {
                let mut paragraphs = s.split("\n\n").peekable();
                while let Some(p) = paragraphs.next() {
                    let lines: Vec<String> = p.split('\n').map(escape).collect();
                    html.push_str(&lines.join("<br>"));
                    if paragraphs.peek().is_some() {
                        html.push_str("</p><p>");
                    }
                }
            }
            Token::Mention { name, host } => {
                let key = mention_key(name, host.as_deref());
                match resolved.get(&key) {
                    Some(actor) => {
                        html.push_str(&format!(
                            "<span class=\"h-card\" translate=\"no\"><a href=\"{}\" class=\"u-url mention\">@<span>{}</span></a></span>",
                            escape(&actor.url),
                            escape(name)
                        ));
                        if seen.insert(actor.id.clone()) {
                            tags.push(serde_json::json!({
                                "type": "Mention", "href": actor.id, "name": format!("@{}", actor.acct),
                            }));
                        }
                    }
                    None => html.push_str(&escape(&format!("@{key}"))),
                }
            }
            Token::Tag(tag) => {
                let url = tag_url(&tag.to_lowercase());
                html.push_str(&format!(
                    "<a href=\"{}\" class=\"mention hashtag\" rel=\"tag\">#<span>{}</span></a>",
                    escape(&url),
                    escape(tag)
                ));
                if seen.insert(format!("#{}", tag.to_lowercase())) {
                    tags.push(serde_json::json!({
                        "type": "Hashtag", "href": url, "name": format!("#{}", tag.to_lowercase()),
                    }));
                }
            }
            Token::Link(url) => html.push_str(&format!(
                "<a href=\"{0}\" target=\"_blank\" rel=\"nofollow noopener noreferrer\">{0}</a>",
                escape(url)
            )),
        }
    }
    html.push_str("</p>");
    (html, tags)
}

/// How a mention is looked up: `name` or `name@host`.
pub fn mention_key(name: &str, host: Option<&str>) -> String {
    match host {
        Some(h) => format!("{name}@{h}"),
        None => name.to_owned(),
    }
}

/// The mentions in a draft, once each: (key, name, host).
pub fn mentions(tokens: &[Token]) -> Vec<(String, String, Option<String>)> {
    let mut out: Vec<(String, String, Option<String>)> = Vec::new();
    for t in tokens {
        if let Token::Mention { name, host } = t {
            let key = mention_key(name, host.as_deref());
            if !out.iter().any(|(k, _, _)| *k == key) {
                out.push((key, name.clone(), host.clone()));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_mentions_tags_and_links() {
        let t = tokens(
            "hi @bob@Remote.example:8080 and @ann, see https://x.example/a?b=1. #Rust #1 a@b.c",
        );
        assert_eq!(
            t,
            vec![
                Token::Text("hi ".into()),
                Token::Mention {
                    name: "bob".into(),
                    host: Some("remote.example:8080".into())
                },
                Token::Text(" and ".into()),
                Token::Mention {
                    name: "ann".into(),
                    host: None
                },
                Token::Text(", see ".into()),
                Token::Link("https://x.example/a?b=1".into()),
                Token::Text(". ".into()),
                Token::Tag("Rust".into()),
                Token::Text(" #1 a@b.c".into()),
            ]
        );
    }

    #[test]
    fn javascript_is_never_a_link() {
        let t = tokens("javascript:alert(1) http://");
        assert!(t.iter().all(|t| !matches!(t, Token::Link(_))));
    }

    #[test]
    fn renders_like_mastodon_and_escapes_the_rest() {
        let t = tokens("<b>hi</b> @bob@r.example #Tea\n\nbye");
        let mut resolved = HashMap::new();
        resolved.insert(
            "bob@r.example".to_owned(),
            Resolved {
                id: "https://r.example/users/bob".into(),
                url: "https://r.example/@bob".into(),
                acct: "bob@r.example".into(),
            },
        );
        let (html, tags) = render(&t, &resolved, |t| format!("https://h.example/tags/{t}"));
        assert_eq!(
            html,
            "<p>&lt;b&gt;hi&lt;/b&gt; <span class=\"h-card\" translate=\"no\"><a href=\"https://r.example/@bob\" class=\"u-url mention\">@<span>bob</span></a></span> <a href=\"https://h.example/tags/tea\" class=\"mention hashtag\" rel=\"tag\">#<span>Tea</span></a></p><p>bye</p>"
        );
        assert_eq!(tags[0]["type"], "Mention");
        assert_eq!(tags[0]["href"], "https://r.example/users/bob");
        assert_eq!(tags[0]["name"], "@bob@r.example");
        assert_eq!(tags[1]["type"], "Hashtag");
        assert_eq!(tags[1]["name"], "#tea");
    }

    #[test]
    fn length_and_checks() {
        let long_link = format!("https://x.example/{}", "a".repeat(600));
        assert!(
            check(&long_link, "", "public", false).is_ok(),
            "a link counts 23"
        );
        assert_eq!(
            check(&"a".repeat(501), "", "public", false).unwrap_err(),
            ComposeError::TooLong(501)
        );
        assert_eq!(
            check("  ", "", "public", false).unwrap_err(),
            ComposeError::Empty
        );
        assert_eq!(
            check("x", "", "friends", false).unwrap_err(),
            ComposeError::Visibility
        );
        assert!(check(&"é".repeat(500), "", "direct", false).is_ok());
        assert!(
            check(" ", "", "public", true).is_ok(),
            "images alone make a post"
        );
    }
}
