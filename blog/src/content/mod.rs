//! The blog's content: slugs, rendering, permissions, federation of posts and the one place
//! that writes posts.

pub mod federate;
pub mod permissions;
pub mod render;
pub mod service;
pub mod slug;

/// Whether `s` is an absolute http(s) address (the only links and images stored from input):
/// the fleet's one check, shared with what federation stores from the fediverse.
pub use shared::activitypub::sanitize::is_web_url;
