//! The home page: the latest posts, with the fleet's fragments around them.

use actix_web::{HttpResponse, web};
use shared::infrastructure::fragment_catalog;
use shared::infrastructure::page::{PageQuery, Pagination};
use shared::models::blog;
use shared::{AppContext, AppError, PageRequest};

use super::posts::PostView;

const PER_PAGE: u32 = 10;

pub async fn home(
    ctx: web::Data<AppContext>,
    page: PageRequest,
    query: web::Query<PageQuery>,
) -> Result<HttpResponse, AppError> {
    let (posts, pagination) = {
        let mut conn = ctx.conn().await?;
        let total = blog::count_published(&mut conn).await?;
        let pagination = Pagination::new(query.page, PER_PAGE, total)?;
        let posts = blog::published(&mut conn, pagination.limit(), pagination.offset()).await?;
        (posts, pagination)
    };
    let mut context = ctx.base_context();
    context.insert(
        "posts",
        &posts.iter().map(PostView::from).collect::<Vec<_>>(),
    );
    context.insert("pagination", &pagination);
    ctx.render_page(
        &page,
        "home.html",
        context,
        vec![
            ("mini_cart", fragment_catalog::mini_cart(page.viewer)),
            ("upcoming", fragment_catalog::upcoming()),
            ("featured", fragment_catalog::featured()),
        ],
    )
    .await
}
