//! Slugs: what a post's URL may be called.

/// First path segments the blog's own routes use: a page may not take them.
const RESERVED: &[&str] = &[
    "actor", "admin", "atom", "auth", "author", "content", "editor", "feed", "ghost", "healthz",
    "inbox", "internal", "metrics", "nodeinfo", "objects", "posts", "readyz", "rss", "sitemap",
    "static", "tag", "users", "webhooks",
];

const MAX_LEN: usize = 100;

/// Why a slug was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SlugError {
    #[error("the slug is empty")]
    Empty,
    #[error("the slug is longer than {MAX_LEN} characters")]
    TooLong,
    #[error("a slug is lower-case letters, digits and single hyphens between them")]
    Malformed,
    #[error("“{0}” is a reserved address")]
    Reserved(String),
}

/// Checks a slug an author typed.
pub fn validate(slug: &str) -> Result<(), SlugError> {
    if slug.is_empty() {
        return Err(SlugError::Empty);
    }
    if slug.len() > MAX_LEN {
        return Err(SlugError::TooLong);
    }
    let well_formed = slug.split('-').all(|part| {
        !part.is_empty()
            && part
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
    });
    if !well_formed {
        return Err(SlugError::Malformed);
    }
    if RESERVED.contains(&slug) {
        return Err(SlugError::Reserved(slug.to_owned()));
    }
    Ok(())
}

/// A slug from a title: ASCII letters and digits, everything else a single hyphen.
pub fn slugify(title: &str) -> String {
    let mut out = String::with_capacity(title.len());
    for c in title.chars().flat_map(char::to_lowercase) {
        let c = fold_accent(c);
        if matches!(c, '\'' | '’') {
            // "Ann's" is "anns", as Ghost has it.
            continue;
        }
        if c.is_ascii_alphanumeric() {
            out.push(c);
        } else if !out.is_empty() && !out.ends_with('-') {
            out.push('-');
        }
        if out.len() >= MAX_LEN - 10 {
            break;
        }
    }
    let trimmed = out.trim_end_matches('-');
    if trimmed.is_empty() {
        "untitled".to_owned()
    } else if RESERVED.contains(&trimmed) {
        format!("{trimmed}-post")
    } else {
        trimmed.to_owned()
    }
}

/// The common Latin accented letters, without them; anything else passes through.
fn fold_accent(c: char) -> char {
    match c {
        'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' => 'a',
        'ç' => 'c',
        'è' | 'é' | 'ê' | 'ë' => 'e',
        'ì' | 'í' | 'î' | 'ï' => 'i',
        'ñ' => 'n',
        'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' => 'o',
        'ù' | 'ú' | 'û' | 'ü' => 'u',
        'ý' | 'ÿ' => 'y',
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_from_titles() {
        assert_eq!(
            slugify("Pressing the last pears!"),
            "pressing-the-last-pears"
        );
        assert_eq!(
            slugify("  Crème brûlée — à la Rose  "),
            "creme-brulee-a-la-rose"
        );
        assert_eq!(slugify("???"), "untitled");
        assert_eq!(slugify("Ann’s orchard"), "anns-orchard");
        assert_eq!(slugify("Editor"), "editor-post");
        assert!(slugify(&"long ".repeat(100)).len() <= MAX_LEN);
    }

    #[test]
    fn bad_slugs_are_refused() {
        assert!(validate("spring-wassail-2026").is_ok());
        assert_eq!(validate(""), Err(SlugError::Empty));
        for bad in [
            "Upper",
            "two--hyphens",
            "-lead",
            "trail-",
            "sp ace",
            "dots.x",
            "é",
        ] {
            assert_eq!(validate(bad), Err(SlugError::Malformed), "{bad}");
        }
        assert_eq!(
            validate("editor"),
            Err(SlugError::Reserved("editor".into()))
        );
        assert_eq!(validate(&"a".repeat(101)), Err(SlugError::TooLong));
    }
}
