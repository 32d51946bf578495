//! The blog's content: slugs, rendering, permissions, federation of posts and the one place
//! that writes posts.

pub mod federate;
pub mod permissions;
pub mod render;
pub mod service;
pub mod slug;
