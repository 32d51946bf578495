//! Tag and author pages.

use actix_web::{HttpRequest, HttpResponse, web};
use shared::infrastructure::fragment_catalog;
use shared::infrastructure::page::{PageQuery, Pagination};
use shared::infrastructure::shell::{Built, ShellPage};
use shared::models::users;
use shared::{AppContext, AppError, PageRequest};

use super::home::PER_PAGE;
use super::view::posts_with_tags;
use crate::db;
use crate::db::posts::Listing;
use crate::state::Shown;
use crate::{BlogState, page_cache};

/// Who or what a listing page is about.
struct Heading {
    kind: &'static str,
    name: String,
    description: String,
    avatar_url: Option<String>,
}

/// One page of `listing` under `heading`; 404 when it is empty and `empty_is_missing`.
async fn listing_page(
    ctx: &AppContext,
    query: &PageQuery,
    listing: Listing,
    heading: Heading,
    empty_is_missing: bool,
) -> Result<Built, AppError> {
    let mut conn = ctx.conn().await?;
    let requested = query.page.unwrap_or(1).max(1);
    let (posts, total) = db::posts::published_listing(
        &mut conn,
        listing,
        i64::from(PER_PAGE),
        i64::from(requested - 1) * i64::from(PER_PAGE),
    )
    .await?;
    if total == 0 && empty_is_missing {
        return Err(AppError::not_found(format!(
            "There is no such {}.",
            heading.kind
        )));
    }
    let pagination = Pagination::new(query.page, PER_PAGE, total)?;
    let views = posts_with_tags(&mut conn, ctx.config(), &posts).await?;
    drop(conn);
    let mut context = ctx.base_context();
    context.insert("heading", &heading.name);
    context.insert("description", &heading.description);
    context.insert("avatar_url", &heading.avatar_url);
    context.insert("kind", heading.kind);
    context.insert("posts", &views);
    context.insert("pagination", &pagination);
    Ok(ShellPage::new("listing.html", context).into())
}

/// Serves a tag's or an author's listing from the blog's shells.
async fn serve_listing<F, Fut>(
    ctx: &AppContext,
    state: &BlogState,
    page: &PageRequest,
    shown: Shown,
    build: F,
) -> Result<HttpResponse, AppError>
where
    F: FnOnce() -> Fut,
    Fut: std::future::Future<Output = Result<Built, AppError>>,
{
    let fragments = vec![("mini_cart", fragment_catalog::mini_cart(page.viewer))];
    ctx.render_shell(page, fragments, &state.shells, shown, build)
        .await
}

pub async fn tag(
    ctx: web::Data<AppContext>,
    state: web::Data<BlogState>,
    req: HttpRequest,
    page: PageRequest,
    slug: web::Path<String>,
    query: web::Query<PageQuery>,
) -> Result<HttpResponse, AppError> {
    page_cache::serve(&ctx, &req, || async {
        let shown = Shown::Tag {
            slug: slug.to_string(),
            page: query.page.unwrap_or(1),
        };
        serve_listing(&ctx, &state, &page, shown, || async {
            let tag = {
                let mut conn = ctx.conn().await?;
                db::tags::tag_by_slug(&mut conn, &slug).await?
            }
            .ok_or_else(|| AppError::not_found("There is no such tag."))?;
            let heading = Heading {
                kind: "tag",
                name: tag.name,
                description: tag.description,
                avatar_url: None,
            };
            listing_page(&ctx, &query, Listing::Tag(tag.id), heading, false).await
        })
        .await
    })
    .await
}

pub async fn author(
    ctx: web::Data<AppContext>,
    state: web::Data<BlogState>,
    req: HttpRequest,
    page: PageRequest,
    username: web::Path<String>,
    query: web::Query<PageQuery>,
) -> Result<HttpResponse, AppError> {
    page_cache::serve(&ctx, &req, || async {
        let shown = Shown::Author {
            username: username.to_string(),
            page: query.page.unwrap_or(1),
        };
        serve_listing(&ctx, &state, &page, shown, || async {
            let user = {
                let mut conn = ctx.conn().await?;
                users::by_username(&mut conn, &username).await?
            }
            .ok_or_else(|| AppError::not_found("There is no such author."))?;
            let heading = Heading {
                kind: "author",
                name: user.display_name,
                description: user.bio,
                avatar_url: user.avatar_url,
            };
            // Members who never published have no public page.
            listing_page(&ctx, &query, Listing::Author(user.id), heading, true).await
        })
        .await
    })
    .await
}
