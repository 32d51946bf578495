//! The social hub: a member's fediverse home. Timelines (home, local, federated, hashtag,
//! profiles, threads), compose (visibility, content warnings, mentions, hashtags, replies,
//! edits, deletes), likes and boosts, follows (by handle or address, requests for members who
//! approve followers), blocks and mutes, and notifications. Everything a member does goes out
//! through the ActivityPub outbox in the transaction of the change; what arrives is handled by
//! `crate::ap` and reaches this module through [`hooks`].

pub mod authors;
pub mod db;
pub mod domain;
pub mod header;
pub mod hooks;
mod post_html;
mod routes;
pub mod views;

pub use routes::configure;
