//! Ghost sync: import a Ghost site's posts, pages, tags and authors, keep them current, and
//! follow its webhooks.

pub mod api;
pub mod cards;
pub mod client;
pub mod import;
pub mod sync;
pub mod tags;
pub mod webhook;
