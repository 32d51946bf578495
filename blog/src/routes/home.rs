//! The home page: the latest posts, with the fleet's fragments around them.

use std::sync::Arc;

use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::Value;
use shared::infrastructure::fragment_catalog;
use shared::infrastructure::page::{PageQuery, Pagination};
use shared::{AppContext, AppError, AppName, PageRequest};

use super::view::posts_with_tags;
use crate::db;
use crate::{BlogState, page_cache};

pub const PER_PAGE: u32 = 10;

/// One page of the listing, ready for the template.
pub struct Listing {
    posts: Value,
    pagination: Value,
}

async fn load_listing(ctx: &AppContext, page: Option<u32>) -> Result<Listing, AppError> {
    let mut conn = ctx.conn().await?;
    let total = db::posts::count_published(&mut conn).await?;
    let pagination = Pagination::new(page, PER_PAGE, total)?;
    let posts = db::posts::published(&mut conn, pagination.limit(), pagination.offset()).await?;
    let views = posts_with_tags(&mut conn, ctx.config(), &posts).await?;
    Ok(Listing {
        posts: serde_json::to_value(views).map_err(AppError::internal)?,
        pagination: serde_json::to_value(&pagination).map_err(AppError::internal)?,
    })
}

pub async fn home(
    ctx: web::Data<AppContext>,
    state: web::Data<BlogState>,
    req: HttpRequest,
    page: PageRequest,
    query: web::Query<PageQuery>,
) -> Result<HttpResponse, AppError> {
    page_cache::serve(&ctx, &req, || async {
        let composition = ctx
            .compose(
                &page,
                vec![
                    ("mini_cart", fragment_catalog::mini_cart(page.viewer)),
                    ("upcoming", fragment_catalog::upcoming()),
                    ("featured", fragment_catalog::featured()),
                ],
                &[(AppName::Blog, crate::POSTS_KIND)],
            )
            .await;
        // The listing is cached in-process for the current generation of the blog's posts.
        let generation = composition.generations.first().copied().flatten();
        let key = query.page.unwrap_or(1);
        let listing: Arc<Listing> = match state.listings.get(&key, generation) {
            Some(listing) => listing,
            None => state
                .listings
                .put(key, generation, load_listing(&ctx, query.page).await?),
        };
        let mut context = ctx.base_context();
        context.insert("posts", &listing.posts);
        context.insert("pagination", &listing.pagination);
        ctx.render_composed(&page, "home.html", context, &composition)
    })
    .await
}
