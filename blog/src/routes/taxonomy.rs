//! Tag and author pages.

use actix_web::{HttpRequest, HttpResponse, web};
use shared::infrastructure::page::{PageQuery, Pagination};
use shared::models::{blog, users};
use shared::{AppContext, AppError, PageRequest};

use super::home::PER_PAGE;
use super::view::posts_with_tags;
use crate::page_cache;

pub async fn tag(
    ctx: web::Data<AppContext>,
    req: HttpRequest,
    page: PageRequest,
    slug: web::Path<String>,
    query: web::Query<PageQuery>,
) -> Result<HttpResponse, AppError> {
    page_cache::serve(&ctx, &req, || async {
        let mut conn = ctx.conn().await?;
        let tag = blog::tag_by_slug(&mut conn, &slug)
            .await?
            .ok_or_else(|| AppError::not_found("There is no such tag."))?;
        let requested = query.page.unwrap_or(1).max(1);
        let (posts, total) = blog::published_with_tag(
            &mut conn,
            tag.id,
            i64::from(PER_PAGE),
            i64::from(requested - 1) * i64::from(PER_PAGE),
        )
        .await?;
        let pagination = Pagination::new(query.page, PER_PAGE, total)?;
        let views = posts_with_tags(&mut conn, ctx.config(), &posts).await?;
        drop(conn);
        let mut context = ctx.base_context();
        context.insert("heading", &tag.name);
        context.insert("description", &tag.description);
        context.insert("kind", "tag");
        context.insert("posts", &views);
        context.insert("pagination", &pagination);
        ctx.render_page(&page, "listing.html", context, Vec::new())
            .await
    })
    .await
}

pub async fn author(
    ctx: web::Data<AppContext>,
    req: HttpRequest,
    page: PageRequest,
    username: web::Path<String>,
    query: web::Query<PageQuery>,
) -> Result<HttpResponse, AppError> {
    page_cache::serve(&ctx, &req, || async {
        let mut conn = ctx.conn().await?;
        let user = users::by_username(&mut conn, &username)
            .await?
            .ok_or_else(|| AppError::not_found("There is no such author."))?;
        let requested = query.page.unwrap_or(1).max(1);
        let (posts, total) = blog::published_by_author(
            &mut conn,
            user.id,
            i64::from(PER_PAGE),
            i64::from(requested - 1) * i64::from(PER_PAGE),
        )
        .await?;
        if total == 0 {
            return Err(AppError::not_found("There is no such author."));
        }
        let pagination = Pagination::new(query.page, PER_PAGE, total)?;
        let views = posts_with_tags(&mut conn, ctx.config(), &posts).await?;
        drop(conn);
        let mut context = ctx.base_context();
        context.insert("heading", &user.display_name);
        context.insert("description", &user.bio);
        context.insert("avatar_url", &user.avatar_url);
        context.insert("kind", "author");
        context.insert("posts", &views);
        context.insert("pagination", &pagination);
        ctx.render_page(&page, "listing.html", context, Vec::new())
            .await
    })
    .await
}
