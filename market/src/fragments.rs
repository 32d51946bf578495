//! Fragments the market serves to the fleet.

use actix_web::{HttpResponse, web};
use shared::infrastructure::link_catalog;
use shared::models::market;
use shared::{AppContext, AppError};

use crate::routes::ProductView;

pub fn configure(cfg: &mut web::ServiceConfig, _ctx: &AppContext) {
    cfg.route("/featured", web::get().to(featured));
}

/// `featured`: a few featured products, linking to the market.
async fn featured(ctx: web::Data<AppContext>) -> Result<HttpResponse, AppError> {
    let products = {
        let mut conn = ctx.conn().await?;
        market::featured(&mut conn, 4).await?
    };
    let mut context = tera::Context::new();
    context.insert(
        "products",
        &products.iter().map(ProductView::from).collect::<Vec<_>>(),
    );
    context.insert("market", &link_catalog::market().url(&ctx));
    ctx.render_fragment("fragments/featured.html", &context, 60)
}
