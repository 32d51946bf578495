//! The social hub's queries: timelines over `ap_objects` and boosts in `ap_reactions` (paged by
//! the shared `social_seq`), local follows, notifications, a member's blocks and mutes, and
//! their settings.

pub mod filters;
pub mod local_follows;
pub mod notifications;
pub mod posts;
pub mod reports;
pub mod settings;
pub mod timeline;
