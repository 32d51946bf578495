//! Posts as templates and feeds see them.

use serde::Serialize;
use shared::config::Config;
use shared::models::blog::Tag;

use crate::content::federate;
use crate::db;
use crate::db::posts::PostWithAuthor;

#[derive(Debug, Serialize)]
pub struct TagView {
    pub slug: String,
    pub name: String,
}

impl From<&Tag> for TagView {
    fn from(t: &Tag) -> Self {
        TagView {
            slug: t.slug.clone(),
            name: t.name.clone(),
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct AuthorView {
    pub name: String,
    pub username: String,
}

#[derive(Debug, Serialize)]
pub struct PostView<'a> {
    pub id: i64,
    pub kind: &'a str,
    pub slug: &'a str,
    /// Site-relative address (`/posts/<slug>` or `/<slug>` for pages).
    pub path: String,
    /// Absolute address, for feeds and canonical links.
    pub url: String,
    pub title: &'a str,
    pub excerpt: String,
    pub html: &'a str,
    pub feature_image: Option<String>,
    pub feature_image_alt: &'a str,
    pub author: Option<&'a str>,
    pub author_username: Option<&'a str>,
    pub status: &'a str,
    pub published_at: Option<String>,
    pub updated_at: String,
    pub tags: Vec<TagView>,
    /// Every author in order (the first is `author`).
    pub authors: Vec<AuthorView>,
}

impl<'a> PostView<'a> {
    pub fn new(
        config: &Config,
        p: &'a PostWithAuthor,
        tags: Vec<TagView>,
        authors: Vec<AuthorView>,
    ) -> Self {
        let post = &p.post;
        let url = federate::post_url(config, post);
        let path = match post.kind.as_str() {
            "page" => format!("/{}", post.slug),
            _ => format!("/posts/{}", post.slug),
        };
        PostView {
            id: post.id,
            kind: &post.kind,
            slug: &post.slug,
            path,
            url,
            title: &post.title,
            excerpt: federate::summary(post),
            html: &post.html,
            feature_image: post
                .feature_image
                .as_deref()
                .map(|i| federate::absolute(config, i)),
            feature_image_alt: post.feature_image_alt.as_deref().unwrap_or(""),
            author: p.author.as_deref(),
            author_username: p.author_username.as_deref(),
            status: &post.status,
            published_at: post.published_at.map(|t| t.to_rfc3339()),
            updated_at: post
                .updated_at
                .to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
            tags,
            authors,
        }
    }
}

/// Views of several posts, each with its tags (one query for all the tags).
pub async fn posts_with_tags<'a>(
    conn: &mut diesel_async::AsyncPgConnection,
    config: &Config,
    posts: &'a [PostWithAuthor],
) -> diesel::QueryResult<Vec<PostView<'a>>> {
    let ids: Vec<i64> = posts.iter().map(|p| p.post.id).collect();
    let tags = db::tags::tags_of(conn, &ids).await?;
    let authors = authors_by_post(conn, &ids).await?;
    Ok(posts
        .iter()
        .map(|p| {
            let mine = tags
                .iter()
                .filter(|(id, _)| *id == p.post.id)
                .map(|(_, t)| TagView::from(t))
                .collect();
            let by = authors
                .iter()
                .filter(|(id, _)| *id == p.post.id)
                .map(|(_, a)| a.clone())
                .collect();
            PostView::new(config, p, mine, by)
        })
        .collect())
}

/// The authors of each post, in order: (post id, author).
pub async fn authors_by_post(
    conn: &mut diesel_async::AsyncPgConnection,
    ids: &[i64],
) -> diesel::QueryResult<Vec<(i64, AuthorView)>> {
    Ok(db::authors::authors_of(conn, ids)
        .await?
        .into_iter()
        .map(|(id, name, username)| (id, AuthorView { name, username }))
        .collect())
}
