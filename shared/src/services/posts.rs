//! The `Posts` contract on the shared database: blog's `posts`, read only (blog alone writes
//! them).

use async_trait::async_trait;

use super::DbServices;
use crate::contracts::posts::{MAX_POSTS, PostDto, PostSummaryDto, Posts};
use crate::contracts::protocols::ServiceResult;
use crate::models::blog;

#[async_trait]
impl Posts for DbServices {
    async fn recent_posts(&self, limit: i64) -> ServiceResult<Vec<PostSummaryDto>> {
        let mut conn = self.pool.get().await?;
        Ok(
            blog::recent_published_posts(&mut conn, limit.clamp(0, MAX_POSTS))
                .await?
                .into_iter()
                .map(|p| PostSummaryDto {
                    id: p.id,
                    title: p.title,
                    published_at: p.published_at,
                })
                .collect(),
        )
    }

    async fn published_post(&self, id: i64) -> ServiceResult<Option<PostDto>> {
        let mut conn = self.pool.get().await?;
        Ok(blog::published_post(&mut conn, id).await?.map(|p| PostDto {
            id: p.id,
            slug: p.slug,
            title: p.title,
            excerpt: p.excerpt,
            html: p.html,
            markdown: p.markdown,
            published_at: p.published_at,
        }))
    }
}
