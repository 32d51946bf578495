//! Slugs: what a post's URL may be called. The rules are the fleet's
//! (`shared::infrastructure::slug`); the names the blog's own routes take are the blog's.

use shared::infrastructure::slug as rules;

pub use shared::infrastructure::slug::SlugError;

/// First path segments the blog's own routes use: a page may not take them.
pub const RESERVED: &[&str] = &[
    "actor", "admin", "atom", "auth", "author", "content", "editor", "feed", "ghost", "healthz",
    "inbox", "internal", "metrics", "nodeinfo", "objects", "posts", "readyz", "rss", "sitemap",
    "static", "tag", "users", "webhooks",
];

/// Checks a slug an author typed.
pub fn validate(slug: &str) -> Result<(), SlugError> {
    rules::validate(slug, RESERVED)
}

/// A slug from a title: ASCII letters and digits, everything else a single hyphen.
pub fn slugify(title: &str) -> String {
    rules::slugify(title, RESERVED)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_blogs_routes_are_reserved() {
        assert_eq!(slugify("Editor"), "editor-post");
        assert_eq!(
            slugify("Pressing the last pears!"),
            "pressing-the-last-pears"
        );
        for name in RESERVED {
            assert_eq!(validate(name), Err(SlugError::Reserved((*name).into())));
            assert!(validate(&slugify(name)).is_ok(), "{name}");
        }
        assert!(validate("spring-wassail-2026").is_ok());
        assert_eq!(validate("two--hyphens"), Err(SlugError::Malformed));
    }
}
