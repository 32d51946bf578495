//! The home page: the latest posts, with the fleet's fragments around them.

use actix_web::{HttpRequest, HttpResponse, web};
use shared::infrastructure::fragment_catalog;
use shared::infrastructure::page::{PageQuery, Pagination};
use shared::infrastructure::shell::ShellPage;
use shared::{AppContext, AppError, PageRequest};

use super::view::posts_with_tags;
use crate::db;
use crate::state::Shown;
use crate::{BlogState, page_cache};

pub const PER_PAGE: u32 = 10;

pub async fn home(
    ctx: web::Data<AppContext>,
    state: web::Data<BlogState>,
    req: HttpRequest,
    page: PageRequest,
    query: web::Query<PageQuery>,
) -> Result<HttpResponse, AppError> {
    page_cache::serve(&ctx, &req, || async {
        let fragments = vec![
            ("mini_cart", fragment_catalog::mini_cart(page.viewer)),
            ("upcoming", fragment_catalog::upcoming()),
            ("featured", fragment_catalog::featured()),
        ];
        let shown = Shown::Home {
            page: query.page.unwrap_or(1),
        };
        ctx.render_shell(&page, fragments, &state.shells, shown, || async {
            let mut conn = ctx.conn().await?;
            let total = db::posts::count_published(&mut conn).await?;
            let pagination = Pagination::new(query.page, PER_PAGE, total)?;
            let posts =
                db::posts::published(&mut conn, pagination.limit(), pagination.offset()).await?;
            let views = posts_with_tags(&mut conn, ctx.config(), &posts).await?;
            let mut context = ctx.base_context();
            context.insert("posts", &views);
            context.insert("pagination", &pagination);
            Ok(ShellPage::new("home.html", context).into())
        })
        .await
    })
    .await
}
