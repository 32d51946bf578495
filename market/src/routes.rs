//! Product listing and product pages.

use actix_web::{HttpResponse, web};
use serde::Serialize;
use shared::contracts::dtos::Money;
use shared::infrastructure::link_catalog;
use shared::infrastructure::page::{PageQuery, Pagination};
use shared::models::market::{self, Product};
use shared::{AppContext, AppError, PageRequest};

const PER_PAGE: u32 = 12;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/", web::get().to(index))
        .route(link_catalog::routes::PRODUCT, web::get().to(show));
}

#[derive(Debug, Serialize)]
pub struct ProductView<'a> {
    pub slug: &'a str,
    pub title: &'a str,
    pub description: &'a str,
    pub price: String,
    pub image_url: Option<&'a str>,
    pub in_stock: bool,
}

impl<'a> From<&'a Product> for ProductView<'a> {
    fn from(p: &'a Product) -> Self {
        ProductView {
            slug: &p.slug,
            title: &p.title,
            description: &p.description,
            price: Money {
                cents: p.price_cents,
                currency: p.currency.clone(),
            }
            .to_string(),
            image_url: p.image_url.as_deref(),
            in_stock: p.stock > 0,
        }
    }
}

async fn index(
    ctx: web::Data<AppContext>,
    page: PageRequest,
    query: web::Query<PageQuery>,
) -> Result<HttpResponse, AppError> {
    let (products, pagination) = {
        let mut conn = ctx.conn().await?;
        let pagination = Pagination::new(query.page, PER_PAGE, market::count(&mut conn).await?)?;
        (
            market::list(&mut conn, pagination.limit(), pagination.offset()).await?,
            pagination,
        )
    };
    let mut context = ctx.base_context();
    context.insert(
        "products",
        &products.iter().map(ProductView::from).collect::<Vec<_>>(),
    );
    context.insert("pagination", &pagination);
    ctx.render_page(&page, "index.html", context, Vec::new())
        .await
}

async fn show(
    ctx: web::Data<AppContext>,
    page: PageRequest,
    slug: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let product = {
        let mut conn = ctx.conn().await?;
        market::by_slug(&mut conn, &slug).await?
    }
    .ok_or_else(|| AppError::not_found("There is no such product."))?;
    let mut context = ctx.base_context();
    context.insert("product", &ProductView::from(&product));
    context.insert("add_to_cart", &link_catalog::add_to_cart().url(&ctx));
    ctx.render_page(&page, "product.html", context, Vec::new())
        .await
}
