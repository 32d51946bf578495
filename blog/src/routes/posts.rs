//! A post page.

use actix_web::{HttpResponse, web};
use serde::Serialize;
use shared::models::blog::{self, PostWithAuthor};
use shared::{AppContext, AppError, PageRequest};

#[derive(Debug, Serialize)]
pub struct PostView<'a> {
    pub slug: &'a str,
    pub title: &'a str,
    pub excerpt: &'a str,
    pub html: &'a str,
    pub feature_image: Option<&'a str>,
    pub author: Option<&'a str>,
    pub published_at: Option<String>,
}

impl<'a> From<&'a PostWithAuthor> for PostView<'a> {
    fn from(p: &'a PostWithAuthor) -> Self {
        PostView {
            slug: &p.post.slug,
            title: &p.post.title,
            excerpt: &p.post.excerpt,
            html: &p.post.html,
            feature_image: p.post.feature_image.as_deref(),
            author: p.author.as_deref(),
            published_at: p.post.published_at.map(|t| t.to_rfc3339()),
        }
    }
}

pub async fn show(
    ctx: web::Data<AppContext>,
    page: PageRequest,
    slug: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let post = {
        let mut conn = ctx.conn().await?;
        blog::published_by_slug(&mut conn, &slug).await?
    }
    .ok_or_else(|| AppError::not_found("There is no post here."))?;
    let mut context = ctx.base_context();
    context.insert("post", &PostView::from(&post));
    ctx.render_page(&page, "post.html", context, Vec::new())
        .await
}
