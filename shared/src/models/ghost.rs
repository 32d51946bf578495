//! The connected Ghost site (owned by blog; its queries live in the blog crate's `db/ghost.rs`).

use chrono::{DateTime, Utc};
use diesel::prelude::*;

use crate::db::schema::ghost_sites;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = ghost_sites)]
pub struct GhostSite {
    pub url: String,
    pub content_key: String,
    pub admin_key: Option<String>,
    pub webhook_secret: String,
    pub synced_until: Option<DateTime<Utc>>,
    pub last_sync_at: Option<DateTime<Utc>>,
    pub last_full_scan_at: Option<DateTime<Utc>>,
    pub last_error: Option<String>,
    pub webhook_ids: Vec<String>,
}
