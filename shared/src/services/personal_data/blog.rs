//! The blog's rows: posts and pages the member wrote (as author or co-author) and their
//! comments (replies that reached the blog from their actor).

use super::{Query, many};

pub(super) const QUERIES: &[Query] = &[
    many(
        "posts",
        "SELECT p.id, p.kind, p.slug, p.title, p.status, p.excerpt, p.markdown, p.html, \
         p.feature_image, p.published_at, p.created_at, p.updated_at FROM posts p \
         WHERE p.author_id = $1 \
         OR EXISTS (SELECT 1 FROM post_authors a WHERE a.post_id = p.id AND a.user_id = $1) \
         ORDER BY p.id",
    ),
    many(
        "comments",
        "SELECT c.object_id, p.slug AS post, c.author_name, c.html, c.status, c.published_at \
         FROM post_comments c JOIN posts p ON p.id = c.post_id \
         WHERE c.actor_id = $2 ORDER BY c.id",
    ),
];
