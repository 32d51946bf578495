//! The account app's own queries and writes, one file per table. Only account writes the
//! newsletter tables, so the writes live here; `shared::models::account` keeps the row types
//! and the read other apps need (a member's subscriptions).

pub mod bounces;
pub mod campaigns;
pub mod confirmations;
pub mod dashboard;
pub mod members;
pub mod newsletters;
pub mod recipients;
pub mod subscribers;
pub mod subscriptions;
