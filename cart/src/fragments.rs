//! Fragments the cart serves to the fleet.

use actix_web::{HttpResponse, web};
use shared::infrastructure::page::ViewerQuery;
use shared::models::cart::CartOwner;
use shared::{AppContext, AppError, AppName};

pub fn configure(cfg: &mut web::ServiceConfig, _ctx: &AppContext) {
    cfg.route("/mini-cart", web::get().to(mini_cart));
}

/// `mini-cart` (per viewer): item count and total, linking to the cart.
async fn mini_cart(
    ctx: web::Data<AppContext>,
    query: web::Query<ViewerQuery>,
) -> Result<HttpResponse, AppError> {
    let summary = match query.viewer().user_id() {
        Some(id) => Some(ctx.registry().carts.summary(&CartOwner::User(id)).await?),
        None => None,
    };
    let mut context = tera::Context::new();
    context.insert("cart_url", &ctx.url(AppName::Cart, "/"));
    if let Some(summary) = summary {
        context.insert("count", &summary.item_count);
        context.insert(
            "totals",
            &summary
                .totals
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>(),
        );
    }
    ctx.render_fragment("fragments/mini-cart.html", &context, 30)
}
