//! Published blog posts as other apps may quote them (blog owns posts; account's campaign
//! editor starts a newsletter from one). Read only: drafts, scheduled posts and pages are not
//! part of it.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::protocols::ServiceResult;

/// Most posts one list answer holds.
pub const MAX_POSTS: i64 = 200;

/// A published post with its body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PostDto {
    pub id: i64,
    pub slug: String,
    pub title: String,
    pub excerpt: String,
    /// The body as the blog stores it: sanitised HTML.
    pub html: String,
    /// The Markdown it was written in (posts imported from Ghost have only HTML).
    pub markdown: Option<String>,
    pub published_at: Option<DateTime<Utc>>,
}

/// A published post in a list to choose from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PostSummaryDto {
    pub id: i64,
    pub title: String,
    pub published_at: Option<DateTime<Utc>>,
}

#[async_trait]
pub trait Posts: Send + Sync {
    /// The latest published posts (not pages), newest first, at most `limit` (capped at
    /// [`MAX_POSTS`]).
    async fn recent_posts(&self, limit: i64) -> ServiceResult<Vec<PostSummaryDto>>;
    /// A published post with its body; `None` for a draft, a page or no such post.
    async fn published_post(&self, id: i64) -> ServiceResult<Option<PostDto>>;
}
