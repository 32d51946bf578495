//! Ghost's Content and Admin API as JSON (the shapes in Ghost's docs and e2e snapshots): posts
//! and pages with their tags and authors, the pagination envelope, and error bodies.

use chrono::{DateTime, Utc};
use serde::Deserialize;

/// `{"posts": [...], "meta": {"pagination": {...}}}` (or `pages`).
#[derive(Debug, Deserialize)]
pub struct Browse {
    #[serde(default, alias = "pages")]
    pub posts: Vec<GhostPost>,
    pub meta: Meta,
}

#[derive(Debug, Deserialize)]
pub struct Meta {
    pub pagination: Pagination,
}

#[derive(Debug, Deserialize)]
pub struct Pagination {
    pub page: u32,
    pub pages: u32,
    pub total: u64,
    pub next: Option<u32>,
}

/// `{"tags": [...], "meta": {...}}`.
#[derive(Debug, Deserialize)]
pub struct BrowseTags {
    #[serde(default)]
    pub tags: Vec<GhostTag>,
    pub meta: Meta,
}

/// The `fields=id` projection used by the deletion scan.
#[derive(Debug, Deserialize)]
pub struct BrowseIds {
    #[serde(default, alias = "pages")]
    pub posts: Vec<IdOnly>,
    pub meta: Meta,
}

#[derive(Debug, Deserialize)]
pub struct IdOnly {
    pub id: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct GhostPost {
    pub id: String,
    pub title: String,
    pub slug: String,
    #[serde(default)]
    pub html: Option<String>,
    #[serde(default)]
    pub feature_image: Option<String>,
    #[serde(default)]
    pub feature_image_alt: Option<String>,
    #[serde(default)]
    pub custom_excerpt: Option<String>,
    #[serde(default)]
    pub excerpt: Option<String>,
    /// Only in Admin API and webhook payloads: draft, published, scheduled, sent.
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default)]
    pub visibility: Option<String>,
    pub updated_at: DateTime<Utc>,
    #[serde(default)]
    pub published_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub canonical_url: Option<String>,
    #[serde(default)]
    pub meta_title: Option<String>,
    #[serde(default)]
    pub meta_description: Option<String>,
    #[serde(default)]
    pub og_title: Option<String>,
    #[serde(default)]
    pub og_description: Option<String>,
    #[serde(default)]
    pub og_image: Option<String>,
    #[serde(default)]
    pub tags: Vec<GhostTag>,
    #[serde(default)]
    pub authors: Vec<GhostAuthor>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct GhostTag {
    pub id: String,
    pub name: String,
    pub slug: String,
    #[serde(default)]
    pub description: Option<String>,
    /// `internal` tags (named `#…`) are Ghost's own machinery, not shown to readers.
    #[serde(default)]
    pub visibility: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct GhostAuthor {
    pub id: String,
    pub name: String,
    pub slug: String,
    #[serde(default)]
    pub profile_image: Option<String>,
    #[serde(default)]
    pub bio: Option<String>,
}

/// `{"errors": [{"message": ..., "type": ..., "code": ...}]}`.
#[derive(Debug, Deserialize)]
pub struct Errors {
    pub errors: Vec<ErrorItem>,
}

#[derive(Debug, Deserialize)]
pub struct ErrorItem {
    #[serde(default)]
    pub message: String,
    #[serde(default, rename = "type")]
    pub kind: String,
}

/// A webhook body: `{"post": {"current": {...}, "previous": {...}}}` (or `page`).
#[derive(Debug, Deserialize)]
pub struct WebhookBody {
    #[serde(alias = "page")]
    pub post: Change,
}

#[derive(Debug, Deserialize)]
pub struct Change {
    #[serde(default)]
    pub current: serde_json::Value,
    #[serde(default)]
    pub previous: serde_json::Value,
}
