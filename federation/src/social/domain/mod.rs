//! The social hub's rules: what a post says and whom it addresses (`compose`), and who may see
//! it (`Visibility`).

pub mod actor_updates;
pub mod compose;
pub mod notify;
pub mod posts;
pub mod relations;
pub mod reports;

use std::fmt;

/// Whom a post is for, as Mastodon names and addresses it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Visibility {
    /// Everyone, and the public timelines.
    Public,
    /// Everyone, but not the public timelines.
    Unlisted,
    /// The author's followers (and those mentioned).
    Followers,
    /// Only those mentioned.
    Direct,
}

impl Visibility {
    pub fn parse(s: &str) -> Option<Visibility> {
        Some(match s {
            "public" => Visibility::Public,
            "unlisted" => Visibility::Unlisted,
            "followers" | "private" => Visibility::Followers,
            "direct" => Visibility::Direct,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Visibility::Public => "public",
            Visibility::Unlisted => "unlisted",
            Visibility::Followers => "followers",
            Visibility::Direct => "direct",
        }
    }

    /// `to` and `cc` exactly as Mastodon's `ActivityPub::TagManager` writes them: public → to
    /// Public, cc followers; unlisted → to followers, cc Public; followers-only → to followers;
    /// direct → to the mentioned. Those mentioned are in `cc` (in `to` for direct).
    pub fn address(self, followers: &str, mentioned: &[String]) -> (Vec<String>, Vec<String>) {
        let public = shared::activitypub::PUBLIC.to_owned();
        let mentioned = mentioned.iter().cloned();
        match self {
            Visibility::Public => (
                vec![public],
                std::iter::once(followers.to_owned())
                    .chain(mentioned)
                    .collect(),
            ),
            Visibility::Unlisted => (
                vec![followers.to_owned()],
                std::iter::once(public).chain(mentioned).collect(),
            ),
            Visibility::Followers => (vec![followers.to_owned()], mentioned.collect()),
            Visibility::Direct => (mentioned.collect(), Vec::new()),
        }
    }
}

impl fmt::Display for Visibility {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const F: &str = "https://h.example/users/a/followers";

    #[test]
    fn addressing_is_mastodons() {
        let m = vec!["https://r.example/users/b".to_owned()];
        let p = shared::activitypub::PUBLIC;
        assert_eq!(
            Visibility::Public.address(F, &m),
            (vec![p.to_owned()], vec![F.to_owned(), m[0].clone()])
        );
        assert_eq!(
            Visibility::Unlisted.address(F, &m),
            (vec![F.to_owned()], vec![p.to_owned(), m[0].clone()])
        );
        assert_eq!(
            Visibility::Followers.address(F, &m),
            (vec![F.to_owned()], vec![m[0].clone()])
        );
        assert_eq!(
            Visibility::Direct.address(F, &m),
            (vec![m[0].clone()], vec![])
        );
        assert_eq!(Visibility::parse("private"), Some(Visibility::Followers));
        assert_eq!(Visibility::parse("everyone"), None);
    }
}
