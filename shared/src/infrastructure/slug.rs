//! Slugs: what a thing's URL may be called, and addresses that moved.
//!
//! The rules are the fleet's (lower-case ASCII letters and digits, single hyphens, at most
//! [`MAX_LEN`]); which first path segments an app's own routes take is the app's, passed in as
//! `reserved`. A renamed thing keeps answering at its old slugs with a 301: the app keeps the
//! history in its own table and [`resolve`] asks the current and former slugs in order.

use actix_web::HttpResponse;
use actix_web::http::header;

/// Longest slug accepted.
pub const MAX_LEN: usize = 100;

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

/// Checks a slug someone typed; `reserved` are names the app's own routes use.
pub fn validate(slug: &str, reserved: &[&str]) -> Result<(), SlugError> {
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
    if reserved.contains(&slug) {
        return Err(SlugError::Reserved(slug.to_owned()));
    }
    Ok(())
}

/// A slug from a title: ASCII letters and digits, everything else a single hyphen; a reserved
/// name gets `-post` appended, so the result always passes [`validate`].
pub fn slugify(title: &str, reserved: &[&str]) -> String {
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
    } else if reserved.contains(&trimmed) {
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

/// What a slug names: the thing itself, where it lives now, or nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resolved<T, M> {
    Current(T),
    Moved(M),
    Missing,
}

/// Looks `slug` up among current slugs, and only when none has it among former ones (the
/// app's history table), on one connection.
pub async fn resolve<C: ?Sized, T, M, E>(
    conn: &mut C,
    slug: &str,
    current: impl AsyncFnOnce(&mut C, &str) -> Result<Option<T>, E>,
    former: impl AsyncFnOnce(&mut C, &str) -> Result<Option<M>, E>,
) -> Result<Resolved<T, M>, E> {
    if let Some(found) = current(conn, slug).await? {
        return Ok(Resolved::Current(found));
    }
    Ok(match former(conn, slug).await? {
        Some(moved) => Resolved::Moved(moved),
        None => Resolved::Missing,
    })
}

/// The answer for an old slug: a permanent redirect to where the thing lives now.
pub fn moved_permanently(location: &str) -> HttpResponse {
    HttpResponse::MovedPermanently()
        .insert_header((header::LOCATION, location.to_owned()))
        .finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    const RESERVED: &[&str] = &["editor", "admin"];

    #[test]
    fn slugs_from_titles() {
        let s = |t| slugify(t, RESERVED);
        assert_eq!(s("Pressing the last pears!"), "pressing-the-last-pears");
        assert_eq!(s("  Crème brûlée — à la Rose  "), "creme-brulee-a-la-rose");
        assert_eq!(s("???"), "untitled");
        assert_eq!(s("Ann’s orchard"), "anns-orchard");
        assert_eq!(s("Editor"), "editor-post");
        assert_eq!(slugify("Editor", &[]), "editor");
        assert!(s(&"long ".repeat(100)).len() <= MAX_LEN);
    }

    #[test]
    fn bad_slugs_are_refused() {
        let v = |s| validate(s, RESERVED);
        assert!(v("spring-wassail-2026").is_ok());
        assert_eq!(v(""), Err(SlugError::Empty));
        for bad in [
            "Upper",
            "two--hyphens",
            "-lead",
            "trail-",
            "sp ace",
            "dots.x",
            "é",
            "../etc",
            "a/b",
        ] {
            assert_eq!(v(bad), Err(SlugError::Malformed), "{bad}");
        }
        assert_eq!(v("editor"), Err(SlugError::Reserved("editor".into())));
        assert!(
            validate("editor", &[]).is_ok(),
            "reserved names are the app's"
        );
        assert_eq!(v(&"a".repeat(101)), Err(SlugError::TooLong));
    }

    #[tokio::test]
    async fn current_slugs_win_over_history() {
        // The "connection" counts the lookups made on it.
        let mut lookups = Vec::<String>::new();
        let current = async |c: &mut Vec<String>, s: &str| {
            c.push(format!("current {s}"));
            Ok::<_, ()>((s == "new").then_some(1))
        };
        let former = async |c: &mut Vec<String>, s: &str| {
            c.push(format!("former {s}"));
            Ok::<_, ()>((s == "old").then(|| "/posts/new".to_owned()))
        };
        assert_eq!(
            resolve(&mut lookups, "new", current, former).await,
            Ok(Resolved::Current(1))
        );
        assert_eq!(lookups, ["current new"], "history is not asked");
        assert_eq!(
            resolve(&mut lookups, "old", current, former).await,
            Ok(Resolved::Moved("/posts/new".to_owned()))
        );
        assert_eq!(
            resolve(&mut lookups, "nope", current, former).await,
            Ok(Resolved::Missing)
        );
        let res = moved_permanently("/posts/new");
        assert_eq!(res.status(), 301);
        assert_eq!(res.headers().get(header::LOCATION).unwrap(), "/posts/new");
    }
}
