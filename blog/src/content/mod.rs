//! The blog's content: slugs, rendering, permissions, federation of posts and the one place
//! that writes posts.

pub mod federate;
pub mod permissions;
pub mod render;
pub mod service;
pub mod slug;

/// Whether `s` is an absolute http(s) address (the only links and images stored from input).
pub fn is_web_url(s: &str) -> bool {
    url::Url::parse(s).is_ok_and(|u| matches!(u.scheme(), "http" | "https"))
}
