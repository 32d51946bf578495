//! From what authors write to what readers see: Markdown, sanitising and teasers come from
//! `shared::infrastructure::markdown`; the event embeds an author can put in a post are the
//! blog's own.

pub use shared::infrastructure::markdown::{markdown, plain_text, sanitize, teaser};

/// An event embed in a post body: a paragraph holding only `[event:<slug>]` or
/// `[events:upcoming]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Embed {
    Event(String),
    Upcoming,
}

/// A post body split around its embeds.
#[derive(Debug, PartialEq, Eq)]
pub enum Part<'a> {
    Html(&'a str),
    Embed(Embed),
}

/// Splits `html` at its embed paragraphs.
pub fn parts(html: &str) -> Vec<Part<'_>> {
    let mut parts = Vec::new();
    let mut rest = html;
    while let Some(start) = rest.find("<p>[event") {
        let after = &rest[start + 3..];
        let Some(end) = after.find("]</p>") else {
            break;
        };
        let inner = &after[1..end];
        let embed = if inner == "events:upcoming" {
            Some(Embed::Upcoming)
        } else {
            inner
                .strip_prefix("event:")
                .filter(|slug| super::slug::validate(slug).is_ok())
                .map(|slug| Embed::Event(slug.to_owned()))
        };
        let stop = start + 3 + end + "]</p>".len();
        match embed {
            Some(embed) => {
                if start > 0 {
                    parts.push(Part::Html(&rest[..start]));
                }
                parts.push(Part::Embed(embed));
            }
            None => parts.push(Part::Html(&rest[..stop])),
        }
        rest = &rest[stop..];
    }
    if !rest.is_empty() {
        parts.push(Part::Html(rest));
    }
    parts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embeds_are_found() {
        let html = "<p>Come!</p><p>[event:wassail-2026]</p><p>[events:upcoming]</p><p>[event:Bad Slug]</p>";
        assert_eq!(
            parts(html),
            vec![
                Part::Html("<p>Come!</p>"),
                Part::Embed(Embed::Event("wassail-2026".into())),
                Part::Embed(Embed::Upcoming),
                Part::Html("<p>[event:Bad Slug]</p>"),
            ]
        );
    }
}
